package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

func TestFormat(t *testing.T) {
	const goodA = "Go to Settings > Security > Change password, enter your current password and click Save."
	cases := []struct {
		name     string
		params   map[string]any
		q, a     string
		pass     bool
		inReason string
	}{
		{"question", nil, "How do I change my password?", goodA, true, "well-formed"},
		{"request without a question mark", nil, "forgot my password, what do i do", goodA, true, ""},
		{"problem statement", nil, "my 2FA code isn't accepted", goodA, true, ""},
		{"help request", nil, "Help me change my password please", goodA, true, ""},
		{"topic only", nil, "Password change", goodA, false, "not a question or a request"},
		{"topic only allowed", map[string]any{"require_question": false}, "Password change", goodA, true, ""},
		{"empty question", nil, "  ", goodA, false, "empty question"},
		{"empty answer", nil, "How do I change my password?", "", false, "empty answer"},
		{"template braces", nil, "How do I {{action}}?", goodA, false, "generation artefact in the question"},
		{"json left in answer", nil, "How do I change my password?", `{"answer": "Go to Settings"}`, false, "generation artefact in the answer"},
		{"code fence", nil, "How do I change my password?", "```\nGo to Settings\n```", false, "generation artefact"},
		{"chat token", nil, "How do I change my password?<|im_end|>", goodA, false, "generation artefact"},
		{"Q label", nil, "Q: How do I change my password?", goodA, false, "generation artefact"},
		{"excerpt citation", nil, "How do I change my password?", "According to the excerpts, go to Settings.", false, "generation artefact"},
		{"numbered citation", nil, "How do I change my password?", "Go to Settings > Security [2].", false, "generation artefact"},
		{"as an AI", nil, "How do I change my password?", "As an AI language model, I suggest Settings > Security.", false, "speaks as a model"},
		{"refusal", nil, "How do I change my password?", "Sorry, I don't know. Please contact support.", false, "the answer is a refusal"},
		{"helpful answer ending with a deflection", nil, "How do I change my password?", goodA + " Contact support if it still fails.", true, ""},
		{"answer repeats question", nil, "How do I change my password?", "How do I change my password?", false, "repeats the question"},
		{"extra artefact", map[string]any{"artefacts": []any{"lorem ipsum"}}, "How do I change my password?", "Lorem Ipsum dolor sit amet.", false, `"lorem ipsum"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := newFormat(spec.NewParams("generate.stages[1]", c.params), Deps{})
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
		})
	}
}

func TestFormatParamErrors(t *testing.T) {
	_, err := newFormat(spec.NewParams("generate.stages[0]", map[string]any{"artefacts": []any{""}, "strict": true}), Deps{})
	for _, want := range []string{"generate.stages[0].artefacts[0]: must not be empty", "generate.stages[0].strict: unknown parameter"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
