package validators

import (
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// chunks is a fixed knowledge base for tests.
type chunks []dataset.Chunk

func (c chunks) Chunks() []dataset.Chunk { return c }

var helpDocs = chunks{
	{ID: "a1", Doc: "account.md", Heading: "Account > Delete", Text: "To delete your account, go to **Settings** > **Account** > **Delete account** and confirm. Deleted accounts are purged after 30 days."},
	{ID: "a2", Doc: "account.md", Heading: "Account > Password", Text: "Forgot your password? Open https://example.com/account/reset and follow the e-mail. Reset links expire after 24 hours."},
	{ID: "b1", Doc: "billing.md", Heading: "Billing > Refunds", Text: "Refunds are processed within 5 business days. The Pro plan costs $10/month. Open Settings → Billing → Invoices to download invoices."},
	{ID: "c1", Doc: "contact.md", Heading: "Contact", Text: "E-mail help@example.com or call +1 (800) 555-0199, Monday to Friday 9am to 5pm. Our status page is status.example.com. To change your e-mail, open Settings, choose Profile, then Email address."},
}

func TestLinks(t *testing.T) {
	v := build(t, map[string]any{"type": "links"}, Deps{Corpus: helpDocs})
	runCases(t, v, []verdictCase{
		{name: "no links", answer: "Refunds take 5 business days.", label: "", pass: true, reason: "no links"},
		{name: "documented url, other form", answer: "Go to HTTPS://www.example.com/account/reset/.", label: "", pass: true, reason: "1 reference(s) checked"},
		{name: "invented password-reset link", answer: "Reset it at https://example.com/reset-password.", label: dataset.Hallucinated, reason: `link "https://example.com/reset-password"`},
		{name: "parent of a documented page", answer: "See https://example.com/account", label: "", pass: true},
		{name: "documented domain and subdomain", answer: "Check status.example.com or example.com.", label: "", pass: true},
		{name: "invented subdomain", answer: "Check help.example.com.", label: dataset.Hallucinated, reason: `domain "help.example.com"`},
		{name: "email case", answer: "Write to Help@Example.com.", label: "", pass: true},
		{name: "invented email", answer: "Write to billing@example.com.", label: dataset.Hallucinated, reason: "billing@example.com"},
		{name: "phone in another format", answer: "Call 800-555-0199.", label: "", pass: true},
		{name: "invented phone", answer: "Call 800-555-0100.", label: dataset.Hallucinated, reason: "phone number"},
		{name: "documented menu path", answer: "Open Settings > Account > Delete account.", label: "", pass: true},
		{name: "part of a documented path", answer: "Go to Account > Delete account.", label: "", pass: true},
		{name: "arrows for the same path", answer: "Go to Settings > Billing > Invoices.", label: "", pass: true},
		{name: "invented menu path", answer: "Go to Settings > Billing > Refunds and click Request.", label: dataset.Hallucinated, reason: `menu path "Settings > Billing > Refunds"`},
		{name: "path described in prose", answer: "Go to Settings → Profile → Email address.", label: "", pass: true},
		{name: "steps in the wrong order", answer: "Go to Profile > Settings.", label: dataset.Hallucinated},
		{name: "in the gold answer", answer: "Use https://example.com/special.", golds: []string{"See https://example.com/special"}, label: "", pass: true},
		{name: "in the retrieved contexts", answer: "Use https://other.example.org/x.", contexts: []string{"Docs moved to https://other.example.org/x"}, label: "", pass: true},
		{name: "one good one bad", answer: "Email help@example.com or visit https://example.com/support/chat.", label: dataset.Hallucinated, reason: "https://example.com/support/chat"},
	})
	noDocs := build(t, map[string]any{"type": "links"}, Deps{})
	runCases(t, noDocs, []verdictCase{
		{name: "nothing to check against", answer: "See https://example.com/x.", label: "", pass: true, reason: "no opinion"},
	})
	onlyPaths := build(t, map[string]any{"type": "links", "kinds": []any{"path"}}, Deps{Corpus: helpDocs})
	runCases(t, onlyPaths, []verdictCase{
		{name: "urls not checked", answer: "See https://example.com/invented.", label: "", pass: true},
	})
	if _, err := Builtin().Build("eval.validators[3]", map[string]any{"type": "links", "kinds": []any{"url", "fax"}}, Deps{}); err == nil || !contains(err.Error(), `eval.validators[3].kinds[1]: unknown kind "fax"`) {
		t.Errorf("bad kind: %v", err)
	}
}

func TestNumbers(t *testing.T) {
	v := build(t, map[string]any{"type": "numbers"}, Deps{})
	refundGold := []string{"Refunds are processed within 5 business days."}
	ctx := []string{helpDocs[2].Text, helpDocs[0].Text}
	runCases(t, v, []verdictCase{
		{name: "no numbers", answer: "Open Settings.", golds: refundGold, label: "", pass: true, reason: "no numbers"},
		{name: "same number", answer: "Within 5 business days.", golds: refundGold, label: "", pass: true, reason: "agree"},
		{name: "wrong number", answer: "Refunds take 14 business days.", golds: refundGold, label: dataset.Wrong, reason: `"14 business days" but the gold answer says "5 business days"`},
		{name: "other unit, same duration", answer: "Refunds take 120 hours.", golds: refundGold, label: "", pass: true},
		{name: "spelled out", answer: "It takes five business days.", golds: refundGold, label: "", pass: true},
		{name: "spelled out and wrong", answer: "It takes thirty days.", golds: refundGold, label: dataset.Wrong, reason: "thirty days"},
		{name: "price forms", answer: "The Pro plan is 10 USD per month.", contexts: ctx, label: "", pass: true},
		{name: "wrong price against the docs", answer: "The Pro plan is $12/month.", contexts: ctx, label: dataset.Wrong, reason: `the docs (help.md) says "$10/month"`},
		{name: "24 hours = 1 day", answer: "Reset links expire after 1 day.", contexts: []string{helpDocs[1].Text}, label: "", pass: true},
		{name: "unrelated number", answer: "You can add 3 users.", golds: refundGold, contexts: ctx, label: "", pass: true, reason: "no opinion"},
		{name: "rounded", answer: "about 2.4 billion years", golds: []string{"2.45 billion years"}, label: "", pass: true},
		{name: "wrong year against gold", answer: "It ended in 1995.", golds: []string{"1994"}, label: dataset.Wrong},
		{name: "year in docs is not compared", answer: "It launched in 1995.", contexts: []string{"© 2024 Example Inc."}, label: "", pass: true},
		{name: "date against a month", answer: "On March 18, 1995.", golds: []string{"March 1995"}, label: "", pass: true},
		{name: "date against a year", answer: "On March 18, 1996.", golds: []string{"1995"}, label: dataset.Wrong, reason: "1995"},
		{name: "phone digits are not numbers", answer: "Call 800-555-0199 within 5 business days.", golds: refundGold, label: "", pass: true},
		{name: "bare number against a short gold", answer: "There are 29.", golds: []string{"216"}, label: dataset.Wrong, reason: `"29"`},
		{name: "bare number against a sentence", answer: "Step 2: open Settings.", golds: []string{"Open Settings, then tap Delete in step 3."}, label: "", pass: true},
		{name: "time of day", answer: "Support is open until 6pm.", contexts: []string{helpDocs[3].Text}, label: dataset.Wrong, reason: "6pm"},
	})
	goldOnly := build(t, map[string]any{"type": "numbers", "contexts": false}, Deps{})
	runCases(t, goldOnly, []verdictCase{
		{name: "contexts ignored", answer: "The Pro plan is $12/month.", contexts: ctx, label: "", pass: true},
	})
}

func TestDefaults(t *testing.T) {
	noDocs := Defaults(Available{})
	withDocs := Defaults(Available{Docs: true})
	if len(noDocs) == 0 || len(withDocs) <= len(noDocs) {
		t.Fatalf("defaults: %v / %v", noDocs, withDocs)
	}
	kinds := func(cfgs []map[string]any) map[string]bool {
		m := map[string]bool{}
		for _, c := range cfgs {
			m[c["type"].(string)] = true
		}
		return m
	}
	if k := kinds(noDocs); !k["match"] || k["links"] {
		t.Errorf("no docs: %v", k)
	}
	if k := kinds(withDocs); !k["match"] || !k["links"] || !k["numbers"] || !k["refusal"] {
		t.Errorf("with docs: %v", k)
	}
	// every default builds, offline, with what the project has
	for i, c := range withDocs {
		b, err := Builtin().Build(spec0(i), c, Deps{Corpus: helpDocs})
		if err != nil {
			t.Fatalf("default %v: %v", c, err)
		}
		if e, _ := Builtin().Lookup(c["type"].(string)); e.Role != b.Role {
			t.Errorf("role")
		}
	}
	// callers may modify what they get
	noDocs[0]["type"] = "changed"
	if Defaults(Available{})[0]["type"] == "changed" {
		t.Error("Defaults shares its maps")
	}
}

func spec0(i int) string { return "eval.validators[" + string(rune('0'+i)) + "]" }

// TestDefaultSetScenarios runs the default set with docs and the default
// policy over the support bot's typical answers.
func TestDefaultSetScenarios(t *testing.T) {
	var vs []Built
	for i, c := range Defaults(Available{Docs: true}) {
		b, err := Builtin().Build(spec0(i), c, Deps{Corpus: helpDocs})
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, b)
	}
	q := "How do I delete my account?"
	gold := []string{"Go to Settings > Account > Delete account and confirm."}
	tests := []struct {
		name, answer string
		want         dataset.Label
	}{
		{"paraphrase", "Open Settings, pick Account and press Delete account, then confirm.", dataset.Correct},
		{"helpful with contact support", "Go to Settings > Account > Delete account and confirm. Contact support if this doesn't work.", dataset.Correct},
		{"refusal", "Sorry, I don't understand. Please contact support.", dataset.Refused},
		{"invented menu path", "Go to Settings > Privacy > Delete account and confirm.", dataset.Hallucinated},
		{"invented link", "Go to Settings > Account > Delete account and confirm, or use https://example.com/delete-now.", dataset.Hallucinated},
		{"wrong number", "Go to Settings > Account > Delete account and confirm; the account is purged after 7 days.", dataset.Wrong},
		{"wrong answer", "Email us your password.", dataset.Wrong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &dataset.Sample{Question: q, Answer: tt.answer, References: gold, Contexts: []dataset.Chunk{helpDocs[0]}}
			outs, err := Run(t.Context(), vs, s)
			if err != nil {
				t.Fatal(err)
			}
			if d := DefaultPolicy().Decide(outs); d.Label != tt.want {
				t.Errorf("label %q (%s), want %q", d.Label, d.Reason, tt.want)
			}
		})
	}
}
