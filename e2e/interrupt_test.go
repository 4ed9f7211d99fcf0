package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// deterministicEval is a project whose model is a fake server answering
// each question with its scripted answer after latency, no faults.
func deterministicEval(t *testing.T, items []item, latency time.Duration, conc int) (*project, *fakeServer) {
	t.Helper()
	srv := newFake(t, nil, llmtest.WithLatency(latency))
	scriptItems(srv, items)
	p := newProject(t, map[string]string{
		"evalset.jsonl": evalSetJSONL(items),
		"synth.yaml": fmt.Sprintf(`models:
  fake: %s
eval: {dataset: evalset.jsonl, model: fake, concurrency: %d}
`, remoteModel(srv.URL(), fmt.Sprintf("timeout: 20s, concurrency: %d, max_retries: 2", conc)), conc),
	})
	return p, srv
}

// referenceRun grades items in a project of its own, uninterrupted, and
// returns its results by id.
func referenceRun(t *testing.T, items []item) map[string]dataset.Result {
	t.Helper()
	p, _ := deterministicEval(t, items, 0, 4)
	p.mustRun(0, "eval", "--quiet")
	dir := onlyRun(t, p.path("runs"))
	return onePerItem(t, readResults(t, filepath.Join(dir, dataset.ResultsFile)), items)
}

// askedQuestions returns the questions of the chat requests in log[from:].
func askedQuestions(srv *fakeServer, from int) map[string]int {
	out := map[string]int{}
	for _, c := range srv.ChatRequests()[from:] {
		out[c.LastUser()]++
	}
	return out
}

// TestInterruptResume sends SIGINT (and, in another run, SIGTERM) in the
// middle of an eval: synth exits 130 with a summary marked interrupted and says how to resume; `synth eval
// --resume` then grades only the items left, and the run's results equal
// those of an uninterrupted run.
func TestInterruptResume(t *testing.T) {
	t.Parallel()
	items := makeItems(48)
	want := referenceRun(t, items)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			interruptResume(t, items, want, sig)
		})
	}
}

func interruptResume(t *testing.T, items []item, want map[string]dataset.Result, sig syscall.Signal) {
	p, srv := deterministicEval(t, items, 40*time.Millisecond, 2)

	pr := p.start("eval")
	results := p.path("runs/latest/" + dataset.ResultsFile)
	waitFor(t, pr, "8 results", func() bool { return countLines(results) >= 8 })
	pr.signal(sig)
	r := pr.wait()
	noCrash(t, r)
	if r.code != 130 {
		t.Fatalf("%v: want exit 130\n%s", sig, r)
	}
	if !strings.Contains(r.stderr, "interrupted") || !strings.Contains(r.stderr, "synth eval --resume runs/") {
		t.Errorf("%v: stderr does not say how to resume\n%s", sig, r)
	}
	dir := onlyRun(t, p.path("runs"))
	before := readResults(t, filepath.Join(dir, dataset.ResultsFile))
	s := readSummary(t, dir)
	if !s.Interrupted || s.Total != len(before) || s.Items != len(items) || s.Total >= len(items) {
		t.Errorf("summary after %v: interrupted %v, total %d, items %d; results.jsonl has %d lines", sig, s.Interrupted, s.Total, s.Items, len(before))
	}
	done := map[string]bool{}
	for _, res := range before {
		if done[res.ID] {
			t.Errorf("item %s recorded twice before resume", res.ID)
		}
		done[res.ID] = true
		if res.Label == dataset.Error {
			t.Errorf("item %s recorded as error when it was only cut short: %s", res.ID, res.Error)
		}
	}

	asked := len(srv.ChatRequests())
	r = p.mustRun(0, "eval", "--quiet", "--resume", strings.TrimPrefix(dir, p.dir+string(filepath.Separator)))
	if !strings.Contains(r.stderr, fmt.Sprintf("%d items were already graded", len(before))) {
		t.Errorf("resume does not say what it kept\n%s", r)
	}
	for q := range askedQuestions(srv, asked) {
		for _, it := range items {
			if it.Question == q && done[it.ID] {
				t.Errorf("resume asked the model again about %s, already graded", it.ID)
			}
		}
	}
	got := onePerItem(t, readResults(t, filepath.Join(dir, dataset.ResultsFile)), items)
	sameResults(t, got, want)
	if s := readSummary(t, dir); s.Interrupted || s.Total != len(items) {
		t.Errorf("summary after resume: interrupted %v, total %d", s.Interrupted, s.Total)
	}
	if dirs := runDirs(t, p.path("runs")); len(dirs) != 1 {
		t.Errorf("resume made another run directory: %v", dirs)
	}
}

// TestKillResumeRepairsTornLine kills synth with SIGKILL in the middle of an
// eval, leaves a torn last line in results.jsonl (as a crash mid-write
// does), and resumes: the torn line is repaired, not fatal, and the results
// equal an uninterrupted run's.
func TestKillResumeRepairsTornLine(t *testing.T) {
	t.Parallel()
	items := makeItems(48)
	want := referenceRun(t, items)
	p, _ := deterministicEval(t, items, 40*time.Millisecond, 2)

	pr := p.start("eval", "--quiet")
	results := p.path("runs/latest/" + dataset.ResultsFile)
	waitFor(t, pr, "8 results", func() bool { return countLines(results) >= 8 })
	pr.signal(syscall.SIGKILL)
	if r := pr.wait(); r.code != 128+int(syscall.SIGKILL) {
		t.Fatalf("SIGKILL: want exit %d\n%s", 128+int(syscall.SIGKILL), r)
	}
	dir := onlyRun(t, p.path("runs"))
	if _, err := os.Stat(filepath.Join(dir, dataset.SummaryFile)); err == nil {
		t.Log("a summary.json survived SIGKILL")
	}

	// A crash in the middle of a write leaves half a line: append one for an
	// item not graded yet, whose label would be wrong if it were believed.
	data, err := os.ReadFile(filepath.Join(dir, dataset.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var res dataset.Result
		if json.Unmarshal([]byte(line), &res) == nil {
			done[res.ID] = true
		}
	}
	var victim item
	for _, it := range items {
		if !done[it.ID] {
			victim = it
			break
		}
	}
	bogus, _ := json.Marshal(dataset.Result{ID: victim.ID, Question: victim.Question, Output: "bogus", Label: dataset.Wrong, Verdicts: []dataset.Verdict{}})
	f, err := os.OpenFile(filepath.Join(dir, dataset.ResultsFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Log("SIGKILL itself left a torn line")
	}
	if _, err := f.Write(bogus[:len(bogus)/2]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r := p.mustRun(0, "eval", "--quiet", "--resume", "runs/latest")
	got := onePerItem(t, readResults(t, filepath.Join(dir, dataset.ResultsFile)), items)
	sameResults(t, got, want)
	if got[victim.ID].Output == "bogus" {
		t.Errorf("the torn line of %s was taken for a result", victim.ID)
	}
	if s := readSummary(t, dir); s.Interrupted || s.Total != len(items) {
		t.Errorf("summary after resume: interrupted %v, total %d\n%s", s.Interrupted, s.Total, r)
	}
}
