package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// canonicalShort is the one shorthand each common flag has everywhere.
var canonicalShort = map[string]string{
	"model":       "m",
	"out":         "o",
	"concurrency": "j",
	"quiet":       "q",
	"config":      "c",
	"dataset":     "d",
}

// synonyms are flag names that must not appear: use the canonical name.
var synonyms = map[string]string{
	"output": "out", "output-dir": "out", "outdir": "out", "out-dir": "out", "dest": "out",
	"parallel": "concurrency", "parallelism": "concurrency", "workers": "concurrency", "jobs": "concurrency", "threads": "concurrency",
	"nocache": "no-cache", "disable-cache": "no-cache", "skip-cache": "no-cache",
	"silent": "quiet", "continue": "resume", "json-output": "json", "machine": "json",
	"models": "model", "model-name": "model", "datasets": "dataset", "data-set": "dataset", "cfg": "config", "colour": "no-color", "no-colour": "no-color",
}

var flagNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// cobraBuiltin reports cobra's own commands (completion, help), whose texts
// we do not write.
func cobraBuiltin(c *cobra.Command) bool {
	for p := c; p != nil; p = p.Parent() {
		if p.Name() == "completion" || p.Name() == "help" || p.Name() == "__complete" {
			return true
		}
	}
	return false
}

// TestCommandTreeConsistency walks every command: each has Short and
// Example texts, every flag has a usage string and a kebab-case name, the
// common flags have the same name and shorthand everywhere, and no command
// uses a synonym of one (--output for --out).
func TestCommandTreeConsistency(t *testing.T) {
	s, _, _ := testStreams()
	root := newRootCmd(s)
	root.InitDefaultCompletionCmd()
	shortOwner := map[string]string{} // shorthand -> flag name, across the tree
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, sprintf(format, args...)) }
	checkFlags := func(c *cobra.Command, fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) {
			where := c.CommandPath() + " --" + f.Name
			if f.Name == "help" {
				return
			}
			if strings.TrimSpace(f.Usage) == "" {
				add("%s has no usage text", where)
			}
			if !flagNameRE.MatchString(f.Name) {
				add("%s: flag names are lower-case kebab-case", where)
			}
			if want, bad := synonyms[f.Name]; bad {
				add("%s: use --%s, the name every other command uses", where, want)
			}
			if want, ok := canonicalShort[f.Name]; ok && f.Shorthand != "" && f.Shorthand != want {
				add("%s: shorthand -%s, want -%s", where, f.Shorthand, want)
			}
			if f.Shorthand != "" {
				if owner, seen := shortOwner[f.Shorthand]; seen && owner != f.Name {
					add("%s: -%s already means --%s elsewhere", where, f.Shorthand, owner)
				}
				shortOwner[f.Shorthand] = f.Name
			}
		})
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !cobraBuiltin(c) {
			if strings.TrimSpace(c.Short) == "" {
				add("%s has no Short text", c.CommandPath())
			}
			if c != root && strings.TrimSpace(c.Example) == "" {
				add("%s has no Example", c.CommandPath())
			}
			if c.HasParent() && c.Example != "" && !strings.HasPrefix(strings.TrimSpace(c.Example), "synth") && !strings.HasPrefix(strings.TrimSpace(c.Example), "#") {
				add("%s: examples should be command lines starting with synth", c.CommandPath())
			}
			checkFlags(c, c.LocalFlags())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	checkFlags(root, root.PersistentFlags())
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// TestCompletionScripts: synth completion prints a script for every shell.
func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_synth",
		"zsh":        "#compdef synth",
		"fish":       "complete -c synth",
		"powershell": "Register-ArgumentCompleter",
	} {
		t.Run(shell, func(t *testing.T) {
			code, out, errOut := synthCLI(t, "completion", shell)
			if code != 0 || !strings.Contains(out, marker) || len(out) < 1000 {
				t.Fatalf("code %d, %d bytes, stderr %q; want a script with %q", code, len(out), errOut, marker)
			}
		})
	}
	// Completion of subcommands works through cobra's hidden __complete.
	code, out, _ := synthCLI(t, "__complete", "imp")
	if code != 0 || !strings.Contains(out, "import") {
		t.Errorf("__complete imp: code %d, %q", code, out)
	}
	code, out, _ = synthCLI(t, "__complete", "import", "")
	if code != 0 || !strings.Contains(out, "promptfoo") || !strings.Contains(out, "openai-evals") {
		t.Errorf("__complete import: code %d, %q", code, out)
	}
}

// TestNoColorFlag: --no-color turns colour off even when the streams have it.
func TestNoColorFlag(t *testing.T) {
	src := "testdata/promptfoo-replay/promptfooconfig.yaml"
	run := func(extra ...string) string {
		s, out, _ := testStreams()
		s.Color = true
		args := append([]string{"import", "promptfoo", src, "--out", t.TempDir()}, extra...)
		if code := run(args, s); code != 0 {
			t.Fatalf("code %d", code)
		}
		return out.String()
	}
	if out := run(); !strings.Contains(out, "\x1b[") {
		t.Fatalf("no colour with Color on:\n%q", out)
	}
	if out := run("--no-color"); strings.Contains(out, "\x1b[") {
		t.Errorf("colour despite --no-color:\n%q", out)
	}
}

// TestJSONEverywhere runs every command that prints results with --json in
// the example project and checks that stdout holds one JSON document and
// nothing else. A new command must join this test or its exemption list.
func TestJSONEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole loop")
	}
	dir := filepath.Join(t.TempDir(), "proj")
	cfg := filepath.Join(dir, "synth.yaml")
	steps := []struct {
		cmd  string // command path, for the coverage check
		args []string
	}{
		{"init", []string{"init", dir}},
		{"version", []string{"version"}},
		{"index", []string{"index", "--config", cfg}},
		{"ask", []string{"ask", "--config", cfg, "how do I reset my password"}},
		{"eval", []string{"eval", "--config", cfg, "--model", "frustrating", "-q"}},
		{"eval", []string{"eval", "--config", cfg, "--model", "base", "-q", "--shard", "0/2", "--out", filepath.Join(dir, "shards")}},
		{"eval", []string{"eval", "--config", cfg, "--model", "base", "-q", "--shard", "1/2", "--out", filepath.Join(dir, "shards")}},
		{"merge", []string{"merge", "--config", cfg, "SHARDS"}},
		{"eval", []string{"eval", "--config", cfg, "--model", "base", "-q"}},
		{"compare", []string{"compare", "--config", cfg, "FIRST", filepath.Join(dir, "runs", "latest")}},
		{"generate", []string{"generate", "--config", cfg, "--from", filepath.Join(dir, "runs", "latest"), "-q", "--out", filepath.Join(dir, "data", "synthetic.jsonl")}},
		{"tune", []string{"tune", "--config", cfg, "--data", filepath.Join(dir, "data", "synthetic.jsonl"), "--base", "base", "--name", "tuned"}},
		{"tune list", []string{"tune", "list", "--config", cfg}},
		{"tune rm", []string{"tune", "rm", "--config", cfg, "tuned"}},
		{"check", []string{"check", "--config", cfg, "-q"}},
		{"docs", []string{"docs", "--out", filepath.Join(dir, "ref")}},
		{"import promptfoo", []string{"import", "promptfoo", filepath.Join("testdata", "promptfoo-replay", "promptfooconfig.yaml"), "--out", filepath.Join(dir, "imported")}},
		{"import openai-evals", []string{"import", "openai-evals", filepath.Join("..", "..", "importers", "testdata", "openaievals", "samples.jsonl"), "--out", filepath.Join(dir, "oe.jsonl")}},
		{"import hf", []string{"import", "hf", filepath.Join("..", "..", "importers", "testdata", "hf", "squad.jsonl"), "--out", filepath.Join(dir, "hf.jsonl")}},
	}
	// Commands without results of their own to print as JSON.
	exempt := map[string]string{
		"completion": "prints a shell script", "completion bash": "script", "completion zsh": "script",
		"completion fish": "script", "completion powershell": "script",
		"import":      "only groups its subcommands",
		"tune status": "needs a remote fine-tuning job (tune_test.go)", "tune cancel": "needs a remote fine-tuning job (tune_test.go)",
	}
	covered := map[string]bool{}
	for _, st := range steps {
		args := append([]string(nil), st.args...)
		for i, a := range args {
			switch a {
			case "SHARDS":
				runs, _ := filepath.Glob(filepath.Join(dir, "shards", "*"))
				var shardDirs []string
				for _, r := range runs {
					if filepath.Base(r) != "latest" {
						shardDirs = append(shardDirs, r)
					}
				}
				args = append(args[:i], append(shardDirs, args[i+1:]...)...)
			case "FIRST":
				runs, _ := filepath.Glob(filepath.Join(dir, "runs", "*frustrating*"))
				if len(runs) == 0 {
					t.Fatal("no frustrating run")
				}
				args[i] = runs[0]
			}
		}
		code, out, errOut := synthCLI(t, append(args, "--json")...)
		if code != 0 {
			t.Fatalf("synth %s --json: code %d\nstderr %s", strings.Join(args, " "), code, errOut)
		}
		if !json.Valid([]byte(out)) {
			t.Errorf("synth %s --json: stdout is not one JSON document:\n%s", st.cmd, clipLine(out, 300))
		}
		covered[st.cmd] = true
	}
	s, _, _ := testStreams()
	root := newRootCmd(s)
	root.InitDefaultCompletionCmd()
	for _, c := range visibleCommands(root)[1:] {
		path := strings.TrimPrefix(c.CommandPath(), "synth ")
		if !covered[path] && exempt[path] == "" {
			t.Errorf("synth %s is not checked for --json output: add it to TestJSONEverywhere (or to its exemptions, with the reason)", path)
		}
	}
}
