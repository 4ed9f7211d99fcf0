package validators

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/validators/agreement"
)

// nq301Path is the human-judged answer set, in the shared data folder beside
// the repository (see its README).
var nq301Path = filepath.Join("..", "..", "shared", "data", "nq301", "dev.jsonl")

// nq301Row is one judged answer.
type nq301Row struct {
	Line     int      `json:"-"`
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Gold     []string `json:"gold"`
	Answer   string   `json:"answer"`
	Human    string   `json:"human"`
}

func loadNQ301(t testing.TB) []nq301Row {
	t.Helper()
	f, err := os.Open(nq301Path)
	if os.IsNotExist(err) {
		t.Skipf("%s not found: skipping the human-agreement measurement", nq301Path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []nq301Row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r nq301Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", nq301Path, line, err)
		}
		if r.Human != "acceptable" && r.Human != "unacceptable" {
			t.Fatalf("%s:%d: human label %q", nq301Path, line, r.Human)
		}
		r.Line = line
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// nq301Eval is the eval set the rows come from: one item per question, as a
// project's evalset.jsonl would hold it (IDF weights come from it).
func nq301Eval(rows []nq301Row) []dataset.Item {
	seen := map[string]bool{}
	var items []dataset.Item
	for _, r := range rows {
		if seen[r.Question] {
			continue
		}
		seen[r.Question] = true
		items = append(items, dataset.Item{ID: r.ID, Question: r.Question, Answers: r.Gold})
	}
	return items
}

// grader labels one row correct or not.
type grader struct {
	name  string
	build func(deps Deps) ([]Built, error)
}

func configGrader(name string, cfgs ...map[string]any) grader {
	return grader{name: name, build: func(deps Deps) ([]Built, error) {
		var out []Built
		for i, c := range cfgs {
			b, err := Builtin().Build(fmt.Sprintf("eval.validators[%d]", i), c, deps)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		return out, nil
	}}
}

// agreementOn returns the confusion matrices (human vs synth, all rows, even
// lines, odd lines) of one grader.
func agreementOn(t testing.TB, rows []nq301Row, g grader, deps Deps, disagree func(r nq301Row, d Decision)) (all, even, odd *agreement.Matrix) {
	t.Helper()
	vs, err := g.build(deps)
	if err != nil {
		t.Fatal(err)
	}
	all, _ = agreement.NewMatrix("acceptable", "unacceptable")
	even, _ = agreement.NewMatrix("acceptable", "unacceptable")
	odd, _ = agreement.NewMatrix("acceptable", "unacceptable")
	pol := DefaultPolicy()
	for _, r := range rows {
		s := &dataset.Sample{ID: r.ID, Question: r.Question, Answer: r.Answer, References: r.Gold}
		outs, err := Run(context.Background(), vs, s)
		if err != nil {
			t.Fatal(err)
		}
		d := pol.Decide(outs)
		synth := "unacceptable"
		if d.Label == dataset.Correct {
			synth = "acceptable"
		}
		_ = all.Add(r.Human, synth)
		if r.Line%2 == 0 {
			_ = even.Add(r.Human, synth)
		} else {
			_ = odd.Add(r.Human, synth)
		}
		if synth != r.Human && disagree != nil {
			disagree(r, d)
		}
	}
	return all, even, odd
}

// TestNQ301HumanAgreement measures Cohen's kappa between synth's grading
// (label correct = acceptable) and people on NQ301's 745 judged answers, for
// the default offline validator set and for the lexical baselines. The
// figures go into docs/validators.md; reproduce them with
//
//	go test ./validators -run NQ301 -v
//
// Set NQ301_DISAGREE=1 to log every row where the default set and the
// people disagree (tuning was done on even lines only; odd lines are the
// held-out check).
func TestNQ301HumanAgreement(t *testing.T) {
	rows := loadNQ301(t)
	if len(rows) != 745 {
		t.Fatalf("%d rows, want 745", len(rows))
	}
	deps := Deps{Eval: nq301Eval(rows)}
	graders := []grader{
		{name: "default (" + defaultNames() + ")", build: func(deps Deps) ([]Built, error) {
			var out []Built
			for i, c := range Defaults(Available{}) {
				b, err := Builtin().Build(fmt.Sprintf("eval.validators[%d]", i), c, deps)
				if err != nil {
					return nil, err
				}
				out = append(out, b)
			}
			return out, nil
		}},
		configGrader("exact", map[string]any{"type": "exact"}),
		configGrader("normalized (SQuAD EM)", map[string]any{"type": "normalized"}),
		configGrader("contains", map[string]any{"type": "contains"}),
		configGrader("f1 >= 0.8", map[string]any{"type": "f1"}),
		configGrader("f1 >= 0.5", map[string]any{"type": "f1", "correct": 0.5}),
		configGrader("rouge_l >= 0.5", map[string]any{"type": "rouge_l", "correct": 0.5}),
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-28s %8s %8s %8s %10s %15s\n", "grader (correct = acceptable)", "kappa", "even", "odd", "accuracy", "95% CI (all)")
	var defaultKappa, containsKappa float64
	for i, g := range graders {
		var dis func(nq301Row, Decision)
		if i == 0 && os.Getenv("NQ301_DISAGREE") != "" {
			dis = func(r nq301Row, d Decision) {
				t.Logf("line %d (%s) human=%s synth=%s | Q: %s | gold: %q | answer: %q | %s", r.Line, parity(r.Line), r.Human, d.Label, r.Question, r.Gold, r.Answer, d.Reason)
			}
		}
		all, even, odd := agreementOn(t, rows, g, deps, dis)
		lo, hi := all.KappaCI()
		fmt.Fprintf(&table, "%-28s %8.3f %8.3f %8.3f %10.3f %7.3f–%.3f\n", g.name, all.Kappa(), even.Kappa(), odd.Kappa(), all.Observed(), lo, hi)
		if i == 0 {
			defaultKappa = all.Kappa()
			t.Logf("default set, humans down the side, synth across:\n%s", all)
		}
		if g.name == "contains" {
			containsKappa = all.Kappa()
		}
	}
	t.Logf("NQ301 (%d answers, %d questions), Cohen's kappa with people:\n%s", len(rows), len(deps.Eval), table.String())
	if defaultKappa < 0.6 || defaultKappa <= containsKappa+0.05 {
		t.Errorf("default grading kappa %.3f: want >= 0.6 and clearly above contains (%.3f)", defaultKappa, containsKappa)
	}
}

func parity(line int) string {
	if line%2 == 0 {
		return "even"
	}
	return "odd"
}

func defaultNames() string {
	var names []string
	for _, c := range Defaults(Available{}) {
		names = append(names, c["type"].(string))
	}
	return strings.Join(names, "+")
}
