package report

import (
	"fmt"
	"math"
	"testing"
)

// The expected values below were computed independently of this package:
// Wilson with the closed formula in plain Python (z = 1.959963984540054),
// McNemar exactly with Python's fractions and math.comb:
// p = min(1, 2·Σ_{i≤min(b,c)} C(b+c, i) / 2^(b+c)).

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		k, n      int
		low, high float64
	}{
		{5, 20, 0.11186170140766569, 0.468700877618744},
		{15, 20, 0.531299122381256, 0.8881382985923343},
		{0, 20, 0, 0.16112515805281938},
		{20, 20, 0.8388748419471806, 1},
		{1, 1, 0.20654931437723745, 1},
		{50, 100, 0.4038315303659956, 0.5961684696340044},
		{0, 0, 0, 1}, // no items: no information
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.k, tc.n), func(t *testing.T) {
			got := Wilson(tc.k, tc.n)
			if math.Abs(got.Low-tc.low) > 1e-12 || math.Abs(got.High-tc.high) > 1e-12 {
				t.Errorf("Wilson(%d, %d) = [%.15f, %.15f], want [%.15f, %.15f]", tc.k, tc.n, got.Low, got.High, tc.low, tc.high)
			}
			p := 0.0
			if tc.n > 0 {
				p = float64(tc.k) / float64(tc.n)
			}
			if got.Low > p || got.High < p || got.Low < 0 || got.High > 1 {
				t.Errorf("interval [%v, %v] does not hold p=%v inside [0, 1]", got.Low, got.High, p)
			}
		})
	}
}

func TestWilsonSymmetry(t *testing.T) {
	for n := 1; n <= 60; n++ {
		for k := 0; k <= n; k++ {
			a, b := Wilson(k, n), Wilson(n-k, n)
			if math.Abs(a.Low-(1-b.High)) > 1e-12 || math.Abs(a.High-(1-b.Low)) > 1e-12 {
				t.Fatalf("Wilson(%d,%d) = %v is not the mirror of Wilson(%d,%d) = %v", k, n, a, n-k, n, b)
			}
		}
	}
}

func TestMcNemar(t *testing.T) {
	for _, tc := range []struct {
		b, c int
		p    float64
		sig  bool
	}{
		{0, 0, 1, false},
		{3, 0, 0.25, false},          // 2 · 1/8
		{10, 2, 0.03857421875, true}, // 2 · 79/4096
		{2, 10, 0.03857421875, true}, // symmetric
		{6, 6, 1, false},             // 2 · 2510/4096 > 1
		{4, 1, 0.375, false},         // 2 · 6/32
		{1, 0, 1, false},             // one discordant pair can never be significant
		{25, 10, 0.01667384780012071, true},
		{100, 70, 0.02584438758134169, true},
		{1100, 1000, 0.030720707864242296, true}, // exact sum, n = 2100 > exactBinomMax: log-space path
		{1500, 1400, 0.06598734966518381, false},
		{2600, 2400, 0.004883649737517518, true},
	} {
		t.Run(fmt.Sprintf("b=%d,c=%d", tc.b, tc.c), func(t *testing.T) {
			m := McNemarTest(tc.b, tc.c)
			if rel := math.Abs(m.P-tc.p) / tc.p; rel > 1e-9 {
				t.Errorf("p = %.17g, want %.17g (relative error %.2g)", m.P, tc.p, rel)
			}
			if m.Significant != tc.sig {
				t.Errorf("significant = %v, want %v", m.Significant, tc.sig)
			}
			if m.Fixed != tc.b || m.Regressed != tc.c {
				t.Errorf("counts = %d/%d", m.Fixed, m.Regressed)
			}
		})
	}
}

func TestMcNemarExtremes(t *testing.T) {
	// 2·2^-3000 underflows: the p-value is 0, not NaN.
	if p := McNemarTest(3000, 0).P; p != 0 || math.IsNaN(p) {
		t.Errorf("p(3000, 0) = %v, want 0", p)
	}
	if p := McNemarTest(-1, 0).P; p != 1 {
		t.Errorf("negative counts: p = %v, want 1", p)
	}
	// The exact and the log-space paths agree where they meet.
	for _, k := range []int{900, 950, 990, 1000} {
		exact := binomCDFHalf(k, exactBinomMax)
		lgamma := binomCDFHalfLog(k, exactBinomMax)
		if math.Abs(exact-lgamma)/exact > 1e-10 {
			t.Errorf("P(X≤%d), n=%d: exact %.17g, log-space %.17g", k, exactBinomMax, exact, lgamma)
		}
	}
}

func TestFormatP(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		want string
	}{
		{1, "1"}, {0.999, "0.99"}, {0.375, "0.38"}, {0.1, "0.10"}, {0.0386, "0.039"}, {0.004, "0.004"},
		{0.0004, "<0.001"}, {0.04996, "0.0499"}, {0.0501, "0.050"}, {0, "<0.001"},
	} {
		if got := FormatP(tc.p); got != tc.want {
			t.Errorf("FormatP(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func BenchmarkMcNemar(b *testing.B) {
	b.ReportAllocs()
	for _, n := range []int{20, 200, 1990, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				McNemarTest(n/2+n/10, n/2-n/10)
			}
		})
	}
}
