package validators

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

// Parameter names shared by the answer validators.
const (
	paramCorrect   = "correct"
	paramPartial   = "partial"
	paramThreshold = "threshold"
)

// thresholds map a score in [0, 1] to a label: score >= Correct is correct,
// score >= Partial is partial, anything lower is wrong.
type thresholds struct {
	Correct, Partial float64
}

// thresholdParams documents the two thresholds with their defaults.
func thresholdParams(correct, partial float64) []spec.Param {
	return []spec.Param{
		{Name: paramCorrect, Type: "float", Default: ftoa(correct),
			Description: "a score at or above this is correct (alias: threshold)"},
		{Name: paramPartial, Type: "float", Default: ftoa(partial),
			Description: "a score at or above this (and below correct) is partial; set it equal to correct to have no partial"},
	}
}

// readThresholds reads correct (or its alias threshold) and partial, each in
// [0, 1], with partial <= correct.
func readThresholds(p *spec.Params, correct, partial float64) thresholds {
	th := thresholds{Correct: correct, Partial: partial}
	switch {
	case p.Has(paramCorrect) && p.Has(paramThreshold):
		p.Fail(paramThreshold, "is an alias of %s: give one of them", paramCorrect)
		p.Raw(paramThreshold)
		th.Correct = p.FloatIn(paramCorrect, correct, 0, 1)
	case p.Has(paramThreshold):
		th.Correct = p.FloatIn(paramThreshold, correct, 0, 1)
	default:
		th.Correct = p.FloatIn(paramCorrect, correct, 0, 1)
	}
	if !p.Has(paramPartial) && th.Correct < partial {
		// a lowered correct threshold pulls the default partial down with it
		th.Partial = th.Correct
	} else {
		th.Partial = p.FloatIn(paramPartial, partial, 0, 1)
	}
	if th.Partial > th.Correct {
		p.Fail(paramPartial, "must not be above %s (%g), got %g", paramCorrect, th.Correct, th.Partial)
	}
	return th
}

// label maps a score to correct, partial or wrong.
func (th thresholds) label(score float64) dataset.Label {
	switch {
	case score >= th.Correct:
		return dataset.Correct
	case score >= th.Partial:
		return dataset.Partial
	}
	return dataset.Wrong
}

// verdict builds an answer validator's verdict: Pass is true only when the
// label is correct.
func (th thresholds) verdict(name string, score float64, reason string) dataset.Verdict {
	l := th.label(score)
	return dataset.Verdict{Validator: name, Score: clamp01(score), Pass: l == dataset.Correct, Label: l, Reason: reason}
}

// noGold is the verdict of an answer validator on a sample without gold
// answers: no opinion.
func noGold(name string) dataset.Verdict {
	return dataset.Verdict{Validator: name, Score: 0, Pass: true, Reason: "no gold answer to compare with: no opinion"}
}

// binary is the verdict of a yes/no answer validator.
func binary(name string, ok bool, reason string) dataset.Verdict {
	if ok {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Label: dataset.Correct, Reason: reason}
	}
	return dataset.Verdict{Validator: name, Score: 0, Pass: false, Label: dataset.Wrong, Reason: reason}
}

func clamp01(f float64) float64 {
	switch {
	case f != f || f < 0: // NaN or negative
		return 0
	case f > 1:
		return 1
	}
	return f
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// quote shortens s for a reason string and quotes it.
func quote(s string) string {
	const max = 80
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// goldAt returns golds[i] quoted, for reasons.
func goldAt(golds []string, i int) string {
	if i < 0 || i >= len(golds) {
		return `""`
	}
	return quote(golds[i])
}

// scoreReason formats "<metric> 0.67 against <gold>".
func scoreReason(metric string, score float64, golds []string, at int) string {
	if len(golds) == 1 {
		return fmt.Sprintf("%s %.2f against the gold answer %s", metric, score, goldAt(golds, at))
	}
	return fmt.Sprintf("%s %.2f, best of %d gold answers (%s)", metric, score, len(golds), goldAt(golds, at))
}
