package validators

import (
	"context"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var f1Spec = spec.Spec{
	Name:    "f1",
	Summary: "SQuAD token F1 between the answer and the best gold answer.",
	Description: `The official SQuAD F1: both texts are normalised (lower case, ASCII punctuation
and the articles a/an/the removed), split into tokens, and F1 is the harmonic mean of
the share of answer tokens found in the gold answer (precision) and the share of gold
tokens found in the answer (recall), tokens counted with multiplicity. The score is the
best over the gold answers. A score at or above correct is correct, at or above partial
is partial, else wrong.

Catches: gold "Christopher Allen Lloyd", answer "Christopher Lloyd" -> F1 0.80, correct;
answer "Lloyd" -> 0.50, partial; answer "Michael J. Fox" -> 0, wrong. Long, verbose
answers score low on precision: prefer match or contains for chatty models.`,
	Params:  thresholdParams(0.8, 0.4),
	Example: "{type: f1, correct: 0.8, partial: 0.4}",
}

func f1Entry() Entry { return Entry{Spec: f1Spec, Role: Answer, New: newF1} }

func newF1(p *spec.Params, _ Deps) (Validator, error) {
	v := f1Validator{th: readThresholds(p, 0.8, 0.4)}
	return v, p.Err()
}

type f1Validator struct{ th thresholds }

func (f1Validator) Name() string { return f1Spec.Name }

func (v f1Validator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	if len(s.References) == 0 {
		return noGold(f1Spec.Name), nil
	}
	score, at := f1Best(s.Answer, s.References)
	return v.th.verdict(f1Spec.Name, score, scoreReason("F1", score, s.References, at)), nil
}
