package generators

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/spec"
)

func buildQA(t *testing.T, srv *llmtest.Server, params map[string]any) Generator {
	t.Helper()
	cfg := map[string]any{"type": "qa"}
	for k, v := range params {
		cfg[k] = v
	}
	b, err := Builtin().Build("generate.stages[1]", cfg, Deps{Model: testModel(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQAScriptedJSON(t *testing.T) {
	chunks := testChunks(t)[:3]
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.JSON(map[string]any{"pairs": []any{
		map[string]any{"question": "How long does a reset link last?", "answer": "Reset links expire after 30 minutes.", "chunk_ids": []any{2}},
		map[string]any{"question": "where do i reset my password", "answer": "Go to https://example.test/reset.", "chunk_ids": []any{"C2", "[1]", 99}},
		map[string]any{"question": "What about billing?", "answer": "Ask billing.", "chunk_ids": []any{}},
		map[string]any{"question": "", "answer": "dropped: no question"},
	}}))
	g := buildQA(t, srv, map[string]any{"n": 3, "temperature": 0.8})
	seed := testSeed(chunks)
	seed.Feedback = []string{"format: not a question or a request (2 candidates)"}
	seed.Accepted = []string{"How do I reset my password?"}
	out, err := g.Generate(context.Background(), seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("%d samples, want 3: %+v", len(out), out)
	}
	if got := out[0].Provenance.Chunks; len(got) != 1 || got[0] != chunks[1].ID {
		t.Fatalf("first pair cites %v, want [%s]", got, chunks[1].ID)
	}
	if got := out[1].Provenance.Chunks; len(got) != 2 || got[0] != chunks[1].ID || got[1] != chunks[0].ID {
		t.Fatalf("second pair cites %v, want chunks 2 and 1 (99 dropped)", got)
	}
	if len(out[2].Contexts) != 3 {
		t.Fatalf("a pair citing nothing is grounded in all chunks, got %d", len(out[2].Contexts))
	}
	for _, s := range out {
		p := s.Provenance
		if p.FailedItem != "password-forgot" || p.Generator != "qa" || p.Round != 1 || len(p.Docs) == 0 {
			t.Fatalf("provenance %+v", p)
		}
		if len(s.Tags) != 1 || s.Tags[0] != "password" {
			t.Fatalf("tags %v", s.Tags)
		}
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.ResponseFormat == nil || r.ResponseFormat.Type != "json_object" {
		t.Fatalf("response_format %+v, want json_object", r.ResponseFormat)
	}
	if r.Temperature == nil || *r.Temperature != 0.8 {
		t.Fatalf("temperature %v", r.Temperature)
	}
	prompt := r.LastUser()
	for _, want := range []string{
		"Write 3 different questions", `"forgot my password, what do i do"`, "Do NOT copy that question",
		"format: not a question or a request", "How do I reset my password?", `{"pairs": [`,
		"[1] docs/", "[2] docs/",
	} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt)
		}
	}
	if strings.Contains(prompt, "Go to the reset page.") {
		t.Error("the prompt must not show the gold answer")
	}
}

func TestQAMalformedRetriedThenParsed(t *testing.T) {
	srv := llmtest.NewServer(t)
	rule := srv.Handle(llmtest.Any(),
		llmtest.Text("Sure! Here are your questions: question 1 ..."),
		llmtest.Text("```json\n{\"pairs\": [{\"question\": \"Can I reuse an old password?\", \"answer\": \"No.\", \"chunk_ids\": [1],},]}\n```"),
	)
	g := buildQA(t, srv, nil)
	out, err := g.Generate(context.Background(), testSeed(testChunks(t)[:2]))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Question != "Can I reuse an old password?" {
		t.Fatalf("out %+v", out)
	}
	if rule.Calls() != 2 {
		t.Fatalf("%d calls, want 2 (one retry)", rule.Calls())
	}
	retry := srv.ChatRequests()[1]
	if !strings.Contains(retry.LastUser(), "could not be used") {
		t.Fatalf("the retry does not say what was wrong: %q", retry.LastUser())
	}
}

func TestQAMalformedCountedAsFailedAttempt(t *testing.T) {
	srv := llmtest.NewServer(t)
	rule := srv.Handle(llmtest.Any(), llmtest.Text(`{"pairs": "none"}`))
	g := buildQA(t, srv, map[string]any{"attempts": 2})
	out, err := g.Generate(context.Background(), testSeed(testChunks(t)[:2]))
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	var me *MalformedError
	if !errors.As(err, &me) || me.Attempts != 2 {
		t.Fatalf("err = %#v", err)
	}
	if len(out) != 0 || rule.Calls() != 2 {
		t.Fatalf("out %v, calls %d", out, rule.Calls())
	}
}

func TestQAModelErrorIsReturned(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.Status(400, "bad request"))
	g := buildQA(t, srv, nil)
	_, err := g.Generate(context.Background(), testSeed(testChunks(t)[:2]))
	if err == nil || errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "qa:") {
		t.Fatalf("err = %v", err)
	}
}

func TestQANoChunksNoCall(t *testing.T) {
	srv := llmtest.NewServer(t)
	g := buildQA(t, srv, nil)
	out, err := g.Generate(context.Background(), testSeed(nil))
	if err != nil || len(out) != 0 || srv.Requests() != 0 {
		t.Fatalf("out %v err %v requests %d", out, err, srv.Requests())
	}
}

func TestQANeedsModel(t *testing.T) {
	_, err := Builtin().Build("generate.stages[1]", map[string]any{"type": "qa"}, Deps{})
	var se *spec.Error
	if !errors.As(err, &se) || se.Path != "generate.stages[1].type" || !errors.Is(err, ErrNoModel) && !strings.Contains(err.Error(), "needs an LLM") {
		t.Fatalf("err = %v", err)
	}
}
