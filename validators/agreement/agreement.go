// Package agreement measures how well two raters agree on labels: a
// confusion matrix, raw agreement and Cohen's kappa with a confidence
// interval. synth uses it to compare its grading with human judgements
// (`synth check`, and the nq301 figures in docs/validators.md).
//
// It imports nothing of synth's, so any package may use it.
package agreement

import (
	"fmt"
	"math"
	"strings"
)

// Matrix is a confusion matrix between two raters over a fixed set of
// labels: Counts[i][j] is how many items rater A labelled Labels[i] and
// rater B labelled Labels[j]. By convention A is the reference (people) and
// B the rater under test (synth).
type Matrix struct {
	Labels []string
	Counts [][]int
	index  map[string]int
}

// NewMatrix returns an empty matrix over labels (at least two, distinct).
func NewMatrix(labels ...string) (*Matrix, error) {
	if len(labels) < 2 {
		return nil, fmt.Errorf("agreement: need at least two labels, got %d", len(labels))
	}
	m := &Matrix{Labels: append([]string(nil), labels...), index: make(map[string]int, len(labels))}
	for i, l := range labels {
		if _, dup := m.index[l]; dup {
			return nil, fmt.Errorf("agreement: label %q listed twice", l)
		}
		m.index[l] = i
	}
	m.Counts = make([][]int, len(labels))
	for i := range m.Counts {
		m.Counts[i] = make([]int, len(labels))
	}
	return m, nil
}

// Add counts one item that rater A labelled a and rater B labelled b.
func (m *Matrix) Add(a, b string) error {
	i, ok := m.index[a]
	if !ok {
		return fmt.Errorf("agreement: unknown label %q (want one of %s)", a, strings.Join(m.Labels, ", "))
	}
	j, ok := m.index[b]
	if !ok {
		return fmt.Errorf("agreement: unknown label %q (want one of %s)", b, strings.Join(m.Labels, ", "))
	}
	m.Counts[i][j]++
	return nil
}

// Total is the number of items counted.
func (m *Matrix) Total() int {
	n := 0
	for _, row := range m.Counts {
		for _, c := range row {
			n += c
		}
	}
	return n
}

// Observed is the share of items on which the raters agree (accuracy when A
// is the reference); 0 for an empty matrix.
func (m *Matrix) Observed() float64 {
	n := m.Total()
	if n == 0 {
		return 0
	}
	agree := 0
	for i := range m.Counts {
		agree += m.Counts[i][i]
	}
	return float64(agree) / float64(n)
}

// Expected is the agreement expected by chance from the raters' marginal
// label frequencies: the sum over labels of pA(label)·pB(label).
func (m *Matrix) Expected() float64 {
	n := m.Total()
	if n == 0 {
		return 0
	}
	pe := 0.0
	for i := range m.Labels {
		rowSum, colSum := 0, 0
		for j := range m.Labels {
			rowSum += m.Counts[i][j]
			colSum += m.Counts[j][i]
		}
		pe += float64(rowSum) * float64(colSum)
	}
	return pe / (float64(n) * float64(n))
}

// Kappa is Cohen's kappa, (po − pe) / (1 − pe): 1 is perfect agreement, 0
// what chance alone gives, below 0 worse than chance. When chance agreement
// is already total (both raters used one and the same label throughout) it
// is 1; for an empty matrix it is 0.
func (m *Matrix) Kappa() float64 {
	if m.Total() == 0 {
		return 0
	}
	po, pe := m.Observed(), m.Expected()
	if pe >= 1 {
		return 1
	}
	return (po - pe) / (1 - pe)
}

// KappaCI returns an approximate 95% confidence interval for [Matrix.Kappa],
// from the large-sample standard error sqrt(po(1−po) / (n(1−pe)²)).
func (m *Matrix) KappaCI() (lo, hi float64) {
	n := m.Total()
	k := m.Kappa()
	po, pe := m.Observed(), m.Expected()
	if n == 0 || pe >= 1 {
		return k, k
	}
	se := math.Sqrt(po*(1-po)/float64(n)) / (1 - pe)
	return math.Max(-1, k-1.96*se), math.Min(1, k+1.96*se)
}

// Precision is, for label l, the share of B's l labels that A agrees with
// (0 when B never says l).
func (m *Matrix) Precision(l string) float64 {
	j, ok := m.index[l]
	if !ok {
		return 0
	}
	col := 0
	for i := range m.Labels {
		col += m.Counts[i][j]
	}
	if col == 0 {
		return 0
	}
	return float64(m.Counts[j][j]) / float64(col)
}

// Recall is, for label l, the share of A's l labels that B agrees with (0
// when A never says l).
func (m *Matrix) Recall(l string) float64 {
	i, ok := m.index[l]
	if !ok {
		return 0
	}
	row := 0
	for _, c := range m.Counts[i] {
		row += c
	}
	if row == 0 {
		return 0
	}
	return float64(m.Counts[i][i]) / float64(row)
}

// String renders the matrix as an aligned text table, A's labels down the
// side and B's across the top.
func (m *Matrix) String() string {
	w := len("A \\ B")
	for _, l := range m.Labels {
		w = max(w, len(l))
	}
	for _, row := range m.Counts {
		for _, c := range row {
			w = max(w, len(fmt.Sprint(c)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", w, "A \\ B")
	for _, l := range m.Labels {
		fmt.Fprintf(&b, "  %*s", w, l)
	}
	b.WriteByte('\n')
	for i, l := range m.Labels {
		fmt.Fprintf(&b, "%-*s", w, l)
		for _, c := range m.Counts[i] {
			fmt.Fprintf(&b, "  %*d", w, c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Binary builds a two-label matrix (labels "yes" and "no") from paired
// yes/no judgements; a and b must have the same length.
func Binary(a, b []bool) (*Matrix, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("agreement: %d judgements from A but %d from B", len(a), len(b))
	}
	m, _ := NewMatrix("yes", "no")
	for i := range a {
		m.Counts[yesNo(a[i])][yesNo(b[i])]++
	}
	return m, nil
}

func yesNo(v bool) int {
	if v {
		return 0
	}
	return 1
}
