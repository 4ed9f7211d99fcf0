package generators

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

func TestRegistryBuildErrors(t *testing.T) {
	cases := []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{}, "generate.stages[2].type: missing generator type (one of builtin, evolve, paraphrase, qa)"},
		{map[string]any{"type": "qaa"}, `generate.stages[2].type: unknown generator "qaa" (one of builtin, evolve, paraphrase, qa)`},
		{map[string]any{"type": "builtin", "n": -1}, "generate.stages[2].n: must be between 0 and 100, got -1"},
		{map[string]any{"type": "builtin", "paraphrase": 2}, "generate.stages[2].paraphrase: unknown parameter"},
		{map[string]any{"type": "builtin", "name": 3}, "generate.stages[2].name: must be a non-empty string"},
	}
	for _, c := range cases {
		_, err := Builtin().Build("generate.stages[2]", c.cfg, Deps{})
		var se *spec.Error
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &se) {
			t.Errorf("%v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestRegistryRenameAndKinds(t *testing.T) {
	r := Builtin()
	b, err := r.Build("x", map[string]any{"type": "builtin", "name": "docs"}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "docs" || b.Kind != Source {
		t.Fatalf("name %q kind %q", b.Name(), b.Kind)
	}
	out, err := b.Generate(context.Background(), testSeed(testChunks(t)[:1]))
	if err != nil || len(out) == 0 || out[0].Provenance.Generator != "docs" {
		t.Fatalf("renamed provenance: %v %v", out, err)
	}
	for name, kind := range map[string]Kind{"builtin": Source, "qa": Source, "paraphrase": Transform, "evolve": Transform} {
		e, ok := r.Lookup(name)
		if !ok || e.Kind != kind || e.Spec.Summary == "" || e.Spec.Example == "" {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if err := r.Register(Entry{Spec: spec.Spec{Name: "qa"}, Kind: Source, New: newQA}); err == nil {
		t.Error("registering qa twice must fail")
	}
	if err := NewRegistry().Register(Entry{Spec: spec.Spec{Name: "x"}, New: newQA}); err == nil {
		t.Error("an entry without a kind must fail")
	}
}

func TestFunc(t *testing.T) {
	g := Func("fixed", func(_ context.Context, s Seed) ([]dataset.Sample, error) {
		return []dataset.Sample{NewSample("fixed", s, " Q? ", " A. ", s.Chunks)}, nil
	})
	out, _ := g.Generate(context.Background(), testSeed(testChunks(t)[:2]))
	if g.Name() != "fixed" || out[0].Question != "Q?" || out[0].Answer != "A." || len(out[0].Provenance.Docs) != 2 || len(out[0].Provenance.Chunks) != 2 {
		t.Fatalf("%+v", out[0])
	}
}

func TestFailureTopic(t *testing.T) {
	f := Failure{Question: "forgot my password", Gold: []string{"Go to the reset page."}}
	if got := f.Topic(); got != "forgot my password\nGo to the reset page." {
		t.Fatalf("topic %q", got)
	}
	if got := (Failure{Question: "q"}).Topic(); got != "q" {
		t.Fatalf("topic %q", got)
	}
}
