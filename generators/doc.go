// Package generators makes candidate training samples for the generate
// pipeline: question–answer pairs grounded in help-doc chunks, written for
// the topic of an eval item the model failed.
//
// A [Generator] turns a [Seed] — the failed item (a topic hint only), the
// retrieved chunks, the round, the rejection feedback so far and how many
// candidates to write — into samples whose Contexts are the chunks they are
// grounded in. Source generators write new candidates; transform generators
// rewrite the candidates earlier stages made (seed.Candidates).
//
// The kinds live in a [Registry] of name -> [spec.Spec] -> [Constructor],
// built from config entries such as {type: qa, n: 5} with errors naming the
// key path ([Registry.Build]); [Builtin] holds them all:
//
//	builtin     offline and deterministic: questions from the docs' structure
//	            (headings, numbered steps, definitions, FAQ lines, rules) with
//	            answers taken verbatim from the docs, plus template paraphrases
//	qa          an LLM writes N diverse customer questions and grounded answers
//	            (JSON mode; malformed replies retried, then counted as failed)
//	paraphrase  rephrasings of the candidates' questions (LLM or templates)
//	evolve      Evol-Instruct-style harder rewrites, still grounded in the chunks
//
// Model output is parsed by [ExtractJSON], [ParsePairs] and
// [ParseParaphrases], which tolerate code fences, prose around the JSON,
// trailing commas and common key synonyms.
package generators
