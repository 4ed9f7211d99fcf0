package retrieval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	for i := 0; i < b.N; i++ {
		if _, err := Open(dir, cfg); err != nil {
			b.Fatal(err)
		}
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
