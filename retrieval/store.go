package retrieval

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/synth-dev/synth/dataset"
)

// Snapshot layout: one chromem-go collection. Each chunk is one chromem
// document (content: the chunk text; metadata: kind=chunk, document, heading
// path, position, content hash). One manifest document records the format,
// the embedder id and the dimension, which chromem-go v0.7.0 could not give
// back from collection metadata (it has no getter for it).
const (
	collectionName = "synth-kb"
	snapshotFormat = "synth-kb/1"
	manifestID     = "synth-kb:manifest"

	metaKind     = "kind"
	metaFormat   = "format"
	metaEmbedder = "embedder"
	metaDim      = "dim"
	metaDoc      = "doc"
	metaHeading  = "heading"
	metaSeq      = "seq"
	metaHash     = "hash"

	kindChunk    = "chunk"
	kindManifest = "manifest"
)

// ErrNotIndexed is returned by searches before the first index.
var ErrNotIndexed = errors.New("the knowledge base is not indexed yet: run `synth index`")

// ErrStale is returned (wrapped) by searches when the snapshot was built
// with another embedder than the configured one.
var ErrStale = errors.New("the knowledge base was indexed with another embedder: run `synth index`")

// CorruptError reports a snapshot that cannot be read.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("knowledge base snapshot %s is unreadable (%v): rebuild it with `synth index --rebuild`", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// state is one consistent view of the store: the chromem collection that
// is persisted and the matrix that serves queries.
type state struct {
	db       *chromem.DB
	coll     *chromem.Collection
	embedder string
	dim      int
	hashes   []string // per matrix row: hash of the embedded text
	matrix   *Matrix
	stamp    fileStamp
	loaded   bool // a snapshot was read or written
}

// fileStamp identifies a version of the snapshot file on disk.
type fileStamp struct {
	size int64
	mod  time.Time
}

func stampOf(path string) (fileStamp, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	return fileStamp{st.Size(), st.ModTime()}, true
}

// embedHash is the content hash that decides whether a chunk needs a new
// vector: the exact text the embedder sees.
func embedHash(text string) string {
	s := sha256.Sum256([]byte(text))
	return hex.EncodeToString(s[:16])
}

// embedText is what gets embedded for a chunk: its heading path and text.
func embedText(c dataset.Chunk) string {
	if c.Heading == "" {
		return c.Text
	}
	return c.Heading + "\n\n" + c.Text
}

// emptyState returns a state with a new, empty collection.
func emptyState(embed chromem.EmbeddingFunc) (*state, error) {
	db := chromem.NewDB()
	coll, err := db.CreateCollection(collectionName, nil, embed)
	if err != nil {
		return nil, err
	}
	m, _ := NewMatrix(nil, nil)
	return &state{db: db, coll: coll, matrix: m}, nil
}

// setManifest records the embedder and dimension in the collection.
func (st *state) setManifest(ctx context.Context, embedder string, dim int) error {
	st.embedder, st.dim = embedder, dim
	return st.coll.AddDocument(ctx, chromem.Document{
		ID: manifestID,
		Metadata: map[string]string{
			metaKind: kindManifest, metaFormat: snapshotFormat,
			metaEmbedder: embedder, metaDim: strconv.Itoa(dim),
		},
		Embedding: []float32{1},
		Content:   "synth knowledge base manifest",
	})
}

// loadState reads the snapshot at path. A missing file gives an empty,
// unloaded state; an unreadable one a *CorruptError.
func loadState(ctx context.Context, path string, embed chromem.EmbeddingFunc) (*state, error) {
	stamp, ok := stampOf(path)
	if !ok {
		if _, err := os.Stat(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("knowledge base snapshot %s: %w", path, err)
		}
		return emptyState(embed)
	}
	db := chromem.NewDB()
	if err := db.ImportFromFile(path, ""); err != nil {
		return nil, &CorruptError{path, err}
	}
	coll := db.GetCollection(collectionName, embed)
	if coll == nil {
		return nil, &CorruptError{path, fmt.Errorf("no %q collection: not a synth knowledge base", collectionName)}
	}
	man, err := coll.GetByID(ctx, manifestID)
	if err != nil {
		return nil, &CorruptError{path, errors.New("no manifest: not a synth knowledge base")}
	}
	if f := man.Metadata[metaFormat]; f != snapshotFormat {
		return nil, &CorruptError{path, fmt.Errorf("format %q, this synth reads %q", f, snapshotFormat)}
	}
	dim, err := strconv.Atoi(man.Metadata[metaDim])
	if err != nil || dim < 0 || dim > 1<<20 {
		return nil, &CorruptError{path, fmt.Errorf("bad dimension %q in manifest", man.Metadata[metaDim])}
	}
	st := &state{db: db, coll: coll, embedder: man.Metadata[metaEmbedder], dim: dim, stamp: stamp, loaded: true}
	docs, err := allChunks(ctx, coll, dim)
	if err != nil {
		return nil, &CorruptError{path, err}
	}
	if err := st.rebuild(docs); err != nil {
		return nil, &CorruptError{path, err}
	}
	return st, nil
}

// allChunks lists every chunk document of the collection. chromem-go v0.7.0
// has no list call; an exhaustive query that returns all of them is one.
func allChunks(ctx context.Context, coll *chromem.Collection, dim int) ([]chromem.Result, error) {
	n := coll.Count() - 1 // the manifest
	if n <= 0 {
		return nil, nil
	}
	if dim <= 0 {
		return nil, fmt.Errorf("%d chunks but dimension %d", n, dim)
	}
	q := make([]float32, dim)
	q[0] = 1
	res, err := coll.QueryEmbedding(ctx, q, n, map[string]string{metaKind: kindChunk}, nil)
	if err != nil {
		return nil, fmt.Errorf("read chunks: %w", err)
	}
	if len(res) != n {
		return nil, fmt.Errorf("read %d chunks of %d", len(res), n)
	}
	return res, nil
}

// rebuild sorts documents into chunk order and builds the matrix.
func (st *state) rebuild(docs []chromem.Result) error {
	type row struct {
		c    dataset.Chunk
		seq  int
		hash string
		vec  []float32
	}
	rows := make([]row, len(docs))
	for i, d := range docs {
		seq, err := strconv.Atoi(d.Metadata[metaSeq])
		if err != nil || d.Metadata[metaDoc] == "" || d.Metadata[metaHash] == "" {
			return fmt.Errorf("chunk %s: incomplete metadata", d.ID)
		}
		if len(d.Embedding) != st.dim {
			return fmt.Errorf("chunk %s: vector of %d dimensions, want %d", d.ID, len(d.Embedding), st.dim)
		}
		rows[i] = row{
			c:    dataset.Chunk{ID: d.ID, Doc: d.Metadata[metaDoc], Heading: d.Metadata[metaHeading], Text: d.Content},
			seq:  seq,
			hash: d.Metadata[metaHash],
			vec:  d.Embedding,
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].c.Doc != rows[j].c.Doc {
			return rows[i].c.Doc < rows[j].c.Doc
		}
		if rows[i].seq != rows[j].seq {
			return rows[i].seq < rows[j].seq
		}
		return rows[i].c.ID < rows[j].c.ID
	})
	chunks := make([]dataset.Chunk, len(rows))
	vecs := make([][]float32, len(rows))
	st.hashes = make([]string, len(rows))
	for i, r := range rows {
		chunks[i], vecs[i], st.hashes[i] = r.c, r.vec, r.hash
	}
	m, err := NewMatrix(chunks, vecs)
	if err != nil {
		return err
	}
	st.matrix = m
	return nil
}

// write saves the database as one gzip snapshot: exported into a temporary
// file in the same directory, synced, then renamed over path, so readers
// only ever see a complete file.
func (st *state) write(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// chromem's own gzip (ExportToFile with compress) uses the default
	// level: 1.4 s of CPU for 10k chunks of 512 dimensions here, which alone
	// misses the 10,000 chunks/s target. Vectors barely compress, so we write
	// the same format (ImportFromFile detects gzip, and reads multi-member
	// files) with Huffman-only compression in parallel blocks: 0.17 s of CPU,
	// a file 2x larger (28 MB instead of 13 MB for 10k chunks; BestSpeed
	// would give 15 MB for 0.4 s). See docs/knowledge-base.md.
	gz := newParallelGzip(tmp, gzip.HuffmanOnly, runtime.GOMAXPROCS(0), 1<<20)
	if err := st.db.ExportToWriter(gz, false, "", collectionName); err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write knowledge base: %w", err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable; not all systems support it
		d.Close()
	}
	st.stamp, _ = stampOf(path)
	st.loaded = true
	return nil
}
