package generators

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/synth-dev/synth/dataset"
)

func TestParsePairs(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []Pair
		err  string
	}{
		{"canonical", `{"pairs": [{"question": "Q1?", "answer": "A1.", "chunk_ids": [1, "2"]}]}`,
			[]Pair{{"Q1?", "A1.", []string{"1", "2"}}}, ""},
		{"code fence and prose", "Here you go:\n```json\n{\"pairs\": [{\"question\": \"Q?\", \"answer\": \"A.\"}]}\n```\nHope it helps!",
			[]Pair{{"Q?", "A.", nil}}, ""},
		{"bare array with synonyms", `[{"q": "Q?", "a": "A.", "sources": "1, 3"}]`,
			[]Pair{{"Q?", "A.", []string{"1", "3"}}}, ""},
		{"single pair", `{"question": "Q?", "answer": "A.", "chunk_id": 2}`, []Pair{{"Q?", "A.", []string{"2"}}}, ""},
		{"trailing commas", `{"pairs": [{"question": "Q?", "answer": "A.",},]}`, []Pair{{"Q?", "A.", nil}}, ""},
		{"other list key", `{"qa_pairs": [{"Question": "Q?", "Answer": "A."}]}`, []Pair{{"Q?", "A.", nil}}, ""},
		{"braces inside strings", `{"pairs": [{"question": "What is {name}?", "answer": "A [1] }"}]}`, []Pair{{"What is {name}?", "A [1] }", nil}}, ""},
		{"incomplete pairs skipped", `{"pairs": [{"question": "Q?"}, {"question": "Q2?", "answer": "A2."}]}`, []Pair{{"Q2?", "A2.", nil}}, ""},
		{"no usable pair", `{"pairs": [{"question": "Q?"}]}`, nil, "no pair with both"},
		{"not json", `I cannot do that.`, nil, "no JSON object"},
		{"empty", ``, nil, "empty reply"},
		{"wrong shape", `{"pairs": "none", "notes": "x"}`, nil, `expected {"pairs"`},
		{"truncated", `{"pairs": [{"question": "Q?", "answer": "A`, nil, "no valid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePairs(c.text)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i].Question != c.want[i].Question || got[i].Answer != c.want[i].Answer || strings.Join(got[i].Refs, ",") != strings.Join(c.want[i].Refs, ",") {
					t.Fatalf("pair %d: got %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestResolveRefs(t *testing.T) {
	chunks := []dataset.Chunk{{ID: "aaa"}, {ID: "bbb"}, {ID: "ccc"}}
	got := ResolveRefs([]string{"[2]", "C1", "chunk 3", "bbb", "0", "4", "x", "ccc"}, chunks)
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, ",") != "bbb,aaa,ccc" {
		t.Fatalf("resolved %v", ids)
	}
}

// FuzzParsePairs: parsing model output never panics; every pair it returns
// has a question and an answer; a canonical reply of those pairs parses back
// to the same pairs.
func FuzzParsePairs(f *testing.F) {
	for _, s := range []string{
		`{"pairs": [{"question": "Q?", "answer": "A.", "chunk_ids": [1]}]}`,
		"```json\n[{\"q\": \"Q\", \"a\": \"A\"}]\n```",
		`{"pairs": [{"question": "Q?", "answer": "A.",},]}`,
		`{"question": "x", "answer": "y", "sources": [1, 2.5, "C3"]}`,
		`{{{[[[`, `"]}`, `{"pairs": [{"question": "\u0000", "answer": "\ud800"}]}`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		pairs, err := ParsePairs(text)
		if err != nil {
			return
		}
		if len(pairs) == 0 {
			t.Fatal("no error and no pairs")
		}
		for _, p := range pairs {
			if p.Question == "" || p.Answer == "" {
				t.Fatalf("pair without question or answer: %+v", p)
			}
		}
		if !utf8.ValidString(text) {
			return // re-encoding replaces invalid bytes
		}
		raw, err := json.Marshal(map[string]any{"pairs": pairs})
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParsePairs(string(raw))
		if err != nil || len(again) != len(pairs) {
			t.Fatalf("round trip: %v, %d vs %d pairs", err, len(again), len(pairs))
		}
		for i := range pairs {
			if again[i].Question != pairs[i].Question || again[i].Answer != pairs[i].Answer {
				t.Fatalf("round trip changed pair %d: %+v -> %+v", i, pairs[i], again[i])
			}
		}
	})
}

// FuzzParseParaphrases: never panics, and returns exactly n lists.
func FuzzParseParaphrases(f *testing.F) {
	f.Add(`{"paraphrases": [{"index": 1, "questions": ["a"]}]}`, 2)
	f.Add(`[["a"], ["b"]]`, 2)
	f.Add(`{"questions": [{"index": "-3", "question": "x"}]}`, 1)
	f.Fuzz(func(t *testing.T, text string, n int) {
		if n < 0 || n > 1000 {
			return
		}
		got, err := ParseParaphrases(text, n)
		if err == nil && len(got) != n {
			t.Fatalf("%d lists for n=%d", len(got), n)
		}
	})
}
