package generators

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func draftQuestions(ds []Draft) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Question
	}
	return out
}

func TestRankByTopic(t *testing.T) {
	drafts := []Draft{
		{Question: "How do I turn on 2FA?", Answer: "Go to Settings > Security and click Turn on."},
		{Question: "How much does Pro cost?", Answer: "Pro costs $8 per user per month, or $80 per user per year."},
		{Question: "What are the plans and prices?", Answer: "Free, Pro and Business. Pro costs $8 per user per month; Business costs $15 per user per month, billed annually. Storage and version history differ by plan."},
		{Question: "How do I export my data?", Answer: "Go to Settings > Account > Export data."},
		{Question: "How do I delete my account?", Answer: "Go to Settings > Account > Delete account."},
	}
	tests := []struct {
		name, topic string
		want        []string
	}{
		{"a price question: the focused answer first, the other topics dropped",
			"how much is pro? any discount if we pay yearly\nPro costs $8 per user per month or $80 per user per year.",
			[]string{"How much does Pro cost?", "What are the plans and prices?"}},
		{"an account question", "how do I close my account for good\nDelete your account at Settings > Account > Delete account.",
			[]string{"How do I delete my account?", "How do I export my data?"}},
		{"no topic keeps the order", "", draftQuestions(drafts)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := draftQuestions(rankByTopic(append([]Draft(nil), drafts...), tt.topic))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestBuiltinGenerateRanksByTheFailure(t *testing.T) {
	chunks := testChunks(t)
	g := &BuiltinGenerator{N: 3}
	seed := testSeed(chunks)
	seed.Failure.Question = "I never got the email to reset my password"
	seed.Failure.Gold = []string{"Check your spam folder; you can request up to 3 reset e-mails per hour."}
	out, err := g.Generate(context.Background(), seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || out[0].Question != "What should I do if I didn't get the reset e-mail?" {
		t.Fatalf("first candidates %q: want the section about the missing e-mail first", sampleQuestions(out))
	}
	for _, s := range out {
		if strings.Contains(s.Question, "refund") || strings.Contains(s.Question, "workspace") {
			t.Errorf("off-topic candidate %q for a reset e-mail failure", s.Question)
		}
	}
}

func TestTableDrafts(t *testing.T) {
	table := "| Plan | Price | Largest file |\n| --- | --- | --- |\n| Free | $0 | 250 MB |\n| **Pro** | $8 per user per month | 10 GB |\n|  | orphan | cell |"
	got := map[string]string{}
	for _, d := range tableDrafts(table, nil) {
		got[d.Question] = d.Answer
		if d.Kind != "table" {
			t.Errorf("kind %q", d.Kind)
		}
	}
	want := map[string]string{
		"How much does the Free plan cost?":           "Free plan: Price $0.",
		"What is the largest file for the Free plan?": "Free plan: Largest file 250 MB.",
		"How much does the Pro plan cost?":            "Pro plan: Price $8 per user per month.",
		"What is the largest file for the Pro plan?":  "Pro plan: Largest file 10 GB.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestItemDrafts(t *testing.T) {
	chunk := dataset.Chunk{ID: "s1", Doc: "storage.md", Heading: "How much storage do I get?",
		Text: "Your storage depends on your plan:\n\n- **Free:** 5 GB in total, with files up to 250 MB each.\n- **Pro:** 1 TB per user.\n- A line without a name.\n\n1. Step: not an item of a named list."}
	got := map[string]string{}
	for _, d := range (&BuiltinGenerator{}).Candidates([]dataset.Chunk{chunk}) {
		if d.Kind == "item" {
			got[d.Question] = d.Answer
		}
	}
	want := map[string]string{
		"Free: how much storage do I get?": "Free: 5 GB in total, with files up to 250 MB each.",
		"Pro: how much storage do I get?":  "Pro: 1 TB per user.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestContinues(t *testing.T) {
	tests := []struct {
		s, next string
		want    bool
	}{
		{"Short one.", "Anything at all follows.", true},
		{"If you sign in with Google, you don't have a Nimbus password to reset.", "Use Continue with Google on the sign-in page instead.", true},
		{"Reset links expire after 30 minutes and can be used only once.", "It cannot be extended by support in any case.", true},
		{"Reset links expire after 30 minutes and can be used only once.", "Support can't unlock your account any sooner.", false},
	}
	for _, tt := range tests {
		if got := continues(tt.s, tt.next); got != tt.want {
			t.Errorf("continues(%q, %q) = %v, want %v", tt.s, tt.next, got, tt.want)
		}
	}
}

func TestFindAliases(t *testing.T) {
	text := `# Protect your account with two-factor authentication (2FA)
Live chat is staffed 9 am to 6 pm Eastern Time (ET).
Business adds single sign-on (SAML) and the admin console.
Markdown (MD) files. Prices (USD) exclude tax. See (2FA) alone.`
	found := map[string]alias{}
	findAliases(text, found)
	got := map[string]string{}
	for k, a := range found {
		got[k] = a.long
	}
	want := map[string]string{"2FA": "two-factor authentication", "ET": "eastern time"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRephrase(t *testing.T) {
	found := map[string]alias{}
	findAliases("two-factor authentication (2FA); Eastern Time (ET)", found)
	var aliases []alias
	for _, a := range found {
		aliases = append(aliases, a)
	}
	sort.Slice(aliases, func(i, j int) bool { return aliases[i].short < aliases[j].short })
	tests := []struct {
		q    string
		want []string
	}{
		{"How do I turn on 2FA?", []string{"How do I turn on two-factor authentication?"}},
		{"Can I turn off two-factor authentication?", []string{"Can I turn off 2FA?"}},
		{"How do I protect my account with two-factor authentication (2FA)?", nil},
		{"What does 2FAX mean?", nil},
		{"How much does the Pro plan cost?", []string{"How much do I pay for the Pro plan?"}},
		{"How do I reset my password?", nil},
	}
	for _, tt := range tests {
		if got := rephrase(tt.q, aliases); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("rephrase(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestBuiltinParaphrasesStartWithDocAliases(t *testing.T) {
	c := dataset.Chunk{ID: "c1", Doc: "2fa.md", Heading: "Protect your account with two-factor authentication (2FA) > Turn on 2FA",
		Text: "1. Go to Settings > Security and click Turn on.\n2. Scan the QR code."}
	g := &BuiltinGenerator{Paraphrases: 2}
	var qs []string
	for _, d := range g.Candidates([]dataset.Chunk{c}) {
		if d.Kind == "paraphrase" {
			qs = append(qs, d.Question)
		}
	}
	if len(qs) == 0 || qs[0] != "Protect my account with two-factor authentication (2FA): how do I turn on two-factor authentication?" && qs[0] != "How do I turn on two-factor authentication?" {
		t.Fatalf("paraphrases %q: want the docs' long form of 2FA first", qs)
	}
	if g0 := (&BuiltinGenerator{Paraphrases: 0}); len(g0.Candidates([]dataset.Chunk{c})) != len(g.Candidates([]dataset.Chunk{c}))-len(qs) {
		t.Errorf("paraphrases: 0 still adds rewordings")
	}
}

func FuzzFindAliases(f *testing.F) {
	f.Add("two-factor authentication (2FA) and Eastern Time (ET)")
	f.Add("-- (AB) x-y (XY) (2) one two (12)")
	f.Add("a b c d e f g (ABCDEF)")
	f.Fuzz(func(t *testing.T, text string) {
		found := map[string]alias{}
		findAliases(text, found)
		for short, a := range found {
			if short != a.short || a.long == "" || !strings.Contains(strings.ToLower(text), strings.ToLower(a.long+" ("+short+")")) {
				t.Fatalf("alias %q -> %+v not defined in %q", short, a, text)
			}
			aliases := []alias{a}
			for _, q := range []string{text, "How do I turn on " + short + "?", "What is " + a.long + "?"} {
				for _, r := range rephrase(q, aliases) {
					if strings.TrimSpace(r) == "" {
						t.Fatalf("empty rewording of %q", q)
					}
				}
			}
		}
	})
}
