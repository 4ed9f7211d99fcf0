package agreement

import (
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestKappa(t *testing.T) {
	tests := []struct {
		name      string
		a, b      []bool
		po, pe, k float64
	}{
		// Textbook example: 50 items, 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
		{"textbook", rep(true, true, 20, true, false, 5, false, true, 10, false, false, 15),
			nil, 0.7, 0.5, 0.4},
		{"perfect", []bool{true, false, true, false}, []bool{true, false, true, false}, 1, 0.5, 1},
		{"opposite", []bool{true, false}, []bool{false, true}, 0, 0.5, -1},
		{"constant raters", []bool{true, true}, []bool{true, true}, 1, 1, 1},
		{"chance", []bool{true, true, false, false}, []bool{true, false, true, false}, 0.5, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := tt.a, tt.b
			if b == nil { // rep packs both raters into a
				a, b = split(a)
			}
			m, err := Binary(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if !near(m.Observed(), tt.po) || !near(m.Expected(), tt.pe) || !near(m.Kappa(), tt.k) {
				t.Errorf("po %v pe %v kappa %v, want %v %v %v", m.Observed(), m.Expected(), m.Kappa(), tt.po, tt.pe, tt.k)
			}
			lo, hi := m.KappaCI()
			if lo > m.Kappa() || hi < m.Kappa() || lo < -1 || hi > 1 {
				t.Errorf("CI [%v, %v] does not bracket %v", lo, hi, m.Kappa())
			}
		})
	}
}

// rep builds interleaved (a, b) pairs: a value, b value, count, ...
func rep(spec ...any) []bool {
	var out []bool
	for i := 0; i < len(spec); i += 3 {
		for range spec[i+2].(int) {
			out = append(out, spec[i].(bool), spec[i+1].(bool))
		}
	}
	return out
}

func split(pairs []bool) (a, b []bool) {
	for i := 0; i < len(pairs); i += 2 {
		a = append(a, pairs[i])
		b = append(b, pairs[i+1])
	}
	return a, b
}

func TestMatrix(t *testing.T) {
	m, err := NewMatrix("correct", "wrong", "refused")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"correct", "correct"}, {"correct", "wrong"}, {"wrong", "wrong"}, {"refused", "refused"}} {
		if err := m.Add(p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Add("correct", "maybe"); err == nil || !strings.Contains(err.Error(), `"maybe"`) {
		t.Errorf("unknown label: got %v", err)
	}
	if m.Total() != 4 || !near(m.Observed(), 0.75) {
		t.Errorf("total %d observed %v", m.Total(), m.Observed())
	}
	if !near(m.Precision("wrong"), 0.5) || !near(m.Recall("correct"), 0.5) || !near(m.Recall("refused"), 1) {
		t.Errorf("precision/recall: %v %v %v", m.Precision("wrong"), m.Recall("correct"), m.Recall("refused"))
	}
	want := "A \\ B    correct    wrong  refused\ncorrect        1        1        0\nwrong          0        1        0\nrefused        0        0        1\n"
	if got := m.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
	if _, err := NewMatrix("x"); err == nil {
		t.Error("one label accepted")
	}
	if _, err := NewMatrix("x", "x"); err == nil {
		t.Error("duplicate label accepted")
	}
	if _, err := Binary([]bool{true}, nil); err == nil {
		t.Error("length mismatch accepted")
	}
	empty, _ := NewMatrix("a", "b")
	if empty.Kappa() != 0 || empty.Observed() != 0 {
		t.Error("empty matrix")
	}
}
