package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/pipelines"
)

type askOptions struct {
	model   string
	k       int
	noCache bool
}

func newAskCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &askOptions{}
	cmd := &cobra.Command{
		Use:   `ask "QUESTION"`,
		Short: "Show the help-doc chunks retrieved for a question and a model's answer",
		Long: `Show what synth retrieves from the help docs for a question, with scores and
heading paths, and what a model answers (with the chunks in its prompt when
eval.rag is set). A debugging aid for retrieval and prompts.`,
		Example: "  synth ask \"how do I reset my password\"\n  synth ask --model gpt --k 6 \"can I pay with PayPal?\"",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAsk(cmd.Context(), s, g, o, strings.Join(args, " "))
		},
	}
	cmd.Flags().StringVarP(&o.model, "model", "m", "", "model to ask (default eval.model)")
	cmd.Flags().IntVarP(&o.k, "k", "k", 4, "chunks to retrieve")
	cmd.Flags().BoolVar(&o.noCache, "no-cache", false, "do not read or write the response cache")
	return cmd
}

func runAsk(ctx context.Context, s *streams, g *globalOptions, o *askOptions, question string) error {
	if o.k < 1 {
		return usagef("--k must be at least 1")
	}
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return err
	}
	proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{NoCache: o.noCache})
	defer proj.Close(context.Background())
	kb, err := proj.KB(ctx)
	if err != nil {
		return asUsage(err)
	}
	var chunks []dataset.Chunk
	if kb != nil {
		if chunks, err = kb.Search(ctx, question, o.k); err != nil {
			return err
		}
	}
	name := firstNonEmpty(o.model, cfg.Eval.Model)
	var answer *llm.Response
	if name != "" {
		m, err := proj.Model(ctx, name)
		if err != nil {
			return asUsage(err)
		}
		req := llm.Request{Contexts: chunks}
		if cfg.Eval.SystemPrompt != "" {
			req.Messages = append(req.Messages, llm.Message{Role: llm.System, Content: cfg.Eval.SystemPrompt})
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.User, Content: pipelines.UserPrompt(question, chunks, cfg.Eval.RAGK)})
		resp, err := m.Generate(ctx, req)
		if err != nil {
			return err
		}
		answer = &resp
	}
	if g.json {
		out := map[string]any{"question": question, "chunks": chunks}
		if answer != nil {
			out["model"] = name
			out["answer"] = answer.Text
			out["usage"] = answer.Usage
		}
		return writeJSON(s, out)
	}
	if kb == nil {
		fmt.Fprintln(s.Out, "(the project has no help docs: nothing retrieved)")
	}
	for i, c := range chunks {
		head := c.Doc
		if c.Heading != "" {
			head += " › " + c.Heading
		}
		fmt.Fprintf(s.Out, "%s %s\n", s.color("1", fmt.Sprintf("[%d] %.3f", i+1, c.Score)), s.sanitize(head))
		for _, line := range strings.Split(strings.TrimSpace(c.Text), "\n") {
			fmt.Fprintf(s.Out, "    %s\n", s.sanitize(clipLine(line, 160)))
		}
	}
	if answer != nil {
		fmt.Fprintf(s.Out, "\n%s\n%s\n", s.color("1", "answer ("+name+"):"), s.sanitize(answer.Text))
	}
	return nil
}
