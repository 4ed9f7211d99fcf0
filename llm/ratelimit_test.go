package llm

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

// fakeClock is a virtual clock: sleeping advances it, never the wall clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

func fakeLimiter(rpm, tpm int, c *fakeClock) *Limiter {
	l := NewLimiter(rpm, tpm)
	l.now, l.sleep = c.now, c.sleep
	return l
}

type event struct {
	at     time.Time
	tokens int
}

// maxInWindow returns the most requests and tokens in any half-open window
// [t, t+w) that starts at an event.
func maxInWindow(evs []event, w time.Duration) (reqs, tokens int) {
	sort.Slice(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	for i := range evs {
		n, tok := 0, 0
		for j := i; j < len(evs) && evs[j].at.Before(evs[i].at.Add(w)); j++ {
			n++
			tok += evs[j].tokens
		}
		reqs, tokens = max(reqs, n), max(tokens, tok)
	}
	return reqs, tokens
}

func TestLimiterRequestsPerWindow(t *testing.T) {
	for _, rpm := range []int{1, 7, 60, 500} {
		clk := newFakeClock()
		l := fakeLimiter(rpm, 0, clk)
		var evs []event
		n := 3*rpm + 5
		for range n {
			at, err := l.wait(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, event{at: at})
		}
		got, _ := maxInWindow(evs, time.Minute)
		if got > rpm {
			t.Fatalf("rpm %d: %d requests in one minute", rpm, got)
		}
		// And it is not slower than it must be: n requests take (n-1)/rpm minutes.
		span := evs[len(evs)-1].at.Sub(evs[0].at)
		want := time.Duration(float64(n-1) / float64(rpm) * float64(time.Minute))
		if span > want+time.Millisecond {
			t.Fatalf("rpm %d: %d requests took %v, want %v", rpm, n, span, want)
		}
	}
}

func TestLimiterConcurrentSchedule(t *testing.T) {
	const rpm, tpm, per, workers = 120, 12000, 25, 12
	clk := newFakeClock()
	l := fakeLimiter(rpm, tpm, clk)
	var mu sync.Mutex
	var evs []event
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				tok := 50 + 37*((w+i)%9)
				at, err := l.wait(context.Background(), tok)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				evs = append(evs, event{at, tok})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	reqs, tokens := maxInWindow(evs, time.Minute)
	if reqs > rpm {
		t.Fatalf("%d requests in a minute, limit %d", reqs, rpm)
	}
	// Tokens may exceed tpm by the bucket (one second's worth) plus one call.
	if limit := tpm + tpm/60 + 50 + 37*8; tokens > limit {
		t.Fatalf("%d tokens in a minute, limit %d", tokens, limit)
	}
}

func TestLimiterTokensPerWindow(t *testing.T) {
	const tpm = 6000
	clk := newFakeClock()
	l := fakeLimiter(0, tpm, clk)
	var evs []event
	for i := range 100 {
		tok := 200 + 100*(i%5)
		at, err := l.wait(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, event{at, tok})
	}
	_, tokens := maxInWindow(evs, time.Minute)
	if limit := tpm + tpm/60 + 600; tokens > limit {
		t.Fatalf("%d tokens in a minute, limit %d", tokens, limit)
	}
	// Throughput is close to the limit: 100 calls of 400 tokens average.
	span := evs[len(evs)-1].at.Sub(evs[0].at)
	if span > 7*time.Minute {
		t.Fatalf("too slow: %v for %d tokens at %d/min", span, 40000, tpm)
	}
}

func TestLimiterAdjust(t *testing.T) {
	// tpm 600: 10 tokens a second, a bucket of 10.
	cases := []struct {
		name   string
		adjust int
		want   time.Duration
	}{
		{"no correction", 0, 10 * time.Second},
		{"used fewer tokens", -90, time.Second},
		{"used more tokens", 50, 15 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock()
			l := fakeLimiter(0, 600, clk)
			start := clk.now()
			if at, _ := l.wait(context.Background(), 100); !at.Equal(start) {
				t.Fatalf("first call waited until %v", at)
			}
			l.Adjust(c.adjust)
			at, _ := l.wait(context.Background(), 10)
			if got := at.Sub(start); got != c.want {
				t.Fatalf("second call at +%v, want +%v", got, c.want)
			}
		})
	}
}

func TestLimiterContext(t *testing.T) {
	l := NewLimiter(1, 0) // one request a minute, real timer
	if err := l.Wait(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if err := NewLimiter(0, 0).Wait(context.Background(), 100); err != nil {
		t.Fatalf("unlimited limiter: %v", err)
	}
}

func TestRateLimitThroughOpen(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.Text("ok").WithUsage(10, 10))
	cfg := testConfig(srv)
	cfg.RPM = 30 // one request every 2s
	clk := newFakeClock()
	cl, _ := openTest(t, cfg, func(o *OpenOptions) { o.Now, o.Sleep = clk.now, clk.sleep })
	start := clk.now()
	for range 5 {
		if _, err := cl.Generate(context.Background(), Prompt("x")); err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.now().Sub(start); got != 8*time.Second {
		t.Fatalf("5 calls at 30 rpm took %v of virtual time, want 8s", got)
	}
	if srv.Requests() != 5 {
		t.Fatalf("%d requests", srv.Requests())
	}
}

func TestEstimateTokens(t *testing.T) {
	req := Request{Messages: []Message{{User, "12345678"}, {System, "1234"}}, MaxTokens: 100}
	if got := EstimateTokens(req); got != 3+100 {
		t.Fatalf("EstimateTokens = %d", got)
	}
}
