package dataset

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"
)

// Counts is the number of items per label. Its JSON always lists the six
// labels, in the order of [Labels].
type Counts map[Label]int

// MarshalJSON writes every label of [Labels], in order, then any other keys
// sorted.
func (c Counts) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	write := func(k string, n int) {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.WriteString(strconv.Itoa(n))
	}
	for _, l := range Labels {
		write(string(l), c[l])
	}
	var extra []string
	for l := range c {
		if !l.Valid() {
			extra = append(extra, string(l))
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		write(k, c[Label(k)])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// ValidatorStats summarises one validator's verdicts over a run.
type ValidatorStats struct {
	// Name is the verdicts' validator name.
	Name string `json:"name"`
	// Graded counts the results that have a verdict from this validator.
	Graded int `json:"graded"`
	// Passed counts the passing verdicts.
	Passed int `json:"passed"`
	// MeanScore is the mean score (NaN scores are left out).
	MeanScore float64 `json:"mean_score"`
}

// Summary is a run's summary.json. Field names are a public contract
// (DESIGN.md): scripts and CI read them.
type Summary struct {
	// Run is the run's id.
	Run string `json:"run"`
	// Model is the graded model's name in the config.
	Model string `json:"model"`
	// Dataset is the eval set's path.
	Dataset string `json:"dataset"`
	// Started and Finished bound the run (across resumes: first start, last finish).
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// DurationMS is the run's wall time in milliseconds.
	DurationMS int64 `json:"duration_ms"`
	// Items is the number of items the run was to grade; Total < Items means
	// it was interrupted and can be resumed.
	Items int `json:"items"`
	// Total is the number of graded items.
	Total int `json:"total"`
	// Counts has the number of items per label; all six labels are always present.
	Counts Counts `json:"counts"`
	// Accuracy is Counts[correct] over the graded items: Total without the
	// items labelled error (a failed call is not a wrong answer); 0 when none
	// was graded.
	Accuracy float64 `json:"accuracy"`
	// Usage is the tokens spent by the graded model.
	Usage Usage `json:"usage"`
	// Requests counts the requests sent to model providers by the graded
	// model and the judge (retries included; cache hits and local models —
	// builtin, replay — not).
	Requests int `json:"requests"`
	// Retries counts retried requests.
	Retries int `json:"retries"`
	// CacheHits counts answers served from the response cache.
	CacheHits int `json:"cache_hits"`
	// CostUSD is the estimated cost of the graded model's and the judge's
	// calls, from the models' configured prices.
	CostUSD float64 `json:"cost_usd"`
	// Validators has one entry per validator, in order of first appearance.
	Validators []ValidatorStats `json:"validators"`
	// Interrupted is set when the run stopped before grading every item.
	Interrupted bool `json:"interrupted,omitempty"`
	// Shard is set when the run is one part of a split run.
	Shard *Shard `json:"shard,omitempty"`
}

// Graded is the number of items that got a grade: Total without the items
// labelled error. Accuracy is over Graded.
func (s *Summary) Graded() int { return s.Total - s.Counts[Error] }

// Summarize computes, from results, the fields of a summary that results
// determine: Total, Counts, Accuracy, Usage, Retries, CacheHits and
// Validators. A result with no valid label counts as error (never as wrong).
// The caller sets the rest (run, model, times, requests, cost).
func Summarize(results []Result) Summary {
	s := Summary{Total: len(results), Counts: Counts{}, Validators: []ValidatorStats{}}
	for _, l := range Labels {
		s.Counts[l] = 0
	}
	index := map[string]int{}
	sums := []float64{}
	scored := []int{}
	for _, r := range results {
		l := r.Label
		if !l.Valid() {
			l = Error
		}
		s.Counts[l]++
		s.Usage = s.Usage.Add(r.Usage)
		s.Retries += r.Retries
		if r.Cached {
			s.CacheHits++
		}
		for _, v := range r.Verdicts {
			i, ok := index[v.Validator]
			if !ok {
				i = len(s.Validators)
				index[v.Validator] = i
				s.Validators = append(s.Validators, ValidatorStats{Name: v.Validator})
				sums = append(sums, 0)
				scored = append(scored, 0)
			}
			s.Validators[i].Graded++
			if v.Pass {
				s.Validators[i].Passed++
			}
			if !math.IsNaN(v.Score) && !math.IsInf(v.Score, 0) {
				sums[i] += v.Score
				scored[i]++
			}
		}
	}
	for i := range s.Validators {
		if scored[i] > 0 {
			s.Validators[i].MeanScore = sums[i] / float64(scored[i])
		}
	}
	if graded := s.Graded(); graded > 0 {
		s.Accuracy = float64(s.Counts[Correct]) / float64(graded)
	}
	return s
}
