package pipelines

import (
	"context"
	"fmt"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// benchItems repeats checkItems n times under fresh ids.
func benchItems(n int) []dataset.Item {
	var items []dataset.Item
	for i := range n {
		for _, it := range checkItems {
			it.ID = fmt.Sprintf("%s-%d", it.ID, i)
			items = append(items, it)
		}
	}
	return items
}

// BenchmarkPerturb makes every kind of case for 100 items over the test docs.
func BenchmarkPerturb(b *testing.B) {
	items := benchItems(25)
	b.ReportAllocs()
	for b.Loop() {
		cases, _ := (&Perturber{Docs: nimbusDocs}).Perturb(items)
		if len(cases) == 0 {
			b.Fatal("no cases")
		}
	}
}

// BenchmarkCheckGrade grades the cases of 20 items with the offline
// validators (f1, refusal, numbers, links), as synth check does.
func BenchmarkCheckGrade(b *testing.B) {
	c := newCheck(b,
		map[string]any{"type": "f1", "correct": 0.8, "partial": 0.3},
		map[string]any{"type": "refusal"},
		map[string]any{"type": "numbers"},
		map[string]any{"type": "links"},
	)
	cases, _ := (&Perturber{Docs: nimbusDocs}).Perturb(benchItems(5))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Grade(context.Background(), cases); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cases)), "answers/op")
}
