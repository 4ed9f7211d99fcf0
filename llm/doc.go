// Package llm defines the [Model] interface every language model in synth
// implements, the providers behind it (OpenAI-compatible, Ollama, Anthropic
// through langchaingo; replay; the offline built-in docs bot) and the
// middleware every provider gets: bounded concurrency, retries with backoff,
// per-request timeouts, rate limits, an on-disk response cache and usage
// accounting.
package llm
