package llm

import (
	"context"
	"sync"
	"time"
)

// Limiter keeps a model under a requests-per-minute and a tokens-per-minute
// budget. Requests are spaced evenly (one every minute/rpm, no burst), so
// no sliding one-minute window ever holds more than rpm requests. Tokens
// flow from a bucket holding one second's worth: a call reserves its
// estimated tokens before it is sent and the estimate is corrected with the
// real usage after, so a window can exceed tpm by at most one second's
// budget plus one call. Safe for concurrent use.
type Limiter struct {
	mu    sync.Mutex
	req   *bucket
	tok   *bucket
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewLimiter returns a limiter for rpm requests and tpm tokens per minute;
// 0 disables either limit.
func NewLimiter(rpm, tpm int) *Limiter {
	l := &Limiter{now: time.Now, sleep: sleepCtx}
	if rpm > 0 {
		l.req = newBucket(float64(rpm)/60, 1)
	}
	if tpm > 0 {
		l.tok = newBucket(float64(tpm)/60, max(1, float64(tpm)/60))
	}
	return l
}

// Wait blocks until one request with the given estimated tokens may be
// sent, or until ctx is done.
func (l *Limiter) Wait(ctx context.Context, tokens int) error {
	_, err := l.wait(ctx, tokens)
	return err
}

// wait is Wait that also returns the time the request was allowed at.
func (l *Limiter) wait(ctx context.Context, tokens int) (time.Time, error) {
	if l.req == nil && l.tok == nil {
		return l.now(), ctx.Err()
	}
	l.mu.Lock()
	now := l.now()
	var d time.Duration
	if l.req != nil {
		d = max(d, l.req.reserve(now, 1))
	}
	if l.tok != nil && tokens > 0 {
		d = max(d, l.tok.reserve(now, float64(tokens)))
	}
	l.mu.Unlock()
	at := now.Add(d)
	if d <= 0 {
		return at, ctx.Err()
	}
	// A cancelled wait keeps its reservation: handing it back could let a
	// later call take a slot already promised to another.
	return at, l.sleep(ctx, d)
}

// Adjust corrects the token budget once a call's real usage is known:
// delta is real minus estimated tokens (negative gives tokens back).
func (l *Limiter) Adjust(delta int) {
	if l.tok == nil || delta == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tok.refill(l.now())
	l.tok.tokens -= float64(delta)
	if l.tok.tokens > l.tok.cap {
		l.tok.tokens = l.tok.cap
	}
}

// bucket is a token bucket that may go into debt: a reservation takes its
// tokens at once and waits until the bucket would have held them.
type bucket struct {
	rate   float64 // tokens per second
	cap    float64
	tokens float64
	last   time.Time
}

func newBucket(rate, capacity float64) *bucket {
	return &bucket{rate: rate, cap: capacity, tokens: capacity}
}

func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.cap {
			b.tokens = b.cap
		}
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
}

// reserve takes n tokens at now and returns how long to wait before using
// them: until the bucket would have held min(n, cap).
func (b *bucket) reserve(now time.Time, n float64) time.Duration {
	b.refill(now)
	need := min(n, b.cap)
	var wait time.Duration
	if b.tokens < need {
		wait = time.Duration((need - b.tokens) / b.rate * float64(time.Second))
	}
	b.tokens -= n
	return wait
}

// EstimateTokens is the token estimate the rate limiter reserves for req
// before sending it: a quarter of the prompt's bytes plus max_tokens.
func EstimateTokens(req Request) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	return (n+3)/4 + req.MaxTokens
}

// RateLimit makes calls wait for l before they are sent and corrects l's
// token budget with each successful call's real usage.
func RateLimit(l *Limiter) Middleware {
	return func(next Model) Model {
		if l == nil || (l.req == nil && l.tok == nil) {
			return next
		}
		return ModelFunc(func(ctx context.Context, req Request) (Response, error) {
			est := EstimateTokens(req)
			if err := l.Wait(ctx, est); err != nil {
				return Response{}, err
			}
			resp, err := next.Generate(ctx, req)
			if err == nil && resp.Usage.TotalTokens > 0 {
				l.Adjust(resp.Usage.TotalTokens - est)
			}
			return resp, err
		})
	}
}
