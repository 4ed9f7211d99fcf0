package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

// countingEmbedder counts the texts it embeds.
type countingEmbedder struct {
	*Builtin
	texts, calls atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls.Add(1)
	c.texts.Add(int64(len(texts)))
	return c.Builtin.Embed(ctx, texts)
}

func newCounting() *countingEmbedder {
	b, _ := NewBuiltin(64)
	return &countingEmbedder{Builtin: b}
}

var helpDocs = map[string]string{
	"docs/account.md": "# Account\n\n## Delete your account\n\nGo to Settings > Account > Delete account.\n\n## Change your e-mail\n\nGo to Settings > Account > E-mail.\n",
	"docs/billing.md": "# Billing\n\n## Refunds\n\nAnnual plans are refunded within 30 days.\n\n## Invoices\n\nDownload invoices at Settings > Billing.\n",
	"docs/faq.md":     "# FAQ\n\n## Is there a mobile app?\n\nYes, for iOS and Android.\n",
}

func projectConfig() Config {
	cfg := DefaultConfig()
	cfg.Docs = []string{"docs/**/*.md"}
	return cfg
}

func openKB(t testing.TB, dir string, opts ...Option) *KB {
	t.Helper()
	kb, err := Open(dir, projectConfig(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func index(t testing.TB, kb *KB) Stats {
	t.Helper()
	st, err := kb.Index(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestIncrementalIndex(t *testing.T) {
	dir := writeTree(t, helpDocs)
	emb := newCounting()
	kb := openKB(t, dir, WithEmbedder(emb))

	st := index(t, kb)
	if st.Docs != 3 || st.Chunks != 5 || st.Added != 5 || st.Kept != 0 || st.Removed != 0 || st.Embedded != 5 || !st.Written {
		t.Fatalf("first index: %+v", st)
	}
	if st.Snapshot != filepath.Join(dir, ".synth", "kb.gob.gz") {
		t.Errorf("snapshot at %s", st.Snapshot)
	}

	t.Run("unchanged: nothing embedded, nothing written", func(t *testing.T) {
		before := emb.texts.Load()
		st := index(t, kb)
		if st.Added != 0 || st.Kept != 5 || st.Removed != 0 || st.Embedded != 0 || st.EmbedCalls != 0 || st.Written {
			t.Errorf("second index: %+v", st)
		}
		if emb.texts.Load() != before {
			t.Error("the embedder was called")
		}
	})

	t.Run("edited doc: only its changed chunk", func(t *testing.T) {
		edited := strings.Replace(helpDocs["docs/billing.md"], "within 30 days", "within 14 days", 1)
		os.WriteFile(filepath.Join(dir, "docs/billing.md"), []byte(edited), 0o644)
		st := index(t, kb)
		if st.Added != 1 || st.Removed != 1 || st.Kept != 4 || st.Embedded != 1 || !st.Written {
			t.Errorf("after edit: %+v", st)
		}
		res, _ := kb.Search(context.Background(), "refund annual plan", 1)
		if len(res) == 0 || !strings.Contains(res[0].Text, "14 days") {
			t.Errorf("search still finds the old text: %+v", res)
		}
	})

	t.Run("new doc", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, "docs/new.md"), []byte("# New\n\nFresh content.\n"), 0o644)
		st := index(t, kb)
		if st.Docs != 4 || st.Added != 1 || st.Embedded != 1 || st.Removed != 0 {
			t.Errorf("after adding a doc: %+v", st)
		}
	})

	t.Run("deleted doc leaves the store", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "docs/account.md"))
		st := index(t, kb)
		if st.Removed != 2 || st.Added != 0 || st.Embedded != 0 || st.Chunks != 4 {
			t.Errorf("after delete: %+v", st)
		}
		for _, c := range kb.Chunks() {
			if c.Doc == "docs/account.md" {
				t.Errorf("chunk of the deleted doc remains: %+v", c)
			}
		}
		res, _ := kb.Search(context.Background(), "delete account", 10)
		for _, c := range res {
			if c.Doc == "docs/account.md" {
				t.Errorf("search returns the deleted doc: %+v", c)
			}
		}
	})

	t.Run("moved doc reuses vectors", func(t *testing.T) {
		os.MkdirAll(filepath.Join(dir, "docs/sub"), 0o755)
		os.Rename(filepath.Join(dir, "docs/faq.md"), filepath.Join(dir, "docs/sub/faq.md"))
		st := index(t, kb)
		if st.Added != 1 || st.Removed != 1 || st.Embedded != 0 {
			t.Errorf("after move: %+v", st)
		}
	})

	t.Run("other embedder: everything re-embedded", func(t *testing.T) {
		other, _ := NewBuiltin(32)
		kb2 := openKB(t, dir, WithEmbedder(other))
		if _, err := kb2.Search(context.Background(), "x", 1); !errors.Is(err, ErrStale) {
			t.Errorf("search before re-index: %v, want ErrStale", err)
		}
		st := index(t, kb2)
		if st.Embedded != st.Chunks || st.Kept != 0 || st.Removed != st.Chunks {
			t.Errorf("after embedder change: %+v", st)
		}
		if _, err := kb2.Search(context.Background(), "x", 1); err != nil {
			t.Error(err)
		}
	})
}

func TestPersistenceAcrossOpens(t *testing.T) {
	dir := writeTree(t, helpDocs)
	kb := openKB(t, dir)
	index(t, kb)
	queries := []string{"delete my account", "refund", "mobile app", "invoice pdf"}
	want := map[string][]dataset.Chunk{}
	for _, q := range queries {
		want[q], _ = kb.Search(context.Background(), q, 3)
	}

	again := openKB(t, dir)
	if !again.Indexed() {
		t.Fatal("reopened knowledge base is not indexed")
	}
	if !reflect.DeepEqual(again.Chunks(), kb.Chunks()) {
		t.Errorf("chunks differ after reopening:\n%+v\n%+v", again.Chunks(), kb.Chunks())
	}
	for _, q := range queries {
		got, err := again.Search(context.Background(), q, 3)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want[q]) {
			t.Errorf("%q: results differ after reopening:\n%+v\n%+v", q, got, want[q])
		}
	}
	if got := again.Docs(); !reflect.DeepEqual(got, []string{"docs/account.md", "docs/billing.md", "docs/faq.md"}) {
		t.Errorf("Docs() = %q", got)
	}
	st := index(t, again)
	if st.Embedded != 0 || st.Written {
		t.Errorf("re-index after reopening: %+v", st)
	}
}

// TestPersistenceAcrossProcesses indexes in a child process and searches in
// this one.
func TestPersistenceAcrossProcesses(t *testing.T) {
	if dir := os.Getenv("SYNTH_KB_CHILD"); dir != "" {
		kb := openKB(t, dir)
		st := index(t, kb)
		fmt.Printf("child: %d chunks, %d embedded\n", st.Chunks, st.Embedded)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := writeTree(t, helpDocs)
	runChild(t, dir, "TestPersistenceAcrossProcesses")
	kb := openKB(t, dir)
	res, err := kb.Search(context.Background(), "refund annual plan", 1)
	if err != nil || len(res) != 1 || res[0].Doc != "docs/billing.md" {
		t.Fatalf("%+v %v", res, err)
	}
	if st := index(t, kb); st.Embedded != 0 {
		t.Errorf("this process re-embedded the child's work: %+v", st)
	}
}

func runChild(t *testing.T, dir, test string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SYNTH_KB_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}

func TestCorruptSnapshot(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage":   []byte("this is not a snapshot"),
		"truncated": nil, // filled below
		"empty":     {},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, helpDocs)
			path := filepath.Join(dir, ".synth", "kb.gob.gz")
			if name == "truncated" {
				index(t, openKB(t, dir))
				full, _ := os.ReadFile(path)
				content = full[:len(full)/2]
			}
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, content, 0o644)
			_, err := Open(dir, projectConfig())
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != path {
				t.Fatalf("got %v, want a *CorruptError for %s", err, path)
			}
			if !strings.Contains(err.Error(), "synth index --rebuild") || !strings.Contains(err.Error(), path) {
				t.Errorf("message does not name the file and the fix: %v", err)
			}
			// --rebuild replaces it.
			kb := openKB(t, dir, WithRebuild())
			if st := index(t, kb); st.Embedded != 5 || !st.Written {
				t.Errorf("rebuild: %+v", st)
			}
			if _, err := Open(dir, projectConfig()); err != nil {
				t.Errorf("after rebuild: %v", err)
			}
		})
	}
	t.Run("another chromem database", func(t *testing.T) {
		dir := writeTree(t, helpDocs)
		kb := openKB(t, dir)
		index(t, kb)
		kb.st.db.DeleteCollection(collectionName)
		kb.st.db.CreateCollection("other", nil, nil)
		if err := kb.st.write(kb.path); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, projectConfig())
		if err == nil || !strings.Contains(err.Error(), "not a synth knowledge base") {
			t.Errorf("got %v", err)
		}
	})
}

func TestSearchBeforeIndex(t *testing.T) {
	kb := openKB(t, writeTree(t, helpDocs))
	if _, err := kb.Search(context.Background(), "x", 3); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("got %v, want ErrNotIndexed", err)
	}
	if len(kb.Chunks()) != 0 || kb.Indexed() {
		t.Error("an unindexed knowledge base has chunks")
	}
}

func TestSearchOptions(t *testing.T) {
	kb := openKB(t, writeTree(t, helpDocs))
	index(t, kb)
	ctx := context.Background()
	all, _ := kb.Search(ctx, "settings", 100)
	if len(all) != 5 {
		t.Fatalf("k larger than the corpus: %d results", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Score > all[i-1].Score {
			t.Error("results not sorted by score")
		}
	}
	only, _ := kb.SearchWith(ctx, "settings", SearchOptions{K: 10, Docs: []string{"docs/billing.md", "docs/faq.md", "docs/nope.md"}})
	for _, c := range only {
		if c.Doc != "docs/billing.md" && c.Doc != "docs/faq.md" {
			t.Errorf("filter ignored: %+v", c)
		}
	}
	if len(only) != 3 {
		t.Errorf("filter: %d results, want 3", len(only))
	}
	high, _ := kb.SearchWith(ctx, "Delete your account Go to Settings > Account > Delete account.", SearchOptions{K: 10, MinScore: 0.9})
	if len(high) != 1 || high[0].Heading != "Account > Delete your account" {
		t.Errorf("min score: %+v", high)
	}
	if none, err := kb.Search(ctx, "x", 0); none != nil || err != nil {
		t.Errorf("k=0: %v %v", none, err)
	}
}

// Two knowledge bases (as two processes would) index the same project at
// once: the lock serialises them, the snapshot stays valid, and the second
// finds the first's work and embeds nothing.
func TestConcurrentIndexers(t *testing.T) {
	dir := writeTree(t, helpDocs)
	var wg sync.WaitGroup
	stats := make([]Stats, 4)
	for i := range stats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kb := openKB(t, dir)
			st, err := kb.Index(context.Background())
			if err != nil {
				t.Error(err)
			}
			stats[i] = st
		}()
	}
	wg.Wait()
	embedded := 0
	for _, st := range stats {
		embedded += st.Embedded
	}
	if embedded != 5 {
		t.Errorf("%d chunks embedded in total by 4 concurrent indexers, want 5: %+v", embedded, stats)
	}
	kb := openKB(t, dir)
	if len(kb.Chunks()) != 5 {
		t.Errorf("%d chunks after concurrent indexing", len(kb.Chunks()))
	}
}

func TestConcurrentIndexerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := writeTree(t, helpDocs)
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = runChild(t, dir, "TestPersistenceAcrossProcesses")
		}()
	}
	wg.Wait()
	if n := strings.Count(strings.Join(outs, ""), "5 embedded"); n != 1 {
		t.Errorf("%d processes embedded the chunks, want exactly 1:\n%s", n, strings.Join(outs, ""))
	}
	if _, err := Open(dir, projectConfig()); err != nil {
		t.Errorf("snapshot after concurrent processes: %v", err)
	}
}

// Searches keep working while another goroutine re-indexes.
func TestSearchDuringIndex(t *testing.T) {
	dir := writeTree(t, helpDocs)
	kb := openKB(t, dir)
	index(t, kb)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if _, err := kb.Search(context.Background(), "refund", 2); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 5; i++ {
		os.WriteFile(filepath.Join(dir, "docs/faq.md"), []byte(fmt.Sprintf("# FAQ\n\nVersion %d.\n", i)), 0o644)
		index(t, kb)
	}
	cancel()
	wg.Wait()
}

func TestIndexErrors(t *testing.T) {
	t.Run("no docs match", func(t *testing.T) {
		kb := openKB(t, t.TempDir())
		_, err := kb.Index(context.Background())
		if err == nil || !strings.Contains(err.Error(), "knowledge.docs") || !errors.Is(err, ErrNoMatch) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		kb := openKB(t, writeTree(t, helpDocs))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := kb.Index(ctx); err == nil {
			t.Error("want an error")
		}
	})
	t.Run("bad chunk config", func(t *testing.T) {
		cfg := projectConfig()
		cfg.Chunk = ChunkConfig{Size: 10}
		if _, err := Open(t.TempDir(), cfg); err == nil || !strings.Contains(err.Error(), "knowledge.chunk") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		cfg := projectConfig()
		cfg.Embedder.Provider = "magic"
		if _, err := Open(t.TempDir(), cfg); err == nil || !strings.Contains(err.Error(), "knowledge.embedder.provider") {
			t.Errorf("got %v", err)
		}
	})
}

func TestIndexProgress(t *testing.T) {
	var calls [][2]int
	kb := openKB(t, writeTree(t, helpDocs), WithProgress(func(done, total int) { calls = append(calls, [2]int{done, total}) }))
	index(t, kb)
	if len(calls) != 1 || calls[0] != [2]int{5, 5} {
		t.Errorf("progress calls %v", calls)
	}
}
