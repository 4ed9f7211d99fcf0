package validators

import (
	"context"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
)

var answerableSpec = spec.Spec{
	Name:    "answerable",
	Summary: "Data check (LLM): the question can be answered completely from the sample's help-doc chunks.",
	Description: `Asks the judge model whether the sample's question can be answered fully and only from
its help-doc chunks (Sample.Contexts), in JSON mode: {"reasoning": "...", "answerable": true or
false}. A generated question that asks for something the docs do not say teaches the model to
make things up, however good the generated answer sounds; this catches it before grounded
looks at the answer.

A reply that is not such JSON is shown to the judge with the problem and asked again
(retries); after that the validator fails with an error (the sample is rejected as an error,
never silently kept). A sample without chunks is not answerable.

Needs a judge model: generate.judge, or eval.judge.

Catches: "Can I pay with Bitcoin?" generated from the payment-methods section, which lists
only cards and PayPal.`,
	Params: []spec.Param{
		{Name: "retries", Type: "int", Default: "2", Description: "how many times a reply that is not the expected JSON is asked again (0..10)"},
		{Name: "partial", Type: "bool", Default: "false", Description: "accept questions the chunks answer only in part"},
	},
	Needs:   []string{"judge"},
	Example: "{type: answerable, retries: 2}",
}

func answerableEntry() Entry { return Entry{Spec: answerableSpec, Role: Data, New: newAnswerable} }

func newAnswerable(p *spec.Params, deps Deps) (Validator, error) {
	v := &answerableValidator{
		retries: p.IntIn("retries", 2, 0, 10),
		partial: p.Bool("partial", false),
		judge:   deps.Judge,
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if deps.Judge == nil {
		return nil, spec.Errorf(spec.Join(p.Path(), "type"), "answerable needs a judge model: set generate.judge (or eval.judge) to one of the models")
	}
	return v, nil
}

type answerableValidator struct {
	retries int
	partial bool
	judge   llm.Model
}

func (*answerableValidator) Name() string { return answerableSpec.Name }

func (v *answerableValidator) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := answerableSpec.Name
	if len(s.Contexts) == 0 {
		return dataset.Verdict{Validator: name, Score: 0, Pass: false, Reason: "not answerable: the sample has no help-doc chunks"}, nil
	}
	var b strings.Builder
	b.WriteString("Help-centre excerpts:\n\n")
	for i, c := range s.Contexts {
		fmt.Fprintf(&b, "[%d] %s", i+1, c.Doc)
		if c.Heading != "" {
			fmt.Fprintf(&b, " — %s", c.Heading)
		}
		fmt.Fprintf(&b, "\n%s\n\n", strings.TrimSpace(c.Text))
	}
	fmt.Fprintf(&b, "Customer question: %s\n\n", strings.TrimSpace(s.Question))
	b.WriteString("Can this question be answered completely using only the excerpts above — every detail it asks for stated in them, nothing to guess or look up elsewhere? ")
	if v.partial {
		b.WriteString("Count it as answerable when the excerpts answer its main point. ")
	}
	b.WriteString(`Think it through first, then answer with only a JSON object: {"reasoning": "<your reasoning>", "answerable": true or false}`)
	var ok bool
	var reasoning string
	_, err := askJSON(ctx, v.judge, b.String(), v.retries, `{"reasoning": "...", "answerable": true or false}`,
		func(obj map[string]any) error {
			switch a := obj["answerable"].(type) {
			case bool:
				ok = a
			case string:
				switch strings.ToLower(strings.TrimSpace(a)) {
				case "true", "yes":
					ok = true
				case "false", "no":
					ok = false
				default:
					return fmt.Errorf(`"answerable" must be true or false`)
				}
			default:
				return fmt.Errorf(`"answerable" must be true or false`)
			}
			reasoning, _ = obj["reasoning"].(string)
			return nil
		})
	if err != nil {
		return dataset.Verdict{}, fmt.Errorf("answerable: %w", err)
	}
	if !ok {
		return dataset.Verdict{Validator: name, Score: 0, Pass: false, Reason: "not answerable from its chunks: " + shorten(reasoning, 200)}, nil
	}
	return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "answerable from its chunks: " + shorten(reasoning, 200)}, nil
}
