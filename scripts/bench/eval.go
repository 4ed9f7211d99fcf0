package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The eval orchestration benchmark's shape.
const (
	evalItems       = 2000
	evalCallsPer    = 2 // one answer, one judge call
	evalLatency     = 50 * time.Millisecond
	evalConcurrency = 32
)

// evalIdeal is the wall time with zero overhead: every request takes
// exactly the latency and concurrency requests are always in flight.
func evalIdeal() time.Duration {
	return time.Duration(evalItems*evalCallsPer) * evalLatency / evalConcurrency
}

// fakeServer is a running scripts/fakellm process.
type fakeServer struct {
	url    string // base URL, ending in /v1
	cmd    *exec.Cmd
	cancel context.CancelFunc
}

// startFake starts the fake server binary and waits for its URL.
func startFake(ctx context.Context, bin string, latency time.Duration, logw io.Writer) (*fakeServer, error) {
	cctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(cctx, bin, "-addr", "127.0.0.1:0", "-latency", latency.String())
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = logw
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	s := &fakeServer{cmd: cmd, cancel: cancel}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("fake server did not print its URL: %w", err)
	}
	s.url = strings.TrimSpace(line)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return s, nil
}

// stop terminates the server and waits for it.
func (s *fakeServer) stop() {
	s.cancel()
	_ = s.cmd.Wait()
}

// serverStats is the fake server's GET /_stats.
type serverStats struct {
	Requests    int `json:"requests"`
	MaxInFlight int `json:"max_in_flight"`
}

func (s *fakeServer) stats(ctx context.Context) (serverStats, error) {
	var st serverStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(s.url, "/v1")+"/_stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// floorRun sends n chat requests to url with concurrency workers from a
// bare net/http client and returns the wall time: what the machine and the
// server cost, with no synth in between.
func floorRun(ctx context.Context, url string, n, concurrency int) (time.Duration, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = concurrency
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	body := []byte(`{"model": "llmtest", "messages": [{"role": "user", "content": "How do I reset my password?"}]}`)
	jobs := make(chan struct{})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for range jobs {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/chat/completions", bytes.NewReader(body))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
					var resp *http.Response
					if resp, err = hc.Do(req); err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	return time.Since(start), first
}

// writeEvalProject writes the benchmark's project: an eval set of n items
// and a synth.yaml whose model and judge are the fake server, with the
// response cache on or off.
func writeEvalProject(dir, url string, n int, cache bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var set bytes.Buffer
	topics := []string{"reset my password", "change my plan", "download an invoice", "delete my account", "add a team member", "turn on two-factor sign-in"}
	for i := range n {
		line, _ := json.Marshal(map[string]any{
			"id":       fmt.Sprintf("item-%05d", i),
			"question": fmt.Sprintf("How do I %s? (customer %d)", topics[i%len(topics)], i),
			"answer":   "Open Settings > Security and click Change password. The reset link expires after 30 minutes.",
		})
		set.Write(line)
		set.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "evalset.jsonl"), set.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "synth.yaml"), []byte(evalConfig(url, cache)), 0o644)
}

// evalConfig is the benchmark project's synth.yaml.
func evalConfig(url string, cache bool) string {
	cacheLine := "cache: {enabled: false}"
	if cache {
		cacheLine = "cache: {enabled: true, dir: .synth/cache}"
	}
	return fmt.Sprintf(`version: 1
models:
  fake: {provider: openai, model: llmtest, base_url: %s, concurrency: %d, max_retries: 2, timeout: 30s}
eval:
  dataset: evalset.jsonl
  model: fake
  judge: fake          # the judge validator makes one call per item to the same server
  concurrency: %d
  validators: [{type: judge}]
%s
`, url, evalConcurrency, evalConcurrency, cacheLine)
}

// evalRep is one repetition: the floor, then synth.
type evalRep struct {
	Load      float64
	Floor     time.Duration
	Proc      proc
	RunMS     int64 // summary.json's duration_ms: the run without start-up and reports
	Requests  int   // counted by the server
	Correct   int
	MaxFlight int
}

func (b *bencher) evalSection() (section, error) {
	sec := section{Key: "eval", Title: "Eval orchestration"}
	synth, err := b.synthBinary()
	if err != nil {
		return sec, err
	}
	fake, err := b.goBuild("fakellm", "./scripts/fakellm")
	if err != nil {
		return sec, err
	}
	logf, err := os.Create(filepath.Join(b.tmp, "fakellm.log"))
	if err != nil {
		return sec, err
	}
	defer logf.Close()
	srv, err := startFake(b.ctx, fake, evalLatency, logf)
	if err != nil {
		return sec, err
	}
	defer srv.stop()
	dir := filepath.Join(b.tmp, "eval")
	if err := writeEvalProject(dir, srv.url, evalItems, false); err != nil {
		return sec, err
	}
	runEval := func(dir string, i int, args ...string) (evalRep, error) {
		var r evalRep
		before, err := srv.stats(b.ctx)
		if err != nil {
			return r, err
		}
		var stdout bytes.Buffer
		progress, err := os.Create(filepath.Join(b.tmp, fmt.Sprintf("%s-%d.stderr", filepath.Base(dir), i)))
		if err != nil {
			return r, err
		}
		r.Proc, err = runMeasured(b.ctx, dir, &stdout, progress, synth, append([]string{"eval", "--json"}, args...)...)
		progress.Close()
		if err != nil {
			return r, err
		}
		var sum struct {
			Total      int            `json:"total"`
			Counts     map[string]int `json:"counts"`
			DurationMS int64          `json:"duration_ms"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
			return r, fmt.Errorf("synth eval --json: %w", err)
		}
		after, err := srv.stats(b.ctx)
		if err != nil {
			return r, err
		}
		r.RunMS, r.Correct = sum.DurationMS, sum.Counts["correct"]
		r.Requests, r.MaxFlight = after.Requests-before.Requests, after.MaxInFlight
		if sum.Total != evalItems {
			return r, fmt.Errorf("synth graded %d items, want %d", sum.Total, evalItems)
		}
		return r, os.RemoveAll(filepath.Join(dir, "runs"))
	}

	var reps []evalRep
	for i := range b.opts.reps {
		load := load1(loadAvg())
		b.logf("eval %d/%d: floor (bare HTTP client, %d requests)", i+1, b.opts.reps, evalItems*evalCallsPer)
		floor, err := floorRun(b.ctx, srv.url, evalItems*evalCallsPer, evalConcurrency)
		if err != nil {
			return sec, fmt.Errorf("floor: %w", err)
		}
		b.logf("eval %d/%d: synth eval, %d items at concurrency %d", i+1, b.opts.reps, evalItems, evalConcurrency)
		r, err := runEval(dir, i+1, "--no-cache")
		if err != nil {
			return sec, err
		}
		if r.Requests != evalItems*evalCallsPer {
			return sec, fmt.Errorf("synth sent %d requests, want %d", r.Requests, evalItems*evalCallsPer)
		}
		r.Load, r.Floor = load, floor
		reps = append(reps, r)
	}

	// The same run with the response cache on (the default config): cold, then warm.
	cdir := filepath.Join(b.tmp, "eval-cache")
	if err := writeEvalProject(cdir, srv.url, evalItems, true); err != nil {
		return sec, err
	}
	var cached []evalRep
	for i, what := range []string{"cold", "warm"} {
		b.logf("eval with the cache on, %s", what)
		r, err := runEval(cdir, i+1)
		if err != nil {
			return sec, err
		}
		r.Load = load1(loadAvg())
		cached = append(cached, r)
	}
	fillEvalSection(&sec, reps, cached)
	return sec, nil
}

// fillEvalSection turns the repetitions (and the cold and warm runs with
// the cache on) into figures and text.
func fillEvalSection(sec *section, reps, cached []evalRep) {
	ideal := evalIdeal()
	var ratios, floors, walls, cpus, runs []float64
	var rss int64
	maxFlight := 0
	for _, r := range reps {
		ratios = append(ratios, r.Proc.Wall.Seconds()/ideal.Seconds())
		floors = append(floors, r.Floor.Seconds()/ideal.Seconds())
		walls = append(walls, r.Proc.Wall.Seconds())
		cpus = append(cpus, r.Proc.CPU.Seconds())
		runs = append(runs, float64(r.RunMS)/1000)
		rss = max(rss, r.Proc.MaxRSS)
		maxFlight = max(maxFlight, r.MaxFlight)
	}
	ratio, floor := median(ratios), median(floors)
	runRatio := median(runs) / ideal.Seconds()
	rssMB := float64(rss) / (1 << 20)
	reproduce := "go run ./scripts/bench -only eval"

	ratioFig := figure{Name: "eval: wall ÷ ideal", Value: fmt.Sprintf("%.3f", ratio), Target: "≤ 1.05", Command: reproduce}
	ratioFig.Verdict = verdictOf(ratio <= 1.05)
	if ratioFig.Verdict == missed {
		ratioFig.Why = fmt.Sprintf("missed by %.1f%%: the same %d requests from a bare HTTP client took %.3f× the ideal on this machine (load %.1f on %d CPUs); of the remaining %.3f, start-up, summary and reports are %.3f (the run alone: %.3f)",
			(ratio-1.05)*100, evalItems*evalCallsPer, floor, reps[len(reps)/2].Load, runtime.NumCPU(), ratio-floor, ratio-runRatio, runRatio)
	} else {
		ratioFig.Why = fmt.Sprintf("the bare-HTTP floor was %.3f; start-up, summary and reports %.3f (the run alone: %.3f)", floor, ratio-runRatio, runRatio)
	}
	rssFig := figure{Name: "eval: peak RSS", Value: fmt.Sprintf("%.1f MB", rssMB), Target: "≤ 100 MB", Command: reproduce, Verdict: verdictOf(rss > 0 && rssMB <= 100)}
	if rss == 0 {
		rssFig.Verdict, rssFig.Value = none, "not measured on this system"
	}
	sec.Figures = []figure{
		ratioFig,
		{Name: "eval: wall time", Value: fmt.Sprintf("%.2f s", median(walls)), Target: fmt.Sprintf("ideal %.2f s", ideal.Seconds()), Command: reproduce},
		rssFig,
		{Name: "eval: CPU time (synth process)", Value: fmt.Sprintf("%.2f s", median(cpus)), Command: reproduce,
			Why: fmt.Sprintf("%.0f µs per request", median(cpus)*1e6/float64(evalItems*evalCallsPer))},
		{Name: "eval: floor (bare HTTP client) ÷ ideal", Value: fmt.Sprintf("%.3f", floor), Command: reproduce},
		{Name: "eval: run alone ÷ ideal", Value: fmt.Sprintf("%.3f", runRatio), Command: reproduce,
			Why: "summary.json's duration_ms: the run without start-up, summary and reports"},
		{Name: "eval: most requests in flight", Value: fmt.Sprintf("%d", maxFlight), Target: fmt.Sprintf("= %d", evalConcurrency), Command: reproduce, Verdict: verdictOf(maxFlight == evalConcurrency)},
	}
	if len(cached) == 2 {
		cold, warm := cached[0], cached[1]
		sec.Figures = append(sec.Figures,
			figure{Name: "eval, cache on, cold: wall ÷ ideal", Value: fmt.Sprintf("%.3f", cold.Proc.Wall.Seconds()/ideal.Seconds()), Command: reproduce,
				Why: fmt.Sprintf("%.2f s wall, %.2f s CPU: every response is also written to the cache", cold.Proc.Wall.Seconds(), cold.Proc.CPU.Seconds())},
			figure{Name: "eval, cache on, warm: wall", Value: fmt.Sprintf("%.2f s", warm.Proc.Wall.Seconds()), Command: reproduce,
				Why: fmt.Sprintf("%d requests sent: every answer and verdict came from the cache", warm.Requests)})
	}
	sec.About = fmt.Sprintf(`%s over %d items, one answer call and one judge call each (the judge validator
with eval.judge pointing at the same model), against the fake OpenAI-compatible server
(scripts/fakellm, llm/llmtest) in its own process with %d ms latency, at eval.concurrency %d
and model concurrency %d, cache off. **Ideal** = requests × latency ÷ concurrency =
%d × %d ms ÷ %d = %.2f s. **Wall** is the whole synth process, from exec to exit: start-up,
the run, summary.json, report.md and report.html (2,000 items). Peak RSS and CPU time
come from wait4's rusage of the synth process. The **floor** sends the same %d requests
from a bare Go HTTP client (in the driver process) at the same concurrency: it is what the
machine and the server cost with no synth at all. Median of %s, each after its floor.`,
		"`synth eval --no-cache --json`", evalItems, evalLatency.Milliseconds(), evalConcurrency, evalConcurrency,
		evalItems*evalCallsPer, evalLatency.Milliseconds(), evalConcurrency, ideal.Seconds(), evalItems*evalCallsPer, plural(len(reps), "run"))
	t := [][]string{{"run", "load (1 min)", "floor", "floor ÷ ideal", "synth wall", "wall ÷ ideal", "run (summary)", "peak RSS", "CPU", "requests", "correct"}}
	for i, r := range reps {
		t = append(t, []string{fmt.Sprint(i + 1), fmt.Sprintf("%.1f", r.Load), fmt.Sprintf("%.2f s", r.Floor.Seconds()), fmt.Sprintf("%.3f", floors[i]),
			fmt.Sprintf("%.2f s", walls[i]), fmt.Sprintf("%.3f", ratios[i]), fmt.Sprintf("%.2f s", runs[i]),
			fmt.Sprintf("%.1f MB", float64(r.Proc.MaxRSS)/(1<<20)), fmt.Sprintf("%.2f s", cpus[i]), fmt.Sprint(r.Requests), fmt.Sprint(r.Correct)})
	}
	sec.Details = t
	sec.Commands = []string{
		reproduce,
		"# by hand: the server, then the eval in a project with the synth.yaml below",
		"go run ./scripts/fakellm -addr 127.0.0.1:8099 -latency 50ms &",
		"/usr/bin/time -v bin/synth eval --no-cache --json",
	}
	sec.Config = evalConfig("http://127.0.0.1:8099/v1", false)
	sec.Notes = evalNotes
}

// plural is "1 run", "3 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
