package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

func TestOpenAIRequestShape(t *testing.T) {
	cases := []struct {
		name  string
		cfg   func(*Config)
		req   Request
		check func(t *testing.T, r llmtest.ChatRequest)
	}{
		{
			name: "unset parameters are not sent",
			req:  Prompt("hi"),
			check: func(t *testing.T, r llmtest.ChatRequest) {
				for _, f := range []string{"temperature", "top_p", "seed", "max_tokens", "max_completion_tokens", "stop", "response_format"} {
					if r.Has(f) {
						t.Errorf("%s sent: %s", f, r.Raw[f])
					}
				}
			},
		},
		{
			name: "config values reach the server exactly",
			cfg: func(c *Config) {
				c.Temperature, c.TopP, c.Seed, c.MaxTokens = ptr(0.0), ptr(0.9), ptr(0), 64
			},
			req: Request{Messages: []Message{{System, "be brief"}, {User, "q1"}, {Assistant, "a1"}, {User, "q2"}}, Stop: []string{"END"}, JSON: true},
			check: func(t *testing.T, r llmtest.ChatRequest) {
				if r.Temperature == nil || *r.Temperature != 0 {
					t.Errorf("temperature = %s", r.Raw["temperature"])
				}
				if r.TopP == nil || *r.TopP != 0.9 {
					t.Errorf("top_p = %s (langchaingo drops it; the patch must restore it)", r.Raw["top_p"])
				}
				if r.Seed == nil || *r.Seed != 0 {
					t.Errorf("seed = %s (seed 0 must be sent)", r.Raw["seed"])
				}
				if r.MaxCompletionTokens == nil || *r.MaxCompletionTokens != 64 || r.Has("max_tokens") {
					t.Errorf("max_completion_tokens = %s, max_tokens = %s", r.Raw["max_completion_tokens"], r.Raw["max_tokens"])
				}
				if len(r.Stop) != 1 || r.Stop[0] != "END" {
					t.Errorf("stop = %v", r.Stop)
				}
				if r.ResponseFormat == nil || r.ResponseFormat.Type != "json_object" {
					t.Errorf("response_format = %s", r.Raw["response_format"])
				}
				want := []llmtest.ChatMessage{{Role: "system", Content: "be brief"}, {Role: "user", Content: "q1"}, {Role: "assistant", Content: "a1"}, {Role: "user", Content: "q2"}}
				if fmt.Sprint(r.Messages) != fmt.Sprint(want) {
					t.Errorf("messages = %v", r.Messages)
				}
				if r.Model != "llmtest" {
					t.Errorf("model = %q", r.Model)
				}
			},
		},
		{
			name: "legacy max tokens field",
			cfg:  func(c *Config) { c.MaxTokens, c.LegacyMaxTokens = 32, true },
			req:  Prompt("hi"),
			check: func(t *testing.T, r llmtest.ChatRequest) {
				if r.MaxTokens == nil || *r.MaxTokens != 32 || r.Has("max_completion_tokens") {
					t.Errorf("max_tokens = %s, max_completion_tokens = %s", r.Raw["max_tokens"], r.Raw["max_completion_tokens"])
				}
			},
		},
		{
			name: "request values win over config",
			cfg:  func(c *Config) { c.Temperature, c.TopP = ptr(0.2), ptr(0.5) },
			req:  Request{Messages: []Message{{User, "x"}}, Temperature: ptr(0.7), TopP: ptr(0.25)},
			check: func(t *testing.T, r llmtest.ChatRequest) {
				if *r.Temperature != 0.7 || *r.TopP != 0.25 {
					t.Errorf("temperature %v top_p %v", *r.Temperature, *r.TopP)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithAuth(canaryKey))
			cfg := testConfig(srv)
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			cl, _ := openTest(t, cfg)
			resp, err := cl.Generate(context.Background(), c.req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(resp.Text, "echo: ") || resp.Usage.TotalTokens == 0 {
				t.Fatalf("response %+v", resp)
			}
			reqs := srv.ChatRequests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			c.check(t, reqs[0])
			last, _ := srv.LastRequest()
			if got := last.Header.Get("Authorization"); got != "Bearer "+canaryKey {
				t.Errorf("Authorization = %q", got)
			}
		})
	}
}

func TestOpenAIUsageAndHeaders(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.Text("the answer").WithUsage(120, 30))
	cfg := testConfig(srv)
	cfg.Headers = map[string]string{"X-Team": "support"}
	cl, _ := openTest(t, cfg)
	resp, err := cl.Generate(context.Background(), Prompt("q"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "the answer" || resp.Usage != (dataset.Usage{PromptTokens: 120, CompletionTokens: 30, TotalTokens: 150}) {
		t.Fatalf("got %+v", resp)
	}
	if last, _ := srv.LastRequest(); last.Header.Get("X-Team") != "support" {
		t.Fatalf("header not sent: %v", last.Header)
	}
}

func usage(p, c, t int) dataset.Usage {
	return dataset.Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: t}
}

func TestUsageNormalisation(t *testing.T) {
	cases := []struct {
		name string
		info map[string]any
		want dataset.Usage
	}{
		{"openai", map[string]any{"PromptTokens": 10, "CompletionTokens": 5, "TotalTokens": 15, "ReasoningTokens": 0}, usage(10, 5, 15)},
		{"anthropic", map[string]any{"InputTokens": 12, "OutputTokens": 3, "CacheReadInputTokens": 0}, usage(12, 3, 15)},
		{"ollama", map[string]any{"PromptTokens": 7, "CompletionTokens": 2, "TotalTokens": 9}, usage(7, 2, 9)},
		{"int64 and float64", map[string]any{"PromptTokens": int64(4), "CompletionTokens": float64(6)}, usage(4, 6, 10)},
		{"json numbers", map[string]any{"prompt_tokens": json.Number("8"), "completion_tokens": json.Number("1")}, usage(8, 1, 9)},
		{"total below sum is fixed", map[string]any{"PromptTokens": 5, "CompletionTokens": 5, "TotalTokens": 3}, usage(5, 5, 10)},
		{"negative clamped", map[string]any{"PromptTokens": -5, "CompletionTokens": 2}, usage(0, 2, 2)},
		{"wrong types ignored", map[string]any{"PromptTokens": "10", "InputTokens": 4}, usage(4, 0, 4)},
		{"nil", nil, dataset.Usage{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := usageFrom(c.info); got != c.want {
				t.Fatalf("usageFrom = %+v, want %+v", got, c.want)
			}
		})
	}
}

// ollamaServer is a small fake of Ollama's native /api/chat.
type ollamaServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	status int
}

func newOllamaServer(t *testing.T) *ollamaServer {
	o := &ollamaServer{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/chat" {
			http.Error(w, `{"error":"not found"}`, 404)
			return
		}
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, `{"error":"bad json"}`, 400)
			return
		}
		o.mu.Lock()
		o.bodies = append(o.bodies, body)
		status := o.status
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		if status != 0 {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":"status %d"}`+"\n", status)
			return
		}
		// Two streamed chunks, as Ollama sends by default.
		fmt.Fprintln(w, `{"model":"llama3.2","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"Hello, "},"done":false}`)
		fmt.Fprintln(w, `{"model":"llama3.2","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"world"},"done":true,"prompt_eval_count":11,"eval_count":4}`)
	}))
	t.Cleanup(o.Close)
	return o
}

func TestOllamaRequestShape(t *testing.T) {
	o := newOllamaServer(t)
	cl, _ := openTest(t, Config{
		Provider: ProviderOllama, Model: "llama3.2", BaseURL: o.URL, Timeout: 5 * time.Second,
		Temperature: ptr(0.7), TopP: ptr(0.9), Seed: ptr(0), MaxTokens: 100,
	})
	resp, err := cl.Generate(context.Background(), Request{Messages: []Message{{System, "sys"}, {User, "hi"}}, JSON: true, Stop: []string{"\n\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Hello, world" || resp.Usage != (usage(11, 4, 15)) {
		t.Fatalf("response %+v", resp)
	}
	body := o.bodies[0]
	opts, _ := body["options"].(map[string]any)
	checks := []struct {
		key  string
		got  any
		want any
	}{
		{"model", body["model"], "llama3.2"},
		{"format", body["format"], "json"},
		{"options.temperature", opts["temperature"], 0.7}, // exactly 0.7, not float32 0.699999988
		{"options.top_p", opts["top_p"], 0.9},
		{"options.seed", opts["seed"], 0.0},
		{"options.num_predict", opts["num_predict"], 100.0},
		{"options.stop", fmt.Sprint(opts["stop"]), "[\n\n]"},
		{"messages", fmt.Sprint(body["messages"]), "[map[content:sys role:system] map[content:hi role:user]]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.key, c.got, c.want)
		}
	}
}

func TestOllamaUnsetTemperatureNotSent(t *testing.T) {
	o := newOllamaServer(t)
	cl, _ := openTest(t, Config{Provider: ProviderOllama, Model: "m", BaseURL: o.URL, Timeout: 5 * time.Second})
	if _, err := cl.Generate(context.Background(), Prompt("x")); err != nil {
		t.Fatal(err)
	}
	opts, _ := o.bodies[0]["options"].(map[string]any)
	if _, ok := opts["temperature"]; ok {
		t.Fatalf("temperature sent although unset: %v", opts)
	}
}

// anthropicServer is a small fake of Anthropic's /v1/messages.
func anthropicServer(t *testing.T, status int, got *map[string]any, hdr *http.Header) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/messages" {
			http.Error(w, "not found", 404)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, got)
		*hdr = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			if status == 429 {
				w.Header().Set("Retry-After", "7")
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"type":"error","error":{"type":"x","message":"failed with %d"}}`, status)
			return
		}
		fmt.Fprint(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude","stop_reason":"end_turn",
			"content":[{"type":"text","text":"Go to "},{"type":"text","text":"Settings."}],
			"usage":{"input_tokens":21,"output_tokens":6}}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestAnthropicRequestShape(t *testing.T) {
	var body map[string]any
	var hdr http.Header
	s := anthropicServer(t, 0, &body, &hdr)
	cl, _ := openTest(t, Config{Provider: ProviderAnthropic, Model: "claude-3-5-haiku-latest", BaseURL: s.URL + "/v1", Timeout: 5 * time.Second, TopP: ptr(0.8)})
	resp, err := cl.Generate(context.Background(), Request{Messages: []Message{{System, "You are a support bot."}, {User, "reset password?"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Go to Settings." || resp.Usage != (usage(21, 6, 27)) {
		t.Fatalf("response %+v", resp)
	}
	if hdr.Get("X-Api-Key") != canaryKey || hdr.Get("Anthropic-Version") == "" {
		t.Errorf("headers %v", hdr)
	}
	if body["system"] != "You are a support bot." || body["max_tokens"] != 2048.0 || body["top_p"] != 0.8 {
		t.Errorf("body %v", body)
	}
	if _, ok := body["temperature"]; ok {
		t.Errorf("unset temperature sent: %v", body["temperature"])
	}
	msgs, _ := body["messages"].([]any)
	if len(msgs) != 1 {
		t.Errorf("messages %v (system must not be a message)", msgs)
	}
}

func TestAnthropicErrors(t *testing.T) {
	cases := []struct {
		status int
		kind   error
	}{{429, ErrRateLimit}, {529, ErrServer}, {401, ErrAuth}, {400, ErrBadRequest}}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			var body map[string]any
			var hdr http.Header
			s := anthropicServer(t, c.status, &body, &hdr)
			cl, _ := openTest(t, Config{Provider: ProviderAnthropic, Model: "c", BaseURL: s.URL + "/v1", Timeout: 5 * time.Second})
			_, err := cl.Generate(context.Background(), Prompt("x"))
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != c.status {
				t.Fatalf("not an APIError with status %d: %#v", c.status, err)
			}
			if c.status == 429 && ae.RetryAfter != 7*time.Second {
				t.Fatalf("RetryAfter = %v", ae.RetryAfter)
			}
		})
	}
}

func TestOllamaErrors(t *testing.T) {
	for _, c := range []struct {
		status int
		kind   error
	}{{429, ErrRateLimit}, {500, ErrServer}, {404, ErrBadRequest}} {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			o := newOllamaServer(t)
			o.status = c.status
			cl, _ := openTest(t, Config{Provider: ProviderOllama, Model: "m", BaseURL: o.URL, Timeout: 5 * time.Second})
			if _, err := cl.Generate(context.Background(), Prompt("x")); !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
		})
	}
}

func TestOpenAIErrorClassification(t *testing.T) {
	cases := []struct {
		name   string
		reply  llmtest.Reply
		kind   error
		status int
	}{
		{"429", llmtest.RateLimited(3 * time.Second), ErrRateLimit, 429},
		{"500", llmtest.ServerError(), ErrServer, 500},
		{"503", llmtest.Status(503, "overloaded"), ErrServer, 503},
		{"401", llmtest.Status(401, "Incorrect API key provided"), ErrAuth, 401},
		{"403", llmtest.Status(403, "forbidden"), ErrAuth, 403},
		{"400", llmtest.Status(400, "context length exceeded"), ErrBadRequest, 400},
		{"404", llmtest.Status(404, "no such model"), ErrBadRequest, 404},
		{"408", llmtest.Status(408, "request timeout"), ErrTimeout, 408},
		{"malformed", llmtest.Malformed(), ErrMalformed, 200},
		{"drop", llmtest.Drop(), ErrNetwork, 0},
		{"hang", llmtest.Hang(), ErrTimeout, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Handle(llmtest.Any(), c.reply)
			cfg := testConfig(srv)
			cfg.Timeout = 100 * time.Millisecond
			cl, _ := openTest(t, cfg)
			_, err := cl.Generate(context.Background(), Prompt("x"))
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want kind %v", err, c.kind)
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("not an *APIError: %#v", err)
			}
			if ae.Status != c.status {
				t.Fatalf("status %d, want %d", ae.Status, c.status)
			}
			if c.name == "429" && ae.RetryAfter != 3*time.Second {
				t.Fatalf("RetryAfter %v", ae.RetryAfter)
			}
			if c.name == "hang" && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("timeout should also be a deadline error: %v", err)
			}
			if srv.Requests() != 1 {
				t.Fatalf("%d requests with max_retries 0", srv.Requests())
			}
		})
	}
}

func TestCancelledContextIsNotAnAPIError(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithDefault(llmtest.Hang()))
	cl, _ := openTest(t, testConfig(srv))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for srv.InFlight() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := cl.Generate(ctx, Prompt("x"))
	if !errors.Is(err, context.Canceled) || Retryable(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestBadRoleIsBadRequest(t *testing.T) {
	srv := llmtest.NewServer(t)
	cl, _ := openTest(t, testConfig(srv))
	_, err := cl.Generate(context.Background(), Request{Messages: []Message{{Role: "tool", Content: "x"}}})
	if !errors.Is(err, ErrBadRequest) || srv.Requests() != 0 {
		t.Fatalf("err = %v, requests %d", err, srv.Requests())
	}
	if _, err := cl.Generate(context.Background(), Request{}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("empty request: %v", err)
	}
}

// TestSecretsNeverInErrors makes a hostile server echo the request's
// headers and key into every kind of error; no error may contain the key.
func TestSecretsNeverInErrors(t *testing.T) {
	echo := func(r llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Status(401, "Incorrect API key provided: "+canaryKey+". Authorization: Bearer "+canaryKey)
	}
	replies := map[string]func(llmtest.ChatRequest) llmtest.Reply{
		"401 echo": echo,
		"400 echo": func(llmtest.ChatRequest) llmtest.Reply {
			return llmtest.Status(400, `bad header {"x-api-key": "`+canaryKey+`"} key=`+canaryKey)
		},
		"500 echo":  func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Status(500, "internal: token "+canaryKey) },
		"malformed": func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Malformed() },
		"drop":      func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Drop() },
	}
	for name, fn := range replies {
		t.Run(name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.HandleFunc(llmtest.Any(), fn)
			cfg := testConfig(srv)
			cfg.MaxRetries = 1
			cl, _ := openTest(t, cfg)
			_, err := cl.Generate(context.Background(), Prompt("x"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(s, canaryKey) || strings.Contains(s, canaryKey[8:]) {
					t.Fatalf("error leaks the key: %s", s)
				}
			}
		})
	}
	t.Run("anthropic", func(t *testing.T) {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: %s"}}`, r.Header.Get("X-Api-Key"))
		}))
		defer s.Close()
		cl, _ := openTest(t, Config{Provider: ProviderAnthropic, Model: "c", BaseURL: s.URL, Timeout: time.Second})
		_, err := cl.Generate(context.Background(), Prompt("x"))
		if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), canaryKey[8:]) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Authorization: Bearer abcdefgh123", "Authorization: [REDACTED]"},
		{`{"x-api-key":"k-123456"}`, `{"x-api-key":"[REDACTED]"}`},
		{"GET /v1/models?key=AIzaSecret&x=1", "GET /v1/models?key=[REDACTED]&x=1"},
		{"used sk-proj-abcdefghijklmnop here", "used sk-proj-[REDACTED] here"},
		{"token bearer zzzzzzzzzz end", "token bearer [REDACTED] end"},
		{"nothing secret", "nothing secret"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := Redact("my key is hunter22!", "hunter22"); strings.Contains(got, "hunter22") {
		t.Errorf("verbatim secret kept: %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("Authorization: Bearer "+canaryKey, canaryKey)
	f.Add(`{"api-key": "abc"}`, "abcd")
	f.Add("plain", "")
	f.Fuzz(func(t *testing.T, s, secret string) {
		out := Redact(s, secret)
		// Every replacement puts "[REDACTED]" between pieces of the input, so
		// a secret without brackets cannot be rebuilt across one.
		if len(secret) >= 4 && !strings.ContainsAny(secret, "[]") && strings.Contains(out, secret) {
			t.Fatalf("secret %q survives in %q", secret, out)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		h    map[string]string
		want time.Duration
	}{
		{map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{map[string]string{"Retry-After": "0"}, 0},
		{map[string]string{"Retry-After": "-3"}, 0},
		{map[string]string{"Retry-After": "soon"}, 0},
		{map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{map[string]string{"Retry-After": "2", "Retry-After-Ms": "250"}, 250 * time.Millisecond},
		{map[string]string{}, 0},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.h {
			h.Set(k, v)
		}
		if got := parseRetryAfter(h, now); got != c.want {
			t.Errorf("%v: %v, want %v", c.h, got, c.want)
		}
	}
}

func TestBodyPatch(t *testing.T) {
	cases := []struct {
		name  string
		patch bodyPatch
		in    string
		want  string
	}{
		{"set and delete top level", bodyPatch{set: map[string]any{"top_p": 0.5}, del: []string{"temperature"}},
			`{"model":"m","temperature":0}`, `{"model":"m","top_p":0.5}`},
		{"under prefix", bodyPatch{prefix: "options", set: map[string]any{"temperature": 0.7}},
			`{"model":"m","options":{"temperature":0.699999988079071,"num_predict":5}}`, `{"model":"m","options":{"num_predict":5,"temperature":0.7}}`},
		{"creates prefix", bodyPatch{prefix: "options", set: map[string]any{"seed": 0}},
			`{"model":"m"}`, `{"model":"m","options":{"seed":0}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.patch.apply([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	if _, err := (&bodyPatch{set: map[string]any{"a": 1}}).apply([]byte(`[1]`)); err == nil {
		t.Fatal("non-object body accepted")
	}
}
