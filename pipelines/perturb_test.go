package pipelines

import (
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// nimbusDocs is a tiny help centre for perturbation and check tests.
var nimbusDocs = []dataset.Chunk{
	{ID: "c1", Doc: "docs/reset.md", Heading: "Reset your password", Text: "Go to https://nimbus.example/reset and enter your e-mail. Reset links expire after 30 minutes and work once. You can ask for up to 3 reset e-mails per hour."},
	{ID: "c2", Doc: "docs/email.md", Heading: "Change your e-mail address", Text: "Open Settings > Account > Email address, type the new address and click Save. The confirmation link expires after 24 hours."},
	{ID: "c3", Doc: "docs/support.md", Heading: "Contact support", Text: "E-mail support@nimbus.example; we reply within 1 business day. Chat is open 9 am to 6 pm ET. Call +1 (415) 555-0142 on Business plans."},
	{ID: "c4", Doc: "docs/trash.md", Heading: "Trash", Text: "Deleted files stay in Trash for 30 days and count towards your 5 GB of storage. Open Settings > Storage > Trash to empty it."},
}

func TestChangeNumber(t *testing.T) {
	p := &Perturber{Docs: nimbusDocs}
	p.index(nil)
	cases := []struct {
		in, want, change string
	}{
		{"Reset links expire after 30 minutes.", "Reset links expire after 45 minutes.", "30 -> 45"},
		{"Chat is open 9 am to 6 pm ET.", "Chat is open 11 am to 6 pm ET.", "9 -> 11"},
		{"We reply within 1 business day.", "We reply within 2 business days.", "1 -> 2"},
		{"Free plans get 5GB.", "Free plans get 8GB.", "5 -> 8"},
		{"Up to 1,000 members.", "Up to 1,500 members.", "1,000 -> 1,500"},
		// Numbers in a phone number, URL, e-mail, word or time are left alone.
		{"Call +1 (415) 555-0142 or see https://nimbus.example/v2/help, then wait 10 minutes.", "Call +1 (415) 555-0142 or see https://nimbus.example/v2/help, then wait 15 minutes.", "10 -> 15"},
		{"Turn on 2FA, then use the code within 14 days.", "Turn on 2FA, then use the code within 21 days.", "14 -> 21"},
		{"Since 2021, at 10:30 exactly, you get 7 codes.", "Since 2023, at 10:30 exactly, you get 7 codes.", "2021 -> 2023"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, change, why := p.changeNumber(tc.in)
			if why != "" || got != tc.want || change != tc.change {
				t.Errorf("got %q (%q, %q), want %q (%q)", got, change, why, tc.want, tc.change)
			}
		})
	}
	for _, in := range []string{"Use Settings > Account.", "E-mail support@nimbus.example or call +1 (415) 555-0142.", "Turn on 2FA.", "Version 2.5 is out."} {
		if got, _, why := p.changeNumber(in); why == "" {
			t.Errorf("%q: changed to %q, want it skipped", in, got)
		}
	}
	// A new value already in the docs is avoided: 3 -> 5 is free, 2 -> 3 is not.
	if got, _, _ := p.changeNumber("Wait 2 hours."); got != "Wait 4 hours." {
		t.Errorf("got %q: 3 appears in the docs, want 4", got)
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Open Settings. Click Account. Choose Email address. Type the new address.", "Open Settings. Click Account. Choose Email address."},
		{"Open Settings > Account > Email address and type the new address, then click Save to finish.", "Open Settings > Account > Email address."},
		{"Go to https://nimbus.example/reset now. The link expires after 30 minutes.", "Go to https://nimbus.example/reset now."},
		{"Yes. For 14 days after you delete your account you can sign in and cancel. After that it is gone.", "Yes. For 14 days after you delete your account you can sign in and cancel."},
	}
	for _, tc := range cases {
		got, _, why := truncate(tc.in)
		if why != "" || got != tc.want {
			t.Errorf("%q: got %q (%s), want %q", tc.in, got, why, tc.want)
		}
	}
	for _, in := range []string{"Yes, it does.", "Open Settings and then click the big blue Account button there"} {
		if got, _, why := truncate(in); why == "" {
			t.Errorf("%q: truncated to %q, want it skipped", in, got)
		}
	}
}

func TestInventLinkAndPath(t *testing.T) {
	items := []dataset.Item{
		{ID: "reset", Question: "How do I reset my password?", Answers: []string{"Go to https://nimbus.example/reset and follow the link we e-mail you."}},
		{ID: "email", Question: "How can I change my email?", Answers: []string{"Open Settings > Account > Email address and click Save."}},
		{ID: "hours", Question: "When is chat open?", Answers: []string{"Chat is open 9 am to 6 pm ET on weekdays."}},
	}
	p := &Perturber{Docs: nimbusDocs, Kinds: []PerturbKind{PerturbLink, PerturbMenuPath, PerturbRefusal, PerturbOtherAnswer}}
	cases, skips := p.Perturb(items)
	if len(skips) != 0 {
		t.Errorf("skips %+v", skips)
	}
	get := func(id string) CheckCase {
		for _, c := range cases {
			if c.ID == id {
				return c
			}
		}
		t.Fatalf("no case %s", id)
		return CheckCase{}
	}
	if c := get("reset#link"); c.Answer != "Go to https://nimbus.example/help/reset-password and follow the link we e-mail you." || c.Expected != dataset.Hallucinated {
		t.Errorf("replaced link: %q", c.Answer)
	}
	if c := get("email#link"); !strings.HasSuffix(c.Answer, "More details are at https://nimbus.example/help/change-email.") {
		t.Errorf("added link: %q", c.Answer)
	}
	c := get("email#menu_path")
	if !strings.HasPrefix(c.Answer, "Open Settings > Account > ") || strings.Contains(c.Answer, "Email address") || !strings.HasSuffix(c.Answer, " and click Save.") {
		t.Errorf("replaced path: %q", c.Answer)
	}
	if c := get("hours#menu_path"); !strings.Contains(c.Answer, "You can also find this under Settings > ") {
		t.Errorf("added path: %q", c.Answer)
	}
	for _, c := range cases {
		if c.Kind != PerturbLink && c.Kind != PerturbMenuPath {
			continue
		}
		for _, d := range nimbusDocs {
			if strings.Contains(strings.ToLower(d.Text), strings.ToLower(strings.TrimSuffix(c.Change[strings.LastIndex(c.Change, " ")+1:], "."))) {
				t.Errorf("%s: the invented %q is in the docs", c.ID, c.Change)
			}
		}
	}
	if c := get("hours#other_answer"); c.Expected != dataset.Wrong || c.Answer == items[2].Answers[0] {
		t.Errorf("other answer %+v", c)
	}
	if c := get("reset#refusal"); c.Expected != dataset.Refused || !strings.Contains(strings.ToLower(c.Answer), "sorry") && !strings.Contains(c.Answer, "don't") && !strings.Contains(c.Answer, "not sure") {
		t.Errorf("refusal %q", c.Answer)
	}

	// Without docs, links and paths have nothing to go by: skipped with the reason.
	_, skips = (&Perturber{Kinds: []PerturbKind{PerturbLink, PerturbMenuPath}}).Perturb([]dataset.Item{{ID: "x", Question: "Q?", Answers: []string{"Just wait a few minutes and try again."}}})
	if len(skips) != 2 || !strings.Contains(skips[0].Reason, "no link") || !strings.Contains(skips[1].Reason, "no menu paths") {
		t.Errorf("skips %+v", skips)
	}
}

func TestPerturbGoldAlternatives(t *testing.T) {
	cases, skips := (&Perturber{Kinds: []PerturbKind{PerturbGold}}).Perturb([]dataset.Item{
		{ID: "a", Question: "Q?", Answers: []string{"One.", "Two."}},
		{ID: "b", Question: "Q2?"},
	})
	if len(cases) != 2 || cases[0].ID != "a#gold" || cases[1].ID != "a#gold2" || cases[1].Answer != "Two." {
		t.Errorf("cases %+v", cases)
	}
	if len(skips) != 1 || skips[0].Item != "b" {
		t.Errorf("skips %+v", skips)
	}
}

func TestParsePerturbKinds(t *testing.T) {
	if ks, err := ParsePerturbKinds(" number, LINK "); err != nil || len(ks) != 2 || ks[1] != PerturbLink {
		t.Errorf("%v %v", ks, err)
	}
	if _, err := ParsePerturbKinds("number,typo"); err == nil || !strings.Contains(err.Error(), `"typo"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

func FuzzPerturb(f *testing.F) {
	for _, s := range []string{
		"Go to https://nimbus.example/reset (or Settings > Account > Password). Links expire after 30 minutes.",
		"Call +1 (415) 555-0142, 9 am to 6 pm, 1 business day, 1,000 users, 10GB, 2FA.",
		"Sorry.", "", "1", "a > b > c", ",1,000,", "9am", "x. Y. Z.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		p := &Perturber{Docs: nimbusDocs}
		cases, skips := p.Perturb([]dataset.Item{{ID: "i", Question: "How do I reset my password?", Answers: []string{answer}}, {ID: "j", Question: "Q?", Answers: []string{"Other answer."}}})
		if len(cases)+len(skips) < len(PerturbKinds) {
			t.Fatalf("%d cases and %d skips for %d kinds", len(cases), len(skips), len(PerturbKinds))
		}
		for _, c := range cases {
			if c.Item == "i" && c.Kind != PerturbGold && c.Kind != PerturbOtherAnswer && c.Answer == answer && strings.TrimSpace(answer) != "" {
				t.Fatalf("%s did not change the answer %q", c.Kind, answer)
			}
		}
	})
}
