package generators

import (
	"context"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func TestBuiltinOnSmallDocs(t *testing.T) {
	chunks := testChunks(t)
	g := &BuiltinGenerator{Corpus: chunkCorpus(chunks)}
	got := map[string]Draft{}
	for _, d := range g.Candidates(chunks) {
		got[d.Question] = d
	}
	cases := []struct {
		question, kind, answerHas string
	}{
		{"How do I reset my password?", "heading", "1. Go to https://example.test/reset."}, // intro completed with the steps below it
		{"How do I get a reset link?", "heading", "Reset links expire after 30 minutes"},
		{"What are the steps to get a reset link?", "steps", "2. Enter your e-mail address and click Send reset link."},
		{"When do reset links expire?", "definition", "Reset links expire after 30 minutes and can be used only once."},
		{"What should I do if I didn't get the reset e-mail?", "heading", "Check your spam folder."},
		{"Can I request up to 3 reset e-mails per hour?", "rule", "You can request up to 3 reset e-mails per hour."},
		{"What are the password requirements?", "heading", "at least 10 characters"},
		{"Does my password have to be at least 10 characters long?", "rule", "Your password must be at least 10 characters long."},
		{"What should I know about billing FAQ?", "heading", "A workspace is a shared space"},
		{"What is a workspace?", "definition", "A workspace is a shared space for your team's notes and files."},
		{"How much does Pro cost?", "definition", "Pro costs $8 per user per month."},
		{"What happens if a payment fails?", "rule", "we retry it 3 times over 7 days"},
		{"How do I cancel my plan?", "rule", "go to Settings > Billing > Cancel plan"},
		{"Can I get a refund?", "faq", "Annual plans cancelled within 30 days are refunded in full."},
	}
	for _, c := range cases {
		d, ok := got[c.question]
		if !ok {
			t.Errorf("no candidate %q; have:\n%s", c.question, questions(got))
			continue
		}
		if d.Kind != c.kind || !strings.Contains(d.Answer, c.answerHas) {
			t.Errorf("%q: kind %s, answer %q; want kind %s and an answer containing %q", c.question, d.Kind, d.Answer, c.kind, c.answerHas)
		}
		for _, ch := range d.Chunks {
			if !containsChunk(chunks, ch.ID) {
				t.Errorf("%q cites chunk %s that is not in the docs", c.question, ch.ID)
			}
		}
	}
	// Answers are the docs' own words, without Markdown emphasis.
	for q, d := range got {
		if strings.Contains(d.Answer, "**") {
			t.Errorf("%q: answer keeps Markdown emphasis: %q", q, d.Answer)
		}
	}
}

func questions(m map[string]Draft) string {
	var b strings.Builder
	for q, d := range m {
		b.WriteString("  " + d.Kind + ": " + q + "\n")
	}
	return b.String()
}

func containsChunk(chunks []dataset.Chunk, id string) bool {
	for _, c := range chunks {
		if c.ID == id {
			return true
		}
	}
	return false
}

func TestBuiltinRoundsGiveDifferentCandidates(t *testing.T) {
	chunks := testChunks(t)
	g := &BuiltinGenerator{N: 3, Paraphrases: 2}
	seed := testSeed(chunks)
	seen := map[string]int{}
	total := 0
	for round := 1; round <= 4; round++ {
		seed.Round = round
		out, err := g.Generate(context.Background(), seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 3 {
			t.Fatalf("round %d: %d candidates, want 3", round, len(out))
		}
		for _, s := range out {
			if r, dup := seen[s.Question]; dup {
				t.Fatalf("round %d repeats %q from round %d", round, s.Question, r)
			}
			seen[s.Question] = round
			total++
			if s.Provenance.Round != round || s.Provenance.Generator != "builtin" || s.Provenance.FailedItem != "password-forgot" {
				t.Fatalf("provenance %+v", s.Provenance)
			}
		}
	}
	// Deterministic: the same seed and round give the same candidates.
	seed.Round = 2
	a, _ := g.Generate(context.Background(), seed)
	b, _ := g.Generate(context.Background(), seed)
	for i := range a {
		if a[i].Question != b[i].Question || a[i].Answer != b[i].Answer {
			t.Fatal("builtin generator is not deterministic")
		}
	}
	// A different template seed gives different paraphrases.
	seed.Round = 1
	other := &BuiltinGenerator{N: 200, Paraphrases: 2, Seed: 5}
	all := &BuiltinGenerator{N: 200, Paraphrases: 2}
	x, _ := other.Generate(context.Background(), seed)
	y, _ := all.Generate(context.Background(), seed)
	if len(x) == 0 || strings.Join(sampleQuestions(x), "|") == strings.Join(sampleQuestions(y), "|") {
		t.Fatal("seed 5 gives the same candidates as seed 0")
	}
}

func sampleQuestions(s []dataset.Sample) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Question
	}
	return out
}

func TestBuiltinSkipsAcceptedAndRunsOut(t *testing.T) {
	chunks := testChunks(t)[:1]
	g := &BuiltinGenerator{N: 2}
	seed := testSeed(chunks)
	first, _ := g.Generate(context.Background(), seed)
	seed.Accepted = []string{strings.ToUpper(first[0].Question)}
	again, _ := g.Generate(context.Background(), seed)
	for _, s := range again {
		if s.Question == first[0].Question {
			t.Fatalf("accepted question %q offered again", s.Question)
		}
	}
	seed.Round = 1000
	if out, err := g.Generate(context.Background(), seed); err != nil || len(out) != 0 {
		t.Fatalf("past the end: %v, %v", out, err)
	}
}

func TestHeadingQuestion(t *testing.T) {
	cases := []struct{ leaf, parent, want string }{
		{"Reset your password", "", "How do I reset my password?"},
		{"Change your password while you're signed in", "Reset your password", "How do I change my password while I'm signed in?"},
		{"I didn't get the reset e-mail", "Reset your password", "What should I do if I didn't get the reset e-mail?"},
		{"Your 2FA code isn't accepted", "Can't sign in?", "What should I do if my 2FA code isn't accepted?"},
		{"The page won't load, or keeps sending you back to sign in", "Can't sign in?", "What should I do if the page won't load, or keeps sending me back to sign in?"},
		{`"Incorrect e-mail or password"`, "Can't sign in?", `What should I do when I see "Incorrect e-mail or password"?`},
		{"Password requirements", "Reset your password", "What are the password requirements?"},
		{"Free trial", "Plans & billing", "What should I know about the free trial?"},
		{"Roles", "Share notes, files and folders", "Share notes, files and folders: what are the roles?"},
		{"What's the difference?", "Deactivate or delete your account", "Deactivate or delete my account: what's the difference?"},
		{"How much storage do I get?", "", "How much storage do I get?"},
		{"If a payment fails", "Plans & billing", "What happens if a payment fails?"},
		{"Turn on 2FA", "", "How do I turn on 2FA?"},
		{"For admins: sharing outside your workspace", "", "I'm an admin: what should I know about sharing outside my workspace?"},
		{"Lost your phone and your backup codes?", "Two-factor authentication", "Lost my phone and my backup codes?"},
	}
	for _, c := range cases {
		if got, _ := HeadingQuestion(c.leaf, c.parent); got != c.want {
			t.Errorf("HeadingQuestion(%q, %q) = %q, want %q", c.leaf, c.parent, got, c.want)
		}
	}
}

func TestFirstPerson(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Delete your account", "Delete my account"},
		{"If you signed up with Google", "If I signed up with Google"},
		{"Nimbus sends you a link", "Nimbus sends me a link"},
		{"you're signed in", "I'm signed in"},
		{"Are you an admin", "Am I an admin"},
		{"when you are offline", "when I am offline"},
		{"Can you export yours", "Can I export mine"},
		{"nothing to change", "nothing to change"},
	}
	for _, c := range cases {
		if got := FirstPerson(c.in); got != c.want {
			t.Errorf("FirstPerson(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func BenchmarkBuiltinCandidates(b *testing.B) {
	chunks := testChunks(b)
	g := &BuiltinGenerator{Paraphrases: 4, Corpus: chunkCorpus(chunks)}
	b.ReportAllocs()
	for b.Loop() {
		g.Candidates(chunks)
	}
}

func TestBuiltinPlainTextSections(t *testing.T) {
	c := dataset.Chunk{ID: "t1", Doc: "docs/contact.txt", Text: "Contact us\n\nLIVE CHAT\nIn the app, click Help > Chat with us. Live chat is staffed Monday to Friday, 9 am to 6 pm.\n\nPHONE\nCall +1 555 0142 on weekdays."}
	got := map[string]string{}
	for _, d := range (&BuiltinGenerator{}).Candidates([]dataset.Chunk{c}) {
		got[d.Question] = d.Answer
	}
	if a := got["What should I know about the live chat?"]; !strings.HasPrefix(a, "In the app, click Help > Chat with us.") {
		t.Errorf("section question: %q (have %v)", a, got)
	}
	if a := got["When is live chat staffed?"]; a != "Live chat is staffed Monday to Friday, 9 am to 6 pm." {
		t.Errorf("staffed: %q", a)
	}
	if _, ok := got["What should I know about the phone?"]; !ok {
		t.Errorf("no question for PHONE: %v", got)
	}
}

func TestBuiltinMinRelevance(t *testing.T) {
	chunks := testChunks(t)[:3]
	for i, s := range []float64{0.5, 0.4, 0.2} {
		chunks[i].Score = s
	}
	g := &BuiltinGenerator{N: 100, MinRelevance: 0.7}
	out, err := g.Generate(context.Background(), testSeed(chunks))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out {
		for _, c := range s.Contexts {
			if c.ID == chunks[2].ID {
				t.Fatalf("%q uses a chunk scoring 0.2 of the best 0.5", s.Question)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no candidates")
	}
}
