package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// usageArgs makes positional-argument mistakes usage errors (exit status 2)
// across the command tree: cobra's own checks (ExactArgs, NoArgs, unknown
// commands) return plain errors, which would otherwise exit with 3.
func usageArgs(root *cobra.Command) {
	if root.Args == nil && root.Run == nil && root.RunE == nil {
		// An unknown command ("synth evl"): with Args set, cobra leaves the
		// check to us, and root must be runnable for the check to happen.
		root.Args = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q (see synth --help)", args[0], c.CommandPath())
			}
			return nil
		}
		root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && c.Args != nil {
			check := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return asUsage(fmt.Errorf("%s: %w (see %s --help)", cmd.CommandPath(), err, cmd.CommandPath()))
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
