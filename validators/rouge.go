package validators

import (
	"context"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var rougeLSpec = spec.Spec{
	Name:    "rouge_l",
	Summary: "ROUGE-L: longest-common-subsequence F-measure between the answer and the best gold answer.",
	Description: `Both texts are normalised as SQuAD does and split into tokens; with l the length
of their longest common subsequence (tokens in the same order, gaps allowed),
precision is l over the answer's length, recall l over the gold answer's, and the
score is the F-measure (1+β²)PR/(R+β²P), best over the gold answers. Unlike F1 it
rewards keeping the gold answer's word order. Thresholds map the score to a label.

Catches: gold "open Settings then tap Delete account", answer "Tap Delete account,
then open Settings." -> F1 1.0 but ROUGE-L 0.50 (partial): the steps are in the wrong order.`,
	Params: append(thresholdParams(0.8, 0.4), spec.Param{
		Name: "beta", Type: "float", Default: "1",
		Description: "weight of recall against precision (β > 1 favours recall); between 0.1 and 10",
	}),
	Example: "{type: rouge_l, correct: 0.8, partial: 0.4}",
}

func rougeLEntry() Entry {
	return Entry{Spec: rougeLSpec, Role: Answer, New: newRougeL, Aliases: []string{"rouge"}}
}

func newRougeL(p *spec.Params, _ Deps) (Validator, error) {
	v := rougeLValidator{th: readThresholds(p, 0.8, 0.4), beta: p.FloatIn("beta", 1, 0.1, 10)}
	return v, p.Err()
}

type rougeLValidator struct {
	th   thresholds
	beta float64
}

func (rougeLValidator) Name() string { return rougeLSpec.Name }

func (v rougeLValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	if len(s.References) == 0 {
		return noGold(rougeLSpec.Name), nil
	}
	score, at := rougeLBest(s.Answer, s.References, v.beta)
	return v.th.verdict(rougeLSpec.Name, score, scoreReason("ROUGE-L", score, s.References, at)), nil
}
