package pipelines

import "github.com/synth-dev/synth/spec"

// ConfigSection documents one section of synth.yaml that [ParseConfig]
// reads itself. Sections that components decode are documented by their own
// specs: models by llm.Specs, knowledge by retrieval.ConfigParams,
// eval.policy by validators.PolicySpec, generate by [GenerateSpec].
type ConfigSection struct {
	// Key is the section's key ("eval"); "" is the top level.
	Key string
	// Summary says what the section is for.
	Summary string
	// Params are the section's keys; a dotted name ("rag.k") is a nested key.
	Params []spec.Param
}

// ConfigSpec lists the keys ParseConfig reads, for `synth docs`. A test
// checks that it and the parser agree, key for key.
var ConfigSpec = []ConfigSection{
	{
		Key:     "",
		Summary: "The sections of synth.yaml. Paths in it are relative to the config file's folder; SYNTH_* environment variables override keys (SYNTH_EVAL_CONCURRENCY=8).",
		Params: []spec.Param{
			{Name: keyVersion, Type: "int", Default: "1", Description: "Config format version; this synth reads version 1."},
			{Name: keyModels, Type: "map", Description: "Named model entries: name -> {provider: ..., ...} (see Models below). Names are lower-cased and must not contain dots."},
			{Name: keyKnowledge, Type: "map", Description: "The help docs and how they are chunked, embedded and stored (see Knowledge below)."},
			{Name: keyEval, Type: "map", Description: "What synth eval runs and how it grades (see Eval below)."},
			{Name: keyGenerate, Type: "map", Description: "How synth generate makes training data from failures (see Generate below)."},
			{Name: keyCache, Type: "map", Description: "The on-disk response cache (see Cache below)."},
		},
	},
	{
		Key:     keyEval,
		Summary: "What synth eval runs and how it grades.",
		Params: []spec.Param{
			{Name: "dataset", Type: "string", Description: "The eval set: JSONL, JSON, CSV or YAML (--dataset overrides)."},
			{Name: "model", Type: "string", Description: "The model to evaluate, by its name under models: (--model overrides)."},
			{Name: "judge", Type: "string", Description: "The model LLM-based validators (judge, grounded in llm mode) use, by its name under models:."},
			{Name: "concurrency", Type: "int", Default: "4", Description: "Items graded at once, 1 to 1024 (--concurrency overrides)."},
			{Name: "out", Type: "string", Default: "runs", Description: "Folder the run directories are created in (--out overrides)."},
			{Name: "system_prompt", Type: "string", Default: `"` + DefaultSystemPrompt + `"`, Description: "System message sent before every question; an empty string sends none."},
			{Name: "rag.k", Type: "int", Default: "4", Description: "With a rag section, how many retrieved help-doc chunks go into the prompt (0 to 100); without one, the model gets the bare question."},
			{Name: "validators", Type: "list", Description: "Validators that grade each answer, in order: [{type: f1, correct: 0.8}, ...] (docs/reference/validators.md); absent: synth's default set."},
			{Name: "policy", Type: "map", Default: "{precedence: [error, refused, hallucinated, wrong], combine: best}", Description: "How verdicts become a label (see Label policy below)."},
		},
	},
	{
		Key:     keyCache,
		Summary: "The on-disk response cache, keyed by provider, model, parameters and messages (--no-cache skips it).",
		Params: []spec.Param{
			{Name: "enabled", Type: "bool", Default: "true", Description: "Read and write the response cache."},
			{Name: "dir", Type: "string", Default: ".synth/cache", Description: "Cache folder, relative to the config file."},
		},
	},
}
