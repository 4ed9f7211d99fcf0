package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Limit bounds the calls in flight through the model to n (n < 1 means 1).
// A call waiting for a slot gives up when its context is done.
func Limit(n int) Middleware {
	if n < 1 {
		n = 1
	}
	sem := make(chan struct{}, n)
	return func(next Model) Model {
		return ModelFunc(func(ctx context.Context, req Request) (Response, error) {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return Response{}, ctx.Err()
			}
			defer func() { <-sem }()
			return next.Generate(ctx, req)
		})
	}
}

// Timeout gives every call its own deadline d (none when d <= 0). A call
// that runs out of time fails with [ErrTimeout]; errors.Is(err,
// context.DeadlineExceeded) holds too.
func Timeout(d time.Duration) Middleware {
	return func(next Model) Model {
		if d <= 0 {
			return next
		}
		return ModelFunc(func(ctx context.Context, req Request) (Response, error) {
			cctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			resp, err := next.Generate(cctx, req)
			if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrTimeout) {
				err = fmt.Errorf("%w after %s: %w", ErrTimeout, d, err)
			}
			return resp, err
		})
	}
}

// RetryOptions configures [Retry].
type RetryOptions struct {
	// MaxRetries is how many times a failed call is tried again (0: never).
	MaxRetries int
	// Base is the backoff before the first retry (default 500ms); it
	// doubles with each retry.
	Base time.Duration
	// Max caps the backoff (default 30s).
	Max time.Duration
	// MaxRetryAfter is the longest Retry-After honoured (default 5m): a
	// provider asking for a longer wait fails the call at once.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx is done (default: a timer). Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a uniform number in [0, 1) (default math/rand/v2).
	Jitter func() float64
}

// Retry retries calls that fail with a [Retryable] error, up to
// o.MaxRetries times, waiting between attempts with exponential backoff and
// full jitter (a uniform wait in [0, min(Max, Base·2^attempt)]), and at least
// as long as the provider's Retry-After. Response.Retries counts the failed
// attempts; an error after retries is a [*RetryError]. Auth and bad-request
// errors, and a done context, end the call at once.
func Retry(o RetryOptions) Middleware {
	if o.Base <= 0 {
		o.Base = 500 * time.Millisecond
	}
	if o.Max <= 0 {
		o.Max = 30 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return func(next Model) Model {
		return ModelFunc(func(ctx context.Context, req Request) (Response, error) {
			for attempt := 0; ; attempt++ {
				resp, err := next.Generate(ctx, req)
				if err == nil {
					resp.Retries = attempt
					return resp, nil
				}
				wrap := func(err error) error {
					if attempt == 0 {
						return err
					}
					return &RetryError{Retries: attempt, Err: err}
				}
				if ctx.Err() != nil || !Retryable(err) || attempt >= o.MaxRetries {
					return Response{}, wrap(err)
				}
				wait := backoff(o, attempt)
				if ra := RetryAfter(err); ra > 0 {
					if ra > o.MaxRetryAfter {
						return Response{}, wrap(fmt.Errorf("provider asked to wait %s, longer than %s: %w", ra, o.MaxRetryAfter, err))
					}
					wait = max(wait, ra)
				}
				if serr := o.Sleep(ctx, wait); serr != nil {
					return Response{}, wrap(fmt.Errorf("%w while waiting to retry: %w", serr, err))
				}
			}
		})
	}
}

// backoff is the full-jitter wait before retry number attempt+1.
func backoff(o RetryOptions, attempt int) time.Duration {
	ceil := o.Max
	if attempt < 30 {
		if d := o.Base << attempt; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(o.Jitter() * float64(ceil))
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
