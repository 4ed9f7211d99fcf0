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

func TestGrid(t *testing.T) {
	dir := t.TempDir()
	cfg := retrieval.DefaultConfig()
	cfg.Docs = []string{"docs/**/*.md", "docs/**/*.html", "docs/**/*.txt"}
	cfg.Store = dir + "/kb.gob.gz"
	kb, _ := retrieval.Open("../../examples/support", cfg)
	kb.Index(context.Background())
	set, _ := dataset.ReadEvalSet("../../examples/support/evalset.jsonl")
	m, _ := validators.Builtin().Build("v", map[string]any{"type": "match"}, validators.Deps{Eval: set.Items})
	for _, w := range [][4]float64{{0.6,0,0.25,0.15},{0.55,0.15,0.2,0.1},{0.5,0.1,0.25,0.15},{0.6,0.1,0.2,0.1},{0.7,0,0.2,0.1},{0.5,0,0.3,0.2}} {
		llm.SetWeights(w[0],w[1],w[2],w[3])
		for _, th := range []float64{0.3, 0.35, 0.4} {
		bot, _ := llm.NewBuiltin(llm.BuiltinConfig{Threshold: th}, kb.Search)
		counts := map[dataset.Label]int{}
		s := ""
		for _, it := range set.Items {
			a, _ := bot.Answer(context.Background(), it.Question, nil)
			v, _ := m.Validate(context.Background(), &dataset.Sample{Question: it.Question, Answer: a.Text, References: it.Answers})
			lab := v.Label
			if a.Source == llm.SourceRefusal { lab = dataset.Refused }
			counts[lab]++
			s += string(lab[0])
		}
		fmt.Println(w, th, counts, s)
		}
	}
}

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
		cs, _ := kb.Search(context.Background(), it.Question, 4)
		defer fmt.Print(it.ID, "\n", llm.DebugScores(it.Question, cs))
		fmt.Printf("%-24s %.2f %-8s %-8s %.2f\n   Q: %s\n   A: %s\n", it.ID, a.Confidence, a.Source, lab, v.Score, it.Question, a.Text)
	}
	fmt.Println(counts)
	_ = spec.Join
}
