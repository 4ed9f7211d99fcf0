package pipelines

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/spec"
)

func TestParseTrainingDataFormats(t *testing.T) {
	cases := []struct {
		name  string
		line  string
		pairs [][2]string
		chat  bool
	}{
		{"native", `{"id":"s1","question":"How do I reset my password?","answer":"Use the reset page.","provenance":{"failed_item":"password-forgot"},"verdicts":[{"validator":"links","score":1,"pass":true}]}`, [][2]string{{"How do I reset my password?", "Use the reset page."}}, false},
		{"native rejected", `{"question":"Q?","answer":"A.","rejections":["links: invented"]}` + "\n" + `{"question":"Kept?","answer":"Yes."}`, [][2]string{{"Kept?", "Yes."}}, false},
		{"openai chat", `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Q1?"},{"role":"assistant","content":"A1."}]}`, [][2]string{{"Q1?", "A1."}}, true},
		{"alpaca", `{"instruction":"Q2?","input":"","output":"A2."}`, [][2]string{{"Q2?", "A2."}}, false},
		{"alpaca with input", `{"instruction":"Answer the question.","input":"Q3?","output":"A3."}`, [][2]string{{"Answer the question.\nQ3?", "A3."}}, false},
		{"sharegpt", `{"conversations":[{"from":"system","value":"S"},{"from":"human","value":"Q4?"},{"from":"gpt","value":"A4."}]}`, [][2]string{{"Q4?", "A4."}}, false},
		{"lamini", `{"input":"Q5?","output":"A5."}`, [][2]string{{"Q5?", "A5."}}, false},
		{"dpo", `{"prompt":"Q6?","chosen":"A6.","rejected":"Sorry, I don't understand."}`, [][2]string{{"Q6?", "A6."}}, false},
		{"eval-set style answer list", `{"question":"Q7?","answer":["A7.","Also A7."]}`, [][2]string{{"Q7?", "A7."}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			td, err := ParseTrainingData("train.jsonl", []byte(tc.line+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(td.Pairs) != len(tc.pairs) {
				t.Fatalf("pairs %+v, want %v", td.Pairs, tc.pairs)
			}
			for i, p := range tc.pairs {
				if td.Pairs[i].Question != p[0] || td.Pairs[i].Answer != p[1] {
					t.Errorf("pair %d = %q/%q, want %q/%q", i, td.Pairs[i].Question, td.Pairs[i].Answer, p[0], p[1])
				}
			}
			chat := td.ChatJSONL("SYS")
			lines := bytes.Split(bytes.TrimSpace(chat), []byte("\n"))
			if len(lines) != td.Examples() {
				t.Fatalf("%d chat lines for %d examples:\n%s", len(lines), td.Examples(), chat)
			}
			for _, l := range lines {
				var ex struct {
					Messages []llm.Message `json:"messages"`
				}
				if err := json.Unmarshal(l, &ex); err != nil || len(ex.Messages) < 2 {
					t.Fatalf("chat line %s: %v", l, err)
				}
				if tc.chat {
					if ex.Messages[0].Content != "Be brief." {
						t.Errorf("a chat line was rewritten: %s", l)
					}
					continue
				}
				if ex.Messages[0].Role != llm.System || ex.Messages[0].Content != "SYS" || ex.Messages[len(ex.Messages)-1].Role != llm.Assistant {
					t.Errorf("converted line %s", l)
				}
			}
			if tc.chat != (len(td.Chats) > 0) {
				t.Errorf("chats %v", td.Chats)
			}
		})
	}
	t.Run("no system prompt", func(t *testing.T) {
		td, _ := ParseTrainingData("t", []byte(`{"question":"Q?","answer":"A."}`))
		if got := string(td.ChatJSONL("")); got != `{"messages":[{"role":"user","content":"Q?"},{"role":"assistant","content":"A."}]}`+"\n" {
			t.Errorf("got %s", got)
		}
	})
}

func TestParseTrainingDataErrors(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"empty", "", "train.jsonl: no training examples"},
		{"only rejected", `{"question":"Q","answer":"A","rejections":["x"]}`, "no training examples"},
		{"bad JSON", "{\"question\":\"Q\",\"answer\":\"A\"}\n{oops\n", "train.jsonl:2: not valid JSON"},
		{"not an object", "[1,2]\n", "train.jsonl:1: not a JSON object"},
		{"unknown shape", `{"foo": 1}`, "train.jsonl:1: no Q&A pair"},
		{"empty answer", `{"question":"Q","answer":""}`, "train.jsonl:1: empty answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTrainingData("train.jsonl", []byte(tc.data))
			var ie *dataset.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an input error with %q", err, tc.want)
			}
		})
	}
}

func FuzzParseTrainingData(f *testing.F) {
	for _, s := range []string{
		`{"question":"Q?","answer":"A."}`,
		`{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}`,
		`{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}`,
		`{"instruction":"Q","input":"x","output":"A"}` + "\n\n" + `{"prompt":"P","chosen":"C"}`,
		"\xef\xbb\xbf{\"input\":\"Q\",\"output\":\"A\"}",
		`{"messages":"nope"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := ParseTrainingData("fuzz.jsonl", data)
		if err != nil {
			var ie *dataset.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an input error: %v", err)
			}
			return
		}
		if len(td.Pairs) == 0 || td.Examples() == 0 {
			t.Fatal("success without examples")
		}
		for _, l := range bytes.Split(bytes.TrimSpace(td.ChatJSONL("S")), []byte("\n")) {
			if !json.Valid(l) {
				t.Fatalf("chat line is not JSON: %q", l)
			}
		}
	})
}

// writeTraining writes n Q&A pairs in the native format.
func writeTraining(t *testing.T, dir string, n int, extra ...string) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"question":"Synthetic question %d about invoices?","answer":"Answer %d: open Settings > Billing."}`+"\n", i, i)
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	path := filepath.Join(dir, "data", "train.jsonl")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func builtinConfig() map[string]any {
	return map[string]any{
		"models": map[string]any{
			"base":   map[string]any{"provider": "builtin", "threshold": 0.4},
			"mine":   map[string]any{"provider": "replay", "path": "outputs.jsonl"},
			"pinned": map[string]any{"provider": "builtin"},
		},
	}
}

func TestTuneBuiltin(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "evalset.jsonl"), []byte(`{"id":"inv-1","question":"Synthetic question 2 about invoices?","answer":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := builtinConfig()
	raw["eval"] = map[string]any{"dataset": "evalset.jsonl"}
	p, _ := loadProject(t, dir, raw)
	data := writeTraining(t, dir, 3)
	plan, err := PrepareTune(p, TuneOptions{Name: "Tuned", Base: "base", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "inv-1") {
		t.Errorf("warnings %q: want the eval-set question named", plan.Warnings)
	}
	m, err := plan.Run(context.Background(), TuneWatch{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "tuned" || m.State != TunedReady || m.Params["memory"] != ".synth/models/tuned.jsonl" || m.Data.Examples != 3 || m.Data.Path != "data/train.jsonl" {
		t.Errorf("model %+v", m)
	}
	pairs, err := llm.ReadMemory(filepath.Join(dir, ".synth", "models", "tuned.jsonl"))
	if err != nil || len(pairs) != 3 || pairs[1].Question != "Synthetic question 1 about invoices?" {
		t.Fatalf("memory %+v %v", pairs, err)
	}

	// The next command sees the tuned model, with its base's settings.
	p2, _ := loadProject(t, dir, builtinConfig())
	cfg, err := p2.ModelConfig("tuned")
	if err != nil || cfg.Provider != llm.ProviderBuiltin || cfg.Builtin.Threshold != 0.4 || cfg.Builtin.Memory != ".synth/models/tuned.jsonl" {
		t.Fatalf("tuned config %+v %v", cfg, err)
	}

	// Tuning the tuned model adds to its memory; a repeated question is replaced.
	more := filepath.Join(dir, "more.jsonl")
	_ = os.WriteFile(more, []byte(`{"question":"Synthetic question 0 about invoices?","answer":"Newer answer."}`+"\n"+`{"question":"Brand new?","answer":"Yes."}`+"\n"), 0o644)
	plan, err = PrepareTune(p2, TuneOptions{Name: "tuned2", Base: "tuned", Data: more})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(context.Background(), TuneWatch{}); err != nil {
		t.Fatal(err)
	}
	pairs, _ = llm.ReadMemory(filepath.Join(dir, ".synth", "models", "tuned2.jsonl"))
	got := map[string]string{}
	for _, pr := range pairs {
		got[pr.Question] = pr.Answer
	}
	if len(pairs) != 4 || got["Synthetic question 0 about invoices?"] != "Newer answer." || got["Brand new?"] != "Yes." {
		t.Errorf("accumulated memory %+v", pairs)
	}

	// rm refuses while tuned2 depends on tuned, then removes both.
	if _, err := RemoveTuned(dir, "tuned"); err == nil || !strings.Contains(err.Error(), "base of tuned2") {
		t.Errorf("rm of a base: %v", err)
	}
	for _, n := range []string{"tuned2", "tuned"} {
		if _, err := RemoveTuned(dir, n); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, ".synth", "models", n+".jsonl")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("memory of %s left: %v", n, err)
		}
	}
	if _, err := RemoveTuned(dir, "tuned"); err == nil {
		t.Error("second rm succeeded")
	}
}

func TestTuneConflictsAndBadRequests(t *testing.T) {
	dir := t.TempDir()
	data := writeTraining(t, dir, 2)
	register(t, dir,
		&TunedModel{Name: "taken", Base: "base", State: TunedReady, Params: map[string]any{"memory": "x.jsonl"}},
		&TunedModel{Name: "broken", Base: "base", State: TunedFailed},
	)
	p, _ := loadProject(t, dir, builtinConfig())
	cases := []struct {
		name string
		o    TuneOptions
		want string
		spec bool
	}{
		{"name in config", TuneOptions{Name: "pinned", Base: "base", Data: data}, "models.pinned: is already defined", true},
		{"already registered", TuneOptions{Name: "taken", Base: "base", Data: data}, "already registered", false},
		{"base is name", TuneOptions{Name: "base", Base: "base", Data: data}, "base model's name", false},
		{"unknown base", TuneOptions{Name: "x", Base: "nope", Data: data}, `no model named "nope"`, true},
		{"replay base", TuneOptions{Name: "x", Base: "mine", Data: data}, "provider replay", false},
		{"bad name", TuneOptions{Name: "../evil", Base: "base", Data: data}, "invalid model name", false},
		{"missing data", TuneOptions{Name: "x", Base: "base", Data: filepath.Join(dir, "none.jsonl")}, "none.jsonl", false},
		{"no data flag", TuneOptions{Name: "x", Base: "base"}, "--data is required", false},
		{"epochs on builtin", TuneOptions{Name: "x", Base: "base", Data: data, Epochs: 3}, "remote fine-tuning", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PrepareTune(p, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			var se *spec.Error
			if tc.spec != errors.As(err, &se) {
				t.Errorf("spec error: %v, want %v", errors.As(err, &se), tc.spec)
			}
		})
	}
	for _, o := range []TuneOptions{{Name: "taken", Base: "base", Data: data, Force: true}, {Name: "broken", Base: "base", Data: data}} {
		plan, err := PrepareTune(p, o)
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		if m, err := plan.Run(context.Background(), TuneWatch{}); err != nil || m.State != TunedReady {
			t.Fatalf("%s: %+v %v", o.Name, m, err)
		}
	}
}

// remoteProject is a project whose model gpt is served by a fake server
// with the fine-tuning API.
func remoteProject(t *testing.T, script llmtest.JobScript) (*Project, *llmtest.Server, *llmtest.FineTune, string) {
	t.Helper()
	srv := llmtest.NewServer(t, llmtest.WithAuth("sk-test-key-123456"))
	ft := llmtest.NewFineTune(srv.Handler, llmtest.WithJobScript(script))
	dir := t.TempDir()
	raw := map[string]any{"models": map[string]any{
		"gpt": map[string]any{"provider": "openai", "model": "gpt-4o-mini", "base_url": srv.URL(), "api_key_env": "TEST_KEY", "max_retries": 1},
	}}
	notes, err := MergeTunedModels(raw, dir)
	if err != nil || len(notes) > 0 {
		t.Fatal(err, notes)
	}
	cfg, err := ParseConfig(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := OpenProject(cfg, ProjectOptions{LookupEnv: func(k string) (string, bool) {
		if k == "TEST_KEY" {
			return "sk-test-key-123456", true
		}
		return "", false
	}})
	t.Cleanup(func() { p.Close(context.Background()) }) // cache writes land before the temp dir goes
	return p, srv, ft, writeTraining(t, dir, 12)
}

// recSleep records the waits asked for, returning at once (or failing with
// the context's error once stopAfter waits were taken and cancel was called).
type recSleep struct {
	waits     []time.Duration
	stopAfter int
	cancel    context.CancelFunc
}

func (r *recSleep) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	if r.cancel != nil && len(r.waits) >= r.stopAfter {
		r.cancel()
	}
	return ctx.Err()
}

func TestTuneRemoteSucceeds(t *testing.T) {
	p, srv, ft, data := remoteProject(t, llmtest.Succeeds())
	sys := "You are Nimbus support."
	plan, err := PrepareTune(p, TuneOptions{Name: "gpt-tuned", Base: "gpt", Data: data, Suffix: "support", Epochs: 2, System: &sys})
	if err != nil {
		t.Fatal(err)
	}
	sl := &recSleep{}
	var statuses []string
	var events int
	m, err := plan.Run(context.Background(), TuneWatch{
		Interval: time.Second, MaxInterval: 2 * time.Second, Sleep: sl.sleep,
		OnJob: func(j llm.FineTuneJob, evs []llm.FineTuneEvent) {
			statuses = append(statuses, j.Status)
			events += len(evs)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "ft:gpt-4o-mini:synth:support:llmtest-2"
	if m.State != TunedReady || m.Params["model"] != want || m.Job.FineTunedModel != want || m.Job.TrainedTokens <= 0 {
		t.Fatalf("model %+v job %+v", m, m.Job)
	}
	if strings.Join(statuses, ",") != "queued,running,running,succeeded" {
		t.Errorf("statuses seen %v", statuses)
	}
	if fmt.Sprint(sl.waits) != "[1s 1.5s 2s]" {
		t.Errorf("poll waits %v: want growing by half up to the max", sl.waits)
	}
	if events < 4 {
		t.Errorf("%d events reported", events)
	}
	// What went over the wire: the chat file with the system prompt, the job request.
	files := ft.Files()
	content, _ := ft.FileData(files[0])
	if n := bytes.Count(content, []byte("\n")); n != 12 || !bytes.Contains(content, []byte(`"content":"You are Nimbus support."`)) {
		t.Errorf("uploaded file (%d lines):\n%s", n, content)
	}
	req, _ := ft.JobRequest(ft.Jobs()[0])
	if string(req["model"]) != `"gpt-4o-mini"` || string(req["suffix"]) != `"support"` || !strings.Contains(string(req["method"]), `"n_epochs":2`) {
		t.Errorf("job request %v", req)
	}
	for _, r := range srv.Log() {
		if r.Header.Get("Authorization") != "Bearer sk-test-key-123456" {
			t.Errorf("%s %s without the key", r.Method, r.Path)
		}
	}
	raw, _ := os.ReadFile(TunedRegistryPath(p.Config.Dir))
	if bytes.Contains(raw, []byte("sk-test-key")) {
		t.Fatal("the API key reached the registry")
	}

	// The registered model answers through the fake server with the tuned id.
	p2, _ := loadProject(t, p.Config.Dir, map[string]any{"models": map[string]any{"gpt": p.Config.Models["gpt"].Params}})
	p2.opts.LookupEnv = p.opts.LookupEnv
	mdl, err := p2.Model(context.Background(), "gpt-tuned")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mdl.Generate(context.Background(), llm.Prompt("hello")); err != nil {
		t.Fatal(err)
	}
	chats := srv.ChatRequests()
	if len(chats) != 1 || chats[0].Model != want {
		t.Errorf("chat requests %+v, want one for %s", chats, want)
	}
}

func TestTuneRemoteFailsOrIsCancelled(t *testing.T) {
	cases := []struct {
		name   string
		script llmtest.JobScript
		status string
		want   string
	}{
		{"failed", llmtest.Fails("invalid_training_file", "Training file has 2 examples with no assistant reply"), "failed", "invalid_training_file: Training file has 2 examples"},
		{"cancelled", llmtest.JobScript{Steps: []string{llmtest.StatusQueued, llmtest.StatusCancelled}}, "cancelled", "cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _, _, data := remoteProject(t, tc.script)
			plan, err := PrepareTune(p, TuneOptions{Name: "ft", Base: "gpt", Data: data})
			if err != nil {
				t.Fatal(err)
			}
			m, err := plan.Run(context.Background(), TuneWatch{Sleep: (&recSleep{}).sleep})
			var jf *JobFailedError
			if !errors.As(err, &jf) || jf.Status != tc.status || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a %s job error with %q", err, tc.status, tc.want)
			}
			reg, _ := LoadTunedRegistry(p.Config.Dir)
			if r := reg.Models["ft"]; r == nil || r.State != TunedFailed || r.Job.Status != tc.status || m.State != TunedFailed {
				t.Fatalf("registry %+v", r)
			}
			// A failed name can be tuned again without --force.
			if _, err := PrepareTune(p, TuneOptions{Name: "ft", Base: "gpt", Data: data}); err != nil {
				t.Errorf("retune after failure: %v", err)
			}
		})
	}
}

func TestTuneRemoteNoWaitThenStatus(t *testing.T) {
	p, _, ft, data := remoteProject(t, llmtest.Succeeds())
	plan, err := PrepareTune(p, TuneOptions{Name: "later", Base: "gpt", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	m, err := plan.Run(context.Background(), TuneWatch{NoWait: true})
	if err != nil || m.State != TunedPending || m.Job.Status != llm.JobValidatingFiles {
		t.Fatalf("%+v %v", m, err)
	}
	if n := ft.Polls(m.Job.ID); n != 0 {
		t.Errorf("--no-wait polled %d times", n)
	}
	// A pending model is not usable yet.
	if p2, _ := loadProject(t, p.Config.Dir, map[string]any{"models": map[string]any{"gpt": p.Config.Models["gpt"].Params}}); p2.Config.Models["later"].Name != "" {
		t.Error("pending model merged into models")
	}
	var seen []string
	for i := 0; i < 10; i++ {
		m, err = TuneStatus(context.Background(), p, "later", false, TuneWatch{OnJob: func(j llm.FineTuneJob, _ []llm.FineTuneEvent) { seen = append(seen, j.Status) }}, llm.FineTuneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.State == TunedReady {
			break
		}
	}
	if m.State != TunedReady || strings.Join(seen, ",") != "queued,running,running,succeeded" {
		t.Fatalf("state %s after polls %v", m.State, seen)
	}
	reg, _ := LoadTunedRegistry(p.Config.Dir)
	if reg.Models["later"].State != TunedReady || reg.Models["later"].Params["model"] == nil {
		t.Errorf("registry %+v", reg.Models["later"])
	}
	// Status of a ready model asks nothing.
	polls := ft.Polls(m.Job.ID)
	if _, err := TuneStatus(context.Background(), p, "later", false, TuneWatch{}, llm.FineTuneOptions{}); err != nil || ft.Polls(m.Job.ID) != polls {
		t.Errorf("status of a ready model: %v, %d polls", err, ft.Polls(m.Job.ID)-polls)
	}
	if _, err := TuneStatus(context.Background(), p, "nope", false, TuneWatch{}, llm.FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "registered: later") {
		t.Errorf("unknown name: %v", err)
	}
}

func TestTuneRemoteInterruptedLeavesJobRunning(t *testing.T) {
	p, _, ft, data := remoteProject(t, llmtest.Succeeds())
	plan, err := PrepareTune(p, TuneOptions{Name: "bg", Base: "gpt", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sl := &recSleep{stopAfter: 2, cancel: cancel}
	_, err = plan.Run(ctx, TuneWatch{Sleep: sl.sleep})
	var pe *PendingError
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "synth tune status bg") {
		t.Fatalf("got %v, want a pending error telling how to check", err)
	}
	job := ft.Jobs()[0]
	if st, _ := ft.Status(job); st == llmtest.StatusCancelled {
		t.Error("Ctrl-C cancelled the job")
	}
	reg, _ := LoadTunedRegistry(p.Config.Dir)
	if m := reg.Models["bg"]; m == nil || m.State != TunedPending || m.Job.ID != job {
		t.Fatalf("registry %+v", m)
	}
	// --wait follows it to the end.
	m, err := TuneStatus(context.Background(), p, "bg", true, TuneWatch{Sleep: (&recSleep{}).sleep}, llm.FineTuneOptions{})
	if err != nil || m.State != TunedReady {
		t.Fatalf("status --wait: %+v %v", m, err)
	}
}

func TestTuneRemoteCancel(t *testing.T) {
	p, _, ft, data := remoteProject(t, llmtest.Succeeds())
	plan, err := PrepareTune(p, TuneOptions{Name: "c", Base: "gpt", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(context.Background(), TuneWatch{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	m, err := CancelTune(context.Background(), p, "c", llm.FineTuneOptions{})
	if err != nil || m.State != TunedFailed || m.Job.Status != llm.JobCancelled {
		t.Fatalf("%+v %v", m, err)
	}
	if st, _ := ft.Status(ft.Jobs()[0]); st != llmtest.StatusCancelled {
		t.Errorf("server status %s", st)
	}
	if _, err := CancelTune(context.Background(), p, "c", llm.FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "only a pending") {
		t.Errorf("second cancel: %v", err)
	}
}

func TestTuneRemoteChecks(t *testing.T) {
	p, srv, _, _ := remoteProject(t, llmtest.Succeeds())
	small := writeTraining(t, t.TempDir(), 4)
	_, err := PrepareTune(p, TuneOptions{Name: "x", Base: "gpt", Data: small})
	if err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("4 examples: %v", err)
	}
	p.opts.LookupEnv = func(string) (string, bool) { return "", false }
	_, err = PrepareTune(p, TuneOptions{Name: "x", Base: "gpt", Data: writeTraining(t, t.TempDir(), 10)})
	if !errors.Is(err, llm.ErrAuth) || !strings.Contains(err.Error(), "TEST_KEY") {
		t.Errorf("no key: %v", err)
	}
	if srv.Requests() != 0 {
		t.Errorf("%d requests sent by failed preparations", srv.Requests())
	}
}
