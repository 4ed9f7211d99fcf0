package validators

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

// decontEval is a slice of the example project's eval set.
var decontEval = []dataset.Item{
	{ID: "password-no-email", Question: "I've clicked forgot password like 4 times and I still havent recieved any email",
		Answers: []string{"Check your spam or junk folder and make sure you entered the address you signed up with. If you sign in with Google, you don't have a Nimbus password to reset: use Continue with Google instead. You can request up to 3 reset e-mails per hour, so after that wait an hour before trying again."}},
	{ID: "2fa-setup", Question: "How do I turn on 2-step verification for my account?",
		Answers: []string{"Go to Settings > Security > Two-factor authentication, click Turn on and enter your password. Scan the QR code with an authenticator app, type the 6-digit code it shows and click Verify, then save your 10 backup codes somewhere safe."}},
	{ID: "billing-pro-price", Question: "how much is pro? any discount if we pay yearly",
		Answers: []string{"Pro costs $8 per user per month billed monthly, or $80 per user per year billed annually, which works out to two months free."}},
}

func newTestDecontaminator(t *testing.T, params map[string]any, embed bool) Validator {
	t.Helper()
	deps := Deps{Eval: decontEval}
	if embed {
		e, err := retrieval.NewBuiltin(512)
		if err != nil {
			t.Fatal(err)
		}
		deps.Embedder = e
	}
	v, err := newDecontaminate(spec.NewParams("generate.stages[5]", params), deps)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecontaminate(t *testing.T) {
	const okAnswer = "Go to Settings > Security > Two-factor authentication and click Turn on."
	cases := []struct {
		name     string
		q, a     string
		embed    bool
		pass     bool
		inReason string
	}{
		{"verbatim eval question", "I've clicked forgot password like 4 times and I still havent recieved any email", okAnswer, false, false,
			"question too close to an eval question"},
		{"near-verbatim eval question", "I clicked forgot password 4 times and I still haven't received any email", okAnswer, false, false,
			"item password-no-email's question"},
		{"near-verbatim, reworded start", "How can I turn on 2-step verification on my account?", okAnswer, false, false,
			"ROUGE-L"},
		{"eval question inside a longer question", "Hi! How do I turn on 2-step verification for my account? My boss asked me to.", okAnswer, false, false,
			"8-gram overlap"},
		{"same topic, new question", "How do I turn on 2FA?", okAnswer, false, true, "no eval question or gold answer is close"},
		{"same topic, new question, with embedder", "Is there a way to add a second sign-in step to my account?", okAnswer, true, true, ""},
		{"gold answer copied", "What should I do after signing up?", decontEval[1].Answers[0], false, false,
			"answer too close to an eval gold answer"},
		{"gold answer near-copied", "What does Pro cost per year?", "Pro costs $8 per user per month billed monthly, or $80 per user per year billed annually, which is two months free.", false, false,
			"answer too close"},
		{"eval question echoed in the answer", "Where is the reset link?", "I've clicked forgot password like 4 times and I still havent recieved any email. Check your spam folder.", false, false,
			"answer too close to an eval question"},
		{"answer sharing one doc sentence with a gold answer", "How many reset e-mails can I ask for?", "You can request up to 3 reset e-mails per hour. If you've hit the limit, wait an hour and try again.", false, true, ""},
		{"verbatim eval question, with embedder", "How do I turn on 2-step verification for my account?", okAnswer, true, false, "question too close"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newTestDecontaminator(t, nil, c.embed)
			got, err := v.Validate(context.Background(), &dataset.Sample{Question: c.q, Answer: c.a})
			if err != nil {
				t.Fatal(err)
			}
			if got.Pass != c.pass || !strings.Contains(got.Reason, c.inReason) {
				t.Fatalf("pass=%v reason=%q; want pass=%v and a reason containing %q", got.Pass, got.Reason, c.pass, c.inReason)
			}
			if !got.Pass && len(got.Evidence) != 1 {
				t.Fatalf("evidence %v, want the eval item id", got.Evidence)
			}
		})
	}
}

func TestDecontaminateTuning(t *testing.T) {
	s := &dataset.Sample{Question: "How do I turn on 2FA?", Answer: "Go to Settings > Security."}
	strict := newTestDecontaminator(t, map[string]any{"question_rouge_l": 0.5}, false)
	if v, _ := strict.Validate(context.Background(), s); v.Pass {
		t.Fatalf("question_rouge_l 0.5 should block %q: %s", s.Question, v.Reason)
	}
	loose := newTestDecontaminator(t, map[string]any{"question_rouge_l": 1, "question_ngram": 1, "question_cosine": 1}, false)
	near := &dataset.Sample{Question: "How can I turn on 2-step verification on my account?", Answer: "Go to Settings > Security."}
	if v, _ := loose.Validate(context.Background(), near); !v.Pass {
		t.Fatalf("thresholds of 1 block only exact copies, but: %s", v.Reason)
	}
	exact := &dataset.Sample{Question: decontEval[1].Question, Answer: "Go to Settings > Security."}
	if v, _ := loose.Validate(context.Background(), exact); v.Pass {
		t.Fatal("thresholds of 1 must still block an exact copy")
	}
}

func TestDecontaminateParamErrors(t *testing.T) {
	cases := []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"question_rouge_l": 0}, "generate.stages[5].question_rouge_l: must be between 0.01 and 1, got 0"},
		{map[string]any{"ngram": 2}, "generate.stages[5].ngram: must be between 3 and 30, got 2"},
		{map[string]any{"enabled": false}, "generate.stages[5].enabled: unknown parameter"},
	}
	for _, c := range cases {
		_, err := newDecontaminate(spec.NewParams("generate.stages[5]", c.params), Deps{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.params, err, c.want)
		}
	}
}

func TestDecontaminateNoEvalItems(t *testing.T) {
	v, err := newDecontaminate(spec.NewParams("x", nil), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := v.Validate(context.Background(), &dataset.Sample{Question: "How?", Answer: "So."})
	if !got.Pass {
		t.Fatalf("no eval set: %+v", got)
	}
}

func TestNgramCoverage(t *testing.T) {
	h := func(s string) []uint64 { return tokenHashes(s) }
	cases := []struct {
		e, c string
		n    int
		want float64
	}{
		{"a1 b c d e f g h i j", "x b c d e y", 4, 0.4},   // b c d e covered: 4 of 10 words
		{"b c d e f", "z b c d e f z", 8, 1},              // shorter than n: whole text contained
		{"b c d e f", "z b c d e z", 8, 0},                // not contained
		{"b c d", "b c d", 8, 0},                          // under min_words (5): left to ROUGE-L
		{"p q r s t u v w", "p q x r s t u v w", 4, 0.75}, // r s t u v w
		{"p q r s t u v w", "p q r s t u v w", 4, 1},      // everything
	}
	for _, c := range cases {
		if got := ngramCoverage(h(c.e), h(c.c), c.n, 5); got != c.want {
			t.Errorf("coverage(%q, %q, %d) = %v, want %v", c.e, c.c, c.n, got, c.want)
		}
	}
}

// BenchmarkDecontaminate checks one generated row against an eval set of
// 1,000 items (no embedder): the cost per candidate in the generate loop.
func BenchmarkDecontaminate(b *testing.B) {
	var eval []dataset.Item
	for i := range 1000 {
		eval = append(eval, dataset.Item{ID: fmt.Sprint("item-", i),
			Question: fmt.Sprintf("How do I change setting number %d on my account when the app shows error %d?", i, i*7),
			Answers:  []string{fmt.Sprintf("Go to Settings > Advanced > Option %d, turn it off, then sign in again; the change takes %d minutes to apply on every device.", i, i%60)}})
	}
	v, err := newDecontaminate(spec.NewParams("x", nil), Deps{Eval: eval})
	if err != nil {
		b.Fatal(err)
	}
	s := &dataset.Sample{Question: "Is there a way to turn off two-factor authentication for my whole team?", Answer: "Go to Settings > Security > Two-factor authentication and click Turn off. Business admins can require it for every member."}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}
