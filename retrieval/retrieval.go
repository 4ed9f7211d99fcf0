package retrieval

import (
	"context"

	"github.com/synth-dev/synth/dataset"
)

// Embedder turns texts into vectors. Vectors must be L2-normalised (unit
// length): the store compares them by dot product.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Searcher finds the chunks most relevant to a query, best first.
type Searcher interface {
	Search(ctx context.Context, query string, k int) ([]dataset.Chunk, error)
}

// Corpus gives read access to every chunk in the knowledge base, for checks
// that must see all of the docs (does this link exist anywhere?).
type Corpus interface {
	Chunks() []dataset.Chunk
}
