package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// checkEvalSet asserts what every eval-set parse must give: either items
// that all have a unique id and a question, or errors that all name the file
// (and a line when they concern one).
func checkEvalSet(t *testing.T, name string, data []byte) {
	t.Helper()
	set, err := ParseEvalSet(name, data)
	if err != nil {
		if set != nil {
			t.Fatalf("both a set and an error")
		}
		for _, e := range flatten(err) {
			var ie *InputError
			if !errors.As(e, &ie) {
				if strings.HasPrefix(e.Error(), "... and ") {
					continue
				}
				t.Fatalf("error %q (%T) is not an *InputError", e, e)
			}
			if ie.File != name || ie.Line < 0 || ie.Msg == "" {
				t.Fatalf("bad InputError %#v", ie)
			}
			if n := countLines(data); ie.Line > n {
				t.Fatalf("line %d past the end of a %d-line input: %v", ie.Line, n, ie)
			}
		}
		return
	}
	if len(set.Items) == 0 {
		t.Fatal("no items and no error")
	}
	seen := map[string]bool{}
	for _, it := range set.Items {
		if it.ID == "" || strings.TrimSpace(it.Question) == "" {
			t.Fatalf("item without id or question: %#v", it)
		}
		if seen[it.ID] {
			t.Fatalf("duplicate id %q", it.ID)
		}
		seen[it.ID] = true
		for _, a := range it.Answers {
			if strings.TrimSpace(a) == "" {
				t.Fatalf("blank answer in %#v", it)
			}
		}
		checkItemRoundTrip(t, it)
	}
}

// countLines counts lines the most generous way (YAML also breaks lines at a
// lone CR, NEL, LS and PS).
func countLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, r := range s {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkItemRoundTrip asserts that it survives JSON and back: the fields
// exactly, Meta up to number types (2.0 comes back as 2).
func checkItemRoundTrip(t *testing.T, it Item) {
	t.Helper()
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatalf("marshal %#v: %v", it, err)
	}
	var back Item
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if back.ID != it.ID || back.Question != it.Question || !reflect.DeepEqual(back.Answers, it.Answers) ||
		!reflect.DeepEqual(back.Tags, it.Tags) || !reflect.DeepEqual(back.Sources, it.Sources) {
		t.Fatalf("round trip changed the item:\n was %#v\n now %#v\n via %s", it, back, b)
	}
	b2, err := json.Marshal(back)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("second round trip differs:\n%s\n%s (%v)", b, b2, err)
	}
}

func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","question":"Q","answer":"A"}` + "\n",
		"\uFEFF{\"question\":\"Q\",\"answer\":[\"A\",\"B\"],\"tags\":\"x;y\"}\r\n\r\n",
		`{"input":[{"role":"system","content":"S"},{"role":"user","content":"Q"}],"ideal":["A"]}`,
		`{"id":1,"question":"Q","meta":{"k":[1,2.5,true,null]},"x":1e400}`,
		`{"id":"a","question":"Q"}` + "\n" + `{"id":"a","question":"Q"}`,
		`{"question":"Q","answer":{"a":1}}` + "\n" + `{"question`,
		"[1]\n\"x\"\nnull\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEvalSet(t, "f.jsonl", data)
		// The results reader: never panics, and a torn line is only ever the last.
		got, torn, err := decodeJSONL[Result]("r.jsonl", bytes.NewReader(data))
		if err == nil && torn != nil {
			if torn.Line != bytes.Count(data, []byte{'\n'})+1 || bytes.HasSuffix(data, []byte{'\n'}) {
				t.Fatalf("torn line %d in %q", torn.Line, data)
			}
		}
		if err != nil && (got != nil || torn != nil) {
			t.Fatal("results with an error")
		}
	})
}

func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{
		`[{"id":"a","question":"Q","answer":"A"}]`,
		`{"items":[{"question":"Q"}],"name":"x"}`,
		"{\"question\":\"Q\"}\n{\"question\":\"R\"}",
		"[\n {\"question\" \"Q\"}\n]",
		`{"items":5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkEvalSet(t, "f.json", data) })
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"id,question,answer,tags\na,Q,A,x;y\n",
		"\uFEFFquestion,answer,answer\r\n\"multi\r\nline\",A,B\r\n",
		"input,ideal,notes\nQ,\"[\"\"A\"\",\"\"B\"\"]\",n\n",
		"question,answer\nQ,\"unterminated\n",
		"id,question\na,Q\na,R\n",
		"question,question\n",
		",,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEvalSet(t, "f.csv", data)
		checkEvalSet(t, "f.tsv", data)
	})
}

func FuzzReadYAML(f *testing.F) {
	for _, s := range []string{
		"- id: a\n  question: Q\n  answer: [A, B]\n",
		"items:\n  - &x {question: Q, answer: 1}\n  - <<: *x\n    question: R\n",
		"- question: |\n    multi\n    line\n  tags: a|b\n",
		"a: &a [*a]\n",
		"- &a [x, *a]\n",
		"- question: Q\n  answer: A\n  answer: B\n",
		"---\n- question: Q\n---\n- question: R\n",
		"- {question: [unclosed\n",
		"x: !!binary aGk=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkEvalSet(t, "f.yaml", data)
	})
}

func FuzzItemJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","question":"Q","answer":"A"}`,
		`{"id":7,"question":" Q ","answer":["A","B"],"tags":"a|b","sources":["s"],"meta":{"x":1.0}}`,
		`{"input":[{"role":"user","content":[{"type":"text","text":"Q"}]}],"ideal":"A","Meta":5}`,
		`{"question":"Q","meta":{"a":1},"a":2}`,
		`{"id":null,"answer":null,"tags":null}`,
		`{"x":123456789012345678901234567890}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var it Item
		if err := it.UnmarshalJSON(data); err != nil {
			return
		}
		checkItemRoundTrip(t, it)
	})
}
