package llm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

func TestRetryThroughOpen(t *testing.T) {
	cases := []struct {
		name       string
		replies    []llmtest.Reply
		maxRetries int
		wantKind   error // nil: success
		wantReqs   int
		wantRetry  int
		minWaits   []time.Duration // lower bounds of the waits, in order
	}{
		{
			name:       "429 twice honouring Retry-After",
			replies:    append(llmtest.Times(2, llmtest.RateLimited(3*time.Second)), llmtest.Text("ok")),
			maxRetries: 4, wantReqs: 3, wantRetry: 2,
			minWaits: []time.Duration{3 * time.Second, 3 * time.Second},
		},
		{
			name:       "500 then success",
			replies:    []llmtest.Reply{llmtest.ServerError(), llmtest.Text("ok")},
			maxRetries: 4, wantReqs: 2, wantRetry: 1,
		},
		{
			name:       "dropped connection retried",
			replies:    []llmtest.Reply{llmtest.Drop(), llmtest.Text("ok")},
			maxRetries: 4, wantReqs: 2, wantRetry: 1,
		},
		{
			name:       "malformed retried then ErrMalformed",
			replies:    []llmtest.Reply{llmtest.Malformed()},
			maxRetries: 2, wantKind: ErrMalformed, wantReqs: 3, wantRetry: 2,
		},
		{
			name:       "429 forever exhausts retries",
			replies:    []llmtest.Reply{llmtest.RateLimited(time.Second)},
			maxRetries: 3, wantKind: ErrRateLimit, wantReqs: 4, wantRetry: 3,
		},
		{
			name:       "401 not retried",
			replies:    []llmtest.Reply{llmtest.Status(401, "bad key")},
			maxRetries: 4, wantKind: ErrAuth, wantReqs: 1,
		},
		{
			name:       "400 not retried",
			replies:    []llmtest.Reply{llmtest.Status(400, "bad request")},
			maxRetries: 4, wantKind: ErrBadRequest, wantReqs: 1,
		},
		{
			name:       "retry-after beyond the maximum fails at once",
			replies:    []llmtest.Reply{llmtest.RateLimited(time.Hour)},
			maxRetries: 4, wantKind: ErrRateLimit, wantReqs: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Handle(llmtest.Any(), c.replies...)
			cfg := testConfig(srv)
			cfg.MaxRetries = c.maxRetries
			meter := NewMeter()
			cl, fs := openTest(t, cfg, func(o *OpenOptions) { o.Meter = meter })
			resp, err := cl.Generate(context.Background(), Prompt("q"))
			if c.wantKind == nil {
				if err != nil || resp.Text != "ok" {
					t.Fatalf("got %+v, %v", resp, err)
				}
				if resp.Retries != c.wantRetry {
					t.Fatalf("Retries = %d, want %d", resp.Retries, c.wantRetry)
				}
			} else {
				if !errors.Is(err, c.wantKind) {
					t.Fatalf("err = %v, want %v", err, c.wantKind)
				}
				if Retries(err) != c.wantRetry {
					t.Fatalf("Retries(err) = %d, want %d", Retries(err), c.wantRetry)
				}
			}
			if srv.Requests() != c.wantReqs {
				t.Fatalf("server saw %d requests, want %d", srv.Requests(), c.wantReqs)
			}
			waits := fs.waits()
			if len(waits) != c.wantRetry {
				t.Fatalf("waited %d times, want %d", len(waits), c.wantRetry)
			}
			for i, min := range c.minWaits {
				if waits[i] < min {
					t.Fatalf("wait %d = %v, shorter than Retry-After %v", i, waits[i], min)
				}
			}
			if st := meter.Stats().Total; st.Retries != c.wantRetry || st.Calls != 1 {
				t.Fatalf("meter %+v", st)
			}
		})
	}
}

func TestTimeoutOnHangIsRetried(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.Hang(), llmtest.Text("ok"))
	cfg := testConfig(srv)
	cfg.Timeout = 50 * time.Millisecond
	cfg.MaxRetries = 1
	cl, _ := openTest(t, cfg)
	resp, err := cl.Generate(context.Background(), Prompt("q"))
	if err != nil || resp.Text != "ok" || resp.Retries != 1 {
		t.Fatalf("got %+v, %v", resp, err)
	}

	srv2 := llmtest.NewServer(t, llmtest.WithDefault(llmtest.Hang()))
	cfg2 := testConfig(srv2)
	cfg2.Timeout = 30 * time.Millisecond
	cfg2.MaxRetries = 2
	cl2, _ := openTest(t, cfg2)
	_, err = cl2.Generate(context.Background(), Prompt("q"))
	if !errors.Is(err, ErrTimeout) || srv2.Requests() != 3 {
		t.Fatalf("err = %v after %d requests", err, srv2.Requests())
	}
}

func TestRetryBackoffIsFullJitter(t *testing.T) {
	fail := ModelFunc(func(context.Context, Request) (Response, error) {
		return Response{}, &APIError{Kind: ErrServer, Status: 500}
	})
	for _, jitter := range []float64{0, 0.5, 0.999} {
		fs := &fakeSleep{}
		m := Retry(RetryOptions{MaxRetries: 8, Base: 100 * time.Millisecond, Max: time.Second, Sleep: fs.sleep, Jitter: func() float64 { return jitter }})(fail)
		_, err := m.Generate(context.Background(), Prompt("x"))
		if Retries(err) != 8 {
			t.Fatalf("retries %d", Retries(err))
		}
		for i, w := range fs.waits() {
			ceil := min(time.Second, 100*time.Millisecond<<i)
			want := time.Duration(jitter * float64(ceil))
			if w != want {
				t.Fatalf("jitter %v: wait %d = %v, want %v", jitter, i, w, want)
			}
		}
	}
}

func TestRetryStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	m := Retry(RetryOptions{MaxRetries: 10, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})(ModelFunc(func(context.Context, Request) (Response, error) {
		calls++
		return Response{}, &APIError{Kind: ErrRateLimit}
	}))
	_, err := m.Generate(ctx, Prompt("x"))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrRateLimit) || calls != 1 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
}

func TestConcurrencyBoundNeverExceeded(t *testing.T) {
	for _, limit := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithLatency(5*time.Millisecond))
			// Some calls fail once so retries run concurrently with first attempts.
			srv.Handle(llmtest.LastUserContains("flaky"), llmtest.ServerError(), llmtest.Text("ok"))
			cfg := testConfig(srv)
			cfg.Concurrency = limit
			cfg.MaxRetries = 2
			cl, _ := openTest(t, cfg)
			var wg sync.WaitGroup
			var failed atomic.Int32
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					p := fmt.Sprint("q", i)
					if i%5 == 0 {
						p = fmt.Sprint("flaky", i)
					}
					if _, err := cl.Generate(context.Background(), Prompt(p)); err != nil {
						failed.Add(1)
					}
				}()
			}
			wg.Wait()
			if failed.Load() != 0 {
				t.Fatalf("%d calls failed", failed.Load())
			}
			if got := srv.MaxInFlight(); got > limit || got < 1 {
				t.Fatalf("max in flight %d with concurrency %d", got, limit)
			}
		})
	}
}

func TestLimitRespectsContext(t *testing.T) {
	block, started := make(chan struct{}), make(chan struct{})
	m := Limit(1)(ModelFunc(func(ctx context.Context, _ Request) (Response, error) {
		close(started)
		<-block
		return Response{}, nil
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = m.Generate(context.Background(), Prompt("holder"))
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Generate(ctx, Prompt("waiter")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	close(block)
	<-done
}

func TestTimeoutMiddleware(t *testing.T) {
	slow := ModelFunc(func(ctx context.Context, _ Request) (Response, error) {
		<-ctx.Done()
		return Response{}, ctx.Err()
	})
	_, err := Timeout(10*time.Millisecond)(slow).Generate(context.Background(), Prompt("x"))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !Retryable(err) {
		t.Fatalf("err = %v", err)
	}
	// A cancelled parent is not a timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Timeout(time.Hour)(slow).Generate(ctx, Prompt("x"))
	if errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// d <= 0: no timeout.
	fast := ModelFunc(func(ctx context.Context, _ Request) (Response, error) {
		if _, ok := ctx.Deadline(); ok {
			return Response{}, errors.New("deadline set")
		}
		return Response{Text: "ok"}, nil
	})
	if _, err := Timeout(0)(fast).Generate(context.Background(), Prompt("x")); err != nil {
		t.Fatal(err)
	}
}

func TestMeter(t *testing.T) {
	m := NewMeter()
	p := Price{Input: 0.15, Output: 0.60}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0:
				m.Record("gpt", p, Response{Usage: usage(1000, 100, 1100), Retries: 1}, nil)
			case 1:
				m.Record("gpt", p, Response{Cached: true}, nil)
			case 2:
				m.Record("gpt", p, Response{}, &RetryError{Retries: 2, Err: ErrServer})
			case 3:
				m.Record("local", Price{}, Response{Usage: usage(10, 10, 20)}, nil)
			}
		}()
	}
	wg.Wait()
	st := m.Stats()
	g := st.Models["gpt"]
	if g.Calls != 75 || g.CacheHits != 25 || g.Errors != 25 || g.Retries != 25+50 {
		t.Fatalf("gpt %+v", g)
	}
	if g.Usage != usage(25000, 2500, 27500) {
		t.Fatalf("usage %+v", g.Usage)
	}
	wantCost := 25 * (1000*0.15 + 100*0.60) / 1e6
	if diff := g.Cost - wantCost; diff > 1e-12 || diff < -1e-12 {
		t.Fatalf("cost %v, want %v", g.Cost, wantCost)
	}
	if st.Total.Calls != 100 || st.Total.Usage.TotalTokens != 27500+500 {
		t.Fatalf("total %+v", st.Total)
	}
	if names := st.Names(); len(names) != 2 || names[0] != "gpt" {
		t.Fatalf("names %v", names)
	}
}
