package llm

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

var sinkResp Response

func benchModel() Model {
	return ModelFunc(func(_ context.Context, req Request) (Response, error) {
		return Response{Text: "ok", Usage: usage(10, 2, 12)}, nil
	})
}

func benchRequest(i int) Request {
	return Request{Messages: []Message{
		{System, "You are the Nimbus support bot. Answer from the help docs only."},
		{User, fmt.Sprintf("How do I reset my password? (variant %d)", i)},
	}, Temperature: ptr(0.0), MaxTokens: 256}
}

// BenchmarkMiddleware measures what the middleware adds to a call whose
// provider costs nothing: the chain Open builds around a remote provider.
func BenchmarkMiddleware(b *testing.B) {
	cases := []struct {
		name string
		mw   func(b *testing.B) []Middleware
	}{
		{"none", func(*testing.B) []Middleware { return nil }},
		{"limit+timeout", func(*testing.B) []Middleware { return []Middleware{Limit(8), Timeout(time.Minute)} }},
		{"full chain, no cache", func(*testing.B) []Middleware {
			return []Middleware{Metered(NewMeter(), "m", Price{1, 1}), Retry(RetryOptions{MaxRetries: 4}), Limit(8),
				RateLimit(NewLimiter(1e8, 1e9)), Timeout(time.Minute)}
		}},
		{"full chain, cache miss", func(b *testing.B) []Middleware {
			c, err := OpenCache(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Flush) // before the temp dir is removed
			return []Middleware{Metered(NewMeter(), "m", Price{1, 1}), c.Middleware(CacheScope{Provider: "openai", Model: "m"}),
				Retry(RetryOptions{MaxRetries: 4}), Limit(8), RateLimit(NewLimiter(1e8, 1e9)), Timeout(time.Minute)}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := Chain(benchModel(), c.mw(b)...)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r, err := m.Generate(ctx, benchRequest(i))
				if err != nil {
					b.Fatal(err)
				}
				sinkResp = r
				i++
			}
		})
	}
}

// BenchmarkCacheHit measures a call answered from the disk cache.
func BenchmarkCacheHit(b *testing.B) {
	c, err := OpenCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	m := Chain(benchModel(), Metered(NewMeter(), "m", Price{}), c.Middleware(CacheScope{Provider: "openai", Model: "m"}))
	req := benchRequest(0)
	if _, err := m.Generate(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	c.Flush() // the entry is written in the background
	b.ReportAllocs()
	for b.Loop() {
		r, err := m.Generate(context.Background(), req)
		if err != nil || !r.Cached {
			b.Fatal(err)
		}
		sinkResp = r
	}
}

// BenchmarkCacheKey measures hashing a request into its cache key.
func BenchmarkCacheKey(b *testing.B) {
	req := benchRequest(0)
	scope := CacheScope{Provider: "openai", Model: "gpt-4o-mini", BaseURL: DefaultOpenAIBaseURL}
	b.ReportAllocs()
	for b.Loop() {
		_ = CacheKey(scope, req)
	}
}

// BenchmarkOpenAIRoundTrip measures one call through Open's full chain and
// langchaingo to the fake server on loopback.
func BenchmarkOpenAIRoundTrip(b *testing.B) {
	srv := llmtest.NewServer(b, llmtest.WithLogLimit(-1))
	cl, _ := openTest(b, testConfig(srv))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := cl.Generate(ctx, benchRequest(0))
		if err != nil {
			b.Fatal(err)
		}
		sinkResp = r
	}
}
