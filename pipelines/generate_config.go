package pipelines

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/generators"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// GenerateConfig is the `generate:` section of synth.yaml.
type GenerateConfig struct {
	// PerFailure is how many rows to accept for each failed item.
	PerFailure int
	// MaxRounds is how many generate-and-validate rounds an item gets.
	MaxRounds int
	// Labels are the eval labels that count as failures.
	Labels []dataset.Label
	// Concurrency bounds the items worked on at once.
	Concurrency int
	// Out is the output file (resolved against the project folder).
	Out string
	// Format is the export format of Out.
	Format dataset.Format
	// Model names the generator model; "" means offline (builtin generator).
	Model string
	// Judge names the model for LLM validators (answerable, grounded in llm
	// mode); eval.judge when unset.
	Judge string
	// SystemPrompt goes into exported rows (formats that have one); eval.system_prompt when unset.
	SystemPrompt string
	// Contexts puts each row's help-doc chunks into exported prompts.
	Contexts bool
	// Stages are the configured pipeline stages; nil means the default pipeline.
	Stages []map[string]any
}

// Default settings of the generate section.
const (
	DefaultPerFailure = 3
	DefaultMaxRounds  = 4
	DefaultRetrieveK  = 4
	// DefaultGenerateOut is where accepted rows go, relative to the project.
	DefaultGenerateOut = "data/synthetic.jsonl"
)

// DefaultFailureLabels are the labels generation works on: every label but correct.
var DefaultFailureLabels = []dataset.Label{dataset.Partial, dataset.Wrong, dataset.Hallucinated, dataset.Refused, dataset.Error}

// GenerateSpec documents the `generate:` section.
var GenerateSpec = spec.Spec{
	Name:    "generate",
	Summary: "How synth generate turns failed eval items into grounded training rows.",
	Params: []spec.Param{
		{Name: "per_failure", Type: "int", Default: "3", Description: "rows to accept for each failed item (1..100)"},
		{Name: "max_rounds", Type: "int", Default: "4", Description: "generate-and-validate rounds per item before giving up (1..50)"},
		{Name: "labels", Type: "[]string", Default: "[partial, wrong, hallucinated, refused, error]", Description: "eval labels that count as failures"},
		{Name: "concurrency", Type: "int", Default: "eval.concurrency", Description: "failed items worked on at once (1..1024)"},
		{Name: "out", Type: "string", Default: DefaultGenerateOut, Description: "output file; rejected.jsonl and generate-summary.json go beside it"},
		{Name: "format", Type: "string", Default: "native", Description: "export format: native, openai, alpaca, sharegpt, lamini or dpo"},
		{Name: "model", Type: "string", Description: "generator model (a name under models:); absent or a builtin/replay model: offline generation"},
		{Name: "judge", Type: "string", Default: "eval.judge", Description: "model for LLM validators (answerable, grounded in llm mode)"},
		{Name: "system_prompt", Type: "string", Default: "eval.system_prompt", Description: "system prompt written into exported rows"},
		{Name: "contexts", Type: "bool", Default: "false", Description: "put each row's help-doc chunks into exported prompts (for tuning a RAG model)"},
		{Name: "stages", Type: "list", Description: "the pipeline: retrieve, generator and validator stages in order; default retrieve → builtin or qa → format → length → grounded → dedupe → decontaminate"},
	},
	Example: `generate: {per_failure: 3, max_rounds: 4, out: data/synthetic.jsonl, stages: [{type: retrieve, k: 4}, {type: qa, n: 5}, {type: format}, {type: grounded}]}`,
}

// DecodeGenerateConfig reads the generate section of c, with defaults.
// Every problem is reported with its key path (generate.per_failure: ...).
func DecodeGenerateConfig(c *Config) (GenerateConfig, error) {
	p := spec.NewParams("generate", c.Generate)
	g := GenerateConfig{
		PerFailure:   p.IntIn("per_failure", DefaultPerFailure, 1, 100),
		MaxRounds:    p.IntIn("max_rounds", DefaultMaxRounds, 1, 50),
		Concurrency:  p.IntIn("concurrency", c.Eval.Concurrency, 1, 1024),
		Out:          c.Resolve(p.String("out", DefaultGenerateOut)),
		Model:        strings.ToLower(p.String("model", "")),
		Judge:        strings.ToLower(p.String("judge", c.Eval.Judge)),
		SystemPrompt: p.String("system_prompt", c.Eval.SystemPrompt),
		Contexts:     p.Bool("contexts", false),
	}
	if g.Concurrency < 1 {
		g.Concurrency = 4
	}
	var errs []error
	if f, err := dataset.ParseFormat(p.String("format", string(dataset.Native))); err != nil {
		p.Fail("format", "%v", err)
	} else {
		g.Format = f
	}
	g.Labels = DefaultFailureLabels
	if p.Optional("labels") {
		g.Labels = nil
		for i, s := range p.Strings("labels", nil) {
			l, err := dataset.ParseLabel(strings.ToLower(strings.TrimSpace(s)))
			if err != nil {
				errs = append(errs, spec.Errorf(spec.Index("generate.labels", i), "%v", err))
				continue
			}
			g.Labels = append(g.Labels, l)
		}
		if len(g.Labels) == 0 && len(errs) == 0 {
			p.Fail("labels", "is empty: list the eval labels to generate for, or remove the key for every label but correct")
		}
	}
	if raw, ok := p.Raw("stages"); ok && raw != nil {
		entries, err := DecodeStages("generate.stages", raw)
		if err != nil {
			errs = append(errs, err)
		}
		g.Stages = entries
	}
	for _, ref := range []struct{ key, name string }{{"model", g.Model}, {"judge", g.Judge}} {
		if ref.name != "" {
			if _, ok := c.Models[ref.name]; !ok {
				errs = append(errs, spec.Errorf("generate."+ref.key, "no model named %q under models: (have %s)", ref.name, c.modelNames()))
			}
		}
	}
	errs = append(errs, p.Err())
	if err := errors.Join(errs...); err != nil {
		return GenerateConfig{}, err
	}
	return g, nil
}

// DecodeStages reads a stage list as decoded from YAML: each entry a mapping
// with a `type` key ({type: qa, n: 5}), or — Benthos style — a mapping with
// one key naming the type and its parameters under it ({qa: {n: 5}}).
func DecodeStages(path string, raw any) ([]map[string]any, error) {
	list, ok := raw.([]any)
	if !ok {
		if m, isMaps := raw.([]map[string]any); isMaps {
			return m, nil
		}
		return nil, spec.Errorf(path, "must be a list of stages such as [{type: retrieve, k: 4}, {type: builtin}, {type: grounded}]")
	}
	var errs []error
	out := make([]map[string]any, 0, len(list))
	for i, e := range list {
		at := spec.Index(path, i)
		m, ok := spec.AsMap(e)
		if !ok {
			if s, isString := e.(string); isString && s != "" {
				m = map[string]any{"type": s} // "- grounded"
			} else {
				errs = append(errs, spec.Errorf(at, "must be a mapping such as {type: grounded}"))
				continue
			}
		}
		if _, hasType := m["type"]; !hasType && len(m) == 1 {
			for k, v := range m {
				params, isMap := spec.AsMap(v)
				if v != nil && !isMap {
					break // not {qa: {n: 5}}: BuildStages reports the missing type
				}
				flat := map[string]any{"type": k}
				for pk, pv := range params {
					flat[pk] = pv
				}
				m = flat
			}
		}
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

// StageKind says what a generate stage does.
type StageKind string

// The kinds of stage.
const (
	// StageRetrieve fetches help-doc chunks for the failure's topic.
	StageRetrieve StageKind = "retrieve"
	// StageGenerator writes candidates (generators.Registry).
	StageGenerator StageKind = "generator"
	// StageValidator filters candidates (validators.Registry).
	StageValidator StageKind = "validator"
	// StageAccept is the loop's own last step: the per-failure cap and the
	// serialised re-check of stateful validators (dedupe). It appears in
	// reports, not in config.
	StageAccept StageKind = "accept"
)

// Stage is one built stage of a generate pipeline.
type Stage struct {
	// Name is the stage's `name` in config, or its type.
	Name string
	// Type is the stage's type as written in config.
	Type string
	// Path is the stage's key path (generate.stages[2]).
	Path string
	// Kind says what the stage does.
	Kind StageKind
	// K is the number of chunks a retrieve stage fetches.
	K int
	// Query is what a retrieve stage searches for: "topic" (the failed
	// question and its gold answer) or "question".
	Query string
	// Generator is set for generator stages.
	Generator generators.Built
	// Validator is set for validator stages.
	Validator validators.Built
	// Accepter is set for stateful validators that must see accepted rows.
	Accepter validators.Accepter
	// Implicit marks a stage synth added (decontaminate, which always runs).
	Implicit bool
	// Config is the stage's config entry.
	Config map[string]any
}

// StageEnv is what building stages needs.
type StageEnv struct {
	// Generators and Validators are the registries; the built-in ones when nil.
	Generators *generators.Registry
	Validators *validators.Registry
	// GenDeps and ValDeps are passed to the constructors.
	GenDeps generators.Deps
	ValDeps validators.Deps
	// Search serves retrieve stages; nil when the project has no help docs.
	Search retrieval.Searcher
}

// decontaminateType is the validator that always runs in generation.
const decontaminateType = "decontaminate"

// DefaultStages is the pipeline used when generate.stages is absent:
// retrieve → builtin (offline) or qa (with an LLM) → format → length →
// grounded → dedupe → decontaminate.
func DefaultStages(offline bool) []map[string]any {
	gen := map[string]any{"type": "qa"}
	if offline {
		gen = map[string]any{"type": "builtin"}
	}
	return []map[string]any{
		{"type": "retrieve", "k": DefaultRetrieveK},
		gen,
		{"type": "format"},
		{"type": "length"},
		{"type": "grounded"},
		{"type": "dedupe"},
		{"type": decontaminateType},
	}
}

// BuildStages builds the stages listed at path. Problems are reported with
// the entry's key path (generate.stages[3].type: unknown stage "groundd"
// (one of ...)). A decontaminate stage is appended when none is listed: it
// can be tuned but not removed.
func BuildStages(path string, entries []map[string]any, env StageEnv) ([]Stage, error) {
	if env.Generators == nil {
		env.Generators = generators.Builtin()
	}
	if env.Validators == nil {
		env.Validators = validators.Builtin()
	}
	if len(entries) == 0 {
		return nil, spec.Errorf(path, "is empty: list at least a retrieve stage and a generator, or remove the key for the default pipeline")
	}
	var (
		stages    []Stage
		errs      []error
		retrieved bool
		generated bool
		decont    bool
	)
	for i, cfg := range entries {
		at := spec.Index(path, i)
		typ, isString := cfg["type"].(string)
		if _, has := cfg["type"]; !has || !isString || typ == "" {
			errs = append(errs, spec.Errorf(spec.Join(at, "type"), "missing stage type (one of %s)", stageNames(env)))
			continue
		}
		st := Stage{Name: typ, Type: typ, Path: at, Config: cfg}
		if n, ok := cfg["name"].(string); ok && n != "" {
			st.Name = n
		}
		_, isGen := env.Generators.Lookup(typ)
		_, isVal := env.Validators.Lookup(typ)
		switch {
		case typ == "retrieve":
			p := spec.NewParams(at, cfg, "type", "name")
			st.Kind, st.K = StageRetrieve, p.IntIn("k", DefaultRetrieveK, 1, 50)
			st.Query = p.OneOf("query", "topic", "topic", "question")
			if err := p.Err(); err != nil {
				errs = append(errs, err)
				continue
			}
			if env.Search == nil {
				errs = append(errs, spec.Errorf(spec.Join(at, "type"), "retrieve needs help docs: set knowledge.docs in the config"))
				continue
			}
			retrieved = true
		case isGen:
			b, err := env.Generators.Build(at, cfg, env.GenDeps)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			st.Kind, st.Generator = StageGenerator, b
			switch {
			case b.Kind == generators.Transform && !generated:
				errs = append(errs, spec.Errorf(spec.Join(at, "type"), "%s rewrites the candidates of earlier generator stages, but none comes before it", typ))
				continue
			case b.Kind == generators.Source && !retrieved:
				errs = append(errs, spec.Errorf(spec.Join(at, "type"), "generator %s comes before any retrieve stage, so it would have no help-doc chunks to ground its rows in: add {type: retrieve, k: %d} before it", typ, DefaultRetrieveK))
				continue
			}
			generated = true
		case isVal:
			b, err := env.Validators.Build(at, cfg, env.ValDeps)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !generated {
				errs = append(errs, spec.Errorf(spec.Join(at, "type"), "validator %s comes before any generator, so it would have nothing to check", typ))
				continue
			}
			st.Kind, st.Validator = StageValidator, b
			if a, ok := validators.AccepterOf(b); ok {
				st.Accepter = a
			}
			if e, _ := env.Validators.Lookup(typ); e.Spec.Name == decontaminateType {
				decont = true
			}
		default:
			msg := fmt.Sprintf("unknown stage %q (one of %s)", typ, stageNames(env))
			if s := suggest(typ, allStageNames(env)); s != "" {
				msg = fmt.Sprintf("unknown stage %q: did you mean %q? (one of %s)", typ, s, stageNames(env))
			}
			errs = append(errs, spec.Errorf(spec.Join(at, "type"), "%s", msg))
			continue
		}
		stages = append(stages, st)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if !generated {
		return nil, spec.Errorf(path, "has no generator stage (one of %s)", strings.Join(env.Generators.Names(), ", "))
	}
	if !decont {
		cfg := map[string]any{"type": decontaminateType}
		at := path + "[+" + decontaminateType + "]"
		b, err := env.Validators.Build(at, cfg, env.ValDeps)
		if err != nil {
			return nil, err
		}
		stages = append(stages, Stage{Name: decontaminateType, Type: decontaminateType, Path: at, Kind: StageValidator, Validator: b, Implicit: true, Config: cfg})
	}
	return stages, nil
}

func allStageNames(env StageEnv) []string {
	names := []string{"retrieve"}
	names = append(names, env.Generators.Names()...)
	for _, e := range env.Validators.Entries() {
		names = append(names, e.Spec.Name)
	}
	return names
}

// stageNames lists the stage types: retrieve, then generators, then validators.
func stageNames(env StageEnv) string {
	gens := env.Generators.Names()
	var vals []string
	for _, e := range env.Validators.Entries() {
		vals = append(vals, e.Spec.Name)
	}
	sort.Strings(vals)
	return "retrieve; generators " + strings.Join(gens, ", ") + "; validators " + strings.Join(vals, ", ")
}

// suggest returns the name closest to s when it is a likely typo.
func suggest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// GenerateFiles are the files one generation writes.
type GenerateFiles struct {
	// Out is the output file, in the chosen format.
	Out string
	// Rejected is rejected.jsonl beside Out: every rejected candidate with its reasons.
	Rejected string
	// Summary is generate-summary.json beside Out.
	Summary string
	// StateDir holds what --resume needs: <out without extension>.state/.
	StateDir string
	// Manifest is StateDir/manifest.json: the settings the generation started with.
	Manifest string
	// Progress is StateDir/progress.jsonl: one line per finished round and per finished item.
	Progress string
	// Accepted is the log accepted rows are appended to as they pass, as
	// native records: Out itself for the native format, else StateDir/accepted.jsonl
	// (Out is then written from it at the end).
	Accepted string
}

// FilesFor returns the files a generation into out in format f writes.
func FilesFor(out string, f dataset.Format) GenerateFiles {
	dir := filepath.Dir(out)
	state := strings.TrimSuffix(out, filepath.Ext(out)) + ".state"
	files := GenerateFiles{
		Out:      out,
		Rejected: filepath.Join(dir, "rejected.jsonl"),
		Summary:  filepath.Join(dir, "generate-summary.json"),
		StateDir: state,
		Manifest: filepath.Join(state, dataset.ManifestFile),
		Progress: filepath.Join(state, "progress.jsonl"),
		Accepted: out,
	}
	if f != dataset.Native {
		files.Accepted = filepath.Join(state, "accepted.jsonl")
	}
	return files
}

// GenerateEnv is what setting up a generation found in the project.
type GenerateEnv struct {
	// Offline is true when no generator LLM is configured (builtin generator).
	Offline bool
	// Entries are the stage config entries used (the default pipeline when
	// generate.stages is absent).
	Entries []map[string]any
	// Eval are the eval items the rows are decontaminated against.
	Eval []dataset.Item
}

// setupGenerate builds the stages (and the evaluated model's rival, for
// DPO) for a generation in project p. eval are the items to decontaminate
// against.
func setupGenerate(ctx context.Context, p *Project, g GenerateConfig, eval []dataset.Item) (*Generate, *retrieval.KB, GenerateEnv, error) {
	env := GenerateEnv{Offline: true, Eval: eval}
	kb, err := p.KB(ctx)
	if err != nil {
		return nil, nil, env, err
	}
	if kb == nil {
		return nil, nil, env, spec.Errorf("knowledge.docs", "synth generate grounds every row in the help docs, but the config names none")
	}
	se := StageEnv{Search: kb}
	se.GenDeps.Corpus = kb
	se.ValDeps = validators.Deps{Eval: eval, Embedder: kb.Embedder(), Search: kb, Corpus: kb}
	if g.Model != "" {
		mc, err := p.ModelConfig(g.Model)
		if err != nil {
			return nil, nil, env, err
		}
		if mc.Remote() {
			m, err := p.Model(ctx, g.Model)
			if err != nil {
				return nil, nil, env, err
			}
			se.GenDeps.Model, se.GenDeps.ModelName = m, g.Model
			env.Offline = false
		}
	}
	if g.Judge != "" {
		j, err := p.Model(ctx, g.Judge)
		if err != nil {
			return nil, nil, env, err
		}
		se.ValDeps.Judge = j
	}
	env.Entries = g.Stages
	if env.Entries == nil {
		env.Entries = DefaultStages(env.Offline)
	}
	stages, err := BuildStages("generate.stages", env.Entries, se)
	if err != nil {
		return nil, nil, env, err
	}
	return &Generate{Stages: stages, MaxRounds: g.MaxRounds, Search: kb}, kb, env, nil
}

// Failures returns the results of run whose label is one of labels, as
// generation targets wanting perFailure rows each, in results order.
func Failures(results []dataset.Result, labels []dataset.Label, perFailure int) []Target {
	want := map[dataset.Label]bool{}
	for _, l := range labels {
		want[l] = true
	}
	var out []Target
	for _, r := range results {
		if !want[r.Label] {
			continue
		}
		out = append(out, Target{
			Failure: generators.Failure{ID: r.ID, Question: r.Question, Gold: r.Gold, Output: r.Output, Label: r.Label, Tags: r.Tags},
			Want:    perFailure,
		})
	}
	return out
}

// evalItems gathers the eval items to decontaminate against: the run's
// graded items and every item of the eval-set files named (those that can
// be read).
func evalItems(results []dataset.Result, files ...string) []dataset.Item {
	var out []dataset.Item
	for _, r := range results {
		out = append(out, dataset.Item{ID: r.ID, Question: r.Question, Answers: r.Gold})
	}
	seen := map[string]bool{}
	for _, f := range files {
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		if set, err := dataset.ReadEvalSet(f); err == nil {
			out = append(out, set.Items...)
		}
	}
	return out
}

// NewGenerateRun sets up `synth generate --from RUN`: the failed items of
// run (labels in g.Labels), the pipeline (generate.stages or the default),
// decontamination against the run's items and the eval set, and — for the
// dpo format — the evaluated model (named in the run's manifest) as the
// source of rejected answers.
func NewGenerateRun(ctx context.Context, p *Project, run *dataset.Run, g GenerateConfig) (*GenerateRun, GenerateEnv, error) {
	var files []string
	if run.Manifest != nil {
		files = append(files, p.Config.Resolve(run.Manifest.Dataset))
	}
	files = append(files, p.Config.Eval.Dataset)
	gen, kb, env, err := setupGenerate(ctx, p, g, evalItems(run.Results, files...))
	if err != nil {
		return nil, env, err
	}
	model := ""
	if run.Manifest != nil {
		model = run.Manifest.Model
	}
	if g.Format == dataset.DPO {
		rival, err := newRival(ctx, p, model, kb)
		if err != nil {
			return nil, env, err
		}
		gen.Rival = rival
	}
	m := GenerateManifest{
		From: run.Path, Run: run.ID, Model: model,
		PerFailure: g.PerFailure, MaxRounds: g.MaxRounds, Labels: g.Labels, Format: g.Format, Stages: env.Entries,
	}
	if !env.Offline {
		m.Generator = g.Model
	}
	return &GenerateRun{
		Generate:    gen,
		Targets:     Failures(run.Results, g.Labels, g.PerFailure),
		Files:       FilesFor(g.Out, g.Format),
		Format:      g.Format,
		Export:      dataset.ExportOptions{System: g.SystemPrompt, Contexts: g.Contexts},
		Manifest:    m,
		Concurrency: g.Concurrency,
	}, env, nil
}

// newRival builds the eval of the evaluated model for DPO pairs: the same
// system prompt, retrieval and validators as synth eval.
func newRival(ctx context.Context, p *Project, model string, kb *retrieval.KB) (*Eval, error) {
	if model == "" {
		return nil, fmt.Errorf("--format dpo asks the evaluated model for its own answers, but the run has no %s naming it", dataset.ManifestFile)
	}
	mc, err := p.ModelConfig(model)
	if err != nil {
		return nil, err
	}
	if mc.Provider == "replay" {
		return nil, spec.Errorf(spec.Join("models", model), "--format dpo asks the evaluated model new questions, which a replay model cannot answer")
	}
	m, err := p.Model(ctx, model)
	if err != nil {
		return nil, err
	}
	deps, err := p.ValidatorDeps(ctx, nil)
	if err != nil {
		return nil, err
	}
	vals, _, err := p.Validators(ctx, deps)
	if err != nil {
		return nil, err
	}
	pol, err := p.Policy()
	if err != nil {
		return nil, err
	}
	return &Eval{Model: m, SystemPrompt: p.Config.Eval.SystemPrompt, Search: kb, RAGK: p.Config.Eval.RAGK, ContextK: 4, Validators: vals, Policy: pol}, nil
}

// Draft is an eval set drafted from the help docs.
type Draft struct {
	// Items are the drafted eval items, spread over the docs.
	Items []dataset.Item
	// Summary counts what every stage did.
	Summary *GenerateSummary
}

// DraftEvalSet drafts n eval items from the help docs for a person to
// review (`synth generate --from-docs`): each document is a target whose
// chunks are given directly (retrieve stages are skipped), the generate
// pipeline writes and filters candidates (decontaminated against the
// existing eval set, so drafts do not repeat it), and the accepted rows are
// taken round-robin over the documents. Each item names its source document.
func DraftEvalSet(ctx context.Context, p *Project, g GenerateConfig, n int) (*Draft, error) {
	if n < 1 {
		return nil, fmt.Errorf("--n must be at least 1, got %d", n)
	}
	gen, kb, env, err := setupGenerate(ctx, p, g, evalItems(nil, p.Config.Eval.Dataset))
	if err != nil {
		return nil, err
	}
	_ = env
	byDoc := map[string][]dataset.Chunk{}
	var docs []string
	for _, c := range kb.Chunks() {
		if _, ok := byDoc[c.Doc]; !ok {
			docs = append(docs, c.Doc)
		}
		byDoc[c.Doc] = append(byDoc[c.Doc], c)
	}
	if len(docs) == 0 {
		return nil, spec.Errorf("knowledge.docs", "the help docs have no content to draft questions from")
	}
	want := (n + len(docs) - 1) / len(docs)
	targets := make([]Target, len(docs))
	for i, d := range docs {
		targets[i] = Target{Failure: generators.Failure{ID: "doc:" + d}, Chunks: byDoc[d], Want: want}
	}
	sink := &memSink{}
	type outcome struct {
		rep ItemReport
		err error
	}
	var reps []ItemReport
	err = ForEach(ctx, targets, g.Concurrency,
		func(ctx context.Context, t Target) outcome {
			rep, err := gen.Item(ctx, t, ItemState{}, sink)
			return outcome{rep, err}
		},
		func(o outcome) bool { return o.err != nil },
		func(o outcome) error {
			if o.err != nil {
				return o.err
			}
			reps = append(reps, o.rep)
			return nil
		})
	if err != nil {
		return nil, err
	}
	perDoc := map[string][]dataset.Record{}
	for _, r := range sink.accepted {
		perDoc[r.Provenance.FailedItem] = append(perDoc[r.Provenance.FailedItem], r)
	}
	for _, rows := range perDoc {
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	}
	d := &Draft{}
	for k := 0; len(d.Items) < n; k++ {
		added := false
		for _, doc := range docs {
			rows := perDoc["doc:"+doc]
			if k >= len(rows) || len(d.Items) == n {
				continue
			}
			r := rows[k]
			d.Items = append(d.Items, dataset.Item{
				ID: "draft-" + strings.TrimPrefix(dataset.QuestionID(r.Question), "q-"), Question: r.Question,
				Answers: []string{r.Answer}, Sources: r.Provenance.Docs, Tags: []string{"draft"},
			})
			added = true
		}
		if !added {
			break
		}
	}
	m := GenerateManifest{PerFailure: want, MaxRounds: g.MaxRounds}
	var lines []progressLine
	for i := range sink.rounds {
		lines = append(lines, progressLine{Round: &sink.rounds[i]})
	}
	for i := range reps {
		lines = append(lines, progressLine{Done: &reps[i]})
	}
	run := &GenerateRun{Generate: gen, Targets: targets, Format: dataset.Native}
	d.Summary = run.summarizeLines(lines, m, time.Now(), time.Now())
	return d, nil
}

// memSink keeps the loop's output in memory.
type memSink struct {
	mu       sync.Mutex
	accepted []dataset.Record
	rejected int
	rounds   []RoundReport
}

func (s *memSink) Accept(r dataset.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted = append(s.accepted, r)
	return nil
}

func (s *memSink) Reject(dataset.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected++
	return nil
}

func (s *memSink) Round(r RoundReport) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rounds = append(s.rounds, r)
	return nil
}
