package validators

import (
	"context"
	"fmt"
	"sync"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

// Accepter is a stateful validator that must learn which samples were
// accepted (dedupe). The generate loop calls Accept for every sample it
// keeps, and — so that two near-identical rows accepted at the same time for
// different items cannot both pass — re-runs Validate and calls Accept under
// one lock that no other acceptance holds at the same time. Validate and
// Accept must be safe for concurrent use with each other.
type Accepter interface {
	Validator
	// Accept records s as accepted: later samples are compared with it.
	Accept(ctx context.Context, s *dataset.Sample) error
}

// AccepterOf returns the [Accepter] behind v (looking through a config
// rename), if v is one.
func AccepterOf(v Validator) (Accepter, bool) {
	switch x := v.(type) {
	case Built:
		return AccepterOf(x.Validator)
	case renamed:
		if a, ok := x.Validator.(Accepter); ok {
			return renamedAccepter{renamed: x, acc: a}, true
		}
		return nil, false
	case Accepter:
		return x, true
	}
	return nil, false
}

type renamedAccepter struct {
	renamed
	acc Accepter
}

func (r renamedAccepter) Accept(ctx context.Context, s *dataset.Sample) error {
	return r.acc.Accept(ctx, s)
}

var dedupeSpec = spec.Spec{
	Name:    "dedupe",
	Summary: "Data check: fails a sample that is a near-duplicate of a row already accepted in this run (ROUGE-L and embedding cosine).",
	Description: `Stateful: it remembers every row the generate loop accepted (see Accepter) and fails a
new sample whose text is too close to one of them — ROUGE-L over SQuAD-normalised words at
or above rouge_l, or, when the project has an embedder, embedding cosine at or above cosine.
field chooses the text compared: the question (the default: two rows asking the same thing
are duplicates even if the answers are worded differently), the answer, or both joined.

Acceptance is serialised by the loop, so two near-identical candidates written for
different failures at the same moment cannot both be kept; on --resume the rows already
written are registered again first.

Catches: "How can I reset my password?" after "How do I reset my password?" was accepted
(ROUGE-L 0.83 ≥ 0.8). Keeps "Is there a way to get a new reset link?" (ROUGE-L 0.55).`,
	Params: []spec.Param{
		{Name: "rouge_l", Type: "float", Default: "0.8", Description: "duplicate at this ROUGE-L or above (0..1]"},
		{Name: "cosine", Type: "float", Default: "0.95", Description: "duplicate at this embedding cosine or above, when the project has an embedder (0..1]"},
		{Name: "field", Type: "string", Default: "question", Description: "what to compare: question, answer or both"},
	},
	Needs:   []string{"embedder (optional)"},
	Example: "{type: dedupe, rouge_l: 0.8, cosine: 0.95, field: question}",
}

func dedupeEntry() Entry { return Entry{Spec: dedupeSpec, Role: Data, New: newDedupe} }

func newDedupe(p *spec.Params, deps Deps) (Validator, error) {
	v := &dedupeValidator{
		rouge:  p.FloatIn("rouge_l", 0.8, 0.01, 1),
		cosine: p.FloatIn("cosine", 0.95, 0.01, 1),
		field:  p.OneOf("field", "question", "question", "answer", "both"),
		embed:  deps.Embedder,
	}
	return v, p.Err()
}

type dedupeRow struct {
	id   string
	text string
	toks []uint64
	vec  []float32
}

type dedupeValidator struct {
	rouge, cosine float64
	field         string
	embed         retrieval.Embedder

	mu   sync.RWMutex
	rows []dedupeRow
}

func (*dedupeValidator) Name() string { return dedupeSpec.Name }

func (v *dedupeValidator) text(s *dataset.Sample) string {
	switch v.field {
	case "answer":
		return s.Answer
	case "both":
		return s.Question + "\n" + s.Answer
	}
	return s.Question
}

// prepare computes what rows are compared by.
func (v *dedupeValidator) prepare(ctx context.Context, s *dataset.Sample) (dedupeRow, error) {
	text := v.text(s)
	r := dedupeRow{id: s.ID, text: text, toks: tokenHashes(text)}
	if v.embed != nil {
		vec, err := retrieval.EmbedOne(ctx, v.embed, text)
		if err != nil {
			return r, fmt.Errorf("dedupe: embed: %w", err)
		}
		r.vec = vec
	}
	return r, nil
}

func (v *dedupeValidator) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := dedupeSpec.Name
	cand, err := v.prepare(ctx, s)
	if err != nil {
		return dataset.Verdict{}, err
	}
	t := getTokenizer()
	defer putTokenizer(t)
	v.mu.RLock()
	defer v.mu.RUnlock()
	closest := 0.0
	for _, r := range v.rows {
		rl := t.rougeL(cand.toks, r.toks, 1)
		cos := 0.0
		if cand.vec != nil && r.vec != nil && len(cand.vec) == len(r.vec) {
			cos = float64(retrieval.Dot(cand.vec, r.vec))
		}
		closest = max(closest, rl, cos)
		var measure string
		var value, limit float64
		switch {
		case rl >= v.rouge:
			measure, value, limit = "ROUGE-L", rl, v.rouge
		case cand.vec != nil && cos >= v.cosine:
			measure, value, limit = "cosine", cos, v.cosine
		default:
			continue
		}
		return dataset.Verdict{
			Validator: name, Score: clamp01(1 - value), Pass: false,
			Reason:   fmt.Sprintf("near-duplicate of an accepted row: %s %.2f ≥ %.2f with %s %s", measure, value, limit, r.id, quote(r.text)),
			Evidence: []string{r.id},
		}, nil
	}
	return dataset.Verdict{Validator: name, Score: clamp01(1 - closest), Pass: true,
		Reason: fmt.Sprintf("not a near-duplicate of the %d accepted rows (closest %.2f)", len(v.rows), closest)}, nil
}

// Accept remembers s as an accepted row.
func (v *dedupeValidator) Accept(ctx context.Context, s *dataset.Sample) error {
	r, err := v.prepare(ctx, s)
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.rows = append(v.rows, r)
	v.mu.Unlock()
	return nil
}
