package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/pipelines"
)

// writeData writes n Q&A pairs in the OpenAI chat format and returns the path.
func writeData(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"messages":[{"role":"user","content":"How do I export invoice %d?"},{"role":"assistant","content":"Open Settings > Billing > Invoices and click Download next to invoice %d."}]}`+"\n", i, i)
	}
	path := filepath.Join(dir, "train.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTuneBuiltinThenEval(t *testing.T) {
	dir, config := exampleProject(t)
	// The gold answer of one eval item, learned: the tuned bot answers it from memory.
	data := filepath.Join(dir, "train.jsonl")
	line := `{"question":"Is there a way to pay with PayPal for my team?","answer":"Yes: Pro and Business plans can be paid with PayPal from Settings > Billing > Payment method."}` + "\n"
	if err := os.WriteFile(data, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := synthCLI(t, "--config", config, "tune", "--data", data, "--base", "base", "--name", "tuned")
	if code != 0 || !strings.Contains(out, "registered tuned model tuned") || !strings.Contains(out, "synth eval --model tuned") {
		t.Fatalf("tune: code %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = synthCLI(t, "--config", config, "tune", "list")
	if code != 0 || !strings.Contains(out, "tuned") || !strings.Contains(out, ".synth/models/tuned.jsonl") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	code, out, errOut = synthCLI(t, "--config", config, "ask", "--model", "tuned", "can we pay with paypal for the team")
	if code != 0 || !strings.Contains(out, "Settings > Billing > Payment method") {
		t.Fatalf("ask the tuned model: %d\n%s\n%s", code, out, errOut)
	}
	// Registering the same name again is a usage error; --force replaces it.
	if code, _, errOut = synthCLI(t, "--config", config, "tune", "--data", data, "--base", "base", "--name", "tuned"); code != exitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("second tune: %d %s", code, errOut)
	}
	if code, _, errOut = synthCLI(t, "--config", config, "tune", "--data", data, "--base", "base", "--name", "tuned", "--force", "--json"); code != 0 {
		t.Errorf("--force: %d %s", code, errOut)
	}
	if code, _, errOut = synthCLI(t, "--config", config, "tune", "--data", data, "--base", "nope", "--name", "x"); code != exitUsage || !strings.Contains(errOut, `"nope"`) {
		t.Errorf("unknown base: %d %s", code, errOut)
	}
	if code, _, errOut = synthCLI(t, "--config", config, "tune", "--data", filepath.Join(dir, "synth.yaml"), "--base", "base", "--name", "x"); code != exitUsage || !strings.Contains(errOut, "synth.yaml:") {
		t.Errorf("bad data: %d %s", code, errOut)
	}
	if code, out, _ = synthCLI(t, "--config", config, "tune", "rm", "tuned"); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("rm: %d %s", code, out)
	}
	if code, _, errOut = synthCLI(t, "--config", config, "eval", "--model", "tuned"); code != exitUsage {
		t.Errorf("eval of a removed model: %d %s", code, errOut)
	}
}

func TestTuneRemoteWithFakeServer(t *testing.T) {
	cases := []struct {
		name     string
		script   llmtest.JobScript
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
		state    string
	}{
		{"succeeds", llmtest.Succeeds(), nil, 0, "registered tuned model ft", "job ftjob-llmtest-2: succeeded", pipelines.TunedReady},
		{"fails", llmtest.Fails("invalid_training_file", "every example needs an assistant reply"), nil, exitRunFailed, "", "failed: invalid_training_file: every example needs an assistant reply", pipelines.TunedFailed},
		{"no wait", llmtest.Succeeds(), []string{"--no-wait"}, 0, "synth tune status ft", "created fine-tuning job", pipelines.TunedPending},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			llmtest.NewFineTune(srv.Handler, llmtest.WithJobScript(tc.script))
			dir := t.TempDir()
			config := filepath.Join(dir, "synth.yaml")
			yaml := fmt.Sprintf("models:\n  gpt: {provider: openai, model: gpt-4o-mini, base_url: %q}\n", srv.URL())
			if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--config", config, "tune", "--data", writeData(t, dir, 10), "--base", "gpt", "--name", "ft", "--poll", "1ms"}, tc.args...)
			code, out, errOut := synthCLI(t, args...)
			if code != tc.wantCode || !strings.Contains(out, tc.wantOut) || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("code %d (want %d)\nstdout %s\nstderr %s", code, tc.wantCode, out, errOut)
			}
			reg, err := pipelines.LoadTunedRegistry(dir)
			if err != nil || reg.Models["ft"] == nil || reg.Models["ft"].State != tc.state {
				t.Fatalf("registry %+v %v", reg, err)
			}
			if tc.state != pipelines.TunedPending {
				return
			}
			code, out, errOut = synthCLI(t, "--config", config, "tune", "status", "ft", "--wait", "--poll", "1ms", "--json")
			var m pipelines.TunedModel
			if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m.State != pipelines.TunedReady || !strings.HasPrefix(fmt.Sprint(m.Params["model"]), "ft:gpt-4o-mini:synth:") {
				t.Fatalf("status --wait: %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}
