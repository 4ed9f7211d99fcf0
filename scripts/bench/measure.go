package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// proc is what one measured process cost.
type proc struct {
	Wall   time.Duration
	CPU    time.Duration // user + system
	MaxRSS int64         // bytes; 0 where the system does not report it
}

// runMeasured runs name with args in dir and measures its wall time, CPU
// time and peak resident set size (from wait4's rusage). The process is
// killed when ctx is done.
func runMeasured(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) (proc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err := cmd.Run()
	p := proc{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		p.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		p.MaxRSS = maxRSS(cmd.ProcessState)
	}
	if err != nil {
		return p, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return p, nil
}

// benchLine is one result line of `go test -bench`.
type benchLine struct {
	Name    string // without the -GOMAXPROCS suffix
	N       int
	Metrics map[string]float64 // by unit: "ns/op", "B/op", "chunks/s", ...
}

// parseBench reads the result lines of `go test -bench` output, in order;
// other lines are skipped.
func parseBench(r io.Reader) ([]benchLine, error) {
	var out []benchLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		l := benchLine{Name: trimProcs(f[0]), N: n, Metrics: map[string]float64{}}
		ok := true
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			l.Metrics[f[i+1]] = v
		}
		if ok {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// trimProcs removes the -N GOMAXPROCS suffix go test adds to names.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// metric returns the values of unit over the lines named name.
func metric(lines []benchLine, name, unit string) []float64 {
	var out []float64
	for _, l := range lines {
		if v, ok := l.Metrics[unit]; ok && l.Name == name {
			out = append(out, v)
		}
	}
	return out
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// machine describes where the figures were measured.
type machine struct {
	CPUs     int
	Model    string
	Go       string
	Kernel   string
	LoadFrom string // /proc/loadavg's 1, 5 and 15 minute averages at the start
	LoadTo   string // ... and at the end
}

func describeMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), Model: cpuModel(), Kernel: strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")), LoadFrom: loadAvg()}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	if m.Kernel == "" {
		m.Kernel = runtime.GOOS
	}
	return m
}

func cpuModel() string {
	for _, line := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAvg returns the 1, 5 and 15 minute load averages ("" where unknown).
func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// load1 returns the 1-minute load average (0 where unknown).
func load1(s string) float64 {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}
