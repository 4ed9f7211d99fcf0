package validators

import (
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func TestRefusal(t *testing.T) {
	gold := []string{"Open Settings > Account > Delete account and confirm."}
	v := build(t, map[string]any{"type": "refusal"}, Deps{})
	runCases(t, v, []verdictCase{
		{name: "classic", answer: "Sorry, I don't understand.", golds: gold, label: dataset.Refused, reason: "i don't understand"},
		{name: "refusal and deflection", answer: "Sorry, I don't understand. Please contact support.", golds: gold, label: dataset.Refused},
		{name: "deflection only", answer: "Please contact support for help with your account.", golds: gold, label: dataset.Refused, reason: "contact support"},
		{name: "curly apostrophe", answer: "I’m not sure.", golds: gold, label: dataset.Refused},
		{name: "no information", answer: "I don't have information about that. Is there anything else I can help with?", golds: gold, label: dataset.Refused},
		{name: "bare unknown", answer: "Unknown.", golds: gold, label: dataset.Refused},
		{name: "helpful answer ending with contact support", answer: "Go to Settings > Account > Delete account and confirm. Contact support if this doesn't work.", golds: gold, label: "", pass: true, reason: "no refusal"},
		{name: "helpful answer ending with let me know", answer: "Open Settings, choose Account, then Delete account. Let me know if you need help!", golds: gold, label: "", pass: true},
		{name: "hedge that answers", answer: "I'm not sure, but I think it is under Settings > Account.", golds: gold, label: "", pass: true},
		{name: "no access but answers", answer: "I don't have access to your account; you can delete it in Settings.", golds: gold, label: "", pass: true},
		{name: "plain answer", answer: "Delete it from the Account page.", golds: gold, label: "", pass: true},
		{name: "unanswerable question", answer: "Sorry, I don't know.", golds: nil, label: "", pass: true, reason: "no gold answer"},
		{name: "gold is itself a deflection", answer: "Please contact support.", golds: []string{"Contact support to change your legal name."}, label: "", pass: true, reason: "as the gold answer does"},
		{name: "deflection carrying the gold", answer: "Please contact support at help@example.com.", golds: []string{"Email help@example.com"}, label: "", pass: true, reason: "carries the gold answer"},
		{name: "an apology that answers", answer: "Sorry, I see why that is confusing: it is under Settings > Account.", golds: gold, label: "", pass: true},
		{name: "you-statement is not a refusal", answer: "If you don't know your password, use Forgot password.", golds: gold, label: "", pass: true},
	})
	custom := build(t, map[string]any{"type": "refusal", "phrases": []any{"that is outside my scope"}, "deflections": []any{"call our hotline"}}, Deps{})
	runCases(t, custom, []verdictCase{
		{name: "extra phrase", answer: "That is outside my scope.", golds: gold, label: dataset.Refused},
		{name: "extra deflection", answer: "Please call our hotline.", golds: gold, label: dataset.Refused},
		{name: "built-ins kept", answer: "I don't know.", golds: gold, label: dataset.Refused},
	})
}

func TestRefusalParamErrors(t *testing.T) {
	_, err := Builtin().Build("eval.validators[1]", map[string]any{"type": "refusal", "phrases": []any{"ok", " "}}, Deps{})
	if err == nil || !contains(err.Error(), "eval.validators[1].phrases[1]: must not be empty") {
		t.Fatalf("got %v", err)
	}
	_, err = Builtin().Build("eval.validators[1]", map[string]any{"type": "refusal", "phrases": 3}, Deps{})
	if err == nil || !contains(err.Error(), "eval.validators[1].phrases: must be a list of strings") {
		t.Fatalf("got %v", err)
	}
}

func TestClauses(t *testing.T) {
	got := clauses("i'm not sure, but it is in settings. contact support if needed!")
	want := []string{"i'm not sure,", "but it is in settings", "contact support if needed"}
	if len(got) != len(want) {
		t.Fatalf("clauses = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("clauses = %q, want %q", got, want)
		}
	}
}

func FuzzRefusal(f *testing.F) {
	for _, s := range []string{"Sorry, I don't understand.", "Please contact support", "I'm not sure, but", "Unknown", "", "i don't know; however", "’‘`"} {
		f.Add(s)
	}
	v := build(&testing.T{}, map[string]any{"type": "refusal"}, Deps{}).Validator.(*refusalValidator)
	f.Fuzz(func(t *testing.T, s string) {
		refused, _ := v.Refuses(s)
		if !refused {
			return
		}
		// content after a refusal makes it an answer
		if again, _ := v.Refuses(s + ". Open the Billing page and click Download invoice."); again {
			t.Fatalf("%q plus content is still a refusal", s)
		}
	})
}
