package main

import (
	"github.com/spf13/cobra"
)

// globalOptions are the flags every command takes.
type globalOptions struct {
	configPath string
	json       bool
	noColor    bool
}

func newRootCmd(s *streams) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "synth",
		Short: "Evaluate an LLM, turn its failures into grounded training data, compare before and after",
		Long: `synth closes the loop between evaluating an LLM and improving it:

  synth init support          a runnable example project (help docs, eval set, synth.yaml)
  synth index                 chunk and embed the help docs into the local vector store
  synth eval --model base     grade a model on the eval set -> runs/<id>/
  synth generate --from runs/latest   synthetic Q&A from the failures
  synth tune --data data/synthetic.jsonl --base base --name tuned
  synth compare RUN_A RUN_B   what got fixed, what regressed

Everything runs offline on the embedded defaults; any OpenAI-compatible,
Ollama or Anthropic model can be plugged in through synth.yaml.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return asUsage(err) })
	pf := root.PersistentFlags()
	pf.StringVarP(&g.configPath, "config", "c", "synth.yaml", "config file; relative paths in it are relative to its folder")
	pf.BoolVar(&g.json, "json", false, "print machine-readable JSON on stdout")
	pf.BoolVar(&g.noColor, "no-color", false, "disable colour (also NO_COLOR=1)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if g.noColor {
			s.Color = false
		}
	}
	root.AddCommand(
		newInitCmd(s, g),
		newIndexCmd(s, g),
		newAskCmd(s, g),
		newEvalCmd(s, g),
		newGenerateCmd(s, g),
		newCompareCmd(s, g),
		newMergeCmd(s, g),
		newTuneCmd(s, g),
		newCheckCmd(s, g),
		newImportCmd(s, g),
		newDocsCmd(s, g),
		newVersionCmd(s, g),
	)
	usageArgs(root)
	return root
}
