package llm

import (
	"context"
	"sort"
	"sync"

	"github.com/synth-dev/synth/dataset"
)

// Price is what a model costs, in USD per million tokens.
type Price struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
}

// Cost returns the cost of u at price p, in USD.
func (p Price) Cost(u dataset.Usage) float64 {
	return (float64(u.PromptTokens)*p.Input + float64(u.CompletionTokens)*p.Output) / 1e6
}

// ModelStats is the usage of one model.
type ModelStats struct {
	// Calls counts calls to Generate (cache hits included).
	Calls int `json:"calls"`
	// CacheHits counts calls answered from the cache.
	CacheHits int `json:"cache_hits"`
	// Retries counts failed attempts that were retried.
	Retries int `json:"retries"`
	// Errors counts calls that failed (after retries).
	Errors int `json:"errors"`
	// Usage sums the tokens spent (cache hits spend none).
	Usage dataset.Usage `json:"usage"`
	// Cost is the estimated cost in USD (0 without a price).
	Cost float64 `json:"cost_usd"`
}

func (s *ModelStats) add(o ModelStats) {
	s.Calls += o.Calls
	s.CacheHits += o.CacheHits
	s.Retries += o.Retries
	s.Errors += o.Errors
	s.Usage = s.Usage.Add(o.Usage)
	s.Cost += o.Cost
}

// Stats is a snapshot of a [Meter].
type Stats struct {
	// Total sums every model.
	Total ModelStats `json:"total"`
	// Models holds each model's stats, by model name.
	Models map[string]ModelStats `json:"models"`
}

// Names returns the model names in s, sorted.
func (s Stats) Names() []string {
	names := make([]string, 0, len(s.Models))
	for n := range s.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Meter sums the usage of every model call across a run: calls, cache
// hits, retries, errors, tokens and estimated cost. Safe for concurrent use;
// one Meter is usually shared by every model of a run.
type Meter struct {
	mu     sync.Mutex
	models map[string]*ModelStats
}

// NewMeter returns an empty meter.
func NewMeter() *Meter { return &Meter{models: map[string]*ModelStats{}} }

// Record adds one call of model (priced at p) with its outcome.
func (m *Meter) Record(model string, p Price, resp Response, err error) {
	s := ModelStats{Calls: 1}
	if err != nil {
		s.Errors = 1
		s.Retries = Retries(err)
	} else {
		s.Retries = resp.Retries
		s.Usage = resp.Usage
		s.Cost = p.Cost(resp.Usage)
		if resp.Cached {
			s.CacheHits = 1
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.models[model]
	if !ok {
		cur = &ModelStats{}
		m.models[model] = cur
	}
	cur.add(s)
}

// Stats returns a snapshot of the totals.
func (m *Meter) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Stats{Models: make(map[string]ModelStats, len(m.models))}
	for name, s := range m.models {
		st.Models[name] = *s
		st.Total.add(*s)
	}
	return st
}

// Metered records every call through the model in m under name, priced at p.
func Metered(m *Meter, name string, p Price) Middleware {
	return func(next Model) Model {
		if m == nil {
			return next
		}
		return ModelFunc(func(ctx context.Context, req Request) (Response, error) {
			resp, err := next.Generate(ctx, req)
			m.Record(name, p, resp, err)
			return resp, err
		})
	}
}
