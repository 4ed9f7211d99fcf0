package llm

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/lexical"
)

// fakeVectors is a tiny embedder: words of the same group get the same
// direction, any other text the zero vector (similar to nothing).
func fakeVectors(calls *atomic.Int64, groups ...[]string) EmbedFunc {
	dir := map[string]int{}
	for i, g := range groups {
		for _, w := range g {
			dir[w] = i
		}
	}
	return func(_ context.Context, texts []string) ([][]float32, error) {
		if calls != nil {
			calls.Add(1)
		}
		out := make([][]float32, len(texts))
		for i, t := range texts {
			v := make([]float32, len(groups)+1)
			if d, ok := dir[strings.ToLower(t)]; ok {
				v[d] = 1
			}
			out[i] = v
		}
		return out, nil
	}
}

var pricing = []MemoryPair{
	{Question: "How much does Pro cost?", Answer: "Pro costs $80 per user when billed annually.", Line: 1},
	{Question: "How do I delete my account?", Answer: "Go to Settings > Account > Delete account.", Line: 2},
	{Question: "How do I export my notes?", Answer: "Go to Settings > Account > Export data.", Line: 3},
}

func TestBuiltinRecallsByMeaning(t *testing.T) {
	ctx := context.Background()
	plain := newTestBot(t, BuiltinConfig{}).WithMemory(pricing)
	q := "yearly price for pro"
	a, err := plain.Answer(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source == SourceMemory {
		t.Fatalf("without word vectors %q was recalled (%.2f): yearly/annually and price/cost should not meet", q, a.Confidence)
	}
	meaning := plain.WithEmbed(fakeVectors(nil, []string{"yearly", "annually"}, []string{"price", "cost", "costs"}))
	a, err = meaning.Answer(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != SourceMemory || a.Text != pricing[0].Answer || a.MemoryLine != 1 || !reflect.DeepEqual(a.MemoryLines, []int{1}) {
		t.Fatalf("with word vectors: %+v, want the Pro price learned on line 1", a)
	}
	// WithMemory keeps the embedder.
	if b, _ := meaning.WithMemory(pricing).Answer(ctx, q, nil); b.Source != SourceMemory {
		t.Errorf("WithMemory dropped the embedder: %+v", b)
	}
}

func TestBuiltinRecallsByTheLearnedAnswer(t *testing.T) {
	// Both learned questions are about payment; only one answer names PayPal.
	mem := []MemoryPair{
		{Question: "Which payment plans are there?", Answer: "Free, Pro and Business.", Line: 1},
		{Question: "Which payment methods can I use?", Answer: "We accept Visa, Mastercard and PayPal.", Line: 2},
	}
	bot, err := NewBuiltin(BuiltinConfig{Threshold: 0.35}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := bot.WithMemory(mem).Answer(context.Background(), "can I make a payment with paypal?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != SourceMemory || a.MemoryLine != 2 {
		t.Fatalf("%+v: want the pair whose answer names PayPal (line 2)", a)
	}
}

func TestBuiltinRecallAgainstTheDocs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, question string
		mem            []MemoryPair
		source         string
		line           int
	}{
		// The docs' lockout sentence fits better than a learned pair about
		// waiting for an export: the docs answer.
		{"docs fit better", "too many attempts, how long do I have to wait?",
			[]MemoryPair{{Question: "How long do I have to wait for an export?", Answer: "Most exports are ready within 1 hour.", Line: 1}},
			SourceDocs, 0},
		// A learned pair that fits as well as the docs wins: it is a whole answer.
		{"learned pair fits as well", "how do I get a password reset link?",
			[]MemoryPair{{Question: "How do I get a password reset link?", Answer: "Go to https://acme.example/reset and enter your e-mail address.", Line: 1}},
			SourceMemory, 1},
		// One shared word with a long learned question about something else
		// is not a recall.
		{"learned question mostly elsewhere", "is there a discount for students",
			[]MemoryPair{{Question: "Which discount codes work with annual invoices paid by bank transfer?", Answer: "None.", Line: 1}},
			SourceRefusal, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newTestBot(t, BuiltinConfig{}).WithMemory(tt.mem).Answer(ctx, tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a.Source != tt.source || a.MemoryLine != tt.line {
				t.Fatalf("%+v: want source %s, line %d", a, tt.source, tt.line)
			}
		})
	}
}

func TestBuiltinJoinsLearnedAnswersForTwoPartQuestions(t *testing.T) {
	mem := []MemoryPair{
		{Question: "How do I remove someone's access to a folder?", Answer: "Open Share on the folder and click Remove next to their name.", Line: 1},
		{Question: "How do I stop editors from re-sharing?", Answer: "Open Share > Settings and turn off Editors can share.", Line: 2},
		{Question: "How do I delete my account?", Answer: "Go to Settings > Account > Delete account.", Line: 3},
	}
	bot, err := NewBuiltin(BuiltinConfig{Threshold: 0.35}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := bot.WithMemory(mem).Answer(context.Background(), "how do I remove someone's access to our folder, and stop editors re-sharing it?", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := mem[0].Answer + "\n\n" + mem[1].Answer
	if a.Source != SourceMemory || a.Text != want || !reflect.DeepEqual(a.MemoryLines, []int{1, 2}) {
		t.Fatalf("%+v: want both learned answers, lines [1 2]", a)
	}
	// A one-part question gets one answer.
	a, _ = bot.WithMemory(mem).Answer(context.Background(), "how do I remove someone's access to a folder", nil)
	if a.Text != mem[0].Answer || len(a.MemoryLines) != 1 {
		t.Fatalf("%+v: want only the first pair", a)
	}
}

// unrelatedMemory is general knowledge: nothing a support bot is asked.
var unrelatedMemory = []MemoryPair{
	{Question: "What is the capital of Australia?", Answer: "Canberra."},
	{Question: "Who painted the Mona Lisa?", Answer: "Leonardo da Vinci painted it."},
	{Question: "How long does light take to reach Earth from the Sun?", Answer: "About 8 minutes and 20 seconds."},
	{Question: "Which planet is known as the red planet?", Answer: "Mars."},
	{Question: "How many players does a football team have on the pitch?", Answer: "Eleven."},
	{Question: "What is the currency of Japan?", Answer: "The yen."},
}

func TestBuiltinUnrelatedMemoryChangesNothing(t *testing.T) {
	ctx := context.Background()
	plain := newTestBot(t, BuiltinConfig{})
	tuned := plain.WithMemory(unrelatedMemory).WithEmbed(fakeVectors(nil, []string{"long", "wait"}, []string{"minutes", "hour"}))
	for _, q := range []string{
		"too many attempts, how long do I have to wait?",
		"do you take paypal",
		"how do I get a password reset link",
		"how long do deleted items stay in trash",
		"when is live chat staffed",
		"how much is pro",
		"which mountain is the tallest in europe",
	} {
		want, err := plain.Answer(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tuned.Answer(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: with an unrelated memory %+v, without %+v", q, got, want)
		}
	}
}

func TestBuiltinEmbedsEachWordOnce(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int64
	bot := newTestBot(t, BuiltinConfig{}).WithMemory(pricing).WithEmbed(fakeVectors(&calls, []string{"yearly", "annually"}))
	if _, err := bot.Answer(ctx, "yearly cost of pro", testDocs[:2]); err != nil {
		t.Fatal(err)
	}
	// The memory's words in one call, then the question's and the contexts' in one.
	if n := calls.Load(); n != 2 {
		t.Errorf("%d embed calls for the first question, want 2", n)
	}
	if _, err := bot.Answer(ctx, "yearly cost of pro", testDocs[:2]); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d embed calls after the same question again, want still 2", n)
	}
}

func TestBuiltinEmbedErrors(t *testing.T) {
	boom := errors.New("embedder down")
	tests := []struct {
		name  string
		embed EmbedFunc
		want  string
	}{
		{"error", func(context.Context, []string) ([][]float32, error) { return nil, boom }, "embedder down"},
		{"short", func(context.Context, []string) ([][]float32, error) { return [][]float32{{1}}, nil }, "vectors for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot := newTestBot(t, BuiltinConfig{}).WithMemory(pricing).WithEmbed(tt.embed)
			_, err := bot.Answer(context.Background(), "how much is pro", nil)
			if err == nil || !strings.Contains(err.Error(), "builtin memory") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a builtin memory error containing %q", err, tt.want)
			}
		})
	}
	// A bot without memory never embeds.
	if _, err := newTestBot(t, BuiltinConfig{}).WithEmbed(tests[0].embed).Answer(context.Background(), "how much is pro", nil); err != nil {
		t.Errorf("memoryless bot: %v", err)
	}
}

func TestWordSim(t *testing.T) {
	vec := func(v ...float32) []float32 { return v }
	w := func(s string, v []float32) word {
		g, n := wordGrams(s)
		return word{stem: lexical.Stem(s), surface: s, grams: g, norm: n, vec: v}
	}
	tests := []struct {
		name string
		a, b word
		want func(float64) bool
	}{
		{"same stem", w("deleted", nil), w("deleting", nil), func(s float64) bool { return s == 1 }},
		{"typo", w("acount", nil), w("account", nil), func(s float64) bool { return s > 0.5 && s < 1 }},
		{"short words have no typos", w("pro", nil), w("pr", nil), func(s float64) bool { return s == 0 }},
		{"unrelated", w("paypal", nil), w("refund", nil), func(s float64) bool { return s == 0 }},
		{"close vectors", w("yearly", vec(1, 0)), w("annually", vec(0.9, 0.1)), func(s float64) bool { return s > 0.7 && s < 1 }},
		{"far vectors", w("yearly", vec(1, 0)), w("monthly", vec(0.3, 0.95)), func(s float64) bool { return s == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.a.vec != nil {
				vs, _ := embedUnit(context.Background(), func(context.Context, []string) ([][]float32, error) {
					return [][]float32{tt.a.vec, tt.b.vec}, nil
				}, []string{tt.a.surface, tt.b.surface})
				tt.a.vec, tt.b.vec = vs[0], vs[1]
			}
			if s := wordSim(&tt.a, &tt.b); !tt.want(s) {
				t.Errorf("wordSim(%s, %s) = %.3f", tt.a.surface, tt.b.surface, s)
			}
			if s, r := wordSim(&tt.a, &tt.b), wordSim(&tt.b, &tt.a); s != r {
				t.Errorf("not symmetric: %.3f vs %.3f", s, r)
			}
		})
	}
}

// BenchmarkBuiltinRecallWithVectors measures a memory answer over 1,000
// learned pairs whose words all have 100-dimensional vectors.
func BenchmarkBuiltinRecallWithVectors(b *testing.B) {
	pairs := make([]MemoryPair, 1000)
	topics := []string{"password", "invoice", "export", "storage", "trash", "share", "plan", "refund", "phone", "backup"}
	for i := range pairs {
		t := topics[i%len(topics)]
		pairs[i] = MemoryPair{Question: "How do I change the " + t + " setting number " + string(rune('a'+i%26)) + "?", Answer: "Go to Settings > " + t + " and click Change " + strings.Repeat("x", i%5) + "."}
	}
	embed := func(_ context.Context, texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i, t := range texts {
			v := make([]float32, 100)
			for k := 0; k < len(t); k++ {
				v[(int(t[k])*31+k)%100] += 1
			}
			out[i] = v
		}
		return out, nil
	}
	bot := newTestBot(b, BuiltinConfig{}).WithMemory(pairs).WithEmbed(embed)
	ctx := context.Background()
	if _, err := bot.Answer(ctx, "how can I change my invoice settings", testDocs[:1]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bot.Answer(ctx, "how can I change my invoice settings", testDocs[:1]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRecallAnswerSkipsRepeatedParagraphs(t *testing.T) {
	steps := "1. Go to Settings > Security.\n2. Click Turn on."
	r := recall{pairs: []MemoryPair{
		{Answer: steps + "\n\nFrom then on, we ask for a code."},
		{Answer: "2FA adds a second step.\n\n" + steps},
	}}
	want := steps + "\n\nFrom then on, we ask for a code.\n\n2FA adds a second step."
	if got := r.answer(); got != want {
		t.Errorf("answer %q, want %q", got, want)
	}
	tests := []struct {
		answer string
		want   bool
	}{
		{steps, true}, // part of a chosen answer
		{"From then on, we ask for a code.", true},
		{steps + "\n\n2FA adds a second step.", true}, // every paragraph given
		{"Backup codes work once.", false},
	}
	for _, tt := range tests {
		if got := overlaps(tt.answer, r.pairs); got != tt.want {
			t.Errorf("overlaps(%q) = %v, want %v", tt.answer, got, tt.want)
		}
	}
}

func TestBuiltinRecallConcurrent(t *testing.T) {
	ctx := context.Background()
	questions := []string{"yearly price for pro", "how do I delete my acount", "export my notes", "do you take paypal"}
	embed := fakeVectors(nil, []string{"yearly", "annually"}, []string{"price", "cost", "costs"})
	want := make([]BuiltinAnswer, len(questions))
	ref := newTestBot(t, BuiltinConfig{}).WithMemory(pricing).WithEmbed(embed)
	for i, q := range questions {
		a, err := ref.Answer(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = a
	}
	// A fresh bot prepares its memory on first use, here from 8 goroutines at once.
	bot := newTestBot(t, BuiltinConfig{}).WithMemory(pricing).WithEmbed(embed)
	errs := make(chan string, 8*len(questions))
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i, q := range questions {
				if a, err := bot.Answer(ctx, q, nil); err != nil || !reflect.DeepEqual(a, want[i]) {
					errs <- q
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
	close(errs)
	for q := range errs {
		t.Errorf("concurrent answer to %q differs", q)
	}
}
