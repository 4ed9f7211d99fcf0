package llm

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/synth-dev/synth/lexical"
)

// This file holds how the built-in bot recalls what it learned. A memory
// pair is scored against a question by the words of both its learned
// question and its answer — what a fine-tuned model takes in from a
// training example — each question word weighted by how rare it is in the
// memory (IDF) and matched by meaning (word vectors of the knowledge base's
// embedder, when one is wired in with [Builtin.WithEmbed]) and by spelling
// (typos) as well as by stem.

// EmbedFunc embeds texts as vectors, one per text, in the order given. A
// knowledge base embedder's Embed method is one. The vectors need not be
// unit length: the bot normalises them.
type EmbedFunc func(ctx context.Context, texts []string) ([][]float32, error)

// Weights of the recall score (see [match]). They were chosen on the
// example project's eval set and checked on a second question set written
// apart from it, and against a memory of unrelated pairs (docs/builtin-model.md).
const (
	// answerWeight is how much a question word found only in a pair's
	// answer counts, against one found in its learned question.
	answerWeight = 0.75
	// softFloor is the word-vector or spelling similarity two different
	// words need to count as a match; softScale scales what passes, so that
	// a different word never counts as much as the same one.
	softFloor = 0.5
	softScale = 0.85
	// coverWeight weighs how much of the asked question a pair holds
	// against how much of the learned question the asked question holds.
	coverWeight = 0.7
	// maxWordCache bounds the cache of word vectors.
	maxWordCache = 1 << 16
)

// contractions are negations and pronoun contractions as words() writes
// them ("didn't" is "didnt"): function words, like the stop words.
var contractions = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`arent cant couldnt didnt doesnt dont hadnt hasnt havent isnt mightnt mustnt
	neednt shouldnt wasnt werent wont wouldnt aint im ive id ill youre youve youll hes shes theyre theyve weve
	lets thats whats wheres theres heres whos`) {
		contractions[w] = true
	}
}

// word is a content word prepared for comparison.
type word struct {
	stem, surface string
	grams         []gramCount
	norm          float64
	vec           []float32 // unit length; nil without an embedder
}

// gramCount is a character trigram (bytes packed into a uint32) and how
// often it occurs.
type gramCount struct {
	g uint32
	n int32
}

// wordVecs embeds words once and keeps their unit vectors.
type wordVecs struct {
	embed EmbedFunc
	mu    sync.Mutex
	cache map[string][]float32
}

// get returns the unit vectors of ws, embedding those not seen before in
// one call (nil without an embedder).
func (c *wordVecs) get(ctx context.Context, ws []string) ([][]float32, error) {
	if c == nil || c.embed == nil || len(ws) == 0 {
		return nil, nil
	}
	out := make([][]float32, len(ws))
	var missing []string
	c.mu.Lock()
	for i, w := range ws {
		if v, ok := c.cache[w]; ok {
			out[i] = v
		} else if !slices.Contains(missing, w) {
			missing = append(missing, w)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	vs, err := embedUnit(ctx, c.embed, missing)
	if err != nil {
		return nil, err
	}
	got := make(map[string][]float32, len(missing))
	for i, w := range missing {
		got[w] = vs[i]
	}
	c.mu.Lock()
	if c.cache == nil || len(c.cache)+len(missing) > maxWordCache {
		c.cache = make(map[string][]float32, len(missing))
	}
	for w, v := range got {
		c.cache[w] = v
	}
	c.mu.Unlock()
	for i, w := range ws {
		if out[i] == nil {
			out[i] = got[w]
		}
	}
	return out, nil
}

// embedUnit embeds texts and scales each vector to unit length.
func embedUnit(ctx context.Context, embed EmbedFunc, texts []string) ([][]float32, error) {
	vs, err := embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(vs) != len(texts) {
		return nil, fmt.Errorf("%d vectors for %d texts", len(vs), len(texts))
	}
	out := make([][]float32, len(vs))
	for i, v := range vs {
		var sq float64
		for _, x := range v {
			sq += float64(x) * float64(x)
		}
		u := make([]float32, len(v))
		if sq > 0 && !math.IsInf(sq, 0) && !math.IsNaN(sq) {
			inv := 1 / math.Sqrt(sq)
			for k, x := range v {
				u[k] = float32(float64(x) * inv)
			}
		}
		out[i] = u
	}
	return out, nil
}

// splitWords returns the distinct content words of s: stop words and
// contractions dropped, one per stem, the first surface form kept.
func splitWords(s string) []word {
	var out []word
	seen := map[string]bool{}
	for _, w := range words(s, nil) {
		if stopWords[w] || contractions[w] {
			continue
		}
		st := lexical.Stem(w)
		if seen[st] {
			continue
		}
		seen[st] = true
		g, n := wordGrams(w)
		out = append(out, word{stem: st, surface: w, grams: g, norm: n})
	}
	return out
}

// wordGrams returns the character trigram counts of one word padded with
// spaces, sorted, and their Euclidean norm.
func wordGrams(w string) ([]gramCount, float64) {
	p := " " + w + " "
	grams := make([]uint32, 0, len(p))
	for i := 0; i+3 <= len(p); i++ {
		grams = append(grams, uint32(p[i])<<16|uint32(p[i+1])<<8|uint32(p[i+2]))
	}
	slices.Sort(grams)
	var out []gramCount
	var sq float64
	for i := 0; i < len(grams); {
		j := i
		for j < len(grams) && grams[j] == grams[i] {
			j++
		}
		n := int32(j - i)
		out = append(out, gramCount{grams[i], n})
		sq += float64(n * n)
		i = j
	}
	return out, math.Sqrt(sq)
}

// gramCosine is the cosine of two trigram count vectors.
func gramCosine(a []gramCount, na float64, b []gramCount, nb float64) float64 {
	if na == 0 || nb == 0 {
		return 0
	}
	var dot float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].g == b[j].g:
			dot += float64(a[i].n * b[j].n)
			i++
			j++
		case a[i].g < b[j].g:
			i++
		default:
			j++
		}
	}
	return dot / (na * nb)
}

// wordSim is how well word a stands for word b, in [0, 1]: 1 for the same
// stem; for different words, their closeness in meaning (word-vector
// cosine) or spelling (trigram cosine, for words of five letters or more:
// typos), when it reaches softFloor, times softScale; else 0.
func wordSim(a, b *word) float64 {
	if a.stem == b.stem {
		return 1
	}
	s := 0.0
	if len(a.surface) >= 5 && len(b.surface) >= 5 {
		s = gramCosine(a.grams, a.norm, b.grams, b.norm)
	}
	if len(a.vec) > 0 && len(a.vec) == len(b.vec) {
		var dot float32
		for i, x := range a.vec {
			dot += x * b.vec[i]
		}
		s = max(s, float64(dot))
	}
	if s < softFloor {
		return 0
	}
	return softScale * min(s, 1)
}

// learned is the memory prepared for recall: the memory's vocabulary (one
// word per stem), each pair's question and answer as vocabulary ids, and
// the IDF of every stem over the pairs.
type learned struct {
	pairs []MemoryPair
	vecs  *wordVecs

	once   sync.Once
	vocab  []word
	ids    map[string]int32 // stem -> vocabulary id
	idfs   []float64        // per vocabulary id
	qs, as [][]int32        // per pair: its question's and its answer's words
	maxIDF float64          // the IDF of a stem no pair holds
	err    error
}

func newLearned(pairs []MemoryPair, embed EmbedFunc) *learned {
	return &learned{pairs: pairs, vecs: &wordVecs{embed: embed}}
}

// prepare builds the vocabulary and embeds it, once, in one call.
func (l *learned) prepare(ctx context.Context) error {
	l.once.Do(func() {
		ids := map[string]int32{}
		var vocab []word
		var df []int
		toIDs := func(s string, seen map[int32]bool) []int32 {
			ws := splitWords(s)
			out := make([]int32, len(ws))
			for i, w := range ws {
				id, ok := ids[w.stem]
				if !ok {
					id = int32(len(vocab))
					ids[w.stem] = id
					vocab = append(vocab, w)
					df = append(df, 0)
				}
				if !seen[id] {
					seen[id] = true
					df[id]++
				}
				out[i] = id
			}
			return out
		}
		qs := make([][]int32, len(l.pairs))
		as := make([][]int32, len(l.pairs))
		for i, p := range l.pairs {
			seen := map[int32]bool{}
			qs[i] = toIDs(p.Question, seen)
			as[i] = toIDs(p.Answer, seen)
		}
		if err := l.attach(ctx, vocab); err != nil {
			l.err = fmt.Errorf("builtin memory: embed the learned words: %w", err)
			return
		}
		n := float64(len(l.pairs))
		idfs := make([]float64, len(df))
		for i, d := range df {
			idfs[i] = math.Log(1 + (n+1)/float64(d+1))
		}
		l.vocab, l.ids, l.idfs, l.qs, l.as = vocab, ids, idfs, qs, as
		l.maxIDF = math.Log(1 + (n + 1))
	})
	return l.err
}

// attach sets the vectors of ws.
func (l *learned) attach(ctx context.Context, ws []word) error {
	if l.vecs.embed == nil {
		return nil
	}
	sf := make([]string, len(ws))
	for i, w := range ws {
		sf[i] = w.surface
	}
	vs, err := l.vecs.get(ctx, sf)
	if err != nil {
		return err
	}
	for i := range vs {
		ws[i].vec = vs[i]
	}
	return nil
}

// prefetch embeds the words of texts not embedded yet, in one call, so
// that a remote embedder is asked once per question rather than once per
// text.
func (l *learned) prefetch(ctx context.Context, texts []string) error {
	if l.vecs.embed == nil {
		return nil
	}
	var all []string
	seen := map[string]bool{}
	for _, t := range texts {
		for _, w := range splitWords(t) {
			if !seen[w.surface] {
				seen[w.surface] = true
				all = append(all, w.surface)
			}
		}
	}
	if _, err := l.vecs.get(ctx, all); err != nil {
		return fmt.Errorf("builtin memory: embed words: %w", err)
	}
	return nil
}

// words returns the content words of s with their vectors.
func (l *learned) words(ctx context.Context, s string) ([]word, error) {
	ws := splitWords(s)
	if err := l.attach(ctx, ws); err != nil {
		return nil, fmt.Errorf("builtin memory: embed words: %w", err)
	}
	return ws, nil
}

// idf is the IDF of a stem over the pairs, ln(1 + (N+1)/(df+1)): a stem no
// pair holds weighs most.
func (l *learned) idf(stem string) float64 {
	if id, ok := l.ids[stem]; ok {
		return l.idfs[id]
	}
	return l.maxIDF
}

// asked is a question prepared for recall: its words, their IDF weights
// and the weights' sum, and how well each word matches each vocabulary
// word (sim[t][v], see [wordSim]).
type asked struct {
	words []word
	idf   []float64
	total float64
	sim   [][]float32
}

// question prepares a question.
func (l *learned) question(ctx context.Context, question string) (asked, error) {
	if err := l.prepare(ctx); err != nil {
		return asked{}, err
	}
	ws, err := l.words(ctx, question)
	if err != nil {
		return asked{}, err
	}
	q := asked{words: ws, idf: make([]float64, len(ws)), sim: make([][]float32, len(ws))}
	for t := range ws {
		q.idf[t] = l.idf(ws[t].stem)
		q.total += q.idf[t]
		row := make([]float32, len(l.vocab))
		for v := range l.vocab {
			row[v] = float32(wordSim(&ws[t], &l.vocab[v]))
		}
		q.sim[t] = row
	}
	return q, nil
}

// match is how well one pair (or doc unit) fits a question.
type match struct {
	// cover is the IDF-weighted share of the asked question's words the
	// pair holds: a word of its learned question counts 1, one only in its
	// answer answerWeight, a close word its wordSim times that.
	cover float64
	// back is the IDF-weighted share of the learned question's words the
	// asked question holds (1 for the same word, wordSim for a close one).
	back float64
	// words is how well the pair holds each asked word (what cover sums).
	words []float64
}

// score blends cover and back into the recall score, in [0, 1].
func (m match) score() float64 { return coverWeight*m.cover + (1-coverWeight)*m.back }

// fitPair scores learned pair i against q.
func (l *learned) fitPair(q asked, i int) match {
	key, body := l.qs[i], l.as[i]
	return l.fitWith(q, len(key), len(body),
		func(t, k int) float64 { return float64(q.sim[t][key[k]]) },
		func(t, k int) float64 { return float64(q.sim[t][body[k]]) },
		func(k int) float64 { return l.idfs[key[k]] })
}

// fitText scores key (a doc unit's heading) and body (the unit) against q,
// as if they were a learned question and its answer.
func (l *learned) fitText(q asked, key, body []word) match {
	return l.fitWith(q, len(key), len(body),
		func(t, k int) float64 { return wordSim(&q.words[t], &key[k]) },
		func(t, k int) float64 { return wordSim(&q.words[t], &body[k]) },
		func(k int) float64 { return l.idf(key[k].stem) })
}

// fitWith computes a match from how well each asked word t matches word k
// of the key (keySim) and of the body (bodySim), and the key words' IDF.
func (l *learned) fitWith(q asked, nKey, nBody int, keySim, bodySim func(t, k int) float64, keyIDF func(k int) float64) match {
	m := match{words: make([]float64, len(q.words))}
	if q.total == 0 {
		return m
	}
	back := make([]float64, nKey)
	for t := range q.words {
		best := 0.0
		for k := 0; k < nKey; k++ {
			s := keySim(t, k)
			best = max(best, s)
			back[k] = max(back[k], s)
		}
		if best < 1 {
			for k := 0; k < nBody; k++ {
				best = max(best, answerWeight*bodySim(t, k))
			}
		}
		m.words[t] = best
		m.cover += q.idf[t] * best
	}
	m.cover /= q.total
	var total float64
	for k := 0; k < nKey; k++ {
		w := keyIDF(k)
		m.back += w * back[k]
		total += w
	}
	if total > 0 {
		m.back /= total
	}
	return m
}
