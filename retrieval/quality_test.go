package retrieval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// labelled is one retrieval question with the document (and optionally the
// section) that answers it.
type labelled struct {
	Q       string `json:"q"`
	Doc     string `json:"doc"`
	Section string `json:"section"`
}

// supportDir is the example project whose docs the labelled questions are about.
const supportDir = "../examples/support"

func supportConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.Docs = []string{"docs/**/*.md", "docs/**/*.html", "docs/**/*.txt"}
	cfg.Store = t.TempDir() + "/kb.gob.gz"
	return cfg
}

// loadLabelled reads testdata/retrieval/questions.jsonl (paraphrased
// questions written for this test) and the example project's gold eval set
// (its "sources" name the answering document).
func loadLabelled(t testing.TB) (paraphrased, evalset []labelled) {
	f, err := os.Open("testdata/retrieval/questions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l labelled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		paraphrased = append(paraphrased, l)
	}
	g, err := os.Open(supportDir + "/evalset.jsonl")
	if err != nil {
		t.Skip("example project not present:", err)
	}
	defer g.Close()
	sc = bufio.NewScanner(g)
	for sc.Scan() {
		var it struct {
			Question string   `json:"question"`
			Sources  []string `json:"sources"`
		}
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatal(err)
		}
		if len(it.Sources) > 0 {
			evalset = append(evalset, labelled{Q: it.Question, Doc: it.Sources[0]})
		}
	}
	return paraphrased, evalset
}

// retrievalScores are recall@k of the answering document and section, and
// the mean reciprocal rank of the first hit of the document.
type retrievalScores struct {
	N                            int
	Doc1, Doc3, Doc5, Sec1, Sec3 float64
	MRR                          float64
}

func (s retrievalScores) String() string {
	return fmt.Sprintf("n=%d doc@1=%.3f doc@3=%.3f doc@5=%.3f sec@1=%.3f sec@3=%.3f mrr=%.3f",
		s.N, s.Doc1, s.Doc3, s.Doc5, s.Sec1, s.Sec3, s.MRR)
}

func scoreRetrieval(t testing.TB, kb *KB, qs []labelled) retrievalScores {
	t.Helper()
	var s retrievalScores
	for _, q := range qs {
		res, err := kb.Search(context.Background(), q.Q, 5)
		if err != nil {
			t.Fatal(err)
		}
		docRank, secRank := 0, 0
		for i, c := range res {
			if c.Doc == q.Doc {
				if docRank == 0 {
					docRank = i + 1
				}
				if secRank == 0 && strings.Contains(strings.ToLower(c.Heading), strings.ToLower(q.Section)) {
					secRank = i + 1
				}
			}
		}
		hit := func(rank, k int) float64 {
			if rank > 0 && rank <= k {
				return 1
			}
			return 0
		}
		s.Doc1 += hit(docRank, 1)
		s.Doc3 += hit(docRank, 3)
		s.Doc5 += hit(docRank, 5)
		s.Sec1 += hit(secRank, 1)
		s.Sec3 += hit(secRank, 3)
		if docRank > 0 {
			s.MRR += 1 / float64(docRank)
		}
		if testing.Verbose() && docRank != 1 {
			top := ""
			if len(res) > 0 {
				top = res[0].Doc + " [" + res[0].Heading + "]"
			}
			t.Logf("miss (rank %d): %q -> %s", docRank, q.Q, top)
		}
	}
	n := float64(len(qs))
	s.N = len(qs)
	s.Doc1, s.Doc3, s.Doc5, s.Sec1, s.Sec3, s.MRR = s.Doc1/n, s.Doc3/n, s.Doc5/n, s.Sec1/n, s.Sec3/n, s.MRR/n
	return s
}

func indexedSupport(t testing.TB, opts ...Option) *KB {
	t.Helper()
	kb, err := Open(supportDir, supportConfig(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Index(context.Background()); err != nil {
		t.Fatal(err)
	}
	return kb
}

// TestRetrievalQuality measures the builtin embedder on the labelled
// questions. The floors are well below the measured figures (see
// docs/knowledge-base.md); they catch a broken embedder or chunker.
func TestRetrievalQuality(t *testing.T) {
	para, gold := loadLabelled(t)
	kb := indexedSupport(t)
	p := scoreRetrieval(t, kb, para)
	g := scoreRetrieval(t, kb, gold)
	t.Logf("paraphrased: %v", p)
	t.Logf("eval set:    %v", g)
	if p.Doc3 < 0.6 || g.Doc3 < 0.8 {
		t.Errorf("retrieval recall@3 too low: paraphrased %.2f (floor 0.6), eval set %.2f (floor 0.8)", p.Doc3, g.Doc3)
	}
}

// TestTuneBuiltin prints retrieval figures over a grid of feature weights
// (run with SYNTH_TUNE=1 -v); it is how defaultWeights were chosen.
func TestTuneBuiltin(t *testing.T) {
	if os.Getenv("SYNTH_TUNE") == "" {
		t.Skip("set SYNTH_TUNE=1 to run the tuning grid")
	}
	para, gold := loadLabelled(t)
	all := append(append([]labelled(nil), para...), gold...)
	for _, stop := range []float32{0.15} {
		for _, bi := range []float32{0, 0.15, 0.3} {
			for _, ch := range []float32{0.5, 0.7, 1.0, 1.5} {
				b, _ := NewBuiltin(512)
				b.w = hashWeights{word: 1, stop: stop, bigram: bi, char: ch}
				kb := indexedSupport(t, WithEmbedder(b))
				s := scoreRetrieval(t, kb, all)
				t.Logf("stop=%.2f bigram=%.2f char=%.2f  %v", stop, bi, ch, s)
			}
		}
	}
}

// TestGloVeBeatsBuiltin is why the glove embedder and its 5 MB table are
// kept: on the paraphrased questions it must rank the answering document
// better than builtin.
func TestGloVeBeatsBuiltin(t *testing.T) {
	para, _ := loadLabelled(t)
	g, err := NewEmbedder(EmbedderConfig{Provider: ProviderGloVe, Dim: DefaultDim}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := scoreRetrieval(t, indexedSupport(t), para)
	gl := scoreRetrieval(t, indexedSupport(t, WithEmbedder(g)), para)
	t.Logf("builtin %v", b)
	t.Logf("glove   %v", gl)
	if gl.MRR < b.MRR+0.05 || gl.Doc1 < b.Doc1 {
		t.Errorf("glove no longer clearly better: MRR %.3f vs %.3f, recall@1 %.3f vs %.3f", gl.MRR, b.MRR, gl.Doc1, b.Doc1)
	}
}
