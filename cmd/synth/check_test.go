package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
