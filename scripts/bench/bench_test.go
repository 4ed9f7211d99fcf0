package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/synth-dev/synth/internal/golden"
)

const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/synth-dev/synth/retrieval
cpu: AMD EPYC
BenchmarkIndex10k-2    	       3	3415036508 ns/op	     10000 chunks	      2928 chunks/s	       954.7 cpu-ms/op	424151178 B/op	  479833 allocs/op
BenchmarkSearch10k-2   	     200	   5433637 ns/op	         1.827 p50-ms	        25.73 p99-ms	    2693 B/op	       6 allocs/op
BenchmarkForEach/concurrency=32-16 	 1000000	        19.0 ns/op
BenchmarkBroken-2 	 10	 fast ns/op
--- FAIL: BenchmarkOther
PASS
ok  	github.com/synth-dev/synth/retrieval	31.035s
`

func TestParseBench(t *testing.T) {
	got, err := parseBench(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	want := []benchLine{
		{Name: "BenchmarkIndex10k", N: 3, Metrics: map[string]float64{"ns/op": 3415036508, "chunks": 10000, "chunks/s": 2928, "cpu-ms/op": 954.7, "B/op": 424151178, "allocs/op": 479833}},
		{Name: "BenchmarkSearch10k", N: 200, Metrics: map[string]float64{"ns/op": 5433637, "p50-ms": 1.827, "p99-ms": 25.73, "B/op": 2693, "allocs/op": 6}},
		{Name: "BenchmarkForEach/concurrency=32", N: 1000000, Metrics: map[string]float64{"ns/op": 19}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseBench:\n got %+v\nwant %+v", got, want)
	}
	if v := metric(got, "BenchmarkSearch10k", "p99-ms"); len(v) != 1 || v[0] != 25.73 {
		t.Errorf("metric = %v", v)
	}
}

func FuzzParseBench(f *testing.F) {
	f.Add(sampleOutput)
	f.Add("BenchmarkX-2 1 2 ns/op 3")
	f.Add("Benchmark 1 NaN ns/op")
	f.Fuzz(func(t *testing.T, s string) {
		lines, err := parseBench(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, l := range lines {
			if !strings.HasPrefix(l.Name, "Benchmark") || len(l.Metrics) == 0 {
				t.Errorf("parsed %+v from %q", l, s)
			}
		}
	})
}

func TestTrimProcs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BenchmarkX-2", "BenchmarkX"},
		{"BenchmarkX/a-b-16", "BenchmarkX/a-b"},
		{"BenchmarkX/a-b", "BenchmarkX/a-b"},
		{"BenchmarkX", "BenchmarkX"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := trimProcs(tt.in); got != tt.want {
				t.Errorf("trimProcs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEvalVerdicts(t *testing.T) {
	rep := func(wall, floor time.Duration, rss int64) evalRep {
		return evalRep{Load: 1, Floor: floor, Proc: proc{Wall: wall, CPU: time.Second, MaxRSS: rss}, RunMS: wall.Milliseconds(), Requests: 4000, Correct: 2000, MaxFlight: 32}
	}
	ideal := evalIdeal()
	tests := []struct {
		name       string
		reps       []evalRep
		ratio, rss verdict
	}{
		{"fast and small", []evalRep{rep(ideal*102/100, ideal*101/100, 30<<20)}, met, met},
		{"median decides", []evalRep{rep(ideal*110/100, ideal, 30<<20), rep(ideal*103/100, ideal, 30<<20), rep(ideal*104/100, ideal, 30<<20)}, met, met},
		{"slow", []evalRep{rep(ideal*120/100, ideal*110/100, 30<<20)}, missed, met},
		{"big", []evalRep{rep(ideal, ideal, 200<<20)}, met, missed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sec section
			fillEvalSection(&sec, tt.reps, nil)
			if sec.Figures[0].Verdict != tt.ratio || sec.Figures[2].Verdict != tt.rss {
				t.Errorf("ratio %v, rss %v; want %v, %v", sec.Figures[0].Verdict, sec.Figures[2].Verdict, tt.ratio, tt.rss)
			}
			if tt.ratio == missed && !strings.Contains(sec.Figures[0].Why, "bare HTTP client") {
				t.Errorf("a miss does not say why: %q", sec.Figures[0].Why)
			}
		})
	}
}

// TestRenderMarkdown checks docs/performance.md's shape against a golden
// file, from fixed measurements.
func TestRenderMarkdown(t *testing.T) {
	m := machine{CPUs: 2, Model: "AMD EPYC", Go: "go version go1.26.8 linux/amd64", Kernel: "6.1.0", LoadFrom: "3.50 2.00 1.00", LoadTo: "1.00 1.00 1.00"}
	idx, err := parseBench(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	var eval, index, vals, start section
	eval.Key, eval.Title = "eval", "Eval orchestration"
	fillEvalSection(&eval, []evalRep{{Load: 3.5, Floor: 6500 * time.Millisecond, Proc: proc{Wall: 6800 * time.Millisecond, CPU: 1500 * time.Millisecond, MaxRSS: 35 << 20}, RunMS: 6650, Requests: 4000, Correct: 2000, MaxFlight: 32}},
		[]evalRep{{Proc: proc{Wall: 9 * time.Second, CPU: 5 * time.Second}, Requests: 4000}, {Proc: proc{Wall: 300 * time.Millisecond, CPU: 250 * time.Millisecond}}})
	index.Key, index.Title = "index", "Indexing and retrieval"
	fillIndexSection(&index, idx, idx, 3.5)
	vals.Key, vals.Title = "validators", "Deterministic validators"
	fillValidatorsSection(&vals, []benchLine{{Name: "BenchmarkDeterministicValidators", N: 1, Metrics: map[string]float64{"s/100k": 1.8, "cpu-s/100k": 3.2, "allocs/op": 7.3e6}}}, 3.5, 1)
	start.Key, start.Title = "startup", "Start-up"
	fillStartupSection(&start, []float64{9, 10, 8, 30, 9}, 3.5)
	goSec := section{Key: "go", Title: "Go benchmarks of the hot paths", Details: [][]string{{"package", "benchmark", "ns/op", "B/op", "allocs/op", "other"}, benchRow("retrieval", idx[1])}}
	sections := []section{eval, index, vals, start, goSec}

	got := renderMarkdown(m, time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC), 150*time.Second, sections)
	golden := filepath.Join("testdata", "performance.golden.md")
	if goldenfile.Update() {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./scripts/bench -update)", err)
	}
	if got != string(want) {
		t.Errorf("renderMarkdown differs from %s (run go test ./scripts/bench -update and review the diff)", golden)
	}

	var table bytes.Buffer
	if err := writeTable(&table, sections); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"eval: wall ÷ ideal", "MISSED", "search 10k chunks: p50", "go test -run '^$' -bench '^BenchmarkIndex10k$'", "retrieval.Search10k"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-only", "eval,nope"}, `unknown section "nope"`},
		{[]string{"-reps", "0"}, "-reps must be at least 1"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tt.args, &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want %q", tt.args, err, tt.want)
			}
		})
	}
}
