package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/pipelines"
	"github.com/synth-dev/synth/report"
)

type mergeOptions struct {
	out string
}

func newMergeCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge RUN_DIR...",
		Short: "Combine the shards of a split eval run (synth eval --shard i/n) into one run",
		Long: `Combine the shards of a split eval run into one run directory with the
results in eval-set order, one summary and the reports, exactly as an
unsplit run would have written them. Every shard 0..n-1 must be given once,
from the same eval set and model, and finished.`,
		Example: `  # four machines (or a Kubernetes Indexed Job, or a CI matrix):
  synth eval --model gpt --shard 0/4 --out runs/shards   # ... through 3/4
  synth merge runs/shards/*     # the latest link a glob picks up is taken once`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return runMerge(s, g, o, args)
		},
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "folder to create the merged run in (default eval.out, runs)")
	return cmd
}

func runMerge(s *streams, g *globalOptions, o *mergeOptions, refs []string) error {
	root := runsRoot(g)
	var runs []*dataset.Run
	seen := map[string]bool{}
	for _, ref := range refs {
		d, err := dataset.ResolveRun(root, ref)
		if err != nil {
			return asUsage(err)
		}
		if seen[d.Path] {
			continue // the same run twice, e.g. a shard and the latest link a glob picked up
		}
		seen[d.Path] = true
		r, err := dataset.LoadRun(d.Path)
		if err != nil {
			return asUsage(err)
		}
		runs = append(runs, r)
	}
	m, sum, results, err := pipelines.MergeRuns(runs)
	if err != nil {
		return asUsage(err)
	}
	outRoot := firstNonEmpty(o.out, root)
	dir, err := dataset.CreateRun(outRoot, m.Model, time.Now())
	if err != nil {
		return err
	}
	m.Run, sum.Run = dir.ID, dir.ID
	if err := dir.WriteManifest(m); err != nil {
		return err
	}
	w, err := dir.OpenResults()
	if err != nil {
		return err
	}
	w.SetSync(false)
	for _, r := range results {
		if err := w.Write(r); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := dir.WriteSummary(sum); err != nil {
		return err
	}
	if err := writeRunReports(dir, sum, results, ""); err != nil {
		return err
	}
	if g.json {
		return writeJSON(s, sum)
	}
	fmt.Fprintf(s.Out, "merged %d shards (%d items) into %s\n\n", len(runs), sum.Total, relPath(dir.Path))
	if err := report.WriteSummary(s.Out, sum, report.Style{Color: s.Color}); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "\n  report   %s\n", filepath.Join(relPath(dir.Path), "report.html"))
	return nil
}
