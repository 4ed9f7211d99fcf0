package llm

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/synth-dev/synth/spec"
)

// Provider kinds, as written in config (`provider: openai`).
const (
	ProviderOpenAI    = "openai"
	ProviderOllama    = "ollama"
	ProviderAnthropic = "anthropic"
	ProviderReplay    = "replay"
	ProviderBuiltin   = "builtin"
)

// Providers lists every provider kind.
func Providers() []string {
	return []string{ProviderAnthropic, ProviderBuiltin, ProviderOllama, ProviderOpenAI, ProviderReplay}
}

// Default values of model parameters.
const (
	DefaultOpenAIBaseURL    = "https://api.openai.com/v1"
	DefaultOllamaBaseURL    = "http://localhost:11434"
	DefaultAnthropicBaseURL = "https://api.anthropic.com/v1"
	DefaultOpenAIKeyEnv     = "OPENAI_API_KEY"
	DefaultAnthropicKeyEnv  = "ANTHROPIC_API_KEY"
	DefaultTimeout          = 60 * time.Second
	DefaultOllamaTimeout    = 300 * time.Second
	DefaultConcurrency      = 4
	DefaultMaxRetries       = 4
	DefaultBuiltinThreshold = 0.35
	DefaultBuiltinK         = 4
)

// Config is one entry of the `models:` map of synth.yaml.
type Config struct {
	// Provider is the provider kind (see [Providers]).
	Provider string
	// Model is the provider's model name (remote providers).
	Model string
	// BaseURL is the API's base URL, without a trailing slash.
	BaseURL string
	// APIKeyEnv names the environment variable holding the API key. The key
	// itself never appears in config.
	APIKeyEnv string
	// APIKeyEnvSet reports that api_key_env was given explicitly: then a
	// missing variable is an error even for a local server.
	APIKeyEnvSet bool
	// Temperature, TopP, MaxTokens and Seed are the request defaults (a
	// request's own values win). Nil or 0: the provider's default.
	Temperature *float64
	TopP        *float64
	MaxTokens   int
	Seed        *int
	// Timeout bounds each attempt of a call.
	Timeout time.Duration
	// Concurrency bounds the calls in flight to this model.
	Concurrency int
	// MaxRetries is how many times a failed call is retried.
	MaxRetries int
	// RPM and TPM limit requests and tokens per minute (0: no limit).
	RPM int
	TPM int
	// Price is the cost in USD per million tokens, for cost estimates.
	Price Price
	// LegacyMaxTokens sends max_tokens instead of max_completion_tokens
	// (openai provider, for servers that only know the old field).
	LegacyMaxTokens bool
	// Headers are extra HTTP headers sent with every request.
	Headers map[string]string
	// Path is the replay file (replay provider), relative to the config's folder.
	Path string
	// Builtin holds the built-in model's parameters.
	Builtin BuiltinConfig
}

// BuiltinConfig holds the parameters of the offline built-in docs bot.
type BuiltinConfig struct {
	// Threshold is the retrieval confidence below which the bot says it
	// does not know.
	Threshold float64
	// Memory is the file of learned Q&A pairs `synth tune` writes, relative
	// to the config's folder ("" for none).
	Memory string
	// K is how many chunks the bot retrieves.
	K int
	// MemoryThreshold is the recall score (0 to 1) the best learned pair
	// needs for the bot to answer from memory (0: the default).
	MemoryThreshold float64
}

// Remote reports whether the provider talks to an API over HTTP (and so
// gets retries, timeouts, rate limits and the cache).
func (c Config) Remote() bool {
	switch c.Provider {
	case ProviderOpenAI, ProviderOllama, ProviderAnthropic:
		return true
	}
	return false
}

// Parameter names.
const (
	keyProvider        = "provider"
	keyModel           = "model"
	keyBaseURL         = "base_url"
	keyAPIKeyEnv       = "api_key_env"
	keyTemperature     = "temperature"
	keyTopP            = "top_p"
	keyMaxTokens       = "max_tokens"
	keySeed            = "seed"
	keyTimeout         = "timeout"
	keyConcurrency     = "concurrency"
	keyMaxRetries      = "max_retries"
	keyRPM             = "rpm"
	keyTPM             = "tpm"
	keyPrice           = "price"
	keyLegacyMaxTokens = "legacy_max_tokens"
	keyHeaders         = "headers"
	keyPath            = "path"
	keyThreshold       = "threshold"
	keyMemory          = "memory"
	keyK               = "k"
	keyMemoryThreshold = "memory_threshold"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseConfig decodes one `models:` entry. p's path names the entry
// (`models.gpt`), so every error names its key: `models.gpt.temperature:
// must be between 0 and 2, got 3`. Keys that do not apply to the provider
// are reported as unknown.
func ParseConfig(p *spec.Params) (Config, error) {
	var c Config
	if !p.Has(keyProvider) {
		p.Raw(keyProvider)
		p.Fail(keyProvider, "required: one of %s", strings.Join(Providers(), ", "))
		return c, p.Err()
	}
	c.Provider = p.OneOf(keyProvider, "", Providers()...)
	if p.Has("api_key") {
		p.Raw("api_key")
		p.Fail("api_key", "API keys are never read from the config file: put the key in an environment variable and name it with api_key_env")
	}
	switch c.Provider {
	case ProviderOpenAI, ProviderAnthropic, ProviderOllama:
		if err := parseRemote(p, &c); err != nil {
			return c, errors.Join(p.Err(), err)
		}
	case ProviderReplay:
		c.Path = p.String(keyPath, "")
		if c.Path == "" {
			p.Fail(keyPath, "required: the JSONL file of {\"id\", \"output\"} lines to replay")
		}
	case ProviderBuiltin:
		c.Builtin.Threshold = p.FloatIn(keyThreshold, DefaultBuiltinThreshold, 0, 1)
		c.Builtin.Memory = p.String(keyMemory, "")
		c.Builtin.K = p.IntIn(keyK, DefaultBuiltinK, 1, 100)
		c.Builtin.MemoryThreshold = p.FloatIn(keyMemoryThreshold, DefaultBuiltinMemoryThreshold, 0.01, 1)
	default:
		// OneOf recorded the error; mark the remaining keys used so the one
		// message that matters is not buried under "unknown parameter".
		for _, s := range Specs() {
			for _, prm := range s.Params {
				p.Raw(prm.Name)
			}
		}
	}
	return c, p.Err()
}

// parseRemote reads the parameters of remote providers; it returns the
// errors of nested parameters (p records the rest).
func parseRemote(p *spec.Params, c *Config) error {
	defURL, defKeyEnv, defTimeout, maxTemp := DefaultOpenAIBaseURL, DefaultOpenAIKeyEnv, DefaultTimeout, 2.0
	switch c.Provider {
	case ProviderOllama:
		defURL, defKeyEnv, defTimeout = DefaultOllamaBaseURL, "", DefaultOllamaTimeout
	case ProviderAnthropic:
		defURL, defKeyEnv, maxTemp = DefaultAnthropicBaseURL, DefaultAnthropicKeyEnv, 1.0
	}
	c.Model = strings.TrimSpace(p.String(keyModel, ""))
	if c.Model == "" {
		p.Fail(keyModel, "required: the provider's model name")
	}
	c.BaseURL = strings.TrimRight(p.String(keyBaseURL, defURL), "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.Fail(keyBaseURL, "must be an http:// or https:// URL")
	} else if u.User != nil {
		p.Fail(keyBaseURL, "must not contain credentials: put the key in an environment variable named by api_key_env")
	}
	if defKeyEnv != "" {
		c.APIKeyEnvSet = p.Optional(keyAPIKeyEnv)
		c.APIKeyEnv = p.String(keyAPIKeyEnv, defKeyEnv)
		if !envName.MatchString(c.APIKeyEnv) {
			// Never echo the value: it may be the key itself.
			p.Fail(keyAPIKeyEnv, "must be the name of an environment variable (such as %s), not the key itself", defKeyEnv)
			c.APIKeyEnv = defKeyEnv
		}
	}
	if p.Optional(keyTemperature) {
		t := p.FloatIn(keyTemperature, 0, 0, maxTemp)
		c.Temperature = &t
	}
	if p.Optional(keyTopP) {
		t := p.FloatIn(keyTopP, 1, 0, 1)
		c.TopP = &t
	}
	if p.Optional(keyMaxTokens) {
		c.MaxTokens = p.IntIn(keyMaxTokens, 0, 1, 10_000_000)
	}
	if c.Provider != ProviderAnthropic && p.Optional(keySeed) {
		s := p.Int(keySeed, 0)
		c.Seed = &s
	}
	c.Timeout = p.Duration(keyTimeout, defTimeout)
	if c.Timeout <= 0 {
		p.Fail(keyTimeout, "must be longer than 0s")
		c.Timeout = defTimeout
	}
	c.Concurrency = p.IntIn(keyConcurrency, DefaultConcurrency, 1, 4096)
	c.MaxRetries = p.IntIn(keyMaxRetries, DefaultMaxRetries, 0, 100)
	c.RPM = p.IntIn(keyRPM, 0, 0, 100_000_000)
	c.TPM = p.IntIn(keyTPM, 0, 0, 1_000_000_000)
	var errs []error
	if p.Optional(keyPrice) {
		pp := p.Sub(keyPrice)
		c.Price.Input = pp.FloatIn("input", 0, 0, 1e6)
		c.Price.Output = pp.FloatIn("output", 0, 0, 1e6)
		errs = append(errs, pp.Err())
	}
	if c.Provider == ProviderOpenAI {
		c.LegacyMaxTokens = p.Bool(keyLegacyMaxTokens, false)
	}
	if p.Optional(keyHeaders) {
		h := p.Map(keyHeaders)
		c.Headers = make(map[string]string, len(h))
		names := make([]string, 0, len(h))
		for k := range h {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v, ok := h[k].(string)
			if !ok {
				// Never echo the value: header values are often secrets.
				p.Fail(spec.Join(keyHeaders, k), "must be a string")
				continue
			}
			c.Headers[k] = v
		}
	}
	return errors.Join(errs...)
}

// param is one row of the provider parameter table.
type param struct {
	spec.Param
	providers []string
}

var remote = []string{ProviderOpenAI, ProviderOllama, ProviderAnthropic}

// params is the table of every model parameter: it feeds [Specs] and the docs.
var params = []param{
	{spec.Param{Name: keyProvider, Type: "string", Required: true, Description: "Provider kind: openai, ollama, anthropic, replay or builtin."}, Providers()},
	{spec.Param{Name: keyModel, Type: "string", Required: true, Description: "The provider's model name (gpt-4o-mini, llama3.2, claude-3-5-haiku-latest)."}, remote},
	{spec.Param{Name: keyBaseURL, Type: "string", Description: "API base URL. openai: any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama's /v1, Gemini's OpenAI endpoint); default " + DefaultOpenAIBaseURL + ". ollama: the native API, default " + DefaultOllamaBaseURL + ". anthropic: default " + DefaultAnthropicBaseURL + "."}, remote},
	{spec.Param{Name: keyAPIKeyEnv, Type: "string", Description: "Name of the environment variable holding the API key (default OPENAI_API_KEY or ANTHROPIC_API_KEY). Keys never go in the config file."}, []string{ProviderOpenAI, ProviderAnthropic}},
	{spec.Param{Name: keyTemperature, Type: "float", Description: "Sampling temperature, 0 to 2 (anthropic: 0 to 1). Sent exactly as given; when absent the provider's default applies."}, remote},
	{spec.Param{Name: keyTopP, Type: "float", Description: "Nucleus sampling, 0 to 1. Sent exactly as given (synth fixes langchaingo dropping it)."}, remote},
	{spec.Param{Name: keyMaxTokens, Type: "int", Description: "Cap on completion tokens. openai sends max_completion_tokens (see legacy_max_tokens); anthropic defaults to 2048."}, remote},
	{spec.Param{Name: keySeed, Type: "int", Description: "Seed for reproducible sampling, where the server supports it (0 is sent too)."}, []string{ProviderOpenAI, ProviderOllama}},
	{spec.Param{Name: keyTimeout, Type: "duration", Default: "60s", Description: "Timeout of each attempt of a call (ollama default 300s, for cold model loads)."}, remote},
	{spec.Param{Name: keyConcurrency, Type: "int", Default: "4", Description: "Most calls in flight to this model at once; the HTTP client keeps as many idle connections."}, remote},
	{spec.Param{Name: keyMaxRetries, Type: "int", Default: "4", Description: "Retries of a call failing with 429, 5xx, a timeout, a dropped connection or a malformed response; exponential backoff with full jitter, honouring Retry-After."}, remote},
	{spec.Param{Name: keyRPM, Type: "int", Default: "0", Description: "Requests per minute (0: no limit). Requests are spaced evenly."}, remote},
	{spec.Param{Name: keyTPM, Type: "int", Default: "0", Description: "Tokens per minute (0: no limit). Estimated as prompt bytes/4 + max_tokens before a call, corrected with real usage after."}, remote},
	{spec.Param{Name: keyPrice, Type: "map", Description: "{input, output}: USD per million prompt and completion tokens, for cost estimates."}, remote},
	{spec.Param{Name: keyLegacyMaxTokens, Type: "bool", Default: "false", Description: "Send max_tokens instead of max_completion_tokens, for servers that only know the old field."}, []string{ProviderOpenAI}},
	{spec.Param{Name: keyHeaders, Type: "map", Description: "Extra HTTP headers sent with every request (string values)."}, remote},
	{spec.Param{Name: keyPath, Type: "string", Required: true, Description: "JSONL file of {\"id\", \"output\"} lines, relative to the config file."}, []string{ProviderReplay}},
	{spec.Param{Name: keyThreshold, Type: "float", Default: fmt.Sprint(DefaultBuiltinThreshold), Description: "Retrieval confidence (0 to 1) below which the bot says it does not know."}, []string{ProviderBuiltin}},
	{spec.Param{Name: keyMemory, Type: "string", Description: "File of learned Q&A pairs written by `synth tune`, relative to the config file."}, []string{ProviderBuiltin}},
	{spec.Param{Name: keyK, Type: "int", Default: fmt.Sprint(DefaultBuiltinK), Description: "How many doc chunks the bot retrieves."}, []string{ProviderBuiltin}},
	{spec.Param{Name: keyMemoryThreshold, Type: "float", Default: fmt.Sprint(DefaultBuiltinMemoryThreshold), Description: "Recall score (0 to 1) the best learned pair needs — by the words of its question and answer — for the bot to answer from its memory."}, []string{ProviderBuiltin}},
}

var providerDocs = map[string]struct{ summary, description, example string }{
	ProviderOpenAI: {
		"Any OpenAI-compatible chat completions API.",
		"OpenAI itself, or any server speaking its API: vLLM, llama.cpp server, LM Studio, Ollama's /v1, Gemini's OpenAI-compatible endpoint, hosted providers. The key comes from the variable named by api_key_env; a local server (localhost, a private address or a single-label host) needs none.",
		"gpt: {provider: openai, model: gpt-4o-mini, temperature: 0, max_tokens: 512, concurrency: 8, rpm: 500, price: {input: 0.15, output: 0.60}}",
	},
	ProviderOllama: {
		"A model served by Ollama's native API.",
		"Talks to Ollama's /api/chat. Needs no key.",
		"local: {provider: ollama, model: llama3.2, base_url: http://localhost:11434}",
	},
	ProviderAnthropic: {
		"Anthropic's Messages API.",
		"Claude models. The key comes from ANTHROPIC_API_KEY (or api_key_env). No seed; JSON mode is not available, ask for JSON in the prompt.",
		"claude: {provider: anthropic, model: claude-3-5-haiku-latest, max_tokens: 1024}",
	},
	ProviderReplay: {
		"Answers from outputs produced elsewhere.",
		"Reads a JSONL file of {\"id\", \"output\"} lines and answers each eval item with its recorded output, so answers from any system can be graded.",
		"mine: {provider: replay, path: outputs.jsonl}",
	},
	ProviderBuiltin: {
		"The offline extractive docs bot.",
		"Answers from the indexed help docs with their most relevant sentences, or says it does not know below threshold; with a memory file it answers learned questions first.",
		"base: {provider: builtin, threshold: 0.35, memory: .synth/models/tuned.jsonl}",
	},
}

// Specs describes every provider and its parameters, for `synth docs`.
func Specs() []spec.Spec {
	var out []spec.Spec
	for _, name := range Providers() {
		d := providerDocs[name]
		s := spec.Spec{Name: name, Summary: d.summary, Description: d.description, Example: d.example}
		for _, p := range params {
			for _, pr := range p.providers {
				if pr == name {
					s.Params = append(s.Params, p.Param)
				}
			}
		}
		out = append(out, s)
	}
	return out
}
