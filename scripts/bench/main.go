// Command bench measures synth's performance figures and writes them to
// docs/performance.md: `make bench` runs it. It is a development tool, not
// part of the synth binary.
//
//	go run ./scripts/bench [-synth bin/synth] [-out docs/performance.md] [-only eval,index,validators,startup,go]
//
// It builds what it needs into a temporary folder (the fake LLM server of
// scripts/fakellm, the synth binary unless -synth names one, the test
// binaries of the benchmarked packages), then measures:
//
//   - eval orchestration: `synth eval` over 2,000 items, one answer and one
//     judge call each, against the fake OpenAI-compatible server in its own
//     process with 50 ms latency, at concurrency 32: wall time against the
//     ideal (requests × latency ÷ concurrency), peak RSS and CPU time of the
//     synth process (wait4's rusage), next to the floor of the machine (the
//     same requests from a bare HTTP client);
//   - indexing 10,000 help-doc chunks and searching them (retrieval's
//     BenchmarkIndex10k and BenchmarkSearch10k);
//   - the deterministic validators over 100,000 answers through the eval
//     runner (pipelines' BenchmarkDeterministicValidators);
//   - `synth --help` start-up (20 runs after a warm-up);
//   - Go benchmarks of the hot paths.
//
// It prints a table of the figures, each with the command that reproduces
// it, and with -out writes the Markdown report. Every process it starts is
// stopped before it exits, also on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sections, in the order they run and appear.
var allSections = []string{"eval", "index", "validators", "startup", "go"}

// options are the driver's flags.
type options struct {
	synth string
	out   string
	only  map[string]bool
	keep  bool
	reps  int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var only string
	fs.StringVar(&o.synth, "synth", "", "synth binary to measure (default: build one)")
	fs.StringVar(&o.out, "out", "", "write the Markdown report here (such as docs/performance.md)")
	fs.StringVar(&only, "only", strings.Join(allSections, ","), "sections to run: "+strings.Join(allSections, ", "))
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (projects, logs, binaries)")
	fs.IntVar(&o.reps, "reps", 3, "repetitions of the eval run and of the validators benchmark (the median is reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.reps < 1 {
		return errors.New("-reps must be at least 1")
	}
	o.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		known := false
		for _, k := range allSections {
			known = known || k == s
		}
		if !known {
			return fmt.Errorf("-only: unknown section %q (want some of %s)", s, strings.Join(allSections, ", "))
		}
		o.only[s] = true
	}

	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "synth-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	b := &bencher{ctx: ctx, root: root, tmp: tmp, log: stderr, opts: o, started: time.Now()}
	b.machine = describeMachine(ctx)
	if o.synth != "" {
		if b.synth, err = filepath.Abs(o.synth); err != nil {
			return err
		}
	}
	for _, s := range allSections {
		if !o.only[s] {
			continue
		}
		var sec section
		switch s {
		case "eval":
			sec, err = b.evalSection()
		case "index":
			sec, err = b.indexSection()
		case "validators":
			sec, err = b.validatorsSection()
		case "startup":
			sec, err = b.startupSection()
		case "go":
			sec, err = b.goSection()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		b.sections = append(b.sections, sec)
	}
	b.machine.LoadTo = loadAvg()
	b.elapsed = time.Since(b.started)

	if err := writeTable(stdout, b.sections); err != nil {
		return err
	}
	if o.out != "" {
		doc := renderMarkdown(b.machine, b.started, b.elapsed, b.sections)
		if err := os.WriteFile(o.out, []byte(doc), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "bench: wrote", o.out)
	}
	return nil
}

// bencher holds the state of one run of the driver.
type bencher struct {
	ctx      context.Context
	root     string // module root
	tmp      string
	log      io.Writer
	opts     options
	synth    string // synth binary
	machine  machine
	started  time.Time
	elapsed  time.Duration
	sections []section
	tests    map[string]string // package dir -> built test binary
}

func (b *bencher) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

// goBuild builds pkg (such as ./scripts/fakellm) into the temporary folder.
func (b *bencher) goBuild(name, pkg string) (string, error) {
	out := filepath.Join(b.tmp, name)
	b.logf("building %s", pkg)
	cmd := exec.CommandContext(b.ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = b.root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return out, nil
}

// synthBinary returns the synth binary, building it on first use.
func (b *bencher) synthBinary() (string, error) {
	if b.synth == "" {
		p, err := b.goBuild("synth", "./cmd/synth")
		if err != nil {
			return "", err
		}
		b.synth = p
	}
	return b.synth, nil
}

// testBinary returns the test binary of the package in dir (such as
// "retrieval"), building it on first use.
func (b *bencher) testBinary(dir string) (string, error) {
	if p, ok := b.tests[dir]; ok {
		return p, nil
	}
	out := filepath.Join(b.tmp, strings.ReplaceAll(dir, "/", "_")+".test")
	b.logf("building the tests of ./%s", dir)
	cmd := exec.CommandContext(b.ctx, "go", "test", "-c", "-o", out, "./"+dir)
	cmd.Dir = b.root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go test -c ./%s: %w\n%s", dir, err, msg)
	}
	if b.tests == nil {
		b.tests = map[string]string{}
	}
	b.tests[dir] = out
	return out, nil
}

// goBench runs benchmarks matching pattern in the package in dir, with
// extra test flags, and returns their result lines.
func (b *bencher) goBench(dir, pattern string, flags ...string) ([]benchLine, error) {
	bin, err := b.testBinary(dir)
	if err != nil {
		return nil, err
	}
	args := append([]string{"-test.run", "^$", "-test.bench", pattern, "-test.benchmem"}, flags...)
	b.logf("%s: go test -bench '%s' %s", dir, pattern, strings.Join(flags, " "))
	var out strings.Builder
	if _, err := runMeasured(b.ctx, filepath.Join(b.root, dir), &out, &out, bin, args...); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out.String())
	}
	lines, err := parseBench(strings.NewReader(out.String()))
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("no benchmark matched %q in ./%s:\n%s", pattern, dir, out.String())
	}
	return lines, nil
}

// moduleRoot finds the folder of the go.mod of the current module.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the synth module (go env GOMOD is empty)")
	}
	return filepath.Dir(mod), nil
}
