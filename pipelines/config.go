package pipelines

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/synth-dev/synth/spec"
)

// Config is a parsed synth.yaml. Paths in it are already resolved against the
// config file's folder.
type Config struct {
	// Dir is the project folder: the config file's folder.
	Dir string
	// Models are the named model entries, by lower-case name.
	Models map[string]ModelEntry
	// Knowledge is the help-docs section; Knowledge.Docs is empty when the project has none.
	Knowledge KnowledgeConfig
	// Eval is the eval section.
	Eval EvalConfig
	// Generate is the generate section, raw: the generate pipeline decodes it.
	Generate map[string]any
	// Cache is the response-cache section.
	Cache CacheConfig
}

// ModelEntry is one `models:` entry, raw: the llm package decodes it.
type ModelEntry struct {
	Name   string
	Path   string // key path, "models.gpt"
	Params map[string]any
}

// KnowledgeConfig is the `knowledge:` section, raw: the retrieval package decodes it.
type KnowledgeConfig struct {
	Params map[string]any
}

// EvalConfig is the `eval:` section.
type EvalConfig struct {
	Dataset      string
	Model        string
	Judge        string
	Concurrency  int
	Out          string
	RAGK         int
	SystemPrompt string
	// Validators are the configured validator entries; nil means the default set.
	Validators []map[string]any
	// Policy is the raw label-policy section.
	Policy map[string]any
}

// CacheConfig is the `cache:` section.
type CacheConfig struct {
	Enabled bool
	Dir     string
}

// DefaultSystemPrompt is the system prompt eval sends with every question unless
// eval.system_prompt replaces it.
const DefaultSystemPrompt = "You are a helpful customer-support assistant. Answer the customer's question accurately and concisely."

// Config keys, as written in synth.yaml.
const (
	keyModels    = "models"
	keyKnowledge = "knowledge"
	keyEval      = "eval"
	keyGenerate  = "generate"
	keyCache     = "cache"
	keyVersion   = "version"
)

// ParseConfig decodes a config tree (as read from YAML, keys lower-cased) for
// the project in dir. Every problem is reported with its key path, all at once.
func ParseConfig(raw map[string]any, dir string) (*Config, error) {
	root := spec.NewParams("", raw)
	c := &Config{Dir: dir, Models: map[string]ModelEntry{}}
	var errs []error

	if v := root.Int(keyVersion, 1); v != 1 {
		root.Fail(keyVersion, "unsupported config version %d (this synth reads version 1)", v)
	}
	if m := root.Map(keyModels); m != nil {
		for name, entry := range m {
			path := spec.Join(keyModels, name)
			params, ok := spec.AsMap(entry)
			if !ok {
				errs = append(errs, spec.Errorf(path, "must be a mapping with at least `provider:`"))
				continue
			}
			c.Models[strings.ToLower(name)] = ModelEntry{Name: strings.ToLower(name), Path: path, Params: params}
		}
	}
	c.Knowledge.Params = root.Map(keyKnowledge)
	c.Generate = root.Map(keyGenerate)

	ev := root.Sub(keyEval)
	c.Eval = EvalConfig{
		Dataset:      c.Resolve(ev.String("dataset", "")),
		Model:        strings.ToLower(ev.String("model", "")),
		Judge:        strings.ToLower(ev.String("judge", "")),
		Concurrency:  ev.IntIn("concurrency", 4, 1, 1024),
		Out:          c.Resolve(ev.String("out", "runs")),
		SystemPrompt: ev.String("system_prompt", DefaultSystemPrompt),
		Policy:       ev.Map("policy"),
	}
	if ev.Optional("rag") {
		rag := ev.Sub("rag")
		c.Eval.RAGK = rag.IntIn("k", 4, 0, 100)
		errs = append(errs, rag.Err())
	}
	if v, ok := ev.Raw("validators"); ok && v != nil {
		list, isList := v.([]any)
		if !isList {
			ev.Fail("validators", "must be a list of validators such as [{type: f1}]")
		}
		c.Eval.Validators = []map[string]any{}
		for i, e := range list {
			m, ok := spec.AsMap(e)
			if !ok {
				errs = append(errs, spec.Errorf(spec.Index("eval.validators", i), "must be a mapping such as {type: f1}"))
				continue
			}
			c.Eval.Validators = append(c.Eval.Validators, m)
		}
	}
	errs = append(errs, ev.Err())

	cache := root.Sub(keyCache)
	c.Cache = CacheConfig{
		Enabled: cache.Bool("enabled", true),
		Dir:     c.Resolve(cache.String("dir", filepath.Join(".synth", "cache"))),
	}
	errs = append(errs, cache.Err(), root.Err())

	for _, ref := range []struct{ path, name string }{{"eval.model", c.Eval.Model}, {"eval.judge", c.Eval.Judge}} {
		if ref.name != "" {
			if _, err := c.Model(ref.name); err != nil {
				var se *spec.Error
				if errors.As(err, &se) {
					se.Path = ref.path
				}
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// Resolve makes a config path absolute against the project folder; "" stays "".
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// StateDir is the project's `.synth/` folder.
func (c *Config) StateDir() string { return filepath.Join(c.Dir, ".synth") }

// Model returns the entry for name, or an error listing the configured models.
func (c *Config) Model(name string) (ModelEntry, error) {
	m, ok := c.Models[strings.ToLower(name)]
	if !ok {
		if reg, err := LoadTunedRegistry(c.Dir); err == nil {
			if t, found := reg.Models[strings.ToLower(name)]; found && t.State != TunedReady {
				return ModelEntry{}, spec.Errorf("models", "tuned model %q is %s, not ready to evaluate: see synth tune status %s", name, t.State, t.Name)
			}
		}
		return ModelEntry{}, spec.Errorf("models", "no model named %q under models: (have %s)", name, c.modelNames())
	}
	return m, nil
}

func (c *Config) modelNames() string {
	if len(c.Models) == 0 {
		return "none"
	}
	names := make([]string, 0, len(c.Models))
	for n := range c.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// String describes the config briefly, for logs.
func (c *Config) String() string {
	return fmt.Sprintf("project %s: %d models, eval model %q", c.Dir, len(c.Models), c.Eval.Model)
}
