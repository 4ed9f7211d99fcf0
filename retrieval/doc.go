// Package retrieval is synth's knowledge base: it loads help docs (Markdown,
// text, HTML), chunks them keeping each chunk's heading path, embeds them
// (offline built-in embedder or an OpenAI-compatible / Ollama endpoint) and
// keeps them in a chromem-go store persisted as one snapshot file.
package retrieval
