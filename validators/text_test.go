package validators

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// squadCase is one line of testdata/squad_cases.jsonl, written by the
// official SQuAD evaluation code (testdata/squad_cases.py).
type squadCase struct {
	Pred      string   `json:"pred"`
	Golds     []string `json:"golds"`
	NormPred  string   `json:"norm_pred"`
	NormGolds []string `json:"norm_golds"`
	EM        float64  `json:"em"`
	F1        float64  `json:"f1"`
}

func loadSQuADCases(t *testing.T) []squadCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "squad_cases.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []squadCase
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var c squadCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("squad_cases.jsonl:%d: %v", line, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSQuADOfficial checks Normalize, ExactMatch and F1 against the output
// of SQuAD's official evaluate-v2.0.py on hand-written and random inputs.
func TestSQuADOfficial(t *testing.T) {
	cases := loadSQuADCases(t)
	if len(cases) < 400 {
		t.Fatalf("only %d cases", len(cases))
	}
	for i, c := range cases {
		if got := Normalize(c.Pred); got != c.NormPred {
			t.Errorf("case %d: Normalize(%q) = %q, want %q", i+1, c.Pred, got, c.NormPred)
		}
		for j, g := range c.Golds {
			if got := Normalize(g); got != c.NormGolds[j] {
				t.Errorf("case %d: Normalize(%q) = %q, want %q", i+1, g, got, c.NormGolds[j])
			}
		}
		if got := ExactMatch(c.Pred, c.Golds); got != c.EM {
			t.Errorf("case %d: ExactMatch(%q, %q) = %v, want %v", i+1, c.Pred, c.Golds, got, c.EM)
		}
		if got := F1(c.Pred, c.Golds); math.Abs(got-c.F1) > 1e-12 {
			t.Errorf("case %d: F1(%q, %q) = %v, want %v", i+1, c.Pred, c.Golds, got, c.F1)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"articles and punctuation", "The Eiffel Tower!", "eiffel tower"},
		{"articles only as words", "theatre an anthem a", "theatre anthem"},
		{"ASCII punctuation joins", "rock-n-roll, U.S.A.", "rocknroll usa"},
		{"unicode punctuation kept", "don’t “stop” — now", "don’t “stop” — now"},
		{"unicode letters kept", "Café ÜNÏCODE", "café ünïcode"},
		{"unicode word boundary", "éa an", "éa"},
		{"article between unicode punctuation", "«the» end", "« » end"},
		{"CJK", "北京 the 東京", "北京 東京"},
		{"CJK glued article", "北京the", "北京the"},
		{"unicode spaces", "a\u00a0b\u2003the\u3000c", "b c"},
		{"python whitespace x1c", "x\x1cy", "x y"},
		{"final sigma", "ΟΔΟΣ ΣΑ", "οδος σα"},
		{"dotted capital I", "İ", "i\u0307"},
		{"empty", "", ""},
		{"only articles", "A the An", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got, want := Tokens(tt.in), strings.Fields(tt.want); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

func TestF1AndExactMatch(t *testing.T) {
	tests := []struct {
		name   string
		pred   string
		golds  []string
		em, f1 float64
	}{
		{"exact after normalisation", "The Eiffel Tower.", []string{"eiffel tower"}, 1, 1},
		{"partial overlap", "Christopher Lloyd", []string{"Christopher Allen Lloyd"}, 0, 0.8},
		{"max over golds", "Doc Brown", []string{"Christopher Allen Lloyd", "doc brown"}, 1, 1},
		{"multiplicity", "x b b", []string{"b c"}, 0, 0.4},
		{"no overlap", "Paris", []string{"London"}, 0, 0},
		{"punctuation only differs", "rock-n-roll", []string{"rocknroll"}, 1, 1},
		{"unicode punctuation differs", "don’t", []string{"dont"}, 0, 0},
		{"accent differs", "café", []string{"cafe"}, 0, 0},
		{"both empty", "the", []string{"a"}, 1, 1},
		{"empty gold dropped", "", []string{"the", "Paris"}, 0, 0},
		{"no golds", "Paris", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExactMatch(tt.pred, tt.golds); got != tt.em {
				t.Errorf("ExactMatch = %v, want %v", got, tt.em)
			}
			if got := F1(tt.pred, tt.golds); math.Abs(got-tt.f1) > 1e-12 {
				t.Errorf("F1 = %v, want %v", got, tt.f1)
			}
		})
	}
}

func TestRougeL(t *testing.T) {
	tests := []struct {
		name  string
		pred  string
		golds []string
		beta  float64
		want  float64
	}{
		{"identical", "open Settings then tap Delete", []string{"open settings then tap delete"}, 1, 1},
		{"reordered", "tap Delete account then open Settings", []string{"open Settings then tap Delete account"}, 1, 0.5},
		{"subsequence", "open the Settings page", []string{"open Settings"}, 1, 0.8},
		{"recall weighted", "open the Settings page", []string{"open Settings"}, 2, 5 * (2.0 / 3) * 1 / (1 + 4*(2.0/3))},
		{"best gold", "b", []string{"a", "b"}, 1, 1},
		{"disjoint", "x y", []string{"a b"}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RougeL(tt.pred, tt.golds, tt.beta); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("RougeL = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLCS(t *testing.T) {
	tok := &tokenizer{}
	tests := []struct {
		a, b []uint64
		want int
	}{
		{[]uint64{1, 2, 3, 4}, []uint64{1, 3, 4}, 3},
		{[]uint64{1, 2, 3}, []uint64{3, 2, 1}, 1},
		{[]uint64{1, 2, 1, 2}, []uint64{2, 1, 2, 1}, 3},
		{nil, []uint64{1}, 0},
	}
	for _, tt := range tests {
		if got := tok.lcs(tt.a, tt.b); got != tt.want {
			t.Errorf("lcs(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "The Eiffel Tower!", "«the» end", "ΟΔΟΣ ΣΑ", "İ", "北京the", "a\u00a0the", "\xff\xfe the"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, again)
		}
		if folded := Fold(s); Fold(folded) != folded {
			t.Fatalf("Fold not idempotent on %q", s)
		}
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if got := strings.Join(Tokens(s), " "); got != n {
			t.Fatalf("Tokens and Normalize disagree on %q: %q vs %q", s, got, n)
		}
		if f1 := F1(s, []string{s}); f1 != 1 {
			t.Fatalf("F1(s, [s]) = %v for %q", f1, s)
		}
		if r := RougeL(s, []string{s}, 1); r != 1 {
			t.Fatalf("RougeL(s, [s]) = %v for %q", r, s)
		}
		if em := ExactMatch(s, []string{s}); em != 1 {
			t.Fatalf("ExactMatch(s, [s]) = %v for %q", em, s)
		}
	})
}
