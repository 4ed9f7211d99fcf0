package pipelines

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/examples"
	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/validators"
)

// exampleProject writes the support example into a temp folder and opens it.
func exampleProject(t *testing.T) (*Project, *Config) {
	t.Helper()
	dir := t.TempDir()
	if _, err := examples.Write("support", dir, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "synth.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := OpenProject(cfg, ProjectOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, cfg
}

// evalExample grades the example's base model, as `synth eval --model base` does.
func evalExample(t *testing.T, p *Project, cfg *Config) *dataset.Run {
	t.Helper()
	run, _ := evalModelOnce(t, p, cfg, nil, "base")
	return run
}

// TestGenerateOnExampleProject is the new user's offline loop: eval the
// base model, then generate from its failures.
func TestGenerateOnExampleProject(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the example's help docs")
	}
	ctx := context.Background()
	p, cfg := exampleProject(t)
	run := evalExample(t, p, cfg)
	gcfg, err := DecodeGenerateConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gr, env, err := NewGenerateRun(ctx, p, run, gcfg)
	if err != nil {
		t.Fatal(err)
	}
	if !env.Offline || env.Entries[1]["type"] != "builtin" {
		t.Fatalf("the example has no LLM: want the offline default pipeline, got %v", env.Entries)
	}
	failures := 0
	for _, r := range run.Results {
		if r.Label != dataset.Correct {
			failures++
		}
	}
	s, err := gr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Failures != failures || failures == 0 || s.Completed != failures || s.Reached+s.Exhausted+s.Errors != failures {
		t.Fatalf("summary: %d failures, %d completed, %d+%d+%d (eval had %d failures)", s.Failures, s.Completed, s.Reached, s.Exhausted, s.Errors, failures)
	}
	if s.Accepted == 0 || s.Reached == 0 {
		t.Fatalf("nothing accepted: %+v", s)
	}

	kb, err := p.KB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inStore := map[string]dataset.Chunk{}
	for _, c := range kb.Chunks() {
		inStore[c.ID] = c
	}
	rows, _, err := dataset.ReadJSONL[dataset.Record](gr.Files.Out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != s.Accepted {
		t.Fatalf("%d rows in %s, summary says %d", len(rows), gr.Files.Out, s.Accepted)
	}
	var evalQs []string
	for _, r := range run.Results {
		evalQs = append(evalQs, r.Question)
	}
	perItem := map[string]int{}
	for _, r := range rows {
		perItem[r.Provenance.FailedItem]++
		if len(r.Provenance.Chunks) == 0 || len(r.Provenance.Docs) == 0 || r.Provenance.Generator == "" || r.Provenance.Round == 0 {
			t.Errorf("row %s: provenance %+v", r.ID, r.Provenance)
		}
		for _, id := range r.Provenance.Chunks {
			if _, ok := inStore[id]; !ok {
				t.Errorf("row %s names chunk %s, which is not in the store", r.ID, id)
			}
		}
		if r.Question == "" || r.Answer == "" || len(r.Verdicts) < 5 || !r.Accepted() {
			t.Errorf("row %s: %+v", r.ID, r)
		}
		for _, v := range r.Verdicts {
			if !v.Pass {
				t.Errorf("accepted row %s has a failing verdict %+v", r.ID, v)
			}
		}
		if sim := validators.RougeL(r.Question, evalQs, 1); sim >= 0.75 {
			t.Errorf("row %s question %q is a near-copy of an eval question (ROUGE-L %.2f)", r.ID, r.Question, sim)
		}
	}
	for _, it := range s.Items {
		if it.Status == StatusReached && perItem[it.ID] != gcfg.PerFailure {
			t.Errorf("%s reached with %d rows, want exactly %d", it.ID, perItem[it.ID], gcfg.PerFailure)
		}
		if perItem[it.ID] > gcfg.PerFailure {
			t.Errorf("%s has %d rows, more than %d", it.ID, perItem[it.ID], gcfg.PerFailure)
		}
	}
	rejected, _, err := dataset.ReadJSONL[dataset.Record](gr.Files.Rejected)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != s.Rejected {
		t.Fatalf("%d rejected rows, summary says %d", len(rejected), s.Rejected)
	}
	for _, r := range rejected {
		if len(r.Rejections) == 0 {
			t.Fatalf("rejected row %s without reasons", r.ID)
		}
	}
	last := s.Stages[len(s.Stages)-2]
	if last.Stage != "decontaminate" || s.Stages[len(s.Stages)-1].Kind != StageAccept {
		t.Fatalf("stages %+v", s.Stages)
	}
}

func TestDraftEvalSetFromExampleDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the example's help docs")
	}
	p, cfg := exampleProject(t)
	gcfg, err := DecodeGenerateConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DraftEvalSet(context.Background(), p, gcfg, 12)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Items) != 12 {
		t.Fatalf("%d items, want 12", len(d.Items))
	}
	set, err := dataset.ReadEvalSet(cfg.Eval.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	var evalQs []string
	for _, it := range set.Items {
		evalQs = append(evalQs, it.Question)
	}
	docs := map[string]bool{}
	ids := map[string]bool{}
	for _, it := range d.Items {
		if len(it.Sources) == 0 || len(it.Answers) != 1 || it.Question == "" || ids[it.ID] {
			t.Fatalf("item %+v", it)
		}
		ids[it.ID] = true
		docs[it.Sources[0]] = true
		if sim := validators.RougeL(it.Question, evalQs, 1); sim >= 0.75 {
			t.Errorf("draft %q repeats an eval question (ROUGE-L %.2f)", it.Question, sim)
		}
	}
	if len(docs) < 8 {
		t.Fatalf("drafts cover %d docs, want them spread over the docs", len(docs))
	}
}

// TestGenerateWithLLMOnExampleProject runs the default LLM pipeline (qa)
// against the fake server: the model answers with sentences of the first
// excerpt it was shown, once malformed; one candidate copies the eval
// question and must be blocked.
func TestGenerateWithLLMOnExampleProject(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the example's help docs")
	}
	ctx := context.Background()
	srv := llmtest.NewServer(t)
	var calls atomic.Int64
	srv.HandleFunc(llmtest.Any(), func(req llmtest.ChatRequest) llmtest.Reply {
		if calls.Add(1) == 1 {
			return llmtest.Text("Here are some questions!") // malformed: retried
		}
		prompt := req.Messages[1].Content // the first request of the conversation
		excerpt := prompt[strings.Index(prompt, "[1] "):]
		excerpt = excerpt[strings.Index(excerpt, "\n")+1:]
		first := strings.SplitN(excerpt, "\n\n", 2)[0]
		topic := ""
		if i := strings.Index(prompt, "who asked \""); i >= 0 {
			topic = prompt[i+len("who asked \""):]
			topic = topic[:strings.Index(topic, "\"")]
		}
		return llmtest.JSON(map[string]any{"pairs": []any{
			map[string]any{"question": "What does the help centre say about this, in short?", "answer": first, "chunk_ids": []any{1}},
			map[string]any{"question": topic, "answer": first, "chunk_ids": []any{1}},
			map[string]any{"question": fmt.Sprintf("Can you explain it again (%d)?", calls.Load()), "answer": first, "chunk_ids": []any{"1"}},
		}})
	})
	p, cfg := exampleProject(t)
	cfg.Models["gen"] = ModelEntry{Name: "gen", Path: "models.gen", Params: map[string]any{"provider": "openai", "model": "llmtest", "base_url": srv.URL(), "api_key_env": "TEST_KEY", "max_retries": 0}}
	cfg.Generate = map[string]any{"model": "gen", "per_failure": 2, "max_rounds": 2, "concurrency": 2}
	p = OpenProject(cfg, ProjectOptions{NoCache: true, LookupEnv: func(k string) (string, bool) { return "sk-test", k == "TEST_KEY" }})
	run := evalExample(t, p, cfg)
	gcfg, err := DecodeGenerateConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gr, env, err := NewGenerateRun(ctx, p, run, gcfg)
	if err != nil {
		t.Fatal(err)
	}
	if env.Offline || env.Entries[1]["type"] != "qa" {
		t.Fatalf("want the LLM pipeline, got %v", env.Entries)
	}
	s, err := gr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted == 0 || s.Generator != "gen" {
		t.Fatalf("summary %+v", s)
	}
	var dec StageSummary
	for _, st := range s.Stages {
		if st.Stage == "decontaminate" {
			dec = st
		}
		if st.Stage == "qa" && st.Errors != 0 {
			t.Fatalf("the malformed reply was not retried: %+v", st)
		}
	}
	if dec.Rejected == 0 || !strings.Contains(dec.TopReasons[0].Reason, "too close to an eval question") {
		t.Fatalf("decontaminate %+v", dec)
	}
	rows, _, err := dataset.ReadJSONL[dataset.Record](gr.Files.Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, res := range run.Results {
			if strings.EqualFold(strings.TrimSpace(r.Question), strings.TrimSpace(res.Question)) {
				t.Fatalf("row %s copies eval question %s", r.ID, res.ID)
			}
		}
		if r.Provenance.Generator != "qa" || len(r.Provenance.Chunks) != 1 {
			t.Fatalf("row %+v", r.Provenance)
		}
	}
}
