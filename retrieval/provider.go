package retrieval

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tmc/langchaingo/embeddings"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
	"golang.org/x/sync/errgroup"
)

// Provider is an embedder backed by a remote model through langchaingo: an
// OpenAI-compatible /embeddings endpoint or Ollama. It batches texts,
// checks that every text got a vector of one consistent dimension, and
// normalises the vectors to unit length (not every model returns unit
// vectors, and the store relies on it).
type Provider struct {
	id      string
	batch   int
	par     int
	client  embeddings.EmbedderClient
	perText bool // the client embeds one text per request (ollama)
}

var _ Embedder = (*Provider)(nil)

// NewProvider builds the embedder cfg describes (openai or ollama). apiKey
// is the key read from cfg.APIKeyEnv ("" for none); hc may be nil.
func NewProvider(cfg EmbedderConfig, apiKey string, hc *http.Client) (*Provider, error) {
	if hc == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = DefaultEmbedTimeout
		}
		hc = &http.Client{Timeout: timeout}
	}
	batch := cfg.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	par := cfg.Concurrency
	if par <= 0 {
		par = DefaultEmbedParallel
	}
	p := &Provider{batch: batch, par: par}
	switch cfg.Provider {
	case ProviderOpenAI:
		if cfg.Model == "" {
			return nil, errors.New("openai embedder: model is required")
		}
		if _, err := url.Parse(cfg.BaseURL); err != nil || cfg.BaseURL == "" {
			return nil, fmt.Errorf("openai embedder: invalid base_url %q", cfg.BaseURL)
		}
		token := apiKey
		if token == "" {
			// langchaingo refuses an empty token even for servers that need none.
			token = "unused"
		}
		opts := []openai.Option{
			openai.WithToken(token),
			openai.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")),
			openai.WithEmbeddingModel(cfg.Model),
			openai.WithModel(cfg.Model),
			openai.WithHTTPClient(hc),
		}
		if cfg.Dim > 0 {
			opts = append(opts, openai.WithEmbeddingDimensions(cfg.Dim))
		}
		llm, err := openai.New(opts...)
		if err != nil {
			return nil, fmt.Errorf("openai embedder: %w", err)
		}
		p.client = llm
	case ProviderOllama:
		if cfg.Model == "" {
			return nil, errors.New("ollama embedder: model is required")
		}
		llm, err := ollama.New(ollama.WithServerURL(cfg.BaseURL), ollama.WithModel(cfg.Model), ollama.WithHTTPClient(hc))
		if err != nil {
			return nil, fmt.Errorf("ollama embedder: %w", err)
		}
		p.client = llm
		p.perText = true
	default:
		return nil, fmt.Errorf("unknown embedder provider %q (want builtin, openai or ollama)", cfg.Provider)
	}
	host := cfg.BaseURL
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		host = u.Host + strings.TrimRight(u.Path, "/")
	}
	dim := "auto"
	if cfg.Dim > 0 {
		dim = strconv.Itoa(cfg.Dim)
	}
	p.id = cfg.Provider + "/" + cfg.Model + "@" + host + "/dim=" + dim + "/v1"
	return p, nil
}

// EmbedderID names the vector space: provider, model, endpoint, dimension.
func (p *Provider) EmbedderID() string { return p.id }

// Embed returns one unit vector per text, in order.
func (p *Provider) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	out := make([][]float32, len(texts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.par)
	step := p.batch
	if p.perText {
		step = 1 // langchaingo's ollama client sends one request per text anyway
	}
	for start := 0; start < len(texts); start += step {
		end := min(start+step, len(texts))
		g.Go(func() error {
			// A copy: langchaingo may rewrite the slice it is given.
			batch := append([]string(nil), texts[start:end]...)
			for i, t := range batch {
				if strings.TrimSpace(t) == "" {
					batch[i] = " " // most endpoints reject empty input
				}
			}
			vs, err := p.client.CreateEmbedding(gctx, batch)
			if err != nil {
				return fmt.Errorf("embed texts %d-%d of %d: %w", start+1, end, len(texts), err)
			}
			if len(vs) != len(batch) {
				return fmt.Errorf("embed texts %d-%d of %d: got %d vectors for %d texts", start+1, end, len(texts), len(vs), len(batch))
			}
			for i, v := range vs {
				if err := Normalize(v); err != nil {
					return fmt.Errorf("embed text %d: %w", start+i+1, err)
				}
				out[start+i] = v
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	dim := len(out[0])
	for i, v := range out {
		if len(v) != dim {
			return nil, fmt.Errorf("embedder returned vectors of %d and %d dimensions (text %d)", dim, len(v), i+1)
		}
	}
	return out, nil
}
