// Package pipelines builds synth's pipelines from config and runs them: the
// config schema (synth.yaml), the eval pipeline, the generate pipeline (the
// agentic loop) and the runner they share (bounded concurrency, progress,
// checkpoint and resume).
//
// pipelines sees typed config only; reading files and environment (viper)
// happens in the CLI.
package pipelines
