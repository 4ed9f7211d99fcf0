package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/examples"
)

// synthCLI runs the command line in-process and returns the exit status and output.
func synthCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	s, out, errb := testStreams()
	code = run(args, s)
	return code, out.String(), errb.String()
}

// exampleProject writes the support example into a temp dir and returns its config path.
func exampleProject(t *testing.T) (dir, config string) {
	t.Helper()
	dir = t.TempDir()
	if _, err := examples.Write("support", dir, true); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "synth.yaml")
}

func readResults(t *testing.T, path string) []dataset.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []dataset.Result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r dataset.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r)
	}
	return out
}

func TestVersion(t *testing.T) {
	code, out, _ := synthCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "synth ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: code %d, output %q", code, out)
	}
	code, out, _ = synthCLI(t, "version", "--json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] == "" || v["commit"] == "" || v["go"] == "" {
		t.Fatalf("version --json: code %d, output %q", code, out)
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	code, _, errOut := synthCLI(t, "eval", "--modle", "x")
	if code != exitUsage || !strings.Contains(errOut, "unknown flag") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestMissingConfig(t *testing.T) {
	code, _, errOut := synthCLI(t, "eval", "--config", filepath.Join(t.TempDir(), "synth.yaml"))
	if code != exitUsage || !strings.Contains(errOut, "synth init") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestBadConfigKeyNamesItsPath(t *testing.T) {
	_, cfg := exampleProject(t)
	data, _ := os.ReadFile(cfg)
	bad := strings.Replace(string(data), "concurrency: 4", "concurrency: 4\n  validators:\n    - {type: f1}\n    - {type: rouge_l, correct: 2}", 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating")
	if code != exitUsage || !strings.Contains(errOut, "eval.validators[1].correct") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestEvalReplayEndToEnd(t *testing.T) {
	dir, cfg := exampleProject(t)
	code, out, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating")
	if code != 0 {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	results := readResults(t, filepath.Join(dir, "runs", "latest", dataset.ResultsFile))
	if len(results) != 20 {
		t.Fatalf("%d results, want 20", len(results))
	}
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r.ID] {
			t.Errorf("duplicate result %s", r.ID)
		}
		seen[r.ID] = true
		if !r.Label.Valid() || len(r.Verdicts) == 0 {
			t.Errorf("%s: label %q with %d verdicts", r.ID, r.Label, len(r.Verdicts))
		}
	}
	for _, f := range []string{dataset.SummaryFile, dataset.ManifestFile, "report.md"} {
		if _, err := os.Stat(filepath.Join(dir, "runs", "latest", f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(out, "accuracy") || !strings.Contains(out, "hallucinated") {
		t.Errorf("summary table missing from stdout:\n%s", out)
	}

	// --json prints the summary JSON and nothing else on stdout.
	code, out, _ = synthCLI(t, "eval", "--config", cfg, "--model", "frustrating", "--json", "--quiet")
	var s dataset.Summary
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.Total != 20 {
		t.Fatalf("--json: code %d, stdout %q", code, out)
	}
	if s.Dataset != "evalset.jsonl" {
		t.Errorf("summary names the eval set %q, want it relative to the project: evalset.jsonl", s.Dataset)
	}
	sum := 0
	for _, n := range s.Counts {
		sum += n
	}
	if sum != 20 {
		t.Errorf("counts %v sum to %d", s.Counts, sum)
	}

	// --fail-under above the accuracy exits 1; at or below it exits 0.
	if code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating", "--quiet", "--fail-under", "0.99"); code != exitBelowFloor {
		t.Errorf("--fail-under 0.99: code %d, stderr %s", code, errOut)
	}
	if code, _, _ := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating", "--quiet", "--fail-under", "0"); code != 0 {
		t.Errorf("--fail-under 0: code %d", code)
	}
}

func TestEvalMalformedEvalSetNamesFileAndLine(t *testing.T) {
	dir, cfg := exampleProject(t)
	set := filepath.Join(dir, "evalset.jsonl")
	data, _ := os.ReadFile(set)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = `{"id": "broken", "question": "unterminated` + "\n"
	if err := os.WriteFile(set, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating")
	if code != exitUsage || !strings.Contains(errOut, "evalset.jsonl:3") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestEvalUnknownModel(t *testing.T) {
	_, cfg := exampleProject(t)
	code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "nope")
	if code != exitUsage || !strings.Contains(errOut, `no model named "nope"`) {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestInitRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
	code, _, errOut := synthCLI(t, "init", dir)
	if code != exitUsage || !strings.Contains(errOut, "not empty") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	code, out, _ := synthCLI(t, "init", filepath.Join(dir, "new"))
	if code != 0 || !strings.Contains(out, "synth index") {
		t.Fatalf("code %d, stdout %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "new", "synth.yaml")); err != nil {
		t.Fatal(err)
	}
}

func TestEvalDryRunNeedsNoKeyAndCallsNothing(t *testing.T) {
	_, cfg := exampleProject(t)
	data, _ := os.ReadFile(cfg)
	withGPT := strings.Replace(string(data), "models:\n", "models:\n  gpt: {provider: openai, model: gpt-4o-mini, api_key_env: SYNTH_TEST_NO_SUCH_KEY, max_tokens: 100, price: {input: 1, output: 2}}\n", 1)
	withGPT = strings.Replace(withGPT, "  concurrency: 4", "  concurrency: 4\n  judge: gpt\n  validators: [{type: match}, {type: judge}]", 1)
	if err := os.WriteFile(cfg, []byte(withGPT), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "gpt", "--dry-run", "--json")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errOut)
	}
	var plan map[string]any
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if plan["model_calls"] != 20.0 || plan["judge_calls_min"] != 20.0 || plan["completion_tokens_max"] != 2000.0 {
		t.Errorf("plan = %v", plan)
	}
	if c, _ := plan["cost_usd_max"].(float64); c <= 0 {
		t.Errorf("cost_usd_max = %v, want > 0 with prices set", plan["cost_usd_max"])
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "runs")); err == nil {
		t.Error("a dry run created runs/")
	}
}

func TestIndexBadDocsIsUsageError(t *testing.T) {
	_, cfg := exampleProject(t)
	data, _ := os.ReadFile(cfg)
	bad := strings.Replace(string(data), `- "docs/**/*.txt"`, `- "docs/**/*.txt"`+"\n    - \"manuals/*.md\"", 1)
	if bad == string(data) {
		t.Fatal("could not edit the example config")
	}
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := synthCLI(t, "index", "--config", cfg)
	if code != exitUsage || !strings.Contains(errOut, "knowledge.docs") || !strings.Contains(errOut, "manuals/*.md") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestEvalDryRunReportsBadValidatorParams(t *testing.T) {
	_, cfg := exampleProject(t)
	data, _ := os.ReadFile(cfg)
	bad := strings.Replace(string(data), "  concurrency: 4", "  concurrency: 4\n  validators: [{type: match}, {type: grounded, min_support: 3}]", 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "base", "--dry-run")
	if code != exitUsage || !strings.Contains(errOut, "eval.validators[1].min_support") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}
