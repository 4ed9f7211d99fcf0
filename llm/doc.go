// Package llm defines the [Model] interface every language model in synth
// implements, the providers behind it (OpenAI-compatible, Ollama, Anthropic
// through langchaingo; replay; the offline built-in docs bot) and the
// middleware every provider gets: bounded concurrency, retries with backoff,
// per-request timeouts, rate limits, an on-disk response cache and usage
// accounting.
//
// A `models:` entry of synth.yaml becomes a model in two steps:
// [ParseConfig] decodes and checks it (errors name the key path), and
// [Open] builds the provider and composes its middleware, in this order:
//
//	Metered -> Cache.Middleware -> Retry -> Limit -> RateLimit -> Timeout -> provider
//
// Provider failures are [*APIError] values wrapping one of the Err*
// sentinels ([ErrRateLimit], [ErrServer], [ErrTimeout], [ErrNetwork],
// [ErrMalformed], [ErrAuth], [ErrBadRequest]); [Retryable] says which are
// worth retrying. API keys are read from the environment and never appear
// in errors, the cache or logs.
//
// Tests use the fake OpenAI-compatible server in package llmtest.
package llm
