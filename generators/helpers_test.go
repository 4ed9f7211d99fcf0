package generators

import (
	"context"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/retrieval"
)

// testChunks returns the chunks of testdata/docs, as the knowledge base would.
func testChunks(t testing.TB) []dataset.Chunk {
	t.Helper()
	docs, err := retrieval.LoadDocs("testdata", []string{"docs/*.md"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := retrieval.NewChunker(800, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []dataset.Chunk
	for _, d := range docs {
		out = append(out, c.Chunk(d)...)
	}
	return out
}

// chunkCorpus is a fixed retrieval.Corpus.
type chunkCorpus []dataset.Chunk

func (c chunkCorpus) Chunks() []dataset.Chunk { return c }

// testModel opens an OpenAI-compatible client on the fake server srv.
func testModel(t testing.TB, srv *llmtest.Server) llm.Model {
	t.Helper()
	m, err := llm.Open(context.Background(), "gen", llm.Config{
		Provider: llm.ProviderOpenAI, Model: "llmtest", BaseURL: srv.URL(),
		Timeout: 5 * time.Second, Concurrency: 4, MaxRetries: 1,
	}, llm.OpenOptions{
		LookupEnv: func(string) (string, bool) { return "sk-test", true },
		Sleep:     func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testSeed(chunks []dataset.Chunk) Seed {
	return Seed{
		Failure: Failure{ID: "password-forgot", Question: "forgot my password, what do i do", Gold: []string{"Go to the reset page."}, Label: dataset.Refused, Tags: []string{"password"}},
		Chunks:  chunks,
		Round:   1,
		N:       2,
	}
}
