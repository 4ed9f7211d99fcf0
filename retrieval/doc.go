// Package retrieval is synth's knowledge base: it loads help docs (Markdown,
// text, HTML), chunks them keeping each chunk's heading path, embeds them
// (offline builtin or glove embedders, or an OpenAI-compatible / Ollama
// endpoint) and keeps them in a chromem-go database persisted as one
// snapshot file, searched from an in-memory matrix.
//
// The usual entry point is [Open] followed by [KB.Index] and [KB.Search]:
//
//	cfg, err := retrieval.DecodeConfig(spec.NewParams("knowledge", raw))
//	kb, err := retrieval.Open(projectDir, cfg)
//	stats, err := kb.Index(ctx)         // incremental: only changed chunks are embedded
//	hits, err := kb.Search(ctx, "how do I delete my account?", 4)
//
// The pieces are usable on their own: [LoadDocs] and [HTMLToMarkdown]
// (loaders), [NewChunker] (a pure [Chunker]), [NewBuiltin], [NewGloVe],
// [NewProvider] and [NewEmbedder] (embedders), and [NewMatrix] (exhaustive
// vector search). See docs/knowledge-base.md.
package retrieval
