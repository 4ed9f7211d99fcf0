// Command synth evaluates an LLM against a gold set, turns its failures into
// validated synthetic training data grounded in the help docs, and compares
// runs before and after tuning. Run `synth --help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], systemStreams()))
}

// run executes the command line and returns the process exit status.
func run(args []string, s *streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return reportExit(s, err, ctx.Err() != nil)
}
