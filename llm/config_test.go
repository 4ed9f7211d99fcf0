package llm

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/synth-dev/synth/internal/golden"

	"github.com/synth-dev/synth/spec"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// briefModels is the models: section of the example synth.yaml, as YAML
// decodes it.
var briefModels = map[string]map[string]any{
	"base": {"provider": "builtin", "threshold": 0.35, "memory": ".synth/models/tuned.jsonl"},
	"gpt": {"provider": "openai", "model": "gpt-4o-mini", "base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_API_KEY",
		"temperature": 0, "top_p": 1, "max_tokens": 512, "seed": 7, "timeout": "60s", "concurrency": 8, "max_retries": 4,
		"rpm": 500, "tpm": 200000, "price": map[string]any{"input": 0.15, "output": 0.60}},
	"local":  {"provider": "ollama", "model": "llama3.2", "base_url": "http://localhost:11434"},
	"claude": {"provider": "anthropic", "model": "claude-3-5-haiku-latest", "api_key_env": "ANTHROPIC_API_KEY"},
	"mine":   {"provider": "replay", "path": "outputs.jsonl"},
	"gemini": {"provider": "openai", "model": "gemini-2.0-flash", "base_url": "https://generativelanguage.googleapis.com/v1beta/openai/", "api_key_env": "GEMINI_API_KEY"},
	"vllm":   {"provider": "openai", "model": "Qwen/Qwen2.5-7B-Instruct", "base_url": "http://localhost:8000/v1", "legacy_max_tokens": true, "headers": map[any]any{"X-Team": "support"}},
}

func TestParseConfigGolden(t *testing.T) {
	names := make([]string, 0, len(briefModels))
	for n := range briefModels {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]Config{}
	for _, n := range names {
		c, err := ParseConfig(spec.NewParams("models."+n, briefModels[n]))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if c.Provider != ProviderBuiltin {
			// The built-in model's keys belong to its own package's tests.
			out[n] = c
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "config.golden.json", append(b, '\n'))

	gpt := out["gpt"]
	if *gpt.Temperature != 0 || *gpt.TopP != 1 || *gpt.Seed != 7 || gpt.Timeout != 60*time.Second || gpt.Price.Output != 0.60 || !gpt.APIKeyEnvSet {
		t.Fatalf("gpt %+v", gpt)
	}
	if l := out["local"]; l.APIKeyEnv != "" || l.Timeout != DefaultOllamaTimeout || l.Temperature != nil {
		t.Fatalf("local %+v", l)
	}
	if g := out["gemini"]; g.BaseURL != "https://generativelanguage.googleapis.com/v1beta/openai" {
		t.Fatalf("trailing slash kept: %q", g.BaseURL)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		want   []string // substrings of the error
		not    []string // must not appear
	}{
		{"no provider", map[string]any{"model": "x"}, []string{"models.m.provider: required"}, nil},
		{"bad provider", map[string]any{"provider": "gpt", "model": "x", "temperature": 9}, []string{`models.m.provider: must be one of`}, []string{"unknown parameter"}},
		{"temperature range", map[string]any{"provider": "openai", "model": "x", "temperature": 3}, []string{"models.m.temperature: must be between 0 and 2, got 3"}, nil},
		{"anthropic temperature range", map[string]any{"provider": "anthropic", "model": "x", "temperature": 1.5}, []string{"models.m.temperature: must be between 0 and 1"}, nil},
		{"top_p range", map[string]any{"provider": "ollama", "model": "x", "top_p": -0.1}, []string{"models.m.top_p: must be between 0 and 1"}, nil},
		{"max_tokens zero", map[string]any{"provider": "openai", "model": "x", "max_tokens": 0}, []string{"models.m.max_tokens: must be between 1"}, nil},
		{"missing model", map[string]any{"provider": "openai"}, []string{"models.m.model: required"}, nil},
		{"bad base_url", map[string]any{"provider": "openai", "model": "x", "base_url": "localhost:8000"}, []string{"models.m.base_url: must be an http"}, nil},
		{"credentials in base_url", map[string]any{"provider": "openai", "model": "x", "base_url": "https://user:sk-secret123@host/v1"}, []string{"models.m.base_url: must not contain credentials"}, []string{"sk-secret123"}},
		{"api_key in config", map[string]any{"provider": "openai", "model": "x", "api_key": "sk-live-abcdef123456"}, []string{"models.m.api_key: API keys are never read from the config file"}, []string{"sk-live-abcdef123456"}},
		{"key pasted into api_key_env", map[string]any{"provider": "openai", "model": "x", "api_key_env": "sk-live-abcdef123456"}, []string{"models.m.api_key_env: must be the name of an environment variable"}, []string{"sk-live-abcdef123456"}},
		{"header value not string", map[string]any{"provider": "openai", "model": "x", "headers": map[string]any{"X-Key": 12345678}}, []string{"models.m.headers.X-Key: must be a string"}, []string{"12345678"}},
		{"seed on anthropic", map[string]any{"provider": "anthropic", "model": "x", "seed": 1}, []string{"models.m.seed: unknown parameter"}, nil},
		{"legacy on ollama", map[string]any{"provider": "ollama", "model": "x", "legacy_max_tokens": true}, []string{"models.m.legacy_max_tokens: unknown parameter"}, nil},
		{"api_key_env on ollama", map[string]any{"provider": "ollama", "model": "x", "api_key_env": "K"}, []string{"models.m.api_key_env: unknown parameter"}, nil},
		{"typo", map[string]any{"provider": "openai", "model": "x", "temprature": 0}, []string{"models.m.temprature: unknown parameter"}, nil},
		{"price nested", map[string]any{"provider": "openai", "model": "x", "price": map[string]any{"input": -1, "outptu": 2}}, []string{"models.m.price.input: must be between 0", "models.m.price.outptu: unknown parameter"}, nil},
		{"price not a map", map[string]any{"provider": "openai", "model": "x", "price": 3}, []string{"models.m.price: must be a mapping"}, nil},
		{"timeout", map[string]any{"provider": "openai", "model": "x", "timeout": "soon"}, []string{"models.m.timeout: must be a duration"}, nil},
		{"zero timeout", map[string]any{"provider": "openai", "model": "x", "timeout": "0s"}, []string{"models.m.timeout: must be longer than 0s"}, nil},
		{"concurrency", map[string]any{"provider": "openai", "model": "x", "concurrency": 0}, []string{"models.m.concurrency: must be between 1"}, nil},
		{"negative rpm", map[string]any{"provider": "openai", "model": "x", "rpm": -1}, []string{"models.m.rpm: must be between 0"}, nil},
		{"replay without path", map[string]any{"provider": "replay"}, []string{"models.m.path: required"}, nil},
		{"replay with model keys", map[string]any{"provider": "replay", "path": "x", "temperature": 0}, []string{"models.m.temperature: unknown parameter"}, nil},
		{"builtin threshold", map[string]any{"provider": "builtin", "threshold": 2}, []string{"models.m.threshold: must be between 0 and 1"}, nil},
		{"builtin k", map[string]any{"provider": "builtin", "k": 0}, []string{"models.m.k: must be between 1"}, nil},
		{"many at once", map[string]any{"provider": "openai", "temperature": 5, "top_p": 2}, []string{"models.m.model: required", "models.m.temperature", "models.m.top_p"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig(spec.NewParams("models.m", c.values))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q contains %q", err, n)
				}
			}
		})
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(spec.NewParams("models.x", map[string]any{"provider": "openai", "model": "m"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != DefaultOpenAIBaseURL || c.APIKeyEnv != DefaultOpenAIKeyEnv || c.APIKeyEnvSet || c.Timeout != DefaultTimeout ||
		c.Concurrency != DefaultConcurrency || c.MaxRetries != DefaultMaxRetries || c.Temperature != nil || c.MaxTokens != 0 || c.Seed != nil {
		t.Fatalf("defaults %+v", c)
	}
	b, err := ParseConfig(spec.NewParams("models.b", map[string]any{"provider": "builtin"}))
	if err != nil || b.Builtin.Threshold != DefaultBuiltinThreshold || b.Builtin.K != DefaultBuiltinK || b.Remote() {
		t.Fatalf("builtin %+v %v", b, err)
	}
}

func TestSpecs(t *testing.T) {
	specs := Specs()
	if len(specs) != len(Providers()) {
		t.Fatalf("%d specs", len(specs))
	}
	// Every parameter a spec lists is accepted by ParseConfig for that provider.
	for _, s := range specs {
		if s.Summary == "" || s.Description == "" || s.Example == "" {
			t.Errorf("%s: missing docs", s.Name)
		}
		for _, p := range s.Params {
			if p.Description == "" {
				t.Errorf("%s.%s: no description", s.Name, p.Name)
			}
		}
	}
	var mine []spec.Spec
	for _, s := range specs {
		if s.Name != ProviderBuiltin {
			mine = append(mine, s)
		}
	}
	b, err := json.MarshalIndent(mine, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "specs.golden.json", append(b, '\n'))
}

func TestSpecsMatchParser(t *testing.T) {
	sample := map[string]any{
		"model": "m", "base_url": "http://localhost:1/v1", "api_key_env": "K", "temperature": 0.5, "top_p": 0.5,
		"max_tokens": 10, "seed": 1, "timeout": "5s", "concurrency": 2, "max_retries": 1, "rpm": 1, "tpm": 1,
		"price": map[string]any{"input": 1, "output": 1}, "legacy_max_tokens": true, "headers": map[string]any{"A": "b"},
		"path": "x.jsonl", "threshold": 0.5, "memory": "m.jsonl", "k": 3, "memory_threshold": 0.7,
	}
	for _, s := range Specs() {
		values := map[string]any{}
		for _, p := range s.Params {
			if p.Name == "provider" {
				values[p.Name] = s.Name
				continue
			}
			v, ok := sample[p.Name]
			if !ok {
				if s.Name == ProviderBuiltin {
					continue // keys added by the built-in model's own work
				}
				t.Fatalf("no sample for %s", p.Name)
			}
			values[p.Name] = v
		}
		if _, err := ParseConfig(spec.NewParams("models."+s.Name, values)); err != nil {
			t.Errorf("%s: spec params rejected: %v", s.Name, err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"provider":"openai","model":"gpt","base_url":"https://x/v1","api_key_env":"K","temperature":0.5,"timeout":"300ms","rpm":60,"price":{"input":1}}`,
		`{"provider":"replay","path":"o.jsonl"}`,
		`{"provider":"builtin","threshold":2,"k":0}`,
		`{"provider":"anthropic","model":"c","seed":3,"headers":{"a":1},"top_p":-1}`,
		`{"provider":"ollama","model":"m","timeout":"-1s","price":{"input":-1},"rpm":"x"}`,
		`{"provider":"openai","model":"m","api_key":"sk-secretsecret123","api_key_env":"sk-keykeykey456"}`,
		`{"provider":"openai","model":"m","base_url":"https://user:pw@x/v1","headers":{"Authorization":["Bearer x"]}}`,
		`{"provider":7}`,
		`{}`,
	} {
		f.Add(s)
	}
	envName := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if json.Unmarshal([]byte(src), &m) != nil || m == nil {
			return
		}
		_, err := ParseConfig(spec.NewParams("models.x", m))
		if err == nil {
			return
		}
		msg := err.Error()
		if !strings.Contains(msg, "models.x") {
			t.Fatalf("error without its key path: %v", msg)
		}
		// Values that may be keys are never echoed.
		secret := []any{m["api_key"]}
		if v, ok := m["api_key_env"].(string); ok && !envName.MatchString(v) {
			secret = append(secret, v)
		}
		if h, ok := m["headers"].(map[string]any); ok {
			for _, v := range h {
				secret = append(secret, v)
			}
		}
		for _, s := range secret {
			if v, ok := s.(string); ok && len(v) >= 8 && strings.Contains(msg, v) {
				t.Fatalf("error echoes the value %q: %v", v, msg)
			}
		}
	})
}
