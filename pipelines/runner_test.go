package pipelines

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachBoundsConcurrencyAndDeliversAll(t *testing.T) {
	items := make([]int, 200)
	for i := range items {
		items[i] = i
	}
	for _, conc := range []int{1, 3, 16} {
		var inFlight, peak atomic.Int64
		seen := map[int]bool{}
		err := ForEach(context.Background(), items, conc,
			func(ctx context.Context, n int) int {
				cur := inFlight.Add(1)
				for {
					p := peak.Load()
					if cur <= p || peak.CompareAndSwap(p, cur) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				inFlight.Add(-1)
				return n
			}, nil,
			func(n int) error {
				if seen[n] {
					t.Errorf("item %d delivered twice", n)
				}
				seen[n] = true
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != len(items) {
			t.Errorf("concurrency %d: delivered %d of %d", conc, len(seen), len(items))
		}
		if p := peak.Load(); p > int64(conc) {
			t.Errorf("concurrency %d: peak in flight %d", conc, p)
		}
	}
}

func TestForEachStopsOnSinkError(t *testing.T) {
	boom := errors.New("disk full")
	var calls atomic.Int64
	items := make([]int, 1000)
	err := ForEach(context.Background(), items, 2,
		func(ctx context.Context, n int) int { calls.Add(1); return n }, nil,
		func(int) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if c := calls.Load(); c > 10 {
		t.Errorf("work kept running after the sink failed: %d calls", c)
	}
}

func TestForEachDropsCutShortOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	items := make([]int, 50)
	for i := range items {
		items[i] = i
	}
	var kept []int
	err := ForEach(ctx, items, 4,
		func(ctx context.Context, n int) int {
			if n == 10 {
				cancel()
			}
			if n >= 10 {
				<-ctx.Done()
				return -1 // cut short
			}
			return n
		},
		func(r int) bool { return r < 0 },
		func(r int) error { kept = append(kept, r); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	for _, k := range kept {
		if k < 0 {
			t.Fatalf("a cut-short outcome was kept: %v", kept)
		}
	}
	if len(kept) > 10 {
		t.Errorf("kept %d outcomes, want at most 10", len(kept))
	}
}

func TestForEachRejectsBadConcurrency(t *testing.T) {
	if err := ForEach(context.Background(), []int{1}, 0, func(context.Context, int) int { return 0 }, nil, func(int) error { return nil }); err == nil {
		t.Fatal("want an error for concurrency 0")
	}
}
