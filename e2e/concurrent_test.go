package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// helpDocs returns n help docs, one per storage room, that answer the
// items of makeItems.
func helpDocs(n int) map[string]string {
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		files[fmt.Sprintf("docs/room-%02d.md", i)] = fmt.Sprintf(`# Storage room %d

## Door code

The door code of storage room %d is %d. Enter it on the keypad and press the green key.

## Opening hours

Storage room %d is open from 7am to 7pm on weekdays. Ask the front desk for a badge outside those hours.
`, i, i, 4000+(i-1)*7, i)
	}
	return files
}

// TestConcurrentEvals runs two evals at once in one project (one cache,
// one knowledge base, one runs/ folder): each gets its own complete run
// directory, runs/latest points at one of them, the cache holds only whole
// entries and answers a third run entirely.
func TestConcurrentEvals(t *testing.T) {
	t.Parallel()
	items := makeItems(40)
	srv := newFake(t, nil, llmtest.WithLatency(5*time.Millisecond))
	scriptItems(srv, items)
	files := helpDocs(12)
	files["evalset.jsonl"] = evalSetJSONL(items)
	files["synth.yaml"] = fmt.Sprintf(`models:
  fake: %s
knowledge: {docs: ["docs/*.md"]}
eval: {dataset: evalset.jsonl, model: fake, concurrency: 4}
`, remoteModel(srv.URL(), "timeout: 20s, concurrency: 4"))
	p := newProject(t, files)

	a, b := p.start("eval", "--quiet"), p.start("eval", "--quiet")
	ra, rb := a.wait(), b.wait()
	for _, r := range []result{ra, rb} {
		noCrash(t, r)
		if r.code != 0 {
			t.Fatalf("concurrent eval: want exit 0\n%s", r)
		}
	}
	dirs := runDirs(t, p.path("runs"))
	if len(dirs) != 2 {
		t.Fatalf("two concurrent evals made run directories %v", dirs)
	}
	var runs []map[string]dataset.Result
	for _, d := range dirs {
		runs = append(runs, onePerItem(t, readResults(t, filepath.Join(d, dataset.ResultsFile)), items))
		if s := readSummary(t, d); s.Total != len(items) || s.Run != filepath.Base(d) {
			t.Errorf("%s: summary total %d, run %q", d, s.Total, s.Run)
		}
	}
	sameResults(t, runs[1], runs[0])

	target, err := os.Readlink(p.path("runs/latest"))
	if err != nil {
		t.Fatalf("runs/latest: %v", err)
	}
	if target != filepath.Base(dirs[0]) && target != filepath.Base(dirs[1]) {
		t.Errorf("runs/latest points at %q, not at one of %v", target, dirs)
	}
	if _, err := dataset.LoadRun(p.path("runs/latest")); err != nil {
		t.Errorf("runs/latest: %v", err)
	}

	// Every cache entry is whole JSON; no temporary file is left.
	entries := 0
	err = filepath.WalkDir(p.path(".synth/cache"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp") {
			t.Errorf("temporary file left in the cache: %s", path)
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var e map[string]any
		if err := json.Unmarshal(data, &e); err != nil {
			t.Errorf("cache entry %s: %v", path, err)
		}
		entries++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if entries != len(items) {
		t.Errorf("%d cache entries for %d distinct questions", entries, len(items))
	}

	// A third run is answered by the cache alone.
	asked := srv.chatCount()
	r := p.mustRun(0, "eval", "--quiet", "--json")
	var s dataset.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, r)
	}
	if s.CacheHits != len(items) || srv.chatCount() != asked {
		t.Errorf("third run: %d cache hits for %d items, %d new requests", s.CacheHits, len(items), srv.chatCount()-asked)
	}
	third := onePerItem(t, readResults(t, filepath.Join(p.path("runs"), s.Run, dataset.ResultsFile)), items)
	sameResults(t, third, runs[0])
}

// TestConcurrentIndex runs `synth index` from two processes at once on one
// project, twice (a fresh store, then after the docs changed): the store
// stays whole, a later index finds it up to date, and searches find the
// right doc.
func TestConcurrentIndex(t *testing.T) {
	t.Parallel()
	files := helpDocs(30)
	files["synth.yaml"] = "knowledge: {docs: [\"docs/*.md\"], chunk: {size: 300, overlap: 30}}\n"
	p := newProject(t, files)

	both := func() {
		t.Helper()
		a, b := p.start("index", "--quiet"), p.start("index", "--quiet")
		for _, r := range []result{a.wait(), b.wait()} {
			noCrash(t, r)
			if r.code != 0 {
				t.Fatalf("concurrent index: want exit 0\n%s", r)
			}
		}
	}
	both()
	// Edit one doc, delete another, add a third; index concurrently again.
	p.write("docs/room-07.md", "# Storage room 7\n\n## Door code\n\nThe door code of storage room 7 changed to 9917 in March.\n")
	if err := os.Remove(p.path("docs/room-08.md")); err != nil {
		t.Fatal(err)
	}
	p.write("docs/room-31.md", "# Storage room 31\n\n## Door code\n\nThe door code of storage room 31 is 6543.\n")
	both()

	var st struct {
		Docs, Chunks, Embedded, Added, Removed int
	}
	r := p.mustRun(0, "index", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("index --json: %v\n%s", err, r)
	}
	if st.Docs != 30 || st.Embedded != 0 || st.Added != 0 || st.Removed != 0 {
		t.Errorf("index after the concurrent ones: %+v; want 30 docs, nothing to do\n%s", st, r)
	}
	for _, c := range []struct{ q, doc, text string }{
		{"storage room 7 door code changed in March", "room-07.md", "9917"},
		{"door code of storage room 31", "room-31.md", "6543"},
		{"opening hours of storage room 12", "room-12.md", "7am"},
	} {
		r := p.mustRun(0, "ask", "--json", "--k", "3", c.q)
		var out struct {
			Chunks []dataset.Chunk `json:"chunks"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("ask --json: %v\n%s", err, r)
		}
		found := false
		for _, ch := range out.Chunks {
			found = found || (strings.HasSuffix(ch.Doc, c.doc) && strings.Contains(ch.Text, c.text))
		}
		if !found {
			t.Errorf("ask %q: want %s with %q among the chunks, got %+v", c.q, c.doc, c.text, out.Chunks)
		}
	}
	r = p.mustRun(0, "ask", "--json", "door code of storage room 8")
	if strings.Contains(r.stdout, "room-08.md") {
		t.Errorf("a deleted doc is still in the store:\n%s", r.stdout)
	}
}
