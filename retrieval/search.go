package retrieval

import (
	"fmt"
	"sort"

	"github.com/synth-dev/synth/dataset"
)

// Matrix is an exhaustive in-memory vector index: unit vectors stored row
// by row in one contiguous []float32, searched by dot product with a partial
// top-k selection. It is what the knowledge base serves queries from (the
// chromem-go collection is what it persists); see docs/knowledge-base.md for
// why. A Matrix is immutable once built and safe for concurrent use.
type Matrix struct {
	dim    int
	chunks []dataset.Chunk
	data   []float32
	docs   map[string][2]int // document path -> [first, end) rows; rows are grouped by document
}

// NewMatrix builds an index over chunks and their vectors (same order, unit
// length, all of one dimension). Rows of the same document must be adjacent
// for document filters to work; [KB] keeps them sorted by document.
func NewMatrix(chunks []dataset.Chunk, vectors [][]float32) (*Matrix, error) {
	if len(chunks) != len(vectors) {
		return nil, fmt.Errorf("matrix: %d chunks but %d vectors", len(chunks), len(vectors))
	}
	m := &Matrix{chunks: chunks, docs: map[string][2]int{}}
	if len(vectors) > 0 {
		m.dim = len(vectors[0])
	}
	m.data = make([]float32, len(vectors)*m.dim)
	for i, v := range vectors {
		if len(v) != m.dim {
			return nil, fmt.Errorf("matrix: vector %d has %d dimensions, want %d", i, len(v), m.dim)
		}
		copy(m.data[i*m.dim:], v)
	}
	for i, c := range chunks {
		r, ok := m.docs[c.Doc]
		switch {
		case !ok:
			m.docs[c.Doc] = [2]int{i, i + 1}
		case r[1] == i:
			m.docs[c.Doc] = [2]int{r[0], i + 1}
		default:
			return nil, fmt.Errorf("matrix: chunks of %s are not adjacent", c.Doc)
		}
	}
	return m, nil
}

// Len returns the number of rows.
func (m *Matrix) Len() int { return len(m.chunks) }

// Dim returns the vector dimension (0 when empty).
func (m *Matrix) Dim() int { return m.dim }

// Chunks returns the indexed chunks in row order. The slice is shared: do
// not modify it.
func (m *Matrix) Chunks() []dataset.Chunk { return m.chunks }

// Vector returns row i's vector. The slice is shared: do not modify it.
func (m *Matrix) Vector(i int) []float32 { return m.data[i*m.dim : (i+1)*m.dim : (i+1)*m.dim] }

// SearchOptions narrow a search.
type SearchOptions struct {
	// K is the number of chunks wanted; fewer come back when fewer match.
	K int
	// Docs, when set, restricts the search to chunks of these documents
	// (paths as in Chunk.Doc).
	Docs []string
	// MinScore, when not zero, drops chunks whose similarity is below it.
	// (Cosines of hashed features can be slightly negative.)
	MinScore float64
}

// Search returns the K rows most similar to the unit vector q, best first,
// with Chunk.Score set to the cosine similarity. Equal scores keep row order,
// so results are deterministic.
func (m *Matrix) Search(q []float32, opts SearchOptions) ([]dataset.Chunk, error) {
	if opts.K <= 0 || len(m.chunks) == 0 {
		return nil, nil
	}
	if len(q) != m.dim {
		return nil, fmt.Errorf("query vector has %d dimensions, the index %d", len(q), m.dim)
	}
	top := newTopK(min(opts.K, len(m.chunks)))
	if len(opts.Docs) == 0 {
		m.scan(q, 0, len(m.chunks), top)
	} else {
		ranges := make([][2]int, 0, len(opts.Docs))
		for _, d := range opts.Docs {
			if r, ok := m.docs[d]; ok {
				ranges = append(ranges, r)
			}
		}
		sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
		for i, r := range ranges {
			if i > 0 && r == ranges[i-1] {
				continue
			}
			m.scan(q, r[0], r[1], top)
		}
	}
	out := make([]dataset.Chunk, 0, len(top.idx))
	for i, row := range top.idx {
		if opts.MinScore != 0 && float64(top.score[i]) < opts.MinScore {
			break
		}
		c := m.chunks[row]
		c.Score = float64(top.score[i])
		out = append(out, c)
	}
	return out, nil
}

// scan scores rows [from, to) into top.
func (m *Matrix) scan(q []float32, from, to int, top *topK) {
	dim := m.dim
	data := m.data
	for i := from; i < to; i++ {
		s := Dot(q, data[i*dim:(i+1)*dim])
		if len(top.idx) == top.k && s <= top.score[top.k-1] {
			continue
		}
		top.insert(i, s)
	}
}

// topK keeps the k best (row, score) pairs sorted by score, descending.
type topK struct {
	k     int
	idx   []int
	score []float32
}

func newTopK(k int) *topK {
	return &topK{k: k, idx: make([]int, 0, k), score: make([]float32, 0, k)}
}

func (t *topK) insert(row int, s float32) {
	// Position after every score >= s keeps earlier rows first on ties.
	p := len(t.idx)
	for p > 0 && t.score[p-1] < s {
		p--
	}
	if len(t.idx) < t.k {
		t.idx = append(t.idx, 0)
		t.score = append(t.score, 0)
	} else if p >= t.k {
		return
	}
	copy(t.idx[p+1:], t.idx[p:len(t.idx)-1])
	copy(t.score[p+1:], t.score[p:len(t.score)-1])
	t.idx[p], t.score[p] = row, s
}
