package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/pipelines"
	"github.com/synth-dev/synth/validators"
)

type checkOptions struct {
	dataset     string
	human       string
	repeat      int
	kinds       string
	failUnder   float64
	concurrency int
	noCache     bool
	answerOnly  bool
	verbose     bool
	quiet       bool
}

func newCheckCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &checkOptions{failUnder: -1}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Test the evaluator itself: grade gold answers and perturbations of them",
		Long: `Test the evaluator itself. synth check grades answers whose right label is
known, with the project's validators and label policy, exactly as synth eval
would grade a model that gave them:

  gold          each gold answer of the eval set               -> correct
  number        one number changed (30 minutes -> 45 minutes)  -> wrong
  truncated     only the first half of the answer              -> partial
  link          a link on the project's site the docs lack     -> hallucinated
  menu_path     a menu path the docs lack                      -> hallucinated
  refusal       "Sorry, I don't understand ..."                -> refused
  other_answer  the gold answer of another question            -> wrong

A perturbation that does not apply to an item (no number to change) is
skipped and counted. It prints the confusion matrix (expected down, synth
across), the accuracy and Cohen's kappa, and names the validators that let
perturbations through.

--human FILE grades answers judged by people (JSONL: id, question, gold,
answer, human = acceptable/unacceptable) and reports the agreement between
synth (correct = acceptable) and the people. It works outside a project too,
with the default validators. --repeat K grades every answer K times with the
validators that call the judge model (cache off) and reports how often their
verdicts flip.`,
		Example: `  synth check
  synth check --kinds number,link --verbose
  synth check --human ../shared/data/nq301/dev.jsonl
  synth check --repeat 3 --fail-under 0.8 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), s, g, o, cmd.Flags().Changed("config"))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.dataset, "dataset", "d", "", "eval set whose gold answers to perturb (default eval.dataset)")
	f.StringVar(&o.human, "human", "", "JSONL of answers judged by people: report synth's agreement with them")
	f.IntVar(&o.repeat, "repeat", 0, "grade each answer K times with the LLM validators and report verdict flips (K >= 2)")
	f.StringVar(&o.kinds, "kinds", "", "perturbations to make, comma-separated (default all: gold,number,truncated,link,menu_path,refusal,other_answer)")
	f.Float64Var(&o.failUnder, "fail-under", -1, "exit with status 1 when a Cohen's kappa is below this value (-1..1)")
	f.IntVarP(&o.concurrency, "concurrency", "j", 0, "answers graded at once (default eval.concurrency)")
	f.BoolVar(&o.answerOnly, "answer-only", false, "with --human: grade with the answer validators only (for labels from outside the project's domain, such as NQ301)")
	f.BoolVar(&o.noCache, "no-cache", false, "do not read or write the response cache")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print every answer synth labelled differently from the expected label")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runCheck(ctx context.Context, s *streams, g *globalOptions, o *checkOptions, configGiven bool) error {
	err := checkRun(ctx, s, g, o, configGiven)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(s.Err, "synth: check interrupted: nothing was written")
		return &silentError{code: exitInterrupted}
	}
	return err
}

func checkRun(ctx context.Context, s *streams, g *globalOptions, o *checkOptions, configGiven bool) error {
	if o.repeat == 1 || o.repeat < 0 {
		return usagef("--repeat must be at least 2 (the number of runs to compare), got %d", o.repeat)
	}
	if o.failUnder != -1 && (o.failUnder < -1 || o.failUnder > 1) {
		return usagef("--fail-under must be a kappa between -1 and 1, got %g", o.failUnder)
	}
	if o.concurrency < 0 {
		return usagef("--concurrency must not be negative")
	}
	kinds, err := pipelines.ParsePerturbKinds(o.kinds)
	if err != nil {
		return usagef("--kinds: %v", err)
	}
	cfg, err := checkConfig(g.configPath, configGiven, o.human != "")
	if err != nil {
		return err
	}
	proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{NoCache: o.noCache || o.repeat > 1})
	defer proj.Close(context.Background())
	policy, err := proj.Policy()
	if err != nil {
		return asUsage(err)
	}
	conc := firstPositive(o.concurrency, cfg.Eval.Concurrency, 4)

	// The eval set: its gold answers and their perturbations.
	setPath := firstNonEmpty(o.dataset, cfg.Eval.Dataset)
	if setPath == "" && o.human == "" {
		return usagef("no eval set: pass --dataset FILE or set eval.dataset in %s (or check human labels with --human FILE)", g.configPath)
	}
	var rep *pipelines.CheckReport
	var gold *pipelines.Check
	if setPath != "" {
		set, err := dataset.ReadEvalSet(setPath)
		if err != nil {
			return asUsage(err)
		}
		for _, w := range set.Warnings {
			fmt.Fprintln(s.Err, "synth: warning:", s.sanitize(w.String()))
		}
		var docs []dataset.Chunk
		gold, docs, err = buildCheck(ctx, proj, set.Items, policy, conc)
		if err != nil {
			return err
		}
		cases, skips := (&pipelines.Perturber{Docs: docs, Kinds: kinds}).Perturb(set.Items)
		if len(cases) == 0 {
			return usagef("%s: nothing to check: no item has a gold answer", setPath)
		}
		prog := newProgress(s, "checking", len(cases), o.quiet || g.json)
		gold.Progress = func(done, _ int, r pipelines.CheckResult) {
			prog.step(done, fmt.Sprintf("%-36s expected %-12s synth %s", r.ID, r.Expected, r.Label))
		}
		results, err := gold.Grade(ctx, cases)
		prog.finish()
		if err != nil {
			return err
		}
		rep = gold.Report(results, skips)
		rep.Items = len(set.Items)
	}

	var humanCheck *pipelines.Check
	if o.human != "" {
		rows, err := pipelines.ReadHumanLabels(o.human)
		if err != nil {
			return asUsage(err)
		}
		humanCheck, _, err = buildCheck(ctx, proj, pipelines.HumanItems(rows), policy, conc)
		if err != nil {
			return err
		}
		if o.answerOnly {
			var vals []validators.Built
			var types []string
			for i, v := range humanCheck.Validators {
				if v.Role == validators.Answer {
					vals, types = append(vals, v), append(types, humanCheck.Types[i])
				}
			}
			if len(vals) == 0 {
				return usagef("--answer-only: the project has no answer validator (such as {type: match}) in eval.validators")
			}
			humanCheck.Validators, humanCheck.Types = vals, types
		}
		prog := newProgress(s, "grading human-judged answers", len(rows), o.quiet || g.json)
		humanCheck.Progress = func(done, _ int, r pipelines.CheckResult) {
			prog.step(done, fmt.Sprintf("%-24s synth %s", r.ID, r.Label))
		}
		hr, err := humanCheck.Human(ctx, o.human, rows)
		prog.finish()
		if err != nil {
			return err
		}
		if rep == nil {
			rep = &pipelines.CheckReport{Results: []pipelines.CheckResult{}, Skipped: []pipelines.PerturbSkip{}}
		}
		rep.Human = hr
		for _, v := range humanCheck.Validators {
			hr.Validators = append(hr.Validators, v.Name())
		}
	}

	if o.repeat > 1 {
		c, results := gold, rep.Results
		if c == nil {
			c, results = humanCheck, rep.Human.Results()
		}
		rr, err := c.Repeat(ctx, results, o.repeat)
		if err != nil {
			return err
		}
		rep.Repeat = rr
	}

	if g.json {
		if err := writeJSON(s, rep); err != nil {
			return err
		}
	} else {
		writeCheckText(s, rep, policy, o)
	}
	if o.failUnder != -1 {
		if rep.Cases > 0 && rep.Agreement.Kappa < o.failUnder {
			return &belowFloorError{what: "kappa (expected labels vs synth's)", got: rep.Agreement.Kappa, needed: o.failUnder}
		}
		if rep.Human != nil && rep.Human.Agreement.Kappa < o.failUnder {
			return &belowFloorError{what: "kappa (people vs synth)", got: rep.Human.Agreement.Kappa, needed: o.failUnder}
		}
	}
	return nil
}

// checkConfig loads the project config. With --human and no config file (and
// no --config), check runs on an empty project: the default validators.
func checkConfig(path string, given, human bool) (*pipelines.Config, error) {
	if human && !given {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			wd, err := os.Getwd()
			if err != nil {
				return nil, err
			}
			return pipelines.ParseConfig(map[string]any{}, wd)
		}
	}
	return loadConfig(path)
}

// buildCheck builds the validators for an eval set (deps learn from it) with
// the judge counted, as eval would build them.
func buildCheck(ctx context.Context, proj *pipelines.Project, items []dataset.Item, policy validators.Policy, conc int) (*pipelines.Check, []dataset.Chunk, error) {
	deps, err := proj.ValidatorDeps(ctx, items)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	deps, judge := pipelines.CountJudge(deps)
	vals, entries, err := proj.Validators(ctx, deps)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	types := make([]string, len(entries))
	for i, e := range entries {
		types[i], _ = e["type"].(string)
	}
	c := &pipelines.Check{
		Validators: vals, Types: types, Policy: policy, Concurrency: conc, Judge: judge,
		SystemPrompt: proj.Config.Eval.SystemPrompt,
	}
	if deps.Search != nil {
		c.Search, c.ContextK = deps.Search, 4
	}
	var docs []dataset.Chunk
	if deps.Corpus != nil {
		docs = deps.Corpus.Chunks()
	}
	return c, docs, nil
}

func writeCheckText(s *streams, rep *pipelines.CheckReport, pol validators.Policy, o *checkOptions) {
	w := s.Out
	prec := make([]string, len(pol.Precedence))
	for i, l := range pol.Precedence {
		prec[i] = string(l)
	}
	policy := strings.Join(append(prec, string(pol.Combine)+" answer label"), " > ")
	if rep.Cases > 0 {
		fmt.Fprintf(w, "synth check: %d eval items, %d answers graded\n  validators  %s\n  policy      %s\n\n", rep.Items, rep.Cases, strings.Join(rep.Validators, ", "), policy)
		writeMatrix(w, "expected \\ synth", rep.Agreement.Matrix)
		a := rep.Agreement
		fmt.Fprintf(w, "\nagreement: accuracy %.3f, Cohen's kappa %.3f (95%% CI %.3f to %.3f) over %d answers\n\n", a.Accuracy, a.Kappa, a.KappaCI[0], a.KappaCI[1], a.N)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "perturbation\texpected\tcaught\tskipped\t")
		for _, k := range rep.Kinds {
			fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%d\t\n", k.Kind.Describe(), k.Expected, k.Caught, k.Cases, k.Skipped)
		}
		_ = tw.Flush()
		if misses := rep.Misses(); len(misses) > 0 {
			fmt.Fprintln(w, "\nwhat got through:")
			for _, m := range misses {
				fmt.Fprintln(w, "  "+s.sanitize(m))
			}
		} else {
			fmt.Fprintln(w, "\nevery validator flagged every perturbation it is responsible for")
		}
		if len(rep.Skipped) > 0 {
			reasons := map[string]int{}
			var order []string
			for _, sk := range rep.Skipped {
				key := fmt.Sprintf("%s: %s", sk.Kind.Describe(), sk.Reason)
				if reasons[key] == 0 {
					order = append(order, key)
				}
				reasons[key]++
			}
			fmt.Fprintln(w, "\nskipped (the perturbation does not apply):")
			for _, k := range order {
				fmt.Fprintf(w, "  %d %s\n", reasons[k], k)
			}
		}
		if o.verbose {
			fmt.Fprintln(w, "\nanswers labelled differently from the expected label:")
			for _, r := range rep.Results {
				if r.Agrees() {
					continue
				}
				fmt.Fprintf(w, "\n  %s: expected %s, synth %s\n", r.ID, r.Expected, r.Label)
				if r.Change != "" {
					fmt.Fprintf(w, "    change  %s\n", s.sanitize(clipLine(r.Change, 200)))
				}
				fmt.Fprintf(w, "    answer  %s\n    reason  %s\n", s.sanitize(clipLine(r.Answer, 300)), s.sanitize(clipLine(r.Reason, 300)))
			}
		}
	}
	if h := rep.Human; h != nil {
		if rep.Cases > 0 {
			fmt.Fprintln(w)
		}
		a := h.Agreement
		fmt.Fprintf(w, "human labels: %s, %d answers judged by people\n  validators  %s\n\n", h.File, a.N, strings.Join(h.Validators, ", "))
		writeMatrix(w, "people \\ synth", a.Matrix)
		fmt.Fprintf(w, "\nagreement (synth correct = acceptable): accuracy %.3f, Cohen's kappa %.3f (95%% CI %.3f to %.3f)\n", a.Accuracy, a.Kappa, a.KappaCI[0], a.KappaCI[1])
		var parts []string
		for _, l := range dataset.Labels {
			if n := h.Labels[l]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", l, n))
			}
		}
		fmt.Fprintf(w, "synth's labels: %s\n", strings.Join(parts, ", "))
		if o.verbose {
			for _, d := range h.Disagreements {
				fmt.Fprintf(w, "\n  %s (line %d): people %s, synth %s\n    question %s\n    gold     %s\n    answer   %s\n    reason   %s\n", d.ID, d.Line, d.Human, d.Label,
					s.sanitize(clipLine(d.Question, 200)), s.sanitize(clipLine(strings.Join(d.Gold, " | "), 200)), s.sanitize(clipLine(d.Answer, 200)), s.sanitize(clipLine(d.Reason, 200)))
			}
		} else if len(h.Disagreements) > 0 {
			fmt.Fprintf(w, "%d disagreements: --verbose lists them, --json has them all\n", len(h.Disagreements))
		}
	}
	if r := rep.Repeat; r != nil {
		fmt.Fprintf(w, "\njudge self-consistency (%d runs per answer, response cache off):\n", r.Runs)
		if len(r.Validators) == 0 {
			fmt.Fprintln(w, "  no validator calls a judge model (set eval.judge and add an LLM validator such as {type: judge}): nothing to repeat")
		}
		for _, v := range r.Validators {
			fmt.Fprintf(w, "  %s: verdict flipped on %d of %d answers (%.1f%%)", v.Validator, v.Flipped, v.Cases, 100*v.FlipRate)
			if len(v.IDs) > 0 {
				fmt.Fprintf(w, ": %s", strings.Join(clipStrings(v.IDs, 10), ", "))
			}
			fmt.Fprintln(w)
		}
	}
}

// writeMatrix prints a confusion matrix, leaving out labels that no answer has.
func writeMatrix(w io.Writer, corner string, m pipelines.Matrix) {
	var keep []int
	for i := range m.Labels {
		used := false
		for j := range m.Labels {
			used = used || m.Counts[i][j] > 0 || m.Counts[j][i] > 0
		}
		if used {
			keep = append(keep, i)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t", corner)
	for _, j := range keep {
		fmt.Fprintf(tw, "%s\t", m.Labels[j])
	}
	fmt.Fprintln(tw)
	for _, i := range keep {
		fmt.Fprintf(tw, "%s\t", m.Labels[i])
		for _, j := range keep {
			fmt.Fprintf(tw, "%d\t", m.Counts[i][j])
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
}

func clipStrings(ids []string, n int) []string {
	if len(ids) <= n {
		return ids
	}
	return append(append([]string(nil), ids[:n]...), fmt.Sprintf("and %d more", len(ids)-n))
}
