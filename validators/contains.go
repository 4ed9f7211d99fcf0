package validators

import (
	"context"
	"fmt"
	"slices"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var containsSpec = spec.Spec{
	Name:    "contains",
	Summary: "The answer contains a gold answer (or all of them), as whole words after normalisation.",
	Description: `Both texts are normalised as SQuAD does (lower case unless case_sensitive,
ASCII punctuation and articles removed, white space collapsed); the answer contains a
gold answer when the gold answer's tokens appear in it as a contiguous run of whole
tokens ("cat" is not found in "category"). With mode any (the default) the answer is
correct when it contains at least one gold answer; with mode all the score is the share
of gold answers it contains: all of them is correct, some is partial, none is wrong.

Catches: gold "Bill Russell", answer "Bill Russell, with 11 NBA championships." ->
correct, where exact and normalized say wrong. Mode all, golds ["Manhattan", "Brooklyn"],
answer "Manhattan" -> 0.5, partial.`,
	Params: []spec.Param{
		{Name: "mode", Type: "string", Default: "any", Description: "any: one gold answer suffices; all: every gold answer must be contained"},
		{Name: "case_sensitive", Type: "bool", Default: "false", Description: "compare letter case too"},
	},
	Example: "{type: contains, mode: all}",
}

func containsEntry() Entry { return Entry{Spec: containsSpec, Role: Answer, New: newContains} }

func newContains(p *spec.Params, _ Deps) (Validator, error) {
	v := containsValidator{
		all:      p.OneOf("mode", "any", "any", "all") == "all",
		keepCase: p.Bool("case_sensitive", false),
	}
	return v, p.Err()
}

type containsValidator struct {
	all, keepCase bool
}

func (containsValidator) Name() string { return containsSpec.Name }

func (v containsValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	if len(s.References) == 0 {
		return noGold(containsSpec.Name), nil
	}
	found, first := containsCount(s.Answer, s.References, !v.keepCase)
	n := len(s.References)
	if !v.all {
		if found > 0 {
			return binary(containsSpec.Name, true, "contains the gold answer "+goldAt(s.References, first)), nil
		}
		return binary(containsSpec.Name, false, "contains none of the gold answers"), nil
	}
	score := float64(found) / float64(n)
	th := thresholds{Correct: 1, Partial: 1e-9}
	reason := fmt.Sprintf("contains %d of %d gold answers", found, n)
	return th.verdict(containsSpec.Name, score, reason), nil
}

// Contains reports whether answer contains gold as a contiguous run of whole
// tokens after SQuAD normalisation. A gold answer that normalises to nothing
// is contained only in an answer that does too.
func Contains(answer, gold string) bool {
	n, _ := containsCount(answer, []string{gold}, true)
	return n == 1
}

// containsCount counts the golds contained in answer and returns the index
// of the first one found (-1 when none).
func containsCount(answer string, golds []string, lower bool) (found, first int) {
	t := getTokenizer()
	defer putTokenizer(t)
	t.normalize(answer, lower)
	t.a = append(t.a[:0], t.hash()...)
	first = -1
	for i, g := range golds {
		t.normalize(g, lower)
		t.b = append(t.b[:0], t.hash()...)
		if containsRun(t.a, t.b) {
			found++
			if first < 0 {
				first = i
			}
		}
	}
	return found, first
}

// containsRun reports whether needle occurs as a contiguous run in hay.
func containsRun(hay, needle []uint64) bool {
	if len(needle) == 0 {
		return len(hay) == 0
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		if hay[i] == needle[0] && slices.Equal(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}
