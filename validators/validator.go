package validators

import (
	"context"
	"fmt"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

// Validator judges a sample. It never mutates the sample. An error means the
// validator could not judge (a judge model failed after retries); the item is
// then labelled error, never wrong.
type Validator interface {
	Name() string
	Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error)
}

// Role says how a validator's verdict enters the label policy.
type Role string

const (
	// Answer validators compare the answer with the gold answers; their labels
	// (correct, partial, wrong) are combined by the policy.
	Answer Role = "answer"
	// Check validators look for a specific fault (refusal, invented link,
	// unsupported claim, contradicted number); when they give a label it
	// overrides the answer label, in the policy's precedence order.
	Check Role = "check"
	// Data validators filter generated samples (dedupe, decontaminate, length);
	// they pass or fail and give no label.
	Data Role = "data"
)

// Deps are what validators may need from the project. Any field may be nil
// when the project lacks it; a constructor that needs a missing one returns
// an error naming what to configure.
type Deps struct {
	// Judge is the model for LLM-based validators (judge, grounded in LLM mode, answerable).
	Judge llm.Model
	// Embedder embeds texts for similarity validators.
	Embedder retrieval.Embedder
	// Search retrieves help-doc chunks.
	Search retrieval.Searcher
	// Corpus is every chunk of the help docs.
	Corpus retrieval.Corpus
	// Eval is the eval set, for decontamination.
	Eval []dataset.Item
}

// Constructor builds a validator from its parameters. It reads every
// parameter through p so that typos are reported, and returns p.Err().
type Constructor func(p *spec.Params, deps Deps) (Validator, error)

// Entry is a registered validator kind.
type Entry struct {
	Spec spec.Spec
	Role Role
	New  Constructor
	// Aliases are other names the kind may be written as in config
	// (`rouge` for `rouge_l`); [Registry.Entries] lists the kind once.
	Aliases []string
}

// Registry maps validator kinds to constructors.
type Registry struct {
	table *spec.Table[Entry]
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{table: spec.NewTable[Entry]("validators")}
}

// Register adds a validator kind; registering a name or alias twice is an error.
func (r *Registry) Register(e Entry) error {
	if e.Spec.Name == "" || e.New == nil {
		return fmt.Errorf("validators: register: name and constructor are required")
	}
	return r.table.Add(e.Spec.Name, e.Aliases, e)
}

// MustRegister is [Registry.Register] that panics; for building the built-in table.
func (r *Registry) MustRegister(e Entry) {
	if err := r.Register(e); err != nil {
		panic(err)
	}
}

// Lookup returns the entry for kind, which may be an alias.
func (r *Registry) Lookup(kind string) (Entry, bool) { return r.table.Lookup(kind) }

// Entries returns every entry, sorted by name.
func (r *Registry) Entries() []Entry { return r.table.Entries() }

// Built is a validator built from config, with its role.
type Built struct {
	Validator
	Role Role
}

// Build makes a validator from one config entry ({type: f1, correct: 0.8, name: ...}) read at path.
// The optional `name` key renames the validator in verdicts; `role` overrides its role.
func (r *Registry) Build(path string, cfg map[string]any, deps Deps) (Built, error) {
	kind, _ := cfg["type"].(string)
	if kind == "" {
		return Built{}, spec.Errorf(spec.Join(path, "type"), "missing validator type (one of %s)", r.names())
	}
	e, ok := r.Lookup(kind)
	if !ok {
		return Built{}, spec.Errorf(spec.Join(path, "type"), "unknown validator %q (one of %s)", kind, r.names())
	}
	p := spec.NewParams(path, cfg, "type", "name", "role")
	v, err := e.New(p, deps)
	if err != nil {
		return Built{}, err
	}
	role := e.Role
	if raw, present := cfg["role"]; present {
		rs, _ := raw.(string)
		switch Role(rs) {
		case Answer, Check, Data:
			role = Role(rs)
		default:
			return Built{}, spec.Errorf(spec.Join(path, "role"), "must be answer, check or data, got %v", raw)
		}
	}
	if raw, present := cfg["name"]; present {
		name, ok := raw.(string)
		if !ok || name == "" {
			return Built{}, spec.Errorf(spec.Join(path, "name"), "must be a non-empty string, got %v", raw)
		}
		v = renamed{Validator: v, name: name}
	}
	return Built{Validator: v, Role: role}, nil
}

func (r *Registry) names() string { return r.table.List() }

type renamed struct {
	Validator
	name string
}

func (r renamed) Name() string { return r.name }

func (r renamed) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	v, err := r.Validator.Validate(ctx, s)
	v.Validator = r.name
	return v, err
}
