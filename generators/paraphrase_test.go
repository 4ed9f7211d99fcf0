package generators

import (
	"context"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

func candidates(chunks []dataset.Chunk) []dataset.Sample {
	seed := testSeed(chunks)
	return []dataset.Sample{
		NewSample("qa", seed, "How do I reset my password?", "Go to https://example.test/reset.", chunks[:1]),
		NewSample("qa", seed, "When do reset links expire?", "After 30 minutes.", chunks[1:2]),
	}
}

func TestParaphraseLLM(t *testing.T) {
	chunks := testChunks(t)
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(),
		llmtest.Text("not json"),
		llmtest.JSON(map[string]any{"paraphrases": []any{
			map[string]any{"index": 2, "questions": []any{"how long is a reset link good for", "When does my reset link stop working?"}},
			map[string]any{"index": 1, "questions": []any{"How do I reset my password?", "what's the way to get a new password"}},
			map[string]any{"index": 7, "questions": []any{"out of range"}},
		}}))
	g, err := Builtin().Build("generate.stages[2]", map[string]any{"type": "paraphrase", "n": 2}, Deps{Model: testModel(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	seed := testSeed(chunks)
	seed.Candidates = candidates(chunks)
	out, err := g.Generate(context.Background(), seed)
	if err != nil {
		t.Fatal(err)
	}
	// 2 originals + 1 new for #1 (the copy is dropped) + 2 for #2.
	if len(out) != 5 {
		t.Fatalf("%d samples, want 5: %+v", len(out), out)
	}
	for _, s := range out[2:] {
		if s.Provenance.Generator != "qa>paraphrase" {
			t.Fatalf("provenance %q", s.Provenance.Generator)
		}
	}
	if out[2].Answer != "Go to https://example.test/reset." || out[2].Contexts[0].ID != chunks[0].ID {
		t.Fatalf("variant of #1 lost its answer or chunks: %+v", out[2])
	}
	if out[3].Answer != "After 30 minutes." {
		t.Fatalf("variant of #2: %+v", out[3])
	}
	if srv.Requests() != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", srv.Requests())
	}
	if p := srv.ChatRequests()[0].LastUser(); !strings.Contains(p, "1. How do I reset my password?") || !strings.Contains(p, "must not appear") {
		t.Fatalf("prompt:\n%s", p)
	}
}

func TestParaphraseTemplateOffline(t *testing.T) {
	chunks := testChunks(t)
	g, err := Builtin().Build("generate.stages[2]", map[string]any{"type": "paraphrase", "n": 2, "keep": false}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	seed := testSeed(chunks)
	seed.Candidates = candidates(chunks)
	out, err := g.Generate(context.Background(), seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 {
		t.Fatalf("%d samples, want 4 (keep: false)", len(out))
	}
	for _, s := range out {
		if s.Question == "How do I reset my password?" || s.Question == "When do reset links expire?" {
			t.Fatalf("an original was kept: %q", s.Question)
		}
	}
	again, _ := g.Generate(context.Background(), seed)
	for i := range out {
		if out[i].Question != again[i].Question {
			t.Fatalf("template paraphrases are not deterministic: %q vs %q", out[i].Question, again[i].Question)
		}
	}
}

func TestParaphraseModeLLMNeedsModel(t *testing.T) {
	_, err := Builtin().Build("generate.stages[3]", map[string]any{"type": "paraphrase", "mode": "llm"}, Deps{})
	if err == nil || !strings.HasPrefix(err.Error(), "generate.stages[3].type: paraphrase (mode llm) needs an LLM") {
		t.Fatalf("err = %v", err)
	}
}

func TestTemplateParaphrases(t *testing.T) {
	cases := []struct {
		q    string
		want []string // each must appear among the variants
	}{
		{"How do I reset my password?", []string{"How can I reset my password?"}},
		{"What should I do if I lose my phone?", []string{"Help: I lose my phone. What now?"}},
		{"Can I reuse my last password?", []string{"Is it possible to reuse my last password?"}},
	}
	for _, c := range cases {
		got := TemplateParaphrases(c.q, 0, 12)
		if len(got) < 4 {
			t.Errorf("%q: only %d variants: %q", c.q, len(got), got)
		}
		seen := map[string]bool{questionKey(c.q): true}
		for _, v := range got {
			if seen[questionKey(v)] {
				t.Errorf("%q: variant %q repeats another", c.q, v)
			}
			seen[questionKey(v)] = true
		}
		for _, w := range c.want {
			found := false
			for _, v := range got {
				found = found || v == w
			}
			if !found {
				t.Errorf("%q: no variant %q in %q", c.q, w, got)
			}
		}
		if other := TemplateParaphrases(c.q, 3, 3); strings.Join(other, "|") == strings.Join(got[:3], "|") {
			t.Errorf("%q: seed 3 gives the same variants as seed 0", c.q)
		}
	}
}

func TestParseParaphrases(t *testing.T) {
	cases := []struct {
		text string
		n    int
		want [][]string
		err  bool
	}{
		{`{"paraphrases": [{"index": 1, "questions": ["a", "b"]}, {"index": 2, "questions": ["c"]}]}`, 2, [][]string{{"a", "b"}, {"c"}}, false},
		{`[["a"], ["b", "c"]]`, 2, [][]string{{"a"}, {"b", "c"}}, false},
		{`{"questions": [{"index": "2", "question": "x"}]}`, 2, [][]string{nil, {"x"}}, false},
		{`{"paraphrases": []}`, 1, nil, true},
		{`nothing`, 1, nil, true},
	}
	for _, c := range cases {
		got, err := ParseParaphrases(c.text, c.n)
		if (err != nil) != c.err {
			t.Errorf("%s: err = %v", c.text, err)
			continue
		}
		if !c.err && strings.Join(flatten(got), "|") != strings.Join(flatten(c.want), "|") {
			t.Errorf("%s: got %q, want %q", c.text, got, c.want)
		}
	}
}

func flatten(l [][]string) []string {
	var out []string
	for i, x := range l {
		out = append(out, strings.Repeat("#", i))
		out = append(out, x...)
	}
	return out
}
