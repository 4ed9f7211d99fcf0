package validators

// Builtin returns a new registry holding every built-in validator kind.
// Each call returns a fresh registry, so callers (and tests) may register
// more kinds without affecting others.
func Builtin() *Registry {
	r := NewRegistry()
	for _, e := range builtinEntries() {
		r.MustRegister(e)
	}
	return r
}

// builtinEntries is the table of built-in kinds, one line each.
func builtinEntries() []Entry {
	return []Entry{
		// Answer validators: compare the answer with the gold answers.
		exactEntry(),
		normalizedEntry(),
		containsEntry(),
		regexEntry(),
		f1Entry(),
		rougeLEntry(),
		matchEntry(),
		// Model-based answer validators.
		semanticEntry(),
		judgeEntry(),

		// Check validators: look for one fault each.
		refusalEntry(),
		numbersEntry(),
		linksEntry(),
		// Docs-reading checks.
		groundedEntry(),

		// Data validators: filter generated samples.
		formatEntry(),
		lengthEntry(),
		dedupeEntry(),
		decontaminateEntry(),
		answerableEntry(),
	}
}
