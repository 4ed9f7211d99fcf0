package validators

import (
	"context"
	"regexp"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var formatSpec = spec.Spec{
	Name:    "format",
	Summary: "Data check: a well-formed row — non-empty, no leftover template or JSON, no \"As an AI\", a real question, an answer that is not a refusal.",
	Description: `Fails a generated sample when
  - the question or the answer is empty;
  - either holds artefacts of generation: template braces ({{ }}), JSON keys
    ("question":, "answer":), code fences, chat-template tokens (<|...|>, [INST], </s>),
    "Q:"/"A:" labels, excerpt citations ("[2]", "according to the excerpts");
  - either speaks as a model ("As an AI", "as a language model");
  - the question is neither a question nor a request: it must end with "?", or contain a
    question word (how, what, why, where, when, which, who), or ask for help ("help",
    "please", "I need", "tell me", "can't", "isn't working", ...);
  - the answer repeats the question, or is a refusal or a bare deflection ("I don't know",
    "Please contact support") — the refusal validator's phrase lists, so a helpful answer
    that ends with "contact support if it still fails" passes.

Catches: question "Reset password" (no question or request); answer "{\"answer\": \"Go to
Settings\"}" (JSON left in the text); answer "As an AI, I cannot access your account."`,
	Params: []spec.Param{
		{Name: "artefacts", Type: "[]string", Description: "extra substrings (matched case-insensitively) that mark a row as broken"},
		{Name: "require_question", Type: "bool", Default: "true", Description: "fail questions that are neither a question nor a request"},
	},
	Example: `{type: format, artefacts: ["lorem ipsum"]}`,
}

func formatEntry() Entry { return Entry{Spec: formatSpec, Role: Data, New: newFormat} }

func newFormat(p *spec.Params, deps Deps) (Validator, error) {
	v := &formatValidator{requireQuestion: p.Bool("require_question", true)}
	for i, a := range p.Strings("artefacts", nil) {
		if strings.TrimSpace(a) == "" {
			p.Fail(spec.Index("artefacts", i), "must not be empty")
			continue
		}
		v.extra = append(v.extra, strings.ToLower(a))
	}
	r, err := newRefusal(spec.NewParams(p.Path(), nil), deps)
	if err != nil {
		return nil, err
	}
	v.refusal = r.(*refusalValidator)
	return v, p.Err()
}

type formatValidator struct {
	requireQuestion bool
	extra           []string
	refusal         *refusalValidator
}

var (
	artefactRE = regexp.MustCompile(`(?i)(\{\{|\}\}|"(?:question|answer|pairs|chunk_ids)"\s*:|` + "```" +
		`|<\|[a-z_]*\|?>|\[/?INST\]|</?s>|^\s*(?:Q|A|Question|Answer)\s*:|\[\d{1,2}\]|\b(?:according to|in|from|see) the (?:provided )?(?:excerpts?|context)\b|\bexcerpt \d)`)
	asAnAIRE       = regexp.MustCompile(`(?i)\b(?:as an ai\b|as a(?:n)? (?:large )?language model|i am an ai\b|i'm an ai\b|as an artificial intelligence)`)
	questionWordRE = regexp.MustCompile(`(?i)\b(?:how|what|what's|whats|why|where|when|which|who|whom|whose)\b`)
	requestRE      = regexp.MustCompile(`(?i)(?:^\s*(?:can|could|would|will|is|are|do|does|did|should|may|am|have|has)\b|\b(?:help|please|pls|plz|tell me|show me|explain|walk me|i need|i want|i'd like|i would like|i'm trying|im trying|i am trying|how to|can't|cant|cannot|can not|won't|wont|doesn't|doesnt|isn't|isnt|didn't|didnt|not working|stopped working|keeps|is there a way|any way to|lost|forgot)\b)`)
)

func (formatValidator) Name() string { return formatSpec.Name }

func (v *formatValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	fail := func(reason string) (dataset.Verdict, error) {
		return dataset.Verdict{Validator: formatSpec.Name, Score: 0, Pass: false, Reason: reason}, nil
	}
	q, a := strings.TrimSpace(s.Question), strings.TrimSpace(s.Answer)
	switch {
	case q == "":
		return fail("empty question")
	case a == "":
		return fail("empty answer")
	}
	for _, f := range []struct{ name, text string }{{"question", q}, {"answer", a}} {
		if m := artefactRE.FindString(f.text); m != "" {
			return fail("generation artefact in the " + f.name + ": " + quote(m))
		}
		lower := strings.ToLower(f.text)
		for _, e := range v.extra {
			if strings.Contains(lower, e) {
				return fail("generation artefact in the " + f.name + ": " + quote(e))
			}
		}
		if m := asAnAIRE.FindString(f.text); m != "" {
			return fail("speaks as a model in the " + f.name + ": " + quote(m))
		}
	}
	if v.requireQuestion && !strings.HasSuffix(strings.TrimRight(q, " \"')"), "?") && !questionWordRE.MatchString(q) && !requestRE.MatchString(q) {
		return fail("not a question or a request: " + quote(q))
	}
	if Normalize(q) == Normalize(a) {
		return fail("the answer repeats the question")
	}
	if refused, phrase := v.refusal.Refuses(a); refused {
		return fail("the answer is a refusal: " + quote(phrase))
	}
	return dataset.Verdict{Validator: formatSpec.Name, Score: 1, Pass: true, Reason: "well-formed question and answer"}, nil
}
