package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 4, 20, 23, 39, 0, time.FixedZone("CET", 3600))

func TestCreateRun(t *testing.T) {
	root := filepath.Join(t.TempDir(), "runs")
	d, err := CreateRun(root, "base", t0)
	if err != nil {
		t.Fatal(err)
	}
	// UTC, not the zone of now.
	if d.ID != "20261204-192339-base" || d.Path != filepath.Join(root, d.ID) {
		t.Errorf("got %+v", d)
	}
	if st, err := os.Stat(d.Path); err != nil || !st.IsDir() {
		t.Fatalf("run dir: %v", err)
	}
	if target, err := os.Readlink(filepath.Join(root, LatestName)); err != nil || target != d.ID {
		t.Errorf("latest -> %q, %v", target, err)
	}
	d2, err := CreateRun(root, "base", t0)
	if err != nil || d2.ID != "20261204-192339-base-2" {
		t.Errorf("second run in the same second: %+v, %v", d2, err)
	}
	if target, _ := os.Readlink(filepath.Join(root, LatestName)); target != d2.ID {
		t.Errorf("latest -> %q, want %q", target, d2.ID)
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary link left: %s", e.Name())
		}
	}
}

func TestSanitizeName(t *testing.T) {
	tests := map[string]string{
		"base":                   "base",
		"openai/gpt-4o-mini":     "openai-gpt-4o-mini",
		"llama3.2:latest":        "llama3.2-latest",
		"../../etc":              "etc",
		"":                       "run",
		"   ":                    "run",
		"modèle été":             "mod-le-t",
		strings.Repeat("x", 100): strings.Repeat("x", 48),
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := sanitizeName(in); got != want {
				t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestCreateRunConcurrent(t *testing.T) {
	root := t.TempDir()
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, err := CreateRun(root, "base", t0)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = d.ID
		})
	}
	wg.Wait()
	checkUnique(t, ids, n)
	// latest points at the newest id.
	sort.Strings(ids)
	if target, _ := os.Readlink(filepath.Join(root, LatestName)); target != newestID(ids) {
		t.Errorf("latest -> %q, want %q", target, newestID(ids))
	}
}

// newestID picks the highest of same-second ids as SetLatest orders them.
func newestID(ids []string) string {
	best := ""
	for _, id := range ids {
		if id > best {
			best = id
		}
	}
	return best
}

func checkUnique(t *testing.T, ids []string, n int) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("ids not unique: %q", ids)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d ids, want %d", len(seen), n)
	}
}

// TestCreateRunProcesses starts several processes that create a run in the
// same root in the same second: no two may get the same directory.
func TestCreateRunProcesses(t *testing.T) {
	if os.Getenv("SYNTH_TEST_RUN_ROOT") != "" {
		d, err := CreateRun(os.Getenv("SYNTH_TEST_RUN_ROOT"), "base", t0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("ID=" + d.ID)
		return
	}
	root := t.TempDir()
	const n = 6
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCreateRunProcesses$")
			cmd.Env = append(os.Environ(), "SYNTH_TEST_RUN_ROOT="+root)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("process %d: %v\n%s", i, err, out)
				return
			}
			for _, l := range strings.Split(string(out), "\n") {
				if id, ok := strings.CutPrefix(l, "ID="); ok {
					ids[i] = id
				}
			}
		})
	}
	wg.Wait()
	checkUnique(t, ids, n)
	if target, _ := os.Readlink(filepath.Join(root, LatestName)); target != newestID(ids) {
		t.Errorf("latest -> %q, want %q", target, newestID(ids))
	}
}

func TestSetLatest(t *testing.T) {
	root := t.TempDir()
	for _, id := range []string{"20261204-100000-a", "20261204-110000-a"} {
		if err := os.Mkdir(filepath.Join(root, id), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := SetLatest(root, "20261204-110000-a"); err != nil {
		t.Fatal(err)
	}
	// An older run finishing later does not take latest from a newer one.
	if err := SetLatest(root, "20261204-100000-a"); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(root, LatestName)); target != "20261204-110000-a" {
		t.Errorf("latest -> %q", target)
	}
	// ... unless the newer one is gone.
	if err := os.Remove(filepath.Join(root, "20261204-110000-a")); err != nil {
		t.Fatal(err)
	}
	if err := SetLatest(root, "20261204-100000-a"); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(root, LatestName)); target != "20261204-100000-a" {
		t.Errorf("latest -> %q", target)
	}
	// Folders that are not runs do not count.
	if err := os.Mkdir(filepath.Join(root, "archive"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := SetLatest(root, "20261204-100000-a"); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(root, LatestName)); target != "20261204-100000-a" {
		t.Errorf("latest -> %q", target)
	}
}

func TestResolveRun(t *testing.T) {
	root := filepath.Join(t.TempDir(), "runs")
	d, err := CreateRun(root, "base", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.File(ResultsFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty, err := CreateRun(root, "empty", t0.Add(-time.Hour)) // older, no files
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{d.Path, filepath.Join(root, LatestName), d.ID, LatestName} {
		t.Run(ref, func(t *testing.T) {
			got, err := ResolveRun(root, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != d.ID || filepath.Base(got.Path) != d.ID {
				t.Errorf("got %+v, want id %s", got, d.ID)
			}
		})
	}
	errTests := []struct{ ref, want string }{
		{"", "no run given"},
		{"nope", `run "nope" not found (newest runs in ` + root + `: ` + d.ID + `)`},
		{empty.ID, "is not a run directory"},
	}
	for _, tt := range errTests {
		t.Run("error "+tt.ref, func(t *testing.T) {
			_, err := ResolveRun(root, tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("latest as a file", func(t *testing.T) {
		latest := filepath.Join(root, LatestName)
		if err := os.Remove(latest); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(latest, []byte(d.ID+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{latest, LatestName} {
			got, err := ResolveRun(root, ref)
			if err != nil || got.ID != d.ID {
				t.Errorf("%s: got %+v, %v", ref, got, err)
			}
		}
	})
	t.Run("no runs yet", func(t *testing.T) {
		_, err := ResolveRun(t.TempDir(), "latest")
		if err == nil || !strings.Contains(err.Error(), "no runs in") {
			t.Errorf("error %v", err)
		}
	})
	if got := ListRuns(root); !reflect.DeepEqual(got, []string{d.ID}) {
		t.Errorf("ListRuns = %q", got)
	}
}

func TestManifestRedactsSecrets(t *testing.T) {
	const canary = "sk-canary-0123456789"
	d, err := CreateRun(t.TempDir(), "gpt", t0)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{
		Version: ManifestVersion, Run: d.ID, Model: "gpt",
		ModelConfig: map[string]any{
			"provider": "openai", "api_key_env": "OPENAI_API_KEY", "api_key": canary, "max_tokens": 512,
			"headers": map[string]any{"Authorization": "Bearer " + canary, "X-Trace": "1"},
		},
		Validators: []any{map[string]any{"type": "judge", "token": canary}},
		Dataset:    "evalset.jsonl", DatasetHash: "sha256:00", ItemIDs: []string{"a", "b"},
		Started: t0,
	}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(d.File(ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "canary") {
		t.Fatalf("manifest holds the secret:\n%s", b)
	}
	for _, keep := range []string{`"api_key_env": "OPENAI_API_KEY"`, `"max_tokens": 512`, `"X-Trace": "1"`, `"api_key": "[redacted]"`} {
		if !strings.Contains(string(b), keep) {
			t.Errorf("manifest lacks %s:\n%s", keep, b)
		}
	}
	// The caller's value is left alone.
	if m.ModelConfig["api_key"] != canary {
		t.Error("WriteManifest changed its argument")
	}
	run, err := LoadRun(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	if run.Manifest == nil || !reflect.DeepEqual(run.Manifest.ItemIDs, []string{"a", "b"}) || !run.Manifest.Started.Equal(t0) {
		t.Errorf("manifest read back: %+v", run.Manifest)
	}
}

func TestSecretKey(t *testing.T) {
	for k, want := range map[string]bool{
		"api_key": true, "API-Key": true, "apikey": true, "token": true, "access_token": true,
		"client_secret": true, "password": true, "Authorization": true, "private_key": true,
		"api_key_env": false, "max_tokens": false, "model": false, "base_url": false, "tpm": false, "keywords": false,
	} {
		if got := SecretKey(k); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestLoadRun(t *testing.T) {
	d, err := CreateRun(t.TempDir(), "base", t0)
	if err != nil {
		t.Fatal(err)
	}
	lines := `{"id":"a","label":"wrong"}` + "\n" + `{"id":"b","label":"correct"}` + "\n" + `{"id":"a","label":"correct"}` + "\n" + `{"id":"c","lab`
	if err := os.WriteFile(d.File(ResultsFile), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Summarize(nil)
	s.Run = d.ID
	if err := d.WriteSummary(&s); err != nil {
		t.Fatal(err)
	}
	run, err := LoadRun(filepath.Join(filepath.Dir(d.Path), LatestName))
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != d.ID || run.Summary == nil || run.Summary.Run != d.ID || run.Manifest != nil {
		t.Errorf("run %+v", run)
	}
	var got []string
	for _, r := range run.Results {
		got = append(got, r.ID+"="+string(r.Label))
	}
	if strings.Join(got, ",") != "b=correct,a=correct" || run.Duplicates != 1 || run.Torn == nil || run.Torn.Line != 4 {
		t.Errorf("results %v, duplicates %d, torn %v", got, run.Duplicates, run.Torn)
	}

	t.Run("bad summary names file:line", func(t *testing.T) {
		if err := os.WriteFile(d.File(SummaryFile), []byte("{\n  \"run\": \"x\",\n  \"total\": ,\n}"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRun(d.Path)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != 3 {
			t.Errorf("error %v", err)
		}
	})
	t.Run("not a run", func(t *testing.T) {
		if _, err := LoadRun(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run directory") {
			t.Errorf("error %v", err)
		}
	})
}

func TestSummarize(t *testing.T) {
	results := []Result{
		{ID: "a", Label: Correct, Usage: Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}, Cached: true,
			Verdicts: []Verdict{{Validator: "f1", Score: 1, Pass: true}, {Validator: "refusal", Score: 0, Pass: true}}},
		{ID: "b", Label: Correct, Retries: 2, Verdicts: []Verdict{{Validator: "f1", Score: 0.5, Pass: true}}},
		{ID: "c", Label: Refused, Verdicts: []Verdict{{Validator: "refusal", Score: 1, Pass: false, Label: Refused}}},
		{ID: "d", Label: "", Error: "timeout"},
	}
	s := Summarize(results)
	// Accuracy leaves out the error item: 2 correct of 3 graded.
	if s.Total != 4 || s.Accuracy != 2.0/3 || s.CacheHits != 1 || s.Retries != 2 || s.Usage.TotalTokens != 15 {
		t.Errorf("summary %+v", s)
	}
	want := Counts{Correct: 2, Partial: 0, Wrong: 0, Hallucinated: 0, Refused: 1, Error: 1}
	if !reflect.DeepEqual(s.Counts, want) {
		t.Errorf("counts %v, want %v", s.Counts, want)
	}
	wantV := []ValidatorStats{{Name: "f1", Graded: 2, Passed: 2, MeanScore: 0.75}, {Name: "refusal", Graded: 2, Passed: 1, MeanScore: 0.5}}
	if !reflect.DeepEqual(s.Validators, wantV) {
		t.Errorf("validators %+v", s.Validators)
	}
	empty := Summarize(nil)
	b, _ := json.Marshal(empty.Counts)
	if string(b) != `{"correct":0,"partial":0,"wrong":0,"hallucinated":0,"refused":0,"error":0}` {
		t.Errorf("empty counts %s", b)
	}
	if empty.Accuracy != 0 || empty.Validators == nil {
		t.Errorf("empty summary %+v", empty)
	}
}

func TestSummaryJSONGolden(t *testing.T) {
	s := Summarize([]Result{
		{ID: "a", Label: Correct, Usage: Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120},
			Verdicts: []Verdict{{Validator: "f1", Score: 0.9, Pass: true, Label: Correct}}},
		{ID: "b", Label: Hallucinated, Verdicts: []Verdict{{Validator: "f1", Score: 0.1, Label: Wrong}, {Validator: "links", Label: Hallucinated, Reason: "invented link"}}},
	})
	s.Run, s.Model, s.Dataset = "20261204-192339-base", "base", "evalset.jsonl"
	s.Started, s.Finished = t0.UTC(), t0.UTC().Add(1500*time.Millisecond)
	s.DurationMS, s.Items, s.Requests, s.CostUSD = 1500, 2, 2, 0.00012
	s.Counts["custom"] = 1 // unknown labels still show, after the six
	got, err := marshalIndent(s)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "summary.golden.json"), got)
}

func TestLoadRunReturnsResultsInEvalSetOrder(t *testing.T) {
	root := t.TempDir()
	d, err := CreateRun(root, "m", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteManifest(&Manifest{Version: ManifestVersion, Run: d.ID, Model: "m", ItemIDs: []string{"a", "b", "c"}}); err != nil {
		t.Fatal(err)
	}
	w, err := d.OpenResults()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c", "x", "a", "b"} { // completion order, and an id the manifest lacks
		if err := w.Write(Result{ID: id, Label: Correct}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRun(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, res := range r.Results {
		got = append(got, res.ID)
	}
	if strings.Join(got, ",") != "a,b,c,x" {
		t.Errorf("order = %v, want a,b,c,x", got)
	}
}
