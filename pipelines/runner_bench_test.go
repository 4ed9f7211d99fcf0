package pipelines

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// Benchmarks of synth's own work around the model calls: the runner, one
// item, a whole run into a run directory, and the deterministic validators
// over 100k answers. `make bench` runs them (scripts/bench) and reports the
// figures in docs/performance.md. None of them asserts a time.

// rbChunks are help-doc chunks with links, numbers and menu paths, for the
// validators that check answers against the docs.
var rbChunks = rbCorpus{
	{ID: "reset#1", Doc: "account/reset-password.md", Heading: "Reset your password",
		Text: "Go to https://nimbus.example/reset, enter your account e-mail and click the link we send you. The link expires after 30 minutes and can be used once. You can request up to 3 reset e-mails per hour."},
	{ID: "billing#2", Doc: "billing/plans.md", Heading: "Plans and prices",
		Text: "The Team plan costs $10 per user per month, billed yearly, or $12 billed monthly. Refunds are issued within 5 business days to the original card. Open Settings > Billing > Invoices to download invoices as PDF."},
	{ID: "devices#3", Doc: "account/devices.md", Heading: "Devices",
		Text: "You can sign in on up to 3 devices at once. To sign out of a device, open Settings > Security > Sessions and click Sign out next to it. Support is available from 9am to 5pm at help@nimbus.example or +1 (800) 555-0199."},
	{ID: "delete#4", Doc: "account/delete.md", Heading: "Delete your account",
		Text: "Open Settings > Account > Delete account. We keep your data for 30 days, then delete it for good; see https://nimbus.example/privacy for details."},
}

// rbCorpus is a knowledge base that returns the same chunks for every query:
// the search itself is benchmarked in package retrieval.
type rbCorpus []dataset.Chunk

// Chunks implements retrieval.Corpus.
func (c rbCorpus) Chunks() []dataset.Chunk { return c }

// Search implements retrieval.Searcher.
func (c rbCorpus) Search(_ context.Context, _ string, k int) ([]dataset.Chunk, error) {
	return c[:min(k, len(c))], nil
}

// rbSet makes n eval items and an answer for each (by item ID), with a
// fixed seed: support-bot answers of 20–60 words, some with numbers, links,
// e-mail addresses, phone numbers and menu paths, some of them wrong.
func rbSet(n int) ([]dataset.Item, map[string]string) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields(`account password reset settings billing invoice refund plan team member
		delete profile email notification security login device app browser cache sync export import
		the a to of and in your you can will be is for on with from open click tap choose select then
		after before within days hours support help page button menu option change update save`)
	extras := []string{"within 5 business days", "for $10 per user per month", "after 24 hours", "on up to 3 devices",
		"at https://nimbus.example/reset", "at https://nimbus.example/account/recover", "via Settings > Account > Delete account",
		"at help@nimbus.example", "on +1 (800) 555-0199", "from 9am to 5pm", "after 30 minutes", ""}
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
	items := make([]dataset.Item, n)
	answers := make(map[string]string, n)
	for i := range items {
		id := fmt.Sprintf("item-%06d", i)
		items[i] = dataset.Item{ID: id, Question: "How do I " + sentence(6), Answers: []string{sentence(8 + rng.IntN(10))}}
		answers[id] = sentence(10+rng.IntN(20)) + " " + sentence(10+rng.IntN(20))
	}
	return items, answers
}

// rbReplay answers each item by its ID from answers, as the replay
// provider does, at no cost.
func rbReplay(answers map[string]string) llm.Model {
	return llm.ModelFunc(func(_ context.Context, req llm.Request) (llm.Response, error) {
		return llm.Response{Text: answers[req.ItemID]}, nil
	})
}

// rbValidators builds validators from config entries over the test docs.
func rbValidators(tb testing.TB, entries ...map[string]any) []validators.Built {
	tb.Helper()
	reg := validators.Builtin()
	deps := validators.Deps{Search: rbChunks, Corpus: rbChunks}
	out := make([]validators.Built, len(entries))
	for i, e := range entries {
		v, err := reg.Build(spec.Index("eval.validators", i), e, deps)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// BenchmarkForEach is the runner's cost per item, with work that does
// nothing: scheduling, the concurrency bound and delivery to the sink.
func BenchmarkForEach(b *testing.B) {
	for _, conc := range []int{1, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			b.ReportAllocs()
			items := make([]int, b.N)
			delivered := 0
			err := ForEach(context.Background(), items, conc,
				func(_ context.Context, n int) int { return n },
				nil,
				func(int) error { delivered++; return nil })
			if err != nil || delivered != b.N {
				b.Fatalf("delivered %d of %d: %v", delivered, b.N, err)
			}
		})
	}
}

// BenchmarkEvalItem is one eval item with a model that answers at once:
// the prompt, the call through the Model interface, one cheap validator
// (exact) and the label policy.
func BenchmarkEvalItem(b *testing.B) {
	items, answers := rbSet(1000)
	e := &Eval{Model: rbReplay(answers), SystemPrompt: DefaultSystemPrompt,
		Validators: rbValidators(b, map[string]any{"type": "exact"}), Policy: validators.DefaultPolicy()}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Item(ctx, items[i%len(items)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEvalRun is a whole run of 2,000 items at concurrency 32 with a
// model that answers at once, into a new run directory: manifest, the
// results file (one line per item, flushed to disk in the background),
// summary. ns/item is synth's own cost per item around the model call.
func BenchmarkEvalRun(b *testing.B) {
	const n = 2000
	items, answers := rbSet(n)
	set := &dataset.EvalSet{Path: "evalset.jsonl", Items: items, Hash: "bench"}
	e := &Eval{Model: rbReplay(answers), SystemPrompt: DefaultSystemPrompt,
		Validators: rbValidators(b, map[string]any{"type": "exact"}), Policy: validators.DefaultPolicy()}
	root := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		run := &EvalRun{Eval: e, Set: set, Manifest: dataset.Manifest{Model: "replay"}, Root: root, Concurrency: 32}
		out, err := run.Run(context.Background())
		if err != nil || out.Summary.Total != n {
			b.Fatalf("run: %v", err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/item")
}

// BenchmarkDeterministicValidators grades 100,000 answers with f1, rouge_l,
// links and numbers through the eval runner, as `synth eval` does with a
// replay model: ForEach at eval.concurrency 4 (both cores of a 2-core
// machine busy), Eval.Item with 4 help-doc chunks per item, the validators
// and the label policy. The results file is left out (BenchmarkEvalRun
// measures it). Reports the wall time of 100k answers (target: 2 s) and
// the CPU time.
func BenchmarkDeterministicValidators(b *testing.B) {
	const n = 100_000
	items, answers := rbSet(n)
	e := &Eval{Model: rbReplay(answers), SystemPrompt: DefaultSystemPrompt, Search: rbChunks, ContextK: 4,
		Validators: rbValidators(b,
			map[string]any{"type": "f1"}, map[string]any{"type": "rouge_l"},
			map[string]any{"type": "links"}, map[string]any{"type": "numbers"}),
		Policy: validators.DefaultPolicy()}
	ctx := context.Background()
	labels := map[dataset.Label]int{}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		clear(labels)
		err := ForEach(ctx, items, 4,
			func(ctx context.Context, it dataset.Item) dataset.Result {
				r, _ := e.Item(ctx, it)
				return r
			}, nil,
			func(r dataset.Result) error { labels[r.Label]++; return nil })
		if err != nil || labels[dataset.Error] > 0 {
			b.Fatalf("%v, labels %v", err, labels)
		}
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(perOp.Seconds(), "s/100k")
	b.ReportMetric(float64(n)/perOp.Seconds(), "pairs/s")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/100k")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}
