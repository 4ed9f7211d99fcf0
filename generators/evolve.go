package generators

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
)

var evolveSpec = spec.Spec{
	Name:    "evolve",
	Summary: "Evol-Instruct-style rewrites: each candidate becomes a harder question (a constraint, more concrete, multi-step) whose answer is still grounded in the chunks.",
	Description: `A transform: for each candidate that earlier stages kept, the model rewrites the
question with one evolution operation and rewrites the answer to match, using only the
help-doc excerpts (the candidate's chunks and the round's retrieved chunks, numbered):

  constraint   add one realistic condition (a device, a plan, a role, a deadline) that the
               excerpts still answer
  concretize   replace general words with a specific situation the excerpts cover
  multi_step   ask for something that takes two or more steps or facts from the excerpts
  troubleshoot turn it into "I tried X and it did not work" where the excerpts say what to do

Operations rotate over the candidates and rounds. The reply is JSON
({"question", "answer", "chunk_ids"}); malformed replies are retried, then the candidate's
call counts as a failed attempt (the other candidates still evolve). With keep: true (the
default) the originals stay in the pool beside the evolved rows.`,
	Params: append([]spec.Param{
		{Name: "ops", Type: "[]string", Default: "[constraint, concretize, multi_step, troubleshoot]", Description: "evolution operations to rotate through"},
		{Name: "keep", Type: "bool", Default: "true", Description: "keep the original candidates too"},
		{Name: "max_inputs", Type: "int", Default: "0", Description: "evolve at most this many candidates (0: all)"},
	}, llmParams()...),
	Needs:   []string{"model"},
	Example: "{type: evolve, ops: [constraint, multi_step], keep: true}",
}

func evolveEntry() Entry { return Entry{Spec: evolveSpec, Kind: Transform, New: newEvolve} }

// evolveOps are the evolution operations and their instructions.
var evolveOps = map[string]string{
	"constraint":   "Add one realistic constraint or condition to the question (a device, a plan, a role, a deadline, a setting) that the excerpts still answer.",
	"concretize":   "Make the question more concrete: replace general words with a specific situation that the excerpts cover.",
	"multi_step":   "Turn it into a question whose answer needs two or more steps or facts from the excerpts, combined.",
	"troubleshoot": "Turn it into a troubleshooting question (\"I tried X and it didn't work\") where the excerpts say what to do.",
}

var defaultEvolveOps = []string{"constraint", "concretize", "multi_step", "troubleshoot"}

func newEvolve(p *spec.Params, deps Deps) (Generator, error) {
	g := &evolveGenerator{
		ops:       p.Strings("ops", defaultEvolveOps),
		keep:      p.Bool("keep", true),
		maxInputs: p.IntIn("max_inputs", 0, 0, 1000),
		opts:      readCallOptions(p),
		model:     deps.Model,
	}
	if len(g.ops) == 0 {
		p.Fail("ops", "must list at least one operation (%s)", strings.Join(defaultEvolveOps, ", "))
	}
	for i, op := range g.ops {
		if _, ok := evolveOps[op]; !ok {
			p.Fail(fmt.Sprintf("ops[%d]", i), "unknown operation %q (one of %s)", op, strings.Join(defaultEvolveOps, ", "))
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if deps.Model == nil {
		return nil, needModel(p, "evolve")
	}
	return g, nil
}

type evolveGenerator struct {
	ops       []string
	keep      bool
	maxInputs int
	opts      callOptions
	model     llm.Model
}

func (*evolveGenerator) Name() string { return evolveSpec.Name }

func (g *evolveGenerator) Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error) {
	in, out := transformInputs(seed, g.maxInputs, g.keep)
	var errs []error
	for i, c := range in {
		op := g.ops[(i+seed.Round-1)%len(g.ops)]
		chunks := union(c.Contexts, seed.Chunks)
		pair, err := g.evolve(ctx, seed, c, op, chunks)
		if err != nil {
			if ctx.Err() != nil {
				return out, err
			}
			errs = append(errs, err)
			continue
		}
		cited := ResolveRefs(pair.Refs, chunks)
		if len(cited) == 0 {
			cited = chunks
		}
		v := NewSample(derivedName(c, evolveSpec.Name+":"+op), seed, pair.Question, pair.Answer, cited)
		v.Tags = c.Tags
		out = append(out, v)
	}
	if len(errs) == len(in) && len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

func (g *evolveGenerator) evolve(ctx context.Context, seed Seed, c dataset.Sample, op string, chunks []dataset.Chunk) (Pair, error) {
	var b strings.Builder
	b.WriteString("Help-centre excerpts:\n\n")
	b.WriteString(excerpts(chunks))
	fmt.Fprintf(&b, "\n\nA customer question and its answer:\nQuestion: %s\nAnswer: %s\n\n", strings.TrimSpace(c.Question), strings.TrimSpace(c.Answer))
	fmt.Fprintf(&b, "Rewrite the question into a new, harder one. %s Then write the answer to the new question using ONLY facts from the excerpts. If the excerpts cannot answer a harder version, make a smaller change that they do answer.\n", evolveOps[op])
	if q := strings.TrimSpace(seed.Failure.Question); q != "" {
		fmt.Fprintf(&b, "Do not copy or closely rephrase this question, which must not appear in the data: %q\n", clip(q, 300))
	}
	b.WriteString(feedbackBlock(seed))
	b.WriteString("\nReply with only this JSON object:\n")
	b.WriteString(`{"question": "...", "answer": "...", "chunk_ids": [1]}`)
	msgs := []llm.Message{{Role: llm.System, Content: systemPrompt}, {Role: llm.User, Content: b.String()}}
	var pair Pair
	err := askJSON(ctx, g.model, evolveSpec.Name, msgs, g.opts, seed.Round, func(text string) error {
		ps, err := ParsePairs(text)
		if err != nil {
			return err
		}
		pair = ps[0]
		return nil
	})
	return pair, err
}
