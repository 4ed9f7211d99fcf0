package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// TestFaultStorm runs an eval against a provider that fails about 45% of
// requests (429 with Retry-After, 500, hangs past the timeout, malformed
// JSON, dropped connections): every item must end with exactly one result
// line (a label, or error with its message), the retries must add up with
// the requests the server saw, and the rate limiter must keep the request
// rate under rpm.
func TestFaultStorm(t *testing.T) {
	t.Parallel()
	const (
		n   = 50
		rpm = 2000 // one request every 30ms
	)
	items := makeItems(n)
	srv := newFake(t, nil,
		llmtest.WithFaults(20261204, llmtest.FaultRates{
			RateLimit: 0.20, Server: 0.10, Hang: 0.05, Malformed: 0.05, Drop: 0.05,
			RetryAfter: 15 * time.Millisecond,
		}),
		llmtest.WithLatency(2*time.Millisecond),
	)
	scriptItems(srv, items)
	p := newProject(t, map[string]string{
		"evalset.jsonl": evalSetJSONL(items),
		"synth.yaml": fmt.Sprintf(`models:
  fake: %s
eval: {dataset: evalset.jsonl, model: fake, concurrency: 8}
`, remoteModel(srv.URL(), fmt.Sprintf("timeout: 300ms, concurrency: 8, max_retries: 2, rpm: %d", rpm))),
	})
	r := p.run("eval", "--quiet")
	noCrash(t, r)

	dir := onlyRun(t, p.path("runs"))
	results := readResults(t, filepath.Join(dir, dataset.ResultsFile))
	byID := onePerItem(t, results, items)
	errored := 0
	for i, it := range items {
		res := byID[it.ID]
		switch {
		case res.Label == dataset.Error:
			errored++
			if res.Output != "" {
				t.Errorf("item %s: error with an output %q", it.ID, res.Output)
			}
		case res.Output != scriptedAnswer(i, it):
			// A malformed or cut response must never pass for an answer.
			t.Errorf("item %s: graded %s on output %q, but the model answered %q", it.ID, res.Label, res.Output, scriptedAnswer(i, it))
		}
	}
	switch {
	case errored == n && r.code != 3:
		t.Fatalf("every item errored: want exit 3\n%s", r)
	case errored < n && r.code != 0:
		t.Fatalf("want exit 0 (%d of %d items errored)\n%s", errored, n, r)
	}

	s := readSummary(t, dir)
	if s.Total != n || s.Items != n || s.Interrupted {
		t.Errorf("summary: total %d, items %d, interrupted %v; want %d, %d, false", s.Total, s.Items, s.Interrupted, n, n)
	}
	sum := 0
	for _, c := range s.Counts {
		sum += c
	}
	if sum != n || s.Counts[dataset.Error] != errored {
		t.Errorf("summary counts %v: sum %d (want %d), error %d (want %d)", s.Counts, sum, n, s.Counts[dataset.Error], errored)
	}
	perItem := 0
	for _, res := range results {
		perItem += res.Retries
	}
	got := srv.chatCount()
	t.Logf("%d items, %d errored, %d requests, %d retries, %d cache hits, %d unused connections", n, errored, got, s.Retries, s.CacheHits, srv.silentConns())
	if s.Retries == 0 {
		t.Errorf("summary.retries is 0 after %d requests for %d items", got, n)
	}
	if s.Retries != perItem {
		t.Errorf("summary.retries %d, but the results' retries add up to %d", s.Retries, perItem)
	}
	if s.CacheHits != 0 {
		t.Errorf("summary.cache_hits %d on a fresh cache", s.CacheHits)
	}
	// Each item costs one request plus one per retry. An attempt can only
	// miss the server when its connection closed before carrying it (a dial
	// outlasting the 300ms timeout on a loaded machine); the server counts
	// those connections.
	attempts := n + s.Retries
	lost := srv.silentConns()
	if got > attempts || got < attempts-lost {
		t.Errorf("the server saw %d requests; items + retries = %d + %d = %d (%d connections closed unused)", got, n, s.Retries, attempts, lost)
	}
	if s.Requests != attempts {
		t.Errorf("summary.requests %d, want items + retries = %d", s.Requests, attempts)
	}

	// The limiter spaces requests evenly: no window of w holds more than
	// rpm·w/60 of them (plus a few for arrival jitter on a loaded machine),
	// and the whole run takes at least as long as rpm allows.
	var times []time.Time
	for _, req := range srv.Log() {
		if req.Path == "/v1/chat/completions" {
			times = append(times, req.Time)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	const window = time.Second
	limit := int(float64(rpm)*window.Seconds()/60) + 5
	if len(times) <= limit+10 {
		t.Fatalf("only %d requests: too few to check a rate of %d per %s", len(times), limit, window)
	}
	worst := 0
	for i := range times {
		j := sort.Search(len(times), func(j int) bool { return !times[j].Before(times[i].Add(window)) })
		worst = max(worst, j-i)
	}
	if worst > limit {
		t.Errorf("%d requests within %s; rpm %d allows %d", worst, window, rpm, limit)
	}
	span := times[len(times)-1].Sub(times[0])
	if minSpan := time.Duration(len(times)-1) * time.Minute / rpm; span < minSpan*9/10 {
		t.Errorf("%d requests in %s; rpm %d needs at least %s", len(times), span, rpm, minSpan)
	}
}
