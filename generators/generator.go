package generators

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

// Failure is the eval item a generation round works for: a question the
// evaluated model got wrong. Generators use it only as a topic hint; the
// eval question and its gold answer must never be copied into training data.
type Failure struct {
	// ID is the eval item's id.
	ID string `json:"id"`
	// Question is the eval question.
	Question string `json:"question"`
	// Gold are the eval item's gold answers.
	Gold []string `json:"gold,omitempty"`
	// Output is the evaluated model's wrong answer.
	Output string `json:"output,omitempty"`
	// Label is the label the answer got (partial, wrong, hallucinated, ...).
	Label dataset.Label `json:"label,omitempty"`
	// Tags are the eval item's tags; generated rows inherit them.
	Tags []string `json:"tags,omitempty"`
}

// Topic is the text to retrieve help-doc chunks for: the question and the
// first gold answer, which together name what the item is about.
func (f Failure) Topic() string {
	if len(f.Gold) == 0 || strings.TrimSpace(f.Gold[0]) == "" {
		return f.Question
	}
	return strings.TrimSpace(f.Question + "\n" + f.Gold[0])
}

// Seed is what one generator call works from.
type Seed struct {
	// Failure is the failed eval item (a topic hint only).
	Failure Failure
	// Chunks are the help-doc chunks the candidates must be grounded in,
	// most relevant first.
	Chunks []dataset.Chunk
	// Round is the agentic loop's round, from 1.
	Round int
	// Feedback lists why earlier candidates for this failure were rejected,
	// most frequent first, for the generator to avoid.
	Feedback []string
	// Accepted are the questions already accepted for this failure, which
	// new candidates should not repeat.
	Accepted []string
	// N is how many candidates to write (a stage's `n` parameter overrides it).
	N int
	// Candidates are the samples earlier generator stages of this round made
	// (and the validators before this stage kept): the input of transform
	// generators such as paraphrase and evolve. Source generators ignore it.
	Candidates []dataset.Sample
}

// Generator writes candidate samples for a seed. A source generator returns
// new candidates; a transform generator returns the new pool made from
// seed.Candidates (keeping the originals or not, as configured). Each
// sample's Contexts must be chunks it is grounded in, taken from the seed.
// Implementations must be safe for concurrent use.
//
// A returned error means the call failed as a whole (the model stayed
// unreachable, or its output never parsed: see [ErrMalformed]); the loop
// counts it as a failed attempt, never a crash.
type Generator interface {
	Name() string
	Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error)
}

// Func adapts a function to [Generator] under a name.
func Func(name string, f func(ctx context.Context, seed Seed) ([]dataset.Sample, error)) Generator {
	return funcGenerator{name: name, f: f}
}

type funcGenerator struct {
	name string
	f    func(ctx context.Context, seed Seed) ([]dataset.Sample, error)
}

func (g funcGenerator) Name() string { return g.name }

func (g funcGenerator) Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error) {
	return g.f(ctx, seed)
}

// ErrMalformed is wrapped by errors for model output that did not parse
// after every retry.
var ErrMalformed = errors.New("malformed model output")

// ErrNoModel is wrapped by constructor errors of generators that need an LLM
// when none is configured.
var ErrNoModel = errors.New("needs an LLM")

// Kind says how a generator stage treats the candidate pool.
type Kind string

const (
	// Source generators write new candidates from the seed's chunks; they
	// are added to the pool.
	Source Kind = "source"
	// Transform generators rewrite the candidates already in the pool
	// (seed.Candidates); their output replaces the pool.
	Transform Kind = "transform"
)

// Deps are what generators may need from the project. Any field may be nil;
// a constructor that needs a missing one returns an error naming what to
// configure.
type Deps struct {
	// Model is the generator LLM (generate.model); nil when generation runs offline.
	Model llm.Model
	// ModelName is Model's name in the config, for messages.
	ModelName string
	// Corpus is every help-doc chunk (the builtin generator completes
	// answers from sibling sections).
	Corpus retrieval.Corpus
}

// Constructor builds a generator from its parameters. It reads every
// parameter through p so that typos are reported, and returns p.Err().
type Constructor func(p *spec.Params, deps Deps) (Generator, error)

// Entry is a registered generator kind.
type Entry struct {
	Spec spec.Spec
	Kind Kind
	New  Constructor
	// Aliases are other names the kind may be written as in config.
	Aliases []string
}

// Registry maps generator kinds to constructors.
type Registry struct {
	table *spec.Table[Entry]
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{table: spec.NewTable[Entry]("generators")}
}

// Builtin returns a new registry holding every built-in generator kind.
// Each call returns a fresh registry that callers may extend.
func Builtin() *Registry {
	r := NewRegistry()
	for _, e := range builtinEntries() {
		r.MustRegister(e)
	}
	return r
}

// builtinEntries is the table of built-in kinds, one line each.
func builtinEntries() []Entry {
	return []Entry{
		builtinEntry(),
		qaEntry(),
		paraphraseEntry(),
		evolveEntry(),
	}
}

// Register adds a generator kind; registering a name or alias twice is an error.
func (r *Registry) Register(e Entry) error {
	if e.Spec.Name == "" || e.New == nil {
		return fmt.Errorf("generators: register: name and constructor are required")
	}
	if e.Kind != Source && e.Kind != Transform {
		return fmt.Errorf("generators: register %q: kind must be source or transform", e.Spec.Name)
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

// Names returns the registered kinds, sorted.
func (r *Registry) Names() []string { return r.table.Names() }

// Built is a generator built from config, with its kind.
type Built struct {
	Generator
	Kind Kind
}

// Build makes a generator from one config entry ({type: qa, n: 5}) read at
// path. The optional `name` key renames the generator in provenance and
// summaries.
func (r *Registry) Build(path string, cfg map[string]any, deps Deps) (Built, error) {
	kind, _ := cfg["type"].(string)
	if kind == "" {
		return Built{}, spec.Errorf(spec.Join(path, "type"), "missing generator type (one of %s)", strings.Join(r.Names(), ", "))
	}
	e, ok := r.Lookup(kind)
	if !ok {
		return Built{}, spec.Errorf(spec.Join(path, "type"), "unknown generator %q (one of %s)", kind, strings.Join(r.Names(), ", "))
	}
	p := spec.NewParams(path, cfg, "type", "name")
	g, err := e.New(p, deps)
	if err != nil {
		return Built{}, err
	}
	if v, ok := cfg["name"]; ok {
		name, isString := v.(string)
		if !isString || strings.TrimSpace(name) == "" {
			return Built{}, spec.Errorf(spec.Join(path, "name"), "must be a non-empty string")
		}
		g = renamed{Generator: g, name: name}
	}
	return Built{Generator: g, Kind: e.Kind}, nil
}

type renamed struct {
	Generator
	name string
}

func (r renamed) Name() string { return r.name }

func (r renamed) Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error) {
	out, err := r.Generator.Generate(ctx, seed)
	for i := range out {
		out[i].Provenance.Generator = r.name
	}
	return out, err
}

// NewSample returns a candidate written by generator for seed: question and
// answer trimmed, grounded in chunks, with provenance (failed item, round,
// chunk ids and their documents) and the failure's tags.
func NewSample(generator string, seed Seed, question, answer string, chunks []dataset.Chunk) dataset.Sample {
	s := dataset.Sample{
		Question: strings.TrimSpace(question),
		Answer:   strings.TrimSpace(answer),
		Contexts: chunks,
		Tags:     append([]string(nil), seed.Failure.Tags...),
		Provenance: dataset.Provenance{
			FailedItem: seed.Failure.ID,
			Generator:  generator,
			Round:      seed.Round,
		},
	}
	SetChunkProvenance(&s)
	return s
}

// SetChunkProvenance sets s.Provenance.Chunks and Docs from s.Contexts.
func SetChunkProvenance(s *dataset.Sample) {
	s.Provenance.Chunks = s.Provenance.Chunks[:0:0]
	s.Provenance.Docs = s.Provenance.Docs[:0:0]
	seen := map[string]bool{}
	for _, c := range s.Contexts {
		s.Provenance.Chunks = append(s.Provenance.Chunks, c.ID)
		if !seen[c.Doc] {
			seen[c.Doc] = true
			s.Provenance.Docs = append(s.Provenance.Docs, c.Doc)
		}
	}
}

// want returns how many candidates to write: n when the stage set it, else
// the seed's N (at least 1).
func want(n int, seed Seed) int {
	if n > 0 {
		return n
	}
	return max(seed.N, 1)
}

// transformInputs splits a transform's seed: the candidates to work on (the
// first maxInputs when it is above 0) and the start of its output (the
// candidates themselves when keep is set, so that they pass on unchanged).
func transformInputs(seed Seed, maxInputs int, keep bool) (in, out []dataset.Sample) {
	in = seed.Candidates
	if maxInputs > 0 && len(in) > maxInputs {
		in = in[:maxInputs]
	}
	if keep {
		out = append(out, seed.Candidates...)
	}
	return in, out
}
