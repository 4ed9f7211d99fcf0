package validators

import (
	"context"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var normalizedSpec = spec.Spec{
	Name:    "normalized",
	Summary: "SQuAD exact match: equal to a gold answer after SQuAD normalisation.",
	Description: `Correct when the answer equals one of the gold answers after SQuAD's official
normalisation: lower case, ASCII punctuation removed, the articles a/an/the removed,
white space collapsed (see "Text normalisation" in docs/validators.md); wrong otherwise.

Catches: gold "the Eiffel Tower", answer "Eiffel tower." -> correct; answer
"The Eiffel Tower in Paris" -> wrong (use contains or f1 for longer answers).`,
	Example: "{type: normalized}",
}

func normalizedEntry() Entry {
	return Entry{Spec: normalizedSpec, Role: Answer, New: newNormalized}
}

func newNormalized(p *spec.Params, _ Deps) (Validator, error) {
	return normalizedValidator{}, p.Err()
}

type normalizedValidator struct{}

func (normalizedValidator) Name() string { return normalizedSpec.Name }

func (normalizedValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	if len(s.References) == 0 {
		return noGold(normalizedSpec.Name), nil
	}
	score, at := exactMatch(s.Answer, s.References)
	if score == 1 {
		return binary(normalizedSpec.Name, true, "equals the gold answer "+goldAt(s.References, at)+" after normalisation"), nil
	}
	return binary(normalizedSpec.Name, false, "differs from every gold answer after normalisation"), nil
}
