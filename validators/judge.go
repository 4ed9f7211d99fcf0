package validators

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

var judgeSpec = spec.Spec{
	Name:    "judge",
	Summary: "An LLM compares the answer with the gold answer using the OpenAI-evals fact choices (subset, superset, same, disagree, differs unimportantly).",
	Description: `The judge model (eval.judge) reads the question, the gold answer(s) and the answer, and
picks one of the choices of OpenAI evals' "fact" template, reasoning before it chooses and
replying in JSON ({"reasoning": "...", "choice": "A".."E"}, temperature 0, JSON mode):

  (A) the answer is a subset of the gold answer, consistent with it   -> partial
  (B) the answer is a superset of the gold answer, consistent with it -> correct, if what it
      adds is supported by the help docs; else hallucinated
  (C) the answer has the same details as the gold answer              -> correct
  (D) the answer disagrees with the gold answer                       -> wrong
  (E) the answers differ only in ways that do not matter              -> correct

For (B) the answer's claims are checked as the grounded validator checks them (offline):
every claim must be in the gold answer or in a help-doc chunk (Sample.Contexts, or a search
of the knowledge base); unsupported extras make the answer hallucinated. Without any docs
the extras cannot be checked and (B) counts as correct, saying so.

The reply is read leniently (code fences, text around the JSON, single quotes, trailing
commas, a choice written "(C)" or "c) same"). A reply that still cannot be read is
answered with a reminder and asked again, up to retries times; then the validator fails
and the item is labelled error: a judge that cannot be read never gives a silent score.

Catches: gold "Reset links expire after 30 minutes and can be used only once", answer
"Reset links are valid for 24 hours" -> (D) wrong, where token overlap says partial;
answer "The link expires after half an hour" -> (E) correct, where overlap says wrong.`,
	Needs: []string{"judge"},
	Params: []spec.Param{
		{Name: "prompt", Type: "string", Description: "a text/template replacing the built-in prompt; fields .Question, .Gold (the first gold answer), .Golds, .Answer, .Contexts (chunks with .ID, .Doc, .Heading, .Text); function inc. It must ask for the JSON reply."},
		{Name: "retries", Type: "int", Default: "2", Description: "how many times a reply that is not the expected JSON is asked again before the validator fails"},
		{Name: "coverage", Type: "float", Default: "0.6", Description: "for choice B: share of a claim's content words a chunk must contain to support it (as in grounded)"},
		{Name: "k", Type: "int", Default: "3", Description: "for choice B: chunks retrieved per unsupported claim when the project has a knowledge base (0: never search)"},
	},
	Example: "{type: judge, retries: 2}",
}

func judgeEntry() Entry { return Entry{Spec: judgeSpec, Role: Answer, New: newJudge} }

// templateFuncs are available to prompt templates.
var templateFuncs = template.FuncMap{"inc": func(i int) int { return i + 1 }}

var defaultJudgeTemplate = template.Must(template.New("judge").Funcs(templateFuncs).Option("missingkey=error").Parse(
	`You are comparing a submitted answer to an expert answer on a given question. Here is the data:
[BEGIN DATA]
************
[Question]: {{.Question}}
************
[Expert]: {{if eq (len .Golds) 1}}{{index .Golds 0}}{{else}}any of these answers is acceptable; compare with the closest one:
{{range $i, $g := .Golds}}({{inc $i}}) {{$g}}
{{end}}{{end}}
************
[Submission]: {{.Answer}}
************
[END DATA]

Compare the factual content of the submitted answer with the expert answer. Ignore any differences in style, grammar, or punctuation.
The submitted answer may either be a subset or superset of the expert answer, or it may conflict with it. Determine which case applies. Answer the question by selecting one of the following options:
(A) The submitted answer is a subset of the expert answer and is fully consistent with it.
(B) The submitted answer is a superset of the expert answer and is fully consistent with it.
(C) The submitted answer contains all the same details as the expert answer.
(D) There is a disagreement between the submitted answer and the expert answer.
(E) The answers differ, but these differences don't matter from the perspective of factuality.

First write out your reasoning step by step, then choose. Reply with only a JSON object, reasoning first:
{"reasoning": "<your step-by-step reasoning>", "choice": "<A, B, C, D or E>"}`))

func newJudge(p *spec.Params, deps Deps) (Validator, error) {
	v := &judgeValidator{
		model:   deps.Judge,
		tmpl:    defaultJudgeTemplate,
		retries: p.IntIn("retries", 2, 0, 10),
		checker: newClaimChecker(p.FloatIn("coverage", 0.6, 0, 1)),
		k:       p.IntIn("k", 3, 0, 50),
		search:  deps.Search,
	}
	if src := p.String("prompt", ""); src != "" {
		t, err := template.New("judge").Funcs(templateFuncs).Option("missingkey=error").Parse(src)
		if err != nil {
			p.Fail("prompt", "not a valid template: %v", err)
		} else {
			v.tmpl = t
		}
	}
	var errs []error
	if deps.Judge == nil {
		errs = append(errs, spec.Errorf(p.Path(), "the judge validator needs a judge model: set eval.judge to the name of one of your models"))
	}
	if err := p.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return v, nil
}

type judgeValidator struct {
	model   llm.Model
	tmpl    *template.Template
	retries int
	checker *claimChecker
	k       int
	search  retrieval.Searcher
}

func (*judgeValidator) Name() string { return judgeSpec.Name }

// judgeChoices explains each choice in reasons.
var judgeChoices = map[string]string{
	"A": "a subset of the gold answer",
	"B": "a superset of the gold answer",
	"C": "the same details as the gold answer",
	"D": "disagrees with the gold answer",
	"E": "differs from the gold answer only in unimportant ways",
}

// judgeShape is the reply the judge must give, for reminders.
const judgeShape = `{"reasoning": "...", "choice": "A", "B", "C", "D" or "E"}`

func (v *judgeValidator) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := judgeSpec.Name
	if len(s.References) == 0 {
		return noGold(name), nil
	}
	if strings.TrimSpace(s.Answer) == "" {
		return dataset.Verdict{Validator: name, Label: dataset.Wrong, Reason: "empty answer"}, nil
	}
	var prompt strings.Builder
	data := map[string]any{"Question": s.Question, "Gold": s.References[0], "Golds": s.References, "Answer": s.Answer, "Contexts": s.Contexts}
	if err := v.tmpl.Execute(&prompt, data); err != nil {
		return dataset.Verdict{}, fmt.Errorf("judge: prompt template: %w", err)
	}
	var choice, reasoning string
	_, err := askJSON(ctx, v.model, prompt.String(), v.retries, judgeShape, func(obj map[string]any) error {
		c, ok := parseChoice(obj["choice"])
		if !ok {
			return fmt.Errorf(`"choice" must be one of A, B, C, D, E`)
		}
		choice = c
		reasoning, _ = obj["reasoning"].(string)
		return nil
	})
	if err != nil {
		return dataset.Verdict{}, fmt.Errorf("judge: %w", err)
	}
	reason := fmt.Sprintf("judge chose (%s), %s: %s", choice, judgeChoices[choice], shorten(reasoning, 240))
	verdict := dataset.Verdict{Validator: name, Reason: reason}
	switch choice {
	case "C", "E":
		verdict.Score, verdict.Pass, verdict.Label = 1, true, dataset.Correct
	case "A":
		verdict.Score, verdict.Label = 0.5, dataset.Partial
	case "D":
		verdict.Score, verdict.Label = 0, dataset.Wrong
	case "B":
		return v.superset(ctx, s, verdict)
	}
	return verdict, nil
}

// superset decides choice B: correct when every claim of the answer is in
// the gold answer or the help docs.
func (v *judgeValidator) superset(ctx context.Context, s *dataset.Sample, verdict dataset.Verdict) (dataset.Verdict, error) {
	var search func(ctx context.Context, q string) ([]dataset.Chunk, error)
	if v.search != nil && v.k > 0 {
		search = func(ctx context.Context, q string) ([]dataset.Chunk, error) { return v.search.Search(ctx, q, v.k) }
	}
	claims := SplitClaims(s.Answer)
	if len(claims) == 0 || (len(s.Contexts) == 0 && search == nil) {
		verdict.Score, verdict.Pass, verdict.Label = 1, true, dataset.Correct
		if len(claims) > 0 {
			verdict.Reason += " (what it adds could not be checked: no help-doc chunks)"
		}
		return verdict, nil
	}
	results, err := v.checker.checkAll(ctx, claims, s.Contexts, s.References, search)
	if err != nil {
		return dataset.Verdict{}, fmt.Errorf("judge: %w", err)
	}
	g := groundedVerdict(judgeSpec.Name, results, 1)
	verdict.Evidence = g.Evidence
	if g.Pass {
		verdict.Score, verdict.Pass, verdict.Label = 1, true, dataset.Correct
		verdict.Reason += "; what it adds is in the help docs"
		return verdict, nil
	}
	verdict.Score, verdict.Label = 0, g.Label
	verdict.Reason += "; but " + g.Reason
	return verdict, nil
}

// parseChoice reads a choice written "C", "(c)", "C) same", "C." or "Option C".
func parseChoice(v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if len(s) > 7 && strings.EqualFold(s[:7], "option ") {
		s = strings.TrimSpace(s[7:])
	}
	s = strings.TrimLeft(s, "([ ")
	if s == "" {
		return "", false
	}
	c := unicode.ToUpper(rune(s[0]))
	if c < 'A' || c > 'E' {
		return "", false
	}
	if len(s) > 1 {
		r, _ := utf8.DecodeRuneInString(s[1:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return "", false // a word, not a choice letter
		}
	}
	return string(c), true
}

// askJSON sends prompt to m (temperature 0, JSON mode) and reads a JSON
// object from the reply with [extractJSON]; accept checks its fields. A
// reply that cannot be read, or that accept rejects, is answered with a
// reminder naming the problem and shape, and asked again up to retries
// times; then askJSON fails. Errors of the model itself (after its own
// retries) are returned at once.
func askJSON(ctx context.Context, m llm.Model, prompt string, retries int, shape string, accept func(map[string]any) error) (string, error) {
	temp := 0.0
	req := llm.Request{Messages: []llm.Message{{Role: llm.User, Content: prompt}}, JSON: true, Temperature: &temp}
	var lastErr error
	var lastText string
	for attempt := 0; attempt <= retries; attempt++ {
		resp, err := m.Generate(ctx, req)
		if err != nil {
			return "", fmt.Errorf("judge model: %w", err)
		}
		obj, perr := extractJSON(resp.Text)
		if perr == nil {
			perr = accept(obj)
		}
		if perr == nil {
			return resp.Text, nil
		}
		lastErr, lastText = perr, resp.Text
		msgs := make([]llm.Message, len(req.Messages), len(req.Messages)+2)
		copy(msgs, req.Messages)
		req.Messages = append(msgs,
			llm.Message{Role: llm.Assistant, Content: resp.Text},
			llm.Message{Role: llm.User, Content: fmt.Sprintf("I could not read your reply: %v. Reply again with only this JSON object and nothing else: %s", perr, shape)})
	}
	return "", fmt.Errorf("unreadable judge reply after %d attempt(s): %w (last reply %s)", retries+1, lastErr, quote(lastText))
}

// Limits of extractJSON.
const (
	maxJSONStarts = 256 // "{" positions tried
	maxJSONDepth  = 64
)

// errNoJSON is returned when a reply holds no JSON object.
var errNoJSON = errors.New("no JSON object in the reply")

// extractJSON finds the JSON object in a model's reply and decodes it. It
// is lenient about what models write around and inside it: text before and
// after, code fences, single-quoted strings, unquoted keys, trailing commas,
// comments, Python's True/False/None, raw newlines and stray quotes inside
// strings. When the reply holds several objects, the last one wins (models
// tend to restate the format before answering).
func extractJSON(text string) (map[string]any, error) {
	var found map[string]any
	tries := 0
	for i := 0; i < len(text) && tries < maxJSONStarts; i++ {
		if text[i] != '{' {
			continue
		}
		tries++
		p := relaxedParser{s: text, i: i}
		v, ok := p.object(0)
		if !ok {
			continue
		}
		found = v
		i = p.i - 1 // resume after this object
	}
	if found == nil {
		return nil, errNoJSON
	}
	return found, nil
}

// relaxedParser parses JSON and the near-JSON models write.
type relaxedParser struct {
	s string
	i int
}

func (p *relaxedParser) skip() {
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.i++
		case strings.HasPrefix(p.s[p.i:], "//") || c == '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case strings.HasPrefix(p.s[p.i:], "/*"):
			end := strings.Index(p.s[p.i+2:], "*/")
			if end < 0 {
				p.i = len(p.s)
				return
			}
			p.i += end + 4
		default:
			return
		}
	}
}

func (p *relaxedParser) value(depth int) (any, bool) {
	if depth > maxJSONDepth {
		return nil, false
	}
	p.skip()
	if p.i >= len(p.s) {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"' || c == '\'':
		return p.str()
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	}
	if strings.HasPrefix(p.s[p.i:], "“") {
		return p.str()
	}
	word := p.ident()
	switch strings.ToLower(word) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null", "none":
		return nil, true
	}
	return nil, false
}

func (p *relaxedParser) object(depth int) (map[string]any, bool) {
	if depth > maxJSONDepth || p.i >= len(p.s) || p.s[p.i] != '{' {
		return nil, false
	}
	p.i++
	obj := map[string]any{}
	for {
		p.skip()
		if p.i >= len(p.s) {
			return nil, false
		}
		if p.s[p.i] == '}' {
			p.i++
			return obj, true
		}
		var key string
		switch c := p.s[p.i]; {
		case c == '"' || c == '\'' || strings.HasPrefix(p.s[p.i:], "“"):
			k, ok := p.str()
			if !ok {
				return nil, false
			}
			key = k
		default:
			key = p.ident()
			if key == "" {
				return nil, false
			}
		}
		p.skip()
		if p.i >= len(p.s) || (p.s[p.i] != ':' && p.s[p.i] != '=') {
			return nil, false
		}
		p.i++
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		obj[key] = v
		p.skip()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
		default:
			return nil, false
		}
	}
}

func (p *relaxedParser) array(depth int) ([]any, bool) {
	p.i++ // '['
	out := []any{}
	for {
		p.skip()
		if p.i >= len(p.s) {
			return nil, false
		}
		if p.s[p.i] == ']' {
			p.i++
			return out, true
		}
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.skip()
		if p.i >= len(p.s) {
			return nil, false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
		default:
			return nil, false
		}
	}
}

// ident reads a bare word (an unquoted key or a literal).
func (p *relaxedParser) ident() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *relaxedParser) number() (any, bool) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.i]) >= 0 {
		p.i++
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// str reads a string quoted with ", ' or curly quotes. A quote closes the
// string only when what follows (after white space) can follow a string in
// an object or array — ',', ':', '}', ']' or the end — so an apostrophe in
// 'don't' or a stray quote in "he said "hi"" stays part of the text. Valid
// JSON reads exactly as encoding/json reads it.
func (p *relaxedParser) str() (string, bool) {
	open := p.s[p.i]
	closers := string(open)
	if strings.HasPrefix(p.s[p.i:], "“") {
		p.i += len("“")
		closers = "”\""
	} else {
		p.i++
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '\\' && p.i+1 < len(p.s) {
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				if p.i+4 <= len(p.s) {
					if n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32); err == nil {
						r := rune(n)
						p.i += 4
						if utf16Surrogate(r) && p.i+6 <= len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
							if n2, err := strconv.ParseUint(p.s[p.i+2:p.i+6], 16, 32); err == nil {
								if combined := combineSurrogates(r, rune(n2)); combined != utf8.RuneError {
									r = combined
									p.i += 6
								}
							}
						}
						if utf16Surrogate(r) {
							r = utf8.RuneError
						}
						b.WriteRune(r)
						continue
					}
				}
				b.WriteString(`\u`)
			default:
				b.WriteByte(e)
			}
			continue
		}
		for _, q := range closers {
			if strings.HasPrefix(p.s[p.i:], string(q)) && p.closes(p.i+utf8.RuneLen(q)) {
				p.i += utf8.RuneLen(q)
				return toValidUTF8(b.String()), true
			}
		}
		b.WriteByte(c)
		p.i++
	}
	return "", false
}

// closes reports whether a quote ending at j closes a string: only white
// space stands between it and ',', ':', '}', ']' or the end of the text.
func (p *relaxedParser) closes(j int) bool {
	for j < len(p.s) {
		switch p.s[j] {
		case ' ', '\t', '\n', '\r':
			j++
		case ',', ':', '}', ']':
			return true
		default:
			return false
		}
	}
	return true
}

func utf16Surrogate(r rune) bool { return r >= 0xD800 && r < 0xE000 }

func combineSurrogates(hi, lo rune) rune {
	if hi < 0xD800 || hi >= 0xDC00 || lo < 0xDC00 || lo >= 0xE000 {
		return utf8.RuneError
	}
	return (hi-0xD800)<<10 | (lo - 0xDC00) + 0x10000
}

// toValidUTF8 replaces each byte of an invalid UTF-8 sequence with U+FFFD,
// as encoding/json does.
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
