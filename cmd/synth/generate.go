package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/pipelines"
	"github.com/synth-dev/synth/retrieval"
)

type generateOptions struct {
	from        string
	fromDocs    bool
	n           int
	perFailure  int
	maxRounds   int
	concurrency int
	out         string
	format      string
	model       string
	resume      bool
	force       bool
	noCache     bool
	dryRun      bool
	quiet       bool
	shard       string
}

func newGenerateCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &generateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Turn an eval run's failures into grounded synthetic training data",
		Long: `Turn the items an eval run got wrong into new question–answer pairs grounded in
the help docs, filtered by validators, with full provenance.

For each failed item (generate.labels; default every label but correct) the
generate pipeline retrieves help-doc chunks for the item's topic, writes
candidates, validates them and accepts passing rows until exactly
--per-failure rows pass or --max-rounds rounds are spent; each round hears why
the previous round's candidates were rejected. Rows too close to any eval
question or gold answer are always rejected (decontaminate).

Accepted rows go to --out (default data/synthetic.jsonl) as they pass, rejected
candidates to rejected.jsonl beside it with their reasons, and the per-stage
counts to generate-summary.json. Ctrl-C stops cleanly: rerun with --resume.

--from-docs drafts an eval set from the help docs instead (--n items, in the
eval-set format with sources) for a person to review.`,
		Example: `  synth generate --from runs/latest
  synth generate --from runs/latest --per-failure 5 --format openai --out data/train.jsonl
  synth generate --from runs/latest --resume
  synth generate --from runs/latest --format dpo --out data/dpo.jsonl
  synth generate --from-docs --n 20 --out evalset.draft.jsonl
  synth generate --from runs/latest --shard 0/4   # -> data/shard-0-of-4/synthetic.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGenerate(cmd.Context(), s, g, o, cmd.Flags().Changed("n"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "eval run to generate from: its directory, runs/latest or its id")
	f.BoolVar(&o.fromDocs, "from-docs", false, "draft an eval set from the help docs instead")
	f.IntVarP(&o.n, "n", "n", 20, "with --from-docs: how many eval items to draft")
	f.IntVar(&o.perFailure, "per-failure", 0, "rows to accept per failed item (default generate.per_failure, 3)")
	f.IntVar(&o.maxRounds, "max-rounds", 0, "generate-and-validate rounds per item (default generate.max_rounds, 4)")
	f.IntVarP(&o.concurrency, "concurrency", "j", 0, "failed items worked on at once (default generate.concurrency)")
	f.StringVarP(&o.out, "out", "o", "", "output file (default generate.out, data/synthetic.jsonl; with --from-docs evalset.draft.jsonl)")
	f.StringVar(&o.format, "format", "", "export format: native, openai, alpaca, sharegpt, lamini or dpo (default generate.format, native)")
	f.StringVar(&o.model, "model", "", "generator model, by its name under models: (default generate.model; none: offline)")
	f.BoolVar(&o.resume, "resume", false, "finish an interrupted generation into --out")
	f.BoolVar(&o.force, "force", false, "start over, deleting the files of an earlier generation into --out")
	f.BoolVar(&o.noCache, "no-cache", false, "do not read or write the response cache")
	f.BoolVar(&o.dryRun, "dry-run", false, "print what would be generated, then stop")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.StringVar(&o.shard, "shard", "", "work only on part i of n of the failed items (i/n, such as 0/4); without --out the rows go to shard-i-of-n/ beside generate.out")
	return cmd
}

func runGenerate(ctx context.Context, s *streams, g *globalOptions, o *generateOptions, nSet bool) error {
	switch {
	case o.from == "" && !o.fromDocs:
		return usagef("say what to generate from: --from RUN_DIR (an eval run, such as runs/latest) or --from-docs")
	case o.from != "" && o.fromDocs:
		return usagef("--from and --from-docs exclude each other")
	case o.fromDocs && o.resume:
		return usagef("--resume applies to --from generations only")
	case nSet && !o.fromDocs:
		return usagef("--n applies to --from-docs; use --per-failure for rows per failed item")
	case o.resume && o.force:
		return usagef("--resume and --force exclude each other")
	case o.perFailure < 0 || o.maxRounds < 0 || o.concurrency < 0 || o.n < 1:
		return usagef("--per-failure, --max-rounds and --concurrency must not be negative, and --n must be at least 1")
	case o.fromDocs && o.shard != "":
		return usagef("--shard applies to --from generations only")
	}
	var shard *dataset.Shard
	if o.shard != "" {
		var err error
		if shard, err = pipelines.ParseShard(o.shard); err != nil {
			return asUsage(err)
		}
	}
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return err
	}
	gcfg, err := pipelines.DecodeGenerateConfig(cfg)
	if err != nil {
		return &usageError{fmt.Errorf("%s: %w", g.configPath, err)}
	}
	if o.perFailure > 0 {
		gcfg.PerFailure = o.perFailure
	}
	if o.maxRounds > 0 {
		gcfg.MaxRounds = o.maxRounds
	}
	if o.concurrency > 0 {
		gcfg.Concurrency = o.concurrency
	}
	if o.model != "" {
		if _, err := cfg.Model(o.model); err != nil {
			return asUsage(err)
		}
		gcfg.Model = strings.ToLower(o.model)
	}
	if o.format != "" {
		f, err := dataset.ParseFormat(o.format)
		if err != nil {
			return usagef("--format: %v", err)
		}
		gcfg.Format = f
	}
	if o.out != "" {
		abs, err := filepath.Abs(o.out)
		if err != nil {
			return asUsage(err)
		}
		gcfg.Out = abs
	} else if shard != nil {
		// Each shard in its own folder: rejected.jsonl and generate-summary.json are per folder.
		gcfg.Out = filepath.Join(filepath.Dir(gcfg.Out), fmt.Sprintf("shard-%d-of-%d", shard.Index, shard.Count), filepath.Base(gcfg.Out))
	}
	proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{
		NoCache: o.noCache,
		OnIndex: func(st retrieval.Stats) {
			fmt.Fprintf(s.Err, "synth: brought the knowledge base up to date: %d docs, %d chunks (%d added, %d removed)\n", st.Docs, st.Chunks, st.Added, st.Removed)
		},
	})
	defer proj.Close(context.Background())
	if o.fromDocs {
		if o.out == "" {
			gcfg.Out = filepath.Join(cfg.Dir, "evalset.draft.jsonl")
		}
		return runDraft(ctx, s, g, o, proj, gcfg)
	}

	ref, err := dataset.ResolveRun(cfg.Eval.Out, o.from)
	if err != nil {
		return asUsage(err)
	}
	run, err := dataset.LoadRun(ref.Path)
	if err != nil {
		return asUsage(err)
	}
	if run.Manifest != nil && run.Manifest.Kind != "" && run.Manifest.Kind != "eval" {
		return usagef("%s is a %s run, not an eval run", relPath(run.Path), run.Manifest.Kind)
	}
	if len(run.Results) == 0 {
		return usagef("run %s has no results to generate from", relPath(run.Path))
	}
	gr, env, err := pipelines.NewGenerateRun(ctx, proj, run, gcfg)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return asUsage(err)
	}
	// The k-th failed item (in the run's results order) belongs to shard k mod n.
	gr.Targets = pipelines.ShardItems(gr.Targets, shard)
	gr.Manifest.Shard = shard
	generator := "builtin (offline)"
	if !env.Offline {
		generator = "model " + gcfg.Model
	}
	if len(gr.Targets) == 0 {
		fmt.Fprintf(s.Err, "synth: nothing to generate: no item of run %s is labelled %s\n", run.ID, joinLabels(gcfg.Labels))
		if g.json {
			return writeJSON(s, map[string]any{"run": run.ID, "failures": 0, "accepted": 0})
		}
		return nil
	}
	if o.dryRun {
		return printGenerateDryRun(s, g, gr, env, gcfg, run, generator)
	}
	gr.Resume, gr.Force = o.resume, o.force
	gr.Manifest.Synth = versionString()
	gr.Stats = func() (int, float64) {
		st := proj.Meter.Stats()
		n, cost := 0, 0.0
		for _, m := range st.Models {
			n += m.Calls + m.Retries - m.CacheHits
			cost += m.Cost
		}
		return n, cost
	}
	prog := newProgress(s, "generating", len(gr.Targets), o.quiet)
	gr.Progress = func(done, total int, r pipelines.ItemReport) {
		prog.step(done, fmt.Sprintf("%-24s %-9s %d/%d rows in %d round(s)", r.ID, r.Status, r.Accepted, r.Want, r.Rounds))
	}
	if !o.quiet && !g.json {
		fmt.Fprintf(s.Err, "synth: generating for %d failed items of run %s with %s\n", len(gr.Targets), run.ID, generator)
	}
	sum, runErr := gr.Run(ctx)
	prog.finish()
	if sum == nil {
		var exists *pipelines.ExistsError
		switch {
		case errors.Is(runErr, context.Canceled):
			return runErr
		case errors.As(runErr, &exists):
			return asUsage(runErr)
		}
		return asUsage(runErr)
	}
	if sum.Resumed > 0 {
		fmt.Fprintf(s.Err, "synth: resumed: %d items were already finished\n", sum.Resumed)
	}
	if g.json {
		if err := writeJSON(s, sum); err != nil {
			return err
		}
	} else {
		printGenerateSummary(s, sum, gr.Files, generator)
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintf(s.Err, "synth: interrupted after %d of %d items; finish with: synth generate --from %s --resume%s\n",
				sum.Completed, sum.Failures, relPath(run.Path), resumeFlags(o))
			return &silentError{code: exitInterrupted}
		}
		return runErr
	}
	if sum.Errors > 0 && sum.Errors == sum.Completed {
		return fmt.Errorf("the generation could not finish: every item failed (first: %s); fix the cause, then rerun with --resume", firstItemError(sum.Items))
	}
	return nil
}

// resumeFlags repeats the settings a --resume must be given again.
func resumeFlags(o *generateOptions) string {
	var b strings.Builder
	for _, f := range []struct {
		name string
		val  string
	}{{"--out", o.out}, {"--model", o.model}, {"--format", o.format}, {"--shard", o.shard}} {
		if f.val != "" {
			fmt.Fprintf(&b, " %s %s", f.name, f.val)
		}
	}
	for _, f := range []struct {
		name string
		val  int
	}{{"--per-failure", o.perFailure}, {"--max-rounds", o.maxRounds}} {
		if f.val > 0 {
			fmt.Fprintf(&b, " %s %d", f.name, f.val)
		}
	}
	return b.String()
}

func joinLabels(ls []dataset.Label) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

func firstItemError(items []pipelines.ItemReport) string {
	for _, it := range items {
		if it.Error != "" {
			return clipLine(it.Error, 200)
		}
	}
	return "unknown"
}

func printGenerateDryRun(s *streams, g *globalOptions, gr *pipelines.GenerateRun, env pipelines.GenerateEnv, gcfg pipelines.GenerateConfig, run *dataset.Run, generator string) error {
	var stages []string
	for _, st := range gr.Generate.Stages {
		stages = append(stages, st.Name)
	}
	plan := map[string]any{
		"run": run.ID, "failures": len(gr.Targets), "per_failure": gcfg.PerFailure, "max_rounds": gcfg.MaxRounds,
		"rows_max": len(gr.Targets) * gcfg.PerFailure, "generator": generator, "stages": stages,
		"out": gr.Files.Out, "format": gcfg.Format, "generator_calls_max": 0,
	}
	if !env.Offline {
		plan["generator_calls_max"] = len(gr.Targets) * gcfg.MaxRounds
	}
	if g.json {
		return writeJSON(s, plan)
	}
	fmt.Fprintf(s.Out, "dry run: %d failed items of run %s, %d rows each (at most %d rounds)\n  generator  %s\n  stages     %s\n  out        %s (%s)\n",
		len(gr.Targets), run.ID, gcfg.PerFailure, gcfg.MaxRounds, generator, strings.Join(stages, " → "), relPath(gr.Files.Out), gcfg.Format)
	if !env.Offline {
		fmt.Fprintf(s.Out, "  at most %d generator calls (plus validator and judge calls)\n", len(gr.Targets)*gcfg.MaxRounds)
	}
	return nil
}

// printGenerateSummary prints the per-stage table and where the rows went.
func printGenerateSummary(s *streams, sum *pipelines.GenerateSummary, files pipelines.GenerateFiles, generator string) {
	fmt.Fprintf(s.Out, "generate: %d failed items of run %s (model %s), %d rows each, at most %d rounds; generator %s\n\n",
		sum.Failures, sum.Run, orDash(sum.Model), sum.PerFailure, sum.MaxRounds, generator)
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  stage\tin\tpassed\trejected\ttop rejection reasons")
	for _, st := range sum.Stages {
		in, out, rej := fmt.Sprint(st.In), fmt.Sprint(st.Out), fmt.Sprint(st.Rejected)
		switch st.Kind {
		case pipelines.StageRetrieve:
			in, out, rej = "-", fmt.Sprintf("%d chunks", st.Out), "-"
		case pipelines.StageGenerator:
			in, out = "-", fmt.Sprintf("%d written", st.Out)
			if st.Rejected == 0 {
				rej = "-"
			}
		}
		var reasons []string
		for _, r := range st.TopReasons {
			reasons = append(reasons, fmt.Sprintf("%s (%d)", r.Reason, r.Count))
		}
		if st.Errors > 0 {
			reasons = append([]string{fmt.Sprintf("%d errors", st.Errors)}, reasons...)
		}
		if st.Kind == pipelines.StageAccept && sum.Surplus > 0 {
			reasons = append(reasons, fmt.Sprintf("surplus: their item already had %d rows (%d)", sum.PerFailure, sum.Surplus))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.sanitize(st.Stage), in, out, rej, s.sanitize(clipLine(strings.Join(reasons, "; "), 140)))
	}
	tw.Flush()
	fmt.Fprintf(s.Out, "\n  items     %d reached %d rows, %d ran out of rounds, %d failed", sum.Reached, sum.PerFailure, sum.Exhausted, sum.Errors)
	if left := sum.Failures - sum.Completed; left > 0 {
		fmt.Fprintf(s.Out, ", %d not finished", left)
	}
	fmt.Fprintln(s.Out)
	if sum.DPO != nil {
		fmt.Fprintf(s.Out, "  dpo       %d preference pairs; the model already answered %d right; %d could not be asked\n", sum.DPO.Pairs, sum.DPO.ModelRight, sum.DPO.Errors)
	}
	fmt.Fprintf(s.Out, "  accepted  %d rows -> %s (%s, %d rows)\n", sum.Accepted, relPath(files.Out), sum.Format, sum.Exported)
	fmt.Fprintf(s.Out, "  rejected  %d candidates -> %s\n", sum.Rejected, relPath(files.Rejected))
	fmt.Fprintf(s.Out, "  summary   %s\n", relPath(files.Summary))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runDraft(ctx context.Context, s *streams, g *globalOptions, o *generateOptions, proj *pipelines.Project, gcfg pipelines.GenerateConfig) error {
	if o.dryRun {
		fmt.Fprintf(s.Out, "dry run: would draft %d eval items from the help docs into %s\n", o.n, relPath(gcfg.Out))
		return nil
	}
	d, err := pipelines.DraftEvalSet(ctx, proj, gcfg, o.n)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return asUsage(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "Settings > Account", not "Settings \u003e Account"
	for _, it := range d.Items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	if err := dataset.WriteFileAtomic(gcfg.Out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	docs := map[string]bool{}
	for _, it := range d.Items {
		for _, src := range it.Sources {
			docs[src] = true
		}
	}
	if g.json {
		return writeJSON(s, map[string]any{"out": gcfg.Out, "items": len(d.Items), "docs": len(docs), "summary": d.Summary})
	}
	fmt.Fprintf(s.Out, "drafted %d eval items from %d help docs -> %s\n", len(d.Items), len(docs), relPath(gcfg.Out))
	if len(d.Items) < o.n {
		fmt.Fprintf(s.Out, "  (asked for %d: the docs gave no more questions that passed the validators)\n", o.n)
	}
	fmt.Fprintln(s.Out, "  review every question and answer before you use it as gold data: a draft is a starting point, not ground truth")
	return nil
}
