package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time: -ldflags "-X main.version=v1.2.3 -X main.commit=abc123".
var (
	version = ""
	commit  = ""
)

// buildInfo returns the version and commit, falling back to what the Go
// toolchain recorded (go install module@version).
func buildInfo() (ver, rev string) {
	ver, rev = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && rev == "" {
				rev = s.Value
			}
		}
	}
	if ver == "" {
		ver = "dev"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev
}

func newVersionCmd(s *streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print synth's version, commit and Go version",
		Example: "  synth version\n  synth version --json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ver, rev := buildInfo()
			if g.json {
				return json.NewEncoder(s.Out).Encode(map[string]string{"version": ver, "commit": rev, "go": runtime.Version()})
			}
			_, err := fmt.Fprintf(s.Out, "synth %s (commit %s, %s %s/%s)\n", ver, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}
