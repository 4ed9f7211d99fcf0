package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/synth-dev/synth/retrieval/wordvecs"
)

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func cos(a, b []float32) float64 { return float64(Dot(a, b)) }

func vecHash(v []float32) string {
	h := sha256.New()
	for _, x := range v {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// The builtin embedder's vectors are fixed: same text, same bits, in every
// run and on every machine. If this test fails after a deliberate change to
// the features or weights, bump builtinVersion (stored vectors must be
// recomputed) and update the hashes.
func TestBuiltinDeterministic(t *testing.T) {
	b, err := NewBuiltin(DefaultDim)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"How do I reset my password?":                "",
		"Go to Settings > Account > Delete account.": "",
		"":                              "",
		"Ünïcödé wörds ünd 123 numbers": "",
	}
	for text := range want {
		v, err := EmbedOne(context.Background(), b, text)
		if err != nil {
			t.Fatal(err)
		}
		want[text] = vecHash(v)
	}
	golden := map[string]string{
		"How do I reset my password?":                "bad74fed8bef3853",
		"Go to Settings > Account > Delete account.": "060f753610551ef4",
		"":                              "66dadcacf8cfc579",
		"Ünïcödé wörds ünd 123 numbers": "30c96b5ecd6722fd",
	}
	for text, h := range want {
		if golden[text] != h {
			t.Errorf("vector of %q hashes to %s, want %s", text, h, golden[text])
		}
	}
	if b.EmbedderID() != "builtin/hash-v1/dim=512" {
		t.Errorf("id = %q", b.EmbedderID())
	}
}

func TestBuiltinProperties(t *testing.T) {
	b, _ := NewBuiltin(256)
	ctx := context.Background()
	texts := []string{
		"How do I delete my account?",
		"Deleting your account: go to Settings > Account > Delete account.",
		"Our office is closed on public holidays.",
		"",
		"!!! ??? ...",
		strings.Repeat("password ", 5000),
		"x",
	}
	vs, err := b.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if len(v) != 256 {
			t.Fatalf("vector %d has %d dimensions", i, len(v))
		}
		if n := norm(v); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d (%q) has length %v", i, texts[i], n)
		}
	}
	if related, unrelated := cos(vs[0], vs[1]), cos(vs[0], vs[2]); related <= unrelated+0.1 {
		t.Errorf("related texts not closer: cos(related)=%.3f cos(unrelated)=%.3f", related, unrelated)
	}
	// Character n-grams: inflections share features.
	a, _ := EmbedOne(ctx, b, "deleting accounts")
	c, _ := EmbedOne(ctx, b, "delete account")
	d, _ := EmbedOne(ctx, b, "invoice download")
	if cos(a, c) <= cos(a, d)+0.2 {
		t.Errorf("inflections: cos=%.3f vs unrelated %.3f", cos(a, c), cos(a, d))
	}
	// Case and punctuation do not matter.
	e, _ := EmbedOne(ctx, b, "DELETE, account!")
	if cos(e, c) < 0.999 {
		t.Errorf("case/punctuation changed the vector: cos=%.4f", cos(e, c))
	}
}

// Batches (spread over goroutines) give exactly the vectors of single calls,
// and concurrent use is safe.
func TestBuiltinBatchMatchesSingle(t *testing.T) {
	b, _ := NewBuiltin(DefaultDim)
	texts := benchChunkTexts(300)
	batch, err := b.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]float32, DefaultDim)
			for i := w; i < len(texts); i += 4 {
				b.EmbedTo(dst, texts[i])
				if vecHash(dst) != vecHash(batch[i]) {
					t.Errorf("text %d: single and batch vectors differ", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestBuiltinCancelled(t *testing.T) {
	b, _ := NewBuiltin(DefaultDim)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Embed(ctx, benchChunkTexts(100)); err == nil {
		t.Error("want the context's error")
	}
}

func TestNewBuiltinDim(t *testing.T) {
	for _, d := range []int{0, 15, MaxDim + 1} {
		if _, err := NewBuiltin(d); err == nil {
			t.Errorf("NewBuiltin(%d) should fail", d)
		}
	}
}

func TestNormalize(t *testing.T) {
	v := []float32{3, 4}
	if err := Normalize(v); err != nil || v[0] != 0.6 || v[1] != 0.8 {
		t.Errorf("Normalize = %v, %v", v, err)
	}
	for _, bad := range [][]float32{{0, 0}, {float32(math.NaN()), 1}, {float32(math.Inf(1))}} {
		if err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%v) should fail", bad)
		}
	}
	if got := Dot([]float32{1, 2, 3, 4, 5}, []float32{5, 4, 3, 2, 1}); got != 35 {
		t.Errorf("Dot = %v", got)
	}
}

func TestGloVe(t *testing.T) {
	tab, err := wordvecs.Default()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 50000 || tab.Dim() != 100 {
		t.Fatalf("table has %d words of %d dimensions", tab.Len(), tab.Dim())
	}
	ctx := context.Background()
	words, err := NewGloVe(tab, wordvecs.DefaultName, GloVeOptions{Mix: 1, SIF: DefaultGloVeSIF})
	if err != nil {
		t.Fatal(err)
	}
	// Word vectors know synonyms that share no characters.
	a, _ := EmbedOne(ctx, words, "close my account")
	b, _ := EmbedOne(ctx, words, "delete my account")
	c, _ := EmbedOne(ctx, words, "upload a photo")
	if cos(a, b) <= cos(a, c)+0.1 {
		t.Errorf("close~delete %.3f not above close~upload %.3f", cos(a, b), cos(a, c))
	}
	refund, _ := EmbedOne(ctx, words, "refund")
	money, _ := EmbedOne(ctx, words, "money back")
	color, _ := EmbedOne(ctx, words, "color")
	if cos(refund, money) <= cos(refund, color) {
		t.Errorf("refund~money back %.3f not above refund~color %.3f", cos(refund, money), cos(refund, color))
	}

	g, err := NewEmbedder(EmbedderConfig{Provider: ProviderGloVe, Dim: 128}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := g.Embed(ctx, []string{"", "zzqx unknownword", "How do I export my notes?"})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if len(v) != 228 || math.Abs(norm(v)-1) > 1e-5 {
			t.Errorf("vector %d: %d dimensions, length %v", i, len(v), norm(v))
		}
	}
	if id := EmbedderID(g); id != "glove/glove-50k-100d/sif=0.0001/mix=0.7+builtin/hash-v1/dim=128" {
		t.Errorf("id = %q", id)
	}
	if _, err := NewGloVe(tab, "x", GloVeOptions{Mix: 0.5, SIF: 1e-4}); err == nil {
		t.Error("mix < 1 without hashed features should fail")
	}
}
