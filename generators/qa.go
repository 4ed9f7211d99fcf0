package generators

import (
	"context"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
)

var qaSpec = spec.Spec{
	Name:    "qa",
	Summary: "An LLM writes N diverse customer questions that the retrieved chunks answer, with answers that use only those chunks.",
	Description: `The prompt lists the retrieved help-doc chunks as numbered excerpts and asks for N
questions real customers would ask — varied wording, personas (new user, admin, someone
frustrated or on a phone, a non-native speaker) and difficulty (a lookup, two facts combined,
troubleshooting) — each with an answer that uses only facts from the excerpts and the numbers
of the excerpts it used. The failed eval question is given only as a topic hint, and the
prompt forbids copying or closely rephrasing it. Rejection reasons from earlier rounds and
the questions already accepted are included, so the next round avoids them.

The reply is requested in JSON mode as {"pairs": [{"question", "answer", "chunk_ids"}]}.
The parser tolerates code fences, prose around the JSON, trailing commas, a bare list and
common key synonyms. A reply that still does not parse is shown to the model with the error
and asked again (attempts); after the last attempt the call counts as a failed attempt of the
round, never a crash. Cited chunk numbers map back to chunk ids; a pair citing none is
grounded in all the excerpts.`,
	Params: append([]spec.Param{
		{Name: paramN, Type: "int", Description: "questions to ask for per call (1..50); default: the rows the failure still needs"},
		{Name: "personas", Type: "[]string", Description: "customer personas to vary between; default: a built-in list"},
	}, llmParams()...),
	Needs:   []string{"model"},
	Example: "{type: qa, n: 5, temperature: 0.8}",
}

func qaEntry() Entry { return Entry{Spec: qaSpec, Kind: Source, New: newQA} }

// defaultPersonas are the customers the qa prompt asks to vary between.
var defaultPersonas = []string{
	"a brand-new user", "a busy team admin", "a frustrated customer in a hurry",
	"someone on their phone who types tersely", "a non-native English speaker",
	"a careful customer who gives background first",
}

func newQA(p *spec.Params, deps Deps) (Generator, error) {
	g := &qaGenerator{
		n:        p.IntIn(paramN, 0, 0, 50),
		personas: p.Strings("personas", defaultPersonas),
		opts:     readCallOptions(p),
		model:    deps.Model,
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if deps.Model == nil {
		return nil, needModel(p, "qa")
	}
	return g, nil
}

type qaGenerator struct {
	n        int
	personas []string
	opts     callOptions
	model    llm.Model
}

func (*qaGenerator) Name() string { return qaSpec.Name }

func (g *qaGenerator) Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error) {
	if len(seed.Chunks) == 0 {
		return nil, nil
	}
	n := want(g.n, seed)
	msgs := []llm.Message{
		{Role: llm.System, Content: systemPrompt},
		{Role: llm.User, Content: g.prompt(seed, n)},
	}
	var pairs []Pair
	err := askJSON(ctx, g.model, qaSpec.Name, msgs, g.opts, seed.Round, func(text string) error {
		ps, err := ParsePairs(text)
		if err != nil {
			return err
		}
		pairs = ps
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]dataset.Sample, 0, len(pairs))
	for _, p := range pairs {
		chunks := ResolveRefs(p.Refs, seed.Chunks)
		if len(chunks) == 0 {
			chunks = seed.Chunks
		}
		out = append(out, NewSample(qaSpec.Name, seed, p.Question, p.Answer, chunks))
	}
	return out, nil
}

func (g *qaGenerator) prompt(seed Seed, n int) string {
	var b strings.Builder
	b.WriteString("Help-centre excerpts:\n\n")
	b.WriteString(excerpts(seed.Chunks))
	fmt.Fprintf(&b, "\n\nWrite %d different questions that real customers might ask, each fully answered by the excerpts above, and the answer to each.\n", n)
	fmt.Fprintf(&b, "- Vary who is asking: %s.\n", strings.Join(g.personas, "; "))
	b.WriteString("- Vary the wording: some casual or terse, some with small typos, some formal; questions and requests (\"help me ...\").\n")
	b.WriteString("- Vary the difficulty: a simple lookup, a question that needs two details from the excerpts combined, a troubleshooting question (\"I tried X and it didn't work\").\n")
	b.WriteString("- Answers: friendly, direct and complete, one to four sentences or short steps, using ONLY facts from the excerpts. Do not mention \"the excerpts\" or \"the documentation\". Never refuse: ask only questions the excerpts answer.\n")
	b.WriteString("- chunk_ids: the numbers of the excerpts each answer uses.\n")
	if q := strings.TrimSpace(seed.Failure.Question); q != "" {
		fmt.Fprintf(&b, "\nTopic hint: our assistant recently failed a customer who asked %q. Write questions on the same topic from new angles. Do NOT copy that question, do not closely rephrase it, and do not reuse its wording.\n", clip(q, 300))
	}
	b.WriteString(feedbackBlock(seed))
	fmt.Fprintf(&b, "\nReply with only this JSON object, with %d pairs:\n", n)
	b.WriteString(`{"pairs": [{"question": "...", "answer": "...", "chunk_ids": [1]}]}`)
	return b.String()
}
