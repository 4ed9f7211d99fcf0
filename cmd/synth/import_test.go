package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/importers"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/pipelines"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// checkImportedConfig parses a generated synth.yaml the three ways synth
// reads it: pipelines.ParseConfig, llm.ParseConfig for every model, and the
// validator registry for every validator.
func checkImportedConfig(t *testing.T, path string) *pipelines.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s is not YAML: %v\n%s", path, err, data)
	}
	cfg, err := pipelines.ParseConfig(raw, filepath.Dir(path))
	if err != nil {
		t.Fatalf("pipelines.ParseConfig(%s): %v\n%s", path, err, data)
	}
	// The way synth itself loads it: viper with SYNTH_* overrides.
	if _, err := loadConfig(path); err != nil {
		t.Fatalf("loadConfig(%s): %v", path, err)
	}
	for name, m := range cfg.Models {
		if _, err := llm.ParseConfig(spec.NewParams(m.Path, m.Params)); err != nil {
			t.Errorf("model %s: %v", name, err)
		}
	}
	deps := validators.Deps{Judge: llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
		return llm.Response{Text: `{"reasoning": "", "choice": "C"}`}, nil
	})}
	reg := validators.Builtin()
	for i, v := range cfg.Eval.Validators {
		if _, err := reg.Build(spec.Index("eval.validators", i), v, deps); err != nil {
			t.Errorf("validator %d: %v", i, err)
		}
	}
	return cfg
}

// TestImportPromptfooGeneratesWorkingProject imports every promptfoo test
// config with this build's validator registry and checks that the generated
// synth.yaml parses and builds, and the eval set reads back.
func TestImportPromptfooGeneratesWorkingProject(t *testing.T) {
	configs, _ := filepath.Glob(filepath.Join("..", "..", "importers", "testdata", "promptfoo", "*", "promptfooconfig.yaml"))
	configs = append(configs, filepath.Join("testdata", "promptfoo-replay", "promptfooconfig.yaml"))
	if len(configs) < 4 {
		t.Fatalf("found %d configs", len(configs))
	}
	for _, c := range configs {
		t.Run(filepath.Base(filepath.Dir(c)), func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := synthCLI(t, "import", "promptfoo", c, "--out", out)
			if code != 0 {
				t.Fatalf("code %d\n%s\n%s", code, stdout, stderr)
			}
			cfg := checkImportedConfig(t, filepath.Join(out, importers.ConfigFile))
			set, err := dataset.ReadEvalSet(cfg.Eval.Dataset)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Items) == 0 {
				t.Fatal("no items")
			}
			if _, err := os.Stat(filepath.Join(out, importers.NotesFile)); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestImportPromptfooThenEval is the migration walkthrough of
// docs/migrating.md: import a promptfoo config whose tests carry recorded
// outputs, then run synth eval on the result, offline.
func TestImportPromptfooThenEval(t *testing.T) {
	out := t.TempDir()
	src := filepath.Join("testdata", "promptfoo-replay", "promptfooconfig.yaml")
	code, stdout, stderr := synthCLI(t, "import", "promptfoo", src, "--out", out)
	if code != 0 {
		t.Fatalf("import: code %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"Imported 5 items", "recorded", "Next:", "synth eval"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	cfgPath := filepath.Join(out, importers.ConfigFile)
	code, stdout, stderr = synthCLI(t, "eval", "--config", cfgPath, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("eval: code %d\n%s\n%s", code, stdout, stderr)
	}
	var sum dataset.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	if sum.Total != 5 || sum.Model != "recorded" {
		t.Fatalf("summary: %d items with model %q, want 5 with recorded", sum.Total, sum.Model)
	}
	results := readResults(t, filepath.Join(out, "runs", "latest", dataset.ResultsFile))
	labels := map[string]dataset.Label{}
	for _, r := range results {
		labels[r.ID] = r.Label
	}
	want := map[string]dataset.Label{
		"reset-password":      dataset.Correct,
		"export-format":       dataset.Correct,
		"cancel-subscription": dataset.Wrong, // no Billing: the refusal is wrong (no refusal check was imported)
		"free-plan-projects":  dataset.Correct,
		"dark-mode":           dataset.Wrong, // fails the defaultTest not-icontains check
	}
	for id, l := range want {
		if labels[id] != l {
			t.Errorf("%s: label %q, want %q (all: %v)", id, labels[id], l, labels)
		}
	}
}

func TestImportPromptfooRefusesToReplace(t *testing.T) {
	out := t.TempDir()
	src := filepath.Join("testdata", "promptfoo-replay", "promptfooconfig.yaml")
	if code, _, stderr := synthCLI(t, "import", "promptfoo", src, "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := synthCLI(t, "import", "promptfoo", src, "--out", out)
	if code != exitUsage || !strings.Contains(stderr, "--force") {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := synthCLI(t, "import", "promptfoo", src, "--out", out, "--force"); code != 0 {
		t.Fatalf("--force: code %d, %s", code, stderr)
	}
}

func TestImportJSON(t *testing.T) {
	out := t.TempDir()
	src := filepath.Join("testdata", "promptfoo-replay", "promptfooconfig.yaml")
	code, stdout, _ := synthCLI(t, "import", "promptfoo", src, "--out", out, "--json")
	var res struct {
		Format string           `json:"format"`
		Items  int              `json:"items"`
		Files  []string         `json:"files"`
		Model  string           `json:"model"`
		Notes  []importers.Note `json:"notes"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("code %d, stdout %q", code, stdout)
	}
	if res.Format != "promptfoo" || res.Items != 5 || len(res.Files) != 4 || res.Model != "recorded" || len(res.Notes) == 0 {
		t.Errorf("result %+v", res)
	}
}

func TestImportOpenAIEvalsCLI(t *testing.T) {
	src := filepath.Join("..", "..", "importers", "testdata", "openaievals", "samples.jsonl")
	out := filepath.Join(t.TempDir(), "sub", "evalset.jsonl")
	code, stdout, stderr := synthCLI(t, "import", "openai-evals", src, "--out", out)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Imported 6 items") || !strings.Contains(stdout, "synth eval --dataset") {
		t.Errorf("stdout:\n%s", stdout)
	}
	set, err := dataset.ReadEvalSet(out)
	if err != nil || len(set.Items) != 6 {
		t.Fatalf("%v (%d items)", err, len(set.Items))
	}
	// Again: refuses to replace.
	if code, _, stderr := synthCLI(t, "import", "openai-evals", src, "--out", out); code != exitUsage || !strings.Contains(stderr, "already exists") {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
	// --out -: the eval set on stdout, notes on stderr.
	code, stdout, stderr = synthCLI(t, "import", "openai-evals", src, "--out", "-")
	if code != 0 || strings.Count(stdout, "\n") != 6 || !strings.Contains(stderr, "note:") {
		t.Errorf("--out -: code %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if code, _, _ := synthCLI(t, "import", "openai-evals", src, "--out", "-", "--json"); code != exitUsage {
		t.Errorf("--out - with --json: code %d, want %d", code, exitUsage)
	}
}

func TestImportErrorsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "samples.jsonl")
	os.WriteFile(bad, []byte("{\"input\": \"q\", \"ideal\": \"a\"}\n{\"input\": \n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"import", "openai-evals", bad, "--out", filepath.Join(dir, "o.jsonl")}, "samples.jsonl:2"},
		{[]string{"import", "openai-evals", filepath.Join(dir, "missing.jsonl")}, "no such file"},
		{[]string{"import", "promptfoo", filepath.Join(dir, "missing.yaml"), "--out", dir}, "no such file"},
		{[]string{"import", "hf", filepath.Join(dir, "data.parquet")}, "Parquet"},
		{[]string{"import", "hf"}, "accepts 1 arg"},
		{[]string{"import"}, "synth import promptfoo|openai-evals|hf FILE"},
		{[]string{"import", "promptfu", "x.yaml"}, `unknown command "promptfu"`},
		{[]string{"imprt"}, `unknown command "imprt"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := synthCLI(t, c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("code %d, stderr %q; want %d and %q", code, stderr, exitUsage, c.want)
			}
		})
	}
}

func TestImportHFCLI(t *testing.T) {
	src := filepath.Join("..", "..", "importers", "testdata", "hf", "nested.jsonl")
	out := filepath.Join(t.TempDir(), "evalset.jsonl")
	code, stdout, stderr := synthCLI(t, "import", "hf", src, "--question-field", "turn.q", "--answer-field", "turn.gold",
		"--id-field", "meta.uid", "--tags-field", "labels", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	var res struct{ Items int }
	if json.Unmarshal([]byte(stdout), &res) != nil || res.Items != 3 {
		t.Fatalf("stdout %q", stdout)
	}
	set, err := dataset.ReadEvalSet(out)
	if err != nil {
		t.Fatal(err)
	}
	if it := set.Items[0]; it.ID != "n1" || len(it.Answers) != 2 || len(it.Tags) != 2 {
		t.Errorf("first item %+v", it)
	}
}

// TestImportOutputGolden pins what `synth import promptfoo` prints, with
// colour (the output folder is replaced by OUT).
func TestImportOutputGolden(t *testing.T) {
	out := t.TempDir()
	s, stdout, _ := testStreams()
	s.Color = true
	src := filepath.Join("testdata", "promptfoo-replay", "promptfooconfig.yaml")
	if code := run([]string{"import", "promptfoo", src, "--out", out}, s); code != 0 {
		t.Fatalf("code %d", code)
	}
	golden(t, "import-promptfoo.golden", []byte(strings.ReplaceAll(stdout.String(), out, "OUT")))
}
