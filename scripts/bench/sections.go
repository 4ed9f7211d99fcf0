package main

import (
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func (b *bencher) indexSection() (section, error) {
	sec := section{Key: "index", Title: "Indexing and retrieval"}
	idx, err := b.goBench("retrieval", "^BenchmarkIndex10k$", "-test.benchtime", "3x")
	if err != nil {
		return sec, err
	}
	search, err := b.goBench("retrieval", "^(BenchmarkSearch10k|BenchmarkScan10k)$", "-test.benchtime", "1000x")
	if err != nil {
		return sec, err
	}
	fillIndexSection(&sec, idx, search, load1(loadAvg()))
	return sec, nil
}

func fillIndexSection(sec *section, idx, search []benchLine, load float64) {
	rate := median(metric(idx, "BenchmarkIndex10k", "chunks/s"))
	cpuMS := median(metric(idx, "BenchmarkIndex10k", "cpu-ms/op"))
	chunks := median(metric(idx, "BenchmarkIndex10k", "chunks"))
	wallMS := median(metric(idx, "BenchmarkIndex10k", "ns/op")) / 1e6
	p50 := median(metric(search, "BenchmarkSearch10k", "p50-ms"))
	p99 := median(metric(search, "BenchmarkSearch10k", "p99-ms"))
	scan50 := median(metric(search, "BenchmarkScan10k", "p50-ms"))
	idxCmd := "go test -run '^$' -bench '^BenchmarkIndex10k$' -benchtime 3x ./retrieval"
	searchCmd := "go test -run '^$' -bench '^(BenchmarkSearch10k|BenchmarkScan10k)$' -benchtime 1000x ./retrieval"

	rateFig := figure{Name: "index 10k chunks, end to end", Value: fmt.Sprintf("%.0f chunks/s", rate), Target: "≥ 10,000 chunks/s", Command: idxCmd, Verdict: verdictOf(rate >= 10000)}
	cores := 0.0
	if wallMS > 0 {
		cores = cpuMS / wallMS
	}
	if rateFig.Verdict == missed {
		rateFig.Why = fmt.Sprintf("%.0f ms of wall time for %.0f chunks, %.0f ms of CPU: the benchmark had %.2f of %d CPUs (load %.1f)", wallMS, chunks, cpuMS, cores, runtime.NumCPU(), load)
	} else {
		rateFig.Why = fmt.Sprintf("%.0f ms of wall time, %.0f ms of CPU for %.0f chunks", wallMS, cpuMS, chunks)
	}
	p50Fig := figure{Name: "search 10k chunks: p50", Value: fmt.Sprintf("%.2f ms", p50), Target: "≤ 5 ms", Command: searchCmd, Verdict: verdictOf(p50 <= 5),
		Why: fmt.Sprintf("of which the matrix scan and top-k: %.2f ms (p50)", scan50)}
	sec.Figures = []figure{
		rateFig,
		{Name: "index 10k chunks: CPU time", Value: fmt.Sprintf("%.0f ms", cpuMS), Command: idxCmd,
			Why: fmt.Sprintf("%.0f chunks per CPU-second", chunks/(cpuMS/1000))},
		p50Fig,
		{Name: "search 10k chunks: p99", Value: fmt.Sprintf("%.2f ms", p99), Command: searchCmd},
	}
	sec.About = `**Indexing**: retrieval's BenchmarkIndex10k builds a knowledge base of 10,000 chunks from
scratch (500 Markdown articles of 20 sections each), end to end: load, chunk, embed with the
builtin embedder (hashed word and character n-grams, 512 dimensions), build the chromem-go
collection and the search matrix, and write the gzip snapshot (temp file, fsync, rename).
chunks/s is chunks × iterations ÷ wall time. **Retrieval**: BenchmarkSearch10k times
KB.Search over the same 10,000 chunks, one query at a time (embed the query, scan the
10,000 × 512 matrix, keep the top 5), 1,000 queries; BenchmarkScan10k is the scan alone.`
	sec.Details = [][]string{
		{"benchmark", "wall per op", "CPU per op", "figure"},
		{"BenchmarkIndex10k", fmt.Sprintf("%.0f ms", wallMS), fmt.Sprintf("%.0f ms", cpuMS), fmt.Sprintf("%.0f chunks/s", rate)},
		{"BenchmarkSearch10k", "", "", fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", p50, p99)},
		{"BenchmarkScan10k", "", "", fmt.Sprintf("p50 %.2f ms", scan50)},
	}
	sec.Commands = []string{idxCmd, searchCmd}
	sec.Notes = indexNotes
}

func (b *bencher) validatorsSection() (section, error) {
	sec := section{Key: "validators", Title: "Deterministic validators"}
	lines, err := b.goBench("pipelines", "^BenchmarkDeterministicValidators$", "-test.benchtime", "1x", "-test.count", fmt.Sprint(b.opts.reps))
	if err != nil {
		return sec, err
	}
	fillValidatorsSection(&sec, lines, load1(loadAvg()), b.opts.reps)
	return sec, nil
}

func fillValidatorsSection(sec *section, lines []benchLine, load float64, reps int) {
	const name = "BenchmarkDeterministicValidators"
	wall := median(metric(lines, name, "s/100k"))
	cpu := median(metric(lines, name, "cpu-s/100k"))
	allocs := median(metric(lines, name, "allocs/op"))
	cmd := fmt.Sprintf("go test -run '^$' -bench '^BenchmarkDeterministicValidators$' -benchtime 1x -count %d ./pipelines", reps)
	n := runtime.NumCPU()
	wallFig := figure{Name: "f1 + rouge_l + links + numbers over 100k answers", Value: fmt.Sprintf("%.2f s", wall), Target: "≤ 2 s", Command: cmd, Verdict: verdictOf(wall <= 2)}
	if wallFig.Verdict == missed {
		wallFig.Why = fmt.Sprintf("%.2f CPU-seconds of work: at best %.2f s on %d idle CPUs; the run had %.2f CPUs (load %.1f)", cpu, cpu/float64(n), n, cpu/wall, load)
	} else {
		wallFig.Why = fmt.Sprintf("%.2f CPU-seconds on %d CPUs", cpu, n)
	}
	sec.Figures = []figure{
		wallFig,
		{Name: "validators: CPU time per 100k answers", Value: fmt.Sprintf("%.2f s", cpu), Command: cmd,
			Why: fmt.Sprintf("%.1f µs per answer for the four validators, the prompt and the label policy; %.0f allocations per answer", cpu*10, allocs/1e5)},
	}
	sec.About = `pipelines' BenchmarkDeterministicValidators grades 100,000 answers the way
` + "`synth eval`" + ` does with a replay model: the eval runner (ForEach at eval.concurrency 4, so
both cores work), Eval.Item for each item (the prompt, the model call answered from memory,
4 help-doc chunks per item), the validators f1, rouge_l, links and numbers, and the label
policy. The answers are 20–60 words with numbers, prices, links, e-mail addresses, phone
numbers and menu paths, some agreeing with the docs and some not. The results file is
left out (the Go benchmarks below time it: BenchmarkEvalRun, BenchmarkJSONLWriter).`
	sec.Details = [][]string{
		{"runs", "wall (median)", "CPU (median)", "answers/s"},
		{fmt.Sprint(len(metric(lines, name, "s/100k"))), fmt.Sprintf("%.2f s", wall), fmt.Sprintf("%.2f s", cpu), fmt.Sprintf("%.0f", 1e5/wall)},
	}
	sec.Commands = []string{cmd}
	sec.Notes = validatorsNotes
}

// startupRuns is how many timed runs of `synth --help` the start-up figure takes.
const startupRuns = 20

func (b *bencher) startupSection() (section, error) {
	sec := section{Key: "startup", Title: "Start-up"}
	synth, err := b.synthBinary()
	if err != nil {
		return sec, err
	}
	b.logf("startup: %d runs of synth --help", startupRuns)
	var times []float64
	for i := range startupRuns + 3 { // 3 warm-up runs: page cache, not measured
		cmd := exec.CommandContext(b.ctx, synth, "--help")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return sec, fmt.Errorf("synth --help: %w", err)
		}
		if i >= 3 {
			times = append(times, float64(time.Since(start).Microseconds())/1000)
		}
	}
	fillStartupSection(&sec, times, load1(loadAvg()))
	return sec, nil
}

func fillStartupSection(sec *section, ms []float64, load float64) {
	med := median(ms)
	lo, hi := ms[0], ms[0]
	for _, v := range ms {
		lo, hi = min(lo, v), max(hi, v)
	}
	cmd := "hyperfine -N --warmup 3 'bin/synth --help'   # or: go run ./scripts/bench -only startup"
	fig := figure{Name: "synth --help start-up (median)", Value: fmt.Sprintf("%.1f ms", med), Target: "≤ 30 ms", Command: cmd, Verdict: verdictOf(med <= 30),
		Why: fmt.Sprintf("min %.1f ms, max %.1f ms over %d runs", lo, hi, len(ms))}
	if fig.Verdict == missed {
		fig.Why += fmt.Sprintf(" (load %.1f on %d CPUs)", load, runtime.NumCPU())
	}
	sec.Figures = []figure{fig}
	sec.About = fmt.Sprintf(`Wall time from fork/exec to exit of `+"`synth --help`"+`, %d runs after 3 warm-up runs,
timed by the driver (as hyperfine -N does): process start, the Go runtime, every package's
init, building the cobra command tree and printing the help.`, len(ms))
	sec.Commands = []string{cmd, "GODEBUG=inittrace=1 bin/synth --help >/dev/null   # init cost per package"}
	sec.Notes = startupNotes
}

// goBenchSpec names Go benchmarks of hot paths for the last section.
type goBenchSpec struct {
	dir, pattern, benchtime, what string
}

var goBenches = []goBenchSpec{
	{"pipelines", "^(BenchmarkForEach|BenchmarkEvalItem)$", "0.3s", "runner cost per item (no-op work); one item with an instant model, one validator (exact), the policy"},
	{"pipelines", "^BenchmarkEvalRun$", "5x", "a whole run of 2,000 items with an instant model into a run directory (manifest, results file, summary); ns/item"},
	{"dataset", "^(BenchmarkJSONLWriter|BenchmarkSummarize)$", "0.3s", "one results line (JSON, write, background fsync); the summary of 10,000 results"},
	{"llm", "^(BenchmarkMiddleware|BenchmarkOpenAIRoundTrip)$", "0.3s", "the middleware chain around an instant provider; one call through langchaingo to the fake server on loopback"},
	{"validators", "^(BenchmarkF1|BenchmarkRougeL|BenchmarkLinks|BenchmarkNumbers)$", "0.3s", "one validator on one answer (single goroutine)"},
	{"retrieval", "^(BenchmarkBuiltinEmbedOne|BenchmarkChunk)$", "0.3s", "embedding one chunk-sized text; chunking one 20-section article"},
}

func (b *bencher) goSection() (section, error) {
	sec := section{Key: "go", Title: "Go benchmarks of the hot paths"}
	t := [][]string{{"package", "benchmark", "ns/op", "B/op", "allocs/op", "other"}}
	var cmds []string
	for _, g := range goBenches {
		lines, err := b.goBench(g.dir, g.pattern, "-test.benchtime", g.benchtime)
		if err != nil {
			return sec, err
		}
		for _, l := range lines {
			t = append(t, benchRow(g.dir, l))
		}
		cmds = append(cmds, fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s -benchmem ./%s   # %s", g.pattern, g.benchtime, g.dir, g.what))
	}
	sec.Details = t
	sec.Commands = cmds
	sec.About = "`go test -bench` with -benchmem (every benchmark calls b.ReportAllocs). Wall-clock figures on a shared machine; no test asserts a time."
	return sec, nil
}

// benchRow formats one benchmark line for the Go benchmarks table.
func benchRow(dir string, l benchLine) []string {
	f := func(unit string, prec int) string {
		v, ok := l.Metrics[unit]
		if !ok {
			return ""
		}
		return fmt.Sprintf("%.*f", prec, v)
	}
	var other []string
	for _, unit := range sortedUnits(l.Metrics) {
		switch unit {
		case "ns/op", "B/op", "allocs/op":
			continue
		}
		other = append(other, fmt.Sprintf("%s %s", trimFloat(l.Metrics[unit]), unit))
	}
	return []string{dir, strings.TrimPrefix(l.Name, "Benchmark"), f("ns/op", 0), f("B/op", 0), f("allocs/op", 0), strings.Join(other, ", ")}
}
