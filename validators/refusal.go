package validators

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var refusalSpec = spec.Spec{
	Name:    "refusal",
	Summary: "Flags answers that refuse or deflect (\"Sorry, I don't understand\", \"please contact support\") when the question has an answer.",
	Description: `The answer is split into clauses (at sentence ends, semicolons and "but"/"however"),
and each clause is read as a refusal ("I don't understand", "I'm not sure", "I don't have
information about that", "I can't help with that"), a deflection ("please contact
support", "reach out to our team"), a courtesy ("let me know if you need anything else",
"hope this helps") or content. The answer is refused when it has a refusal or a deflection
and no content at all. So a helpful answer that ends with "contact support if this
doesn't work" is not a refusal, and neither is a hedge that goes on to answer
("I'm not sure, but I think it is under Settings > Billing").

The label refused is given only when the item has a gold answer (the question is
answerable) and that gold answer is not itself a deflection ("Contact support to change
your legal name"): refusing an unanswerable question is right, and then the validator has
no opinion. When nothing is found it has no opinion either (empty label, pass).

Catches: "Sorry, I don't understand. Please contact support." -> refused;
"Go to Settings > Account > Delete account. Contact support if the button is missing." -> no opinion.`,
	Params: []spec.Param{
		{Name: "phrases", Type: "[]string", Description: "extra refusal phrases (matched case-insensitively as whole words), added to the built-in list"},
		{Name: "deflections", Type: "[]string", Description: "extra deflection phrases (\"call our hotline\"), added to the built-in list"},
	},
	Example: `{type: refusal, phrases: ["that is outside my scope"], deflections: ["call our hotline"]}`,
}

func refusalEntry() Entry { return Entry{Spec: refusalSpec, Role: Check, New: newRefusal} }

// Built-in phrases, in normalised form (lower case, folded, straight apostrophes).
var (
	refusalPhrases = []string{
		"i don't understand", "i do not understand", "i didn't understand", "i did not understand",
		"didn't quite understand", "i don't quite understand", "not sure i understand", "i didn't get that",
		"i don't know", "i do not know", "i'm not sure", "i am not sure", "i'm not certain", "i am not certain",
		"i'm unable to", "i am unable to", "i'm not able to", "i am not able to", "unable to answer", "unable to help",
		"i can't help", "i cannot help", "i can not help", "i can't answer", "i cannot answer", "i can't assist", "i cannot assist",
		"i can't provide", "i cannot provide", "i can't find", "i cannot find", "i couldn't find", "i could not find",
		"i don't have information", "i do not have information", "i don't have any information", "i do not have any information",
		"i don't have enough information", "i do not have enough information", "i don't have details", "i don't have specific",
		"i don't have access", "i do not have access", "i have no information", "i have no idea", "no idea",
		"no information available", "no information about", "i'm afraid i", "i am afraid i", "beyond my knowledge",
		"outside my knowledge", "outside the scope of", "not something i can", "i'm just a bot",
		"could you rephrase", "can you rephrase", "please rephrase", "could you clarify",
	}
	deflectionPhrases = []string{
		"contact support", "contact our support", "contact the support", "contact customer support", "contact customer service",
		"contact customer care", "contact our team", "contact us", "contact an administrator", "contact your administrator",
		"reach out to support", "reach out to our support", "reach out to customer", "reach out to our team", "reach out to us",
		"get in touch with", "speak to an agent", "speak with an agent", "talk to an agent", "talk to a human", "speak to a human",
		"speak with a representative", "open a ticket", "submit a ticket", "file a ticket",
	}
	courtesyPhrases = []string{
		"let me know", "hope this helps", "hope that helps", "is there anything else", "anything else i can",
		"thank you", "thanks", "happy to help", "glad to help", "have a great day", "have a nice day", "feel free to",
		"you're welcome", "hello", "hi there", "good luck",
	}
	// whole answers that say nothing
	emptyAnswers = map[string]bool{"unknown": true, "n/a": true, "na": true, "none": true, "no answer": true, "not known": true, "sorry": true, "": true}
)

// clause kinds
const (
	clauseContent = iota
	clauseRefusal
	clauseDeflection
	clauseCourtesy
)

func newRefusal(p *spec.Params, _ Deps) (Validator, error) {
	v := &refusalValidator{
		refusals:    appendNormalised(refusalPhrases, p.Strings("phrases", nil)),
		deflections: appendNormalised(deflectionPhrases, p.Strings("deflections", nil)),
	}
	for i, s := range p.Strings("phrases", nil) {
		if refusalNorm(s) == "" {
			p.Fail(spec.Index("phrases", i), "must not be empty")
		}
	}
	for i, s := range p.Strings("deflections", nil) {
		if refusalNorm(s) == "" {
			p.Fail(spec.Index("deflections", i), "must not be empty")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return v, nil
}

func appendNormalised(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, e := range extra {
		if n := refusalNorm(e); n != "" {
			out = append(out, n)
		}
	}
	return out
}

type refusalValidator struct {
	refusals, deflections []string
}

func (*refusalValidator) Name() string { return refusalSpec.Name }

func (v *refusalValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	refused, phrase := v.Refuses(s.Answer)
	name := refusalSpec.Name
	switch {
	case !refused:
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no refusal"}, nil
	case len(s.References) == 0:
		return dataset.Verdict{Validator: name, Score: 1, Pass: true,
			Reason: "the answer refuses (" + quote(phrase) + "), but the item has no gold answer: no opinion"}, nil
	}
	for _, g := range s.References {
		if ok, _ := v.Refuses(g); ok {
			return dataset.Verdict{Validator: name, Score: 1, Pass: true,
				Reason: "the answer deflects (" + quote(phrase) + "), as the gold answer does: no opinion"}, nil
		}
	}
	if goldRecall(s.Answer, s.References) >= 0.5 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true,
			Reason: "the answer deflects (" + quote(phrase) + ") but carries the gold answer: no opinion"}, nil
	}
	return dataset.Verdict{Validator: name, Score: 0, Pass: false, Label: dataset.Refused,
		Reason: "the answer refuses (" + quote(phrase) + ") although the question has an answer"}, nil
}

// Refuses reports whether answer is a refusal or a deflection with no
// content, and the phrase that showed it.
func (v *refusalValidator) Refuses(answer string) (bool, string) {
	norm := refusalNorm(answer)
	if emptyAnswers[strings.Trim(norm, " .!?")] {
		return strings.Trim(norm, " .!?") != "", strings.TrimSpace(answer)
	}
	var evidence string
	content := false
	for _, c := range clauses(norm) {
		kind, phrase := v.classify(c)
		switch kind {
		case clauseContent:
			content = true
		case clauseRefusal, clauseDeflection:
			if evidence == "" {
				evidence = phrase
			}
		}
	}
	return !content && evidence != "", evidence
}

func (v *refusalValidator) classify(c string) (int, string) {
	for _, p := range v.refusals {
		if hasPhrase(c, p) {
			return clauseRefusal, p
		}
	}
	for _, p := range v.deflections {
		if hasPhrase(c, p) {
			return clauseDeflection, p
		}
	}
	if p, ok := deflectsToTeam(c); ok {
		return clauseDeflection, p
	}
	for _, p := range courtesyPhrases {
		if hasPhrase(c, p) {
			return clauseCourtesy, p
		}
	}
	// "Sorry!", "Hi," and other one-word pleasantries carry no content
	switch strings.Trim(c, " ,.!?:") {
	case "sorry", "hi", "hey", "hello", "unfortunately", "apologies", "oops", "hmm", "ok", "okay":
		return clauseCourtesy, ""
	}
	return clauseContent, ""
}

// deflectsToTeam finds a deflection to some team the phrase lists do not
// name: "contact", "reach out to", "get in touch with", "talk to" or "speak
// to/with", then up to three words, then a team word ("contact our billing
// team", "reach out to the IT department"). It returns the phrase.
func deflectsToTeam(c string) (string, bool) {
	for _, verb := range []string{"contact", "reach out to", "get in touch with", "talk to", "speak to", "speak with"} {
		for off := 0; ; {
			i := strings.Index(c[off:], verb)
			if i < 0 {
				break
			}
			i += off
			off = i + len(verb)
			if i > 0 && isWordByte(c[i-1]) || off < len(c) && isWordByte(c[off]) {
				continue
			}
			words := strings.Fields(c[off:])
			for k := 0; k < len(words) && k < 4; k++ {
				w := strings.Trim(words[k], ".,;:!?")
				switch w {
				case "team", "department", "staff", "desk", "helpdesk", "agent", "agents", "representative", "specialist", "specialists", "administrator", "admin":
					return verb + " " + strings.Join(words[:k+1], " "), true
				}
				if w != words[k] {
					break // punctuation ends the phrase
				}
			}
		}
	}
	return "", false
}

// refusalNorm lower-cases and folds s, straightens apostrophes and
// collapses white space.
func refusalNorm(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '’' || r == '‘' || r == '`':
			r = '\''
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		var buf [8]byte
		b.Write(foldRune(buf[:0], r))
	}
	return b.String()
}

// clauses splits normalised text at sentence ends, semicolons, colons and
// contrastive conjunctions.
func clauses(s string) []string {
	var out []string
	start := 0
	emit := func(end int) {
		if c := strings.TrimSpace(s[start:end]); c != "" {
			out = append(out, c)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case (c == '.' || c == '!' || c == '?' || c == ';' || c == '\n') && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n'):
			emit(i)
			start = i + 1
		case c == ' ':
			for _, conj := range []string{" but ", " however ", " however,", " although ", " though "} {
				if strings.HasPrefix(s[i:], conj) {
					emit(i)
					start = i + 1
					break
				}
			}
		}
	}
	emit(len(s))
	return out
}

// hasPhrase reports whether phrase occurs in s at word boundaries.
func hasPhrase(s, phrase string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], phrase)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(phrase)
		if (i == 0 || !isWordByte(s[i-1])) && (j == len(s) || !isWordByte(s[j])) {
			return true
		}
		off = i + 1
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'' || c >= 0x80
}

// goldRecall is the best share of a gold answer's SQuAD tokens found in answer.
func goldRecall(answer string, golds []string) float64 {
	t := getTokenizer()
	defer putTokenizer(t)
	t.a = t.squadHashes(answer, t.a)
	slices.Sort(t.a)
	best := 0.0
	for _, g := range golds {
		t.b = t.squadHashes(g, t.b)
		if len(t.b) == 0 {
			continue
		}
		slices.Sort(t.b)
		if r := float64(commonSorted(t.a, t.b)) / float64(len(t.b)); r > best {
			best = r
		}
	}
	return best
}
