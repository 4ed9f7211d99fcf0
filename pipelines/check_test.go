package pipelines

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// docsKB is an in-memory knowledge base over chunks: Search returns the
// first k chunks sharing a word with the query.
type docsKB []dataset.Chunk

func (kb docsKB) Chunks() []dataset.Chunk { return kb }

func (kb docsKB) Search(_ context.Context, q string, k int) ([]dataset.Chunk, error) {
	words := map[string]bool{}
	for _, w := range validators.Tokens(q) {
		if len(w) > 3 {
			words[w] = true
		}
	}
	var out []dataset.Chunk
	for _, c := range kb {
		for _, w := range validators.Tokens(c.Heading + " " + c.Text) {
			if words[w] {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

// checkItems are eval items over nimbusDocs.
var checkItems = []dataset.Item{
	{ID: "reset", Question: "How do I reset my password?", Answers: []string{"Go to https://nimbus.example/reset and enter your e-mail. Reset links expire after 30 minutes and work once."}},
	{ID: "email", Question: "How do I change my e-mail address?", Answers: []string{"Open Settings > Account > Email address, type the new address and click Save. The confirmation link expires after 24 hours."}},
	{ID: "support", Question: "When is support chat open?", Answers: []string{"Chat is open 9 am to 6 pm ET. E-mail support@nimbus.example and we reply within 1 business day."}},
	{ID: "trash", Question: "How long do deleted files stay in the trash?", Answers: []string{"Deleted files stay in Trash for 30 days and count towards your storage. Open Settings > Storage > Trash to empty it."}},
}

// buildValidators builds config entries like the project does.
func buildValidators(t testing.TB, deps validators.Deps, entries ...map[string]any) ([]validators.Built, []string) {
	t.Helper()
	var out []validators.Built
	var types []string
	for i, e := range entries {
		b, err := validators.Builtin().Build(spec.Index("eval.validators", i), e, deps)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		types = append(types, e["type"].(string))
	}
	return out, types
}

func newCheck(t testing.TB, entries ...map[string]any) *Check {
	kb := docsKB(nimbusDocs)
	deps := validators.Deps{Search: kb, Corpus: kb, Eval: checkItems}
	vals, types := buildValidators(t, deps, entries...)
	return &Check{Validators: vals, Types: types, Policy: validators.DefaultPolicy(), Search: kb, ContextK: 4, Concurrency: 3}
}

func kindReport(t *testing.T, rep *CheckReport, k PerturbKind) KindReport {
	t.Helper()
	for _, kr := range rep.Kinds {
		if kr.Kind == k {
			return kr
		}
	}
	t.Fatalf("no report for %s", k)
	return KindReport{}
}

func TestCheckCatchesEachKind(t *testing.T) {
	c := newCheck(t,
		map[string]any{"type": "f1", "correct": 0.8, "partial": 0.3},
		map[string]any{"type": "refusal"},
		map[string]any{"type": "numbers"},
		map[string]any{"type": "links"},
	)
	var progress atomic.Int64
	c.Progress = func(done, total int, _ CheckResult) { progress.Store(int64(done)) }
	rep, err := c.Run(context.Background(), checkItems, &Perturber{Docs: nimbusDocs})
	if err != nil {
		t.Fatal(err)
	}
	if int(progress.Load()) != rep.Cases || rep.Items != 4 {
		t.Errorf("progress %d of %d cases, %d items", progress.Load(), rep.Cases, rep.Items)
	}
	for _, k := range PerturbKinds {
		kr := kindReport(t, rep, k)
		if kr.Cases == 0 || kr.Caught != kr.Cases {
			var detail []string
			for _, r := range rep.Results {
				if r.Kind == k && !r.Agrees() {
					detail = append(detail, r.ID+": "+string(r.Label)+" "+r.Answer+" | "+r.Reason)
				}
			}
			t.Errorf("%s: caught %d of %d (missed %v)\n%s", k, kr.Caught, kr.Cases, kr.Missed, strings.Join(detail, "\n"))
		}
	}
	if rep.Agreement.Accuracy != 1 || rep.Agreement.Kappa != 1 || len(rep.Misses()) != 0 || len(rep.Uncovered) != 0 {
		t.Errorf("accuracy %v kappa %v misses %q uncovered %v", rep.Agreement.Accuracy, rep.Agreement.Kappa, rep.Misses(), rep.Uncovered)
	}
	// Responsibilities: numbers for changed numbers, links for links and paths.
	names := func(k PerturbKind) string {
		var n []string
		for _, v := range kindReport(t, rep, k).Validators {
			n = append(n, v.Validator)
		}
		return strings.Join(n, ",")
	}
	for k, want := range map[PerturbKind]string{PerturbNumber: "numbers", PerturbLink: "links", PerturbMenuPath: "links", PerturbRefusal: "refusal", PerturbTruncated: "f1", PerturbGold: "f1,refusal,numbers,links"} {
		if got := names(k); got != want {
			t.Errorf("%s: responsible %q, want %q", k, got, want)
		}
	}
}

func TestCheckNamesWeakValidators(t *testing.T) {
	// links only checks URLs here, and nothing checks numbers or refusals.
	c := newCheck(t,
		map[string]any{"type": "f1", "correct": 0.8, "partial": 0.3},
		map[string]any{"type": "links", "kinds": []any{"link"}},
	)
	rep, err := c.Run(context.Background(), checkItems, &Perturber{Docs: nimbusDocs, Kinds: []PerturbKind{PerturbGold, PerturbMenuPath, PerturbRefusal, PerturbNumber}})
	if err != nil {
		t.Fatal(err)
	}
	misses := strings.Join(rep.Misses(), "\n")
	for _, want := range []string{
		"links did not flag 4 of 4 invented menu paths: reset#menu_path, email#menu_path, support#menu_path, trash#menu_path",
		"no configured validator checks for refusals (refusal or judge would)",
		"no configured validator checks for changed numbers (numbers or judge or grounded would)",
	} {
		if !strings.Contains(misses, want) {
			t.Errorf("misses lack %q:\n%s", want, misses)
		}
	}
	if kr := kindReport(t, rep, PerturbMenuPath); kr.Caught != 0 || len(kr.Missed) != 4 {
		t.Errorf("menu paths %+v", kr)
	}
	if rep.Agreement.Kappa >= 0.9 {
		t.Errorf("kappa %v for a weak set", rep.Agreement.Kappa)
	}
}

func TestCheckKappaHandComputed(t *testing.T) {
	res := func(exp, got dataset.Label, n int) []CheckResult {
		var out []CheckResult
		for range n {
			out = append(out, CheckResult{CheckCase: CheckCase{Kind: PerturbNumber, Expected: exp}, Label: got})
		}
		return out
	}
	cases := []struct {
		name      string
		results   [][]CheckResult
		acc, kapp float64
	}{
		// po = 7/10; marginals expected (5, 5), synth (6, 4): pe = (30+20)/100 = 0.5;
		// kappa = (0.7-0.5)/(1-0.5) = 0.4.
		{"two labels", [][]CheckResult{res("correct", "correct", 4), res("correct", "wrong", 1), res("wrong", "correct", 2), res("wrong", "wrong", 3)}, 0.7, 0.4},
		// po = 7/10; marginals expected (4, 3, 3), synth (4, 3, 3): pe = (16+9+9)/100 = 0.34;
		// kappa = 0.36/0.66 = 6/11.
		{"three labels", [][]CheckResult{res("correct", "correct", 3), res("correct", "wrong", 1), res("partial", "partial", 2), res("partial", "correct", 1), res("wrong", "wrong", 2), res("wrong", "partial", 1)}, 0.7, 6.0 / 11},
		{"perfect", [][]CheckResult{res("refused", "refused", 2), res("wrong", "wrong", 3)}, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var all []CheckResult
			for _, r := range tc.results {
				all = append(all, r...)
			}
			rep := (&Check{}).Report(all, nil)
			a := rep.Agreement
			if math.Abs(a.Accuracy-tc.acc) > 1e-12 || math.Abs(a.Kappa-tc.kapp) > 1e-12 || a.N != len(all) {
				t.Errorf("accuracy %v kappa %v n %d, want %v %v %d", a.Accuracy, a.Kappa, a.N, tc.acc, tc.kapp, len(all))
			}
			if a.KappaCI[0] > a.Kappa || a.KappaCI[1] < a.Kappa {
				t.Errorf("CI %v does not bracket %v", a.KappaCI, a.Kappa)
			}
			if len(a.Matrix.Labels) != len(dataset.Labels) || a.Matrix.Labels[0] != "correct" {
				t.Errorf("matrix labels %v", a.Matrix.Labels)
			}
		})
	}
}

func TestCheckHuman(t *testing.T) {
	rows, err := ReadHumanLabels("testdata/human.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	deps := validators.Deps{Eval: HumanItems(rows)}
	vals, types := buildValidators(t, deps, map[string]any{"type": "match"})
	c := &Check{Validators: vals, Types: types, Policy: validators.DefaultPolicy()}
	rep, err := c.Human(context.Background(), "testdata/human.jsonl", rows)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: q1 and q2 are right and accepted (acceptable/acceptable), q3
	// is a wrong year people rejected (unacceptable/unacceptable), q4 a
	// wrong city people rejected, q5 an answer people accepted that
	// differs from the gold in form only ("JFK" for the full name) and
	// match cannot tell, q6 a refusal.
	want := [][]int{{2, 1}, {0, 3}}
	m := rep.Agreement.Matrix
	if strings.Join(m.Labels, ",") != "acceptable,unacceptable" || m.Counts[0][0] != want[0][0] || m.Counts[0][1] != want[0][1] || m.Counts[1][0] != want[1][0] || m.Counts[1][1] != want[1][1] {
		var why []string
		for _, r := range rep.Results() {
			why = append(why, r.ID+": "+string(r.Label)+" "+r.Reason)
		}
		t.Fatalf("matrix %v, want %v\n%s", m.Counts, want, strings.Join(why, "\n"))
	}
	// po = 5/6; people (3, 3), synth (2, 4): pe = (6+12)/36 = 0.5; kappa = (5/6-0.5)/0.5 = 2/3.
	if math.Abs(rep.Agreement.Kappa-2.0/3) > 1e-12 || len(rep.Disagreements) != 1 || rep.Disagreements[0].ID != "q5" || rep.Disagreements[0].Line != 5 {
		t.Errorf("kappa %v disagreements %+v", rep.Agreement.Kappa, rep.Disagreements)
	}
}

func TestParseHumanLabels(t *testing.T) {
	good := `{"id":"a","question":"Q?","gold":["x","y"],"answer":"x","human":"acceptable"}
{"id":"b","question":"Q?","gold":"x","answer":"z","human":false}
{"question":"Q2?","references":["x"],"output":"x","human":"correct"}
{"id":"d","question":"Q3?","gold":["x"],"answer":"","human":"refused"}
`
	rows, err := ParseHumanLabels("h.jsonl", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, r.ID+"="+r.Human)
	}
	if strings.Join(got, " ") != "a=acceptable b=unacceptable line-3=acceptable d=unacceptable" || len(rows[1].Gold) != 1 {
		t.Errorf("rows %v", got)
	}
	bad := []struct{ name, data, want string }{
		{"not JSON", "{oops", "h.jsonl:1: not a JSON object"},
		{"no human", `{"id":"a","question":"Q","gold":["x"],"answer":"x"}`, `h.jsonl:1: missing "human"`},
		{"bad human", `{"id":"a","question":"Q","gold":["x"],"answer":"x","human":"maybe"}`, `"human" is "maybe"`},
		{"no gold", `{"id":"a","question":"Q","answer":"x","human":"acceptable"}`, `missing "gold"`},
		{"duplicate id", good + `{"id":"a","question":"Q","gold":["x"],"answer":"x","human":"acceptable"}`, `h.jsonl:5: id "a" already used on line 1`},
		{"empty", "\n\n", "no judged answers"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseHumanLabels("h.jsonl", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParseHumanLabels(f *testing.F) {
	f.Add([]byte(`{"id":"a","question":"Q?","gold":["x"],"answer":"x","human":"acceptable"}`))
	f.Add([]byte(`{"question":"Q?","gold":"x","answer":1,"human":true}` + "\n\n" + `{"id":2}`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseHumanLabels("f", data)
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, r := range rows {
			if ids[r.ID] || (r.Human != HumanAcceptable && r.Human != HumanUnacceptable) || len(r.Gold) == 0 {
				t.Fatalf("bad row %+v", r)
			}
			ids[r.ID] = true
		}
	})
}

// flakyJudge is an LLM validator: it asks the judge model and labels the
// answer with what it says.
type flakyJudge struct{ judge llm.Model }

func (flakyJudge) Name() string { return "judge" }

func (f flakyJudge) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	resp, err := f.judge.Generate(ctx, llm.Prompt("Is this right? "+s.Answer))
	if err != nil {
		return dataset.Verdict{}, err
	}
	l := dataset.Label(strings.TrimSpace(resp.Text))
	return dataset.Verdict{Validator: "judge", Label: l, Pass: l == dataset.Correct, Score: 1}, nil
}

func TestCheckRepeat(t *testing.T) {
	var calls atomic.Int64
	// The judge says correct, except that every 5th call says wrong.
	model := llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
		if calls.Add(1)%5 == 0 {
			return llm.Response{Text: "wrong"}, nil
		}
		return llm.Response{Text: "correct"}, nil
	})
	deps, counter := CountJudge(validators.Deps{Judge: model})
	f1, _ := buildValidators(t, deps, map[string]any{"type": "f1"})
	c := &Check{
		Validators: append(f1, validators.Built{Validator: flakyJudge{judge: deps.Judge}, Role: validators.Answer}),
		Types:      []string{"f1", "judge"},
		Policy:     validators.DefaultPolicy(), Judge: counter, Concurrency: 1,
	}
	items := checkItems[:2]
	results, err := c.Grade(context.Background(), []CheckCase{
		{ID: "a", Item: "reset", Kind: PerturbGold, Answer: items[0].Answers[0], Expected: dataset.Correct, item: items[0]},
		{ID: "b", Item: "email", Kind: PerturbGold, Answer: items[1].Answers[0], Expected: dataset.Correct, item: items[1]},
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Repeat(context.Background(), results, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Validators) != 1 || rep.Validators[0].Validator != "judge" || rep.Runs != 5 {
		t.Fatalf("repeat %+v: want only the judge", rep)
	}
	st := rep.Validators[0]
	// 2 grading calls, 1 probe, then 4 reruns of each case: calls 4..11; the
	// 5th and 10th say wrong, one in each case's reruns.
	if st.Cases != 2 || st.Flipped != 2 || st.FlipRate != 1 {
		t.Errorf("stats %+v (judge calls %d)", st, counter.Calls())
	}
	if counter.Calls() != 11 {
		t.Errorf("%d judge calls, want 11", counter.Calls())
	}

	// Without a judge there is nothing to repeat.
	if rep, err := (&Check{Validators: f1}).Repeat(context.Background(), results, 3); err != nil || len(rep.Validators) != 0 {
		t.Errorf("no judge: %+v %v", rep, err)
	}
}

func TestCheckInterrupted(t *testing.T) {
	c := newCheck(t, map[string]any{"type": "f1"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Run(ctx, checkItems, &Perturber{Docs: nimbusDocs}); err == nil {
		t.Error("a cancelled check returned a report")
	}
}
