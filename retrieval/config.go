package retrieval

import (
	"errors"
	"time"

	"github.com/synth-dev/synth/spec"
)

// Embedder providers accepted in knowledge.embedder.provider.
const (
	ProviderBuiltin = "builtin"
	ProviderGloVe   = "glove"
	ProviderOpenAI  = "openai"
	ProviderOllama  = "ollama"
)

// Defaults of the knowledge section.
const (
	DefaultStore          = ".synth/kb.gob.gz"
	DefaultOpenAIModel    = "text-embedding-3-small"
	DefaultOpenAIBaseURL  = "https://api.openai.com/v1"
	DefaultOpenAIKeyEnv   = "OPENAI_API_KEY"
	DefaultOllamaBaseURL  = "http://localhost:11434"
	DefaultBatchSize      = 64
	DefaultEmbedTimeout   = 60 * time.Second
	DefaultEmbedParallel  = 4
	maxBatchSize          = 2048
	maxEmbedderConcurrent = 64
)

// Config is the `knowledge:` section of synth.yaml.
//
//	knowledge:
//	  docs: ["docs/**/*.md"]
//	  embedder: {provider: builtin, dim: 512}   # or openai / ollama with model, base_url, api_key_env
//	  chunk: {size: 800, overlap: 100}
//	  store: .synth/kb.gob.gz
type Config struct {
	// Docs are glob patterns of help documents, relative to the project
	// directory; "**" matches any number of directories.
	Docs []string
	// Embedder chooses how chunks and queries become vectors.
	Embedder EmbedderConfig
	// Chunk sets the chunk size and overlap, in characters.
	Chunk ChunkConfig
	// Store is the snapshot file, relative to the project directory.
	Store string
}

// EmbedderConfig is `knowledge.embedder`.
type EmbedderConfig struct {
	// Provider is builtin, glove (offline word vectors plus builtin
	// features), openai (any OpenAI-compatible endpoint) or ollama.
	Provider string
	// Dim is the vector dimension: of the hashed features for builtin and
	// glove (glove adds its 100 word-vector dimensions); for openai it is sent
	// as `dimensions` when set (0 = the model's own).
	Dim int
	// Model is the provider's embedding model.
	Model string
	// BaseURL is the provider endpoint.
	BaseURL string
	// APIKeyEnv names the environment variable holding the API key. The key
	// itself never appears in config, errors or logs.
	APIKeyEnv string
	// BatchSize is the number of texts per embedding request.
	BatchSize int
	// Concurrency bounds parallel requests (ollama embeds one text per request).
	Concurrency int
	// Timeout bounds one embedding request.
	Timeout time.Duration
}

// ChunkConfig is `knowledge.chunk`.
type ChunkConfig struct {
	// Size is the target chunk size in characters.
	Size int
	// Overlap is how many characters of a chunk's predecessor (in the same
	// section) it repeats at its start.
	Overlap int
}

// DefaultConfig returns the configuration used when the knowledge section
// is absent: docs/**/*.md, the builtin embedder at 512 dimensions, chunks
// of 800 characters with 100 of overlap.
func DefaultConfig() Config {
	return Config{
		Docs:     []string{"docs/**/*.md"},
		Embedder: EmbedderConfig{Provider: ProviderBuiltin, Dim: DefaultDim, BatchSize: DefaultBatchSize, Concurrency: DefaultEmbedParallel, Timeout: DefaultEmbedTimeout},
		Chunk:    ChunkConfig{Size: DefaultChunkSize, Overlap: DefaultChunkOverlap},
		Store:    DefaultStore,
	}
}

// ConfigParams documents the knowledge section's keys (for `synth docs`).
var ConfigParams = []spec.Param{
	{Name: "docs", Type: "[]string", Default: `["docs/**/*.md"]`, Description: "Glob patterns of help documents (Markdown, text, HTML), relative to the project; ** matches any number of directories."},
	{Name: "embedder.provider", Type: "string", Default: "builtin", Description: "builtin (offline, feature hashing), glove (offline GloVe word vectors + builtin features; better on paraphrased questions), openai (any OpenAI-compatible endpoint) or ollama."},
	{Name: "embedder.dim", Type: "int", Default: "512", Description: "Vector dimension (builtin and glove's hashed part: 16–8192; openai: sent as `dimensions` when set)."},
	{Name: "embedder.model", Type: "string", Default: DefaultOpenAIModel + " (openai)", Description: "Embedding model of the provider; required for ollama."},
	{Name: "embedder.base_url", Type: "string", Default: DefaultOpenAIBaseURL + " / " + DefaultOllamaBaseURL, Description: "Provider endpoint."},
	{Name: "embedder.api_key_env", Type: "string", Default: DefaultOpenAIKeyEnv + " (openai at its default base_url)", Description: "Environment variable that holds the API key."},
	{Name: "embedder.batch_size", Type: "int", Default: "64", Description: "Texts per embedding request."},
	{Name: "embedder.concurrency", Type: "int", Default: "4", Description: "Parallel embedding requests (ollama)."},
	{Name: "embedder.timeout", Type: "duration", Default: "60s", Description: "Timeout of one embedding request."},
	{Name: "chunk.size", Type: "int", Default: "800", Description: "Target chunk size in characters (at least 50)."},
	{Name: "chunk.overlap", Type: "int", Default: "100", Description: "Characters repeated from the previous chunk of the same section (at most half the size)."},
	{Name: "store", Type: "string", Default: DefaultStore, Description: "Snapshot file of the vector store, relative to the project."},
}

// DecodeConfig reads the knowledge section from p (at key path "knowledge"
// usually). Every problem is reported with its key path
// ("knowledge.chunk.size: must be at least 50"); unknown keys are errors.
func DecodeConfig(p *spec.Params) (Config, error) {
	cfg := DefaultConfig()
	cfg.Docs = p.Strings("docs", cfg.Docs)
	for i, d := range cfg.Docs {
		if d == "" {
			p.Fail(spec.Index("docs", i), "must not be empty")
		}
	}
	cfg.Store = p.String("store", cfg.Store)
	if cfg.Store == "" {
		p.Fail("store", "must not be empty")
	}

	var errs []error
	if p.Optional("embedder") {
		ep := p.Sub("embedder")
		cfg.Embedder = decodeEmbedder(ep)
		errs = append(errs, ep.Err())
	}
	if p.Optional("chunk") {
		cp := p.Sub("chunk")
		cfg.Chunk = decodeChunk(cp)
		errs = append(errs, cp.Err())
	}
	errs = append([]error{p.Err()}, errs...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func decodeEmbedder(p *spec.Params) EmbedderConfig {
	e := DefaultConfig().Embedder
	e.Provider = p.OneOf("provider", ProviderBuiltin, ProviderBuiltin, ProviderGloVe, ProviderOpenAI, ProviderOllama)
	switch e.Provider {
	case ProviderBuiltin, ProviderGloVe:
		e.Dim = p.IntIn("dim", DefaultDim, MinDim, MaxDim)
		return e
	case ProviderOpenAI:
		e.Dim = p.IntIn("dim", 0, 0, MaxDim)
		e.Model = p.String("model", DefaultOpenAIModel)
		e.BaseURL = p.String("base_url", DefaultOpenAIBaseURL)
		keyEnv := ""
		if e.BaseURL == DefaultOpenAIBaseURL {
			keyEnv = DefaultOpenAIKeyEnv
		}
		e.APIKeyEnv = p.String("api_key_env", keyEnv)
	case ProviderOllama:
		e.Dim = 0
		e.Model = p.String("model", "")
		if e.Model == "" {
			p.Fail("model", "is required for provider ollama (for example nomic-embed-text)")
		}
		e.BaseURL = p.String("base_url", DefaultOllamaBaseURL)
	}
	if e.BaseURL == "" {
		p.Fail("base_url", "must not be empty")
	}
	if e.Model == "" && e.Provider == ProviderOpenAI {
		p.Fail("model", "must not be empty")
	}
	e.BatchSize = p.IntIn("batch_size", DefaultBatchSize, 1, maxBatchSize)
	e.Concurrency = p.IntIn("concurrency", DefaultEmbedParallel, 1, maxEmbedderConcurrent)
	e.Timeout = p.Duration("timeout", DefaultEmbedTimeout)
	if e.Timeout <= 0 {
		p.Fail("timeout", "must be positive")
	}
	return e
}

func decodeChunk(p *spec.Params) ChunkConfig {
	c := DefaultConfig().Chunk
	c.Size = p.Int("size", c.Size)
	if c.Size < MinChunkSize {
		p.Fail("size", "must be at least %d, got %d", MinChunkSize, c.Size)
		c.Size = DefaultChunkSize
	}
	if !p.Has("overlap") && c.Overlap > c.Size/2 {
		c.Overlap = c.Size / 4
	}
	c.Overlap = p.Int("overlap", c.Overlap)
	if c.Overlap < 0 || c.Overlap > c.Size/2 {
		p.Fail("overlap", "must be between 0 and half of chunk.size (%d), got %d", c.Size/2, c.Overlap)
		c.Overlap = 0
	}
	return c
}
