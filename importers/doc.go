// Package importers converts eval sets and configs from other tools into
// synth's formats, so that moving to synth takes minutes:
//
//   - [Promptfoo] reads a promptfoo config (promptfooconfig.yaml) with its
//     prompts, providers, tests (inline, or in CSV, JSON, JSONL and YAML
//     files), defaultTest, scenarios and assertionTemplates, and proposes an
//     eval set, the matching synth.yaml (models and validators) and notes;
//   - [OpenAIEvals] reads OpenAI evals samples (JSONL with chat "input" and
//     "ideal" answers);
//   - [HF] reads Hugging Face datasets-style records (JSONL, JSON or CSV)
//     through a field mapping (dotted paths, list answers, SQuAD answers).
//
// Nothing is dropped silently: whatever has no synth counterpart, or only an
// approximate one, is listed in the [Import]'s notes (written as
// IMPORT-NOTES.md beside the output). The package imports only dataset and
// spec of synth's packages; the CLI passes it the validator specs of the
// running build so that mappings target only kinds that exist.
package importers
