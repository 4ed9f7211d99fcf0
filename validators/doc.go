// Package validators grades samples. Each validator judges one aspect of an
// answer — does it match the gold answer, did it refuse, did it invent a link
// or contradict a number — and returns a [dataset.Verdict]. The [Policy]
// turns a sample's verdicts into one label.
//
// Validators are built by name from config through a [Registry]; [Builtin]
// holds every built-in kind and [Defaults] the set synth grades with when the
// config names none. Every validator works in both pipelines: grading a
// model's answers in an eval and filtering synthetic data in generation.
//
// The text tools underneath are exported for reuse: [Normalize], [Tokens],
// [ExactMatch], [F1] and [RougeL] (SQuAD's official definitions, exactly),
// [ExtractQuantities] (numbers with units) and [ExtractLinks] (URLs, e-mails,
// phone numbers, menu paths). Agreement with human labels (Cohen's kappa) is
// in the subpackage agreement.
package validators
