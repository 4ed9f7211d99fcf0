package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/pipelines"
)

func TestGenerateEndToEnd(t *testing.T) {
	dir, config := exampleProject(t)
	if code, _, errOut := synthCLI(t, "--config", config, "eval", "--model", "base", "-q"); code != 0 {
		t.Fatalf("eval: %d %s", code, errOut)
	}
	code, out, errOut := synthCLI(t, "--config", config, "generate", "--from", filepath.Join(dir, "runs", "latest"), "--json", "-q")
	if code != 0 {
		t.Fatalf("generate: %d\n%s\n%s", code, out, errOut)
	}
	var sum pipelines.GenerateSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("--json output is not the summary: %v\n%s", err, out)
	}
	if sum.Accepted == 0 || sum.Failures == 0 || sum.Reached == 0 || len(sum.Stages) < 5 {
		t.Fatalf("summary %+v", sum)
	}
	synthetic := filepath.Join(dir, "data", "synthetic.jsonl")
	for _, f := range []string{synthetic, filepath.Join(dir, "data", "rejected.jsonl"), filepath.Join(dir, "data", "generate-summary.json"), filepath.Join(dir, "data", "synthetic.state", "progress.jsonl")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("missing %s", f)
		}
	}
	// Native rows carry top-level question and answer (what `synth tune` reads) and provenance.
	raw, _ := os.ReadFile(synthetic)
	first := strings.SplitN(string(raw), "\n", 2)[0]
	var row map[string]any
	if err := json.Unmarshal([]byte(first), &row); err != nil || row["question"] == "" || row["answer"] == "" || row["provenance"] == nil || row["verdicts"] == nil {
		t.Fatalf("native row %s", first)
	}

	// A second run does not overwrite the first; --resume finds it finished.
	code, _, errOut = synthCLI(t, "--config", config, "generate", "--from", "latest", "-q")
	if code != exitUsage || !strings.Contains(errOut, "--resume") || !strings.Contains(errOut, "--force") {
		t.Fatalf("second run: %d %s", code, errOut)
	}
	code, out, errOut = synthCLI(t, "--config", config, "generate", "--from", "latest", "--resume")
	if code != 0 || !strings.Contains(errOut, "resumed") || !strings.Contains(out, "decontaminate") || !strings.Contains(out, "ran out of rounds") {
		t.Fatalf("resume: %d\n%s\n%s", code, out, errOut)
	}

	// Another format, elsewhere.
	chat := filepath.Join(dir, "chat.jsonl")
	code, _, errOut = synthCLI(t, "--config", config, "generate", "--from", "latest", "--format", "openai", "--out", chat, "--per-failure", "1", "-q")
	if code != 0 {
		t.Fatalf("openai: %d %s", code, errOut)
	}
	rows, _, err := dataset.ReadJSONL[map[string]any](chat)
	if err != nil || len(rows) == 0 {
		t.Fatalf("openai rows: %v %d", err, len(rows))
	}
	msgs, _ := rows[0]["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("openai row %v", rows[0])
	}

	// The accepted rows tune the built-in model.
	code, out, errOut = synthCLI(t, "--config", config, "tune", "--data", synthetic, "--base", "base", "--name", "tuned")
	if code != 0 {
		t.Fatalf("tune on generated data: %d\n%s\n%s", code, out, errOut)
	}
}

func TestGenerateUsageErrors(t *testing.T) {
	dir, config := exampleProject(t)
	if code, _, errOut := synthCLI(t, "--config", config, "eval", "--model", "base", "-q"); code != 0 {
		t.Fatalf("eval: %d %s", code, errOut)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"generate"}, "--from RUN_DIR"},
		{[]string{"generate", "--from", "latest", "--from-docs"}, "exclude each other"},
		{[]string{"generate", "--from", "latest", "--format", "xml"}, `--format: unknown export format "xml"`},
		{[]string{"generate", "--from", "nope"}, `run "nope" not found`},
		{[]string{"generate", "--from", "latest", "--n", "3"}, "--n applies to --from-docs"},
		{[]string{"generate", "--from", "latest", "--model", "gpt"}, `no model named "gpt"`},
		{[]string{"generate", "--from-docs", "--resume"}, "--resume applies to --from generations only"},
	}
	for _, c := range cases {
		code, _, errOut := synthCLI(t, append([]string{"--config", config}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	// A bad stage in synth.yaml names its key path.
	data, _ := os.ReadFile(config)
	bad := string(data) + "\ngenerate:\n  stages:\n    - {type: retrieve, k: 4}\n    - {type: builtin}\n    - {type: format}\n    - {type: groundd}\n"
	if err := os.WriteFile(config, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := synthCLI(t, "--config", config, "generate", "--from", filepath.Join(dir, "runs", "latest"))
	if code != exitUsage || !strings.Contains(errOut, `generate.stages[3].type: unknown stage "groundd": did you mean "grounded"?`) {
		t.Fatalf("bad stage: %d %s", code, errOut)
	}
}

func TestGenerateFromDocs(t *testing.T) {
	dir, config := exampleProject(t)
	out := filepath.Join(dir, "draft.jsonl")
	code, stdout, errOut := synthCLI(t, "--config", config, "generate", "--from-docs", "--n", "6", "--out", out)
	if code != 0 || !strings.Contains(stdout, "drafted 6 eval items") || !strings.Contains(stdout, "review") {
		t.Fatalf("from-docs: %d\n%s\n%s", code, stdout, errOut)
	}
	set, err := dataset.ReadEvalSet(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Items) != 6 {
		t.Fatalf("%d items", len(set.Items))
	}
	for _, it := range set.Items {
		if len(it.Sources) == 0 || len(it.Answers) != 1 {
			t.Fatalf("draft %+v", it)
		}
	}
}
