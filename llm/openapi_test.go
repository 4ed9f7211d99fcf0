package llm

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// TestRequestsAcceptedByOpenAPISpec sends every request shape the openai
// provider produces to a validating mock of the official OpenAI API spec
// (shared/data/openai-openapi, served by Prism), proving the real API would
// accept them, patched top_p, temperature and seed included. Our own fake
// server cannot show that. It runs when SYNTH_OPENAPI_MOCK_URL names the
// mock's base URL (for example http://127.0.0.1:4010/v1).
func TestRequestsAcceptedByOpenAPISpec(t *testing.T) {
	base := os.Getenv("SYNTH_OPENAPI_MOCK_URL")
	if base == "" {
		t.Skip("SYNTH_OPENAPI_MOCK_URL not set (serve shared/data/openai-openapi with Prism to run this)")
	}
	msgs := []Message{{System, "Answer in JSON."}, {User, "q1"}, {Assistant, "a1"}, {User, "Reply with a JSON object."}}
	cases := []struct {
		name string
		cfg  func(*Config)
		req  Request
		ok   bool
	}{
		{"defaults", nil, Prompt("hello"), true},
		{"every parameter", func(c *Config) {
			c.Temperature, c.TopP, c.Seed, c.MaxTokens = ptr(0.0), ptr(0.9), ptr(0), 64
		}, Request{Messages: msgs, Stop: []string{"END"}, JSON: true}, true},
		{"legacy max tokens", func(c *Config) { c.MaxTokens, c.LegacyMaxTokens = 32, true }, Prompt("hello"), true},
		{"top_p only", func(c *Config) { c.TopP = ptr(0.5) }, Prompt("hello"), true},
		// The mock must reject what the API rejects, or this test proves nothing.
		{"temperature out of range is rejected", func(c *Config) { c.Temperature = ptr(3.0) }, Prompt("hello"), false},
		{"top_p out of range is rejected", func(c *Config) { c.TopP = ptr(1.5) }, Prompt("hello"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Provider: ProviderOpenAI, Model: "gpt-4o-mini", BaseURL: base, Timeout: 30 * time.Second}
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			cl, _ := openTest(t, cfg)
			_, err := cl.Generate(context.Background(), c.req)
			if c.ok && err != nil {
				t.Fatalf("the API spec rejects our request: %v", err)
			}
			if !c.ok && !errors.Is(err, ErrBadRequest) {
				t.Fatalf("invalid request not rejected: err = %v", err)
			}
		})
	}
}
