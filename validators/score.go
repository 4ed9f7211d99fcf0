package validators

import "slices"

// The SQuAD metrics, as functions others can call directly. Each takes the
// best score over the gold answers, as the official script does
// (metric_max_over_ground_truths), and follows evaluate-v2.0.py where the
// two official versions differ: gold answers that normalise to nothing are
// ignored unless all of them do, and when the prediction or the gold answer
// is empty after normalisation the score is 1 if both are, else 0
// (evaluate-v1.1.py scores an empty pair 0). With no gold answers at all the
// score is 0.

// ExactMatch returns SQuAD's exact-match score (0 or 1) of pred against golds.
func ExactMatch(pred string, golds []string) float64 {
	s, _ := exactMatch(pred, golds)
	return s
}

func exactMatch(pred string, golds []string) (best float64, at int) {
	t := getTokenizer()
	defer putTokenizer(t)
	t.a = t.squadHashes(pred, t.a)
	at = -1
	t.eachGold(golds, func(i int, g []uint64) bool {
		if at < 0 {
			at = i
		}
		if slices.Equal(t.a, g) {
			best, at = 1, i
			return false
		}
		return true
	})
	return best, at
}

// F1 returns SQuAD's token F1 of pred against the best of golds: the harmonic
// mean of token precision and recall, tokens counted with multiplicity.
func F1(pred string, golds []string) float64 {
	s, _ := f1Best(pred, golds)
	return s
}

// f1Best returns the best F1 and the index of the gold answer that gave it
// (-1 when there is none).
func f1Best(pred string, golds []string) (best float64, at int) {
	t := getTokenizer()
	defer putTokenizer(t)
	t.a = t.squadHashes(pred, t.a)
	slices.Sort(t.a)
	at = -1
	t.eachGold(golds, func(i int, g []uint64) bool {
		slices.Sort(g)
		if f := f1Sorted(t.a, g); f > best || at < 0 {
			best, at = f, i
		}
		return best < 1
	})
	return best, at
}

// RougeL returns the ROUGE-L F-measure of pred against the best of golds,
// over SQuAD-normalised tokens: with l the length of the longest common
// subsequence, P = l/len(pred), R = l/len(gold) and
// F = (1+β²)PR / (R + β²P). β = 1 weighs precision and recall equally.
func RougeL(pred string, golds []string, beta float64) float64 {
	s, _ := rougeLBest(pred, golds, beta)
	return s
}

func rougeLBest(pred string, golds []string, beta float64) (best float64, at int) {
	t := getTokenizer()
	defer putTokenizer(t)
	t.a = t.squadHashes(pred, t.a)
	at = -1
	t.eachGold(golds, func(i int, g []uint64) bool {
		if f := t.rougeL(t.a, g, beta); f > best || at < 0 {
			best, at = f, i
		}
		return best < 1
	})
	return best, at
}

// eachGold calls fn with the token hashes of each gold answer (in t.b, reused
// between calls), skipping golds that normalise to nothing unless all do;
// fn returns false to stop.
func (t *tokenizer) eachGold(golds []string, fn func(i int, g []uint64) bool) {
	nonEmpty := 0
	for i, g := range golds {
		t.b = t.squadHashes(g, t.b)
		if len(t.b) == 0 {
			continue
		}
		nonEmpty++
		if !fn(i, t.b) {
			return
		}
	}
	if nonEmpty == 0 && len(golds) > 0 {
		fn(0, t.b[:0])
	}
}

// f1Sorted is SQuAD's F1 over two sorted token-hash multisets.
func f1Sorted(p, g []uint64) float64 {
	if len(p) == 0 || len(g) == 0 {
		if len(p) == len(g) {
			return 1
		}
		return 0
	}
	same := commonSorted(p, g)
	if same == 0 {
		return 0
	}
	prec := float64(same) / float64(len(p))
	rec := float64(same) / float64(len(g))
	return 2 * prec * rec / (prec + rec)
}

// commonSorted counts the multiset intersection of two sorted slices.
func commonSorted(p, g []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(p) && j < len(g) {
		switch {
		case p[i] == g[j]:
			n++
			i++
			j++
		case p[i] < g[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// rougeL is the ROUGE-L F-measure of two token sequences.
func (t *tokenizer) rougeL(p, g []uint64, beta float64) float64 {
	if len(p) == 0 || len(g) == 0 {
		if len(p) == len(g) {
			return 1
		}
		return 0
	}
	l := t.lcs(p, g)
	if l == 0 {
		return 0
	}
	prec := float64(l) / float64(len(p))
	rec := float64(l) / float64(len(g))
	b2 := beta * beta
	return (1 + b2) * prec * rec / (rec + b2*prec)
}

// lcs returns the length of the longest common subsequence of p and g, in
// O(len(p)·len(g)) time and O(len(g)) space.
func (t *tokenizer) lcs(p, g []uint64) int {
	if cap(t.row) < len(g)+1 {
		t.row = make([]int32, len(g)+1)
	}
	row := t.row[:len(g)+1]
	clear(row)
	for _, x := range p {
		var diag int32 // row[j-1] of the previous line
		for j, y := range g {
			up := row[j+1]
			if x == y {
				row[j+1] = diag + 1
			} else if row[j] > up {
				row[j+1] = row[j]
			}
			diag = up
		}
	}
	return int(row[len(g)])
}
