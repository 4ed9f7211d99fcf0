package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/pipelines"
)

func TestCheckExampleProject(t *testing.T) {
	_, config := exampleProject(t)
	code, out, errOut := synthCLI(t, "--config", config, "check")
	if code != 0 {
		t.Fatalf("check: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"20 eval items", "expected \\ synth", "Cohen's kappa", "invented links", "refusals"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Progress goes to stderr, one line per answer when not a terminal.
	if !strings.Contains(errOut, "#gold") {
		t.Errorf("no progress lines on stderr:\n%s", errOut)
	}

	code, out, _ = synthCLI(t, "--config", config, "check", "--json", "--kinds", "gold,refusal")
	var rep pipelines.CheckReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("--json: %d\n%s", code, out)
	}
	for _, k := range rep.Kinds {
		if k.Kind != pipelines.PerturbGold && k.Kind != pipelines.PerturbRefusal {
			t.Errorf("kind %s made though not asked for", k.Kind)
		}
		if k.Cases == 0 || k.Caught != k.Cases {
			t.Errorf("%s: %d of %d", k.Kind, k.Caught, k.Cases)
		}
	}

	if code, _, errOut = synthCLI(t, "--config", config, "check", "--fail-under", "0.999"); code != exitBelowFloor || !strings.Contains(errOut, "below --fail-under") {
		t.Errorf("--fail-under 0.999: %d %s", code, errOut)
	}
	for _, args := range [][]string{{"--repeat", "1"}, {"--kinds", "typo"}, {"--fail-under", "2"}} {
		if code, _, errOut = synthCLI(t, append([]string{"--config", config, "check"}, args...)...); code != exitUsage {
			t.Errorf("%v: %d %s", args, code, errOut)
		}
	}
	code, out, _ = synthCLI(t, "--config", config, "check", "--repeat", "2", "--kinds", "gold")
	if code != 0 || !strings.Contains(out, "no validator calls a judge model") {
		t.Errorf("--repeat without a judge: %d\n%s", code, out)
	}
}

func TestCheckHumanWithoutProject(t *testing.T) {
	human, err := filepath.Abs(filepath.Join("..", "..", "pipelines", "testdata", "human.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, out, errOut := synthCLI(t, "check", "--human", human, "--verbose")
	if code != 0 || !strings.Contains(out, "people \\ synth") || !strings.Contains(out, "kappa 0.667") || !strings.Contains(out, "q5 (line 5): people acceptable, synth wrong") {
		t.Fatalf("check --human: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ = synthCLI(t, "check", "--human", human, "--fail-under", "0.7"); code != exitBelowFloor {
		t.Errorf("--fail-under 0.7 with kappa 0.667: %d", code)
	}
	if err := os.WriteFile("bad.jsonl", []byte(`{"id":"a","question":"Q","gold":["x"],"answer":"x","human":"perhaps"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = synthCLI(t, "check", "--human", "bad.jsonl"); code != exitUsage || !strings.Contains(errOut, "bad.jsonl:1:") {
		t.Errorf("bad labels: %d %s", code, errOut)
	}
	// Without --human a project is needed.
	if code, _, errOut = synthCLI(t, "check"); code != exitUsage || !strings.Contains(errOut, "no config file") {
		t.Errorf("no project: %d %s", code, errOut)
	}
}

func TestCheckRepeatWithJudge(t *testing.T) {
	srv := llmtest.NewServer(t)
	var calls atomic.Int64
	// A judge that says "same" (C), except every 4th reply, "disagree" (D).
	srv.HandleFunc(llmtest.LastUserContains("[Submission]"), func(llmtest.ChatRequest) llmtest.Reply {
		choice := "C"
		if calls.Add(1)%4 == 0 {
			choice = "D"
		}
		return llmtest.JSON(map[string]string{"reasoning": "compared the facts", "choice": choice})
	})
	dir, config := exampleProject(t)
	yaml := fmt.Sprintf(`models:
  base: {provider: builtin}
  judge: {provider: openai, model: judge-1, base_url: %q, max_retries: 0}
knowledge:
  docs: ["docs/**/*.md", "docs/**/*.html", "docs/**/*.txt"]
eval:
  dataset: evalset.jsonl
  judge: judge
  validators: [{type: match}, {type: judge}]
`, srv.URL())
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := synthCLI(t, "--config", config, "check", "--kinds", "gold", "--repeat", "3", "--json")
	var rep pipelines.CheckReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Repeat == nil {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	if len(rep.Repeat.Validators) != 1 || rep.Repeat.Validators[0].Validator != "judge" {
		t.Fatalf("repeat %+v: want the judge only (match calls no model)", rep.Repeat)
	}
	st := rep.Repeat.Validators[0]
	if st.Cases != rep.Cases || st.Flipped == 0 || st.Flipped == st.Cases || len(st.IDs) != st.Flipped {
		t.Errorf("stats %+v over %d cases: want some flips", st, rep.Cases)
	}
	// The cache is off: every rerun reached the server.
	if got := int(calls.Load()); got < rep.Cases*3 {
		t.Errorf("%d judge calls for %d answers × 3 runs", got, rep.Cases)
	}
	if _, err := os.Stat(filepath.Join(dir, ".synth", "cache")); err == nil {
		t.Error("--repeat wrote the response cache")
	}
}
