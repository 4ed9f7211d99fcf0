// Package validators grades samples. Each validator judges one aspect of an
// answer — does it match the gold answer, is it grounded in the help docs,
// did it refuse, did it invent a link — and returns a [dataset.Verdict]. The
// [Policy] turns a sample's verdicts into one label.
//
// Validators are built by name from config through a [Registry]; every
// validator works in both pipelines: grading a model's answers in an eval and
// filtering synthetic data in generation.
package validators
