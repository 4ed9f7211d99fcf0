package validators

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// benchSamples makes n support-bot answer/gold pairs with a fixed seed:
// answers of 20–60 words, some with numbers, links and menu paths, each with
// two retrieved help-doc chunks.
func benchSamples(n int) []dataset.Sample {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields(`account password reset settings billing invoice refund plan team member
		delete profile email notification security login device app browser cache sync export import
		the a to of and in your you can will be is for on with from open click tap choose select then
		after before within days hours support help page button menu option change update save`)
	extras := []string{"within 5 business days", "for $10/month", "after 24 hours", "up to 3 devices",
		"at https://example.com/account/reset", "via Settings > Account > Delete account", "at help@example.com",
		"on +1 (800) 555-0199", "from 9am to 5pm", "thirty days", ""}
	sentence := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		if e := extras[rng.IntN(len(extras))]; e != "" {
			b.WriteString(" " + e)
		}
		b.WriteString(".")
		return b.String()
	}
	ctx := []dataset.Chunk{
		{ID: "k1", Doc: "billing.md", Text: helpDocs[2].Text + " " + sentence(60)},
		{ID: "k2", Doc: "account.md", Text: helpDocs[0].Text + " " + helpDocs[1].Text},
	}
	out := make([]dataset.Sample, n)
	for i := range out {
		out[i] = dataset.Sample{
			Question:   "How do I " + sentence(6),
			Answer:     sentence(10+rng.IntN(20)) + " " + sentence(10+rng.IntN(20)),
			References: []string{sentence(8 + rng.IntN(10))},
			Contexts:   ctx,
		}
	}
	return out
}

var benchSink float64

func benchValidator(b *testing.B, cfg map[string]any) {
	v := build(&testing.T{}, cfg, Deps{Corpus: helpDocs})
	samples := benchSamples(1000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vd, _ := v.Validate(ctx, &samples[i%len(samples)])
		benchSink += vd.Score
	}
}

func BenchmarkF1(b *testing.B)      { benchValidator(b, map[string]any{"type": "f1"}) }
func BenchmarkRougeL(b *testing.B)  { benchValidator(b, map[string]any{"type": "rouge_l"}) }
func BenchmarkNumbers(b *testing.B) { benchValidator(b, map[string]any{"type": "numbers"}) }
func BenchmarkLinks(b *testing.B)   { benchValidator(b, map[string]any{"type": "links"}) }
func BenchmarkMatch(b *testing.B)   { benchValidator(b, map[string]any{"type": "match"}) }
func BenchmarkRefusal(b *testing.B) { benchValidator(b, map[string]any{"type": "refusal"}) }

// BenchmarkFourValidators runs F1, ROUGE-L, links and numbers on each pair,
// in parallel (RunParallel uses every core): the target is 100k pairs in
// at most 2 s on 2 cores, i.e. ≤ 20 µs per pair here (reported as ns/op).
func BenchmarkFourValidators(b *testing.B) {
	var vs []Built
	for _, c := range []map[string]any{{"type": "f1"}, {"type": "rouge_l"}, {"type": "links"}, {"type": "numbers"}} {
		vs = append(vs, build(&testing.T{}, c, Deps{Corpus: helpDocs}))
	}
	samples := benchSamples(1000)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		i := 0
		sum := 0.0
		for pb.Next() {
			s := &samples[i%len(samples)]
			for _, v := range vs {
				vd, _ := v.Validate(ctx, s)
				sum += vd.Score
			}
			i++
		}
		_ = sum
	})
}

func BenchmarkNormalize(b *testing.B) {
	samples := benchSamples(100)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		benchSink += float64(len(Normalize(samples[i%len(samples)].Answer)))
	}
}
