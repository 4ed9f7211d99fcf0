package generators

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// ExtractJSON finds the JSON value a model meant to send in its reply: the
// first object or array that parses, after code fences, leading prose and
// trailing remarks. Trailing commas before a closing bracket (a common slip)
// are tolerated. It returns the value's bytes.
func ExtractJSON(text string) ([]byte, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, errors.New("empty reply")
	}
	tried := 0
	var firstErr error
	for i := 0; i < len(s) && tried < 32; i++ {
		if s[i] != '{' && s[i] != '[' {
			continue
		}
		tried++
		raw, err := decodeAt(s[i:])
		if err == nil {
			return raw, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		return nil, fmt.Errorf("no JSON object in the reply (it starts %q)", clip(s, 60))
	}
	return nil, fmt.Errorf("no valid JSON in the reply: %v", firstErr)
}

// decodeAt decodes the JSON value at the start of s, retrying once with
// trailing commas removed.
func decodeAt(s string) ([]byte, error) {
	var raw json.RawMessage
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	err := dec.Decode(&raw)
	if err == nil {
		return raw, nil
	}
	end := matchingEnd(s)
	if end < 0 {
		return nil, err
	}
	fixed := dropTrailingCommas(s[:end+1])
	if json.Valid(fixed) {
		return fixed, nil
	}
	return nil, err
}

// matchingEnd returns the index of the bracket closing the one at s[0],
// skipping strings, or -1.
func matchingEnd(s string) int {
	depth := 0
	inStr, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// dropTrailingCommas removes commas that directly precede } or ] (outside strings).
func dropTrailingCommas(s string) []byte {
	out := make([]byte, 0, len(s))
	inStr, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
		}
		if c == ',' {
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			if j < len(s) && (s[j] == '}' || s[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// Pair is one question–answer pair a model wrote.
type Pair struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	// Refs are the chunk references the model cited, as written ("1", "C2", a chunk id).
	Refs []string `json:"chunk_ids,omitempty"`
}

// Keys the parser accepts, in order of preference.
var (
	listKeys     = []string{"pairs", "qa_pairs", "qa", "items", "questions", "data", "results", "examples"}
	questionKeys = []string{"question", "q", "prompt", "instruction", "query"}
	answerKeys   = []string{"answer", "a", "response", "output", "reply"}
	refKeys      = []string{"chunk_ids", "chunks", "chunk_id", "sources", "source", "citations", "refs", "references", "context_ids", "excerpts"}
)

// ParsePairs parses a reply of the form {"pairs": [{"question", "answer",
// "chunk_ids"}]} — or a bare array of pairs, or a single pair, with common
// synonyms for the keys — from a model's text (see [ExtractJSON]). Entries
// without a question or an answer are skipped; a reply with no usable pair
// is an error.
func ParsePairs(text string) ([]Pair, error) {
	raw, err := ExtractJSON(text)
	if err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	list, err := pairList(v)
	if err != nil {
		return nil, err
	}
	var out []Pair
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		p := Pair{Question: firstString(m, questionKeys), Answer: firstString(m, answerKeys), Refs: refsOf(m)}
		if p.Question == "" || p.Answer == "" {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New(`no pair with both a "question" and an "answer"`)
	}
	return out, nil
}

// pairList finds the list of pairs in a decoded reply.
func pairList(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case map[string]any:
		for _, k := range listKeys {
			if l, ok := lookupFold(x, k).([]any); ok {
				return l, nil
			}
		}
		if firstString(x, questionKeys) != "" {
			return []any{x}, nil
		}
		// One list under any key.
		var only []any
		n := 0
		for _, e := range x {
			if l, ok := e.([]any); ok {
				only = l
				n++
			}
		}
		if n == 1 {
			return only, nil
		}
	}
	return nil, errors.New(`expected {"pairs": [...]}`)
}

// lookupFold returns m[key], matching the key case-insensitively.
func lookupFold(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func firstString(m map[string]any, keys []string) string {
	for _, k := range keys {
		if s, ok := lookupFold(m, k).(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func refsOf(m map[string]any) []string {
	for _, k := range refKeys {
		v := lookupFold(m, k)
		if v == nil {
			continue
		}
		var out []string
		add := func(e any) {
			switch r := e.(type) {
			case string:
				for _, part := range strings.FieldsFunc(r, func(c rune) bool { return c == ',' || c == ' ' || c == ';' }) {
					if part = strings.TrimSpace(part); part != "" {
						out = append(out, part)
					}
				}
			case json.Number:
				out = append(out, r.String())
			case float64:
				if r == math.Trunc(r) && math.Abs(r) < 1e9 {
					out = append(out, strconv.Itoa(int(r)))
				}
			}
		}
		if l, ok := v.([]any); ok {
			for _, e := range l {
				add(e)
			}
		} else {
			add(v)
		}
		return out
	}
	return nil
}

// ResolveRefs maps chunk references as a model wrote them ("1", "[2]", "C3",
// "chunk 4", or a chunk's id) to chunks of the list they were numbered from
// (1-based). Unknown references are dropped; each chunk is returned once,
// in the order cited.
func ResolveRefs(refs []string, chunks []dataset.Chunk) []dataset.Chunk {
	var out []dataset.Chunk
	seen := map[int]bool{}
	for _, r := range refs {
		i := refIndex(r, chunks)
		if i < 0 || seen[i] {
			continue
		}
		seen[i] = true
		out = append(out, chunks[i])
	}
	return out
}

func refIndex(r string, chunks []dataset.Chunk) int {
	r = strings.TrimSpace(r)
	for i, c := range chunks {
		if c.ID != "" && r == c.ID {
			return i
		}
	}
	r = strings.Trim(strings.ToLower(r), "[]()#. ")
	for _, p := range []string{"chunk", "excerpt", "c"} {
		r = strings.TrimSpace(strings.TrimPrefix(r, p))
	}
	n, err := strconv.Atoi(r)
	if err != nil || n < 1 || n > len(chunks) {
		return -1
	}
	return n - 1
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
