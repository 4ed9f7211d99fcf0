package validators

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/spec"
)

func answerableJudge(t *testing.T, srv *llmtest.Server) llm.Model {
	t.Helper()
	m, err := llm.Open(context.Background(), "judge", llm.Config{Provider: llm.ProviderOpenAI, Model: "llmtest", BaseURL: srv.URL(), Timeout: 5 * time.Second, MaxRetries: 1},
		llm.OpenOptions{LookupEnv: func(string) (string, bool) { return "sk-test", true }, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAnswerable(t *testing.T) {
	chunks := []dataset.Chunk{{ID: "c1", Doc: "docs/billing.md", Heading: "Payment methods", Text: "We accept Visa, Mastercard, American Express and PayPal."}}
	cases := []struct {
		name     string
		replies  []llmtest.Reply
		contexts []dataset.Chunk
		pass     bool
		err      string
		inReason string
		calls    int
	}{
		{"answerable", []llmtest.Reply{llmtest.Text(`{"reasoning": "PayPal is listed.", "answerable": true}`)}, chunks, true, "", "answerable from its chunks: PayPal is listed.", 1},
		{"not answerable", []llmtest.Reply{llmtest.Text("```json\n{\"reasoning\": \"Bitcoin is not mentioned.\", \"answerable\": false}\n```")}, chunks, false, "", "not answerable from its chunks: Bitcoin is not mentioned.", 1},
		{"string verdict", []llmtest.Reply{llmtest.Text(`{"answerable": "yes"}`)}, chunks, true, "", "", 1},
		{"malformed then good", []llmtest.Reply{llmtest.Text("I think so"), llmtest.Text(`{"answerable": false, "reasoning": "no"}`)}, chunks, false, "", "not answerable", 2},
		{"malformed every time", []llmtest.Reply{llmtest.Text(`{"answerable": "maybe"}`)}, chunks, false, "unreadable judge reply after 3 attempt(s)", "", 3},
		{"no chunks", nil, nil, false, "", "has no help-doc chunks", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			rule := srv.Handle(llmtest.Any(), c.replies...)
			v, err := newAnswerable(spec.NewParams("generate.stages[3]", nil), Deps{Judge: answerableJudge(t, srv)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Validate(context.Background(), &dataset.Sample{Question: "Can I pay with Bitcoin or PayPal?", Answer: "PayPal, yes.", Contexts: c.contexts})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got.Pass != c.pass || !strings.Contains(got.Reason, c.inReason) {
				t.Fatalf("pass=%v reason=%q", got.Pass, got.Reason)
			}
			if rule.Calls() != c.calls {
				t.Fatalf("%d judge calls, want %d", rule.Calls(), c.calls)
			}
			if c.calls > 0 {
				req := srv.ChatRequests()[0]
				if req.ResponseFormat == nil || !strings.Contains(req.LastUser(), "[1] docs/billing.md — Payment methods") || !strings.Contains(req.LastUser(), "Customer question: Can I pay with Bitcoin or PayPal?") {
					t.Fatalf("request %+v\n%s", req.ResponseFormat, req.LastUser())
				}
			}
		})
	}
}

func TestAnswerableNeedsJudge(t *testing.T) {
	_, err := newAnswerable(spec.NewParams("generate.stages[3]", nil), Deps{})
	var se *spec.Error
	if !errors.As(err, &se) || se.Path != "generate.stages[3].type" || !strings.Contains(err.Error(), "needs a judge model") {
		t.Fatalf("err = %v", err)
	}
	_, err = newAnswerable(spec.NewParams("generate.stages[3]", map[string]any{"retries": 20}), Deps{})
	if err == nil || !strings.Contains(err.Error(), "generate.stages[3].retries: must be between 0 and 10") {
		t.Fatalf("err = %v", err)
	}
}
