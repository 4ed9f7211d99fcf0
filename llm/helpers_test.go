package llm

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

// canaryKey is the API key tests use; it must never appear in an error.
const canaryKey = "sk-canary-7f3a9c1e5b2d4f6a8c0e"

func ptr[T any](v T) *T { return &v }

// fakeSleep records the waits asked for and returns at once.
type fakeSleep struct {
	mu sync.Mutex
	ds []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.ds = append(f.ds, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.ds...)
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// testConfig is an openai config pointing at srv.
func testConfig(srv *llmtest.Server) Config {
	return Config{
		Provider:    ProviderOpenAI,
		Model:       "llmtest",
		BaseURL:     srv.URL(),
		Timeout:     5 * time.Second,
		Concurrency: 4,
	}
}

// openTest opens cfg with the canary key, fake sleeps and any extra options.
func openTest(t testing.TB, cfg Config, mod ...func(*OpenOptions)) (*Client, *fakeSleep) {
	t.Helper()
	fs := &fakeSleep{}
	o := OpenOptions{
		LookupEnv: env(map[string]string{"OPENAI_API_KEY": canaryKey, "ANTHROPIC_API_KEY": canaryKey}),
		Sleep:     fs.sleep,
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := Open(context.Background(), "test", cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, fs
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
