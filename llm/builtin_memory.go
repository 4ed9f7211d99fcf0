package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// maxMemoryLine caps one line of a memory file.
const maxMemoryLine = 16 << 20

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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxMemoryLine)
	var out []MemoryPair
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(b) == 0 {
			continue
		}
		pairs, err := memoryLine(b)
		if err != nil {
			return nil, &MemoryError{File: name, Line: line, Msg: err.Error()}
		}
		for _, p := range pairs {
			p.Line = line
			out = append(out, p)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &MemoryError{File: name, Line: line + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxMemoryLine)}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
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
		return nil, fmt.Errorf("invalid JSON: %v", err)
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

// memory is the loaded memory: each learned question prepared for matching.
type memory struct {
	pairs []MemoryPair
	keys  []memKey
}

func newMemory(pairs []MemoryPair) *memory {
	m := &memory{pairs: pairs, keys: make([]memKey, len(pairs))}
	for i, p := range pairs {
		m.keys[i] = makeMemKey(p.Question)
	}
	return m
}

// memKey is a question prepared for similarity: the hashes of its content
// stems and its character trigrams (bytes packed into a uint32), each sorted.
type memKey struct {
	stems []uint64
	grams []gramCount
	norm  float64
}

type gramCount struct {
	g uint32
	n int32
}

var stemSeed = maphash.MakeSeed()

func makeMemKey(q string) memKey {
	st := contentStems(q)
	k := memKey{stems: make([]uint64, len(st))}
	for i, s := range st {
		k.stems[i] = maphash.String(stemSeed, s)
	}
	slices.Sort(k.stems)
	// Trigrams over the content words (unstemmed), each padded with spaces.
	var grams []uint32
	for _, w := range words(q, nil) {
		if stopWords[w] {
			continue
		}
		p := " " + w + " "
		for i := 0; i+3 <= len(p); i++ {
			grams = append(grams, uint32(p[i])<<16|uint32(p[i+1])<<8|uint32(p[i+2]))
		}
	}
	slices.Sort(grams)
	var sq float64
	for i := 0; i < len(grams); {
		j := i
		for j < len(grams) && grams[j] == grams[i] {
			j++
		}
		n := int32(j - i)
		k.grams = append(k.grams, gramCount{grams[i], n})
		sq += float64(n * n)
		i = j
	}
	k.norm = math.Sqrt(sq)
	return k
}

// similarity of two prepared questions in [0, 1]: the largest of the
// Jaccard index of their content-stem sets, the share of the shorter set
// found in the other (when it has at least 3 stems, damped to 0.9), and the
// cosine of their character-trigram counts (which forgives typos).
func similarity(a, b memKey) float64 {
	inter := 0
	for i, j := 0, 0; i < len(a.stems) && j < len(b.stems); {
		switch {
		case a.stems[i] == b.stems[j]:
			inter++
			i++
			j++
		case a.stems[i] < b.stems[j]:
			i++
		default:
			j++
		}
	}
	best := 0.0
	if union := len(a.stems) + len(b.stems) - inter; union > 0 {
		best = float64(inter) / float64(union)
	}
	if short := min(len(a.stems), len(b.stems)); short >= 3 {
		best = max(best, 0.9*float64(inter)/float64(short))
	}
	if a.norm > 0 && b.norm > 0 {
		var dot float64
		for i, j := 0, 0; i < len(a.grams) && j < len(b.grams); {
			switch {
			case a.grams[i].g == b.grams[j].g:
				dot += float64(a.grams[i].n * b.grams[j].n)
				i++
				j++
			case a.grams[i].g < b.grams[j].g:
				i++
			default:
				j++
			}
		}
		best = max(best, dot/(a.norm*b.norm))
	}
	return best
}

// lookup returns the learned pair closest to q and its similarity; ties go
// to the pair that comes first in the file. ok is false for an empty memory.
func (m *memory) lookup(q memKey) (pair MemoryPair, sim float64, ok bool) {
	if m == nil || len(m.pairs) == 0 {
		return MemoryPair{}, 0, false
	}
	at := -1
	for i, k := range m.keys {
		if s := similarity(q, k); at < 0 || s > sim {
			at, sim = i, s
		}
	}
	return m.pairs[at], sim, true
}
