package pipelines

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
)

// ForEach runs work on every item with at most concurrency calls in flight and
// passes each outcome to done as soon as it is ready (completion order). done
// is called from one goroutine at a time.
//
// Per-item failures are data: work reports them inside R. An error from done
// (the results file could not be written) stops the run and is returned. When
// ctx is cancelled no new item starts; outcomes for which cutShort reports
// true (items cut short by the cancellation) are dropped so that a resumed run
// redoes them instead of recording them as failures.
func ForEach[T, R any](ctx context.Context, items []T, concurrency int,
	work func(ctx context.Context, item T) R,
	cutShort func(r R) bool,
	done func(r R) error,
) error {
	if concurrency < 1 {
		return fmt.Errorf("concurrency must be at least 1, got %d", concurrency)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		mu      sync.Mutex
		sinkErr error
	)
	deliver := func(r R) {
		mu.Lock()
		defer mu.Unlock()
		if sinkErr != nil {
			return
		}
		if ctx.Err() != nil && cutShort != nil && cutShort(r) {
			return
		}
		if err := done(r); err != nil {
			sinkErr = err
			cancel(err)
		}
	}
	var g errgroup.Group
	g.SetLimit(concurrency)
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { // blocks while concurrency calls are in flight
			if ctx.Err() == nil {
				deliver(work(ctx, it))
			}
			return nil
		})
	}
	_ = g.Wait() // work reports failures in R; the group itself never fails
	if sinkErr != nil {
		return sinkErr
	}
	return context.Cause(ctx)
}
