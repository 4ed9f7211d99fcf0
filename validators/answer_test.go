package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// build makes a validator from a config entry through the built-in registry.
func build(t *testing.T, cfg map[string]any, deps Deps) Built {
	t.Helper()
	b, err := Builtin().Build("eval.validators[0]", cfg, deps)
	if err != nil {
		t.Fatalf("build %v: %v", cfg, err)
	}
	return b
}

// verdictCase is one table row for a validator.
type verdictCase struct {
	name     string
	answer   string
	golds    []string
	contexts []string
	label    dataset.Label
	pass     bool
	reason   string // a substring the reason must contain
}

func runCases(t *testing.T, v Validator, cases []verdictCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &dataset.Sample{Question: "q", Answer: tc.answer, References: tc.golds}
			for i, c := range tc.contexts {
				s.Contexts = append(s.Contexts, dataset.Chunk{ID: "c" + string(rune('0'+i)), Doc: "help.md", Text: c})
			}
			got, err := v.Validate(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if got.Label != tc.label || got.Pass != tc.pass {
				t.Errorf("label %q pass %v, want %q %v (score %.3f, reason %q)", got.Label, got.Pass, tc.label, tc.pass, got.Score, got.Reason)
			}
			if tc.reason != "" && !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", got.Reason, tc.reason)
			}
			if got.Score < 0 || got.Score > 1 || got.Score != got.Score {
				t.Errorf("score %v out of [0, 1]", got.Score)
			}
			if got.Validator != v.Name() {
				t.Errorf("verdict names %q, validator is %q", got.Validator, v.Name())
			}
		})
	}
}

func TestExact(t *testing.T) {
	runCases(t, build(t, map[string]any{"type": "exact"}, Deps{}), []verdictCase{
		{name: "equal after trim", answer: " Pro\n", golds: []string{"Pro"}, label: dataset.Correct, pass: true},
		{name: "case differs", answer: "pro", golds: []string{"Pro"}, label: dataset.Wrong},
		{name: "second gold", answer: "Team", golds: []string{"Pro", "Team"}, label: dataset.Correct, pass: true, reason: `"Team"`},
		{name: "longer", answer: "Pro plan", golds: []string{"Pro"}, label: dataset.Wrong},
		{name: "no gold", answer: "Pro", label: "", pass: true, reason: "no opinion"},
	})
}

func TestNormalized(t *testing.T) {
	runCases(t, build(t, map[string]any{"type": "normalized"}, Deps{}), []verdictCase{
		{name: "articles and punctuation", answer: "Eiffel tower.", golds: []string{"the Eiffel Tower"}, label: dataset.Correct, pass: true},
		{name: "unicode letters", answer: "CAFÉ", golds: []string{"café"}, label: dataset.Correct, pass: true},
		{name: "accents are not folded (SQuAD)", answer: "cafe", golds: []string{"café"}, label: dataset.Wrong},
		{name: "multiple golds", answer: "NYC", golds: []string{"New York City", "nyc"}, label: dataset.Correct, pass: true},
		{name: "longer answer", answer: "The Eiffel Tower in Paris", golds: []string{"Eiffel Tower"}, label: dataset.Wrong},
	})
}

func TestContains(t *testing.T) {
	anyMode := build(t, map[string]any{"type": "contains"}, Deps{})
	runCases(t, anyMode, []verdictCase{
		{name: "verbose correct", answer: "Bill Russell, with 11 NBA championships.", golds: []string{"Bill Russell"}, label: dataset.Correct, pass: true},
		{name: "whole words only", answer: "a category", golds: []string{"cat"}, label: dataset.Wrong},
		{name: "second gold", answer: "It is in Paris.", golds: []string{"London", "paris"}, label: dataset.Correct, pass: true, reason: `"paris"`},
		{name: "case folded", answer: "RMS TITANIC", golds: []string{"RMS Titanic"}, label: dataset.Correct, pass: true},
		{name: "not contained", answer: "Titan", golds: []string{"RMS Titanic"}, label: dataset.Wrong},
	})
	all := build(t, map[string]any{"type": "contains", "mode": "all"}, Deps{})
	runCases(t, all, []verdictCase{
		{name: "all", answer: "Manhattan and Brooklyn", golds: []string{"Manhattan", "Brooklyn"}, label: dataset.Correct, pass: true},
		{name: "some", answer: "Manhattan", golds: []string{"Manhattan", "Brooklyn"}, label: dataset.Partial, reason: "1 of 2"},
		{name: "none", answer: "Queens", golds: []string{"Manhattan", "Brooklyn"}, label: dataset.Wrong},
	})
	cs := build(t, map[string]any{"type": "contains", "case_sensitive": true}, Deps{})
	runCases(t, cs, []verdictCase{
		{name: "case kept", answer: "rms titanic", golds: []string{"RMS Titanic"}, label: dataset.Wrong},
		{name: "same case, article dropped", answer: "The RMS Titanic.", golds: []string{"RMS Titanic"}, label: dataset.Correct, pass: true},
	})
	if !Contains("The Eiffel Tower, Paris", "eiffel tower") || Contains("Eiffel", "Eiffel Tower") {
		t.Error("Contains")
	}
}

func TestRegex(t *testing.T) {
	runCases(t, build(t, map[string]any{"type": "regex", "pattern": `(?i)^\s*(yes|no)\b`}, Deps{}), []verdictCase{
		{name: "matches", answer: "Yes, you can.", label: dataset.Correct, pass: true, reason: `"Yes"`},
		{name: "no match", answer: "It depends.", label: dataset.Wrong},
	})
	runCases(t, build(t, map[string]any{"type": "regex", "pattern": `(?i)as an ai`, "negate": true}, Deps{}), []verdictCase{
		{name: "forbidden found", answer: "As an AI, I cannot.", label: dataset.Wrong, reason: "forbidden"},
		{name: "clean", answer: "Open Settings.", label: dataset.Correct, pass: true},
	})
}

func TestF1Validator(t *testing.T) {
	runCases(t, build(t, map[string]any{"type": "f1"}, Deps{}), []verdictCase{
		{name: "paraphrase with most words", answer: "Christopher Lloyd", golds: []string{"Christopher Allen Lloyd"}, label: dataset.Correct, pass: true, reason: "F1 0.80"},
		{name: "half", answer: "Lloyd", golds: []string{"Christopher Allen Lloyd", "Doc"}, label: dataset.Partial, reason: "best of 2"},
		{name: "wrong person", answer: "Michael J. Fox", golds: []string{"Christopher Allen Lloyd"}, label: dataset.Wrong},
		{name: "no gold", answer: "x", label: "", pass: true},
	})
	strict := build(t, map[string]any{"type": "f1", "threshold": 0.9}, Deps{})
	runCases(t, strict, []verdictCase{
		{name: "threshold alias", answer: "Christopher Lloyd", golds: []string{"Christopher Allen Lloyd"}, label: dataset.Partial},
	})
}

func TestRougeLValidator(t *testing.T) {
	v := build(t, map[string]any{"type": "rouge", "correct": 0.9, "partial": 0.5}, Deps{})
	runCases(t, v, []verdictCase{
		{name: "same order", answer: "Open Settings, then tap Delete account.", golds: []string{"open settings then tap delete account"}, label: dataset.Correct, pass: true},
		{name: "wrong order", answer: "Tap Delete account, then open Settings.", golds: []string{"open settings then tap delete account"}, label: dataset.Partial, reason: "ROUGE-L 0.50"},
		{name: "unrelated", answer: "Contact us.", golds: []string{"open settings then tap delete account"}, label: dataset.Wrong},
	})
}

func TestParamErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want []string
	}{
		{"threshold above 1", map[string]any{"type": "f1", "threshold": 1.5}, []string{"eval.validators[2].threshold: must be between 0 and 1, got 1.5"}},
		{"correct not a number", map[string]any{"type": "rouge_l", "correct": "high"}, []string{`eval.validators[2].correct: must be a number, got "high"`}},
		{"partial above correct", map[string]any{"type": "f1", "correct": 0.5, "partial": 0.7}, []string{"eval.validators[2].partial: must not be above correct (0.5), got 0.7"}},
		{"threshold and correct", map[string]any{"type": "f1", "correct": 0.5, "threshold": 0.7}, []string{"eval.validators[2].threshold: is an alias of correct"}},
		{"unknown key", map[string]any{"type": "f1", "corect": 0.5}, []string{"eval.validators[2].corect: unknown parameter"}},
		{"bad beta", map[string]any{"type": "rouge_l", "beta": 0}, []string{"eval.validators[2].beta: must be between 0.1 and 10"}},
		{"regex missing pattern", map[string]any{"type": "regex"}, []string{"eval.validators[2].pattern: is required"}},
		{"regex bad pattern", map[string]any{"type": "regex", "pattern": "a(b"}, []string{"eval.validators[2].pattern: invalid regular expression: error parsing regexp: missing closing )"}},
		{"contains bad mode", map[string]any{"type": "contains", "mode": "some"}, []string{`eval.validators[2].mode: must be one of any, all, got "some"`}},
		{"contains bad bool", map[string]any{"type": "contains", "case_sensitive": "maybe"}, []string{`eval.validators[2].case_sensitive: must be true or false`}},
		{"exact takes no params", map[string]any{"type": "exact", "x": 1}, []string{"eval.validators[2].x: unknown parameter"}},
		{"unknown type", map[string]any{"type": "f2"}, []string{`eval.validators[2].type: unknown validator "f2"`}},
		{"missing type", map[string]any{"correct": 1}, []string{"eval.validators[2].type: missing validator type"}},
		{"bad role", map[string]any{"type": "f1", "role": "judge"}, []string{"eval.validators[2].role: must be answer, check or data"}},
		{"two errors at once", map[string]any{"type": "f1", "correct": 2, "partial": -1}, []string{"eval.validators[2].correct: must be between 0 and 1", "eval.validators[2].partial: must be between 0 and 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Builtin().Build("eval.validators[2]", tt.cfg, Deps{})
			if err == nil {
				t.Fatalf("no error for %v", tt.cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestBuildNameAndRole(t *testing.T) {
	b := build(t, map[string]any{"type": "f1", "name": "f1-strict", "role": "check"}, Deps{})
	if b.Name() != "f1-strict" || b.Role != Check {
		t.Fatalf("name %q role %q", b.Name(), b.Role)
	}
	v, err := b.Validate(context.Background(), &dataset.Sample{Answer: "a", References: []string{"a b"}})
	if err != nil || v.Validator != "f1-strict" {
		t.Fatalf("verdict %+v, %v", v, err)
	}
}
