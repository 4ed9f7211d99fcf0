package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Identified is implemented by embedders that name their vector space. The
// id changes whenever the vectors would (provider, model, dimension, version
// of the algorithm), so it keys caches and tells the store when stored
// vectors must be recomputed.
type Identified interface {
	EmbedderID() string
}

// EmbedderID returns e's id when it implements [Identified], else its Go
// type, which is stable only within one build.
func EmbedderID(e Embedder) string {
	if id, ok := e.(Identified); ok {
		return id.EmbedderID()
	}
	return fmt.Sprintf("%T", e)
}

// ErrZeroVector is returned when an embedder gives a vector of length zero
// (or NaN), which cannot be normalised.
var ErrZeroVector = errors.New("embedding vector has zero length")

// Normalize scales v to unit length in place. It fails on zero, NaN or
// infinite vectors.
func Normalize(v []float32) error {
	var s float64
	for _, x := range v {
		s += float64(float64(x) * float64(x)) // no fused multiply-add: same bits everywhere
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return ErrZeroVector
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return nil
}

// Dot returns the dot product of two vectors of the same length: their
// cosine similarity when both are unit vectors.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// EmbedOne embeds a single text with e.
func EmbedOne(ctx context.Context, e Embedder, text string) ([]float32, error) {
	vs, err := e.Embed(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	if len(vs) != 1 {
		return nil, fmt.Errorf("embedder returned %d vectors for 1 text", len(vs))
	}
	return vs[0], nil
}
