package retrieval

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	chromem "github.com/philippgille/chromem-go"
)

// benchWords is a vocabulary for synthetic help docs: real support words
// plus generated ones, so that texts share some words and not others.
var benchWords = func() []string {
	w := strings.Fields(`account password reset email sign login settings billing plan invoice
		refund storage file folder share link permission workspace member admin export data archive
		download upload delete deactivate security code authenticator phone support chat browser
		cookie trial upgrade downgrade card payment tax price month year limit version history note
		comment editor viewer owner transfer backup device session token notification team invite`)
	r := rand.New(rand.NewPCG(1, 2))
	for len(w) < 3000 {
		n := 3 + r.IntN(8)
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		w = append(w, string(b))
	}
	return w
}()

func benchSentence(r *rand.Rand, words int) string {
	var b strings.Builder
	for i := 0; i < words; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		// Zipf-like: low indexes are much more frequent.
		k := int(float64(len(benchWords)) * r.Float64() * r.Float64() * r.Float64())
		b.WriteString(benchWords[k])
	}
	b.WriteString(".")
	return b.String()
}

// writeBenchDocs writes docs Markdown files of sections sections each (one
// chunk of ~650 characters per section) under dir/docs.
func writeBenchDocs(tb testing.TB, dir string, docs, sections int) {
	tb.Helper()
	r := rand.New(rand.NewPCG(7, uint64(docs)))
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for d := 0; d < docs; d++ {
		var b strings.Builder
		fmt.Fprintf(&b, "# Article %d\n\n", d)
		for s := 0; s < sections; s++ {
			fmt.Fprintf(&b, "## %s\n\n", benchSentence(r, 4))
			for p := 0; p < 6; p++ {
				b.WriteString(benchSentence(r, 15))
				b.WriteString(" ")
			}
			b.WriteString("\n\n")
		}
		if err := os.WriteFile(filepath.Join(dir, "docs", fmt.Sprintf("a%04d.md", d)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func benchConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.Docs = []string{"docs/*.md"}
	cfg.Store = filepath.Join(dir, ".synth", "kb.gob.gz")
	return cfg
}

// BenchmarkIndex10k indexes 10,000 chunks (500 docs of 20 sections) from
// scratch, end to end: load, chunk, embed with the builtin embedder, build
// the chromem collection and write the gzip snapshot.
func BenchmarkIndex10k(b *testing.B) {
	dir := b.TempDir()
	writeBenchDocs(b, dir, 500, 20)
	cfg := benchConfig(dir)
	b.ReportAllocs()
	var chunks int
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		kb, err := Open(dir, cfg, WithRebuild())
		if err != nil {
			b.Fatal(err)
		}
		st, err := kb.Index(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		chunks = st.Chunks
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(chunks)*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
	b.ReportMetric(float64(chunks), "chunks")
}

// BenchmarkIndexUnchanged re-indexes 10,000 unchanged chunks: no embedding,
// no snapshot write.
func BenchmarkIndexUnchanged(b *testing.B) {
	dir := b.TempDir()
	writeBenchDocs(b, dir, 500, 20)
	kb, err := Open(dir, benchConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := kb.Index(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := kb.Index(context.Background())
		if err != nil || st.Embedded != 0 {
			b.Fatal(err, st)
		}
	}
}

// BenchmarkOpen10k loads a 10,000-chunk snapshot (ImportFromFile and the
// search matrix).
func BenchmarkOpen10k(b *testing.B) {
	dir := b.TempDir()
	writeBenchDocs(b, dir, 500, 20)
	cfg := benchConfig(dir)
	kb, err := Open(dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := kb.Index(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := Open(dir, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	if st, err := os.Stat(cfg.Store); err == nil {
		b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	}
}

func benchChunkTexts(n int) []string {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]string, n)
	for i := range out {
		out[i] = benchSentence(r, 110) // ~700 characters
	}
	return out
}

// BenchmarkBuiltinEmbed embeds chunk-sized texts (~700 characters) in
// batches of 512, as Index does.
func BenchmarkBuiltinEmbed(b *testing.B) {
	e, _ := NewBuiltin(DefaultDim)
	texts := benchChunkTexts(512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Embed(context.Background(), texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkBuiltinEmbedOne embeds one chunk-sized text on one goroutine.
func BenchmarkBuiltinEmbedOne(b *testing.B) {
	e, _ := NewBuiltin(DefaultDim)
	text := benchChunkTexts(1)[0]
	dst := make([]float32, DefaultDim)
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.EmbedTo(dst, text)
	}
}

// BenchmarkGloVeEmbed embeds chunk-sized texts with the glove embedder.
func BenchmarkGloVeEmbed(b *testing.B) {
	e, err := NewEmbedder(EmbedderConfig{Provider: ProviderGloVe, Dim: DefaultDim}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	texts := benchChunkTexts(512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Embed(context.Background(), texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkChunk chunks one 20-section article.
func BenchmarkChunk(b *testing.B) {
	dir := b.TempDir()
	writeBenchDocs(b, dir, 1, 20)
	doc, err := LoadFile(dir, "docs/a0000.md")
	if err != nil {
		b.Fatal(err)
	}
	c, _ := NewChunker(DefaultChunkSize, DefaultChunkOverlap)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc.Text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Chunk(doc)
	}
}

// searchKB10k returns an indexed 10,000-chunk knowledge base and queries.
func searchKB10k(b *testing.B) (*KB, []string) {
	dir := b.TempDir()
	writeBenchDocs(b, dir, 500, 20)
	kb, err := Open(dir, benchConfig(dir))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := kb.Index(context.Background()); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	qs := make([]string, 200)
	for i := range qs {
		qs[i] = benchSentence(r, 8)
	}
	return kb, qs
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkSearch10k is KB.Search over 10,000 chunks of 512 dimensions:
// embedding the query plus the matrix scan and top-k selection.
func BenchmarkSearch10k(b *testing.B) {
	kb, qs := searchKB10k(b)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := kb.Search(context.Background(), qs[i%len(qs)], 5); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkScan10k is the matrix scan alone (query vector precomputed).
func BenchmarkScan10k(b *testing.B) {
	kb, qs := searchKB10k(b)
	m := kb.st.matrix
	q, _ := EmbedOne(context.Background(), kb.embedder, qs[0])
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := m.Search(q, SearchOptions{K: 5}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkChromemQuery10k is chromem-go's own exhaustive query over the
// same collection and query vector, for comparison with BenchmarkScan10k.
func BenchmarkChromemQuery10k(b *testing.B) {
	kb, qs := searchKB10k(b)
	coll := kb.st.coll
	q, _ := EmbedOne(context.Background(), kb.embedder, qs[0])
	where := map[string]string{metaKind: kindChunk}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := coll.QueryEmbedding(context.Background(), q, 5, where, nil); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkChromemQueryNoFilter10k is chromem-go's query without the
// metadata filter. The manifest document has another dimension, so this
// uses a copy of the collection without it.
func BenchmarkChromemQueryNoFilter10k(b *testing.B) {
	kb, qs := searchKB10k(b)
	db := chromem.NewDB()
	coll, _ := db.CreateCollection("c", nil, nil)
	m := kb.st.matrix
	for i, c := range m.Chunks() {
		if err := coll.AddDocument(context.Background(), chromem.Document{ID: c.ID, Embedding: m.Vector(i), Content: c.Text}); err != nil {
			b.Fatal(err)
		}
	}
	q, _ := EmbedOne(context.Background(), kb.embedder, qs[0])
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := coll.QueryEmbedding(context.Background(), q, 5, nil, nil); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// BenchmarkQueryStages takes chromem-go v0.7.0's exhaustive query apart on
// the same 10,000 × 512 data, to show where its time goes (the stages
// replicate collection.go/query.go/vector.go, single-threaded unless noted):
//
//   - filter-fanout: filterDocs, which runs even without a filter: every
//     document goes through a channel to NumCPU goroutines and is appended
//     under a mutex.
//   - dot-1acc: the dot product as chromem writes it (one accumulator, a
//     dependency chain of 512 adds per document), through []*Document.
//   - dot-4acc-matrix: Dot (four accumulators) over the contiguous matrix.
//   - topk-heap-mutex: container/heap behind a mutex, one lock per document.
//   - topk-insertion: the matrix's partial top-k.
func BenchmarkQueryStages(b *testing.B) {
	kb, qs := searchKB10k(b)
	m := kb.st.matrix
	q, _ := EmbedOne(context.Background(), kb.embedder, qs[0])
	docs := make(map[string]*chromem.Document, m.Len())
	ptrs := make([]*chromem.Document, 0, m.Len())
	for i, c := range m.Chunks() {
		d := &chromem.Document{ID: c.ID, Embedding: slices.Clone(m.Vector(i)), Content: c.Text,
			Metadata: map[string]string{metaKind: kindChunk}}
		docs[c.ID] = d
		ptrs = append(ptrs, d)
	}
	scores := make([]float32, m.Len())
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/query")
		})
	}
	run("filter-fanout", func() { benchFilterDocs(docs) })
	run("dot-1acc", func() {
		for i, d := range ptrs {
			scores[i] = chromemDot(q, d.Embedding)
		}
	})
	run("dot-4acc-matrix", func() {
		for i := range scores {
			scores[i] = Dot(q, m.Vector(i))
		}
	})
	run("topk-heap-mutex", func() {
		var mu sync.Mutex
		h := &benchHeap{}
		for i, s := range scores {
			mu.Lock()
			if h.Len() < 5 {
				heap.Push(h, benchSim{i, s})
			} else if (*h)[0].s < s {
				heap.Pop(h)
				heap.Push(h, benchSim{i, s})
			}
			mu.Unlock()
		}
	})
	run("topk-insertion", func() {
		top := newTopK(5)
		for i, s := range scores {
			if len(top.idx) == top.k && s <= top.score[top.k-1] {
				continue
			}
			top.insert(i, s)
		}
	})
}

// chromemDot is chromem-go's dotProduct (vector.go), minus its length check.
func chromemDot(a, b []float32) float32 {
	var dot float32
	for i := range a {
		dot += a[i] * b[i]
	}
	return dot
}

func benchFilterDocs(docs map[string]*chromem.Document) []*chromem.Document {
	out := make([]*chromem.Document, 0, len(docs))
	var mu sync.Mutex
	n := runtime.NumCPU()
	ch := make(chan *chromem.Document, n*2)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range ch {
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
		}()
	}
	for _, d := range docs {
		ch <- d
	}
	close(ch)
	wg.Wait()
	return out
}

type benchSim struct {
	i int
	s float32
}

type benchHeap []benchSim

func (h benchHeap) Len() int           { return len(h) }
func (h benchHeap) Less(i, j int) bool { return h[i].s < h[j].s }
func (h benchHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *benchHeap) Push(x any)        { *h = append(*h, x.(benchSim)) }
func (h *benchHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
