package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

func TestLength(t *testing.T) {
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }
	cases := []struct {
		name     string
		params   map[string]any
		q, a     string
		pass     bool
		inReason string
	}{
		{"within defaults", nil, "How do I reset my password?", "Go to Settings > Security.", true, "within bounds"},
		{"question too short", nil, "Password?", "Go to Settings > Security.", false, "question too short: 1 words (min 3)"},
		{"answer too short", nil, "How do I reset my password?", "Settings.", false, "answer too short"},
		{"answer too long", nil, "How do I reset my password?", words(301), false, "answer too long: 301 words (max 300)"},
		{"question too long", map[string]any{"question_max": 5}, words(6), "Go to Settings > Security.", false, "question too long"},
		{"both reported", map[string]any{"question_min": 4}, "Reset it?", "Yes.", false, "question too short: 2 words (min 4); answer too short"},
		{"custom bounds pass", map[string]any{"answer_min": 1}, "Can I export?", "Yes.", true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := newLength(spec.NewParams("generate.stages[1]", c.params), Deps{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Validate(context.Background(), &dataset.Sample{Question: c.q, Answer: c.a})
			if err != nil {
				t.Fatal(err)
			}
			if got.Pass != c.pass || !strings.Contains(got.Reason, c.inReason) {
				t.Fatalf("pass=%v reason=%q; want pass=%v and a reason containing %q", got.Pass, got.Reason, c.pass, c.inReason)
			}
			if got.Label != "" {
				t.Fatalf("a data validator gave label %q", got.Label)
			}
		})
	}
}

func TestLengthParamErrors(t *testing.T) {
	cases := []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"question_min": 10, "question_max": 5}, "generate.stages[2].question_min: must not be above question_max (5), got 10"},
		{map[string]any{"answer_max": 0}, "generate.stages[2].answer_max: must be between 1 and 1000000, got 0"},
		{map[string]any{"answer_maxx": 3}, "generate.stages[2].answer_maxx: unknown parameter"},
	}
	for _, c := range cases {
		_, err := newLength(spec.NewParams("generate.stages[2]", c.params), Deps{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("params %v: err = %v, want %q", c.params, err, c.want)
		}
	}
}
