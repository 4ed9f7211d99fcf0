package retrieval

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/synth-dev/synth/retrieval/wordvecs"
)

// TestGloVeExperiment compares the builtin embedder with GloVe settings on
// the labelled questions (run with SYNTH_TUNE=1 -v). The figures are in
// docs/knowledge-base.md; the holdout set was written after the settings
// were chosen and measured once.
func TestGloVeExperiment(t *testing.T) {
	if os.Getenv("SYNTH_TUNE") == "" {
		t.Skip("set SYNTH_TUNE=1 to run the GloVe experiment")
	}
	tab, err := wordvecs.Default()
	if err != nil {
		t.Fatal(err)
	}
	para, gold := loadLabelled(t)
	hold := readLabelled(t, "testdata/retrieval/holdout.jsonl")
	report := func(name string, kb *KB) {
		t.Logf("%-24s paraphrased %v", name, scoreRetrieval(t, kb, para))
		t.Logf("%-24s eval set    %v", name, scoreRetrieval(t, kb, gold))
		t.Logf("%-24s holdout     %v", name, scoreRetrieval(t, kb, hold))
	}
	report("builtin", indexedSupport(t))
	for _, a := range []float64{3e-4, 1e-4, 3e-5} {
		for _, mix := range []float64{1, 0.8, 0.7, 0.6, 0.5} {
			hd := 512
			if mix == 1 {
				hd = 0
			}
			g, err := NewGloVe(tab, "t", GloVeOptions{HashDim: hd, Mix: mix, SIF: a})
			if err != nil {
				t.Fatal(err)
			}
			report("glove a="+ftoa(a)+" mix="+ftoa(mix), indexedSupport(t, WithEmbedder(g)))
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func readLabelled(t testing.TB, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l labelled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}
