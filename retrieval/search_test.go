package retrieval

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func randomUnit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	Normalize(v)
	return v
}

// Matrix.Search agrees with a full sort for every k, with and without
// document filters.
func TestMatrixSearchMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, dim = 500, 24
	chunks := make([]dataset.Chunk, n)
	vecs := make([][]float32, n)
	for i := range chunks {
		chunks[i] = dataset.Chunk{ID: fmt.Sprint(i), Doc: fmt.Sprintf("d%02d", i/25)}
		vecs[i] = randomUnit(r, dim)
	}
	m, err := NewMatrix(chunks, vecs)
	if err != nil {
		t.Fatal(err)
	}
	for trial := 0; trial < 20; trial++ {
		q := randomUnit(r, dim)
		docs := []string(nil)
		if trial%2 == 1 {
			docs = []string{"d03", "d07", "d03", "missing"}
		}
		allowed := map[string]bool{}
		for _, d := range docs {
			allowed[d] = true
		}
		type row struct {
			i int
			s float32
		}
		var want []row
		for i := range chunks {
			if docs == nil || allowed[chunks[i].Doc] {
				want = append(want, row{i, Dot(q, vecs[i])})
			}
		}
		sort.SliceStable(want, func(a, b int) bool { return want[a].s > want[b].s })
		for _, k := range []int{1, 3, 10, 1000} {
			got, err := m.Search(q, SearchOptions{K: k, Docs: docs})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != min(k, len(want)) {
				t.Fatalf("k=%d: %d results, want %d", k, len(got), min(k, len(want)))
			}
			for j, c := range got {
				if c.ID != fmt.Sprint(want[j].i) || float32(c.Score) != want[j].s {
					t.Fatalf("trial %d k=%d rank %d: got %s (%.4f), want %d (%.4f)", trial, k, j, c.ID, c.Score, want[j].i, want[j].s)
				}
			}
		}
	}
}

func TestMatrixTiesKeepRowOrder(t *testing.T) {
	v := []float32{1, 0}
	chunks := []dataset.Chunk{{ID: "a", Doc: "x"}, {ID: "b", Doc: "x"}, {ID: "c", Doc: "y"}}
	m, _ := NewMatrix(chunks, [][]float32{v, v, v})
	got, _ := m.Search(v, SearchOptions{K: 2})
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Errorf("ties: %+v", got)
	}
}

func TestNewMatrixErrors(t *testing.T) {
	if _, err := NewMatrix([]dataset.Chunk{{Doc: "a"}}, nil); err == nil {
		t.Error("count mismatch accepted")
	}
	if _, err := NewMatrix([]dataset.Chunk{{Doc: "a"}, {Doc: "b"}}, [][]float32{{1, 0}, {1}}); err == nil {
		t.Error("dimension mismatch accepted")
	}
	if _, err := NewMatrix([]dataset.Chunk{{Doc: "a"}, {Doc: "b"}, {Doc: "a"}}, [][]float32{{1}, {1}, {1}}); err == nil {
		t.Error("non-adjacent document rows accepted")
	}
	m, _ := NewMatrix([]dataset.Chunk{{Doc: "a"}}, [][]float32{{1, 0}})
	if _, err := m.Search([]float32{1}, SearchOptions{K: 1}); err == nil {
		t.Error("query of the wrong dimension accepted")
	}
}
