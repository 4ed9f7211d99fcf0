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
	item  string // eval item id
	kind  string // "question" or "gold answer"
	text  string
	toks  []uint64
	grams []uint64 // hashes of its runs of min(ngram, len(toks)) tokens
	vec   []float32
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
	toks := tokenHashes(text)
	v.eval = append(v.eval, evalText{item: id, kind: kind, text: text, toks: toks, grams: appendGrams(nil, toks, min(v.n, len(toks)))})
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
	qg, ag := newGramCache(qt), newGramCache(at)
	ngram := fmt.Sprintf("%d-gram overlap", v.n)
	var scratch []uint64
	for i := range v.eval {
		e := &v.eval[i]
		if len(qt) > 0 {
			if e.kind == "question" {
				// A question that quotes the docs shares runs of words with gold
				// answers that quote them too; only eval questions are compared by n-grams.
				var back float64
				back, scratch = v.coveredBy(qt, qg, e, scratch)
				cov := max(v.covers(e, qg), back)
				consider(hit{"question", i, ngram, cov, v.q.ngram})
			}
			consider(hit{"question", i, "ROUGE-L", t.rougeL(qt, e.toks, 1), v.q.rouge})
			if qv != nil && e.vec != nil {
				consider(hit{"question", i, "cosine", float64(retrieval.Dot(qv, e.vec)), v.q.cosine})
			}
		}
		if len(at) > 0 {
			consider(hit{"answer", i, ngram, v.covers(e, ag), v.a.ngram})
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

// gramCache holds a row text's run hashes by run length, computed on demand.
type gramCache struct {
	toks  []uint64
	byLen map[int][]uint64
}

func newGramCache(toks []uint64) *gramCache { return &gramCache{toks: toks, byLen: map[int][]uint64{}} }

func (c *gramCache) grams(n int) []uint64 {
	g, ok := c.byLen[n]
	if !ok {
		g = appendGrams(nil, c.toks, n)
		c.byLen[n] = g
	}
	return g
}

// covers is ngramCoverage(e.toks, row, ...) with e's runs precomputed.
func (v *decontaminator) covers(e *evalText, row *gramCache) float64 {
	if len(e.toks) < v.minLen || len(e.toks) == 0 {
		return 0
	}
	n := min(v.n, len(e.toks))
	return coveredShare(e.grams, len(e.toks), n, row.grams(n))
}

// coveredBy is ngramCoverage(row, e.toks, ...): the share of the row's
// words in runs the eval text contains. scratch is reused between calls.
func (v *decontaminator) coveredBy(row []uint64, rg *gramCache, e *evalText, scratch []uint64) (float64, []uint64) {
	if len(row) < v.minLen || len(row) == 0 {
		return 0, scratch
	}
	n := min(v.n, len(row))
	eg := e.grams
	if n != min(v.n, len(e.toks)) {
		scratch = appendGrams(scratch[:0], e.toks, n)
		eg = scratch
	}
	return coveredShare(rg.grams(n), len(row), n, eg), scratch
}

// coveredShare returns the share of a text's length tokens that lie in
// one of its runs (hashes in grams, of n tokens each, in order) found in other.
func coveredShare(grams []uint64, length, n int, other []uint64) float64 {
	if len(grams) == 0 || len(other) == 0 {
		return 0
	}
	covered, end := 0, 0
	for i, h := range grams {
		if !containsHash(other, h) {
			continue
		}
		covered += i + n - max(i, end)
		end = i + n
	}
	return float64(covered) / float64(length)
}

func containsHash(l []uint64, h uint64) bool {
	for _, x := range l {
		if x == h {
			return true
		}
	}
	return false
}

// appendGrams appends the hashes of toks' runs of n tokens to dst.
func appendGrams(dst, toks []uint64, n int) []uint64 {
	if n <= 0 {
		return dst
	}
	for i := 0; i+n <= len(toks); i++ {
		dst = append(dst, gramHash(toks[i:i+n]))
	}
	return dst
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
	return coveredShare(appendGrams(nil, e, n), len(e), n, appendGrams(nil, c, n))
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
