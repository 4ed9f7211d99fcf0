package report_test

import (
	"fmt"
	"os"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/report"
)

// Two runs over the same three items: one fixed, one unchanged, one
// regressed from correct to partial.
func ExampleCompare() {
	run := func(id, model string, labels ...dataset.Label) *dataset.Run {
		r := &dataset.Run{RunDir: dataset.RunDir{ID: id}, Manifest: &dataset.Manifest{Model: model, Dataset: "evalset.jsonl"}}
		for i, l := range labels {
			r.Results = append(r.Results, dataset.Result{ID: fmt.Sprintf("q%d", i+1), Question: fmt.Sprintf("question %d?", i+1), Label: l})
		}
		return r
	}
	before := run("run-1", "base", dataset.Wrong, dataset.Correct, dataset.Correct)
	after := run("run-2", "tuned", dataset.Correct, dataset.Correct, dataset.Partial)

	c, err := report.Compare(before, after)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Transitions[report.Fixed], "fixed,", c.Transitions[report.Regressed], "regressed")
	fmt.Printf("accuracy %.0f%% -> %.0f%%, 95%% CI of B [%.1f%%, %.1f%%]\n", c.A.Accuracy*100, c.B.Accuracy*100, c.B.CI.Low*100, c.B.CI.High*100)
	fmt.Println(c.Verdict)
	_ = c.WriteText(os.Stdout, report.Style{})
	// Output:
	// 1 fixed, 1 regressed
	// accuracy 67% -> 67%, 95% CI of B [20.8%, 93.9%]
	// not enough evidence of a difference (p=1): more items needed
	// synth compare
	//   A  run-1  model base  evalset.jsonl  3 items
	//   B  run-2  model tuned  evalset.jsonl  3 items
	//
	//   label              A      B      Δ
	//   correct            2      2      ·
	//   partial            0      1     +1
	//   wrong              1      0     -1
	//   hallucinated       0      0      ·
	//   refused            0      0      ·
	//   error              0      0      ·
	//
	//   accuracy (95% CI)  A 66.7% [20.8–93.9]   B 66.7% [20.8–93.9]   Δ +0.0 pts
	//
	//   3 paired items: 1 fixed · 1 regressed · 0 changed · 1 unchanged
	//
	//   fixed (1)
	//     q1    wrong → correct              question 1?
	//
	//   regressed (1)
	//     q3    correct → partial            question 3?
	//
	//   McNemar exact test on the 2 items whose correctness changed (1 fixed, 1 regressed): p=1
	//   → not enough evidence of a difference (p=1): more items needed
}

// The text guards that every report applies to model output.
func ExampleTermLine() {
	out := "\x1b[31mClick\x1b[0m here:\nhttps://example.invalid/\u202Efdp.exe"
	fmt.Println(report.TermLine(out, 0))
	fmt.Printf("%q\n", report.Visible(out))
	// Output:
	// Click here: https://example.invalid/fdp.exe
	// "␛[31mClick␛[0m here:\nhttps://example.invalid/⟨U+202E⟩fdp.exe"
}
