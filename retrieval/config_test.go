package retrieval

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/spec"
)

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]any
		want    func(*Config)
		wantErr []string // each must appear in the error
	}{
		{name: "empty gives defaults", in: nil, want: func(*Config) {}},
		{
			name: "full builtin",
			in: map[string]any{
				"docs":     []any{"docs/**/*.md", "faq.html"},
				"embedder": map[string]any{"provider": "builtin", "dim": 256},
				"chunk":    map[string]any{"size": 400, "overlap": 50},
				"store":    ".synth/other.gob.gz",
			},
			want: func(c *Config) {
				c.Docs = []string{"docs/**/*.md", "faq.html"}
				c.Embedder.Dim = 256
				c.Chunk = ChunkConfig{400, 50}
				c.Store = ".synth/other.gob.gz"
			},
		},
		{
			name: "docs as one string",
			in:   map[string]any{"docs": "help/*.txt"},
			want: func(c *Config) { c.Docs = []string{"help/*.txt"} },
		},
		{
			name: "glove",
			in:   map[string]any{"embedder": map[string]any{"provider": "glove"}},
			want: func(c *Config) { c.Embedder.Provider = ProviderGloVe },
		},
		{
			name: "openai defaults",
			in:   map[string]any{"embedder": map[string]any{"provider": "openai"}},
			want: func(c *Config) {
				c.Embedder = EmbedderConfig{Provider: ProviderOpenAI, Model: DefaultOpenAIModel, BaseURL: DefaultOpenAIBaseURL,
					APIKeyEnv: DefaultOpenAIKeyEnv, BatchSize: DefaultBatchSize, Concurrency: DefaultEmbedParallel, Timeout: DefaultEmbedTimeout}
			},
		},
		{
			name: "openai-compatible local server needs no key",
			in: map[string]any{"embedder": map[string]any{"provider": "openai", "model": "bge-small", "base_url": "http://localhost:8080/v1",
				"batch_size": 16, "timeout": "5s", "dim": 384}},
			want: func(c *Config) {
				c.Embedder = EmbedderConfig{Provider: ProviderOpenAI, Model: "bge-small", BaseURL: "http://localhost:8080/v1", Dim: 384,
					BatchSize: 16, Concurrency: DefaultEmbedParallel, Timeout: 5 * time.Second}
			},
		},
		{
			name: "ollama",
			in:   map[string]any{"embedder": map[string]any{"provider": "ollama", "model": "nomic-embed-text", "concurrency": 2}},
			want: func(c *Config) {
				c.Embedder = EmbedderConfig{Provider: ProviderOllama, Model: "nomic-embed-text", BaseURL: DefaultOllamaBaseURL,
					BatchSize: DefaultBatchSize, Concurrency: 2, Timeout: DefaultEmbedTimeout}
			},
		},
		{
			name: "small chunk size lowers the default overlap",
			in:   map[string]any{"chunk": map[string]any{"size": 100}},
			want: func(c *Config) { c.Chunk = ChunkConfig{100, 25} },
		},
		{name: "chunk size too small", in: map[string]any{"chunk": map[string]any{"size": 10}},
			wantErr: []string{"knowledge.chunk.size: must be at least 50, got 10"}},
		{name: "overlap too large", in: map[string]any{"chunk": map[string]any{"size": 100, "overlap": 60}},
			wantErr: []string{"knowledge.chunk.overlap: must be between 0 and half of chunk.size (50), got 60"}},
		{name: "unknown provider", in: map[string]any{"embedder": map[string]any{"provider": "magic"}},
			wantErr: []string{"knowledge.embedder.provider: must be one of builtin, glove, openai, ollama"}},
		{name: "dim out of range", in: map[string]any{"embedder": map[string]any{"dim": 4}},
			wantErr: []string{"knowledge.embedder.dim: must be between 16 and 8192"}},
		{name: "ollama needs a model", in: map[string]any{"embedder": map[string]any{"provider": "ollama"}},
			wantErr: []string{"knowledge.embedder.model: is required"}},
		{name: "keys builtin does not take", in: map[string]any{"embedder": map[string]any{"model": "x", "base_url": "y"}},
			wantErr: []string{"knowledge.embedder.base_url: unknown parameter", "knowledge.embedder.model: unknown parameter"}},
		{name: "typo at the top", in: map[string]any{"doc": []any{"x"}},
			wantErr: []string{"knowledge.doc: unknown parameter"}},
		{name: "bad types", in: map[string]any{"docs": []any{"a", 3}, "chunk": map[string]any{"size": "big"}, "embedder": "builtin"},
			wantErr: []string{"knowledge.docs[1]: must be a string", "knowledge.chunk.size: must be an integer", "knowledge.embedder: must be a mapping"}},
		{name: "empty docs entry", in: map[string]any{"docs": []any{""}},
			wantErr: []string{"knowledge.docs[0]: must not be empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeConfig(spec.NewParams("knowledge", tt.in))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want errors %q, got %+v", tt.wantErr, got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeAndOpen(t *testing.T) {
	dir := writeTree(t, helpDocs)
	kb, err := DecodeAndOpen(dir, spec.NewParams("knowledge", map[string]any{"docs": "docs/*.md", "embedder": map[string]any{"dim": 64}}))
	if err != nil {
		t.Fatal(err)
	}
	if kb.EmbedderID() != "builtin/hash-v1/dim=64" || kb.SnapshotPath() != dir+"/.synth/kb.gob.gz" {
		t.Errorf("%s %s", kb.EmbedderID(), kb.SnapshotPath())
	}
	if _, err := DecodeAndOpen(dir, spec.NewParams("knowledge", map[string]any{"chunk": map[string]any{"size": 1}})); err == nil {
		t.Error("want an error")
	}
}

func FuzzDecodeConfig(f *testing.F) {
	for _, s := range []string{
		`{"docs":["docs/**/*.md"],"embedder":{"provider":"builtin","dim":256},"chunk":{"size":400,"overlap":50}}`,
		`{"docs":"x","embedder":{"provider":"openai","model":"e","base_url":"http://h/v1","api_key_env":"K","dim":-1}}`,
		`{"chunk":{"size":10,"overlap":20},"store":7}`,
		`{"embedder":"builtin","docs":[1,null,{}]}`,
		`{"embedder":{"provider":"glove","dim":99999}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if json.Unmarshal([]byte(src), &m) != nil {
			return
		}
		c, err := DecodeConfig(spec.NewParams("knowledge", m))
		if err != nil {
			if !strings.Contains(err.Error(), "knowledge") {
				t.Fatalf("error without its key path: %v", err)
			}
			return
		}
		if c.Chunk.Size > 0 && c.Chunk.Overlap >= c.Chunk.Size {
			t.Fatalf("accepted overlap %d ≥ size %d", c.Chunk.Overlap, c.Chunk.Size)
		}
	})
}
