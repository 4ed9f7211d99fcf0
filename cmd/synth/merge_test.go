package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// inSetOrder returns a run's results in eval-set order (results.jsonl is in
// completion order) without what legitimately differs between two runs of the
// same items: timings.
func inSetOrder(r *dataset.Run) []dataset.Result {
	byID := map[string]dataset.Result{}
	for _, res := range r.Results {
		res.LatencyMS = 0
		byID[res.ID] = res
	}
	out := make([]dataset.Result, 0, len(byID))
	for _, id := range r.Manifest.ItemIDs {
		out = append(out, byID[id])
	}
	return out
}

func TestShardAndMergeEqualsUnshardedRun(t *testing.T) {
	dir, cfg := exampleProject(t)
	if code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating", "-q"); code != 0 {
		t.Fatalf("unsharded: %d %s", code, errOut)
	}
	whole, err := dataset.LoadRun(filepath.Join(dir, "runs", "latest"))
	if err != nil {
		t.Fatal(err)
	}
	shards := filepath.Join(dir, "shards")
	var shardDirs []string
	for _, sh := range []string{"2/3", "0/3", "1/3"} { // any order
		code, out, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating", "-q", "--shard", sh, "--out", shards, "--json")
		if code != 0 {
			t.Fatalf("shard %s: %d %s", sh, code, errOut)
		}
		var s dataset.Summary
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		if s.Total < 6 || s.Total > 7 {
			t.Errorf("shard %s has %d items, want 6 or 7 of 20", sh, s.Total)
		}
		shardDirs = append(shardDirs, filepath.Join(shards, s.Run))
	}
	// A missing shard is refused.
	if code, _, errOut := synthCLI(t, append([]string{"merge", "--config", cfg, "--out", filepath.Join(dir, "merged")}, shardDirs[:2]...)...); code != exitUsage || !strings.Contains(errOut, "missing shard") {
		t.Fatalf("merge of 2 of 3 shards: code %d, %s", code, errOut)
	}
	// The shards folder's latest link (what `synth merge runs/shards/*` picks up) is the same run as a shard.
	args := append([]string{"merge", "--config", cfg, "--out", filepath.Join(dir, "merged"), "--json"}, shardDirs...)
	args = append(args, filepath.Join(shards, dataset.LatestName))
	code, out, errOut := synthCLI(t, args...)
	if code != 0 {
		t.Fatalf("merge: %d %s", code, errOut)
	}
	var ms dataset.Summary
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatal(err)
	}
	merged, err := dataset.LoadRun(filepath.Join(dir, "merged", ms.Run))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inSetOrder(merged), inSetOrder(whole)) {
		t.Errorf("merged results differ from the unsharded run's")
		diffResults(t, inSetOrder(merged), inSetOrder(whole))
	}
	if !reflect.DeepEqual(merged.Summary.Counts, whole.Summary.Counts) || merged.Summary.Accuracy != whole.Summary.Accuracy || merged.Summary.Total != 20 {
		t.Errorf("merged summary %+v, unsharded %+v", merged.Summary.Counts, whole.Summary.Counts)
	}
	if !reflect.DeepEqual(merged.Manifest.ItemIDs, whole.Manifest.ItemIDs) {
		t.Errorf("merged item order differs")
	}
	for _, f := range []string{"report.md", "report.html"} {
		if _, err := os.Stat(filepath.Join(merged.Path, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestShardFlagValidation(t *testing.T) {
	_, cfg := exampleProject(t)
	for _, bad := range []string{"3/3", "x", "1/0", "-1/2"} {
		if code, _, errOut := synthCLI(t, "eval", "--config", cfg, "--model", "frustrating", "--shard", bad); code != exitUsage || !strings.Contains(errOut, "want i/n") {
			t.Errorf("--shard %s: code %d, %s", bad, code, errOut)
		}
	}
}

func diffResults(t *testing.T, a, b []dataset.Result) {
	for i := range a {
		if i < len(b) && !reflect.DeepEqual(a[i], b[i]) {
			ja, _ := json.Marshal(a[i])
			jb, _ := json.Marshal(b[i])
			t.Logf("first difference at %d:\n%s\n%s", i, ja, jb)
			return
		}
	}
}
