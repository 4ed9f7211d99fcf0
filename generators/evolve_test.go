package generators

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/synth-dev/synth/llm/llmtest"
)

func TestEvolve(t *testing.T) {
	chunks := testChunks(t)
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.LastUserContains("How do I reset my password?"),
		llmtest.JSON(map[string]any{"question": "I'm on my phone and need a new password before a meeting in 10 minutes, what are the steps?", "answer": "Go to https://example.test/reset, enter your e-mail, then open the e-mail and click Reset password.", "chunk_ids": []any{1}}))
	srv.Handle(llmtest.LastUserContains("When do reset links expire?"), llmtest.Text("no json here"))
	g, err := Builtin().Build("generate.stages[2]", map[string]any{"type": "evolve", "ops": []any{"constraint", "multi_step"}, "attempts": 1}, Deps{Model: testModel(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	seed := testSeed(chunks)
	seed.Candidates = candidates(chunks)
	out, err := g.Generate(context.Background(), seed)
	if err != nil {
		t.Fatal(err) // one candidate failed to parse: the other still evolves
	}
	if len(out) != 3 {
		t.Fatalf("%d samples, want 2 originals + 1 evolved", len(out))
	}
	ev := out[2]
	if !strings.HasPrefix(ev.Question, "I'm on my phone") || ev.Provenance.Generator != "qa>evolve:constraint" {
		t.Fatalf("evolved %+v", ev)
	}
	if len(ev.Contexts) != 1 || ev.Contexts[0].ID != chunks[0].ID {
		t.Fatalf("evolved row cites %v", ev.Provenance.Chunks)
	}
	var prompt string
	for _, r := range srv.ChatRequests() {
		if strings.Contains(r.LastUser(), "How do I reset my password?") {
			prompt = r.LastUser()
		}
	}
	if !strings.Contains(prompt, "Add one realistic constraint") || !strings.Contains(prompt, "using ONLY facts from the excerpts") {
		t.Fatalf("prompt:\n%s", prompt)
	}
}

func TestEvolveAllFailed(t *testing.T) {
	chunks := testChunks(t)
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.Text("```\nnope\n```"))
	g, err := Builtin().Build("x", map[string]any{"type": "evolve", "attempts": 1, "keep": false}, Deps{Model: testModel(t, srv)})
	if err != nil {
		t.Fatal(err)
	}
	seed := testSeed(chunks)
	seed.Candidates = candidates(chunks)
	out, err := g.Generate(context.Background(), seed)
	if !errors.Is(err, ErrMalformed) || len(out) != 0 {
		t.Fatalf("out %v err %v", out, err)
	}
}

func TestEvolveParamErrors(t *testing.T) {
	_, err := Builtin().Build("generate.stages[4]", map[string]any{"type": "evolve", "ops": []any{"constraint", "harder"}}, Deps{})
	if err == nil || !strings.Contains(err.Error(), `generate.stages[4].ops[1]: unknown operation "harder"`) {
		t.Fatalf("err = %v", err)
	}
}
