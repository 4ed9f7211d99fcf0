package pipelines

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
)

// The conformance tests send the requests of synth's OpenAI-compatible
// clients — chat completions (langchaingo with synth's body patch),
// embeddings, file upload and fine-tuning jobs — to a Prism mock serving
// OpenAI's official OpenAPI spec (../shared/data/openai-openapi). Prism
// validates every request against the spec and answers 422, naming the
// field, when the real API would reject it; our own fake server cannot
// show that. They run only when SYNTH_PRISM_URL is set:
//
//	npx --yes @stoplight/prism-cli@5.14.2 mock -h 127.0.0.1 -p 4010 ../shared/data/openai-openapi/openapi.prism.v1.json &
//	SYNTH_PRISM_URL=http://127.0.0.1:4010/v1 go test ./pipelines -run Prism -v

func prismURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SYNTH_PRISM_URL")
	if u == "" {
		t.Skip("SYNTH_PRISM_URL is not set: start Prism on the OpenAI spec to run the conformance tests")
	}
	return strings.TrimRight(u, "/")
}

// prismKey is any bearer token: Prism accepts all.
const prismKey = "sk-prism-conformance-0000"

func prismEnv(k string) (string, bool) {
	if k == "PRISM_KEY" {
		return prismKey, true
	}
	return "", false
}

// rejected reports whether err is the spec rejecting a request (HTTP 422 or 400).
func rejected(err error) bool {
	var ae *llm.APIError
	if errors.As(err, &ae) {
		return ae.Status == 422 || ae.Status == 400
	}
	return strings.Contains(fmt.Sprint(err), "422")
}

func TestPrismChatCompletions(t *testing.T) {
	base := prismURL(t)
	cases := []struct {
		name  string
		model map[string]any
		req   llm.Request
	}{
		{"eval defaults", map[string]any{"temperature": 0.0, "top_p": 1.0, "max_tokens": 512, "seed": 7}, llm.Request{}},
		{"legacy max_tokens", map[string]any{"legacy_max_tokens": true, "max_tokens": 64}, llm.Request{}},
		{"JSON mode and stop", map[string]any{"temperature": 0.2}, llm.Request{JSON: true, Stop: []string{"\n\n"}}},
		{"provider defaults", map[string]any{}, llm.Request{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entry := map[string]any{"provider": "openai", "model": "gpt-4o-mini", "base_url": base, "api_key_env": "PRISM_KEY", "max_retries": 0}
			for k, v := range tc.model {
				entry[k] = v
			}
			cfg, err := ParseConfig(map[string]any{"models": map[string]any{"gpt": entry}, "cache": map[string]any{"enabled": false}}, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			p := OpenProject(cfg, ProjectOptions{LookupEnv: prismEnv, NoCache: true})
			m, err := p.Model(context.Background(), "gpt")
			if err != nil {
				t.Fatal(err)
			}
			req := tc.req
			req.Messages = []llm.Message{{Role: llm.System, Content: DefaultSystemPrompt}, {Role: llm.User, Content: UserPrompt("How do I reset my password?", nil, 0)}}
			if req.JSON {
				req.Messages[1].Content += " Answer in JSON."
			}
			resp, err := m.Generate(context.Background(), req)
			if err != nil {
				t.Fatalf("the spec rejects our chat request: %v", err)
			}
			t.Logf("accepted; answer %q, usage %+v", clip(resp.Text, 60), resp.Usage)
		})
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// statusRecorder records the HTTP status of every response.
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
}

func (s *statusRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		s.statuses = append(s.statuses, resp.StatusCode)
		s.mu.Unlock()
	}
	return resp, err
}

func TestPrismEmbeddings(t *testing.T) {
	base := prismURL(t)
	for _, dim := range []int{0, 256} {
		t.Run(fmt.Sprintf("dimensions %d", dim), func(t *testing.T) {
			rec := &statusRecorder{}
			e, err := retrieval.NewEmbedder(retrieval.EmbedderConfig{Provider: "openai", Model: "text-embedding-3-small", BaseURL: base, APIKeyEnv: "PRISM_KEY", Dim: dim, BatchSize: 8, Timeout: 30 * time.Second},
				func(k string) string { v, _ := prismEnv(k); return v }, &http.Client{Transport: rec})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Embed(context.Background(), []string{"How do I reset my password?", "Reset links expire after 30 minutes."})
			if len(rec.statuses) == 0 {
				t.Fatalf("no request reached Prism: %v", err)
			}
			for _, st := range rec.statuses {
				if st != http.StatusOK {
					t.Fatalf("the spec rejects our embeddings request: HTTP %d: %v", st, err)
				}
			}
			// Prism answers with an example vector (out of float32 range), not
			// one per input: the request is what this test checks.
			t.Logf("accepted (HTTP %v; decoding the mock's answer: %v)", rec.statuses, err)
		})
	}
	// The spec does reject a malformed embeddings request: the test can fail.
	bad, _ := http.NewRequest(http.MethodPost, base+"/embeddings", strings.NewReader(`{"model": "text-embedding-3-small", "input": {"not": "text"}}`))
	bad.Header.Set("Content-Type", "application/json")
	bad.Header.Set("Authorization", "Bearer "+prismKey)
	resp, err := http.DefaultClient.Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Errorf("a malformed embeddings request got HTTP %d, want 422", resp.StatusCode)
	}
}

func TestPrismFineTuning(t *testing.T) {
	base := prismURL(t)
	cfg := llm.Config{Provider: llm.ProviderOpenAI, Model: "gpt-4o-mini", BaseURL: base, APIKeyEnv: "PRISM_KEY", APIKeyEnvSet: true, Timeout: 30 * time.Second}
	c, err := llm.NewFineTuneClient("gpt", cfg, llm.FineTuneOptions{LookupEnv: prismEnv})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range MinFineTuneExamples {
		lines = append(lines, fmt.Sprintf(`{"question":"How do I download invoice %d?","answer":"Open Settings > Billing > Invoices and click Download."}`, i))
	}
	td, err := ParseTrainingData("train.jsonl", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	train, err := c.UploadFile(ctx, "tuned.train.jsonl", td.ChatJSONL(DefaultSystemPrompt), llm.PurposeFineTune)
	if err != nil {
		t.Fatalf("the spec rejects our file upload: %v", err)
	}
	val, err := c.UploadFile(ctx, "tuned.validation.jsonl", td.ChatJSONL(""), llm.PurposeFineTune)
	if err != nil {
		t.Fatalf("the spec rejects our validation upload: %v", err)
	}
	t.Logf("uploads accepted: %s, %s", train.ID, val.ID)
	for _, req := range []llm.FineTuneJobRequest{
		{Model: "gpt-4o-mini", TrainingFile: train.ID},
		{Model: "gpt-4o-mini", TrainingFile: train.ID, ValidationFile: val.ID, Suffix: "support", Method: llm.Supervised(3)},
	} {
		job, err := c.CreateJob(ctx, req)
		if err != nil {
			t.Fatalf("the spec rejects our job request %+v: %v", req, err)
		}
		t.Logf("job creation accepted: %s (%s)", job.ID, job.Status)
		if _, err := c.Job(ctx, job.ID); err != nil && rejected(err) {
			t.Errorf("the spec rejects our job poll: %v", err)
		}
		if _, err := c.Events(ctx, job.ID, "", 50); err != nil && rejected(err) {
			t.Errorf("the spec rejects our events request: %v", err)
		}
		if _, err := c.Cancel(ctx, job.ID); err != nil && rejected(err) {
			t.Errorf("the spec rejects our cancel request: %v", err)
		}
	}
	// And the spec does reject what the real API rejects: the test can fail.
	if _, err := c.UploadFile(ctx, "x.jsonl", td.ChatJSONL(""), "training"); !rejected(err) {
		t.Errorf("an upload with purpose \"training\" was not rejected: %v", err)
	}
	if _, err := c.CreateJob(ctx, llm.FineTuneJobRequest{Model: "gpt-4o-mini", TrainingFile: train.ID, Method: llm.Supervised(99)}); !rejected(err) {
		t.Errorf("n_epochs 99 was not rejected: %v", err)
	}
}
