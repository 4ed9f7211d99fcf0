package retrieval

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gofrs/flock"
	chromem "github.com/philippgille/chromem-go"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval/wordvecs"
	"github.com/synth-dev/synth/spec"
)

// KB is a project's knowledge base: its help docs, chunked and embedded,
// kept in a chromem-go database persisted as one snapshot file, and served
// from an in-memory [Matrix]. It implements [Searcher] and [Corpus]. A KB is
// safe for concurrent use; Index calls are serialised, within a process by
// a mutex and across processes by a lock file (see [KB.Index]).
type KB struct {
	dir      string
	cfg      Config
	path     string
	embedder Embedder
	embID    string
	chunker  Chunker
	progress func(done, total int)
	rebuild  bool // opened WithRebuild and not written yet: ignore the file on disk

	indexMu sync.Mutex // serialises Index
	mu      sync.RWMutex
	st      *state
}

var (
	_ Searcher = (*KB)(nil)
	_ Corpus   = (*KB)(nil)
)

// Stats describes one Index run.
type Stats struct {
	// Docs is the number of documents loaded.
	Docs int `json:"docs"`
	// Chunks is the number of chunks in the knowledge base after the run.
	Chunks int `json:"chunks"`
	// Added, Kept and Removed count chunks new in this run, unchanged since
	// the last one, and gone (edited or deleted docs).
	Added   int `json:"added"`
	Kept    int `json:"kept"`
	Removed int `json:"removed"`
	// Embedded is the number of texts sent to the embedder; added chunks
	// whose exact text was already embedded (a moved doc) reuse the vector.
	Embedded int `json:"embedded"`
	// EmbedCalls is the number of Embedder.Embed calls.
	EmbedCalls int `json:"embed_calls"`
	// Written reports whether the snapshot was rewritten (not when nothing changed).
	Written bool `json:"written"`
	// Snapshot is the snapshot file's path.
	Snapshot string `json:"snapshot"`
	// Embedder is the embedder id of the stored vectors.
	Embedder string `json:"embedder"`
	// Duration is the run's wall time.
	Duration time.Duration `json:"duration_ns"`
}

// Option configures [Open].
type Option func(*openOptions)

type openOptions struct {
	embedder Embedder
	getenv   func(string) string
	client   *http.Client
	rebuild  bool
	progress func(done, total int)
}

// WithEmbedder uses e instead of the embedder the config describes.
func WithEmbedder(e Embedder) Option { return func(o *openOptions) { o.embedder = e } }

// WithGetenv reads API keys through getenv instead of os.Getenv.
func WithGetenv(getenv func(string) string) Option {
	return func(o *openOptions) { o.getenv = getenv }
}

// WithHTTPClient makes provider embedders use hc.
func WithHTTPClient(hc *http.Client) Option { return func(o *openOptions) { o.client = hc } }

// WithRebuild ignores the existing snapshot (even an unreadable one): the
// next Index embeds every chunk again and replaces the file.
func WithRebuild() Option { return func(o *openOptions) { o.rebuild = true } }

// WithProgress calls f as chunks get embedded during Index.
func WithProgress(f func(done, total int)) Option {
	return func(o *openOptions) { o.progress = f }
}

// NewEmbedder returns the embedder cfg describes. API keys are read with
// getenv (os.Getenv when nil) from cfg.APIKeyEnv; hc may be nil.
func NewEmbedder(cfg EmbedderConfig, getenv func(string) string, hc *http.Client) (Embedder, error) {
	switch cfg.Provider {
	case "", ProviderBuiltin:
		dim := cfg.Dim
		if dim == 0 {
			dim = DefaultDim
		}
		return NewBuiltin(dim)
	case ProviderGloVe:
		dim := cfg.Dim
		if dim == 0 {
			dim = DefaultDim
		}
		tab, err := wordvecs.Default()
		if err != nil {
			return nil, fmt.Errorf("provider: glove: %w", err)
		}
		return NewGloVe(tab, wordvecs.DefaultName, GloVeOptions{HashDim: dim, Mix: DefaultGloVeMix, SIF: DefaultGloVeSIF})
	case ProviderOpenAI, ProviderOllama:
		if getenv == nil {
			getenv = os.Getenv
		}
		key := ""
		if cfg.APIKeyEnv != "" {
			key = getenv(cfg.APIKeyEnv)
			if key == "" {
				return nil, fmt.Errorf("api_key_env: environment variable %s is not set", cfg.APIKeyEnv)
			}
		}
		if cfg.Timeout == 0 {
			cfg.Timeout = DefaultEmbedTimeout
		}
		return NewProvider(cfg, key, hc)
	}
	return nil, fmt.Errorf("provider: unknown embedder provider %q (want builtin, glove, openai or ollama)", cfg.Provider)
}

// Open opens the knowledge base of the project in projectDir: it builds the
// embedder and chunker cfg describes and loads the snapshot if there is
// one. A missing snapshot is not an error (Search then returns
// [ErrNotIndexed] until Index runs); an unreadable one is a *[CorruptError]
// whose message suggests `synth index --rebuild` (see [WithRebuild]).
func Open(projectDir string, cfg Config, opts ...Option) (*KB, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	def := DefaultConfig()
	if cfg.Store == "" {
		cfg.Store = def.Store
	}
	if cfg.Chunk.Size == 0 {
		cfg.Chunk = def.Chunk
	}
	chunker, err := NewChunker(cfg.Chunk.Size, cfg.Chunk.Overlap)
	if err != nil {
		return nil, fmt.Errorf("knowledge.chunk: %w", err)
	}
	emb := o.embedder
	if emb == nil {
		emb, err = NewEmbedder(cfg.Embedder, o.getenv, o.client)
		if err != nil {
			return nil, fmt.Errorf("knowledge.embedder.%w", err)
		}
	}
	path := cfg.Store
	if !filepath.IsAbs(path) {
		path = filepath.Join(projectDir, filepath.FromSlash(path))
	}
	kb := &KB{
		dir: projectDir, cfg: cfg, path: path,
		embedder: emb, embID: EmbedderID(emb), chunker: chunker, progress: o.progress,
		rebuild: o.rebuild,
	}
	if o.rebuild {
		kb.st, err = emptyState(kb.embedFunc())
	} else {
		kb.st, err = loadState(context.Background(), path, kb.embedFunc())
	}
	if err != nil {
		return nil, err
	}
	return kb, nil
}

// embedFunc adapts the embedder to chromem-go, for queries made through
// chromem itself; vectors come back unit length as chromem requires.
func (kb *KB) embedFunc() chromem.EmbeddingFunc {
	return func(ctx context.Context, text string) ([]float32, error) {
		v, err := EmbedOne(ctx, kb.embedder, text)
		if err != nil {
			return nil, err
		}
		return v, Normalize(v)
	}
}

// Embedder returns the knowledge base's embedder (for validators that
// compare texts in the same vector space).
func (kb *KB) Embedder() Embedder { return kb.embedder }

// EmbedderID returns the configured embedder's id.
func (kb *KB) EmbedderID() string { return kb.embID }

// SnapshotPath returns the snapshot file's path.
func (kb *KB) SnapshotPath() string { return kb.path }

// Indexed reports whether a snapshot was loaded or written.
func (kb *KB) Indexed() bool {
	kb.mu.RLock()
	defer kb.mu.RUnlock()
	return kb.st.loaded
}

// Chunks returns every chunk, ordered by document path and position. The
// slice is shared and must not be modified.
func (kb *KB) Chunks() []dataset.Chunk {
	kb.mu.RLock()
	defer kb.mu.RUnlock()
	return kb.st.matrix.Chunks()
}

// Docs returns the paths of the indexed documents, sorted.
func (kb *KB) Docs() []string {
	var out []string
	for _, c := range kb.Chunks() {
		if len(out) == 0 || out[len(out)-1] != c.Doc {
			out = append(out, c.Doc)
		}
	}
	return out
}

// Search returns the k chunks most similar to query, best first, with
// Chunk.Score set to the cosine similarity.
func (kb *KB) Search(ctx context.Context, query string, k int) ([]dataset.Chunk, error) {
	return kb.SearchWith(ctx, query, SearchOptions{K: k})
}

// SearchWith searches with options: a document filter and a minimum score.
func (kb *KB) SearchWith(ctx context.Context, query string, opts SearchOptions) ([]dataset.Chunk, error) {
	kb.mu.RLock()
	st := kb.st
	kb.mu.RUnlock()
	if !st.loaded {
		return nil, ErrNotIndexed
	}
	if st.matrix.Len() > 0 && st.embedder != kb.embID {
		return nil, fmt.Errorf("%w (snapshot: %s, config: %s)", ErrStale, st.embedder, kb.embID)
	}
	if opts.K <= 0 || st.matrix.Len() == 0 {
		return nil, nil
	}
	q, err := EmbedOne(ctx, kb.embedder, query)
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if err := Normalize(q); err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	return st.matrix.Search(q, opts)
}

// Close releases the knowledge base. It holds no file or lock between
// calls (the lock file is held only while Index runs), so today it only
// exists so that callers can treat every store alike; it returns nil.
func (kb *KB) Close() error { return nil }

// Index brings the knowledge base up to date with the help docs: it loads
// and chunks them, embeds only chunks whose content (or the embedder) changed,
// drops chunks of edited and deleted docs, and rewrites the snapshot when
// anything changed.
//
// Concurrent indexers of the same project are serialised by an exclusive
// flock on "<snapshot>.lock" (the file is left in place; removing lock files
// races). Under the lock, Index first reloads the snapshot if another
// process rewrote it, so the second of two concurrent runs finds the first's
// work and embeds nothing. The snapshot is replaced by an atomic rename, so
// readers (Open, without the lock) always see a complete file.
func (kb *KB) Index(ctx context.Context) (Stats, error) {
	start := time.Now()
	kb.indexMu.Lock()
	defer kb.indexMu.Unlock()

	docs, err := LoadDocs(kb.dir, kb.cfg.Docs)
	if err != nil {
		return Stats{}, spec.Wrap("knowledge.docs", err)
	}
	chunks := chunkAll(kb.chunker, docs)

	if err := os.MkdirAll(filepath.Dir(kb.path), 0o755); err != nil {
		return Stats{}, fmt.Errorf("knowledge base: %w", err)
	}
	lock := flock.New(kb.path + ".lock")
	locked, err := lock.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !locked {
		return Stats{}, fmt.Errorf("knowledge base: lock %s: %w", lock.Path(), errors.Join(err, ctx.Err()))
	}
	defer lock.Unlock()

	kb.mu.RLock()
	st := kb.st
	kb.mu.RUnlock()
	if stamp, ok := stampOf(kb.path); ok && !kb.rebuild && (!st.loaded || stamp != st.stamp) {
		// Another process wrote the snapshot since we read it.
		fresh, err := loadState(ctx, kb.path, kb.embedFunc())
		if err != nil {
			return Stats{}, err
		}
		st = fresh
	}

	next, stats, err := kb.apply(ctx, st, chunks)
	if err != nil {
		return Stats{}, err
	}
	stats.Docs = len(docs)
	stats.Snapshot = kb.path
	if _, exists := stampOf(kb.path); next != st || !exists {
		if err := next.write(kb.path); err != nil {
			return Stats{}, err
		}
		stats.Written = true
		kb.rebuild = false
	}
	kb.mu.Lock()
	kb.st = next
	kb.mu.Unlock()
	stats.Duration = time.Since(start)
	return stats, nil
}

// apply computes the new state for chunks, reusing vectors from st.
func (kb *KB) apply(ctx context.Context, st *state, chunks []dataset.Chunk) (*state, Stats, error) {
	var stats Stats
	stats.Embedder = kb.embID
	sameEmbedder := st.embedder == kb.embID
	old := map[string]bool{}
	reuse := map[string][]float32{}
	if sameEmbedder {
		for i, c := range st.matrix.Chunks() {
			old[c.ID] = true
			reuse[st.hashes[i]] = st.matrix.Vector(i)
		}
	} else {
		stats.Removed = st.matrix.Len()
	}

	hashes := make([]string, len(chunks))
	vecs := make([][]float32, len(chunks))
	var todo []int
	var texts []string
	changedOrder := false
	for i, c := range chunks {
		text := embedText(c)
		hashes[i] = embedHash(text)
		if old[c.ID] {
			stats.Kept++
			delete(old, c.ID)
		} else {
			stats.Added++
		}
		if v, ok := reuse[hashes[i]]; ok {
			vecs[i] = v
			continue
		}
		todo = append(todo, i)
		texts = append(texts, text)
	}
	if sameEmbedder {
		stats.Removed = len(old)
	}
	// Did a kept chunk move within its document?
	if stats.Added == 0 && stats.Removed == 0 && sameEmbedder {
		prev := st.matrix.Chunks()
		for i := range chunks {
			if i >= len(prev) || prev[i].ID != chunks[i].ID {
				changedOrder = true
				break
			}
		}
		if !changedOrder && st.loaded {
			stats.Chunks = len(chunks)
			return st, stats, nil
		}
	}

	dim := st.dim
	if !sameEmbedder || dim == 0 {
		dim = 0
	}
	const batch = 512
	for start := 0; start < len(texts); start += batch {
		end := min(start+batch, len(texts))
		vs, err := kb.embedder.Embed(ctx, texts[start:end])
		stats.EmbedCalls++
		if err != nil {
			return nil, stats, fmt.Errorf("embed chunks: %w", err)
		}
		if len(vs) != end-start {
			return nil, stats, fmt.Errorf("embed chunks: embedder returned %d vectors for %d texts", len(vs), end-start)
		}
		for j, v := range vs {
			if dim == 0 {
				dim = len(v)
			}
			if len(v) != dim {
				return nil, stats, fmt.Errorf("embed chunks: vector of %d dimensions, expected %d", len(v), dim)
			}
			if err := Normalize(v); err != nil {
				c := chunks[todo[start+j]]
				return nil, stats, fmt.Errorf("embed chunk of %s (%s): %w", c.Doc, c.Heading, err)
			}
			vecs[todo[start+j]] = v
		}
		stats.Embedded += len(vs)
		if kb.progress != nil {
			kb.progress(end, len(texts))
		}
	}
	if dim == 0 && len(chunks) > 0 {
		dim = len(vecs[0])
	}

	next, err := emptyState(kb.embedFunc())
	if err != nil {
		return nil, stats, err
	}
	if err := next.setManifest(ctx, kb.embID, dim); err != nil {
		return nil, stats, err
	}
	seq := 0
	for i, c := range chunks {
		if i > 0 && chunks[i-1].Doc != c.Doc {
			seq = 0
		}
		err := next.coll.AddDocument(ctx, chromem.Document{
			ID: c.ID,
			Metadata: map[string]string{
				metaKind: kindChunk, metaDoc: c.Doc, metaHeading: c.Heading,
				metaSeq: strconv.Itoa(seq), metaHash: hashes[i],
			},
			Embedding: vecs[i],
			Content:   c.Text,
		})
		if err != nil {
			return nil, stats, fmt.Errorf("store chunk of %s: %w", c.Doc, err)
		}
		seq++
	}
	next.hashes = hashes
	m, err := NewMatrix(chunks, vecs)
	if err != nil {
		return nil, stats, err
	}
	next.matrix = m
	stats.Chunks = len(chunks)
	return next, stats, nil
}

// chunkAll chunks docs on all cores, keeping document order.
func chunkAll(c Chunker, docs []Document) []dataset.Chunk {
	per := make([][]dataset.Chunk, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(docs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				per[i] = c.Chunk(docs[i])
			}
		}()
	}
	for i := range docs {
		next <- i
	}
	close(next)
	wg.Wait()
	n := 0
	for _, p := range per {
		n += len(p)
	}
	out := make([]dataset.Chunk, 0, n)
	seen := make(map[string]bool, n)
	for _, p := range per {
		for _, ch := range p {
			if !seen[ch.ID] {
				seen[ch.ID] = true
				out = append(out, ch)
			}
		}
	}
	return out
}

// DecodeAndOpen decodes the knowledge section at p and opens the project's
// knowledge base: the one call a pipeline needs.
func DecodeAndOpen(projectDir string, p *spec.Params, opts ...Option) (*KB, error) {
	cfg, err := DecodeConfig(p)
	if err != nil {
		return nil, err
	}
	return Open(projectDir, cfg, opts...)
}
