package retrieval

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/synth-dev/synth/retrieval/wordvecs"
)

// Settings of the glove provider, chosen on the labelled questions in
// testdata/retrieval (TestGloVeExperiment; figures in docs/knowledge-base.md).
const (
	DefaultGloVeMix = 0.7
	DefaultGloVeSIF = 1e-4
)

// GloVe embeds a text as the frequency-weighted average of its words'
// pre-trained GloVe vectors (SIF weighting: a/(a+p(w)), with p(w) estimated
// from the word's frequency rank), concatenated with the builtin hashed
// features so that words missing from the table (product names, ids) still
// count. The cosine of two GloVe vectors is Mix times the word-vector cosine
// plus (1 − Mix) times the hashed-feature cosine.
type GloVe struct {
	table *wordvecs.Table
	name  string
	hash  *Builtin
	mix   float64
	a     float64
	pool  sync.Pool // *gloveScratch
}

type gloveScratch struct {
	word []byte
	g    []float32
}

// GloVeOptions tune the GloVe embedder.
type GloVeOptions struct {
	// HashDim is the dimension of the hashed-feature part (0: none).
	HashDim int
	// Mix is the share of the word-vector cosine, in (0, 1].
	Mix float64
	// SIF is the smoothing constant a of the weights a/(a+p(w)).
	SIF float64
}

// NewGloVe returns a GloVe embedder over table, named name in its id.
func NewGloVe(table *wordvecs.Table, name string, o GloVeOptions) (*GloVe, error) {
	if o.Mix <= 0 || o.Mix > 1 {
		return nil, fmt.Errorf("glove embedder: mix must be in (0, 1], got %g", o.Mix)
	}
	if o.SIF <= 0 {
		return nil, fmt.Errorf("glove embedder: sif must be positive, got %g", o.SIF)
	}
	g := &GloVe{table: table, name: name, mix: o.Mix, a: o.SIF}
	if o.HashDim > 0 {
		h, err := NewBuiltin(o.HashDim)
		if err != nil {
			return nil, err
		}
		g.hash = h
	} else if o.Mix != 1 {
		return nil, fmt.Errorf("glove embedder: mix must be 1 without hashed features")
	}
	return g, nil
}

// Dim returns the vector dimension.
func (g *GloVe) Dim() int {
	d := g.table.Dim()
	if g.hash != nil {
		d += g.hash.Dim()
	}
	return d
}

// EmbedderID names the vector space.
func (g *GloVe) EmbedderID() string {
	id := "glove/" + g.name + "/sif=" + strconv.FormatFloat(g.a, 'g', -1, 64) +
		"/mix=" + strconv.FormatFloat(g.mix, 'g', -1, 64)
	if g.hash != nil {
		id += "+" + g.hash.EmbedderID()
	}
	return id
}

// Embed returns one unit vector per text.
func (g *GloVe) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	dim := g.Dim()
	out := make([][]float32, len(texts))
	slab := make([]float32, len(texts)*dim)
	for i := range texts {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out[i] = slab[i*dim : (i+1)*dim : (i+1)*dim]
		g.embedTo(out[i], texts[i])
	}
	return out, nil
}

func (g *GloVe) embedTo(dst []float32, text string) {
	s, _ := g.pool.Get().(*gloveScratch)
	if s == nil {
		s = &gloveScratch{g: make([]float32, g.table.Dim())}
	}
	gd := g.table.Dim()
	wv := dst[:gd]
	clear(wv)
	s.word = forEachWord(text, s.word, func(w []byte) {
		i, ok := g.table.Lookup(w)
		if !ok {
			return
		}
		// Unit word vectors, SIF-weighted.
		g.table.AddUnitTo(wv, i, float32(g.a/(g.a+g.table.Prob(i))))
	})
	g.pool.Put(s)
	hasWords := Normalize(wv) == nil
	if g.hash == nil {
		if !hasWords {
			// No known word: fall back to a fixed unit vector.
			wv[0] = 1
		}
		return
	}
	hv := dst[gd:]
	g.hash.EmbedTo(hv, text)
	a, b := float32(math.Sqrt(g.mix)), float32(math.Sqrt(1-g.mix))
	for i := range wv {
		wv[i] *= a
	}
	for i := range hv {
		hv[i] *= b
	}
	_ = Normalize(dst)
}

// forEachWord calls fn with each lowercased word (a run of letters and
// digits) of text; buf is scratch space, returned for reuse.
func forEachWord(text string, buf []byte, fn func(w []byte)) []byte {
	w := buf[:0]
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				w = append(w, c)
			case 'A' <= c && c <= 'Z':
				w = append(w, c+('a'-'A'))
			default:
				if len(w) > 0 {
					fn(w)
					w = w[:0]
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			w = utf8.AppendRune(w, unicode.ToLower(r))
		} else if len(w) > 0 {
			fn(w)
			w = w[:0]
		}
	}
	if len(w) > 0 {
		fn(w)
	}
	return w
}
