package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/pipelines"
)

// generateJSON runs synth generate with args and returns its summary.
func generateJSON(t *testing.T, args ...string) pipelines.GenerateSummary {
	t.Helper()
	code, out, errOut := synthCLI(t, append([]string{"generate", "--json", "-q"}, args...)...)
	if code != 0 {
		t.Fatalf("generate %v: %d\n%s\n%s", args, code, out, errOut)
	}
	var s pipelines.GenerateSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("generate %v: %v\n%s", args, err, out)
	}
	return s
}

// rowsByItem reads accepted rows, keyed by the failed item they came from.
func rowsByItem(t *testing.T, paths ...string) map[string][]dataset.Record {
	t.Helper()
	out := map[string][]dataset.Record{}
	for _, p := range paths {
		rows, torn, err := dataset.ReadJSONL[dataset.Record](p)
		if err != nil || torn != nil {
			t.Fatalf("%s: %v, torn %v", p, err, torn)
		}
		for _, r := range rows {
			out[r.Provenance.FailedItem] = append(out[r.Provenance.FailedItem], r)
		}
	}
	return out
}

// noDedupeStages is the default offline pipeline without dedupe, the one
// stage whose verdict on an item depends on the rows of other items.
const noDedupeStages = `
generate:
  stages:
    - {type: retrieve, k: 4}
    - {type: builtin}
    - {type: format}
    - {type: length}
    - {type: grounded}
`

// TestGenerateShardsRoundTrip splits a generation in three. The shards work
// on disjoint parts of the failed items that together are all of them, each
// shard's rows come from its own items, and — without dedupe, which compares
// rows across items and so sees only its own shard's — the rows of the
// shards put together are the rows of the unsplit generation, item by item.
func TestGenerateShardsRoundTrip(t *testing.T) {
	for _, dedupe := range []bool{true, false} {
		t.Run(fmt.Sprintf("dedupe=%v", dedupe), func(t *testing.T) {
			dir, cfg := exampleProject(t)
			if !dedupe {
				appendFile(t, cfg, noDedupeStages)
			}
			if code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "base", "-q"); code != 0 {
				t.Fatalf("eval: %d %s", code, errOut)
			}
			whole := generateJSON(t, "--config", cfg, "--from", "latest", "-j", "1")
			if whole.Failures < 3 || whole.Accepted == 0 {
				t.Fatalf("unsplit generation: %d failures, %d rows", whole.Failures, whole.Accepted)
			}
			var outs []string
			shardOf := map[string]string{}
			total := 0
			for _, sh := range []string{"2/3", "0/3", "1/3"} { // any order
				s := generateJSON(t, "--config", cfg, "--from", "latest", "-j", "1", "--shard", sh)
				want := filepath.Join(dir, "data", "shard-"+strings.Replace(sh, "/", "-of-", 1), "synthetic.jsonl")
				if s.Out != want {
					t.Errorf("shard %s wrote %s, want %s", sh, s.Out, want)
				}
				for _, it := range s.Items {
					if prev, dup := shardOf[it.ID]; dup {
						t.Errorf("item %s is in shards %s and %s", it.ID, prev, sh)
					}
					shardOf[it.ID] = sh
				}
				for id := range rowsByItem(t, s.Out) {
					if shardOf[id] != sh {
						t.Errorf("shard %s wrote rows for item %s of shard %q", sh, id, shardOf[id])
					}
				}
				total += s.Failures
				outs = append(outs, s.Out)
			}
			if total != whole.Failures || len(shardOf) != whole.Failures {
				t.Errorf("shards worked on %d items (%d distinct), the unsplit generation on %d", total, len(shardOf), whole.Failures)
			}
			for _, it := range whole.Items {
				if shardOf[it.ID] == "" {
					t.Errorf("no shard worked on item %s", it.ID)
				}
			}
			if dedupe {
				return
			}
			got, want := rowsByItem(t, outs...), rowsByItem(t, whole.Out)
			if len(got) != len(want) {
				t.Errorf("rows for %d items, unsplit %d", len(got), len(want))
			}
			for id, rows := range want {
				if !reflect.DeepEqual(questions(got[id]), questions(rows)) {
					t.Errorf("item %s: sharded rows %q, unsplit %q", id, questions(got[id]), questions(rows))
				}
			}
		})
	}
}

// TestGenerateShardResume: a shard's generation resumes only as that shard.
func TestGenerateShardResume(t *testing.T) {
	dir, cfg := exampleProject(t)
	if code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "base", "-q"); code != 0 {
		t.Fatalf("eval: %d %s", code, errOut)
	}
	s := generateJSON(t, "--config", cfg, "--from", "latest", "--shard", "1/2")
	out := filepath.Join(dir, "data", "shard-1-of-2", "synthetic.jsonl")
	if s.Out != out {
		t.Fatalf("out %s, want %s", s.Out, out)
	}
	cases := []struct {
		name  string
		shard []string
		code  int
		want  string
	}{
		{"as another shard", []string{"--shard", "0/2"}, exitUsage, "it worked on shard 1/2, now shard 0/2"},
		{"without --shard", nil, exitUsage, "it worked on shard 1/2, now every failed item"},
		{"as the same shard", []string{"--shard", "1/2"}, 0, "resumed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"generate", "--config", cfg, "--from", "latest", "--resume", "--out", out}, c.shard...)
			code, _, errOut := synthCLI(t, args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("code %d, %s; want %d and %q", code, errOut, c.code, c.want)
			}
		})
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func questions(rows []dataset.Record) []string {
	var q []string
	for _, r := range rows {
		q = append(q, r.Question+" => "+r.Answer)
	}
	slices.Sort(q)
	return q
}

func TestGenerateShardFlagValidation(t *testing.T) {
	_, cfg := exampleProject(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--from", "latest", "--shard", "3/3"}, "want i/n"},
		{[]string{"--from", "latest", "--shard", "x"}, "want i/n"},
		{[]string{"--from-docs", "--shard", "0/2"}, "--shard applies to --from generations only"},
	}
	for _, c := range cases {
		code, _, errOut := synthCLI(t, append([]string{"generate", "--config", cfg}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, %s; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
