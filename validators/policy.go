package validators

import (
	"context"
	"errors"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

// Combine says how the labels of several answer validators combine into one.
type Combine string

// The ways answer labels combine. Labels rank correct > partial > wrong >
// hallucinated > refused (the order of [dataset.Labels]).
const (
	// CombineBest takes the best label any answer validator gives: the
	// answer is as good as its most lenient fair reading (the default).
	CombineBest Combine = "best"
	// CombineWorst takes the worst label: every answer validator must agree.
	CombineWorst Combine = "worst"
	// CombineMajority takes the most common label; a tie goes to the worse
	// of the tied labels.
	CombineMajority Combine = "majority"
)

// Policy turns the verdicts on one sample into its label. The rules, in order:
//
//  1. Error first: if any validator failed (returned an error, or gave the
//     label error), the label is error. A sample that could not be graded is
//     never counted as wrong.
//  2. Check labels: a check validator's label (refused, hallucinated, wrong,
//     ...) is imposed when it is listed in Precedence; when several are,
//     the one listed first wins. A check label not listed is reported in
//     the verdicts but does not change the label.
//  3. Answer labels: otherwise the labels of the answer validators combine
//     as Combine says (best, worst or majority).
//  4. No opinion: when no validator gives a label (no gold answers, nothing
//     to check), the label is correct if every validator passed, else wrong.
//
// Data validators never give a label; they take part only through rules 1
// and 4.
type Policy struct {
	// Precedence lists the labels check validators can impose, strongest
	// first. error, when listed, must come first (rule 1 holds regardless).
	Precedence []dataset.Label
	// Combine says how answer labels combine.
	Combine Combine
}

// DefaultPolicy is error > refused > hallucinated > wrong > the best answer label.
func DefaultPolicy() Policy {
	return Policy{
		Precedence: []dataset.Label{dataset.Error, dataset.Refused, dataset.Hallucinated, dataset.Wrong},
		Combine:    CombineBest,
	}
}

// PolicySpec documents the `eval.policy` config section.
var PolicySpec = spec.Spec{
	Name:    "policy",
	Summary: "How the verdicts on an item become its label.",
	Description: `error first (a validator or the model failed: never counted as wrong); then the
labels check validators impose, in precedence order; then the answer validators' labels,
combined. With the defaults, an answer that says "Sorry, I don't understand" when a gold
answer exists is refused even if it happens to share words with the gold answer, and an
answer that matches the gold answer but invents a link is hallucinated.`,
	Params: []spec.Param{
		{Name: "precedence", Type: "[]string", Default: "[error, refused, hallucinated, wrong]",
			Description: "labels check validators can impose, strongest first (any label but correct)"},
		{Name: "combine", Type: "string", Default: "best",
			Description: "how answer validators' labels combine: best, worst or majority"},
	},
	Example: "policy: {precedence: [error, refused, hallucinated], combine: best}",
}

// DecodePolicy reads a policy from config (the `eval.policy` section);
// missing keys take their defaults and errors name their key path.
func DecodePolicy(p *spec.Params) (Policy, error) {
	pol := DefaultPolicy()
	var errs []error
	if p.Optional("precedence") {
		raw := p.Strings("precedence", nil)
		pol.Precedence = make([]dataset.Label, 0, len(raw))
		seen := map[dataset.Label]bool{}
		path := spec.Join(p.Path(), "precedence")
		for i, s := range raw {
			at := spec.Index(path, i)
			l, err := dataset.ParseLabel(s)
			switch {
			case err != nil:
				errs = append(errs, spec.Errorf(at, "%v", err))
			case l == dataset.Correct:
				errs = append(errs, spec.Errorf(at, "correct cannot be imposed by a check: list only faults"))
			case seen[l]:
				errs = append(errs, spec.Errorf(at, "%s listed twice", l))
			case l == dataset.Error && i != 0:
				errs = append(errs, spec.Errorf(at, "error must come first: a sample a validator could not grade is always error"))
			default:
				seen[l] = true
				pol.Precedence = append(pol.Precedence, l)
			}
		}
	}
	pol.Combine = Combine(p.OneOf("combine", string(CombineBest), string(CombineBest), string(CombineWorst), string(CombineMajority)))
	if err := p.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Policy{}, errors.Join(errs...)
	}
	return pol, nil
}

// Outcome is one validator's result on a sample, as the policy sees it.
type Outcome struct {
	// Role is the validator's role.
	Role Role
	// Verdict is what the validator said; for a failed validator it is
	// labelled error and its reason is the error message.
	Verdict dataset.Verdict
	// Err is the validator's error, if it failed.
	Err error
}

// Run grades s with every validator in order. A validator that fails gives
// an [Outcome] labelled error (rule 1 of [Policy]); only cancellation of ctx
// stops the run, returning ctx's error, so an interrupted item is retried
// rather than recorded.
func Run(ctx context.Context, vs []Built, s *dataset.Sample) ([]Outcome, error) {
	out := make([]Outcome, 0, len(vs))
	for _, v := range vs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		verdict, err := v.Validate(ctx, s)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			verdict = dataset.Verdict{Validator: v.Name(), Label: dataset.Error, Reason: err.Error()}
		}
		if verdict.Validator == "" {
			verdict.Validator = v.Name()
		}
		verdict.Score = clamp01(verdict.Score)
		out = append(out, Outcome{Role: v.Role, Verdict: verdict, Err: err})
	}
	return out, nil
}

// Verdicts returns the verdicts of outs, in order.
func Verdicts(outs []Outcome) []dataset.Verdict {
	vs := make([]dataset.Verdict, len(outs))
	for i, o := range outs {
		vs[i] = o.Verdict
	}
	return vs
}

// Decision is a sample's label and why.
type Decision struct {
	Label dataset.Label
	// Reason names the validators that decided and what they said.
	Reason string
}

// Decide applies the policy's rules (see [Policy]) to the outcomes of one sample.
func (p Policy) Decide(outs []Outcome) Decision {
	// Rule 1: error.
	var errs []string
	for _, o := range outs {
		switch {
		case o.Err != nil:
			errs = append(errs, o.Verdict.Validator+": "+o.Err.Error())
		case o.Verdict.Label == dataset.Error:
			errs = append(errs, o.Verdict.Validator+": "+o.Verdict.Reason)
		}
	}
	if len(errs) > 0 {
		return Decision{Label: dataset.Error, Reason: strings.Join(errs, "; ")}
	}
	// Rule 2: check labels in precedence order.
	for _, l := range p.Precedence {
		var why []string
		for _, o := range outs {
			if o.Role == Check && o.Verdict.Label == l {
				why = append(why, o.Verdict.Validator+": "+o.Verdict.Reason)
			}
		}
		if len(why) > 0 {
			return Decision{Label: l, Reason: strings.Join(why, "; ")}
		}
	}
	// Rule 3: answer labels.
	var answers []Outcome
	for _, o := range outs {
		if o.Role == Answer && o.Verdict.Label != "" {
			answers = append(answers, o)
		}
	}
	if len(answers) > 0 {
		return p.combine(answers)
	}
	// Rule 4: no opinion.
	for _, o := range outs {
		if !o.Verdict.Pass {
			return Decision{Label: dataset.Wrong, Reason: o.Verdict.Validator + " failed: " + o.Verdict.Reason}
		}
	}
	return Decision{Label: dataset.Correct, Reason: "no validator found a fault"}
}

// rank orders labels from best (0) to worst.
func rank(l dataset.Label) int {
	for i, k := range dataset.Labels {
		if k == l {
			return i
		}
	}
	return len(dataset.Labels)
}

func (p Policy) combine(answers []Outcome) Decision {
	pick := func(l dataset.Label) Decision {
		var why []string
		for _, o := range answers {
			if o.Verdict.Label == l {
				why = append(why, o.Verdict.Validator+": "+o.Verdict.Reason)
			}
		}
		return Decision{Label: l, Reason: strings.Join(why, "; ")}
	}
	switch p.Combine {
	case CombineWorst:
		worst := answers[0].Verdict.Label
		for _, o := range answers[1:] {
			if rank(o.Verdict.Label) > rank(worst) {
				worst = o.Verdict.Label
			}
		}
		return pick(worst)
	case CombineMajority:
		counts := map[dataset.Label]int{}
		for _, o := range answers {
			counts[o.Verdict.Label]++
		}
		var best dataset.Label
		for _, o := range answers {
			l := o.Verdict.Label
			if best == "" || counts[l] > counts[best] || (counts[l] == counts[best] && rank(l) > rank(best)) {
				best = l
			}
		}
		return pick(best)
	default: // CombineBest and the zero value
		best := answers[0].Verdict.Label
		for _, o := range answers[1:] {
			if rank(o.Verdict.Label) < rank(best) {
				best = o.Verdict.Label
			}
		}
		return pick(best)
	}
}
