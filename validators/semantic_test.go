package validators

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func TestSemantic(t *testing.T) {
	v := build(t, map[string]any{"type": "semantic"}, Deps{})
	gold := []string{"Live chat is staffed Monday to Friday, 9 am to 6 pm Eastern Time."}
	runCases(t, v, []verdictCase{
		{name: "same text", answer: gold[0], golds: gold, label: dataset.Correct, pass: true, reason: "cosine 1.00"},
		{name: "close rewording", answer: "Our live chat is open Monday to Friday, 9 am to 6 pm Eastern Time (ET).", golds: gold, label: dataset.Correct, pass: true},
		{name: "related", answer: "You can chat with us on weekdays.", golds: gold, label: dataset.Wrong},
		{name: "unrelated", answer: "Deleted items stay in Trash for 30 days.", golds: gold, label: dataset.Wrong},
		{name: "refusal", answer: "Sorry, I don't understand.", golds: gold, label: dataset.Wrong},
		{name: "best of several golds", answer: "Chat: weekdays 9 to 6 ET.", golds: []string{"Trash keeps items 30 days.", "Chat is open weekdays 9 to 6 ET."}, label: dataset.Correct, pass: true, reason: "best of 2"},
		{name: "no gold", answer: "anything", label: "", pass: true, reason: "no opinion"},
	})
	lax := build(t, map[string]any{"type": "semantic", "correct": 0.9, "partial": 0.2}, Deps{})
	runCases(t, lax, []verdictCase{
		{name: "partial band", answer: "Our live chat is open on weekdays.", golds: gold, label: dataset.Partial},
	})
}

// fixedEmbedder returns preset vectors by text.
type fixedEmbedder struct {
	vecs map[string][]float32
	err  error
}

func (f fixedEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]float32, len(texts))
	for i, s := range texts {
		out[i] = f.vecs[s]
	}
	return out, nil
}

func TestSemanticUsesProjectEmbedder(t *testing.T) {
	emb := fixedEmbedder{vecs: map[string][]float32{"a": {1, 0}, "b": {0.6, 0.8}, "c": {-1, 0}, "z": {0, 0}}}
	v := build(t, map[string]any{"type": "semantic", "correct": 0.9, "partial": 0.5}, Deps{Embedder: emb})
	runCases(t, v, []verdictCase{
		{name: "cosine 0.6", answer: "a", golds: []string{"b"}, label: dataset.Partial, reason: "cosine 0.60"},
		{name: "opposite is 0", answer: "a", golds: []string{"c"}, label: dataset.Wrong, reason: "cosine 0.00"},
		{name: "zero vector", answer: "z", golds: []string{"a"}, label: dataset.Wrong},
	})
	failing := build(t, map[string]any{"type": "semantic"}, Deps{Embedder: fixedEmbedder{err: errors.New("endpoint down")}})
	_, err := failing.Validate(context.Background(), &dataset.Sample{Answer: "a", References: []string{"b"}})
	if err == nil || !strings.Contains(err.Error(), "endpoint down") {
		t.Errorf("embedder error: %v", err)
	}
	if _, err := Builtin().Build("eval.validators[1]", map[string]any{"type": "semantic", "partial": 0.9, "correct": 0.5}, Deps{}); err == nil ||
		!strings.Contains(err.Error(), "eval.validators[1].partial: must not be above correct") {
		t.Errorf("thresholds: %v", err)
	}
}

func TestCosine(t *testing.T) {
	for _, tc := range []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 0}, []float32{1, 0}, 1},
		{[]float32{1, 0}, []float32{0, 1}, 0},
		{[]float32{3, 4}, []float32{6, 8}, 1},
		{[]float32{1, 0}, []float32{1}, 0},
		{nil, nil, 0},
	} {
		if got := Cosine(tc.a, tc.b); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
