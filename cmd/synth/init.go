package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/examples"
)

type initOptions struct {
	dir     string
	example string
	force   bool
}

func newInitCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Write a runnable example project (help docs, a 20-item eval set, synth.yaml) into DIR",
		Long: `Write a runnable example project into DIR: help docs, a 20-item gold eval set
and a synth.yaml that uses only the offline defaults. Then:

  cd DIR && synth index && synth eval --model base`,
		Example: "  synth init support\n  synth init --example support ./my-project",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dir = args[0]
			return runInit(s, g, o)
		},
	}
	cmd.Flags().StringVar(&o.example, "example", "support", "example project to write (one of: "+strings.Join(examples.Names(), ", ")+")")
	cmd.Flags().BoolVar(&o.force, "force", false, "write into DIR even if it already has files (overwrites the example's files)")
	return cmd
}

func runInit(s *streams, g *globalOptions, o *initOptions) error {
	written, err := examples.Write(o.example, o.dir, o.force)
	if err != nil {
		return asUsage(err)
	}
	if g.json {
		return json.NewEncoder(s.Out).Encode(map[string]any{"dir": o.dir, "example": o.example, "files": written})
	}
	abs, _ := filepath.Abs(o.dir)
	fmt.Fprintf(s.Out, "Wrote the %q example (%d files) to %s\n\nNext:\n  cd %s\n  synth index\n  synth eval --model base\n", o.example, len(written), abs, o.dir)
	return nil
}
