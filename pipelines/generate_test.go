package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/generators"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// testChunks is a tiny help centre.
func testChunks() []dataset.Chunk {
	return []dataset.Chunk{
		{ID: "c-reset", Doc: "docs/reset.md", Heading: "Reset your password > Get a reset link", Text: "1. Go to https://example.test/reset.\n2. Enter your e-mail address and click **Send reset link**.\n\nReset links expire after 30 minutes."},
		{ID: "c-2fa", Doc: "docs/2fa.md", Heading: "Turn on 2FA", Text: "Go to Settings > Security and click **Turn on**. You can register up to 5 security keys."},
		{ID: "c-billing", Doc: "docs/billing.md", Heading: "Plans > Cancel your plan", Text: "To cancel, go to Settings > Billing > Cancel plan. If a payment fails, we retry it 3 times over 7 days."},
	}
}

// fixedSearch returns the same chunks for every query.
type fixedSearch []dataset.Chunk

func (f fixedSearch) Search(_ context.Context, _ string, k int) ([]dataset.Chunk, error) {
	return f[:min(k, len(f))], nil
}

func (f fixedSearch) Chunks() []dataset.Chunk { return f }

func testFailure(id string) generators.Failure {
	return generators.Failure{ID: id, Question: "forgot my password, what do i do", Gold: []string{"Go to the reset page."}, Label: dataset.Refused}
}

// scripted is a generator whose candidates a test chooses per call.
type scripted struct {
	mu    sync.Mutex
	calls []generators.Seed
	fn    func(seed generators.Seed) ([]dataset.Sample, error)
}

func (s *scripted) entry(name string, kind generators.Kind) generators.Entry {
	return generators.Entry{Spec: spec.Spec{Name: name}, Kind: kind, New: func(p *spec.Params, _ generators.Deps) (generators.Generator, error) {
		return generators.Func(name, func(_ context.Context, seed generators.Seed) ([]dataset.Sample, error) {
			s.mu.Lock()
			s.calls = append(s.calls, seed)
			s.mu.Unlock()
			return s.fn(seed)
		}), p.Err()
	}}
}

// sample makes a candidate grounded in the seed's first chunk.
func sample(seed generators.Seed, q, a string) dataset.Sample {
	return generators.NewSample("fake", seed, q, a, seed.Chunks[:1])
}

// buildTest builds stages from YAML with the fake generator registered.
func buildTest(t testing.TB, src string, gen *scripted, eval []dataset.Item) []Stage {
	t.Helper()
	gr := generators.Builtin()
	if gen != nil {
		gr.MustRegister(gen.entry("fake", generators.Source))
	}
	stages, err := BuildStages("generate.stages", parseStages(t, src), StageEnv{
		Generators: gr, Search: fixedSearch(testChunks()),
		ValDeps: validators.Deps{Eval: eval, Corpus: fixedSearch(testChunks()), Search: fixedSearch(testChunks())},
	})
	if err != nil {
		t.Fatal(err)
	}
	return stages
}

func TestLoopStopsAtExactlyN(t *testing.T) {
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		var out []dataset.Sample
		for i := range 5 { // always more than needed
			out = append(out, sample(seed, fmt.Sprintf("How do I do thing %d in round %d?", i, seed.Round), "Go to Settings > Security and click Turn on."))
		}
		return out, nil
	}}
	g := &Generate{Stages: buildTest(t, "[{type: retrieve}, {type: fake}, {type: format}]", gen, nil), MaxRounds: 4, Search: fixedSearch(testChunks())}
	sink := &memSink{}
	rep, err := g.Item(context.Background(), Target{Failure: testFailure("f1"), Want: 3}, ItemState{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != StatusReached || rep.Accepted != 3 || rep.Rounds != 1 || len(sink.accepted) != 3 {
		t.Fatalf("report %+v, %d rows", rep, len(sink.accepted))
	}
	if len(sink.rounds) != 1 || sink.rounds[0].Surplus != 2 {
		t.Fatalf("rounds %+v", sink.rounds)
	}
	if gen.calls[0].N != 3 || len(gen.calls[0].Chunks) != 3 {
		t.Fatalf("seed N %d chunks %d", gen.calls[0].N, len(gen.calls[0].Chunks))
	}
	for i, r := range sink.accepted {
		if !strings.HasPrefix(r.ID, "f1-r1-") || r.Provenance.FailedItem != "f1" || r.Provenance.Round != 1 || len(r.Verdicts) != 2 {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
}

func TestLoopStopsAtMaxRoundsWithFeedback(t *testing.T) {
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		return []dataset.Sample{
			sample(seed, fmt.Sprintf("Password reset steps round %d", seed.Round), "Go to the reset page."), // not a question: format rejects
			sample(seed, fmt.Sprintf("Can I register security keys, round %d?", seed.Round), "Yes, up to 5."),
		}, nil
	}}
	g := &Generate{Stages: buildTest(t, "[{type: retrieve}, {type: fake}, {type: format}]", gen, nil), MaxRounds: 3, Search: fixedSearch(testChunks())}
	sink := &memSink{}
	rep, err := g.Item(context.Background(), Target{Failure: testFailure("f1"), Want: 5}, ItemState{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != StatusExhausted || rep.Accepted != 3 || rep.Rounds != 3 || rep.Candidates != 6 {
		t.Fatalf("report %+v", rep)
	}
	if sink.rejected != 3 {
		t.Fatalf("%d rejected, want 3", sink.rejected)
	}
	// Round 2 hears why round 1's candidate was rejected, and what was accepted.
	if len(gen.calls) != 3 {
		t.Fatalf("%d generator calls", len(gen.calls))
	}
	fb := strings.Join(gen.calls[1].Feedback, "|")
	if !strings.Contains(fb, "format: not a question or a request (1 candidate)") {
		t.Fatalf("round 2 feedback %q", fb)
	}
	if gen.calls[2].Feedback[0] != "format: not a question or a request (2 candidates)" {
		t.Fatalf("round 3 feedback %q", gen.calls[2].Feedback)
	}
	if len(gen.calls[1].Accepted) != 1 || gen.calls[1].N != 4 || gen.calls[2].N != 3 {
		t.Fatalf("round 2 accepted %v N %d; round 3 N %d", gen.calls[1].Accepted, gen.calls[1].N, gen.calls[2].N)
	}
}

func TestLoopErrorStatusAndMalformedCounted(t *testing.T) {
	gen := &scripted{fn: func(generators.Seed) ([]dataset.Sample, error) {
		return nil, &generators.MalformedError{Generator: "fake", Attempts: 3, Last: fmt.Errorf("no JSON object")}
	}}
	g := &Generate{Stages: buildTest(t, "[{type: retrieve}, {type: fake}]", gen, nil), MaxRounds: 2, Search: fixedSearch(testChunks())}
	sink := &memSink{}
	rep, err := g.Item(context.Background(), Target{Failure: testFailure("f1"), Want: 2}, ItemState{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != StatusError || rep.Rounds != 2 || !strings.Contains(rep.Error, "not the JSON asked for") {
		t.Fatalf("report %+v", rep)
	}
	if sink.rounds[0].Stages[1].Errors != 1 {
		t.Fatalf("generator errors not counted: %+v", sink.rounds[0].Stages)
	}
}

func TestLoopDecontaminatesEvalQuestions(t *testing.T) {
	eval := []dataset.Item{{ID: "password-forgot", Question: "forgot my password, what do i do", Answers: []string{"Go to https://example.test/reset and enter your e-mail."}}}
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		return []dataset.Sample{
			sample(seed, seed.Failure.Question, "Go to https://example.test/reset."),                                // verbatim
			sample(seed, "Forgot my password - what do I do?", "Go to https://example.test/reset."),                 // near-verbatim
			sample(seed, "Where do I get a reset link?", "Go to https://example.test/reset and enter your e-mail."), // gold answer copied
			sample(seed, "How long does a reset link last?", "Reset links expire after 30 minutes."),
		}, nil
	}}
	g := &Generate{Stages: buildTest(t, "[{type: retrieve}, {type: fake}]", gen, eval), MaxRounds: 1, Search: fixedSearch(testChunks())}
	sink := &memSink{}
	if _, err := g.Item(context.Background(), Target{Failure: testFailure("password-forgot"), Want: 4}, ItemState{}, sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.accepted) != 1 || sink.accepted[0].Question != "How long does a reset link last?" {
		t.Fatalf("accepted %+v", sink.accepted)
	}
	dec := sink.rounds[0].Stages[2]
	if dec.Stage != "decontaminate" || dec.Rejected != 3 {
		t.Fatalf("decontaminate stage %+v", dec)
	}
}

// TestDedupeAcrossConcurrentItems: two items whose generators write the
// same rows at the same time accept each row once.
func TestDedupeAcrossConcurrentItems(t *testing.T) {
	var barrier sync.WaitGroup
	barrier.Add(2)
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		if seed.Round == 1 {
			barrier.Done()
			barrier.Wait() // both items generate before either accepts
		}
		return []dataset.Sample{
			sample(seed, "How do I turn on two-factor authentication?", "Go to Settings > Security and click Turn on."),
			sample(seed, map[string]string{"a": "Can I add security keys to my account?", "b": "What is the limit on registered keys per user?"}[seed.Failure.ID], "You can register up to 5 security keys."),
		}, nil
	}}
	g := &Generate{Stages: buildTest(t, "[{type: retrieve}, {type: fake}, {type: dedupe}]", gen, nil), MaxRounds: 1, Search: fixedSearch(testChunks())}
	sink := &memSink{}
	targets := []Target{{Failure: testFailure("a"), Want: 2}, {Failure: testFailure("b"), Want: 2}}
	err := ForEach(context.Background(), targets, 2,
		func(ctx context.Context, tg Target) error {
			_, err := g.Item(ctx, tg, ItemState{}, sink)
			return err
		}, nil, func(err error) error { return err })
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range sink.accepted {
		seen[r.Question]++
	}
	if seen["How do I turn on two-factor authentication?"] != 1 || len(sink.accepted) != 3 || sink.rejected != 1 {
		t.Fatalf("accepted %v", seen)
	}
}

func TestDPORejectedAnswers(t *testing.T) {
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		return []dataset.Sample{
			sample(seed, "How long does a reset link last?", "Reset links expire after 30 minutes."),
			sample(seed, "Where do I reset my password?", "Go to https://example.test/reset."),
			sample(seed, "How many security keys can I add?", "You can register up to 5 security keys."),
		}, nil
	}}
	// The evaluated model: right about the reset page, refuses the rest, fails once.
	model := llm.ModelFunc(func(_ context.Context, req llm.Request) (llm.Response, error) {
		q := req.Messages[len(req.Messages)-1].Content
		switch {
		case strings.Contains(q, "reset my password"):
			return llm.Response{Text: "Go to https://example.test/reset."}, nil
		case strings.Contains(q, "security keys"):
			return llm.Response{}, fmt.Errorf("provider down")
		}
		return llm.Response{Text: "Sorry, I don't understand."}, nil
	})
	reg := validators.Builtin()
	var vals []validators.Built
	for i, cfg := range []map[string]any{{"type": "match"}, {"type": "refusal"}} {
		b, err := reg.Build(spec.Index("eval.validators", i), cfg, validators.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, b)
	}
	g := &Generate{
		Stages: buildTest(t, "[{type: retrieve}, {type: fake}]", gen, nil), MaxRounds: 1, Search: fixedSearch(testChunks()),
		Rival: &Eval{Model: model, Validators: vals, Policy: validators.DefaultPolicy()},
	}
	sink := &memSink{}
	if _, err := g.Item(context.Background(), Target{Failure: testFailure("f1"), Want: 3}, ItemState{}, sink); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range sink.accepted {
		got[r.Question] = r.RejectedAnswer
	}
	if got["How long does a reset link last?"] != "Sorry, I don't understand." || got["Where do I reset my password?"] != "" || got["How many security keys can I add?"] != "" {
		t.Fatalf("rejected answers %q", got)
	}
	if d := sink.rounds[0].DPO; d.Pairs != 1 || d.ModelRight != 1 || d.Errors != 1 {
		t.Fatalf("dpo counts %+v", d)
	}
	var buf strings.Builder
	n, err := dataset.Export(&buf, dataset.DPO, sink.accepted, dataset.ExportOptions{})
	if err != nil || n != 1 || !strings.Contains(buf.String(), `"chosen":"Reset links expire after 30 minutes."`) {
		t.Fatalf("dpo export (%d rows, %v): %s", n, err, buf.String())
	}
}

// runFiles reads the accepted and rejected rows a run wrote.
func runFiles(t *testing.T, f GenerateFiles) (acc, rej []dataset.Record) {
	t.Helper()
	acc, torn, err := dataset.ReadJSONL[dataset.Record](f.Accepted)
	if err != nil || torn != nil {
		t.Fatalf("accepted: %v %v", err, torn)
	}
	rej, _, err = dataset.ReadJSONL[dataset.Record](f.Rejected)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return acc, rej
}

func newRun(stages []Stage, dir string, targets []Target, resume bool) *GenerateRun {
	return &GenerateRun{
		Generate: &Generate{Stages: stages, MaxRounds: 3, Search: fixedSearch(testChunks())},
		Targets:  targets, Files: FilesFor(filepath.Join(dir, "data", "synthetic.jsonl"), dataset.Native),
		Format: dataset.Native, Manifest: GenerateManifest{Run: "r1", PerFailure: 2, MaxRounds: 3, Format: dataset.Native},
		Resume: resume, Concurrency: 2,
	}
}

// TestRunResumeNoDuplicates interrupts a generation, tears the last line of
// the output, resumes, and compares with an uninterrupted run.
func TestRunResumeNoDuplicates(t *testing.T) {
	makeGen := func(cancelAt int64, cancel context.CancelFunc) *scripted {
		var n atomic.Int64
		return &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
			if n.Add(1) == cancelAt {
				cancel()
			}
			return []dataset.Sample{
				sample(seed, fmt.Sprintf("Question %d about %s?", seed.Round, seed.Failure.ID), "Go to Settings > Security."),
				sample(seed, fmt.Sprintf("Other question about %s in round %d", seed.Failure.ID, seed.Round), "Go to Settings > Security."), // rejected by format
			}, nil
		}}
	}
	var targets []Target
	for i := range 6 {
		targets = append(targets, Target{Failure: testFailure(fmt.Sprintf("item-%d", i)), Want: 2})
	}
	const pipeline = "[{type: retrieve}, {type: fake}, {type: format}, {type: dedupe}]"

	// Uninterrupted.
	want := t.TempDir()
	full := newRun(buildTest(t, pipeline, makeGen(-1, nil), nil), want, targets, false)
	s, err := full.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Reached != 6 || s.Accepted != 12 || s.Interrupted {
		t.Fatalf("full run %+v", s)
	}
	wantAcc, wantRej := runFiles(t, full.Files)

	// Interrupted after a few generator calls.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	part := newRun(buildTest(t, pipeline, makeGen(5, cancel), nil), dir, targets, false)
	s, err = part.Run(ctx)
	if err == nil || s == nil || !s.Interrupted || s.Completed == 6 {
		t.Fatalf("interrupted run: %v %+v", err, s)
	}
	// A crash mid-write leaves a torn line.
	fh, err := os.OpenFile(part.Files.Accepted, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString(`{"id":"item-9-r1-1","question":"torn`)
	fh.Close()

	// Without --resume or --force, the old files are not overwritten.
	again := newRun(buildTest(t, pipeline, makeGen(-1, nil), nil), dir, targets, false)
	if _, err := again.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "pass --resume") {
		t.Fatalf("fresh run over old files: %v", err)
	}
	// Settings must match.
	other := newRun(buildTest(t, pipeline, makeGen(-1, nil), nil), dir, targets, true)
	other.Manifest.PerFailure = 3
	if _, err := other.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "per_failure was 2, now 3") {
		t.Fatalf("resume with other settings: %v", err)
	}
	res := newRun(buildTest(t, pipeline, makeGen(-1, nil), nil), dir, targets, true)
	s, err = res.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Reached != 6 || s.Accepted != 12 || s.Interrupted || s.Resumed == 0 {
		t.Fatalf("resumed run %+v", s)
	}
	gotAcc, gotRej := runFiles(t, res.Files)
	if ids(gotAcc) != ids(wantAcc) {
		t.Fatalf("accepted after resume:\n%s\nwant\n%s", ids(gotAcc), ids(wantAcc))
	}
	if ids(gotRej) != ids(wantRej) {
		t.Fatalf("rejected after resume:\n%s\nwant\n%s", ids(gotRej), ids(wantRej))
	}
	perItem := map[string]int{}
	for _, r := range gotAcc {
		perItem[r.Provenance.FailedItem]++
	}
	for id, n := range perItem {
		if n != 2 {
			t.Fatalf("%s has %d rows, want exactly 2", id, n)
		}
	}
	var sum GenerateSummary
	raw, err := os.ReadFile(res.Files.Summary)
	if err != nil || json.Unmarshal(raw, &sum) != nil || sum.Accepted != 12 || len(sum.Items) != 6 {
		t.Fatalf("summary file: %v %+v", err, sum)
	}
}

// ids lists record ids, sorted, and fails on duplicates by showing them twice.
func ids(rs []dataset.Record) string {
	var l []string
	for _, r := range rs {
		l = append(l, r.ID)
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}

func TestRunExportsFormatAndForce(t *testing.T) {
	dir := t.TempDir()
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		return []dataset.Sample{sample(seed, "How do I turn on 2FA for "+seed.Failure.ID+"?", "Go to Settings > Security and click Turn on.")}, nil
	}}
	run := newRun(buildTest(t, "[{type: retrieve}, {type: fake}]", gen, nil), dir, []Target{{Failure: testFailure("a"), Want: 1}}, false)
	run.Format = dataset.OpenAI
	run.Manifest.Format = dataset.OpenAI
	run.Files = FilesFor(filepath.Join(dir, "out.jsonl"), dataset.OpenAI)
	run.Export = dataset.ExportOptions{System: "Be helpful."}
	s, err := run.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(run.Files.Out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"messages":[{"role":"system","content":"Be helpful."},{"role":"user","content":"How do I turn on 2FA for a?"},{"role":"assistant","content":"Go to Settings > Security and click Turn on."}]}` + "\n"
	if string(out) != want || s.Exported != 1 {
		t.Fatalf("export (%d):\n%s\nwant\n%s", s.Exported, out, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.state", "accepted.jsonl")); err != nil {
		t.Fatalf("native log: %v", err)
	}
	run.Force = true
	if _, err := run.Run(context.Background()); err != nil {
		t.Fatalf("--force: %v", err)
	}
}

// TestResumeRetriesErrorItems: an item whose every round failed ends as
// error; --resume gives it a fresh allowance of rounds.
func TestResumeRetriesErrorItems(t *testing.T) {
	dir := t.TempDir()
	var broken atomic.Bool
	broken.Store(true)
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		if broken.Load() {
			return nil, fmt.Errorf("model unreachable")
		}
		return []dataset.Sample{
			sample(seed, fmt.Sprintf("How do I turn on 2FA (round %d)?", seed.Round), "Go to Settings > Security and click Turn on."),
			sample(seed, "Can I register several security keys?", "You can register up to 5 security keys."),
		}, nil
	}}
	stages := buildTest(t, "[{type: retrieve}, {type: fake}]", gen, nil)
	targets := []Target{{Failure: testFailure("a"), Want: 2}}
	s, err := newRun(stages, dir, targets, false).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Errors != 1 || s.Items[0].Status != StatusError || s.Items[0].Rounds != 3 {
		t.Fatalf("first session %+v", s.Items)
	}
	broken.Store(false)
	s, err = newRun(stages, dir, targets, true).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Reached != 1 || s.Errors != 0 || s.Items[0].Rounds != 4 || s.Accepted != 2 {
		t.Fatalf("resumed %+v %+v", s, s.Items)
	}
	acc, _ := runFiles(t, FilesFor(filepath.Join(dir, "data", "synthetic.jsonl"), dataset.Native))
	if len(acc) != 2 || !strings.HasPrefix(acc[0].ID, "a-r4-") {
		t.Fatalf("rows %s", ids(acc))
	}
}

// TestResumeDoesNotCountAWrittenRowTwice: a session killed between the two
// rows of one round left the first row in the output and no record of the
// round. The resumed round makes the same candidates again; the first is
// already written and already counted, so the second must still be accepted.
func TestResumeDoesNotCountAWrittenRowTwice(t *testing.T) {
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		return []dataset.Sample{
			sample(seed, "What happens to empty boxes at the dock?", "Cardboard goes into the blue recycling cage behind the loading dock."),
			sample(seed, "Where do I recycle cardboard?", "Cardboard goes into the blue recycling cage behind the loading dock."),
		}, nil
	}}
	stages := buildTest(t, "[{type: retrieve}, {type: fake}, {type: format}, {type: dedupe}]", gen, nil)
	g := &Generate{Stages: stages, MaxRounds: 3, Search: fixedSearch(testChunks())}
	target := Target{Failure: testFailure("q004"), Want: 2}

	// What the killed session wrote: round 1's first row.
	first := &memSink{}
	if _, err := g.Item(context.Background(), Target{Failure: target.Failure, Want: 1}, ItemState{}, first); err != nil {
		t.Fatal(err)
	}
	if len(first.accepted) != 1 {
		t.Fatalf("setup: %d rows accepted, want 1", len(first.accepted))
	}
	row := first.accepted[0]

	// The resumed session: a fresh pipeline that learns the written row from the files.
	stages = buildTest(t, "[{type: retrieve}, {type: fake}, {type: format}, {type: dedupe}]", gen, nil)
	g = &Generate{Stages: stages, MaxRounds: 3, Search: fixedSearch(testChunks())}
	if err := g.Register(context.Background(), []dataset.Record{row}); err != nil {
		t.Fatal(err)
	}
	st := ItemState{
		Accepted:    []string{row.Question},
		AcceptedIDs: map[string]bool{row.ID: true},
		Written:     map[string]bool{row.ID: true},
		Reasons:     map[string]int{},
	}
	resumed := &memSink{}
	rep, err := g.Item(context.Background(), target, st, resumed)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 2 || len(resumed.accepted) != 1 || resumed.accepted[0].Question != "Where do I recycle cardboard?" {
		var qs []string
		for _, r := range resumed.accepted {
			qs = append(qs, r.Question)
		}
		t.Fatalf("resumed item: report says %d accepted, wrote %v; want the second row written and 2 in all", rep.Accepted, qs)
	}
}

func TestRowIDsComeFromContent(t *testing.T) {
	ids := map[string]int{}
	a := dataset.Sample{Question: "Q?", Answer: "A."}
	b := dataset.Sample{Question: "Other?", Answer: "A."}
	first, second, other := rowID("it", 2, a, ids), rowID("it", 2, a, ids), rowID("it", 2, b, ids)
	if !strings.HasPrefix(first, "it-r2-") || second != first+"-2" || other == first {
		t.Fatalf("ids %q %q %q", first, second, other)
	}
	if again := rowID("it", 2, a, map[string]int{}); again != first {
		t.Errorf("the same row in another session got id %q, want %q", again, first)
	}
}

// TestResumeRedoneRoundWithOtherCandidates: the interrupted session wrote the
// round's first row; the redone round's generator is asked for one row only
// and makes a different one. It must be written, not mistaken for the first
// (the case a SIGKILL between two rows of a round produced in the e2e test).
func TestResumeRedoneRoundWithOtherCandidates(t *testing.T) {
	gen := &scripted{fn: func(seed generators.Seed) ([]dataset.Sample, error) {
		all := []dataset.Sample{
			sample(seed, "What happens to empty boxes at the dock?", "Cardboard goes into the blue recycling cage behind the loading dock."),
			sample(seed, "Where do I recycle cardboard?", "Cardboard goes into the blue recycling cage behind the loading dock."),
		}
		var out []dataset.Sample
		for _, s := range all {
			if !slices.Contains(seed.Accepted, s.Question) && len(out) < seed.N {
				out = append(out, s)
			}
		}
		return out, nil
	}}
	const pipeline = "[{type: retrieve}, {type: fake}, {type: format}, {type: dedupe}]"
	target := Target{Failure: testFailure("q004"), Want: 2}

	first := &memSink{}
	g := &Generate{Stages: buildTest(t, pipeline, gen, nil), MaxRounds: 3, Search: fixedSearch(testChunks())}
	if _, err := g.Item(context.Background(), Target{Failure: target.Failure, Want: 1}, ItemState{}, first); err != nil || len(first.accepted) != 1 {
		t.Fatalf("setup: %v, %d rows", err, len(first.accepted))
	}
	row := first.accepted[0]

	g = &Generate{Stages: buildTest(t, pipeline, gen, nil), MaxRounds: 3, Search: fixedSearch(testChunks())}
	if err := g.Register(context.Background(), []dataset.Record{row}); err != nil {
		t.Fatal(err)
	}
	st := ItemState{Accepted: []string{row.Question}, AcceptedIDs: map[string]bool{row.ID: true}, Written: map[string]bool{row.ID: true}, Reasons: map[string]int{}}
	resumed := &memSink{}
	rep, err := g.Item(context.Background(), target, st, resumed)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 2 || len(resumed.accepted) != 1 || resumed.accepted[0].Question != "Where do I recycle cardboard?" || resumed.accepted[0].ID == row.ID {
		t.Fatalf("resumed: report %d accepted, wrote %+v", rep.Accepted, resumed.accepted)
	}
}
