package validators

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/llm/llmtest"
)

// judgeModel opens an OpenAI-compatible model against the fake server,
// with no retries of its own (the validators' retries are under test).
func judgeModel(t *testing.T, srv *llmtest.Server) llm.Model {
	t.Helper()
	cfg := llm.Config{Provider: llm.ProviderOpenAI, Model: "judge", BaseURL: srv.URL(), Timeout: 5 * time.Second, Concurrency: 2}
	m, err := llm.Open(context.Background(), "judge", cfg, llm.OpenOptions{
		LookupEnv: func(string) (string, bool) { return "", false },
		Sleep:     func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refundDocs is a help-doc chunk in the example project's style.
var refundDocs = []dataset.Chunk{{ID: "refunds", Doc: "billing/plans-and-billing.html", Heading: "Plans & billing > Cancel your plan and refunds",
	Text: "To cancel, go to Settings > Billing > Cancel plan. You keep your paid features until the end of the billing period you've paid for.\n\n" +
		"If you cancel an annual plan within 30 days of purchase, we refund it in full automatically. Monthly plans aren't refunded."}}

func judgeSample(answer string) *dataset.Sample {
	return &dataset.Sample{
		ID:         "billing-refund",
		Question:   "We bought a year of Pro last week. Can we get a refund?",
		Answer:     answer,
		References: []string{"Yes. If you cancel an annual plan within 30 days of purchase, we refund it in full automatically."},
		Contexts:   refundDocs,
	}
}

func TestJudgeChoices(t *testing.T) {
	tests := []struct {
		name, reply, answer string
		label               dataset.Label
		pass                bool
		reason              string
	}{
		{"A subset", `{"reasoning": "It omits the 30-day window.", "choice": "A"}`, "Yes, annual plans can be refunded.",
			dataset.Partial, false, "(A), a subset"},
		{"B superset supported by the docs", `{"reasoning": "Adds how to cancel.", "choice": "B"}`,
			"Yes: cancel at Settings > Billing > Cancel plan. If you cancel within 30 days of purchase, we refund the annual plan in full automatically.",
			dataset.Correct, true, "what it adds is in the help docs"},
		{"B superset with an invented extra", `{"reasoning": "Adds a refund form.", "choice": "B"}`,
			"Yes, within 30 days we refund annual plans in full. Fill in the form at https://nimbus.example/refund-request.",
			dataset.Hallucinated, false, "refund-request"},
		{"C same", `{"reasoning": "Same facts.", "choice": "C"}`, "Yes, annual plans cancelled within 30 days are refunded in full.",
			dataset.Correct, true, "(C)"},
		{"D disagree", `{"reasoning": "The expert says 30 days.", "choice": "D"}`, "Refunds are possible within 14 days.",
			dataset.Wrong, false, "(D), disagrees"},
		{"E unimportant", `{"reasoning": "Only wording differs.", "choice": "E"}`, "Sure! Cancel within a month of buying and you get all your money back.",
			dataset.Correct, true, "(E)"},
		{"lenient reply", "Let me think.\n```json\n{'reasoning': 'it doesn't say 30 days', 'choice': '(a)',}\n```\nDone.", "Yes, annual plans can be refunded.",
			dataset.Partial, false, "it doesn't say 30 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Handle(llmtest.Any(), llmtest.Text(tt.reply))
			v := build(t, map[string]any{"type": "judge"}, Deps{Judge: judgeModel(t, srv)})
			got, err := v.Validate(context.Background(), judgeSample(tt.answer))
			if err != nil {
				t.Fatal(err)
			}
			if got.Label != tt.label || got.Pass != tt.pass {
				t.Errorf("label %q pass %v, want %q %v (%s)", got.Label, got.Pass, tt.label, tt.pass, got.Reason)
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason %q lacks %q", got.Reason, tt.reason)
			}
			if srv.Count("/v1/chat/completions") != 1 {
				t.Errorf("%d judge calls, want 1", srv.Count("/v1/chat/completions"))
			}
		})
	}
}

func TestJudgePrompt(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.Any(), llmtest.JSON(map[string]string{"reasoning": "same", "choice": "C"}))
	v := build(t, map[string]any{"type": "judge"}, Deps{Judge: judgeModel(t, srv)})
	s := judgeSample("Yes, within 30 days of purchase.")
	s.References = append(s.References, "Annual plans are refunded within 30 days.")
	if _, err := v.Validate(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	reqs := srv.ChatRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	prompt := r.LastUser()
	for _, want := range []string{s.Question, s.References[0], s.References[1], s.Answer, "(A)", "(E)", `"choice"`, `"reasoning"`} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt)
		}
	}
	if strings.Index(prompt, `"reasoning"`) > strings.Index(prompt, `"choice"`) {
		t.Error("the prompt must ask for the reasoning before the choice")
	}
	if r.Temperature == nil || *r.Temperature != 0 {
		t.Errorf("temperature %v, want 0", r.Temperature)
	}
	if r.ResponseFormat == nil {
		t.Error("no response_format: JSON mode not requested")
	}
}

func TestJudgeMalformedReplies(t *testing.T) {
	t.Run("retried then error", func(t *testing.T) {
		srv := llmtest.NewServer(t)
		srv.Handle(llmtest.Any(), llmtest.Text("I think the answer is mostly fine."))
		v := build(t, map[string]any{"type": "judge", "retries": 2}, Deps{Judge: judgeModel(t, srv)})
		s := judgeSample("Yes.")
		_, err := v.Validate(context.Background(), s)
		if err == nil || !strings.Contains(err.Error(), "unreadable judge reply after 3 attempt(s)") {
			t.Fatalf("got %v, want an unreadable-reply error", err)
		}
		reqs := srv.ChatRequests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests, want 3 (1 + 2 retries)", len(reqs))
		}
		last := reqs[2].Messages
		if n := len(last); n != 5 || last[n-2].Role != "assistant" || !strings.Contains(last[n-1].Content, "Reply again with only this JSON object") {
			t.Errorf("retry does not carry the reply and a reminder: %+v", last)
		}
		// The policy labels the item error, never wrong.
		outs, err := Run(context.Background(), []Built{v}, s)
		if err != nil {
			t.Fatal(err)
		}
		if d := DefaultPolicy().Decide(outs); d.Label != dataset.Error {
			t.Errorf("policy label %q, want error", d.Label)
		}
	})
	t.Run("bad choice retried then good", func(t *testing.T) {
		srv := llmtest.NewServer(t)
		srv.Handle(llmtest.Any(), llmtest.Text(`{"reasoning": "x", "choice": "maybe"}`), llmtest.Text(`{"reasoning": "x", "choice": "D"}`))
		v := build(t, map[string]any{"type": "judge"}, Deps{Judge: judgeModel(t, srv)})
		got, err := v.Validate(context.Background(), judgeSample("No refunds."))
		if err != nil {
			t.Fatal(err)
		}
		if got.Label != dataset.Wrong || srv.Count("/v1/chat/completions") != 2 {
			t.Errorf("label %q after %d calls, want wrong after 2", got.Label, srv.Count("/v1/chat/completions"))
		}
	})
	t.Run("model failure is an error", func(t *testing.T) {
		srv := llmtest.NewServer(t)
		srv.Handle(llmtest.Any(), llmtest.Status(400, "bad request"))
		v := build(t, map[string]any{"type": "judge"}, Deps{Judge: judgeModel(t, srv)})
		if _, err := v.Validate(context.Background(), judgeSample("Yes.")); err == nil || !strings.Contains(err.Error(), "judge model") {
			t.Errorf("got %v", err)
		}
	})
}

func TestJudgeNoCall(t *testing.T) {
	srv := llmtest.NewServer(t)
	v := build(t, map[string]any{"type": "judge"}, Deps{Judge: judgeModel(t, srv)})
	noGold := judgeSample("Yes.")
	noGold.References = nil
	if got, _ := v.Validate(context.Background(), noGold); got.Label != "" || !got.Pass {
		t.Errorf("no gold: %+v", got)
	}
	if got, _ := v.Validate(context.Background(), judgeSample("  ")); got.Label != dataset.Wrong {
		t.Errorf("empty answer: %+v", got)
	}
	if n := srv.Requests(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestJudgeConfig(t *testing.T) {
	srv := llmtest.NewServer(t)
	m := judgeModel(t, srv)
	tests := []struct {
		name string
		cfg  map[string]any
		deps Deps
		want string
	}{
		{"no judge model", map[string]any{"type": "judge"}, Deps{}, "eval.validators[0]: the judge validator needs a judge model: set eval.judge"},
		{"bad template", map[string]any{"type": "judge", "prompt": "{{.Question"}, Deps{Judge: m}, "eval.validators[0].prompt: not a valid template"},
		{"retries range", map[string]any{"type": "judge", "retries": 20}, Deps{Judge: m}, "eval.validators[0].retries: must be between 0 and 10"},
		{"unknown key", map[string]any{"type": "judge", "repeat": 3}, Deps{Judge: m}, "eval.validators[0].repeat: unknown parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Builtin().Build("eval.validators[0]", tt.cfg, tt.deps)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	// A custom prompt is used as written.
	srv.Handle(llmtest.Any(), llmtest.Text(`{"reasoning": "ok", "choice": "C"}`))
	v := build(t, map[string]any{"type": "judge", "prompt": "Q={{.Question}} G={{.Gold}} A={{.Answer}} reply JSON"}, Deps{Judge: m})
	if _, err := v.Validate(context.Background(), judgeSample("Yes.")); err != nil {
		t.Fatal(err)
	}
	if got := srv.ChatRequests()[0].LastUser(); !strings.HasPrefix(got, "Q=We bought") || !strings.Contains(got, "A=Yes.") {
		t.Errorf("custom prompt: %q", got)
	}
}

func TestParseChoice(t *testing.T) {
	tests := []struct {
		in   any
		want string
		ok   bool
	}{
		{"C", "C", true}, {"(b)", "B", true}, {" e) same ", "E", true}, {"A.", "A", true}, {"Option D", "D", true},
		{"Disagree", "", false}, {"F", "", false}, {"", "", false}, {3.0, "", false}, {"Both", "", false},
	}
	for _, tt := range tests {
		got, ok := parseChoice(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseChoice(%v) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestExtractJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]any
	}{
		{"plain", `{"reasoning": "r", "choice": "C"}`, map[string]any{"reasoning": "r", "choice": "C"}},
		{"fenced with text", "Sure!\n```json\n{\"choice\": \"A\"}\n```\nHope this helps.", map[string]any{"choice": "A"}},
		{"single quotes and apostrophe", `{'reasoning': 'it doesn't matter', 'choice': 'E'}`, map[string]any{"reasoning": "it doesn't matter", "choice": "E"}},
		{"unquoted keys, trailing comma, python literals", `{reasoning: "x", supported: True, extra: None,}`, map[string]any{"reasoning": "x", "supported": true, "extra": nil}},
		{"stray quotes inside", `{"reasoning": "the docs say "30 days" here", "choice": "D"}`, map[string]any{"reasoning": `the docs say "30 days" here`, "choice": "D"}},
		{"raw newline and comment", "{\"reasoning\": \"line one\nline two\", // note\n \"choice\": \"B\"}", map[string]any{"reasoning": "line one\nline two", "choice": "B"}},
		{"last object wins", `Format: {"choice": "X"}. Answer: {"choice": "A", "n": [1, 2.5, {"k": false}]}`,
			map[string]any{"choice": "A", "n": []any{1.0, 2.5, map[string]any{"k": false}}}},
		{"curly quotes", `{“choice”: “C”}`, map[string]any{"choice": "C"}},
		{"escapes", `{"s": "a\"b\\c\u00e9\ud83d\ude00"}`, map[string]any{"s": "a\"b\\cé😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractJSON(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "no json here", "{", `{"a": }`, `{"a" "b"}`, "[1, 2]", `{"a": tru}`} {
		if got, err := extractJSON(bad); err == nil {
			t.Errorf("extractJSON(%q) = %v, want an error", bad, got)
		}
	}
}

func FuzzExtractJSON(f *testing.F) {
	f.Add(`{"reasoning": "r", "choice": "C"}`)
	f.Add("```json\n{'choice': 'a',}\n```")
	f.Add(`{"a": [1, {"b": null}], "c": "\u00e9\ud800"}`)
	f.Add(`{{{{{{{{{{"a": 1}`)
	f.Add(`{"s": "x" "y"}`)
	f.Add("{\"k\": \"\xff\xfe\"}")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := extractJSON(s)
		if err == nil && got == nil {
			t.Fatal("nil object without an error")
		}
		// Valid JSON objects decode exactly as encoding/json decodes them.
		var want map[string]any
		if json.Unmarshal([]byte(s), &want) == nil && want != nil {
			if err != nil {
				t.Fatalf("valid JSON %q: %v", s, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("valid JSON %q: got %#v, want %#v", s, got, want)
			}
		}
	})
}

// BenchmarkExtractJSON reads a typical fenced judge reply.
func BenchmarkExtractJSON(b *testing.B) {
	reply := "Here is my evaluation.\n```json\n{\"reasoning\": \"The submission gives the 30-day window and the automatic refund, like the expert answer; it adds nothing else.\", \"choice\": \"C\"}\n```"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := extractJSON(reply); err != nil {
			b.Fatal(err)
		}
	}
}
