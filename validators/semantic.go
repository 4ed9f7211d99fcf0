package validators

import (
	"context"
	"fmt"
	"math"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

var semanticSpec = spec.Spec{
	Name:    "semantic",
	Summary: "Embedding cosine similarity between the answer and the best gold answer.",
	Description: `Embeds the answer and every gold answer with the project's embedder (knowledge.embedder;
when there is none, the offline builtin embedder: hashed words and character n-grams) and
takes the best cosine similarity. A similarity at or above correct is correct, at or above
partial is partial, else wrong.

The thresholds depend on the embedder: model embedders (OpenAI, Ollama) give related
sentences 0.7–0.9; the builtin hashed embedder measures shared words and word pieces, so
a paraphrase with other words scores lower (0.4–0.6) and the defaults fit it. Calibrate
them for your embedder with synth check.

Catches: gold "Reset links expire after 30 minutes", answer "The reset link is only valid
for half an hour" with a model embedder -> correct, where token F1 is low. It does not
see a wrong number: "expire after 24 hours" is as close as "after 30 minutes" (use the
numbers validator with it).`,
	Needs:   []string{"embedder"},
	Params:  thresholdParams(0.8, 0.5),
	Example: "{type: semantic, correct: 0.8, partial: 0.5}",
}

func semanticEntry() Entry { return Entry{Spec: semanticSpec, Role: Answer, New: newSemantic} }

// semanticDim is the dimension of the builtin embedder the validator falls
// back to when the project configures none.
const semanticDim = 1024

func newSemantic(p *spec.Params, deps Deps) (Validator, error) {
	v := &semanticValidator{th: readThresholds(p, 0.8, 0.5), emb: deps.Embedder}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if v.emb == nil {
		b, err := retrieval.NewBuiltin(semanticDim)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Path(), err)
		}
		v.emb = b
	}
	return v, nil
}

type semanticValidator struct {
	th  thresholds
	emb retrieval.Embedder
}

func (*semanticValidator) Name() string { return semanticSpec.Name }

func (v *semanticValidator) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := semanticSpec.Name
	if len(s.References) == 0 {
		return noGold(name), nil
	}
	texts := append([]string{s.Answer}, s.References...)
	vecs, err := v.emb.Embed(ctx, texts)
	if err != nil {
		return dataset.Verdict{}, fmt.Errorf("semantic: embed: %w", err)
	}
	if len(vecs) != len(texts) {
		return dataset.Verdict{}, fmt.Errorf("semantic: embed: %d vectors for %d texts", len(vecs), len(texts))
	}
	best, at := 0.0, 0
	for i, g := range vecs[1:] {
		if c := Cosine(vecs[0], g); c > best {
			best, at = c, i
		}
	}
	return v.th.verdict(name, best, scoreReason("cosine", best, s.References, at)), nil
}

// Cosine returns the cosine similarity of a and b, clamped to [0, 1] (an
// opposite direction counts as unrelated); 0 when either is zero or their
// lengths differ.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return clamp01(dot / math.Sqrt(na*nb))
}
