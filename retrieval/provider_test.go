package retrieval

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/synth-dev/synth/llm/llmtest"
)

func TestOpenAIEmbedder(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAuth("sk-test"), llmtest.WithEmbeddingDim(64))
	cfg := EmbedderConfig{Provider: ProviderOpenAI, Model: "text-embedding-3-small", BaseURL: srv.URL(),
		APIKeyEnv: "TEST_EMBED_KEY", BatchSize: 3, Concurrency: 2}
	getenv := func(k string) string {
		if k == "TEST_EMBED_KEY" {
			return "sk-test"
		}
		return ""
	}
	e, err := NewEmbedder(cfg, getenv, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a", "b\nwith newline", "c", "d", "e", "", "g"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		want := llmtest.Embed(texts[i], 64)
		if texts[i] == "" {
			want = llmtest.Embed(" ", 64)
		}
		if len(v) != 64 || cos(v, want) < 0.9999 {
			t.Errorf("vector %d is not the server's vector for %q (in order)", i, texts[i])
		}
	}
	if n := srv.Count("/v1/embeddings"); n != 3 {
		t.Errorf("%d requests for 7 texts in batches of 3, want 3", n)
	}
	for _, r := range srv.Log() {
		if r.Embedding == nil || r.Embedding.Model != "text-embedding-3-small" || len(r.Embedding.Input) > 3 {
			t.Errorf("bad request: %s", r.Body)
		}
		if r.Header.Get("Authorization") != "Bearer sk-test" {
			t.Errorf("auth header %q", r.Header.Get("Authorization"))
		}
	}
	if got := texts[1]; got != "b\nwith newline" {
		t.Errorf("caller's slice modified: %q", got)
	}
	if id := EmbedderID(e); !strings.HasPrefix(id, "openai/text-embedding-3-small@127.0.0.1:") || strings.Contains(id, "sk-test") {
		t.Errorf("id = %q", id)
	}
}

func TestOpenAIEmbedderDimensionsAndErrors(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAuth("sk-test"))
	base := EmbedderConfig{Provider: ProviderOpenAI, Model: "m", BaseURL: srv.URL(), APIKeyEnv: "K", BatchSize: 8}
	key := func(string) string { return "sk-test" }

	t.Run("dimensions are sent", func(t *testing.T) {
		cfg := base
		cfg.Dim = 32
		e, err := NewEmbedder(cfg, key, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		v, err := EmbedOne(context.Background(), e, "x")
		if err != nil || len(v) != 32 {
			t.Fatalf("len %d, %v", len(v), err)
		}
		if !strings.Contains(EmbedderID(e), "/dim=32/") {
			t.Errorf("id %q lacks the dimension", EmbedderID(e))
		}
	})
	t.Run("missing key", func(t *testing.T) {
		_, err := NewEmbedder(base, func(string) string { return "" }, srv.Client())
		if err == nil || !strings.Contains(err.Error(), "K is not set") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("wrong key is an error that does not leak the key", func(t *testing.T) {
		e, _ := NewEmbedder(base, func(string) string { return "sk-wrong-secret" }, srv.Client())
		_, err := e.Embed(context.Background(), []string{"x"})
		if err == nil || strings.Contains(err.Error(), "sk-wrong-secret") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		srv.Enqueue("/v1/embeddings", llmtest.ServerError())
		e, _ := NewEmbedder(base, key, srv.Client())
		if _, err := e.Embed(context.Background(), []string{"x"}); err == nil {
			t.Error("want an error")
		}
	})
	t.Run("malformed response", func(t *testing.T) {
		srv.Enqueue("/v1/embeddings", llmtest.Malformed())
		e, _ := NewEmbedder(base, key, srv.Client())
		if _, err := e.Embed(context.Background(), []string{"x"}); err == nil {
			t.Error("want an error")
		}
	})
}

// Vectors that are not unit length (as some models return) are normalised;
// a zero vector or a short answer is an error.
func TestProviderNormalises(t *testing.T) {
	srv := llmtest.NewServer(t)
	var mode atomic.Value
	mode.Store("")
	srv.Route("POST /raw/v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := llmtest.ParseEmbeddingRequest(body)
		var data []map[string]any
		for i := range req.Input {
			vec := []float32{3, 4}
			if mode.Load() == "zero" {
				vec = []float32{0, 0}
			}
			data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": vec})
		}
		if mode.Load() == "short" {
			data = data[:len(data)-1]
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
	})
	e, err := NewProvider(EmbedderConfig{Provider: ProviderOpenAI, Model: "m", BaseURL: srv.Root() + "/raw/v1", BatchSize: 10}, "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.Embed(context.Background(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(vs[1][0])-0.6) > 1e-6 || math.Abs(float64(vs[1][1])-0.8) > 1e-6 {
		t.Errorf("not normalised: %v", vs[1])
	}
	mode.Store("zero")
	if _, err := e.Embed(context.Background(), []string{"a"}); err == nil || !strings.Contains(err.Error(), "zero length") {
		t.Errorf("zero vector: %v", err)
	}
	mode.Store("short")
	if _, err := e.Embed(context.Background(), []string{"a", "b"}); err == nil {
		t.Error("short answer: want an error")
	}
}

// Ollama's /api/embed, served on the fake server: one request per text.
func TestOllamaEmbedder(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Route("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
			Input string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "nomic-embed-text" {
			http.Error(w, `{"error":"bad request"}`, 400)
			return
		}
		v := llmtest.Embed(req.Input, 16)
		for i := range v {
			v[i] *= 7 // not unit length
		}
		json.NewEncoder(w).Encode(map[string]any{"model": req.Model, "embeddings": [][]float32{v}})
	})
	e, err := NewEmbedder(EmbedderConfig{Provider: ProviderOllama, Model: "nomic-embed-text", BaseURL: srv.Root(), Concurrency: 3}, nil, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"one", "two", "three", "four", "five"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if cos(v, llmtest.Embed(texts[i], 16)) < 0.9999 || math.Abs(norm(v)-1) > 1e-5 {
			t.Errorf("vector %d wrong or not unit length", i)
		}
	}
	if n := srv.Count("/api/embed"); n != len(texts) {
		t.Errorf("%d requests, want %d", n, len(texts))
	}
	if !strings.HasPrefix(EmbedderID(e), "ollama/nomic-embed-text@") {
		t.Errorf("id %q", EmbedderID(e))
	}
}

// A knowledge base indexed through the fake server searches like any other.
func TestKBWithProviderEmbedder(t *testing.T) {
	srv := llmtest.NewServer(t)
	dir := writeTree(t, map[string]string{"docs/a.md": "# A\n\nalpha\n", "docs/b.md": "# B\n\nbeta\n"})
	cfg := DefaultConfig()
	cfg.Embedder = EmbedderConfig{Provider: ProviderOpenAI, Model: "m", BaseURL: srv.URL(), BatchSize: 64}
	kb, err := Open(dir, cfg, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := kb.Index(context.Background())
	if err != nil || st.Embedded != 2 || st.EmbedCalls != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	// The fake embeds by exact text: the chunk's own text finds it.
	res, err := kb.Search(context.Background(), "B\n\nbeta", 1)
	if err != nil || len(res) != 1 || res[0].Doc != "docs/b.md" || res[0].Score < 0.999 {
		t.Fatalf("%+v %v", res, err)
	}
}
