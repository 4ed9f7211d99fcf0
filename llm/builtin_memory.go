package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// MemoryPair is one learned question and its answer.
type MemoryPair struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	// Line is the pair's line in its file (1-based; 0 when not from a file).
	Line int `json:"-"`
}

// MemoryError is a bad line in a memory file.
type MemoryError struct {
	File string
	Line int
	Msg  string
}

func (e *MemoryError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ReadMemory reads a memory file (see [ParseMemory]).
func ReadMemory(path string) ([]MemoryPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("builtin memory: %w", err)
	}
	defer f.Close()
	return ParseMemory(path, f)
}

// ParseMemory reads learned Q&A pairs from JSONL, one pair per line, in any
// of the shapes synth writes or exports:
//
//   - {"question": ..., "answer": ...} (what `synth tune` writes; also synth's
//     native generated-sample records, whose "answer" may be a list: the
//     first is used; records carrying "rejections" were rejected by the
//     generate pipeline and are skipped);
//   - {"input": ..., "ideal"|"output": ...} (OpenAI evals, Lamini);
//   - {"instruction", "input", "output"} (Alpaca; a non-empty input is
//     appended to the instruction);
//   - {"prompt", "chosen"} (DPO);
//   - {"messages": [{"role", "content"}, ...]} (OpenAI chat fine-tuning) and
//     {"conversations": [{"from", "value"}, ...]} (ShareGPT): every user turn
//     followed by an assistant turn is a pair.
//
// Blank lines are skipped. A line that is not JSON, or holds no pair, is a
// *[MemoryError] naming name:line.
func ParseMemory(name string, r io.Reader) ([]MemoryPair, error) {
	var out []MemoryPair
	err := dataset.ScanJSONLReader(name, r, func(line int, raw []byte) error {
		pairs, err := memoryLine(bytes.TrimSpace(raw))
		if err != nil {
			return err
		}
		for _, p := range pairs {
			p.Line = line
			out = append(out, p)
		}
		return nil
	})
	var ie *dataset.InputError
	if errors.As(err, &ie) {
		return nil, &MemoryError{File: ie.File, Line: ie.Line, Msg: ie.Msg}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// memoryRecord is the union of the accepted shapes.
type memoryRecord struct {
	Question    *string         `json:"question"`
	Answer      json.RawMessage `json:"answer"`
	Input       json.RawMessage `json:"input"`
	Ideal       json.RawMessage `json:"ideal"`
	Output      *string         `json:"output"`
	Instruction *string         `json:"instruction"`
	Prompt      *string         `json:"prompt"`
	Chosen      *string         `json:"chosen"`
	Rejections  []string        `json:"rejections"`
	Messages    []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Conversations []struct {
		From  string `json:"from"`
		Value string `json:"value"`
	} `json:"conversations"`
}

func memoryLine(b []byte) ([]MemoryPair, error) {
	if b[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var rec memoryRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err // described by the scanner: "not valid JSON: ... (column N)"
	}
	one := func(q, a string) ([]MemoryPair, error) {
		q, a = strings.TrimSpace(q), strings.TrimSpace(a)
		switch {
		case q == "":
			return nil, errors.New("empty question")
		case a == "":
			return nil, errors.New("empty answer")
		}
		return []MemoryPair{{Question: q, Answer: a}}, nil
	}
	switch {
	case rec.Messages != nil || rec.Conversations != nil:
		var pairs []MemoryPair
		var q string
		add := func(role, content string) {
			switch role {
			case "user", "human":
				q = content
			case "assistant", "gpt":
				if strings.TrimSpace(q) != "" && strings.TrimSpace(content) != "" {
					pairs = append(pairs, MemoryPair{Question: strings.TrimSpace(q), Answer: strings.TrimSpace(content)})
				}
				q = ""
			}
		}
		for _, m := range rec.Messages {
			add(m.Role, m.Content)
		}
		for _, c := range rec.Conversations {
			add(c.From, c.Value)
		}
		if len(pairs) == 0 {
			return nil, errors.New("no user message followed by an assistant message")
		}
		return pairs, nil
	case rec.Question != nil:
		if len(rec.Rejections) > 0 {
			return nil, nil // a rejected generated sample: not learned
		}
		a, err := textOrFirst(rec.Answer, "answer")
		if err != nil {
			return nil, err
		}
		return one(*rec.Question, a)
	case rec.Instruction != nil:
		q := *rec.Instruction
		in, err := textOrFirst(rec.Input, "input")
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(in) != "" {
			q += "\n" + in
		}
		if rec.Output == nil {
			return nil, errors.New(`missing "output"`)
		}
		return one(q, *rec.Output)
	case rec.Prompt != nil:
		if rec.Chosen == nil {
			return nil, errors.New(`missing "chosen"`)
		}
		return one(*rec.Prompt, *rec.Chosen)
	case rec.Input != nil:
		q, err := textOrFirst(rec.Input, "input")
		if err != nil {
			return nil, err
		}
		var a string
		switch {
		case rec.Output != nil:
			a = *rec.Output
		case rec.Ideal != nil:
			if a, err = textOrFirst(rec.Ideal, "ideal"); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New(`missing "output" or "ideal"`)
		}
		return one(q, a)
	}
	return nil, errors.New(`no Q&A pair: want {"question", "answer"}, {"messages": [...]}, {"input", "output"}, {"instruction", "output"}, {"prompt", "chosen"} or {"conversations": [...]}`)
}

// textOrFirst decodes a JSON string, or the first string of a list.
func textOrFirst(raw json.RawMessage, key string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err == nil {
		for _, e := range l {
			if strings.TrimSpace(e) != "" {
				return e, nil
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("%q must be a string or a list of strings", key)
}

// memory is the loaded memory: the learned pairs, prepared for recall.
type memory struct {
	pairs []MemoryPair
	learn *learned
}

func newMemory(pairs []MemoryPair, embed EmbedFunc) *memory {
	return &memory{pairs: pairs, learn: newLearned(pairs, embed)}
}

// recall is what the memory knows about a question.
type recall struct {
	// pairs are the chosen pairs, the best first.
	pairs []MemoryPair
	// score is the best pair's recall score, and back how much of its
	// learned question the asked question holds (see [match]).
	score, back float64
	// doc is the best recall score of a unit of the request's contexts,
	// scored as if it were a learned pair (heading as question, unit as
	// answer).
	doc float64
}

// answer joins the chosen pairs' answers, leaving out the paragraphs an
// earlier answer already gave.
func (r recall) answer() string {
	var parts []string
	for _, p := range r.pairs {
		parts = append(parts, newParagraphs(p.Answer, parts)...)
	}
	return strings.Join(parts, "\n\n")
}

// newParagraphs returns the paragraphs of answer that have not been given.
func newParagraphs(answer string, given []string) []string {
	var out []string
	for _, par := range strings.Split(answer, "\n\n") {
		if par = strings.TrimSpace(par); par != "" && !slices.Contains(given, par) && !slices.Contains(out, par) {
			out = append(out, par)
		}
	}
	return out
}

// lines are the chosen pairs' memory file lines.
func (r recall) lines() []int {
	out := make([]int, len(r.pairs))
	for i, p := range r.pairs {
		out[i] = p.Line
	}
	return out
}

// Memory assembly: besides the best pair, up to maxExtraPairs more whose
// recall score is at least extraRelevance of the best one's and which each
// hold at least extraGain (IDF-weighted share) of the question's words that
// the pairs chosen so far lack — a question about two things gets both
// learned answers.
const (
	maxExtraPairs  = 1
	extraRelevance = 0.7
	extraGain      = 0.15
)

// lookup recalls the learned pair that best fits question (ties go to the
// pair that comes first in the file), adds pairs that answer the parts of
// the question it leaves out, and scores the units of contexts the same
// way, so that the caller can tell whether the docs at hand fit the
// question better than anything learned. It returns ok false for an empty
// memory or a question without content words.
func (m *memory) lookup(ctx context.Context, question string, contexts []dataset.Chunk, units func(dataset.Chunk) []unit) (r recall, ok bool, err error) {
	if m == nil || len(m.pairs) == 0 {
		return recall{}, false, nil
	}
	l := m.learn
	if err := l.prepare(ctx); err != nil {
		return recall{}, false, err
	}
	texts := []string{question}
	for _, c := range contexts {
		for _, u := range units(c) {
			texts = append(texts, c.Heading+"\n"+u.local, u.text)
		}
	}
	if err := l.prefetch(ctx, texts); err != nil {
		return recall{}, false, err
	}
	q, err := l.question(ctx, question)
	if err != nil {
		return recall{}, false, err
	}
	if q.total == 0 {
		return recall{}, false, nil
	}
	at := -1
	fits := make([]match, len(m.pairs))
	for i := range m.pairs {
		fits[i] = l.fitPair(q, i)
		if s := fits[i].score(); at < 0 || s > r.score {
			at, r.score = i, s
		}
	}
	r.back = fits[at].back
	r.pairs = []MemoryPair{m.pairs[at]}
	chosen := map[int]bool{at: true}
	covered := slices.Clone(fits[at].words)
	for len(r.pairs) <= maxExtraPairs {
		next, bestGain := -1, 0.0
		for i := range m.pairs {
			if chosen[i] || fits[i].score() < extraRelevance*r.score || overlaps(m.pairs[i].Answer, r.pairs) {
				continue
			}
			var gain float64
			for t := range q.words {
				gain += q.idf[t] * max(0, fits[i].words[t]-covered[t])
			}
			if gain /= q.total; gain >= extraGain && gain > bestGain {
				next, bestGain = i, gain
			}
		}
		if next < 0 {
			break
		}
		chosen[next] = true
		r.pairs = append(r.pairs, m.pairs[next])
		for t := range covered {
			covered[t] = max(covered[t], fits[next].words[t])
		}
	}
	for _, c := range contexts {
		for _, u := range units(c) {
			key, err := l.words(ctx, c.Heading+"\n"+u.local)
			if err != nil {
				return recall{}, false, err
			}
			body, err := l.words(ctx, u.text)
			if err != nil {
				return recall{}, false, err
			}
			r.doc = max(r.doc, l.fitText(q, key, body).score())
		}
	}
	return r, true, nil
}

// overlaps reports whether answer adds nothing to the chosen pairs'
// answers: every paragraph of it was given, or it is part of one.
func overlaps(answer string, chosen []MemoryPair) bool {
	var given []string
	for _, p := range chosen {
		if strings.Contains(p.Answer, strings.TrimSpace(answer)) {
			return true
		}
		given = append(given, newParagraphs(p.Answer, given)...)
	}
	return len(newParagraphs(answer, given)) == 0
}
