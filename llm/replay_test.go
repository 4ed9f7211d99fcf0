package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
)

func TestParseReplay(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"basic", `{"id":"a","output":"x"}` + "\n" + `{"id":"b","output":""}`, map[string]string{"a": "x", "b": ""}, ""},
		{"blank lines, CRLF and BOM", "\xef\xbb\xbf{\"id\":\"a\",\"output\":\"x\"}\r\n\r\n  \n{\"id\":\"b\",\"output\":\"y\"}\r\n", map[string]string{"a": "x", "b": "y"}, ""},
		{"integer id and extra fields", `{"id":7,"output":"seven","latency_ms":12,"model":"m"}`, map[string]string{"7": "seven"}, ""},
		{"unicode", `{"id":"ü","output":"Passwort zurücksetzen ✓"}`, map[string]string{"ü": "Passwort zurücksetzen ✓"}, ""},
		{"empty file", "", map[string]string{}, ""},
		{"bad json", `{"id":"a","output":"x"}` + "\n" + `{"id":"b",`, nil, "out.jsonl:2: not valid JSON: the record ends before it is complete"},
		{"trailing garbage", `{"id":"a","output":"x"}}`, nil, "out.jsonl:1: not valid JSON: invalid character '}' after top-level value (column 24)"},
		{"not an object", `["a","x"]`, nil, "out.jsonl:1: not a JSON object"},
		{"missing id", `{"output":"x"}`, nil, `out.jsonl:1: missing "id"`},
		{"null id", `{"id":null,"output":"x"}`, nil, `out.jsonl:1: missing "id"`},
		{"empty id", `{"id":"","output":"x"}`, nil, `out.jsonl:1: empty "id"`},
		{"float id", `{"id":1.5,"output":"x"}`, nil, `out.jsonl:1: "id" must be a string or an integer`},
		{"missing output", "\n\n" + `{"id":"a"}`, nil, `out.jsonl:3: id "a": missing "output"`},
		{"output not string", `{"id":"a","output":["x"]}`, nil, `out.jsonl:1: id "a": "output" must be a string`},
		{"duplicate", `{"id":"a","output":"x"}` + "\n" + `{"id":"b","output":"y"}` + "\n" + `{"id":"a","output":"z"}`, nil, `out.jsonl:3: duplicate id "a" (first on line 1)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseReplay(strings.NewReader(c.in), "out.jsonl")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestReplayGenerate(t *testing.T) {
	r := NewReplay("mem", map[string]string{"q1": "answer"})
	if r.Len() != 1 {
		t.Fatal(r.Len())
	}
	if resp, err := r.Generate(context.Background(), Request{ItemID: "q1"}); err != nil || resp.Text != "answer" {
		t.Fatalf("%+v %v", resp, err)
	}
	if _, err := r.Generate(context.Background(), Request{}); err == nil || !strings.Contains(err.Error(), "no item id") {
		t.Fatalf("err = %v", err)
	}
	_, err := r.Generate(context.Background(), Request{ItemID: "q2"})
	if !errors.Is(err, ErrUnknownItem) || Retryable(err) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Generate(ctx, Request{ItemID: "q1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzParseReplay: the parser never panics, every error names the file and
// a line, and what it accepts round-trips through a rewrite.
func FuzzParseReplay(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","output":"x"}`,
		"{\"id\":1,\"output\":\"\"}\n\n{\"id\":\"b\",\"output\":\"\\u00fc\"}\r\n",
		`{"id":"a","output":"x"}` + "\n" + `{"id":"a","output":"y"}`,
		`{"id":`, `[]`, `null`, "\xef\xbb\xbf{}", `{"id":"x","output":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseReplay(bytes.NewReader(data), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		ids := make([]string, 0, len(got))
		for id := range got {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, id := range ids {
			if err := enc.Encode(map[string]string{"id": id, "output": got[id]}); err != nil {
				t.Fatal(err)
			}
		}
		again, err := ParseReplay(&buf, "again.jsonl")
		if err != nil {
			t.Fatalf("rewrite does not parse: %v", err)
		}
		if len(again) != len(got) {
			t.Fatalf("round trip lost entries: %d -> %d", len(got), len(again))
		}
		for id, out := range got {
			if again[id] != out {
				t.Fatalf("round trip changed %q: %q -> %q", id, out, again[id])
			}
		}
	})
}
