package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/pipelines"
)

type tuneOptions struct {
	data, validation string
	base, name       string
	suffix, system   string
	systemSet        bool
	epochs           int
	noWait, force    bool
	poll             time.Duration
	quiet            bool

	// sleep and client are replaced by tests.
	sleep  func(ctx context.Context, d time.Duration) error
	client llm.FineTuneOptions
}

func newTuneCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &tuneOptions{poll: 5 * time.Second}
	cmd := &cobra.Command{
		Use:   "tune",
		Short: "Train a model on generated data and register it for synth eval",
		Long: `Train a model on Q&A data (what synth generate writes, or chat, Alpaca,
ShareGPT or Lamini lines) and register the result under --name, so that
synth eval --model NAME can grade it.

A builtin base learns the data as a memory (.synth/models/NAME.jsonl):
offline and instant. An openai base (any OpenAI-compatible API with the
Files and fine-tuning endpoints) gets a fine-tuning job: synth uploads the
data in the chat format, creates the job and follows it until it succeeds
(the tuned model id is registered) or fails (exit status 3). With --no-wait,
or after Ctrl-C, the job keeps running and synth tune status NAME finishes
the registration.

Registrations live in .synth/models.json beside the config file. A tuned
model inherits its base's current settings; only the memory or model id
differs. A model of the same name in synth.yaml wins over a registration.`,
		Example: `  synth tune --data data/synthetic.jsonl --base base --name tuned
  synth tune --data data/train.jsonl --base gpt --name gpt-support --suffix support --epochs 3
  synth tune --data data/train.jsonl --base gpt --name gpt-support --no-wait
  synth tune status gpt-support --wait
  synth tune list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.systemSet = cmd.Flags().Changed("system")
			return runTune(cmd.Context(), s, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", "", "training data: JSONL of Q&A pairs in any synth generate format (required)")
	f.StringVar(&o.base, "base", "", "model to tune, by its name under models: (required)")
	f.StringVar(&o.name, "name", "", "name to register the tuned model under (required)")
	f.StringVar(&o.validation, "validation-data", "", "validation data for a remote fine-tuning job")
	f.StringVar(&o.suffix, "suffix", "", "suffix for the remote tuned model's name (up to 64 characters)")
	f.IntVar(&o.epochs, "epochs", 0, "training epochs for a remote job (0: the provider chooses)")
	f.StringVar(&o.system, "system", "", "system prompt of the chat examples (default eval.system_prompt; \"\" for none)")
	f.BoolVar(&o.noWait, "no-wait", false, "register the model as pending and return once the job is created")
	f.BoolVar(&o.force, "force", false, "replace a registered tuned model of the same name")
	pf := cmd.PersistentFlags()
	pf.DurationVar(&o.poll, "poll", 5*time.Second, "first wait between polls of a remote job (grows to 1m)")
	pf.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	cmd.AddCommand(newTuneListCmd(s, g), newTuneStatusCmd(s, g, o), newTuneCancelCmd(s, g, o), newTuneRmCmd(s, g))
	return cmd
}

func runTune(ctx context.Context, s *streams, g *globalOptions, o *tuneOptions) error {
	if o.poll <= 0 {
		return usagef("--poll must be longer than 0s")
	}
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return err
	}
	proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{})
	defer proj.Close(context.Background())
	topt := pipelines.TuneOptions{
		Name: o.name, Base: o.base, Data: o.data, Validation: o.validation,
		Suffix: o.suffix, Epochs: o.epochs, Force: o.force, Client: o.client,
	}
	if o.systemSet {
		topt.System = &o.system
	}
	plan, err := pipelines.PrepareTune(proj, topt)
	if err != nil {
		return asUsage(err)
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(s.Err, "synth: warning:", s.sanitize(w))
	}
	m, err := plan.Run(ctx, tuneWatch(s, o, o.noWait))
	return finishTune(s, g, m, err, "")
}

// tuneWatch reports a remote job's progress on stderr, one line per change.
func tuneWatch(s *streams, o *tuneOptions, noWait bool) pipelines.TuneWatch {
	var last string
	var lastTokens int64
	say := func(msg string) {
		if !o.quiet {
			fmt.Fprintln(s.Err, s.sanitize("synth: "+msg))
		}
	}
	return pipelines.TuneWatch{
		NoWait:   noWait,
		Interval: o.poll,
		Sleep:    o.sleep,
		OnStep:   say,
		OnJob: func(job llm.FineTuneJob, events []llm.FineTuneEvent) {
			for _, e := range events {
				say(fmt.Sprintf("  %s %s", time.Unix(e.CreatedAt, 0).UTC().Format("15:04:05"), clipLine(e.Message, 160)))
			}
			if job.Status != last || job.TrainedTokens != lastTokens {
				line := "job " + job.ID + ": " + job.Status
				if job.TrainedTokens > 0 {
					line += fmt.Sprintf(", %d tokens trained", job.TrainedTokens)
				}
				say(line)
				last, lastTokens = job.Status, job.TrainedTokens
			}
		},
	}
}

// finishTune prints the outcome of tune or tune status and maps it to an error.
func finishTune(s *streams, g *globalOptions, m *pipelines.TunedModel, err error, verb string) error {
	var pending *pipelines.PendingError
	var failed *pipelines.JobFailedError
	switch {
	case errors.As(err, &pending):
		fmt.Fprintln(s.Err, s.sanitize("synth: "+pending.Error()))
		if g.json && m != nil {
			_ = writeJSON(s, m)
		}
		return &silentError{code: exitInterrupted}
	case errors.As(err, &failed):
		if g.json && m != nil {
			_ = writeJSON(s, m)
		}
		return err
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(s.Err, "synth: interrupted before a fine-tuning job was created: nothing was registered")
		return &silentError{code: exitInterrupted}
	case err != nil:
		return err
	}
	if g.json {
		return writeJSON(s, m)
	}
	switch m.State {
	case pipelines.TunedReady:
		what := ""
		if mem, ok := m.Params["memory"].(string); ok {
			n := m.MemoryPairs
			if n == 0 { // registered by an older synth
				n = m.Data.Examples
			}
			what = fmt.Sprintf("%s + a memory of %d Q&A pairs (%s)", m.Base, n, mem)
		} else {
			what = fmt.Sprintf("%s fine-tuned on %d examples: %v", m.Base, m.Data.Examples, m.Params["model"])
		}
		fmt.Fprintf(s.Out, "%sregistered tuned model %s: %s\nevaluate it with: synth eval --model %s\n", verb, m.Name, s.sanitize(what), m.Name)
	case pipelines.TunedPending:
		fmt.Fprintf(s.Out, "tuned model %s is pending: fine-tuning job %s is %s\ncheck it with: synth tune status %s (add --wait to follow it)\n", m.Name, m.Job.ID, m.Job.Status, m.Name)
	default:
		fmt.Fprintf(s.Out, "tuned model %s: %s\n", m.Name, m.State)
	}
	return nil
}

func newTuneListCmd(s *streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the registered tuned models",
		Example: "  synth tune list\n  synth tune list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(g.configPath)
			if err != nil {
				return err
			}
			reg, err := pipelines.LoadTunedRegistry(cfg.Dir)
			if err != nil {
				return asUsage(err)
			}
			models := make([]*pipelines.TunedModel, 0, len(reg.Models))
			for _, n := range reg.Names() {
				models = append(models, reg.Models[n])
			}
			if g.json {
				return writeJSON(s, models)
			}
			if len(models) == 0 {
				fmt.Fprintln(s.Out, "no tuned models: register one with synth tune --data FILE --base MODEL --name NAME")
				return nil
			}
			tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tBASE\tPROVIDER\tSTATE\tMODEL\tDATA\tEXAMPLES\tUPDATED")
			for _, m := range models {
				state := m.State
				if m.State == pipelines.TunedReady && !m.Active(cfg) {
					state = "hidden by synth.yaml"
					if _, ok := cfg.Models[m.Base]; !ok {
						state = "base missing"
					}
				}
				if m.Job != nil && m.State == pipelines.TunedPending {
					state += " (" + m.Job.Status + ")"
				}
				what := fmt.Sprint(m.Params["memory"])
				if m.Job != nil {
					what = firstNonEmpty(m.Job.FineTunedModel, m.Job.ID)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", m.Name, m.Base, m.Provider, state, s.sanitize(what), s.sanitize(m.Data.Path), m.Data.Examples, m.Updated.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
}

func newTuneStatusCmd(s *streams, g *globalOptions, parent *tuneOptions) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:     "status NAME",
		Short:   "Ask the provider about a pending tuned model's job and finish its registration",
		Example: "  synth tune status tuned\n  synth tune status tuned --poll 10s",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(g.configPath)
			if err != nil {
				return err
			}
			proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{})
			defer proj.Close(context.Background())
			m, err := pipelines.TuneStatus(cmd.Context(), proj, args[0], wait, tuneWatch(s, parent, false), parent.client)
			if err != nil && m == nil {
				return asUsage(err)
			}
			return finishTune(s, g, m, err, "")
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the job until it ends")
	return cmd
}

func newTuneCancelCmd(s *streams, g *globalOptions, parent *tuneOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "cancel NAME",
		Short:   "Cancel a pending tuned model's fine-tuning job",
		Example: "  synth tune cancel tuned",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(g.configPath)
			if err != nil {
				return err
			}
			proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{})
			defer proj.Close(context.Background())
			m, err := pipelines.CancelTune(cmd.Context(), proj, args[0], parent.client)
			if err != nil {
				if m == nil {
					return asUsage(err)
				}
				return err
			}
			if g.json {
				return writeJSON(s, m)
			}
			fmt.Fprintf(s.Out, "cancelled fine-tuning job %s of %s (%s)\n", m.Job.ID, m.Name, m.Job.Status)
			return nil
		},
	}
}

func newTuneRmCmd(s *streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NAME",
		Short:   "Remove a tuned model's registration (and a builtin model's memory file)",
		Example: "  synth tune rm tuned",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(g.configPath)
			if err != nil {
				return asUsage(err)
			}
			if _, err := os.Stat(abs); err != nil {
				return usagef("no config file %s (pass --config FILE)", g.configPath)
			}
			m, err := pipelines.RemoveTuned(filepath.Dir(abs), args[0])
			if err != nil {
				if m == nil {
					return asUsage(err)
				}
				return err
			}
			if g.json {
				return writeJSON(s, m)
			}
			msg := "removed tuned model " + m.Name
			if m.Job != nil && m.Job.FineTunedModel != "" {
				msg += fmt.Sprintf(" (the provider keeps %s: delete it there if you no longer need it)", m.Job.FineTunedModel)
			}
			fmt.Fprintln(s.Out, s.sanitize(msg))
			return nil
		},
	}
}
