package validators

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

func TestDedupe(t *testing.T) {
	emb, err := retrieval.NewBuiltin(512)
	if err != nil {
		t.Fatal(err)
	}
	accepted := &dataset.Sample{ID: "r1", Question: "How do I reset my password?", Answer: "Go to https://nimbus.example/reset."}
	cases := []struct {
		name     string
		params   map[string]any
		embed    bool
		q, a     string
		pass     bool
		inReason string
	}{
		{"identical", nil, false, "How do I reset my password?", "Other words.", false, "near-duplicate of an accepted row: ROUGE-L 1.00 ≥ 0.80 with r1"},
		{"near-identical", nil, false, "How can I reset my password?", "x y z", false, "ROUGE-L 0.83"},
		{"near-identical by embedding", map[string]any{"rouge_l": 1}, true, "how can I reset my password", "x y z", false, "cosine"},
		{"different question", nil, true, "Is there a way to get a new reset link?", "x y z", true, "not a near-duplicate of the 1 accepted rows"},
		{"same question, answers compared", map[string]any{"field": "answer"}, false, "How do I reset my password?", "Write to support@nimbus.example.", true, ""},
		{"same answer, answers compared", map[string]any{"field": "answer"}, false, "Where is the reset page?", "Go to https://nimbus.example/reset.", false, "near-duplicate"},
		{"both fields", map[string]any{"field": "both"}, false, "How can I reset my password?", "Go to https://nimbus.example/reset.", false, "near-duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			deps := Deps{}
			if c.embed {
				deps.Embedder = emb
			}
			v, err := newDedupe(spec.NewParams("generate.stages[4]", c.params), deps)
			if err != nil {
				t.Fatal(err)
			}
			acc, ok := AccepterOf(v)
			if !ok {
				t.Fatal("dedupe is not an Accepter")
			}
			if err := acc.Accept(context.Background(), accepted); err != nil {
				t.Fatal(err)
			}
			got, err := v.Validate(context.Background(), &dataset.Sample{ID: "r2", Question: c.q, Answer: c.a})
			if err != nil {
				t.Fatal(err)
			}
			if got.Pass != c.pass || !strings.Contains(got.Reason, c.inReason) {
				t.Fatalf("pass=%v reason=%q; want pass=%v and a reason containing %q", got.Pass, got.Reason, c.pass, c.inReason)
			}
		})
	}
}

// TestDedupeKeepsOneOfTwo: of two near-identical rows, the first accepted
// one passes and the second is rejected.
func TestDedupeKeepsOneOfTwo(t *testing.T) {
	v, err := newDedupe(spec.NewParams("x", nil), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := AccepterOf(v)
	rows := []*dataset.Sample{
		{ID: "a", Question: "How do I turn on 2FA?", Answer: "Settings > Security."},
		{ID: "b", Question: "How do I turn on 2FA ?", Answer: "Go to Settings > Security."},
	}
	var kept []string
	for _, r := range rows {
		got, err := v.Validate(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if got.Pass {
			kept = append(kept, r.ID)
			if err := acc.Accept(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(kept) != 1 || kept[0] != "a" {
		t.Fatalf("kept %v, want [a]", kept)
	}
}

// TestDedupeConcurrent runs Validate and Accept from many goroutines (run
// with -race).
func TestDedupeConcurrent(t *testing.T) {
	v, err := newDedupe(spec.NewParams("x", nil), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := AccepterOf(v)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				s := &dataset.Sample{ID: fmt.Sprint(i, j), Question: fmt.Sprintf("Question %d about topic %d?", j, i), Answer: "x"}
				if _, err := v.Validate(context.Background(), s); err != nil {
					t.Error(err)
				}
				if err := acc.Accept(context.Background(), s); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(v.(*dedupeValidator).rows); n != 160 {
		t.Fatalf("%d rows remembered, want 160", n)
	}
}

func TestAccepterOfRenamed(t *testing.T) {
	v, _ := newDedupe(spec.NewParams("x", nil), Deps{})
	b := Built{Validator: renamed{Validator: v, name: "dedupe-strict"}, Role: Data}
	acc, ok := AccepterOf(b)
	if !ok || acc.Name() != "dedupe-strict" {
		t.Fatalf("AccepterOf(renamed) = %v, %v", acc, ok)
	}
	if _, ok := AccepterOf(lengthValidator{}); ok {
		t.Fatal("length is not an Accepter")
	}
}

// BenchmarkDedupe checks one row against 1,000 accepted rows (no embedder).
func BenchmarkDedupe(b *testing.B) {
	v, _ := newDedupe(spec.NewParams("x", nil), Deps{})
	acc, _ := AccepterOf(v)
	for i := range 1000 {
		_ = acc.Accept(context.Background(), &dataset.Sample{ID: fmt.Sprint(i), Question: fmt.Sprintf("How do I change setting %d on my account?", i)})
	}
	s := &dataset.Sample{Question: "Is there a way to turn off two-factor authentication for my team?"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}
