package validators

import (
	"context"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var exactSpec = spec.Spec{
	Name:    "exact",
	Summary: "The answer equals a gold answer exactly, after trimming surrounding white space.",
	Description: `Correct when the answer, with leading and trailing white space removed, is
byte-for-byte equal to one of the gold answers (also trimmed); wrong otherwise. Case,
punctuation and inner spacing all count, so it suits answers with one canonical form:
an order status code, a plan name, a yes/no.

Catches: gold "Pro", answer "Pro plan" -> wrong; answer " Pro\n" -> correct.`,
	Example: "{type: exact}",
}

func exactEntry() Entry { return Entry{Spec: exactSpec, Role: Answer, New: newExact} }

func newExact(p *spec.Params, _ Deps) (Validator, error) {
	return exactValidator{}, p.Err()
}

type exactValidator struct{}

func (exactValidator) Name() string { return exactSpec.Name }

func (exactValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	if len(s.References) == 0 {
		return noGold(exactSpec.Name), nil
	}
	a := strings.TrimSpace(s.Answer)
	for _, g := range s.References {
		if a == strings.TrimSpace(g) {
			return binary(exactSpec.Name, true, "equals the gold answer "+quote(g)), nil
		}
	}
	return binary(exactSpec.Name, false, "differs from every gold answer ("+quote(s.References[0])+"…)"), nil
}
