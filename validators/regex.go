package validators

import (
	"context"
	"regexp"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var regexSpec = spec.Spec{
	Name:    "regex",
	Summary: "The answer matches a regular expression (or, with negate, does not).",
	Description: `Correct when the pattern (Go RE2 syntax; (?i) for case-insensitive) matches
somewhere in the answer, wrong otherwise; with negate: true, correct when it does not
match. The pattern is compiled when the config is loaded, so a bad pattern fails the
run before any model call, naming its key. Gold answers are not used, so it also works
on items without one.

Catches: pattern '^\s*(Yes|No)\b' on a yes/no question, answer "It depends" -> wrong;
negate with pattern '(?i)as an ai language model' flags boilerplate.`,
	Params: []spec.Param{
		{Name: "pattern", Type: "string", Required: true, Description: "the regular expression (RE2 syntax)"},
		{Name: "negate", Type: "bool", Default: "false", Description: "pass when the pattern does not match"},
	},
	Example: `{type: regex, pattern: '(?i)\bsettings\b'}`,
}

func regexEntry() Entry { return Entry{Spec: regexSpec, Role: Answer, New: newRegex} }

func newRegex(p *spec.Params, _ Deps) (Validator, error) {
	pattern := p.String("pattern", "")
	negate := p.Bool("negate", false)
	v := regexValidator{negate: negate}
	switch {
	case !p.Has("pattern"):
		p.Fail("pattern", "is required")
	case pattern == "":
		p.Fail("pattern", "must not be empty")
	default:
		re, err := regexp.Compile(pattern)
		if err != nil {
			p.Fail("pattern", "invalid regular expression: %v", err)
		}
		v.re = re
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return v, nil
}

type regexValidator struct {
	re     *regexp.Regexp
	negate bool
}

func (regexValidator) Name() string { return regexSpec.Name }

func (v regexValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	loc := v.re.FindStringIndex(s.Answer)
	switch {
	case loc != nil && !v.negate:
		return binary(regexSpec.Name, true, "matches /"+v.re.String()+"/ at "+quote(s.Answer[loc[0]:loc[1]])), nil
	case loc == nil && !v.negate:
		return binary(regexSpec.Name, false, "does not match /"+v.re.String()+"/"), nil
	case loc != nil:
		return binary(regexSpec.Name, false, "matches the forbidden pattern /"+v.re.String()+"/ at "+quote(s.Answer[loc[0]:loc[1]])), nil
	}
	return binary(regexSpec.Name, true, "does not match the forbidden pattern /"+v.re.String()+"/"), nil
}
