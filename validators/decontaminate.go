package validators

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

var decontaminateSpec = spec.Spec{
	Name:    "decontaminate",
	Summary: "Data check, a hard block: no generated row whose question or answer is too close to an eval question or gold answer.",
	Description: `Training on the eval set — or on rows that paraphrase it closely — makes the next eval
measure memory instead of skill. This validator compares every generated row with every
item of the eval set (Deps.Eval): the row's question with each eval question and gold
answer, and the row's answer with each gold answer and eval question. A pair is too close
when any measure reaches its threshold:

  n-gram overlap  the share of the eval text's words that lie in runs of ngram (8)
                  consecutive words the row's text shares with it. An eval text shorter than
                  ngram words counts as one run, so it overlaps fully when the row contains it
                  word for word (texts under min_words words are left to ROUGE-L). For
                  questions the row's own words are measured too, so a row question copied
                  out of a longer eval question is caught. A row's question is compared with
                  gold answers by ROUGE-L and cosine only: questions written from a doc
                  sentence share its words with gold answers that quote the same sentence.
  ROUGE-L         longest-common-subsequence F-measure over SQuAD-normalised words.
  cosine          similarity of the texts' embeddings, when the project has an embedder
                  (the knowledge base's).

The answer thresholds are looser than the question thresholds on purpose: generated answers
and gold answers both quote the same help docs, so sharing a doc sentence is expected;
reproducing most of a gold answer is not.

In synth generate this check always runs, after every other stage, even when the pipeline
does not list it: listing it only tunes its thresholds. A sample with no eval items to
compare with passes.

Catches: the eval question "I've clicked forgot password like 4 times and I still havent
recieved any email" generated back verbatim, or as "I clicked forgot password 4 times and I
still haven't received any email" (ROUGE-L 0.81 ≥ 0.75). Passes "How do I turn on 2FA?"
against "How do I turn on 2-step verification for my account?" (ROUGE-L 0.62).`,
	Params: []spec.Param{
		{Name: "ngram", Type: "int", Default: "8", Description: "length of the word runs compared (3..30)"},
		{Name: "min_words", Type: "int", Default: "5", Description: "eval texts shorter than this are compared by ROUGE-L and cosine only (1..30)"},
		{Name: "question_ngram", Type: "float", Default: "0.25", Description: "block a question when this share of an eval text's words is in shared runs (0..1]"},
		{Name: "question_rouge_l", Type: "float", Default: "0.75", Description: "block a question at this ROUGE-L with an eval text (0..1]"},
		{Name: "question_cosine", Type: "float", Default: "0.92", Description: "block a question at this embedding cosine with an eval text (0..1]"},
		{Name: "answer_ngram", Type: "float", Default: "0.8", Description: "block an answer when this share of an eval text's words is in shared runs (0..1]"},
		{Name: "answer_rouge_l", Type: "float", Default: "0.85", Description: "block an answer at this ROUGE-L with an eval text (0..1]"},
		{Name: "answer_cosine", Type: "float", Default: "0.98", Description: "block an answer at this embedding cosine with an eval text (0..1]"},
	},
	Needs:   []string{"eval set", "embedder (optional)"},
	Example: "{type: decontaminate, ngram: 8, question_rouge_l: 0.75, answer_rouge_l: 0.85}",
}

func decontaminateEntry() Entry {
	return Entry{Spec: decontaminateSpec, Role: Data, New: newDecontaminate}
}

// simLimits are the thresholds for one side (question or answer).
type simLimits struct{ ngram, rouge, cosine float64 }

// evalText is one eval question or gold answer, prepared for comparison.
type evalText struct {
	item string // eval item id
	kind string // "question" or "gold answer"
	text string
	toks []uint64
	vec  []float32
}

func newDecontaminate(p *spec.Params, deps Deps) (Validator, error) {
	v := &decontaminator{
		n:       p.IntIn("ngram", 8, 3, 30),
		minLen:  p.IntIn("min_words", 5, 1, 30),
		embed:   deps.Embedder,
		q:       simLimits{p.FloatIn("question_ngram", 0.25, 0.01, 1), p.FloatIn("question_rouge_l", 0.75, 0.01, 1), p.FloatIn("question_cosine", 0.92, 0.01, 1)},
		a:       simLimits{p.FloatIn("answer_ngram", 0.8, 0.01, 1), p.FloatIn("answer_rouge_l", 0.85, 0.01, 1), p.FloatIn("answer_cosine", 0.98, 0.01, 1)},
		vecDone: deps.Embedder == nil,
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	for _, it := range deps.Eval {
		v.add(it.ID, "question", it.Question)
		for _, g := range it.Answers {
			v.add(it.ID, "gold answer", g)
		}
	}
	return v, nil
}

// decontaminator is safe for concurrent use: the eval texts are fixed at
// construction and their embeddings computed once, on first use.
type decontaminator struct {
	n, minLen int
	q, a      simLimits
	embed     retrieval.Embedder
	eval      []evalText

	mu      sync.Mutex
	vecDone bool
}

func (v *decontaminator) add(id, kind, text string) {
	if strings.TrimSpace(text) == "" {
		return
	}
	v.eval = append(v.eval, evalText{item: id, kind: kind, text: text, toks: tokenHashes(text)})
}

func (*decontaminator) Name() string { return decontaminateSpec.Name }

// hit is the closest eval text found for one side of a sample.
type hit struct {
	side    string // "question" or "answer"
	at      int    // index into eval
	measure string
	value   float64
	limit   float64
}

func (h hit) ratio() float64 { return h.value / h.limit }

func (v *decontaminator) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := decontaminateSpec.Name
	if len(v.eval) == 0 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no eval items to compare with"}, nil
	}
	if err := v.ensureVectors(ctx); err != nil {
		return dataset.Verdict{}, err
	}
	qt, at := tokenHashes(s.Question), tokenHashes(s.Answer)
	var qv, av []float32
	if v.embed != nil {
		vs, err := v.embed.Embed(ctx, []string{s.Question, s.Answer})
		if err != nil {
			return dataset.Verdict{}, fmt.Errorf("decontaminate: embed the row: %w", err)
		}
		if len(vs) != 2 {
			return dataset.Verdict{}, fmt.Errorf("decontaminate: embedder returned %d vectors for 2 texts", len(vs))
		}
		qv, av = vs[0], vs[1]
	}
	var worst *hit
	closest := 0.0
	consider := func(h hit) {
		if h.value > closest {
			closest = h.value
		}
		if h.value >= h.limit && (worst == nil || h.ratio() > worst.ratio()) {
			hc := h
			worst = &hc
		}
	}
	t := getTokenizer()
	defer putTokenizer(t)
	for i := range v.eval {
		e := &v.eval[i]
		if len(qt) > 0 {
			if e.kind == "question" {
				// A question that quotes the docs shares runs of words with gold
				// answers that quote them too; only eval questions are compared by n-grams.
				cov := max(ngramCoverage(e.toks, qt, v.n, v.minLen), ngramCoverage(qt, e.toks, v.n, v.minLen))
				consider(hit{"question", i, fmt.Sprintf("%d-gram overlap", v.n), cov, v.q.ngram})
			}
			consider(hit{"question", i, "ROUGE-L", t.rougeL(qt, e.toks, 1), v.q.rouge})
			if qv != nil && e.vec != nil {
				consider(hit{"question", i, "cosine", float64(retrieval.Dot(qv, e.vec)), v.q.cosine})
			}
		}
		if len(at) > 0 {
			consider(hit{"answer", i, fmt.Sprintf("%d-gram overlap", v.n), ngramCoverage(e.toks, at, v.n, v.minLen), v.a.ngram})
			consider(hit{"answer", i, "ROUGE-L", t.rougeL(at, e.toks, 1), v.a.rouge})
			if av != nil && e.vec != nil {
				consider(hit{"answer", i, "cosine", float64(retrieval.Dot(av, e.vec)), v.a.cosine})
			}
		}
	}
	if worst != nil {
		e := v.eval[worst.at]
		return dataset.Verdict{
			Validator: name, Score: clamp01(1 - worst.value), Pass: false,
			Reason: fmt.Sprintf("%s too close to an eval %s: %s %.2f ≥ %.2f with item %s's %s %s",
				worst.side, e.kind, worst.measure, worst.value, worst.limit, e.item, e.kind, quote(e.text)),
			Evidence: []string{e.item},
		}, nil
	}
	return dataset.Verdict{Validator: name, Score: clamp01(1 - closest), Pass: true,
		Reason: fmt.Sprintf("no eval question or gold answer is close (highest similarity %.2f)", closest)}, nil
}

// ensureVectors embeds the eval texts once.
func (v *decontaminator) ensureVectors(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.vecDone {
		return nil
	}
	texts := make([]string, len(v.eval))
	for i, e := range v.eval {
		texts[i] = e.text
	}
	vs, err := v.embed.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("decontaminate: embed the eval set: %w", err)
	}
	if len(vs) != len(texts) {
		return fmt.Errorf("decontaminate: embedder returned %d vectors for %d texts", len(vs), len(texts))
	}
	for i := range v.eval {
		v.eval[i].vec = vs[i]
	}
	v.vecDone = true
	return nil
}

// tokenHashes returns the SQuAD-normalised token hashes of s.
func tokenHashes(s string) []uint64 {
	t := getTokenizer()
	defer putTokenizer(t)
	return append([]uint64(nil), t.squadHashes(s, t.a)...)
}

// ngramCoverage returns the share of e's tokens that lie in a run of n
// consecutive tokens that also occurs in c. When e has fewer than n tokens
// (but at least minLen) the run is e itself; when it has fewer than minLen,
// the coverage is 0.
func ngramCoverage(e, c []uint64, n, minLen int) float64 {
	if len(e) < minLen || len(e) == 0 {
		return 0
	}
	n = min(n, len(e))
	if len(c) < n {
		return 0
	}
	grams := make(map[uint64]struct{}, len(c)-n+1)
	for i := 0; i+n <= len(c); i++ {
		grams[gramHash(c[i:i+n])] = struct{}{}
	}
	covered := 0
	end := 0 // e[:end] is covered so far
	for i := 0; i+n <= len(e); i++ {
		if _, ok := grams[gramHash(e[i:i+n])]; !ok {
			continue
		}
		from := max(i, end)
		covered += i + n - from
		end = i + n
	}
	return float64(covered) / float64(len(e))
}

// gramHash combines token hashes into one (FNV-style, order-sensitive).
func gramHash(toks []uint64) uint64 {
	h := uint64(14695981039346656037)
	for _, t := range toks {
		h ^= t
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}
