package llm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

const chatLine = `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Go to Settings > Password."}]}` + "\n"

func newFTClient(t *testing.T, srv *llmtest.Server, sl *fakeSleep, retries int) *FineTuneClient {
	t.Helper()
	cfg := Config{Provider: ProviderOpenAI, Model: "gpt-4o-mini", BaseURL: srv.URL(), APIKeyEnv: "FT_KEY", APIKeyEnvSet: true, MaxRetries: retries, Timeout: 5 * time.Second}
	c, err := NewFineTuneClient("gpt", cfg, FineTuneOptions{LookupEnv: env(map[string]string{"FT_KEY": canaryKey}), Sleep: sl.sleep, Jitter: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFineTuneLifecycle(t *testing.T) {
	cases := []struct {
		name       string
		script     llmtest.JobScript
		wantStatus []string
		wantModel  string
		wantErr    string
	}{
		{"succeeds", llmtest.Succeeds(), []string{"queued", "running", "running", "succeeded", "succeeded"}, "ft:gpt-4o-mini:synth:sfx:llmtest-2", ""},
		{"fails", llmtest.Fails("invalid_training_file", "The file has too few examples"), []string{"queued", "running", "failed", "failed"}, "", "The file has too few examples"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithAuth(canaryKey))
			ft := llmtest.NewFineTune(srv.Handler, llmtest.WithJobScript(tc.script))
			sl := &fakeSleep{}
			c := newFTClient(t, srv, sl, 2)
			ctx := context.Background()
			f, err := c.UploadFile(ctx, "train.jsonl", []byte(strings.Repeat(chatLine, 3)), PurposeFineTune)
			if err != nil {
				t.Fatal(err)
			}
			if f.ID == "" || f.Purpose != PurposeFineTune || f.Bytes != int64(3*len(chatLine)) {
				t.Fatalf("file %+v", f)
			}
			if got, _ := ft.FileData(f.ID); string(got) != strings.Repeat(chatLine, 3) {
				t.Fatalf("server got %q", got)
			}
			job, err := c.CreateJob(ctx, FineTuneJobRequest{Model: "gpt-4o-mini", TrainingFile: f.ID, Suffix: "sfx", Method: Supervised(3)})
			if err != nil {
				t.Fatal(err)
			}
			if job.Status != JobValidatingFiles || job.Model != "gpt-4o-mini" || job.FineTunedModel != "" || job.Error != nil {
				t.Fatalf("new job %+v", job)
			}
			req, _ := ft.JobRequest(job.ID)
			var method map[string]any
			if err := json.Unmarshal(req["method"], &method); err != nil || method["type"] != "supervised" {
				t.Fatalf("method sent: %s", req["method"])
			}
			if !strings.Contains(string(req["method"]), `"n_epochs":3`) {
				t.Errorf("epochs not sent: %s", req["method"])
			}
			var statuses []string
			for range tc.wantStatus {
				j, err := c.Job(ctx, job.ID)
				if err != nil {
					t.Fatal(err)
				}
				statuses = append(statuses, j.Status)
				job = j
			}
			if strings.Join(statuses, ",") != strings.Join(tc.wantStatus, ",") {
				t.Errorf("statuses %v, want %v", statuses, tc.wantStatus)
			}
			if job.FineTunedModel != tc.wantModel {
				t.Errorf("fine-tuned model %q, want %q", job.FineTunedModel, tc.wantModel)
			}
			if tc.wantErr != "" && (job.Error == nil || job.Error.Message != tc.wantErr || job.Error.Code == "") {
				t.Errorf("job error %+v, want %q", job.Error, tc.wantErr)
			}
			if tc.wantErr == "" && (job.Error != nil || job.TrainedTokens <= 0 || job.FinishedAt == 0) {
				t.Errorf("succeeded job %+v", job)
			}
			evs, err := c.Events(ctx, job.ID, "", 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) < 3 || !strings.Contains(evs[0].Message, "Validating") {
				t.Errorf("events (oldest first) %+v", evs)
			}
			if _, err := c.Cancel(ctx, job.ID); !errors.Is(err, ErrBadRequest) {
				t.Errorf("cancel of a finished job: %v", err)
			}
		})
	}
}

func TestFineTuneCancel(t *testing.T) {
	srv := llmtest.NewServer(t)
	ft := llmtest.NewFineTune(srv.Handler)
	c := newFTClient(t, srv, &fakeSleep{}, 0)
	ctx := context.Background()
	f, err := c.UploadFile(ctx, "t.jsonl", []byte(chatLine), PurposeFineTune)
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.CreateJob(ctx, FineTuneJobRequest{Model: "m", TrainingFile: f.ID})
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Cancel(ctx, job.ID)
	if err != nil || j.Status != JobCancelled || !JobDone(j.Status) {
		t.Fatalf("cancel: %+v %v", j, err)
	}
	if j, _ = c.Job(ctx, job.ID); j.Status != JobCancelled {
		t.Errorf("after cancel: %s", j.Status)
	}
	if st, _ := ft.Status(job.ID); st != llmtest.StatusCancelled {
		t.Errorf("server status %s", st)
	}
}

func TestFineTuneRetries(t *testing.T) {
	t.Run("upload retried after 429 with Retry-After", func(t *testing.T) {
		srv := llmtest.NewServer(t)
		llmtest.NewFineTune(srv.Handler)
		srv.Enqueue("/v1/files", llmtest.RateLimited(3*time.Second), llmtest.ServerError())
		sl := &fakeSleep{}
		c := newFTClient(t, srv, sl, 3)
		if _, err := c.UploadFile(context.Background(), "t.jsonl", []byte(chatLine), PurposeFineTune); err != nil {
			t.Fatal(err)
		}
		w := sl.waits()
		if len(w) != 2 || w[0] < 3*time.Second {
			t.Errorf("waits %v: want 2, the first at least the Retry-After of 3s", w)
		}
		if n := srv.Count("/v1/files"); n != 3 {
			t.Errorf("%d uploads, want 3", n)
		}
	})
	t.Run("job creation not retried on 500", func(t *testing.T) {
		srv := llmtest.NewServer(t)
		llmtest.NewFineTune(srv.Handler)
		c := newFTClient(t, srv, &fakeSleep{}, 3)
		f, err := c.UploadFile(context.Background(), "t.jsonl", []byte(chatLine), PurposeFineTune)
		if err != nil {
			t.Fatal(err)
		}
		srv.Enqueue("/v1/fine_tuning/jobs", llmtest.ServerError())
		_, err = c.CreateJob(context.Background(), FineTuneJobRequest{Model: "m", TrainingFile: f.ID})
		if !errors.Is(err, ErrServer) || srv.Count("/v1/fine_tuning/jobs") != 1 {
			t.Errorf("err %v after %d calls: want one call failing with a server error", err, srv.Count("/v1/fine_tuning/jobs"))
		}
		srv.Enqueue("/v1/fine_tuning/jobs", llmtest.RateLimited(time.Second))
		if _, err := c.CreateJob(context.Background(), FineTuneJobRequest{Model: "m", TrainingFile: f.ID}); err != nil {
			t.Errorf("429 then success: %v", err)
		}
	})
	t.Run("gives up after max retries", func(t *testing.T) {
		srv := llmtest.NewServer(t)
		llmtest.NewFineTune(srv.Handler)
		srv.Enqueue("/v1/fine_tuning/jobs/ftjob-x", llmtest.ServerError(), llmtest.ServerError(), llmtest.ServerError())
		c := newFTClient(t, srv, &fakeSleep{}, 2)
		_, err := c.Job(context.Background(), "ftjob-x")
		if Retries(err) != 2 || !errors.Is(err, ErrServer) {
			t.Errorf("err %v, retries %d", err, Retries(err))
		}
	})
}

func TestFineTuneErrors(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAuth("sk-the-right-key-1234"))
	llmtest.NewFineTune(srv.Handler)
	c := newFTClient(t, srv, &fakeSleep{}, 2)
	_, err := c.UploadFile(context.Background(), "t.jsonl", []byte(chatLine), PurposeFineTune)
	if !errors.Is(err, ErrAuth) || srv.Count("/v1/files") != 1 {
		t.Errorf("wrong key: %v (%d calls), want one auth error", err, srv.Count("/v1/files"))
	}
	if strings.Contains(err.Error(), canaryKey) {
		t.Fatalf("error leaks the key: %v", err)
	}

	srv2 := llmtest.NewServer(t)
	llmtest.NewFineTune(srv2.Handler)
	c2 := newFTClient(t, srv2, &fakeSleep{}, 2)
	for _, tc := range []struct {
		name, data, purpose, want string
	}{
		{"bad purpose", chatLine, "training", "purpose"},
		{"not JSON", "{oops\n", PurposeFineTune, "Line 1"},
		{"no assistant", `{"messages":[{"role":"user","content":"hi"}]}` + "\n", PurposeFineTune, "no assistant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c2.UploadFile(context.Background(), "t.jsonl", []byte(tc.data), tc.purpose)
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a bad request naming %q", err, tc.want)
			}
		})
	}
	_, err = c2.CreateJob(context.Background(), FineTuneJobRequest{Model: "m", TrainingFile: "file-nope"})
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "training_file") {
		t.Errorf("unknown file: %v", err)
	}
	if _, err := c2.Job(context.Background(), "ftjob-nope"); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("unknown job: %v", err)
	}

	if _, err := NewFineTuneClient("local", Config{Provider: ProviderOllama, Model: "llama3.2"}, FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "ollama") {
		t.Errorf("ollama accepted: %v", err)
	}
	_, err = NewFineTuneClient("gpt", Config{Provider: ProviderOpenAI, Model: "m", BaseURL: DefaultOpenAIBaseURL}, FineTuneOptions{LookupEnv: env(nil)})
	if !errors.Is(err, ErrAuth) {
		t.Errorf("no key for a hosted API: %v", err)
	}
}

func TestFineTuneScheduledJob(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	srv := llmtest.NewServer(t)
	llmtest.NewFineTune(srv.Handler, llmtest.WithJobSchedule(time.Minute, clock))
	c := newFTClient(t, srv, &fakeSleep{}, 0)
	ctx := context.Background()
	f, _ := c.UploadFile(ctx, "t.jsonl", []byte(chatLine), PurposeFineTune)
	job, err := c.CreateJob(ctx, FineTuneJobRequest{Model: "m", TrainingFile: f.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		want  string
	}{{0, "validating_files"}, {30 * time.Second, "validating_files"}, {time.Minute, "queued"}, {3 * time.Minute, "running"}, {10 * time.Minute, "succeeded"}} {
		now = time.Unix(1_700_000_000, 0).Add(step.after)
		j, err := c.Job(ctx, job.ID)
		if err != nil || j.Status != step.want {
			t.Errorf("after %s: %s (%v), want %s", step.after, j.Status, err, step.want)
		}
	}
}

func TestFineTuneJobJSON(t *testing.T) {
	var j FineTuneJob
	in := `{"id":"ftjob-1","object":"fine_tuning.job","model":"m","status":"running","created_at":1,"finished_at":null,"fine_tuned_model":null,"training_file":"file-1","validation_file":null,"trained_tokens":null,"error":{"code":null,"message":null,"param":null}}`
	if err := json.Unmarshal([]byte(in), &j); err != nil {
		t.Fatal(err)
	}
	if j.Error != nil || j.FineTunedModel != "" || j.Status != "running" || j.CreatedAt != 1 {
		t.Errorf("%+v", j)
	}
}
