package validators

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// nimbusDocs are help-doc chunks in the style of the example project.
var nimbusDocs = []dataset.Chunk{
	{ID: "reset", Doc: "account/reset-password.md", Heading: "Reset your password > Get a reset link", Text: `1. Go to https://nimbus.example/reset, or click **Forgot password?** on the sign-in page.
2. Enter the e-mail address you use for Nimbus and click **Send reset link**.
3. Open the e-mail from no-reply@nimbus.example and click **Reset password**.

Reset links expire after 30 minutes and can be used only once. If your link has expired, go back to step 1 to get a new one.`},
	{ID: "roles", Doc: "files/sharing-and-permissions.md", Heading: "Share notes, files and folders > Roles", Text: `- **Viewer:** can open and download the item, but can't edit it or comment on it.
- **Editor:** can open, comment, edit, upload new versions and share the item with others.`},
	{ID: "trash", Doc: "files/storage-limits.md", Heading: "How much storage do I get? > What counts towards my storage?", Text: `Notes, files, older versions of files and items in Trash all count towards your storage.

Deleted items stay in Trash for 30 days before they're removed for good. To free up the space straight away, open Trash and click **Empty trash**.`},
	{ID: "payment", Doc: "billing/plans-and-billing.html", Heading: "Plans & billing > Payment methods", Text: `We accept Visa, Mastercard, American Express and PayPal. To update your card or switch to PayPal, go to Settings > Billing > Payment method.`},
}

func TestSplitClaims(t *testing.T) {
	tests := []struct {
		name, answer string
		want         []string
	}{
		{"sentences", "Deleted items stay in Trash for 30 days. Open Trash and click Empty trash.",
			[]string{"Deleted items stay in Trash for 30 days.", "Open Trash and click Empty trash."}},
		{"semicolon", "You can also e-mail support@nimbus.example any time; we reply within 1 business day.",
			[]string{"You can also e-mail support@nimbus.example any time", "we reply within 1 business day."}},
		{"comma and", "You'll get an e-mail with a download link to a ZIP archive, and your notes are exported as Markdown files.",
			[]string{"You'll get an e-mail with a download link to a ZIP archive", "your notes are exported as Markdown files."}},
		{"and with a subject", "Click Remove next to their name and they lose access at once.",
			[]string{"Click Remove next to their name", "they lose access at once."}},
		{"and joining steps stays", "Open the folder, click Share and choose the Viewer role.",
			[]string{"Open the folder, click Share and choose the Viewer role."}},
		{"greetings, closers and yes dropped", "Hi there! Yes. Viewers can't edit items. Let me know if you need anything else. Hope this helps!",
			[]string{"Viewers can't edit items."}},
		{"refusal has no claims", "Sorry, I don't understand. Please contact support.", nil},
		{"deflection with an address is a claim", "Please contact support at help@nimbus.example.", []string{"Please contact support at help@nimbus.example."}},
		{"list items", "To share:\n1. Open the folder.\n2. Click **Share**.\n- Viewers can open items.",
			[]string{"To share:", "Open the folder.", "Click Share.", "Viewers can open items."}},
		{"urls and abbreviations do not split", "See https://nimbus.example/reset, e.g. from your phone.", []string{"See https://nimbus.example/reset, e.g. from your phone."}},
		{"empty", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitClaims(tt.answer); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func groundedSample(answer string, golds ...string) *dataset.Sample {
	return &dataset.Sample{Question: "q", Answer: answer, References: golds, Contexts: nimbusDocs}
}

func TestGroundedOffline(t *testing.T) {
	v := build(t, map[string]any{"type": "grounded"}, Deps{})
	tests := []struct {
		name, answer string
		golds        []string
		label        dataset.Label
		pass         bool
		reason       string
		evidence     []string
	}{
		{"verbatim", "Reset links expire after 30 minutes and can be used only once.", nil, "", true, "1 claim(s), 1 supported", []string{"reset"}},
		{"paraphrase", "Viewers can open and download the folder's items, but they can't edit them.", nil, "", true, "", []string{"roles"}},
		{"paraphrase of steps", "Head to https://nimbus.example/reset, enter the e-mail address you use for Nimbus and press Send reset link.", nil, "", true, "", []string{"reset"}},
		{"claims from two chunks", "We accept PayPal. Deleted items stay in Trash for 30 days.", nil, "", true, "2 claim(s), 2 supported", []string{"payment", "trash"}},
		{"invented link", "You can reset your password at https://nimbus.example/account/password-reset.", nil, dataset.Hallucinated, false,
			`link "https://nimbus.example/account/password-reset"`, nil},
		{"invented menu path", "You can free up space at Settings > Storage > Clean up now.", nil, dataset.Hallucinated, false,
			`menu path "Settings > Storage > Clean up now"`, nil},
		{"invented e-mail", "Write to billing@nimbus.example to change your card.", nil, dataset.Hallucinated, false, "billing@nimbus.example", nil},
		{"invented facts", "Enter your username and we'll e-mail you a temporary password.", nil, dataset.Hallucinated, false, `"Enter your username" (no chunk has: username)`, nil},
		{"invented product term", "We accept Visa, Mastercard and Bitcoin.", nil, dataset.Hallucinated, false, `"bitcoin"`, nil},
		{"wrong number", "Reset links expire after 24 hours and can be used only once.", nil, dataset.Wrong, false,
			`says "24 hours" where the docs say "30 minutes"`, nil},
		{"wrong number and invention", "Deleted items stay in Trash for 7 days. Empty it at Settings > Trash > Purge.", nil, dataset.Hallucinated, false, "2 of 2 claim(s)", nil},
		{"number from the gold answer", "Reset links expire after 30 minutes; you can request up to 3 reset e-mails an hour.", []string{"You can request up to 3 reset e-mails per hour."},
			"", true, "", []string{"reset", "gold answer"}},
		{"refusal", "Sorry, I don't understand. Please contact support.", nil, "", true, "no factual claims", nil},
		{"empty", "", nil, "", true, "no factual claims", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Validate(context.Background(), groundedSample(tt.answer, tt.golds...))
			if err != nil {
				t.Fatal(err)
			}
			if got.Label != tt.label || got.Pass != tt.pass {
				t.Errorf("label %q pass %v, want %q %v (score %.2f, %s)", got.Label, got.Pass, tt.label, tt.pass, got.Score, got.Reason)
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason %q lacks %q", got.Reason, tt.reason)
			}
			if tt.evidence != nil && !reflect.DeepEqual(got.Evidence, tt.evidence) {
				t.Errorf("evidence %v, want %v", got.Evidence, tt.evidence)
			}
		})
	}
}

func TestGroundedParams(t *testing.T) {
	two := "We accept PayPal. We also accept Bitcoin."
	lenient := build(t, map[string]any{"type": "grounded", "min_support": 0.5}, Deps{})
	if got, _ := lenient.Validate(context.Background(), groundedSample(two)); !got.Pass || got.Score != 0.5 || !strings.Contains(got.Reason, "not supported") {
		t.Errorf("min_support 0.5: %+v", got)
	}
	strict := build(t, map[string]any{"type": "grounded"}, Deps{})
	if got, _ := strict.Validate(context.Background(), groundedSample(two)); got.Label != dataset.Hallucinated {
		t.Errorf("min_support 1: %+v", got)
	}
	loose := build(t, map[string]any{"type": "grounded", "coverage": 0.3}, Deps{})
	if got, _ := loose.Validate(context.Background(), groundedSample("Viewers can download items, print them and frame them in colour.")); !got.Pass {
		t.Errorf("coverage 0.3: %+v", got)
	}
	if got, _ := strict.Validate(context.Background(), groundedSample("Viewers can download items, print them and frame them in colour.")); got.Pass {
		t.Errorf("coverage 0.6: %+v", got)
	}
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"type": "grounded", "mode": "fuzzy"}, "eval.validators[0].mode: must be one of offline, llm"},
		{map[string]any{"type": "grounded", "min_support": 2}, "eval.validators[0].min_support: must be between 0 and 1"},
		{map[string]any{"type": "grounded", "mode": "llm"}, "eval.validators[0].mode: mode llm needs a judge model: set eval.judge"},
		{map[string]any{"type": "grounded", "prompt": "x"}, "eval.validators[0].prompt: applies to mode llm only"},
	} {
		if _, err := Builtin().Build("eval.validators[0]", tc.cfg, Deps{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// fakeSearch is a Searcher that returns fixed chunks and counts calls.
type fakeSearch struct {
	chunks []dataset.Chunk
	calls  atomic.Int64
	err    error
}

func (f *fakeSearch) Search(_ context.Context, _ string, k int) ([]dataset.Chunk, error) {
	f.calls.Add(1)
	return f.chunks[:min(k, len(f.chunks))], f.err
}

func TestGroundedSearchesUnsupportedClaims(t *testing.T) {
	search := &fakeSearch{chunks: []dataset.Chunk{nimbusDocs[3]}}
	v := build(t, map[string]any{"type": "grounded"}, Deps{Search: search})
	// The contexts support the first claim; the second is found by search.
	s := &dataset.Sample{Answer: "Reset links expire after 30 minutes. We accept PayPal.", Contexts: nimbusDocs[:1]}
	got, err := v.Validate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Pass || !reflect.DeepEqual(got.Evidence, []string{"reset", "payment"}) || search.calls.Load() != 1 {
		t.Errorf("verdict %+v after %d searches, want a pass citing reset and payment after 1", got, search.calls.Load())
	}
	// Without contexts every claim is searched for.
	s.Contexts = nil
	if got, _ := v.Validate(context.Background(), s); got.Label != dataset.Hallucinated || !strings.Contains(got.Reason, "Reset links") {
		t.Errorf("without contexts: %+v", got)
	}
	// A failing search is an error.
	search.err = errors.New("index gone")
	if _, err := v.Validate(context.Background(), s); err == nil || !strings.Contains(err.Error(), "index gone") {
		t.Errorf("search error: %v", err)
	}
	// No contexts and nothing to search: no opinion.
	none := build(t, map[string]any{"type": "grounded"}, Deps{})
	if got, _ := none.Validate(context.Background(), &dataset.Sample{Answer: "We accept Bitcoin."}); !got.Pass || got.Label != "" {
		t.Errorf("nothing to check against: %+v", got)
	}
	// With a corpus and no search, the corpus is read.
	corpus := build(t, map[string]any{"type": "grounded"}, Deps{Corpus: chunks(nimbusDocs)})
	if got, _ := corpus.Validate(context.Background(), &dataset.Sample{Answer: "We accept PayPal."}); !got.Pass || len(got.Evidence) != 1 || got.Evidence[0] != "payment" {
		t.Errorf("corpus: %+v", got)
	}
}

func TestGroundedLLM(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.LastUserContains("Bitcoin"), llmtest.JSON(map[string]any{"reasoning": "Bitcoin is not listed.", "supported": false}))
	srv.Handle(llmtest.AnyContains("The broken claim"), llmtest.Text("supported, I think"))
	srv.Handle(llmtest.Any(), llmtest.Text("```json\n{\"reasoning\": \"The excerpt lists PayPal.\", \"supported\": true}\n```"))
	v := build(t, map[string]any{"type": "grounded", "mode": "llm", "retries": 1}, Deps{Judge: judgeModel(t, srv)})

	got, err := v.Validate(context.Background(), groundedSample("We accept PayPal."))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Pass || len(got.Evidence) != 1 || got.Evidence[0] != "payment" {
		t.Errorf("supported: %+v (evidence should be the best chunk)", got)
	}
	prompt := srv.ChatRequests()[0].LastUser()
	for _, want := range []string{"[Claim]\nWe accept PayPal.", "We accept Visa, Mastercard", "Can this claim be inferred", `"supported"`} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt)
		}
	}

	got, err = v.Validate(context.Background(), groundedSample("We accept PayPal. We accept Bitcoin."))
	if err != nil {
		t.Fatal(err)
	}
	if got.Label != dataset.Hallucinated || !strings.Contains(got.Reason, "Bitcoin is not listed") {
		t.Errorf("unsupported: %+v", got)
	}

	before := srv.Count("/v1/chat/completions")
	_, err = v.Validate(context.Background(), groundedSample("The broken claim about Trash."))
	if err == nil || !strings.Contains(err.Error(), "unreadable judge reply after 2 attempt(s)") {
		t.Fatalf("malformed: got %v", err)
	}
	if n := srv.Count("/v1/chat/completions") - before; n != 2 {
		t.Errorf("%d calls for a malformed reply, want 2 (1 + 1 retry)", n)
	}
}

// BenchmarkGroundedOffline grades a three-claim answer against four chunks.
func BenchmarkGroundedOffline(b *testing.B) {
	v, err := Builtin().Build("b", map[string]any{"type": "grounded"}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	s := groundedSample("Reset links expire after 30 minutes. We accept PayPal; go to Settings > Billing > Payment method. Viewers can't edit items.")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
