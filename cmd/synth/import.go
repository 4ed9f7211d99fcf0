package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/importers"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

type importOptions struct {
	out   string
	force bool
	hf    importers.FieldMap
}

func newImportCmd(s *streams, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Convert eval sets and configs from promptfoo, OpenAI evals or Hugging Face datasets",
		Long: `Convert another tool's eval files into synth's: an eval set (JSONL) and, for
promptfoo, the matching synth.yaml. Whatever has no synth counterpart is listed,
never dropped silently (IMPORT-NOTES.md). docs/migrating.md explains the mapping.`,
		Example: `  synth import promptfoo promptfooconfig.yaml --out nimbus-eval
  synth import openai-evals samples.jsonl --out evalset.jsonl
  synth import hf squad-validation.jsonl --answer-field answers.text --id-field id`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("name what to import: synth import promptfoo|openai-evals|hf FILE (see synth import --help)")
		},
	}
	cmd.AddCommand(newImportPromptfooCmd(s, g), newImportOpenAIEvalsCmd(s, g), newImportHFCmd(s, g))
	return cmd
}

func newImportPromptfooCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "promptfoo FILE",
		Short: "Convert a promptfoo config into an eval set, a synth.yaml and IMPORT-NOTES.md",
		Long: `Convert a promptfoo config (promptfooconfig.yaml or .json) — its prompts,
providers, tests (inline, or in the CSV, JSON, JSONL and YAML files it points
to), defaultTest, scenarios and assertionTemplates — into a folder holding:

  evalset.jsonl    one item per test and prompt: the prompt rendered with the
                   test's vars is the question; equals, contains, similar,
                   factuality and rouge-n values (or an expected/answer var)
                   are the gold answers
  synth.yaml       models from the providers; validators from the assertions
  outputs.jsonl    the tests' providerOutput, for a replay model (if any)
  IMPORT-NOTES.md  everything that did not carry over exactly, and why

Existing files are not replaced without --force.`,
		Example: `  synth import promptfoo promptfooconfig.yaml
  synth import promptfoo evals/promptfooconfig.yaml --out synth-eval && cd synth-eval && synth eval`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			imp, err := importers.Promptfoo(args[0], importers.PromptfooOptions{Validators: validatorSpecs()})
			if err != nil {
				return importError(err)
			}
			return writeImport(s, g, o, imp)
		},
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", ".", "folder to write evalset.jsonl, synth.yaml and IMPORT-NOTES.md into")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace files that already exist in the output folder")
	return cmd
}

func newImportOpenAIEvalsCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "openai-evals FILE",
		Short: "Convert OpenAI evals samples (JSONL with chat input and ideal answers) into an eval set",
		Long: `Convert an OpenAI evals samples file (JSONL: "input" as chat messages or text,
"ideal" as an answer or a list of acceptable answers) into a synth eval set.
The last user message is the question; system messages go to meta.system and
earlier turns to meta.history; other fields go to meta.`,
		Example: `  synth import openai-evals registry/data/capitals/samples.jsonl
  synth import openai-evals samples.jsonl --out evals/capitals.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			imp, err := importers.OpenAIEvals(args[0])
			if err != nil {
				return importError(err)
			}
			return writeImport(s, g, o, imp)
		},
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", importers.EvalSetFile, "eval set file to write (- for stdout)")
	cmd.Flags().BoolVar(&o.force, "force", false, "replace the output file if it exists")
	return cmd
}

func newImportHFCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "hf FILE",
		Short: "Convert a Hugging Face datasets-style file (JSONL, JSON or CSV) into an eval set",
		Long: `Convert a dataset split saved by Hugging Face datasets (Dataset.to_json writes
JSON Lines; JSON lists and CSV work too) into a synth eval set. Fields are
dotted paths into nested records ("answers.text", "meta.id"); the answer may be
text, a list of acceptable answers, or SQuAD-style {text: [...]}. Other fields
go to meta. Parquet is not read: convert it with to_json first.`,
		Example: `  synth import hf squad-validation.jsonl --id-field id
  synth import hf data.jsonl --question-field turn.q --answer-field turn.gold --tags-field labels
  synth import hf train.csv --question-field prompt --answer-field completion --out evalset.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			imp, err := importers.HF(args[0], o.hf)
			if err != nil {
				return importError(err)
			}
			return writeImport(s, g, o, imp)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.hf.Question, "question-field", "", "field holding the question (default: the first of question, query, input, prompt, instruction, problem)")
	f.StringVar(&o.hf.Answer, "answer-field", "", "field holding the gold answer(s) (default: the first of answer, answers, ideal, output, target, response, solution)")
	f.StringVar(&o.hf.ID, "id-field", "", "field holding the item id (default: ids derived from the questions)")
	f.StringVar(&o.hf.Tags, "tags-field", "", "field holding the item's tags (a list, or text separated by ; | or ,)")
	f.StringVarP(&o.out, "out", "o", importers.EvalSetFile, "eval set file to write (- for stdout)")
	f.BoolVar(&o.force, "force", false, "replace the output file if it exists")
	return cmd
}

// validatorSpecs are the validator kinds of this build, for the importer.
func validatorSpecs() []spec.Spec {
	entries := validators.Builtin().Entries()
	out := make([]spec.Spec, len(entries))
	for i, e := range entries {
		out[i] = e.Spec
	}
	return out
}

// importError marks input problems (a missing or malformed file) as bad
// input: exit status 2.
func importError(err error) error {
	var ie *dataset.InputError
	if errors.As(err, &ie) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return asUsage(err)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return asUsage(err)
	}
	return err
}

// importResult is what `synth import --json` prints.
type importResult struct {
	Format     string           `json:"format"`
	Source     string           `json:"source"`
	Items      int              `json:"items"`
	Files      []string         `json:"files"`
	Models     []string         `json:"models,omitempty"`
	Model      string           `json:"model,omitempty"`
	Validators []string         `json:"validators,omitempty"`
	Notes      []importers.Note `json:"notes"`
	Next       []string         `json:"next,omitempty"`
	Counts     map[string]int   `json:"note_counts"`
}

func writeImport(s *streams, g *globalOptions, o *importOptions, imp *importers.Import) error {
	res := importResult{Format: imp.Format, Source: imp.Source, Items: len(imp.Items), Notes: imp.Notes, Counts: map[string]int{}}
	if res.Notes == nil {
		res.Notes = []importers.Note{}
	}
	for _, n := range imp.Notes {
		res.Counts[string(n.Kind)]++
	}
	switch {
	case imp.Config != nil: // promptfoo: a project folder
		written, err := imp.WriteProject(o.out, o.force)
		if err != nil {
			var exists *importers.ExistsError
			if errors.As(err, &exists) {
				return asUsage(err)
			}
			return err
		}
		for _, w := range written {
			res.Files = append(res.Files, relPath(w))
		}
		for _, m := range imp.Config.Models {
			res.Models = append(res.Models, m.Name)
		}
		res.Model = imp.Config.Model
		for _, v := range imp.Config.Validators {
			res.Validators = append(res.Validators, v.Type())
		}
		res.Next = nextSteps(o.out, imp)
	case o.out == "-":
		if g.json {
			return usagef("--out - writes the eval set to stdout, where --json would also go: use one of them")
		}
		data, err := importers.EncodeEvalSet(imp.Items)
		if err != nil {
			return err
		}
		if _, err := s.Out.Write(data); err != nil {
			return err
		}
		for _, n := range imp.Notes {
			fmt.Fprintln(s.Err, "synth: note:", s.sanitize(n.String()))
		}
		return nil
	default:
		if !o.force {
			if _, err := os.Stat(o.out); err == nil {
				return usagef("%s already exists (pass --force to replace it)", o.out)
			}
		}
		if dir := filepath.Dir(o.out); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		if err := importers.WriteEvalSet(o.out, imp.Items); err != nil {
			return err
		}
		res.Files = []string{relPath(o.out)}
		res.Next = []string{fmt.Sprintf("synth eval --dataset %s --model NAME   (or set eval.dataset: %s in synth.yaml)", relPath(o.out), relPath(o.out))}
	}
	if g.json {
		return writeJSON(s, res)
	}
	return printImport(s, res)
}

// nextSteps says how to run the imported project.
func nextSteps(out string, imp *importers.Import) []string {
	var steps []string
	if out != "." {
		steps = append(steps, "cd "+out)
	}
	cfg := imp.Config
	if cfg.Model == "" {
		steps = append(steps, "add a model under models: in synth.yaml (see IMPORT-NOTES.md), then: synth eval --model NAME")
		return steps
	}
	for _, m := range cfg.Models {
		if m.Name != cfg.Model {
			continue
		}
		for _, f := range m.Fields {
			if f.Key == "provider" && (f.Value == "openai" || f.Value == "anthropic") {
				env := "OPENAI_API_KEY"
				if f.Value == "anthropic" {
					env = "ANTHROPIC_API_KEY"
				}
				for _, f2 := range m.Fields {
					if f2.Key == "api_key_env" {
						env = fmt.Sprint(f2.Value)
					}
				}
				steps = append(steps, "export "+env+"=...   # the key of model "+m.Name)
			}
		}
	}
	if cfg.Judge == "" && cfg.JudgeHint != "" {
		steps = append(steps, "set eval.judge in synth.yaml to one of: "+strings.Join(modelNames(cfg), ", "))
	}
	steps = append(steps, "synth eval   # grades model "+cfg.Model+"; other models: synth eval --model NAME")
	return steps
}

func modelNames(cfg *importers.Config) []string {
	var out []string
	for _, m := range cfg.Models {
		out = append(out, m.Name)
	}
	return out
}

func printImport(s *streams, res importResult) error {
	w := s.Out
	fmt.Fprintf(w, "Imported %d items from %s (%s)\n", res.Items, s.sanitize(relPath(res.Source)), res.Format)
	for _, f := range res.Files {
		fmt.Fprintf(w, "  wrote  %s\n", s.sanitize(f))
	}
	if len(res.Models) > 0 {
		fmt.Fprintf(w, "  models      %s (eval.model: %s)\n", strings.Join(res.Models, ", "), firstNonEmpty(res.Model, "none"))
	}
	if len(res.Validators) > 0 {
		fmt.Fprintf(w, "  validators  %s\n", strings.Join(res.Validators, ", "))
	}
	if len(res.Notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", s.color("1", fmt.Sprintf("Notes (%d unsupported, %d approximated, %d skipped, %d info):",
			res.Counts[string(importers.Unsupported)], res.Counts[string(importers.Approximated)], res.Counts[string(importers.Skipped)], res.Counts[string(importers.Info)])))
		for _, n := range res.Notes {
			line := s.sanitize(n.String())
			if n.Kind == importers.Unsupported {
				line = s.color("33", string(n.Kind)) + strings.TrimPrefix(line, string(n.Kind))
			}
			fmt.Fprintf(w, "  - %s\n", line)
		}
	}
	if len(res.Next) > 0 {
		fmt.Fprintf(w, "\nNext:\n")
		for _, n := range res.Next {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	return nil
}
