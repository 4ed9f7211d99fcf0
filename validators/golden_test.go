package validators

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	goldenfile "github.com/synth-dev/synth/internal/golden"

	"github.com/synth-dev/synth/dataset"
)

// TestGoldenVerdicts grades testdata/support_samples.jsonl with the default
// set for a project with docs and compares every verdict and label with
// testdata/support_verdicts.golden.jsonl (go test ./validators -run Golden -update
// rewrites it; review the diff).
func TestGoldenVerdicts(t *testing.T) {
	var vs []Built
	for i, c := range Defaults(Available{Docs: true}) {
		b, err := Builtin().Build(spec0(i), c, Deps{Corpus: helpDocs})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, b)
	}
	f, err := os.Open(filepath.Join("testdata", "support_samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got bytes.Buffer
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var s dataset.Sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("support_samples.jsonl:%d: %v", line, err)
		}
		for _, c := range helpDocs {
			s.Contexts = append(s.Contexts, c)
		}
		outs, err := Run(t.Context(), vs, &s)
		if err != nil {
			t.Fatal(err)
		}
		d := DefaultPolicy().Decide(outs)
		rec := struct {
			ID       string            `json:"id"`
			Label    dataset.Label     `json:"label"`
			Reason   string            `json:"reason"`
			Verdicts []dataset.Verdict `json:"verdicts"`
		}{s.ID, d.Label, d.Reason, Verdicts(outs)}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(b)
		got.WriteByte('\n')
	}
	golden := filepath.Join("testdata", "support_verdicts.golden.jsonl")
	if goldenfile.Update() {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		gl, wl := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range max(len(gl), len(wl)) {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
}
