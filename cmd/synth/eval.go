package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/pipelines"
	"github.com/synth-dev/synth/report"
	"github.com/synth-dev/synth/retrieval"
)

type evalOptions struct {
	model       string
	dataset     string
	out         string
	concurrency int
	resume      string
	redoErrors  bool
	noCache     bool
	failUnder   float64
	dryRun      bool
	limit       int
	quiet       bool
	junit       string
	shard       string
}

func newEvalCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &evalOptions{failUnder: -1}
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Run a model over the eval set and grade every answer",
		Long: `Run a model over the eval set and grade every answer with the validators.

Each item ends as correct, partial, wrong, hallucinated, refused or error
(the model or a validator failed after retries: never counted as wrong).
Results are appended to runs/<id>/results.jsonl as items finish; summary.json
and report.md are written at the end, and runs/latest points at the run.
Ctrl-C stops cleanly: rerun with --resume RUN_DIR to finish the run.`,
		Example: `  synth eval --model base
  synth eval --model gpt --concurrency 16 --fail-under 0.8
  synth eval --resume runs/latest
  synth eval --model gpt --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEval(cmd.Context(), s, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.model, "model", "m", "", "model to evaluate, by its name under models: (default eval.model)")
	f.StringVarP(&o.dataset, "dataset", "d", "", "eval set file: JSONL, CSV or YAML (default eval.dataset)")
	f.StringVarP(&o.out, "out", "o", "", "folder to create the run directory in (default eval.out, runs)")
	f.IntVarP(&o.concurrency, "concurrency", "j", 0, "items graded at once (default eval.concurrency, 4)")
	f.StringVar(&o.resume, "resume", "", "finish an interrupted run: its directory, runs/latest or its id")
	f.BoolVar(&o.redoErrors, "retry-errors", false, "with --resume, grade items that ended as error again")
	f.BoolVar(&o.noCache, "no-cache", false, "do not read or write the response cache")
	f.Float64Var(&o.failUnder, "fail-under", -1, "exit with status 1 when accuracy is below this fraction (0..1)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print how many model calls and tokens the run would use, then stop")
	f.IntVar(&o.limit, "limit", 0, "grade only the first N items (0: all)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&o.shard, "shard", "", "grade only part i of n of the eval set (i/n, such as 0/4); combine the parts with synth merge")
	f.StringVar(&o.junit, "junit", "", "also write JUnit XML to this file (one test case per item) for CI")
	return cmd
}

func runEval(ctx context.Context, s *streams, g *globalOptions, o *evalOptions) error {
	if o.failUnder > 1 || (o.failUnder < 0 && o.failUnder != -1) {
		return usagef("--fail-under must be a fraction between 0 and 1, got %g", o.failUnder)
	}
	if o.concurrency < 0 || o.limit < 0 {
		return usagef("--concurrency and --limit must not be negative")
	}
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return err
	}
	ev := cfg.Eval
	root := ev.Out
	if o.out != "" {
		root = o.out
	}

	// What to grade: a resumed run keeps its own model and eval set.
	var resumeDir string
	var prev *dataset.Run
	if o.resume != "" {
		d, err := dataset.ResolveRun(root, o.resume)
		if err != nil {
			return asUsage(err)
		}
		resumeDir = d.Path
		if prev, err = dataset.LoadRun(d.Path); err != nil {
			return asUsage(err)
		}
		if prev.Manifest == nil {
			return usagef("cannot resume %s: it has no %s (was it made by synth eval?)", d.Path, dataset.ManifestFile)
		}
	}
	modelName := firstNonEmpty(o.model, manifestField(prev, func(m *dataset.Manifest) string { return m.Model }), ev.Model)
	if modelName == "" {
		return usagef("no model to evaluate: pass --model NAME or set eval.model in %s", g.configPath)
	}
	setPath := firstNonEmpty(o.dataset, cfg.Resolve(manifestField(prev, func(m *dataset.Manifest) string { return m.Dataset })), ev.Dataset)
	if setPath == "" {
		return usagef("no eval set: pass --dataset FILE or set eval.dataset in %s", g.configPath)
	}
	set, err := dataset.ReadEvalSet(setPath)
	if err != nil {
		return asUsage(err)
	}
	// Runs name the eval set relative to the project, so that run
	// directories, reports and comparisons can be shared and moved.
	set.Path = projectRelative(cfg.Dir, setPath)
	for _, w := range set.Warnings {
		fmt.Fprintln(s.Err, "synth: warning:", s.sanitize(w.String()))
	}
	// Validators see the whole eval set (decontamination, term weights), so
	// that a shard or a --limit grades each item exactly as a full run does.
	allItems := set.Items
	if o.limit > 0 && o.limit < len(set.Items) {
		set.Items = set.Items[:o.limit]
	}
	var shard *dataset.Shard
	if o.shard != "" {
		if shard, err = pipelines.ParseShard(o.shard); err != nil {
			return asUsage(err)
		}
	}
	if prev != nil && prev.Manifest.Shard != nil {
		if shard != nil && *shard != *prev.Manifest.Shard {
			return usagef("cannot resume %s with --shard %s: it is shard %d/%d", resumeDir, o.shard, prev.Manifest.Shard.Index, prev.Manifest.Shard.Count)
		}
		shard = prev.Manifest.Shard
	}
	set.Items = pipelines.ShardItems(set.Items, shard)

	proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{
		NoCache: o.noCache,
		OnIndex: func(st retrieval.Stats) {
			fmt.Fprintf(s.Err, "synth: brought the knowledge base up to date: %d docs, %d chunks (%d added, %d removed)\n", st.Docs, st.Chunks, st.Added, st.Removed)
		},
	})
	defer proj.Close(context.Background())
	if o.dryRun {
		// Plan from the config alone: no client is opened, no key is needed.
		if err := proj.CheckEvalConfig(ctx); err != nil {
			return asUsage(err)
		}
		return printDryRun(s, g, proj, set, modelName)
	}
	model, err := proj.Model(ctx, modelName)
	if err != nil {
		return asUsage(err)
	}
	deps, err := proj.ValidatorDeps(ctx, allItems)
	if err != nil {
		return asUsage(err)
	}
	vals, entries, err := proj.Validators(ctx, deps)
	if err != nil {
		return asUsage(err)
	}
	policy, err := proj.Policy()
	if err != nil {
		return asUsage(err)
	}
	conc := firstPositive(o.concurrency, ev.Concurrency)

	e := &pipelines.Eval{
		Model:        model,
		SystemPrompt: ev.SystemPrompt,
		RAGK:         ev.RAGK,
		Validators:   vals,
		Policy:       policy,
	}
	if deps.Search != nil {
		e.Search = deps.Search
		e.ContextK = 4
	}

	entry, _ := cfg.Model(modelName)
	names := make([]string, len(vals))
	for i, v := range vals {
		names[i] = v.Name()
	}
	prog := newProgress(s, "grading", len(set.Items), o.quiet)
	run := &pipelines.EvalRun{
		Eval: e,
		Set:  set,
		Manifest: dataset.Manifest{
			Model:       modelName,
			ModelConfig: entry.Params,
			Judge:       ev.Judge,
			Validators:  entries,
			Policy:      ev.Policy,
			Settings:    map[string]any{"rag_k": ev.RAGK, "system_prompt": ev.SystemPrompt, "validators": names},
			Synth:       versionString(),
			Shard:       shard,
		},
		Root:        root,
		Resume:      resumeDir,
		RedoErrors:  o.redoErrors,
		Concurrency: conc,
		Stats:       func() (int, float64) { return remoteRequests(proj) },
		Progress: func(done, total int, r dataset.Result) {
			why := r.Reason
			if r.Label == dataset.Error {
				why = r.Error
			}
			prog.step(done, fmt.Sprintf("%-24s %-12s %s", r.ID, r.Label, clipLine(why, 80)))
		},
	}
	out, runErr := run.Run(ctx)
	prog.finish()
	if out == nil {
		if errors.Is(runErr, context.Canceled) {
			return runErr
		}
		return asUsage(runErr)
	}
	if err := writeRunReports(out.Dir, out.Summary, out.Results, o.junit); err != nil && runErr == nil {
		runErr = err
	}
	if out.Resumed > 0 {
		fmt.Fprintf(s.Err, "synth: resumed %s: %d items were already graded\n", out.Dir.ID, out.Resumed)
	}
	if g.json {
		if err := writeJSON(s, out.Summary); err != nil {
			return err
		}
	} else {
		if err := report.WriteSummary(s.Out, out.Summary, report.Style{Color: s.Color}); err != nil {
			return err
		}
		rel := relPath(out.Dir.Path)
		fmt.Fprintf(s.Out, "\n  results  %s\n  report   %s\n", filepath.Join(rel, dataset.ResultsFile), filepath.Join(rel, "report.html"))
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintf(s.Err, "synth: interrupted after %d of %d items; finish with: synth eval --resume %s\n", out.Summary.Total, out.Summary.Items, relPath(out.Dir.Path))
			return &silentError{code: exitInterrupted}
		}
		return runErr
	}
	if n := out.Summary.Counts[dataset.Error]; n > 0 && n == out.Summary.Total {
		return fmt.Errorf("the run could not finish: all %d items failed (first: %s); fix the cause, then rerun with --resume %s --retry-errors", n, firstError(out.Results), relPath(out.Dir.Path))
	}
	if o.failUnder >= 0 && out.Summary.Accuracy < o.failUnder {
		return &belowFloorError{what: "accuracy", got: out.Summary.Accuracy, needed: o.failUnder}
	}
	return nil
}

// remoteRequests sums, over the project's models that were used (the graded
// model and the judge), the requests sent to providers — retries included,
// cache hits and local models (builtin, replay) not — and the estimated cost.
func remoteRequests(proj *pipelines.Project) (requests int, cost float64) {
	for name, st := range proj.Meter.Stats().Models {
		if mc, err := proj.ModelConfig(name); err == nil && mc.Remote() {
			requests += st.Calls + st.Retries - st.CacheHits
		}
		cost += st.Cost
	}
	return requests, cost
}

// writeRunReports writes report.md and report.html beside a run's results,
// and JUnit XML to junit when it is set.
func writeRunReports(dir dataset.RunDir, s *dataset.Summary, results []dataset.Result, junit string) error {
	if err := dataset.WriteFileAtomic(dir.File("report.md"), report.Markdown(s, results), 0o644); err != nil {
		return err
	}
	if err := dataset.WriteFileAtomic(dir.File("report.html"), report.HTML(s, results, report.HTMLOptions{}), 0o644); err != nil {
		return err
	}
	if junit != "" {
		if err := os.MkdirAll(filepath.Dir(junit), 0o755); err != nil {
			return err
		}
		return dataset.WriteFileAtomic(junit, report.JUnit(s, results), 0o644)
	}
	return nil
}

// printDryRun says how many model calls and tokens a run would use. It reads
// the config only, so it works before any API key is set.
func printDryRun(s *streams, g *globalOptions, proj *pipelines.Project, set *dataset.EvalSet, model string) error {
	mcfg, err := proj.ModelConfig(model)
	if err != nil {
		return asUsage(err)
	}
	ev := proj.Config.Eval
	n := len(set.Items)
	chars := 0
	for _, it := range set.Items {
		chars += len(ev.SystemPrompt) + len(it.Question)
	}
	prompt := chars / 4
	if ev.RAGK > 0 {
		prompt += n * ev.RAGK * 200 // a chunk is about 800 characters
	}
	completion := n * firstPositive(mcfg.MaxTokens, 256)
	judges := pipelines.JudgeValidators(proj.Config.Eval.Validators, proj.HasDocs(), ev.Judge != "")
	plan := map[string]any{
		"model": model, "provider": mcfg.Provider, "items": n,
		"model_calls": n, "judge_calls_min": n * len(judges), "judge_validators": judges,
		"prompt_tokens_est": prompt, "completion_tokens_max": completion,
		"cost_usd_max": mcfg.Price.Cost(dataset.Usage{PromptTokens: prompt, CompletionTokens: completion}),
	}
	if g.json {
		return writeJSON(s, plan)
	}
	fmt.Fprintf(s.Out, "dry run: %d items with model %s (%s)\n  model calls   %d\n", n, model, mcfg.Provider, n)
	if len(judges) > 0 {
		fmt.Fprintf(s.Out, "  judge calls   at least %d (%s, one or more per item each)\n", n*len(judges), strings.Join(judges, ", "))
	} else {
		fmt.Fprintf(s.Out, "  judge calls   0 (no validator calls a model)\n")
	}
	fmt.Fprintf(s.Out, "  prompt tokens ~%d (estimated at 4 characters a token)\n  completion    at most %d tokens\n", prompt, completion)
	if c := plan["cost_usd_max"].(float64); c > 0 {
		fmt.Fprintf(s.Out, "  cost          at most $%.4f for the model (judge calls not priced)\n", c)
	}
	return nil
}

func writeJSON(s *streams, v any) error {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func manifestField(r *dataset.Run, f func(*dataset.Manifest) string) string {
	if r == nil || r.Manifest == nil {
		return ""
	}
	return f(r.Manifest)
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstPositive(vals ...int) int {
	for _, v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}

func firstError(results []dataset.Result) string {
	for _, r := range results {
		if r.Error != "" {
			return clipLine(r.Error, 200)
		}
	}
	return "unknown"
}

func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// projectRelative names p relative to the project folder dir when it lies
// inside it, and absolute otherwise.
func projectRelative(dir, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(dir, abs); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return abs
}

// relPath shows p relative to the working directory when that is shorter.
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func versionString() string {
	v, c := buildInfo()
	return v + " (" + c + ")"
}
