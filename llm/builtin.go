package llm

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/synth-dev/synth/dataset"
)

// BuiltinRefusal is what the built-in docs bot says when it is not
// confident enough to answer.
const BuiltinRefusal = "Sorry, I don't understand. Please contact support."

// DefaultBuiltinMemoryThreshold is the recall score (0 to 1) the best
// learned pair needs for the bot to answer from its memory.
const DefaultBuiltinMemoryThreshold = 0.35

// minBack is the least share (IDF-weighted) of the best learned question's
// words that the asked question must hold for the bot to answer from
// memory: a pair that shares one word with a long question about
// something else is not recalled.
const minBack = 0.25

// docTie is how much better than the best learned pair a doc sentence must
// fit a question (on the same recall score) for the bot to answer from the
// docs instead: on a tie the learned answer, a whole answer, wins over one
// sentence of the docs.
const docTie = 0.02

// Sources of a built-in answer (see [BuiltinAnswer]).
const (
	SourceMemory  = "memory"
	SourceDocs    = "docs"
	SourceRefusal = "refusal"
)

// Weights of the built-in bot's confidence in a doc sentence: the square
// root of how much of the question the sentence covers (IDF-weighted over
// the retrieved chunks), the chunk's retrieval score, and how much of the
// question the chunk's heading covers. They sum to 1, so the confidence is
// in [0, 1].
const (
	weightCoverage  = 0.7
	weightRetrieval = 0.2
	weightHeading   = 0.1
)

// SearchFunc retrieves the k help-doc chunks most relevant to query, best
// first, with Chunk.Score set to the retrieval similarity. A knowledge
// base's Search method is one.
type SearchFunc func(ctx context.Context, query string, k int) ([]dataset.Chunk, error)

// Builtin is the offline built-in docs bot: an extractive, rule-based
// support bot. For a question (the last user message of a request) it
//
//  1. takes the request's Contexts or, when there are none, searches the
//     help docs for K chunks;
//  2. when it has a memory of learned Q&A pairs, recalls the pair that best
//     fits the question — by the words of the learned question and of its
//     answer, matched by stem, spelling and (with [Builtin.WithEmbed]) by
//     meaning — and answers with its answer (plus, for a question about
//     two things, the learned answer to the part it leaves out) when the
//     pair's recall score reaches the memory threshold, the asked question
//     holds enough of the learned one, and no sentence of the retrieved
//     docs fits the question clearly better;
//  3. otherwise scores every sentence, list item and table row of the
//     chunks against the question and answers with the best one and up to
//     two adjacent ones (a whole numbered list when the best is a step);
//  4. says [BuiltinRefusal] when the best confidence is below the threshold.
//
// It is deterministic (ties go to the better-ranked chunk, then the earlier
// sentence, then the earlier memory line), needs no network, and is safe
// for concurrent use. It spends no tokens: every Response reports zero
// usage.
type Builtin struct {
	threshold    float64
	memThreshold float64
	k            int
	search       SearchFunc
	embed        EmbedFunc
	mem          *memory

	mu   sync.RWMutex
	prep map[string][]unit // chunk id -> units; bounded by maxPrepared
}

// maxPrepared bounds the cache of split chunks.
const maxPrepared = 8192

var _ Model = (*Builtin)(nil)

// NewBuiltin returns the built-in bot. search may be nil: the bot then
// answers only from its memory and from the Contexts of requests. A zero
// cfg.K is [DefaultBuiltinK] and a zero cfg.MemoryThreshold is
// [DefaultBuiltinMemoryThreshold]; cfg.Memory, when set, is a memory file
// read now (see [ParseMemory]).
func NewBuiltin(cfg BuiltinConfig, search SearchFunc) (*Builtin, error) {
	b := &Builtin{
		threshold:    cfg.Threshold,
		memThreshold: cfg.MemoryThreshold,
		k:            cfg.K,
		search:       search,
		prep:         map[string][]unit{},
	}
	if b.threshold < 0 || b.threshold > 1 || math.IsNaN(b.threshold) {
		return nil, fmt.Errorf("builtin: threshold must be between 0 and 1, got %g", b.threshold)
	}
	if b.memThreshold == 0 {
		b.memThreshold = DefaultBuiltinMemoryThreshold
	}
	if b.memThreshold < 0 || b.memThreshold > 1 || math.IsNaN(b.memThreshold) {
		return nil, fmt.Errorf("builtin: memory_threshold must be between 0 and 1, got %g", b.memThreshold)
	}
	if b.k == 0 {
		b.k = DefaultBuiltinK
	}
	if b.k < 0 {
		return nil, fmt.Errorf("builtin: k must be at least 1, got %d", b.k)
	}
	if cfg.Memory != "" {
		pairs, err := ReadMemory(cfg.Memory)
		if err != nil {
			return nil, err
		}
		b.mem = newMemory(pairs, nil)
	}
	return b, nil
}

// WithMemory returns a copy of b that answers from pairs (replacing any
// memory b had); the copy shares b's search and embed functions.
func (b *Builtin) WithMemory(pairs []MemoryPair) *Builtin {
	c := &Builtin{threshold: b.threshold, memThreshold: b.memThreshold, k: b.k, search: b.search, embed: b.embed, prep: map[string][]unit{}}
	c.mem = newMemory(pairs, b.embed)
	return c
}

// WithEmbed returns a copy of b that, when it recalls learned pairs,
// compares words by meaning through embed (the knowledge base's embedder,
// one word per text): a question about a "yearly" price then finds a pair
// that says "annually". Without it, words match by stem and spelling only.
// Each distinct word is embedded once; an embed error fails the answer.
func (b *Builtin) WithEmbed(embed EmbedFunc) *Builtin {
	c := &Builtin{threshold: b.threshold, memThreshold: b.memThreshold, k: b.k, search: b.search, embed: embed, prep: map[string][]unit{}}
	if b.mem != nil {
		c.mem = newMemory(b.mem.pairs, embed)
	}
	return c
}

// NewBuiltinFunc returns the [BuiltinFunc] to pass in [OpenOptions].Builtin:
// it builds a [Builtin] from a model's config that retrieves with search
// (a knowledge base's Search method).
func NewBuiltinFunc(search SearchFunc) BuiltinFunc {
	return func(_ context.Context, _ string, cfg Config) (Model, error) {
		b, err := NewBuiltin(cfg.Builtin, search)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
}

// BuiltinAnswer is the bot's answer with how it came about (for `synth ask`
// and tests).
type BuiltinAnswer struct {
	// Text is the answer.
	Text string
	// Source is SourceMemory, SourceDocs or SourceRefusal.
	Source string
	// Confidence is the best learned pair's recall score (memory answers)
	// or the best sentence's confidence (docs answers and refusals), in
	// [0, 1].
	Confidence float64
	// Chunks are the ids of the chunks the answer was taken from.
	Chunks []string
	// MemoryLine is the memory file line of a memory answer's best pair.
	MemoryLine int
	// MemoryLines are the memory file lines of every pair a memory answer
	// joins, the best first.
	MemoryLines []int
}

// Generate answers the last user message of req (see [Builtin]).
func (b *Builtin) Generate(ctx context.Context, req Request) (Response, error) {
	a, err := b.Answer(ctx, Question(req), req.Contexts)
	if err != nil {
		return Response{}, err
	}
	return Response{Text: a.Text, Model: ProviderBuiltin}, nil
}

// Question returns the question a request asks: its last user message, or,
// when that message is a RAG prompt (excerpts, then a last line starting
// "Question: "), the text after that prefix.
func Question(req Request) string {
	q := ""
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == User {
			q = req.Messages[i].Content
			break
		}
	}
	if i := strings.LastIndex(q, "\nQuestion: "); i >= 0 {
		q = q[i+len("\nQuestion: "):]
	}
	return strings.TrimSpace(q)
}

// Answer answers question from memory or from contexts (or, when contexts
// is empty, from a search of the help docs); see [Builtin].
func (b *Builtin) Answer(ctx context.Context, question string, contexts []dataset.Chunk) (BuiltinAnswer, error) {
	if err := ctx.Err(); err != nil {
		return BuiltinAnswer{}, err
	}
	refuse := func(conf float64) BuiltinAnswer {
		return BuiltinAnswer{Text: BuiltinRefusal, Source: SourceRefusal, Confidence: conf}
	}
	if strings.TrimSpace(question) == "" {
		return refuse(0), nil
	}
	if len(contexts) == 0 && b.search != nil {
		var err error
		contexts, err = b.search(ctx, question, b.k)
		if err != nil {
			return BuiltinAnswer{}, fmt.Errorf("builtin: search the help docs: %w", err)
		}
	}
	if b.mem != nil {
		r, ok, err := b.mem.lookup(ctx, question, contexts, b.units)
		if err != nil {
			return BuiltinAnswer{}, err
		}
		if ok && r.score >= b.memThreshold && r.back >= minBack && r.score >= r.doc-docTie {
			lines := r.lines()
			return BuiltinAnswer{Text: r.answer(), Source: SourceMemory, Confidence: r.score, MemoryLine: lines[0], MemoryLines: lines}, nil
		}
	}
	q := contentStems(question)
	if len(q) == 0 || len(contexts) == 0 {
		return refuse(0), nil
	}
	units := make([][]unit, len(contexts))
	for i, c := range contexts {
		units[i] = b.units(c)
	}
	idf, total := questionIDF(q, units)
	if total == 0 {
		return refuse(0), nil
	}
	type scored struct {
		chunk, at int
		conf, cov float64
	}
	best := scored{chunk: -1}
	conf := make([][]float64, len(contexts))
	cover := make([][]float64, len(contexts))
	for i, c := range contexts {
		head := coverage(q, idf, total, contentStems(c.Heading))
		ret := clamp01(c.Score)
		conf[i] = make([]float64, len(units[i]))
		cover[i] = make([]float64, len(units[i]))
		for j := range units[i] {
			u := &units[i][j]
			h := head
			if u.local != "" {
				h = max(h, coverage(q, idf, total, contentStems(u.local)))
			}
			cov := coverage(q, idf, total, u.stems)
			s := weightCoverage*math.Sqrt(cov) + weightRetrieval*ret + weightHeading*h
			if strings.HasSuffix(u.text, "?") {
				s *= 0.8 // a question is a poor answer
			}
			if cov == 0 {
				s = 0 // a sentence sharing nothing with the question answers nothing
			}
			conf[i][j], cover[i][j] = s, cov
			if s > best.conf {
				best = scored{chunk: i, at: j, conf: s, cov: cov}
			}
		}
	}
	if best.chunk < 0 || best.conf < b.threshold {
		return refuse(best.conf), nil
	}
	text := assemble(q, idf, units[best.chunk], cover[best.chunk], best.at)
	return BuiltinAnswer{Text: text, Source: SourceDocs, Confidence: best.conf, Chunks: []string{contexts[best.chunk].ID}}, nil
}

// units returns the answer units of c, splitting it once per chunk id.
func (b *Builtin) units(c dataset.Chunk) []unit {
	if c.ID == "" {
		return splitUnits(c.Text)
	}
	b.mu.RLock()
	us, ok := b.prep[c.ID]
	b.mu.RUnlock()
	if ok {
		return us
	}
	us = splitUnits(c.Text)
	b.mu.Lock()
	if len(b.prep) >= maxPrepared {
		clear(b.prep)
	}
	b.prep[c.ID] = us
	b.mu.Unlock()
	return us
}

// questionIDF weighs each question stem by how rare it is among the units
// of the retrieved chunks: ln(1 + (N+1)/(df+1)) for N units, df of which
// contain it. Stems found nowhere weigh most, so a question about something
// the chunks never mention gets low coverage everywhere.
func questionIDF(q []string, units [][]unit) (idf []float64, total float64) {
	df := make([]int, len(q))
	n := 0
	for _, us := range units {
		for _, u := range us {
			n++
			for k, t := range q {
				if hasStem(u.stems, t) {
					df[k]++
				}
			}
		}
	}
	idf = make([]float64, len(q))
	for k := range q {
		idf[k] = math.Log(1 + float64(n+1)/float64(df[k]+1))
		total += idf[k]
	}
	return idf, total
}

// coverage is the IDF-weighted share of the question's stems found in stems.
func coverage(q []string, idf []float64, total float64, stems []string) float64 {
	if total == 0 {
		return 0
	}
	var s float64
	for k, t := range q {
		if hasStem(stems, t) {
			s += idf[k]
		}
	}
	return s / total
}

func hasStem(stems []string, t string) bool {
	for _, s := range stems {
		if s == t {
			return true
		}
	}
	return false
}

// assemble builds the answer around units[at]: the whole numbered list when
// it is a step; otherwise it and up to two more units of the same chunk,
// in document order, each chosen greedily because it covers question stems
// the answer lacks (weighted by IDF) while being relevant itself (at least
// half the best unit's coverage), or because it completes a unit already
// chosen (the next unit after one that is short or ends with ":" or "?").
func assemble(q []string, idf []float64, us []unit, cov []float64, at int) string {
	u := us[at]
	if u.kind == unitStep {
		var b strings.Builder
		item := 0
		for _, v := range us {
			if v.block != u.block {
				continue
			}
			if v.item != item {
				if item != 0 {
					b.WriteString("\n")
				}
				item = v.item
				b.WriteString(strconv.Itoa(item))
				b.WriteString(". ")
			} else {
				b.WriteString(" ")
			}
			b.WriteString(v.text)
		}
		return b.String()
	}
	chosen := make([]bool, len(us))
	covered := make([]bool, len(q))
	take := func(j int) {
		chosen[j] = true
		for k, t := range q {
			if hasStem(us[j].stems, t) {
				covered[k] = true
			}
		}
	}
	take(at)
	for n := 1; n < 3; n++ {
		// A chosen unit that does not stand alone takes its successor first.
		next := -1
		for j := range us {
			if chosen[j] && j+1 < len(us) && !chosen[j+1] && us[j+1].kind != unitStep && us[j+1].block == us[j].block {
				t := us[j].text
				if strings.HasSuffix(t, ":") || strings.HasSuffix(t, "?") || us[j].words < 6 {
					next = j + 1
					break
				}
			}
		}
		if next < 0 {
			bestGain := 0.0
			for j := range us {
				if chosen[j] || us[j].kind == unitStep || cov[j] < 0.5*cov[at] {
					continue
				}
				var gain float64
				for k, t := range q {
					if !covered[k] && hasStem(us[j].stems, t) {
						gain += idf[k]
					}
				}
				// Ties go to the unit nearest the best one, then the earlier.
				if gain > bestGain || (gain == bestGain && gain > 0 && abs(j-at) < abs(next-at)) {
					next, bestGain = j, gain
				}
			}
		}
		if next < 0 {
			break
		}
		take(next)
	}
	var sel []unit
	for j, c := range chosen {
		if c {
			sel = append(sel, us[j])
		}
	}
	return joinUnits(sel)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func joinUnits(us []unit) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.text
	}
	return strings.Join(parts, " ")
}

func clamp01(f float64) float64 {
	switch {
	case f != f || f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}
