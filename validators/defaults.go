package validators

import "maps"

// Available says what a project offers to validators; [Defaults] picks the
// validators it can run.
type Available struct {
	// Docs: the project has help docs (a knowledge base).
	Docs bool
	// Judge: a judge model is configured (eval.judge).
	Judge bool
	// Embedder: an embedder is configured.
	Embedder bool
}

// defaultSet is the default validator table: one line per validator, with
// what it needs. Order matters only for display.
var defaultSet = []struct {
	docs, judge, embedder bool
	cfg                   map[string]any
}{
	// Answer validators: always.
	{cfg: map[string]any{"type": "match"}},
	// Docs-reading checks: only when the project has help docs.
	{docs: true, cfg: map[string]any{"type": "refusal"}},
	{docs: true, cfg: map[string]any{"type": "numbers"}},
	{docs: true, cfg: map[string]any{"type": "links"}},
	{docs: true, cfg: map[string]any{"type": "grounded"}},
}

// Defaults returns the validator config entries synth grades with when the
// config names none (eval.validators absent): the answer validators always,
// plus the docs-reading checks (refusal, numbers, links, ...) when the
// project has help docs. Every entry works offline; none needs a model. Each
// call returns fresh maps the caller may modify.
func Defaults(a Available) []map[string]any {
	var out []map[string]any
	for _, d := range defaultSet {
		if (d.docs && !a.Docs) || (d.judge && !a.Judge) || (d.embedder && !a.Embedder) {
			continue
		}
		out = append(out, maps.Clone(d.cfg))
	}
	return out
}
