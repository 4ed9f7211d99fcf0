package scratch

import (
	"context"
	"fmt"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

func TestBot(t *testing.T) {
	dir := t.TempDir()
	cfg := retrieval.DefaultConfig()
	cfg.Docs = []string{"docs/**/*.md", "docs/**/*.html", "docs/**/*.txt"}
	cfg.Store = dir + "/kb.gob.gz"
	kb, err := retrieval.Open("../../examples/support", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Index(context.Background()); err != nil {
		t.Fatal(err)
	}
	bot, err := llm.NewBuiltin(llm.BuiltinConfig{Threshold: 0.35}, kb.Search)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := dataset.ReadEvalSet("../../examples/support/evalset.jsonl")
	m, err := validators.Builtin().Build("v", map[string]any{"type": "match"}, validators.Deps{Eval: set.Items})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[dataset.Label]int{}
	for _, it := range set.Items {
		a, err := bot.Answer(context.Background(), it.Question, nil)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := m.Validate(context.Background(), &dataset.Sample{Question: it.Question, Answer: a.Text, References: it.Answers})
		lab := v.Label
		if a.Source == llm.SourceRefusal {
			lab = dataset.Refused
		}
		counts[lab]++
		fmt.Printf("%-24s %.2f %-8s %-8s %.2f\n   Q: %s\n   A: %s\n", it.ID, a.Confidence, a.Source, lab, v.Score, it.Question, a.Text)
	}
	fmt.Println(counts)
	_ = spec.Join
}
