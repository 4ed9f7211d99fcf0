package llm

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

func TestAPIKeyResolution(t *testing.T) {
	cases := []struct {
		name     string
		cfg      Config
		env      map[string]string
		wantKey  string
		wantErr  []string
		provider string
	}{
		{"key from default env", Config{Provider: ProviderOpenAI, BaseURL: DefaultOpenAIBaseURL}, map[string]string{"OPENAI_API_KEY": "sk-a"}, "sk-a", nil, ""},
		{"key from named env", Config{Provider: ProviderOpenAI, BaseURL: DefaultOpenAIBaseURL, APIKeyEnv: "MY_KEY", APIKeyEnvSet: true}, map[string]string{"MY_KEY": " sk-b \n"}, "sk-b", nil, ""},
		{"openai without key", Config{Provider: ProviderOpenAI, BaseURL: DefaultOpenAIBaseURL}, nil, "", []string{"no API key for api.openai.com", "OPENAI_API_KEY"}, ""},
		{"empty key is no key", Config{Provider: ProviderOpenAI, BaseURL: DefaultOpenAIBaseURL}, map[string]string{"OPENAI_API_KEY": "  "}, "", []string{"no API key"}, ""},
		{"hosted compatible without key", Config{Provider: ProviderOpenAI, BaseURL: "https://api.together.xyz/v1"}, nil, "", []string{"no API key for api.together.xyz"}, ""},
		{"local server gets placeholder", Config{Provider: ProviderOpenAI, BaseURL: "http://localhost:8000/v1"}, nil, placeholderKey, nil, ""},
		{"loopback ip", Config{Provider: ProviderOpenAI, BaseURL: "http://127.0.0.1:1234/v1"}, nil, placeholderKey, nil, ""},
		{"compose service", Config{Provider: ProviderOpenAI, BaseURL: "http://vllm:8000/v1"}, nil, placeholderKey, nil, ""},
		{"explicit env missing even when local", Config{Provider: ProviderOpenAI, BaseURL: "http://localhost:8000/v1", APIKeyEnv: "VLLM_KEY", APIKeyEnvSet: true}, nil, "", []string{"VLLM_KEY (named by api_key_env) is not set"}, ""},
		{"anthropic without key", Config{Provider: ProviderAnthropic, BaseURL: DefaultAnthropicBaseURL}, nil, "", []string{"ANTHROPIC_API_KEY"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := DefaultOpenAIKeyEnv
			if c.cfg.Provider == ProviderAnthropic {
				def = DefaultAnthropicKeyEnv
			}
			u := mustURL(t, c.cfg.BaseURL)
			key, err := apiKey("m", c.cfg, def, u, env(c.env))
			if c.wantErr != nil {
				if !errors.Is(err, ErrAuth) {
					t.Fatalf("err = %v, want ErrAuth", err)
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || key != c.wantKey {
				t.Fatalf("key %q err %v, want %q", key, err, c.wantKey)
			}
		})
	}
}

func TestOpenWithoutKeyFailsClearly(t *testing.T) {
	_, err := Open(context.Background(), "gpt", Config{Provider: ProviderOpenAI, Model: "gpt-4o-mini"}, OpenOptions{LookupEnv: env(nil)})
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "model gpt") || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Fatalf("err = %v", err)
	}
}

func TestLocalServerWithoutKeyWorks(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAuth())
	cfg := testConfig(srv)
	cl, err := Open(context.Background(), "local", cfg, OpenOptions{LookupEnv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Generate(context.Background(), Prompt("x")); err != nil {
		t.Fatal(err)
	}
	last, _ := srv.LastRequest()
	if last.Header.Get("Authorization") != "Bearer "+placeholderKey {
		t.Fatalf("auth %q", last.Header.Get("Authorization"))
	}
}

func TestIsLocalHost(t *testing.T) {
	cases := map[string]bool{
		"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "::1": true, "0.0.0.0": true,
		"10.1.2.3": true, "192.168.1.5": true, "172.16.0.1": true, "fd00::1": true, "169.254.1.1": true,
		"vllm": true, "ollama.local": true, "host.docker.internal": true, "gpu.lan": true, "app.localhost": true,
		"api.openai.com": false, "8.8.8.8": false, "api.anthropic.com": false, "example.com": false, "": false,
	}
	for host, want := range cases {
		if got := isLocalHost(host); got != want {
			t.Errorf("isLocalHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestHTTPClientKeepsIdleConnsForConcurrency(t *testing.T) {
	for _, n := range []int{1, 8, 64, 300} {
		c := newHTTPClient(n, nil)
		tr := c.Transport.(*transport).base.(*http.Transport)
		if tr.MaxIdleConnsPerHost < n || tr.MaxIdleConns < n {
			t.Fatalf("concurrency %d: MaxIdleConnsPerHost %d, MaxIdleConns %d", n, tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
		}
		if c.Timeout != 0 {
			t.Fatal("client-wide timeout set; timeouts are per attempt")
		}
	}
	srv := llmtest.NewServer(t)
	cfg := testConfig(srv)
	cfg.Concurrency = 32
	cl, _ := openTest(t, cfg)
	if got := cl.http.Transport.(*transport).base.(*http.Transport).MaxIdleConnsPerHost; got < 32 {
		t.Fatalf("opened client keeps %d idle conns for concurrency 32", got)
	}
}

func TestOpenReplayResolvesPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "out.jsonl"), []byte(`{"id":"q1","output":"Settings > Password"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	meter := NewMeter()
	cl, err := Open(context.Background(), "mine", Config{Provider: ProviderReplay, Path: "out.jsonl"}, OpenOptions{Dir: dir, Meter: meter, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Config().Path != filepath.Join(dir, "out.jsonl") {
		t.Fatalf("path %q", cl.Config().Path)
	}
	r, err := cl.Generate(context.Background(), Request{ItemID: "q1", Messages: []Message{{User, "how?"}}})
	if err != nil || r.Text != "Settings > Password" || r.Cached {
		t.Fatalf("%+v %v", r, err)
	}
	_, err = cl.Generate(context.Background(), Request{ItemID: "q9"})
	if !errors.Is(err, ErrUnknownItem) || !strings.Contains(err.Error(), `"q9"`) || !strings.Contains(err.Error(), "out.jsonl") {
		t.Fatalf("err = %v", err)
	}
	if st := meter.Stats().Models["mine"]; st.Calls != 2 || st.Errors != 1 {
		t.Fatalf("meter %+v", st)
	}

	_, err = Open(context.Background(), "mine", Config{Provider: ProviderReplay, Path: "missing.jsonl"}, OpenOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "missing.jsonl") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenBuiltinHook(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Provider: ProviderBuiltin, Builtin: BuiltinConfig{Threshold: 0.4, Memory: "mem.jsonl", K: 3}}
	if _, err := Open(context.Background(), "base", cfg, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "builtin") {
		t.Fatalf("err = %v", err)
	}
	var got Config
	cl, err := Open(context.Background(), "base", cfg, OpenOptions{Dir: dir, Builtin: func(_ context.Context, name string, c Config) (Model, error) {
		got = c
		return ModelFunc(func(context.Context, Request) (Response, error) { return Response{Text: "builtin"}, nil }), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Builtin.Memory != filepath.Join(dir, "mem.jsonl") || got.Builtin.K != 3 {
		t.Fatalf("builtin got %+v", got.Builtin)
	}
	if r, err := cl.Generate(context.Background(), Prompt("x")); err != nil || r.Text != "builtin" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestOpenUnknownProvider(t *testing.T) {
	if _, err := Open(context.Background(), "x", Config{Provider: "googleai"}, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "googleai") {
		t.Fatalf("err = %v", err)
	}
}

func TestClientErrorsNameTheModel(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.Status(400, "bad"))
	cl, _ := openTest(t, testConfig(srv))
	_, err := cl.Generate(context.Background(), Prompt("x"))
	if err == nil || !strings.HasPrefix(err.Error(), "model test: openai llmtest: bad request (HTTP 400)") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenDefaultsForZeroConfig(t *testing.T) {
	srv := llmtest.NewServer(t)
	cl, _ := openTest(t, Config{Provider: ProviderOpenAI, Model: "llmtest", BaseURL: srv.URL()})
	c := cl.Config()
	if c.Concurrency != DefaultConcurrency || c.Timeout != DefaultTimeout {
		t.Fatalf("config %+v", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cl.Generate(ctx, Prompt("x")); err != nil {
		t.Fatal(err)
	}
}
