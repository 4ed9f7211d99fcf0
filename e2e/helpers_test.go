package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// synthBin is the synth binary under test, built once by TestMain.
var synthBin string

// canary is the API key every subprocess gets in SYNTH_TEST_KEY. It must
// never show up in anything synth writes or prints.
const canary = "sk-canary-7f3a9c1e5b2d4f60a8e2"

// canaryCore is the part of the canary that no redaction pattern would
// leave behind on its own: finding it means the key leaked, whole or cut.
const canaryCore = "7f3a9c1e5b2d4f60a8e2"

// procTimeout bounds every synth subprocess: a hang fails the test instead
// of the whole package run.
const procTimeout = 90 * time.Second

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		os.Exit(0)
	}
	bin, cleanup, err := buildSynth()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	synthBin = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// buildSynth builds ./cmd/synth into a temporary folder (with -race when
// the tests run with -race), or takes SYNTH_E2E_BIN.
func buildSynth() (string, func(), error) {
	if p := os.Getenv("SYNTH_E2E_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		return abs, func() {}, err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", nil, fmt.Errorf("cannot build synth: %w", err)
	}
	dir, err := os.MkdirTemp("", "synth-e2e-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "synth")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/synth-dev/synth/cmd/synth")
	cmd := exec.Command(goTool, args...)
	cmd.Dir = ".." // the module root
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, cleanup, nil
}

// fakeServer is the llmtest fake OpenAI server behind a loopback listener.
type fakeServer struct {
	*llmtest.Handler
	ts *httptest.Server

	mu     sync.Mutex
	served map[net.Conn]bool
	silent int // connections closed before they carried a request
}

// newFake starts a fake server; wrap, when set, wraps its handler (to add
// behaviour llmtest does not have). It stops when the test ends.
func newFake(t *testing.T, wrap func(http.Handler) http.Handler, opts ...llmtest.Option) *fakeServer {
	t.Helper()
	h := llmtest.New(opts...)
	var handler http.Handler = h
	if wrap != nil {
		handler = wrap(h)
	}
	f := &fakeServer{Handler: h, ts: httptest.NewUnstartedServer(handler), served: map[net.Conn]bool{}}
	f.ts.Config.ConnState = f.connState
	f.ts.Start()
	t.Cleanup(func() {
		h.Close() // releases hanging requests first
		f.ts.Close()
	})
	return f
}

// connState counts the connections a client opened and gave up on before
// sending a request on them (a dial that timed out on a loaded machine).
func (f *fakeServer) connState(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch st {
	case http.StateNew:
		f.served[c] = false
	case http.StateActive:
		f.served[c] = true
	case http.StateClosed, http.StateHijacked:
		if served, ok := f.served[c]; ok && !served {
			f.silent++
		}
		delete(f.served, c)
	}
}

// silentConns returns how many connections closed without a request.
func (f *fakeServer) silentConns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.silent
}

// URL is the base_url for synth.yaml.
func (f *fakeServer) URL() string { return f.ts.URL + "/v1" }

// chatCount is the number of chat completion requests received.
func (f *fakeServer) chatCount() int { return f.Count("/v1/chat/completions") }

// item is one eval-set line.
type item struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// makeItems returns n items with distinct questions, ids q001, q002, ...
func makeItems(n int) []item {
	out := make([]item, n)
	for i := range out {
		out[i] = item{
			ID:       fmt.Sprintf("q%03d", i+1),
			Question: fmt.Sprintf("What is the door code of storage room %d?", i+1),
			Answer:   fmt.Sprintf("The door code of storage room %d is %d.", i+1, 4000+i*7),
		}
	}
	return out
}

// scriptedAnswer is the fake model's answer to items[i]: correct, partial,
// wrong or a refusal, in turn, so a run has every usual label.
func scriptedAnswer(i int, it item) string {
	switch i % 4 {
	case 0:
		return it.Answer
	case 1:
		return fmt.Sprintf("The code is %d.", 4000+i*7)
	case 2:
		return "You can find it on the notice board in the lobby."
	default:
		return "Sorry, I don't understand. Please contact support."
	}
}

// scriptItems makes the fake server answer each item's question with its
// scripted answer (anything else gets a 400).
func scriptItems(f *fakeServer, items []item) {
	answers := make(map[string]string, len(items))
	for i, it := range items {
		answers[it.Question] = scriptedAnswer(i, it)
	}
	f.HandleFunc(llmtest.Any(), func(r llmtest.ChatRequest) llmtest.Reply {
		if a, ok := answers[r.LastUser()]; ok {
			return llmtest.Text(a)
		}
		return llmtest.Status(400, "e2e: no scripted answer for this question")
	})
}

// evalSetJSONL renders items as an eval set.
func evalSetJSONL(items []item) string {
	var b strings.Builder
	for _, it := range items {
		line, _ := json.Marshal(it)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// project is a throwaway synth project folder.
type project struct {
	t   *testing.T
	dir string
	env []string
}

// newProject writes files (path relative to the project -> content) into a
// fresh folder.
func newProject(t *testing.T, files map[string]string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir()}
	for name, content := range files {
		p.write(name, content)
	}
	p.env = baseEnv(map[string]string{
		"SYNTH_TEST_KEY": canary,
		"NO_COLOR":       "1",
		// A -race binary sleeps 1s at exit by default (for late reports);
		// a race still fails the test: the binary exits with status 66.
		"GORACE": "atexit_sleep_ms=20",
	})
	return p
}

// baseEnv is this process's environment without anything that could
// change synth's behaviour (SYNTH_*, provider keys), plus set.
func baseEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SYNTH_") || strings.HasPrefix(k, "OPENAI_") || strings.HasPrefix(k, "ANTHROPIC_") || k == "NO_COLOR" || k == "GORACE" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env
}

func (p *project) path(name string) string { return filepath.Join(p.dir, filepath.FromSlash(name)) }

func (p *project) write(name, content string) {
	p.t.Helper()
	path := p.path(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// result is a finished synth subprocess.
type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("synth %s: exit %d\n--- stdout\n%s\n--- stderr\n%s", strings.Join(r.args, " "), r.code, clip(r.stdout, 4000), clip(r.stderr, 4000))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}

// proc is a running synth subprocess.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	args   []string
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	res    result
}

// start runs synth with args in the project folder without waiting.
func (p *project) start(args ...string) *proc {
	p.t.Helper()
	pr := &proc{t: p.t, args: args, done: make(chan struct{})}
	pr.cmd = exec.Command(synthBin, args...)
	pr.cmd.Dir = p.dir
	pr.cmd.Env = p.env
	pr.cmd.Stdout = &pr.stdout
	pr.cmd.Stderr = &pr.stderr
	if err := pr.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		err := pr.cmd.Wait()
		code := 0
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		case err != nil:
			code = -1
		}
		pr.res = result{args: args, code: code, stdout: pr.stdout.String(), stderr: pr.stderr.String()}
		close(pr.done)
	}()
	return pr
}

// wait waits for the process to end (killing it after procTimeout).
func (pr *proc) wait() result {
	pr.t.Helper()
	select {
	case <-pr.done:
	case <-time.After(procTimeout):
		_ = pr.cmd.Process.Kill()
		<-pr.done
		pr.t.Fatalf("synth %s did not finish within %s\n%s", strings.Join(pr.args, " "), procTimeout, pr.res)
	}
	return pr.res
}

// signal sends sig to the running process.
func (pr *proc) signal(sig os.Signal) {
	pr.t.Helper()
	if err := pr.cmd.Process.Signal(sig); err != nil {
		pr.t.Fatalf("signal %v: %v", sig, err)
	}
}

// exited reports whether the process has ended.
func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// run runs synth with args in the project folder and waits for it.
func (p *project) run(args ...string) result {
	p.t.Helper()
	return p.start(args...).wait()
}

// mustRun runs synth and fails the test unless it exits with want.
func (p *project) mustRun(want int, args ...string) result {
	p.t.Helper()
	r := p.run(args...)
	noCrash(p.t, r)
	if r.code != want {
		p.t.Fatalf("want exit %d\n%s", want, r)
	}
	return r
}

// noCrash fails the test when r's output shows a panic, a Go stack trace or
// a data race.
func noCrash(t *testing.T, r result) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "WARNING: DATA RACE", "runtime error"} {
		if strings.Contains(r.stderr, bad) || strings.Contains(r.stdout, bad) {
			t.Fatalf("output contains %q\n%s", bad, r)
		}
	}
}

// waitFor polls cond every few milliseconds until it holds, the process
// ends, or the deadline passes.
func waitFor(t *testing.T, pr *proc, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(procTimeout)
	for !cond() {
		if pr != nil && pr.exited() {
			t.Fatalf("synth ended before %s\n%s", what, pr.res)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// countLines counts the complete lines of a file (0 when it is missing).
func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte{'\n'})
}

// readResults reads a results.jsonl strictly: every line must be one whole
// result.
func readResults(t *testing.T, path string) []dataset.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline (torn last line?)", path)
	}
	var out []dataset.Result
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for n := 1; sc.Scan(); n++ {
		var r dataset.Result
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// onePerItem checks that results hold exactly one result per item (none
// lost, none duplicated, none foreign), each with a valid label, and
// returns them by id.
func onePerItem(t *testing.T, results []dataset.Result, items []item) map[string]dataset.Result {
	t.Helper()
	byID := make(map[string]dataset.Result, len(results))
	for _, r := range results {
		if _, dup := byID[r.ID]; dup {
			t.Errorf("item %s has more than one result line", r.ID)
		}
		byID[r.ID] = r
		if !r.Label.Valid() {
			t.Errorf("item %s: invalid label %q", r.ID, r.Label)
		}
		if r.Label == dataset.Error && r.Error == "" {
			t.Errorf("item %s: label error without an error message", r.ID)
		}
		if r.Label != dataset.Error && r.Error != "" {
			t.Errorf("item %s: label %s with error %q", r.ID, r.Label, r.Error)
		}
	}
	want := make(map[string]bool, len(items))
	for _, it := range items {
		want[it.ID] = true
		if _, ok := byID[it.ID]; !ok {
			t.Errorf("item %s has no result (lost)", it.ID)
		}
	}
	for id := range byID {
		if !want[id] {
			t.Errorf("result for unknown item %s", id)
		}
	}
	if len(results) != len(items) {
		t.Errorf("%d result lines for %d items", len(results), len(items))
	}
	return byID
}

// graded is what must be equal between two runs of the same items against
// a deterministic model: everything but timings, retries and cache flags.
// Usage is compared only when neither answer came from the response cache
// (a cache hit spends no tokens).
type graded struct {
	Question string
	Gold     []string
	Output   string
	Label    dataset.Label
	Reason   string
	Verdicts []dataset.Verdict
	Contexts []dataset.Chunk
	Usage    dataset.Usage
	Error    string
}

func gradedOf(r dataset.Result, usage bool) graded {
	g := graded{Question: r.Question, Gold: r.Gold, Output: r.Output, Label: r.Label, Reason: r.Reason, Verdicts: r.Verdicts, Contexts: r.Contexts, Error: r.Error}
	if usage {
		g.Usage = r.Usage
	}
	return g
}

// sameResults fails the test when got and want differ in any item.
func sameResults(t *testing.T, got, want map[string]dataset.Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d results, want %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("item %s missing", id)
			continue
		}
		usage := !g.Cached && !w.Cached
		if gg, wg := gradedOf(g, usage), gradedOf(w, usage); !reflect.DeepEqual(gg, wg) {
			t.Errorf("item %s differs from the reference run:\n got  %+v\n want %+v", id, gg, wg)
		}
	}
}

// readSummary reads a run's summary.json.
func readSummary(t *testing.T, dir string) dataset.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, dataset.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s dataset.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary.json: %v", err)
	}
	return s
}

// runDirs lists the run directories under root (not latest), sorted.
func runDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != dataset.LatestName && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(root, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// onlyRun returns the one run directory under root.
func onlyRun(t *testing.T, root string) string {
	t.Helper()
	dirs := runDirs(t, root)
	if len(dirs) != 1 {
		t.Fatalf("want one run in %s, have %v", root, dirs)
	}
	return dirs[0]
}

// withTimeout returns a context for a test step.
func withTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), procTimeout)
	t.Cleanup(cancel)
	return ctx
}

// remoteModel is a models: entry for the fake server.
func remoteModel(url string, extra string) string {
	s := fmt.Sprintf("{provider: openai, model: llmtest, base_url: %q, api_key_env: SYNTH_TEST_KEY", url)
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}
