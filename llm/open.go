package llm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// placeholderKey is sent to local OpenAI-compatible servers when no key is
// configured: langchaingo refuses an empty token. It is not a secret.
const placeholderKey = "synth-local-no-key"

// BuiltinFunc builds the offline built-in model from its config. The
// knowledge-base code provides it through [OpenOptions].
type BuiltinFunc func(ctx context.Context, name string, cfg Config) (Model, error)

// OpenOptions carries what [Open] needs beyond one model's config.
type OpenOptions struct {
	// Dir is the config file's folder; relative paths in the config
	// (replay path, builtin memory) resolve against it.
	Dir string
	// CacheDir is the response cache directory ("" for no cache).
	CacheDir string
	// NoCache turns the cache off (--no-cache).
	NoCache bool
	// Meter, when set, records every call (shared by the models of a run).
	Meter *Meter
	// LookupEnv reads environment variables (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Builtin builds the built-in model; nil makes provider builtin an error.
	Builtin BuiltinFunc
	// Sleep waits d or until ctx is done; retries and the rate limiter use
	// it (default: a timer). Tests replace it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the rate limiter's clock (default time.Now).
	Now func() time.Time
}

// Client is an opened model: a provider with its middleware. Safe for
// concurrent use.
type Client struct {
	name  string
	cfg   Config
	model Model
	http  *http.Client
	cache *Cache // nil without a cache
}

// Name returns the model's name in config.
func (c *Client) Name() string { return c.name }

// Config returns the model's config (paths resolved).
func (c *Client) Config() Config { return c.cfg }

// Close waits for the responses being stored in the cache and releases the
// model's idle HTTP connections. The client stays usable.
func (c *Client) Close(context.Context) error {
	if c.cache != nil {
		c.cache.Flush()
	}
	if c.http != nil {
		c.http.CloseIdleConnections()
	}
	return nil
}

// Generate sends req, filling unset sampling parameters from the config.
func (c *Client) Generate(ctx context.Context, req Request) (Response, error) {
	if req.Temperature == nil {
		req.Temperature = c.cfg.Temperature
	}
	if req.TopP == nil {
		req.TopP = c.cfg.TopP
	}
	if req.MaxTokens == 0 {
		req.MaxTokens = c.cfg.MaxTokens
	}
	if req.Seed == nil {
		req.Seed = c.cfg.Seed
	}
	resp, err := c.model.Generate(ctx, req)
	if err != nil {
		return resp, fmt.Errorf("model %s: %w", c.name, err)
	}
	return resp, nil
}

// Open builds the model named name from cfg: the provider, then the
// middleware, composed here and only here. Remote providers (openai,
// ollama, anthropic) get, outermost first:
//
//	meter -> cache -> retry -> concurrency limit -> rate limit -> per-attempt timeout -> provider
//
// so a cache hit costs nothing, every attempt holds a concurrency slot and
// a rate-limit reservation, and backoff sleeps hold neither. Local
// providers (replay, builtin) get only the meter: they cannot fail
// transiently, and caching them would hide changes to their files.
func Open(ctx context.Context, name string, cfg Config, opts OpenOptions) (*Client, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	cl := &Client{name: name, cfg: cfg}
	var base Model
	switch cfg.Provider {
	case ProviderReplay:
		cl.cfg.Path = resolve(opts.Dir, cfg.Path)
		r, err := LoadReplay(cl.cfg.Path)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", name, err)
		}
		base = r
	case ProviderBuiltin:
		if opts.Builtin == nil {
			return nil, fmt.Errorf("model %s: provider builtin is not available here", name)
		}
		if cfg.Builtin.Memory != "" {
			cl.cfg.Builtin.Memory = resolve(opts.Dir, cfg.Builtin.Memory)
		}
		m, err := opts.Builtin(ctx, name, cl.cfg)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", name, err)
		}
		base = m
	case ProviderOpenAI, ProviderOllama, ProviderAnthropic:
		m, err := openRemote(name, cl, opts)
		if err != nil {
			return nil, err
		}
		cl.model = m
		return cl, nil
	default:
		return nil, fmt.Errorf("model %s: unknown provider %q (want one of %s)", name, cfg.Provider, strings.Join(Providers(), ", "))
	}
	cl.model = Chain(base, Metered(opts.Meter, name, cfg.Price))
	return cl, nil
}

func openRemote(name string, cl *Client, opts OpenOptions) (Model, error) {
	cfg := cl.cfg
	if cfg.BaseURL == "" {
		switch cfg.Provider {
		case ProviderOllama:
			cfg.BaseURL = DefaultOllamaBaseURL
		case ProviderAnthropic:
			cfg.BaseURL = DefaultAnthropicBaseURL
		default:
			cfg.BaseURL = DefaultOpenAIBaseURL
		}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("model %s: base_url must be an http:// or https:// URL", name)
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	cl.cfg = cfg
	cl.http = newHTTPClient(cfg.Concurrency, cfg.Headers)

	var p *provider
	switch cfg.Provider {
	case ProviderOllama:
		p, err = newOllama(cfg, cl.http)
	case ProviderAnthropic:
		var key string
		if key, err = apiKey(name, cfg, DefaultAnthropicKeyEnv, u, opts.LookupEnv); err == nil {
			p, err = newAnthropic(cfg, key, cl.http)
		}
	default:
		var key string
		if key, err = apiKey(name, cfg, DefaultOpenAIKeyEnv, u, opts.LookupEnv); err == nil {
			p, err = newOpenAI(cfg, key, cl.http)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}

	mw := []Middleware{Metered(opts.Meter, name, cfg.Price)}
	if opts.CacheDir != "" && !opts.NoCache {
		c, err := OpenCache(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", name, err)
		}
		mw = append(mw, c.Middleware(CacheScope{Provider: cfg.Provider, Model: cfg.Model, BaseURL: cfg.BaseURL}))
		cl.cache = c
	}
	lim := NewLimiter(cfg.RPM, cfg.TPM)
	if opts.Now != nil {
		lim.now = opts.Now
	}
	if opts.Sleep != nil {
		lim.sleep = opts.Sleep
	}
	mw = append(mw,
		Retry(RetryOptions{MaxRetries: cfg.MaxRetries, Sleep: opts.Sleep}),
		Limit(cfg.Concurrency),
		RateLimit(lim),
		Timeout(cfg.Timeout),
	)
	return Chain(p, mw...), nil
}

// apiKey finds the API key for a remote model. A missing key is an error,
// except for a local server when api_key_env was not given explicitly:
// then a placeholder is sent (langchaingo needs a non-empty token).
func apiKey(name string, cfg Config, defEnv string, u *url.URL, lookup func(string) (string, bool)) (string, error) {
	env := cfg.APIKeyEnv
	if env == "" {
		env = defEnv
	}
	key, _ := lookup(env)
	key = strings.TrimSpace(key)
	switch {
	case key != "":
		return key, nil
	case cfg.APIKeyEnvSet:
		return "", fmt.Errorf("%w: environment variable %s (named by api_key_env) is not set", ErrAuth, env)
	case isLocalHost(u.Hostname()):
		return placeholderKey, nil
	}
	return "", fmt.Errorf("%w: no API key for %s: set the environment variable %s (or name another one with api_key_env)", ErrAuth, u.Host, env)
}

// isLocalHost reports whether host is on this machine or a private network:
// localhost, a loopback, private or link-local address, a single-label name
// (a container or compose service) or a .local/.internal/.localhost name.
func isLocalHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "" {
		return false
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
	}
	if h == "localhost" || !strings.Contains(h, ".") {
		return true
	}
	for _, suf := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa"} {
		if strings.HasSuffix(h, suf) {
			return true
		}
	}
	return false
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}
