package pipelines

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// ProjectOptions are run-wide switches that are not part of the config file.
type ProjectOptions struct {
	// NoCache skips the response cache (--no-cache).
	NoCache bool
	// LookupEnv reads environment variables (API keys); os.LookupEnv when nil.
	LookupEnv func(string) (string, bool)
	// OnIndex, when set, is told when bringing the knowledge base up to date
	// before use changed it (docs added, edited or deleted since `synth index`).
	OnIndex func(retrieval.Stats)
}

// Project opens the parts of a synth project — models, knowledge base,
// validators — on first use and shares them. Safe for concurrent use.
type Project struct {
	Config *Config
	// Meter records every model call of the project's models.
	Meter *llm.Meter
	opts  ProjectOptions

	mu     sync.Mutex
	kb     *retrieval.KB
	kbErr  error
	kbDone bool
	models map[string]*llm.Client
}

// OpenProject returns a project for cfg. Nothing is opened until asked for.
func OpenProject(cfg *Config, opts ProjectOptions) *Project {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	return &Project{Config: cfg, Meter: llm.NewMeter(), opts: opts, models: map[string]*llm.Client{}}
}

// HasDocs reports whether the config names help docs (knowledge.docs).
func (p *Project) HasDocs() bool {
	docs, ok := p.Config.Knowledge.Params["docs"]
	if !ok || docs == nil {
		return false
	}
	if l, ok := docs.([]any); ok {
		return len(l) > 0
	}
	return true
}

// KnowledgeConfig decodes the knowledge section.
func (p *Project) KnowledgeConfig() (retrieval.Config, error) {
	return retrieval.DecodeConfig(spec.NewParams("knowledge", p.Config.Knowledge.Params))
}

// OpenKB opens the knowledge base without indexing it (for `synth index`).
func (p *Project) OpenKB(opts ...retrieval.Option) (*retrieval.KB, error) {
	cfg, err := p.KnowledgeConfig()
	if err != nil {
		return nil, err
	}
	getenv := func(k string) string { v, _ := p.opts.LookupEnv(k); return v }
	return retrieval.Open(p.Config.Dir, cfg, append([]retrieval.Option{retrieval.WithGetenv(getenv)}, opts...)...)
}

// KB returns the project's knowledge base, ready to search. It is brought up
// to date with the help docs first — incrementally, so unchanged chunks are
// not embedded again and an unchanged project costs only reading the docs.
// It returns (nil, nil) when the project has no help docs.
func (p *Project) KB(ctx context.Context) (*retrieval.KB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kbDone {
		return p.kb, p.kbErr
	}
	p.kbDone = true
	if !p.HasDocs() {
		return nil, nil
	}
	kb, err := p.OpenKB()
	if err != nil {
		p.kbErr = err
		return nil, err
	}
	st, err := kb.Index(ctx)
	if err != nil {
		p.kbErr = fmt.Errorf("index help docs: %w", err)
		return nil, p.kbErr
	}
	if p.opts.OnIndex != nil && (st.Added > 0 || st.Removed > 0) {
		p.opts.OnIndex(st)
	}
	p.kb = kb
	return kb, nil
}

// Close closes the models the project opened: responses still being stored
// in the response cache are written, idle connections released. Commands
// call it when they finish (also when interrupted).
func (p *Project) Close(ctx context.Context) error {
	p.mu.Lock()
	models := make([]*llm.Client, 0, len(p.models))
	for _, m := range p.models {
		models = append(models, m)
	}
	p.mu.Unlock()
	var errs []error
	for _, m := range models {
		errs = append(errs, m.Close(ctx))
	}
	return errors.Join(errs...)
}

// ModelConfig decodes the models entry name.
func (p *Project) ModelConfig(name string) (llm.Config, error) {
	e, err := p.Config.Model(name)
	if err != nil {
		return llm.Config{}, err
	}
	return llm.ParseConfig(spec.NewParams(e.Path, e.Params))
}

// Model opens the model named name in the config (once; later calls share it).
func (p *Project) Model(ctx context.Context, name string) (*llm.Client, error) {
	p.mu.Lock()
	if m, ok := p.models[name]; ok {
		p.mu.Unlock()
		return m, nil
	}
	p.mu.Unlock()
	cfg, err := p.ModelConfig(name)
	if err != nil {
		return nil, err
	}
	cacheDir := ""
	if p.Config.Cache.Enabled {
		cacheDir = p.Config.Cache.Dir
	}
	m, err := llm.Open(ctx, name, cfg, llm.OpenOptions{
		Dir:       p.Config.Dir,
		CacheDir:  cacheDir,
		NoCache:   p.opts.NoCache,
		Meter:     p.Meter,
		LookupEnv: p.opts.LookupEnv,
		Builtin:   p.openBuiltin,
	})
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.models[name]; ok {
		return prev, nil
	}
	p.models[name] = m
	return m, nil
}

// openBuiltin builds the offline docs bot over the project's knowledge base.
func (p *Project) openBuiltin(ctx context.Context, name string, cfg llm.Config) (llm.Model, error) {
	kb, err := p.KB(ctx)
	if err != nil {
		return nil, err
	}
	if kb == nil {
		return nil, spec.Errorf("knowledge.docs", "model %s (provider builtin) answers from the help docs, but the config names none", name)
	}
	b, err := llm.NewBuiltin(cfg.Builtin, kb.Search)
	if err != nil {
		return nil, err
	}
	// The bot recalls learned pairs by meaning through the knowledge
	// base's embedder (llm does not import retrieval: the function is
	// injected, like the search).
	return b.WithEmbed(kb.Embedder().Embed), nil
}

// ValidatorDeps gathers what validators may need: the judge model (when
// eval.judge is set), the knowledge base and its embedder, and the eval set.
func (p *Project) ValidatorDeps(ctx context.Context, eval []dataset.Item) (validators.Deps, error) {
	d := validators.Deps{Eval: eval}
	if p.Config.Eval.Judge != "" {
		j, err := p.Model(ctx, p.Config.Eval.Judge)
		if err != nil {
			return d, err
		}
		d.Judge = j
	}
	kb, err := p.KB(ctx)
	if err != nil {
		return d, err
	}
	if kb != nil {
		d.Search, d.Corpus, d.Embedder = kb, kb, kb.Embedder()
	}
	return d, nil
}

// Validators builds the eval validators: those in eval.validators, or the
// default set for what the project has. It returns the entries it built too,
// for the run's manifest.
func (p *Project) Validators(ctx context.Context, deps validators.Deps) ([]validators.Built, []map[string]any, error) {
	entries := p.Config.Eval.Validators
	if entries == nil {
		entries = validators.Defaults(validators.Available{Docs: deps.Corpus != nil, Judge: deps.Judge != nil, Embedder: false})
	}
	reg := validators.Builtin()
	built := make([]validators.Built, 0, len(entries))
	var errs []error
	for i, e := range entries {
		b, err := reg.Build(spec.Index("eval.validators", i), e, deps)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		built = append(built, b)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if len(built) == 0 {
		return nil, nil, spec.Errorf("eval.validators", "is empty: list at least one validator, or remove the key to use the default set")
	}
	return built, entries, nil
}

// CheckEvalConfig builds the eval validators and the label policy against
// stand-ins — a judge that is never called, empty help docs, the offline
// embedder — so that a bad parameter is reported with its key path without
// opening a model, a provider or the knowledge base (`synth eval --dry-run`).
func (p *Project) CheckEvalConfig(ctx context.Context) error {
	var deps validators.Deps
	if p.Config.Eval.Judge != "" {
		if _, err := p.ModelConfig(p.Config.Eval.Judge); err != nil {
			return err
		}
		deps.Judge = llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
			return llm.Response{}, errors.New("dry run: the judge is not called")
		})
	}
	if p.HasDocs() {
		empty := standInDocs{}
		deps.Search, deps.Corpus = empty, empty
	}
	emb, err := retrieval.NewBuiltin(retrieval.DefaultDim)
	if err != nil {
		return err
	}
	deps.Embedder = emb
	if _, _, err := p.Validators(ctx, deps); err != nil {
		return err
	}
	_, err = p.Policy()
	return err
}

// standInDocs is an empty knowledge base for checking config.
type standInDocs struct{}

func (standInDocs) Search(context.Context, string, int) ([]dataset.Chunk, error) { return nil, nil }
func (standInDocs) Chunks() []dataset.Chunk                                      { return nil }

// Policy decodes eval.policy.
func (p *Project) Policy() (validators.Policy, error) {
	return validators.DecodePolicy(spec.NewParams("eval.policy", p.Config.Eval.Policy))
}

// ModelNames lists the configured model names, sorted.
func (p *Project) ModelNames() []string {
	names := make([]string, 0, len(p.Config.Models))
	for n := range p.Config.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// JudgeValidators names the validators of entries (nil: the default set for
// a project with or without docs and judge) that call the judge model.
func JudgeValidators(entries []map[string]any, hasDocs, hasJudge bool) []string {
	if entries == nil {
		entries = validators.Defaults(validators.Available{Docs: hasDocs, Judge: hasJudge})
	}
	reg := validators.Builtin()
	var out []string
	for _, e := range entries {
		kind, _ := e["type"].(string)
		entry, ok := reg.Lookup(kind)
		if !ok {
			continue
		}
		needs := slices.Contains(entry.Spec.Needs, "judge") || e["mode"] == "llm"
		if needs {
			name, _ := e["name"].(string)
			out = append(out, firstNonEmpty(name, kind))
		}
	}
	return out
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
