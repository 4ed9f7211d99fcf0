package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/report"
)

type compareOptions struct {
	md   bool
	html string
	out  string
}

func newCompareCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare RUN_A RUN_B",
		Short: "Compare two runs item by item: what got fixed, what regressed, and whether it is chance",
		Long: `Compare two runs of the same eval set, item by item.

Shows the counts per label side by side; each item's transition: fixed (not
correct -> correct), regressed (correct -> not correct), changed (another
label change), unchanged; each run's accuracy with a 95% Wilson interval; and
an exact McNemar test on the paired items, overall and per tag.

RUN_A and RUN_B are run directories, run ids, or runs/latest. The comparison
is also written as compare.md, compare.json and compare.html into RUN_B's
directory (or --out).`,
		Example: "  synth compare runs/20261204-101500-base runs/latest\n  synth compare runs/a runs/b --json\n  synth compare runs/a runs/b --md > compare.md",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(s, g, o, args[0], args[1])
		},
	}
	cmd.Flags().BoolVar(&o.md, "md", false, "print Markdown instead of the table")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "folder to write compare.md, compare.json and compare.html into (default: RUN_B's directory)")
	return cmd
}

// runsRoot guesses where run ids are looked up: the config's eval.out when a
// config is at hand, else ./runs.
func runsRoot(g *globalOptions) string {
	if _, err := os.Stat(g.configPath); err == nil {
		if cfg, err := loadConfig(g.configPath); err == nil {
			return cfg.Eval.Out
		}
	}
	return "runs"
}

func loadRunArg(root, ref string) (*dataset.Run, error) {
	d, err := dataset.ResolveRun(root, ref)
	if err != nil {
		return nil, asUsage(err)
	}
	r, err := dataset.LoadRun(d.Path)
	if err != nil {
		return nil, asUsage(err)
	}
	if len(r.Results) == 0 {
		return nil, usagef("run %s has no results", ref)
	}
	return r, nil
}

func runCompare(s *streams, g *globalOptions, o *compareOptions, refA, refB string) error {
	root := runsRoot(g)
	a, err := loadRunArg(root, refA)
	if err != nil {
		return err
	}
	b, err := loadRunArg(root, refB)
	if err != nil {
		return err
	}
	c, err := report.Compare(a, b)
	if err != nil {
		return asUsage(err)
	}
	js, err := report.CompareJSON(c)
	if err != nil {
		return err
	}
	dir := o.out
	if dir == "" {
		dir = b.Path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"compare.json": js,
		"compare.md":   report.CompareMarkdown(c),
		"compare.html": report.CompareHTML(c, report.HTMLOptions{}),
	} {
		if err := dataset.WriteFileAtomic(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	switch {
	case g.json:
		_, err = s.Out.Write(js)
		return err
	case o.md:
		_, err = s.Out.Write(report.CompareMarkdown(c))
		return err
	}
	if err := c.WriteText(s.Out, report.Style{Color: s.Color}); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "\n  report  %s\n", filepath.Join(relPath(dir), "compare.html"))
	return nil
}
