package llm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/lexical"

	"github.com/synth-dev/synth/dataset"
)

// testDocs is a small help centre in the style of the example project.
var testDocs = []dataset.Chunk{
	{ID: "reset", Doc: "account/reset-password.md", Heading: "Reset your password > Get a reset link", Text: `1. Go to https://acme.example/reset, or click **Forgot password?** on the sign-in page.
2. Enter the e-mail address you use for Acme and click **Send reset link**.
3. Open the e-mail and click **Reset password**.

Reset links expire after 30 minutes and can be used only once. If your link has expired, go back to step 1 to get a new one.`},
	{ID: "lockout", Doc: "account/cant-sign-in.md", Heading: "Can't sign in? > Too many attempts", Text: `After 5 failed sign-in attempts in a row, Acme locks your account for 15 minutes. You can wait 15 minutes and try again, or reset your password, which unlocks your account straight away.`},
	{ID: "payment", Doc: "billing/plans.md", Heading: "Plans & billing > Payment methods", Text: `We accept Visa, Mastercard, American Express and PayPal. To update your card or switch to PayPal, go to Settings > Billing > Payment method.

Business customers with 10 or more users can also pay an annual invoice by bank transfer.`},
	{ID: "prices", Doc: "billing/plans.md", Heading: "Plans & billing > Plans and prices", Text: `| Plan | Price | Largest file |
| --- | --- | --- |
| Free | $0 | 250 MB |
| Pro | $8 per user per month | 10 GB |

Pro costs $8 per user per month when billed monthly.`},
	{ID: "trash", Doc: "files/storage.md", Heading: "How much storage do I get? > Trash", Text: `Deleted items stay in Trash for 30 days before they're removed for good. To free up the space straight away, open Trash and click **Empty trash**.`},
	{ID: "hours", Doc: "support/contact.txt", Heading: "", Text: `Contact Acme Support

LIVE CHAT
In the Acme app, click Help > Chat with us. Live chat is staffed Monday to Friday, 9 am to 6 pm Eastern Time (ET).`},
}

// lexicalSearch is a tiny search function over testDocs: chunks ranked by
// shared content stems with the query, scored in [0, 1].
func lexicalSearch(calls *atomic.Int64) SearchFunc {
	return func(ctx context.Context, query string, k int) ([]dataset.Chunk, error) {
		if calls != nil {
			calls.Add(1)
		}
		q := contentStems(query)
		type hit struct {
			c dataset.Chunk
			n int
		}
		var hits []hit
		for i, c := range testDocs {
			st := contentStems(c.Heading + " " + c.Text)
			n := 0
			for _, t := range q {
				if hasStem(st, t) {
					n++
				}
			}
			hits = append(hits, hit{testDocs[i], n})
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].n > hits[j].n })
		var out []dataset.Chunk
		for _, h := range hits[:min(k, len(hits))] {
			c := h.c
			if len(q) > 0 {
				c.Score = float64(h.n) / float64(len(q))
			}
			out = append(out, c)
		}
		return out, nil
	}
}

func newTestBot(t testing.TB, cfg BuiltinConfig) *Builtin {
	t.Helper()
	if cfg.Threshold == 0 {
		cfg.Threshold = DefaultBuiltinThreshold
	}
	b, err := NewBuiltin(cfg, lexicalSearch(nil))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuiltinAnswersFromDocs(t *testing.T) {
	bot := newTestBot(t, BuiltinConfig{})
	tests := []struct {
		name, question string
		chunk          string   // chunk the answer must come from
		contains       []string // substrings the answer must have
		absent         []string // substrings it must not have
	}{
		{"lockout", "too many attempts, how long do I have to wait?", "lockout",
			[]string{"15 minutes"}, nil},
		{"paypal", "do you take paypal", "payment",
			[]string{"PayPal"}, []string{"bank transfer"}},
		{"steps kept together", "how do I get a password reset link", "reset",
			[]string{"1. Go to https://acme.example/reset", "\n2. Enter the e-mail", "\n3. Open the e-mail"}, nil},
		{"trash", "I deleted files but they still count, how long do deleted items stay in trash?", "trash",
			[]string{"30 days"}, nil},
		{"table row", "what is the largest file on the free plan", "prices",
			[]string{"Free:", "250 MB"}, nil},
		{"plain text heading", "when is live chat staffed", "hours",
			[]string{"Monday to Friday"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := bot.Answer(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Source != SourceDocs {
				t.Fatalf("source %s (confidence %.2f), want docs; answer %q", a.Source, a.Confidence, a.Text)
			}
			if len(a.Chunks) != 1 || a.Chunks[0] != tt.chunk {
				t.Errorf("answered from %v, want %s; answer %q", a.Chunks, tt.chunk, a.Text)
			}
			for _, s := range tt.contains {
				if !strings.Contains(a.Text, s) {
					t.Errorf("answer %q lacks %q", a.Text, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(a.Text, s) {
					t.Errorf("answer %q has %q", a.Text, s)
				}
			}
			if strings.Contains(a.Text, "**") {
				t.Errorf("answer %q keeps Markdown emphasis", a.Text)
			}
		})
	}
}

func TestBuiltinRefuses(t *testing.T) {
	tests := []struct {
		name, question string
		threshold      float64
	}{
		{"off topic", "what is the capital of mongolia", DefaultBuiltinThreshold},
		{"only function words", "how do I do it?", DefaultBuiltinThreshold},
		{"empty", "  ", DefaultBuiltinThreshold},
		{"threshold above confidence", "do you take paypal", 0.99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := newTestBot(t, BuiltinConfig{Threshold: tt.threshold})
			a, err := bot.Answer(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Source != SourceRefusal || a.Text != BuiltinRefusal {
				t.Fatalf("got %s %q (confidence %.2f), want the refusal", a.Source, a.Text, a.Confidence)
			}
			if a.Confidence >= tt.threshold && tt.threshold > 0 {
				t.Errorf("confidence %.2f is not below the threshold %.2f", a.Confidence, tt.threshold)
			}
		})
	}
	// The same question is answered once the threshold allows it.
	bot := newTestBot(t, BuiltinConfig{Threshold: 0.05})
	if a, _ := bot.Answer(context.Background(), "do you take paypal", nil); a.Source != SourceDocs {
		t.Errorf("threshold 0.05: got %s, want docs", a.Source)
	}
}

func TestBuiltinMemory(t *testing.T) {
	mem := writeFile(t, "tuned.jsonl", `{"question": "How do I delete my account permanently?", "answer": "Go to Settings > Account > Delete account."}
{"question": "Can I get a refund on an annual plan?", "answer": "Yes, within 30 days of purchase."}
`)
	bot := newTestBot(t, BuiltinConfig{Memory: mem})
	tests := []struct {
		name, question string
		source         string
		want           string // exact answer for memory hits
	}{
		{"same question", "How do I delete my account permanently?", SourceMemory, "Go to Settings > Account > Delete account."},
		{"paraphrase", "how can i delete my account for good, permanently", SourceMemory, "Go to Settings > Account > Delete account."},
		{"typo", "how do i delete my acount permanantly", SourceMemory, "Go to Settings > Account > Delete account."},
		{"other learned", "refund for an annual plan?", SourceMemory, "Yes, within 30 days of purchase."},
		{"miss falls back to docs", "do you take paypal", SourceDocs, ""},
		{"miss falls back to refusal", "what is the capital of mongolia", SourceRefusal, BuiltinRefusal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := bot.Answer(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Source != tt.source {
				t.Fatalf("source %s (confidence %.2f, %q), want %s", a.Source, a.Confidence, a.Text, tt.source)
			}
			if tt.want != "" && a.Text != tt.want {
				t.Errorf("answer %q, want %q", a.Text, tt.want)
			}
			if tt.source == SourceMemory && a.MemoryLine == 0 {
				t.Error("memory answer without its line")
			}
		})
	}
	// A stricter memory threshold turns the paraphrase into a miss.
	strict := newTestBot(t, BuiltinConfig{Memory: mem, MemoryThreshold: 0.95})
	if a, _ := strict.Answer(context.Background(), "how can i delete my account for good, permanently", nil); a.Source == SourceMemory {
		t.Errorf("memory_threshold 0.95: paraphrase still answered from memory (similarity %.2f)", a.Confidence)
	}
}

func TestBuiltinUsesRequestContexts(t *testing.T) {
	var calls atomic.Int64
	bot, err := NewBuiltin(BuiltinConfig{Threshold: 0.2}, lexicalSearch(&calls))
	if err != nil {
		t.Fatal(err)
	}
	req := Prompt("how long do deleted items stay in trash")
	req.Contexts = []dataset.Chunk{testDocs[4]}
	resp, err := bot.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Errorf("searched %d times although the request carried contexts", calls.Load())
	}
	if !strings.Contains(resp.Text, "30 days") {
		t.Errorf("answer %q", resp.Text)
	}
	if resp.Usage != (dataset.Usage{}) || resp.Model != ProviderBuiltin {
		t.Errorf("usage %+v model %q, want zero usage and model builtin", resp.Usage, resp.Model)
	}
	// Without contexts it searches once.
	if _, err := bot.Generate(context.Background(), Prompt("how long do deleted items stay in trash")); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("searched %d times, want 1", calls.Load())
	}
}

func TestBuiltinLastUserMessage(t *testing.T) {
	bot := newTestBot(t, BuiltinConfig{})
	req := Request{Messages: []Message{
		{Role: System, Content: "You are a support bot. PayPal PayPal PayPal."},
		{Role: User, Content: "what is the capital of mongolia"},
		{Role: Assistant, Content: BuiltinRefusal},
		{Role: User, Content: "too many attempts, how long do I have to wait?"},
	}}
	resp, err := bot.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Text, "15 minutes") {
		t.Errorf("answer %q does not answer the last user message", resp.Text)
	}
}

func TestQuestion(t *testing.T) {
	rag := "Answer using only these excerpts from our help centre.\n\n[1] a.md\nPayPal PayPal\n\nQuestion: too many attempts?"
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Prompt(" do you take paypal "), "do you take paypal"},
		{Prompt(rag), "too many attempts?"},
		{Request{Messages: []Message{{Role: System, Content: "S"}}}, ""},
	} {
		if got := Question(tc.req); got != tc.want {
			t.Errorf("Question = %q, want %q", got, tc.want)
		}
	}
}

func TestBuiltinSearchError(t *testing.T) {
	boom := errors.New("index missing")
	bot, err := NewBuiltin(BuiltinConfig{}, func(context.Context, string, int) ([]dataset.Chunk, error) { return nil, boom })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Generate(context.Background(), Prompt("do you take paypal")); !errors.Is(err, boom) {
		t.Errorf("got %v, want the search error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bot.Generate(ctx, Prompt("do you take paypal")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
}

func TestBuiltinDeterministic(t *testing.T) {
	mem := writeFile(t, "m.jsonl", `{"question": "refund for annual plan", "answer": "Within 30 days."}`+"\n")
	questions := []string{
		"too many attempts, how long do I have to wait?",
		"do you take paypal",
		"how do I get a password reset link",
		"can I get a refund on my annual plan",
		"what is the capital of mongolia",
		"when is live chat staffed",
	}
	first := make([]BuiltinAnswer, len(questions))
	bot := newTestBot(t, BuiltinConfig{Memory: mem})
	for i, q := range questions {
		a, err := bot.Answer(context.Background(), q, nil)
		if err != nil {
			t.Fatal(err)
		}
		first[i] = a
	}
	// 100 rounds, from fresh and shared bots, concurrently.
	var wg sync.WaitGroup
	errs := make(chan string, 100*len(questions))
	for r := 0; r < 100; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			b := bot
			if r%2 == 0 {
				b = newTestBot(t, BuiltinConfig{Memory: mem})
			}
			for i, q := range questions {
				a, err := b.Answer(context.Background(), q, nil)
				if err != nil || !reflect.DeepEqual(a, first[i]) {
					errs <- q
				}
			}
		}(r)
	}
	wg.Wait()
	close(errs)
	for q := range errs {
		t.Errorf("answer to %q changed between calls", q)
	}
}

func TestBuiltinConfigErrors(t *testing.T) {
	bad := writeFile(t, "bad.jsonl", `{"question": "a", "answer": "b"}
not json at all
`)
	tests := []struct {
		name string
		cfg  BuiltinConfig
		want string
	}{
		{"threshold", BuiltinConfig{Threshold: 1.5}, "threshold"},
		{"memory threshold", BuiltinConfig{MemoryThreshold: -0.1}, "memory_threshold"},
		{"k", BuiltinConfig{K: -1}, "k must"},
		{"missing memory", BuiltinConfig{Memory: filepath.Join(t.TempDir(), "nope.jsonl")}, "nope.jsonl"},
		{"malformed memory line", BuiltinConfig{Memory: bad}, "bad.jsonl:2: not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBuiltin(tt.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseMemoryFormats(t *testing.T) {
	tests := []struct {
		name, line string
		want       []MemoryPair
	}{
		{"synth tune", `{"question": "Q?", "answer": "A."}`, []MemoryPair{{Question: "Q?", Answer: "A."}}},
		{"answer list", `{"question": "Q?", "answer": ["", "A1", "A2"]}`, []MemoryPair{{Question: "Q?", Answer: "A1"}}},
		{"native record", `{"id":"gen-1","question":"Q?","answer":"A.","contexts":[{"id":"c1","doc":"d","text":"t"}],"provenance":{"generator":"qa"},"verdicts":[{"validator":"grounded","score":1,"pass":true}]}`,
			[]MemoryPair{{Question: "Q?", Answer: "A."}}},
		{"native rejected", `{"question":"Q?","answer":"A.","rejections":["grounded: unsupported"]}`, nil},
		{"openai chat", `{"messages":[{"role":"system","content":"S"},{"role":"user","content":"Q1"},{"role":"assistant","content":"A1"},{"role":"user","content":"Q2"},{"role":"assistant","content":"A2"}]}`,
			[]MemoryPair{{Question: "Q1", Answer: "A1"}, {Question: "Q2", Answer: "A2"}}},
		{"sharegpt", `{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}`, []MemoryPair{{Question: "Q", Answer: "A"}}},
		{"alpaca", `{"instruction":"Q","input":"more","output":"A"}`, []MemoryPair{{Question: "Q\nmore", Answer: "A"}}},
		{"lamini", `{"input":"Q","output":"A"}`, []MemoryPair{{Question: "Q", Answer: "A"}}},
		{"openai evals", `{"input":"Q","ideal":["A","B"]}`, []MemoryPair{{Question: "Q", Answer: "A"}}},
		{"dpo", `{"prompt":"Q","chosen":"A","rejected":"B"}`, []MemoryPair{{Question: "Q", Answer: "A"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMemory("m.jsonl", strings.NewReader("\n"+tt.line+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Line = 2
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMemoryErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"not json", "{\"question\":\"q\",\"answer\":\"a\"}\n[1,2]\n", "m.jsonl:2: not a JSON object"},
		{"broken json", "{\"question\": \"q\", \n", "m.jsonl:1: not valid JSON"},
		{"empty answer", `{"question":"q","answer":"  "}`, "m.jsonl:1: empty answer"},
		{"answer type", `{"question":"q","answer":3}`, `m.jsonl:1: "answer" must be a string or a list`},
		{"no pair", `{"foo":"bar"}`, "m.jsonl:1: no Q&A pair"},
		{"chat without assistant", `{"messages":[{"role":"user","content":"q"}]}`, "m.jsonl:1: no user message followed"},
		{"dpo without chosen", `{"prompt":"q"}`, `m.jsonl:1: missing "chosen"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMemory("m.jsonl", strings.NewReader(tt.text))
			var me *MemoryError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a MemoryError containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParseMemory(f *testing.F) {
	f.Add(`{"question": "Q?", "answer": "A."}`)
	f.Add(`{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}`)
	f.Add(`{"question":"q","answer":["a",1]}`)
	f.Add("\xef\xbb\xbf{\"input\":\"Q\",\"ideal\":\"A\"}\n\n{")
	f.Fuzz(func(t *testing.T, s string) {
		pairs, err := ParseMemory("f.jsonl", strings.NewReader(s))
		if err != nil {
			var me *MemoryError
			if !errors.As(err, &me) || me.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, p := range pairs {
			if strings.TrimSpace(p.Question) == "" || strings.TrimSpace(p.Answer) == "" || p.Line < 1 {
				t.Fatalf("bad pair %+v", p)
			}
		}
		// Whatever parses answers deterministically.
		b := (&Builtin{threshold: 0.35, memThreshold: 0.6, k: 4, prep: map[string][]unit{}}).WithMemory(pairs)
		for _, p := range pairs {
			a, err := b.Answer(context.Background(), p.Question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if contentStems(p.Question) != nil && a.Source == "" {
				t.Fatalf("no source for %q", p.Question)
			}
		}
	})
}

func TestNewBuiltinFuncOpens(t *testing.T) {
	mem := writeFile(t, "tuned.jsonl", `{"question": "do you take paypal", "answer": "Yes, PayPal works."}`+"\n")
	dir, name := filepath.Split(mem)
	cfg := Config{Provider: ProviderBuiltin, Builtin: BuiltinConfig{Threshold: 0.35, Memory: name, K: 4}}
	c, err := Open(context.Background(), "base", cfg, OpenOptions{Dir: dir, Builtin: NewBuiltinFunc(lexicalSearch(nil))})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Generate(context.Background(), Prompt("Do you take PayPal?"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Yes, PayPal works." {
		t.Errorf("got %q, want the learned answer (memory path resolved against the config folder)", resp.Text)
	}
}

func TestSplitUnits(t *testing.T) {
	text := "Intro line one. Second sentence, e.g. with an abbreviation. See https://x.example/a.b for more.\n\n" +
		"- **Free:** 5 GB in total.\n- Pro: 1 TB.\n\n1. Step one. Still step one.\n2. Step two.\n\n" +
		"| A | B |\n| --- | --- |\n| x | y |\n\nLIVE CHAT\nOpen daily."
	us := splitUnits(text)
	var got []string
	for _, u := range us {
		got = append(got, u.text)
	}
	want := []string{
		"Intro line one.", "Second sentence, e.g. with an abbreviation.", "See https://x.example/a.b for more.",
		"Free: 5 GB in total.", "Pro: 1 TB.",
		"Step one.", "Still step one.", "Step two.",
		"x: B y.",
		"Open daily.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("units\n got %q\nwant %q", got, want)
	}
	if us[5].kind != unitStep || us[6].item != 1 || us[7].item != 2 || us[9].local != "LIVE CHAT" {
		t.Errorf("unit metadata wrong: %+v", us)
	}
}

func TestStem(t *testing.T) {
	groups := [][]string{
		{"delete", "deleted", "deletes", "deleting"},
		{"expire", "expired", "expires"},
		{"click", "clicked", "clicking", "clicks"},
		{"link", "links"},
		{"copy", "copies"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			if lexical.Stem(w) != lexical.Stem(g[0]) {
				t.Errorf("lexical.Stem(%q) = %q, lexical.Stem(%q) = %q", w, lexical.Stem(w), g[0], lexical.Stem(g[0]))
			}
		}
	}
	if got := words("E-mail isn't two-factor", nil); !reflect.DeepEqual(got, []string{"email", "isnt", "two", "factor"}) {
		t.Errorf("words: %q", got)
	}
}

// BenchmarkBuiltinAnswer measures one docs answer over four retrieved
// chunks (search excluded: the contexts come with the request).
func BenchmarkBuiltinAnswer(b *testing.B) {
	bot := newTestBot(b, BuiltinConfig{})
	ctx := context.Background()
	contexts := testDocs[:4]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bot.Answer(ctx, "too many attempts, how long do I have to wait?", contexts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltinMemory measures a memory lookup over 1,000 learned pairs.
func BenchmarkBuiltinMemory(b *testing.B) {
	pairs := make([]MemoryPair, 1000)
	for i := range pairs {
		pairs[i] = MemoryPair{Question: "how do I change setting number " + strings.Repeat("x", i%7) + " for workspace " + string(rune('a'+i%26)), Answer: "A"}
	}
	bot := newTestBot(b, BuiltinConfig{}).WithMemory(pairs)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bot.Answer(ctx, "how can I change the settings of my workspace", testDocs[:1]); err != nil {
			b.Fatal(err)
		}
	}
}
