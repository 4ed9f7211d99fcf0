package validators

import (
	"context"
	"sync"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// TestConcurrentUse runs every built-in validator from many goroutines on
// shared instances (run with -race): the pipelines grade items concurrently.
func TestConcurrentUse(t *testing.T) {
	var vs []Built
	cfgs := []map[string]any{
		{"type": "exact"}, {"type": "normalized"}, {"type": "contains"}, {"type": "regex", "pattern": "(?i)settings"},
		{"type": "f1"}, {"type": "rouge_l"}, {"type": "match"}, {"type": "refusal"}, {"type": "numbers"}, {"type": "links"},
	}
	for i, c := range cfgs {
		b, err := Builtin().Build(spec0(i), c, Deps{Corpus: helpDocs, Eval: []dataset.Item{{Question: "q", Answers: []string{"a"}}}})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, b)
	}
	samples := benchSamples(50)
	want := make([][]dataset.Verdict, len(samples))
	for i := range samples {
		outs, err := Run(context.Background(), vs, &samples[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = Verdicts(outs)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range samples {
				i := (k + g*7) % len(samples)
				outs, err := Run(context.Background(), vs, &samples[i])
				if err != nil {
					t.Error(err)
					return
				}
				for j, v := range Verdicts(outs) {
					if w := want[i][j]; v.Label != w.Label || v.Score != w.Score || v.Pass != w.Pass || v.Reason != w.Reason {
						t.Errorf("sample %d validator %s: %+v, want %+v", i, v.Validator, v, want[i][j])
					}
				}
			}
		}()
	}
	wg.Wait()
}
