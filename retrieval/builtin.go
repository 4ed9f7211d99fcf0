package retrieval

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Limits on the builtin embedder's dimension.
const (
	DefaultDim = 512
	MinDim     = 16
	MaxDim     = 8192
)

// builtinVersion names the feature set and weights; bump it whenever the
// vectors for the same text change, so stored vectors get recomputed.
const builtinVersion = "hash-v1"

// hashWeights are the builtin embedder's feature weights.
type hashWeights struct {
	word, stop, bigram, char float32
}

// defaultWeights were tuned on the labelled questions in testdata/retrieval
// (see docs/knowledge-base.md).
var defaultWeights = hashWeights{word: 1.0, stop: 0.15, bigram: 0.15, char: 0.5}

const (
	minCharGrams = 3
	maxCharGrams = 5
	maxGramWord  = 40 // longer "words" (ids, hashes) get no character n-grams
)

// Builtin is the offline embedder: deterministic feature hashing of word
// unigrams, word bigrams and character 3–5-grams within words (so "delete"
// and "deleting" share features), each weighted by sublinear term frequency
// (1 + ln tf), stopwords down-weighted, signed-hashed into Dim buckets and
// L2-normalised. It needs no model or network, is safe for concurrent use,
// and embeds large batches on all cores.
type Builtin struct {
	dim  int
	w    hashWeights
	pool sync.Pool // *featureTable
}

var _ Embedder = (*Builtin)(nil)

// NewBuiltin returns the builtin embedder with vectors of dim dimensions.
func NewBuiltin(dim int) (*Builtin, error) {
	if dim < MinDim || dim > MaxDim {
		return nil, fmt.Errorf("builtin embedder: dim must be between %d and %d, got %d", MinDim, MaxDim, dim)
	}
	return &Builtin{dim: dim, w: defaultWeights}, nil
}

// Dim returns the vector dimension.
func (b *Builtin) Dim() int { return b.dim }

// EmbedderID names the vector space: "builtin/hash-v1/dim=512".
func (b *Builtin) EmbedderID() string {
	return "builtin/" + builtinVersion + "/dim=" + strconv.Itoa(b.dim)
}

// Embed returns one unit vector per text. Large batches are spread over
// GOMAXPROCS goroutines; all vectors share one backing array.
func (b *Builtin) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	slab := make([]float32, len(texts)*b.dim)
	for i := range out {
		out[i] = slab[i*b.dim : (i+1)*b.dim : (i+1)*b.dim]
	}
	workers := min(runtime.GOMAXPROCS(0), (len(texts)+31)/32)
	if workers <= 1 {
		for i, t := range texts {
			if i%64 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			b.EmbedTo(out[i], t)
		}
		return out, nil
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	const batch = 16
	go func() {
		defer close(next)
		for i := 0; i < len(texts); i += batch {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				for i := start; i < min(start+batch, len(texts)); i++ {
					b.EmbedTo(out[i], texts[i])
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// EmbedTo writes the unit vector of text into dst, which must have Dim
// elements. It allocates nothing in the steady state.
func (b *Builtin) EmbedTo(dst []float32, text string) {
	dst = dst[:b.dim]
	clear(dst)
	t, _ := b.pool.Get().(*featureTable)
	if t == nil {
		t = &featureTable{}
	}
	t.reset(len(text))
	extractFeatures(t, text, &b.w)
	if len(t.used) == 0 {
		t.add(hashString(seedEmpty, ""), 1)
	}
	for _, slot := range t.used {
		k := t.keys[slot]
		// Explicit conversions keep the compiler from fusing multiply-adds,
		// so the vector's bits are the same on every architecture.
		w := float32(t.w[slot] * sublinear(t.cnt[slot]))
		idx, _ := bits.Mul64(k, uint64(b.dim))
		if k&1 != 0 {
			w = -w
		}
		dst[idx] += w
	}
	if err := Normalize(dst); err != nil {
		// Signed features can cancel exactly; fall back to unsigned.
		for _, slot := range t.used {
			idx, _ := bits.Mul64(t.keys[slot], uint64(b.dim))
			dst[idx] += t.w[slot]
		}
		_ = Normalize(dst)
	}
	b.pool.Put(t)
}

// Seeds keep the feature kinds apart in hash space.
const (
	seedWord  uint64 = 0x9e3779b97f4a7c15
	seedChar  uint64 = 0xc2b2ae3d27d4eb4f
	seedEmpty uint64 = 0x165667b19e3779f9
	fnvPrime  uint64 = 0x100000001b3
)

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	if h == 0 {
		h = 1
	}
	return h
}

func hashString(seed uint64, s string) uint64 {
	h := seed
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mix(h)
}

func hashBytes(seed uint64, s []byte) uint64 {
	h := seed
	for _, c := range s {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return mix(h)
}

var sublinearTable = func() (t [64]float32) {
	for i := 1; i < len(t); i++ {
		t[i] = float32(1 + math.Log(float64(i)))
	}
	return t
}()

func sublinear(n uint32) float32 {
	if n < uint32(len(sublinearTable)) {
		return sublinearTable[n]
	}
	return float32(1 + math.Log(float64(n)))
}

// featureTable counts hashed features of one text: open addressing over
// power-of-two arrays, reused across texts through a sync.Pool.
type featureTable struct {
	keys []uint64
	cnt  []uint32
	w    []float32
	used []int32
	mask uint64
	// scratch for tokenising
	word []byte
	pad  []byte
	pos  []int
}

func (t *featureTable) reset(textLen int) {
	for _, s := range t.used {
		t.keys[s] = 0
	}
	t.used = t.used[:0]
	want := 64
	for want < 4*textLen && want < 1<<20 {
		want <<= 1
	}
	if len(t.keys) < want {
		t.keys = make([]uint64, want)
		t.cnt = make([]uint32, want)
		t.w = make([]float32, want)
		t.mask = uint64(want - 1)
	}
}

func (t *featureTable) add(k uint64, w float32) {
	if len(t.used)*2 >= len(t.keys) {
		t.grow()
	}
	i := (k >> 7) & t.mask
	for {
		switch t.keys[i] {
		case k:
			t.cnt[i]++
			return
		case 0:
			t.keys[i] = k
			t.cnt[i] = 1
			t.w[i] = w
			t.used = append(t.used, int32(i))
			return
		}
		i = (i + 1) & t.mask
	}
}

func (t *featureTable) grow() {
	keys, cnt, w, used := t.keys, t.cnt, t.w, t.used
	n := len(keys) * 2
	t.keys = make([]uint64, n)
	t.cnt = make([]uint32, n)
	t.w = make([]float32, n)
	t.used = make([]int32, 0, len(used)*2)
	t.mask = uint64(n - 1)
	for _, s := range used {
		k := keys[s]
		i := (k >> 7) & t.mask
		for t.keys[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.keys[i], t.cnt[i], t.w[i] = k, cnt[s], w[s]
		t.used = append(t.used, int32(i))
	}
}

// extractFeatures adds the features of text to t.
func extractFeatures(t *featureTable, text string, wt *hashWeights) {
	var prev uint64
	prevStop := true
	havePrev := false
	word := t.word[:0]
	flush := func() {
		if len(word) == 0 {
			return
		}
		w := word
		word = word[:0]
		if len(w) == 1 && (w[0] < '0' || w[0] > '9') {
			return // single letters carry nothing
		}
		h := hashBytes(seedWord, w)
		stop := isStopword(w)
		if stop {
			t.add(h, wt.stop)
		} else {
			t.add(h, wt.word)
		}
		if havePrev && !(stop && prevStop) && wt.bigram > 0 {
			t.add(mix(prev*31+h), wt.bigram)
		}
		prev, prevStop, havePrev = h, stop, true
		if !stop && !allDigits(w) && wt.char > 0 {
			t.charGrams(w, wt.char)
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				word = append(word, c)
			case 'A' <= c && c <= 'Z':
				word = append(word, c+('a'-'A'))
			default:
				flush()
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			word = utf8.AppendRune(word, unicode.ToLower(r))
		} else {
			flush()
		}
	}
	flush()
	t.word = word
}

// charGrams adds the 3–5-grams of "<word>", counted in runes.
func (t *featureTable) charGrams(w []byte, weight float32) {
	pad := append(t.pad[:0], '<')
	pad = append(pad, w...)
	pad = append(pad, '>')
	t.pad = pad
	pos := t.pos[:0]
	for i := range pad {
		if utf8.RuneStart(pad[i]) {
			pos = append(pos, i)
		}
	}
	pos = append(pos, len(pad))
	t.pos = pos
	nr := len(pos) - 1
	if nr-2 > maxGramWord {
		return
	}
	for i := 0; i+minCharGrams <= nr; i++ {
		h := seedChar
		for j := pos[i]; j < pos[i+minCharGrams-1]; j++ {
			h ^= uint64(pad[j])
			h *= fnvPrime
		}
		for n := minCharGrams; n <= maxCharGrams && i+n <= nr; n++ {
			for j := pos[i+n-1]; j < pos[i+n]; j++ {
				h ^= uint64(pad[j])
				h *= fnvPrime
			}
			t.add(mix(h), weight)
		}
	}
}

func allDigits(w []byte) bool {
	for _, c := range w {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isStopword(w []byte) bool {
	if len(w) > 10 {
		return false
	}
	_, ok := stopwords[string(w)]
	return ok
}

// stopwords are common English function words; they are kept (so "not" and
// "how" still count a little) but weigh little and get no character n-grams.
var stopwords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range []string{
		"a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
		"be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
		"can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further",
		"had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
		"i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself",
		"no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
		"out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
		"theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
		"under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
		"whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves",
		"s", "t", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "can't", "cannot", "ll", "re", "ve", "d", "m",
	} {
		m[w] = struct{}{}
	}
	return m
}()
