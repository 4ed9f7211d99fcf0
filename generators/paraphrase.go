package generators

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
)

var paraphraseSpec = spec.Spec{
	Name:    "paraphrase",
	Summary: "Rephrasings of the candidates' questions, with the same answer and chunks.",
	Description: `A transform: it reads the candidates that earlier stages of the round kept and adds
n rephrasings of each question, as different customers would ask it, keeping the meaning so
that the same answer (and the same chunks) still answer it. With keep: false only the
rephrasings go on.

mode: llm asks generate.model for every question at once, in JSON mode
({"paraphrases": [{"index": 1, "questions": [...]}]}; malformed replies are retried, then
the call counts as a failed attempt). mode: template needs no model: it applies the builtin
generator's templates (personas, greetings, casual lower case, small typos, rewordings such as
"How do I" -> "Is there a way to"). mode: auto (the default) is llm when generate.model is an
LLM and template otherwise. The variant's provenance names both generators ("qa>paraphrase").`,
	Params: append([]spec.Param{
		{Name: paramN, Type: "int", Default: "1", Description: "rephrasings per question (1..10)"},
		{Name: "keep", Type: "bool", Default: "true", Description: "keep the original candidates too"},
		{Name: "mode", Type: "string", Default: "auto", Description: "llm, template or auto"},
		{Name: "max_inputs", Type: "int", Default: "0", Description: "rephrase at most this many candidates (0: all)"},
		{Name: "seed", Type: "int", Default: "0", Description: "template mode: varies which templates are picked"},
	}, llmParams()...),
	Example: "{type: paraphrase, n: 2, keep: true}",
}

func paraphraseEntry() Entry { return Entry{Spec: paraphraseSpec, Kind: Transform, New: newParaphrase} }

func newParaphrase(p *spec.Params, deps Deps) (Generator, error) {
	g := &paraphraseGenerator{
		n:         p.IntIn(paramN, 1, 1, 10),
		keep:      p.Bool("keep", true),
		mode:      p.OneOf("mode", "auto", "auto", "llm", "template"),
		maxInputs: p.IntIn("max_inputs", 0, 0, 1000),
		seed:      uint64(p.Int("seed", 0)),
		opts:      readCallOptions(p),
		model:     deps.Model,
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	switch {
	case g.mode == "auto" && deps.Model == nil:
		g.mode = "template"
	case g.mode == "auto":
		g.mode = "llm"
	case g.mode == "llm" && deps.Model == nil:
		return nil, needModel(p, "paraphrase (mode llm)")
	}
	return g, nil
}

type paraphraseGenerator struct {
	n         int
	keep      bool
	mode      string
	maxInputs int
	seed      uint64
	opts      callOptions
	model     llm.Model
}

func (*paraphraseGenerator) Name() string { return paraphraseSpec.Name }

func (g *paraphraseGenerator) Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error) {
	in, out := transformInputs(seed, g.maxInputs, g.keep)
	if len(in) == 0 {
		return out, nil
	}
	var variants [][]string
	if g.mode == "template" {
		variants = make([][]string, len(in))
		for i, c := range in {
			variants[i] = TemplateParaphrases(c.Question, g.seed+uint64(seed.Round)*7919+uint64(i), g.n)
		}
	} else {
		var err error
		if variants, err = g.ask(ctx, seed, in); err != nil {
			return out, err
		}
	}
	for i, c := range in {
		for _, q := range variants[i] {
			if strings.TrimSpace(q) == "" || sameText(q, c.Question) {
				continue
			}
			v := NewSample(derivedName(c, paraphraseSpec.Name), seed, q, c.Answer, c.Contexts)
			v.Tags = c.Tags
			out = append(out, v)
		}
	}
	return out, nil
}

// derivedName is the provenance generator of a variant of c made by name.
func derivedName(c dataset.Sample, name string) string {
	if c.Provenance.Generator == "" {
		return name
	}
	return c.Provenance.Generator + ">" + name
}

func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

func (g *paraphraseGenerator) ask(ctx context.Context, seed Seed, in []dataset.Sample) ([][]string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Rewrite each customer question below in %d different ways, as different customers would ask it: vary the wording, tone and persona (casual, terse, formal, with a small typo, with some background first). Keep the meaning exactly, so that the same answer still answers it completely; do not add details the original does not ask about.\n\n", g.n)
	for i, c := range in {
		fmt.Fprintf(&b, "%d. %s\n", i+1, strings.Join(strings.Fields(c.Question), " "))
	}
	if q := strings.TrimSpace(seed.Failure.Question); q != "" {
		fmt.Fprintf(&b, "\nDo not write anything close to this question, which must not appear in the data: %q\n", clip(q, 300))
	}
	b.WriteString("\nReply with only this JSON object, one entry per question, by its number:\n")
	b.WriteString(`{"paraphrases": [{"index": 1, "questions": ["...", "..."]}]}`)
	msgs := []llm.Message{{Role: llm.System, Content: systemPrompt}, {Role: llm.User, Content: b.String()}}
	var out [][]string
	err := askJSON(ctx, g.model, paraphraseSpec.Name, msgs, g.opts, seed.Round, func(text string) error {
		v, err := ParseParaphrases(text, len(in))
		if err != nil {
			return err
		}
		out = v
		return nil
	})
	return out, err
}

// ParseParaphrases parses {"paraphrases": [{"index": 1, "questions": [...]}]}
// (or a list of such entries, or a list of lists in question order) into
// n lists of rephrasings, one per question. Entries with an index out of
// range are ignored; a reply with no rephrasing at all is an error.
func ParseParaphrases(text string, n int) ([][]string, error) {
	raw, err := ExtractJSON(text)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		for _, k := range []string{"paraphrases", "rewrites", "questions", "items", "results"} {
			if l, ok := lookupFold(x, k).([]any); ok {
				list = l
				break
			}
		}
	}
	out := make([][]string, n)
	found := 0
	for pos, e := range list {
		idx, qs := pos, []string(nil)
		switch x := e.(type) {
		case map[string]any:
			if i, ok := indexOf(lookupFold(x, "index")); ok {
				idx = i - 1
			}
			for _, k := range []string{"questions", "paraphrases", "rewrites", "variants"} {
				if l, ok := lookupFold(x, k).([]any); ok {
					qs = stringsOf(l)
					break
				}
			}
			if qs == nil {
				if s := firstString(x, questionKeys); s != "" {
					qs = []string{s}
				}
			}
		case []any:
			qs = stringsOf(x)
		case string:
			qs = []string{x}
		}
		if idx < 0 || idx >= n || len(qs) == 0 {
			continue
		}
		out[idx] = append(out[idx], qs...)
		found += len(qs)
	}
	if found == 0 {
		return nil, errors.New(`expected {"paraphrases": [{"index": 1, "questions": ["..."]}]}`)
	}
	return out, nil
}

func indexOf(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return i, true
		}
	}
	return 0, false
}

func stringsOf(l []any) []string {
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}
