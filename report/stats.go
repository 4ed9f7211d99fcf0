package report

import (
	"math"
	"math/big"
)

// z95 is the two-sided 95% quantile of the standard normal distribution.
const z95 = 1.959963984540054

// Alpha is the significance level used for verdicts: a McNemar p-value
// below it counts as evidence of a difference.
const Alpha = 0.05

// Interval is a confidence interval for a proportion, both ends in [0, 1].
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Wilson returns the 95% Wilson score interval for k successes out of n
// trials:
//
//	centre = (p + z²/2n) / (1 + z²/n)
//	half   = z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
//
// with p = k/n and z = 1.96. Unlike the normal ("Wald") interval it stays
// inside [0, 1] and is not empty at 0/n or n/n. With n = 0 there is no
// information and the interval is [0, 1].
func Wilson(k, n int) Interval {
	if n <= 0 {
		return Interval{0, 1}
	}
	if k < 0 {
		k = 0
	}
	if k > n {
		k = n
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z95 * z95
	den := 1 + z2/nf
	centre := (p + z2/(2*nf)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{Low: centre - half, High: centre + half}
	// The exact ends are 0 at k = 0 and 1 at k = n; keep rounding from
	// moving them.
	if k == 0 || iv.Low < 0 {
		iv.Low = 0
	}
	if k == n || iv.High > 1 {
		iv.High = 1
	}
	return iv
}

// McNemar is the exact McNemar test on paired outcomes: of the items whose
// correctness changed between two runs, Fixed became correct and Regressed
// stopped being correct. Under the null hypothesis (the runs are equally
// good) each such item is equally likely to go either way, so
// Fixed ~ Binomial(Fixed+Regressed, 1/2), and the two-sided p-value is
//
//	p = min(1, 2 · P(X ≤ min(Fixed, Regressed)))
//
// (p = 1 when no item changed). Items whose correctness did not change
// carry no information about the difference and do not enter the test.
type McNemar struct {
	// Fixed is the number of pairs not correct in A and correct in B (b).
	Fixed int `json:"fixed"`
	// Regressed is the number of pairs correct in A and not correct in B (c).
	Regressed int `json:"regressed"`
	// P is the two-sided exact p-value.
	P float64 `json:"p_value"`
	// Significant reports P < [Alpha].
	Significant bool `json:"significant"`
}

// McNemarTest runs the exact McNemar test for b fixed and c regressed pairs.
func McNemarTest(b, c int) McNemar {
	p := mcnemarP(b, c)
	return McNemar{Fixed: b, Regressed: c, P: p, Significant: p < Alpha}
}

// mcnemarP is the two-sided exact binomial p-value of McNemar's test.
func mcnemarP(b, c int) float64 {
	if b < 0 {
		b = 0
	}
	if c < 0 {
		c = 0
	}
	n := b + c
	if n == 0 {
		return 1
	}
	p := 2 * binomCDFHalf(min(b, c), n)
	if p > 1 {
		p = 1
	}
	return p
}

// exactBinomMax is the largest n for which [binomCDFHalf] sums exactly.
const exactBinomMax = 2000

// binomCDFHalf returns P(X ≤ k) for X ~ Binomial(n, 1/2). Up to
// [exactBinomMax] trials the sum is exact (integers, then one rounding);
// above, terms are summed in log space, so large n neither overflows nor
// underflows to zero early.
func binomCDFHalf(k, n int) float64 {
	if k < 0 {
		return 0
	}
	if k >= n {
		return 1
	}
	if n <= exactBinomMax {
		sum := new(big.Int)
		c := big.NewInt(1) // C(n, 0)
		for i := 0; i <= k; i++ {
			if i > 0 { // C(n, i) = C(n, i-1) · (n-i+1) / i
				c.Mul(c, big.NewInt(int64(n-i+1)))
				c.Quo(c, big.NewInt(int64(i)))
			}
			sum.Add(sum, c)
		}
		f, _ := new(big.Rat).SetFrac(sum, new(big.Int).Lsh(big.NewInt(1), uint(n))).Float64()
		return f
	}
	return binomCDFHalfLog(k, n)
}

// binomCDFHalfLog is [binomCDFHalf] summed in log space.
func binomCDFHalfLog(k, n int) float64 {
	lgN1, _ := math.Lgamma(float64(n + 1))
	ln2n := float64(n) * math.Ln2
	// Terms grow with i up to n/2, and k ≤ n/2 here in practice; sum from
	// the largest term down to keep precision.
	sum := 0.0
	for i := k; i >= 0; i-- {
		lgI, _ := math.Lgamma(float64(i + 1))
		lgNI, _ := math.Lgamma(float64(n - i + 1))
		t := math.Exp(lgN1 - lgI - lgNI - ln2n)
		sum += t
		if t < sum*1e-17 {
			break
		}
	}
	if sum > 1 {
		sum = 1
	}
	return sum
}
