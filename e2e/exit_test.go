package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// TestExitCodes checks the exit statuses CI scripts rely on: 0 success,
// 1 below --fail-under, 2 bad usage, 3 the run could not finish (every item
// failed: the provider is unreachable). 130 is covered by the interrupt
// tests, 2 in depth by TestBadInput.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: connections are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/v1"
	ln.Close()

	p := newProject(t, map[string]string{
		"evalset.jsonl": goodEvalSet,
		"outputs.jsonl": `{"id": "a", "output": "4000"}` + "\n" + `{"id": "b", "output": "no idea"}` + "\n",
		"synth.yaml": fmt.Sprintf(`models:
  mine: {provider: replay, path: outputs.jsonl}
  down: %s
eval: {dataset: evalset.jsonl, model: mine}
`, remoteModel(dead, "max_retries: 1, timeout: 2s")),
	})
	var s dataset.Summary
	r := p.mustRun(0, "eval", "--quiet", "--json", "--fail-under", "0.5")
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s.Accuracy != 0.5 {
		t.Fatalf("--json: want the summary with accuracy 0.5 on stdout (%v)\n%s", err, r)
	}
	r = p.mustRun(1, "eval", "--quiet", "--fail-under", "0.75")
	if !strings.Contains(r.stderr, "below --fail-under") {
		t.Errorf("exit 1 without saying why\n%s", r)
	}
	p.mustRun(2, "eval", "--quiet", "--no-such-flag")
	p.mustRun(2, "frobnicate")

	r = p.mustRun(3, "eval", "--quiet", "--model", "down")
	if !strings.Contains(r.stderr, "all 2 items failed") || !strings.Contains(r.stderr, "--resume") {
		t.Errorf("exit 3 without the cause and the way on\n%s", r)
	}
	// Even then every item has its line, labelled error, never wrong.
	var down string
	for _, d := range runDirs(t, p.path("runs")) {
		if strings.HasSuffix(d, "-down") {
			down = d
		}
	}
	for _, res := range onePerItem(t, readResults(t, filepath.Join(down, dataset.ResultsFile)), []item{{ID: "a"}, {ID: "b"}}) {
		if res.Label != dataset.Error || !strings.Contains(res.Error, "connection failed") {
			t.Errorf("item %s: label %s, error %q; want error, connection failed", res.ID, res.Label, res.Error)
		}
	}
}
