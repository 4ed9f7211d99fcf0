package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// Kind is what happened to one item between run A and run B.
type Kind string

// The kinds of [Transition].
const (
	// Fixed: not correct in A, correct in B.
	Fixed Kind = "fixed"
	// Regressed: correct in A, not correct in B.
	Regressed Kind = "regressed"
	// Changed: a different label in B, neither of them correct (wrong → partial).
	Changed Kind = "changed"
	// Unchanged: the same label in both runs.
	Unchanged Kind = "unchanged"
	// OnlyA: the item was graded in A only.
	OnlyA Kind = "only_a"
	// OnlyB: the item was graded in B only.
	OnlyB Kind = "only_b"
)

// Kinds lists every [Kind] in display order.
var Kinds = []Kind{Fixed, Regressed, Changed, Unchanged, OnlyA, OnlyB}

// ErrNoOverlap is returned (wrapped) by [Compare] when the two runs share no
// item id, so there is nothing to pair.
var ErrNoOverlap = errors.New("the runs share no items")

// Side describes one run of a comparison. Its figures cover every item the
// run graded, paired or not.
type Side struct {
	// Run is the run's id.
	Run string `json:"run"`
	// Model is the graded model's name.
	Model string `json:"model"`
	// Dataset is the eval set's path, as the run recorded it.
	Dataset string `json:"dataset"`
	// DatasetHash identifies the eval set's content, when the run recorded it.
	DatasetHash string `json:"dataset_hash,omitempty"`
	// Total is the number of graded items.
	Total int `json:"total"`
	// Counts is the number of items per label (all six labels present).
	Counts dataset.Counts `json:"counts"`
	// Accuracy is correct / Total.
	Accuracy float64 `json:"accuracy"`
	// CI is the 95% Wilson score interval of Accuracy.
	CI Interval `json:"ci95"`
	// Interrupted is set when the run did not grade every item it was to.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Outcome is one item's result in one run, as a comparison shows it.
type Outcome struct {
	// Label is the item's label in the run.
	Label dataset.Label `json:"label"`
	// Output is the model's answer.
	Output string `json:"output"`
	// Reason says why the item got its label.
	Reason string `json:"reason,omitempty"`
}

// Transition is one item's change between run A and run B.
type Transition struct {
	// ID is the item's id.
	ID string `json:"id"`
	// Question is the item's question (as run B has it, when both do).
	Question string `json:"question"`
	// Gold holds the acceptable gold answers.
	Gold []string `json:"gold,omitempty"`
	// Tags are the item's tags in either run.
	Tags []string `json:"tags,omitempty"`
	// Kind is the transition: fixed, regressed, changed, unchanged, only_a or only_b.
	Kind Kind `json:"transition"`
	// A is the item's outcome in run A; nil when the item is only in B.
	A *Outcome `json:"a"`
	// B is the item's outcome in run B; nil when the item is only in A.
	B *Outcome `json:"b"`
}

// LabelRow is one label's count in both runs.
type LabelRow struct {
	Label dataset.Label `json:"label"`
	A     int           `json:"a"`
	B     int           `json:"b"`
	// Delta is B - A.
	Delta int `json:"delta"`
}

// Paired summarises the items graded in both runs, the ones the McNemar test
// and the transitions are about.
type Paired struct {
	// Items is the number of items in both runs.
	Items int `json:"items"`
	// Graded is the number of those labelled something other than error in both.
	Graded int `json:"graded"`
	// ACorrect and BCorrect count the paired items correct in each run.
	ACorrect int `json:"a_correct"`
	BCorrect int `json:"b_correct"`
	// AAccuracy and BAccuracy are those counts over Graded.
	AAccuracy float64 `json:"a_accuracy"`
	BAccuracy float64 `json:"b_accuracy"`
}

// TagComparison is the comparison restricted to the paired items that carry
// one tag.
type TagComparison struct {
	Tag string `json:"tag"`
	Paired
	// Transitions counts the paired items per kind (fixed, regressed, changed, unchanged).
	Transitions KindCounts `json:"transitions"`
	// McNemar is the exact test on this tag's items.
	McNemar McNemar `json:"mcnemar"`
}

// Comparison is run A (before) compared with run B (after), item by item.
// Its JSON field names are a public contract: scripts read `synth compare
// --json`.
type Comparison struct {
	// A and B are the two runs.
	A Side `json:"a"`
	B Side `json:"b"`
	// SameDataset is false when the runs recorded different eval sets
	// (different content hashes, or different paths when no hash is known).
	SameDataset bool `json:"same_dataset"`
	// Paired summarises the items graded in both runs.
	Paired Paired `json:"paired"`
	// OnlyA and OnlyB are the ids of items graded in one run only.
	OnlyA []string `json:"only_a"`
	OnlyB []string `json:"only_b"`
	// Labels has both runs' counts for every label, in display order.
	Labels []LabelRow `json:"labels"`
	// AccuracyDelta is B.Accuracy - A.Accuracy.
	AccuracyDelta float64 `json:"accuracy_delta"`
	// Transitions counts the items of each kind; every kind is present.
	Transitions KindCounts `json:"transitions"`
	// McNemar is the exact McNemar test on the paired items.
	McNemar McNemar `json:"mcnemar"`
	// Verdict says in plain words what the test shows.
	Verdict string `json:"verdict"`
	// Notes are caveats a reader should know (different eval sets, items
	// missing from one run, error labels, interrupted runs).
	Notes []string `json:"notes"`
	// Tags compares the paired items tag by tag, tags sorted by name.
	Tags []TagComparison `json:"tags"`
	// Items has one transition per item: A's items in A's order, then the
	// items only in B in B's order.
	Items []Transition `json:"items"`
}

// Compare pairs the results of run a (before) and run b (after) by item id
// and computes the label counts, every item's transition, each run's
// accuracy with its 95% Wilson interval and the exact McNemar test, overall
// and per tag. Runs over different eval sets are compared on the items they
// share (and a note says so); runs that share no item are refused with an
// error wrapping [ErrNoOverlap].
func Compare(a, b *dataset.Run) (*Comparison, error) {
	if a == nil || b == nil {
		return nil, errors.New("compare: missing run")
	}
	c := &Comparison{
		A:           side(a),
		B:           side(b),
		SameDataset: true,
		OnlyA:       []string{},
		OnlyB:       []string{},
		Notes:       []string{},
		Tags:        []TagComparison{},
		Items:       []Transition{},
		Transitions: KindCounts{},
	}
	for _, k := range Kinds {
		c.Transitions[k] = 0
	}
	switch {
	case c.A.DatasetHash != "" && c.B.DatasetHash != "":
		c.SameDataset = c.A.DatasetHash == c.B.DatasetHash
	case c.A.Dataset != "" && c.B.Dataset != "":
		c.SameDataset = c.A.Dataset == c.B.Dataset
	}

	inB := make(map[string]int, len(b.Results))
	for i, r := range b.Results {
		inB[r.ID] = i
	}
	inA := make(map[string]bool, len(a.Results))
	tags := map[string]*TagComparison{}
	questionsChanged := 0
	for _, ra := range a.Results {
		inA[ra.ID] = true
		j, ok := inB[ra.ID]
		if !ok {
			c.OnlyA = append(c.OnlyA, ra.ID)
			c.Items = append(c.Items, Transition{ID: ra.ID, Question: ra.Question, Gold: ra.Gold, Tags: ra.Tags, Kind: OnlyA, A: outcome(ra)})
			c.Transitions[OnlyA]++
			continue
		}
		rb := b.Results[j]
		t := Transition{ID: ra.ID, Question: rb.Question, Gold: rb.Gold, Tags: unionTags(ra.Tags, rb.Tags), A: outcome(ra), B: outcome(rb)}
		if t.Question == "" {
			t.Question = ra.Question
		}
		if len(t.Gold) == 0 {
			t.Gold = ra.Gold
		}
		if ra.Question != "" && rb.Question != "" && strings.TrimSpace(ra.Question) != strings.TrimSpace(rb.Question) {
			questionsChanged++
		}
		t.Kind = transition(t.A.Label, t.B.Label)
		c.Items = append(c.Items, t)
		c.Transitions[t.Kind]++
		c.Paired.add(t)
		for _, tag := range t.Tags {
			tc := tags[tag]
			if tc == nil {
				tc = &TagComparison{Tag: tag, Transitions: KindCounts{Fixed: 0, Regressed: 0, Changed: 0, Unchanged: 0}}
				tags[tag] = tc
			}
			tc.Paired.add(t)
			tc.Transitions[t.Kind]++
		}
	}
	for _, rb := range b.Results {
		if !inA[rb.ID] {
			c.OnlyB = append(c.OnlyB, rb.ID)
			c.Items = append(c.Items, Transition{ID: rb.ID, Question: rb.Question, Gold: rb.Gold, Tags: rb.Tags, Kind: OnlyB, B: outcome(rb)})
			c.Transitions[OnlyB]++
		}
	}

	if c.Paired.Items == 0 {
		for _, s := range []struct {
			name string
			side Side
		}{{"A", c.A}, {"B", c.B}} {
			if s.side.Total == 0 {
				return nil, fmt.Errorf("compare: run %s (%s) has no results: %w", s.name, s.side.Run, ErrNoOverlap)
			}
		}
		return nil, fmt.Errorf("compare %s with %s: %w: A graded %s from %s, B graded %s from %s; compare runs over the same eval set",
			c.A.Run, c.B.Run, ErrNoOverlap, plural(c.A.Total, "item"), orNone(c.A.Dataset), plural(c.B.Total, "item"), orNone(c.B.Dataset))
	}
	c.Paired.finish()

	for _, l := range dataset.Labels {
		c.Labels = append(c.Labels, LabelRow{Label: l, A: c.A.Counts[l], B: c.B.Counts[l], Delta: c.B.Counts[l] - c.A.Counts[l]})
	}
	c.AccuracyDelta = c.B.Accuracy - c.A.Accuracy
	c.McNemar = McNemarTest(c.Transitions[Fixed], c.Transitions[Regressed])
	c.Verdict = verdict(c.McNemar)

	names := make([]string, 0, len(tags))
	for name := range tags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tc := tags[name]
		tc.Paired.finish()
		tc.McNemar = McNemarTest(tc.Transitions[Fixed], tc.Transitions[Regressed])
		c.Tags = append(c.Tags, *tc)
	}

	if !c.SameDataset {
		c.Notes = append(c.Notes, fmt.Sprintf("the runs were graded on different eval sets (A: %s, B: %s); only the %d items they share are paired",
			orNone(c.A.Dataset), orNone(c.B.Dataset), c.Paired.Items))
	}
	if n := len(c.OnlyA); n > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%s only in A: left out of the transitions and the test", plural(n, "item")))
	}
	if n := len(c.OnlyB); n > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%s only in B: left out of the transitions and the test", plural(n, "item")))
	}
	if questionsChanged > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%s paired by id %s a different question in A and B", plural(questionsChanged, "item"), map[bool]string{true: "has", false: "have"}[questionsChanged == 1]))
	}
	for _, s := range []struct {
		name string
		side Side
	}{{"A", c.A}, {"B", c.B}} {
		if n := s.side.Counts[dataset.Error]; n > 0 {
			c.Notes = append(c.Notes, fmt.Sprintf("%s labelled error in %s (the model or a validator failed): not graded, so left out of its accuracy and never counted as fixed or regressed", plural(n, "item"), s.name))
		}
		if s.side.Interrupted {
			c.Notes = append(c.Notes, fmt.Sprintf("run %s (%s) was interrupted: resume it to grade every item", s.name, s.side.Run))
		}
	}
	return c, nil
}

// side computes one run's figures from its results, with names from its
// summary or manifest.
func side(r *dataset.Run) Side {
	sum := dataset.Summarize(r.Results)
	s := Side{Run: r.ID, Total: sum.Total, Counts: sum.Counts, Accuracy: sum.Accuracy, CI: Wilson(sum.Counts[dataset.Correct], sum.Graded())}
	if m := r.Manifest; m != nil {
		s.Model, s.Dataset, s.DatasetHash = m.Model, m.Dataset, m.DatasetHash
		if s.Run == "" {
			s.Run = m.Run
		}
		if len(m.ItemIDs) > sum.Total {
			s.Interrupted = true
		}
	}
	if sm := r.Summary; sm != nil {
		if s.Model == "" {
			s.Model = sm.Model
		}
		if s.Dataset == "" {
			s.Dataset = sm.Dataset
		}
		if s.Run == "" {
			s.Run = sm.Run
		}
		if sm.Interrupted || sm.Items > sum.Total {
			s.Interrupted = true
		}
	}
	return s
}

func outcome(r dataset.Result) *Outcome {
	o := &Outcome{Label: normLabel(r.Label), Output: r.Output, Reason: r.Reason}
	if o.Reason == "" && r.Error != "" {
		o.Reason = r.Error
	}
	return o
}

// normLabel maps a result's label to a valid one: anything unknown is error.
func normLabel(l dataset.Label) dataset.Label {
	if !l.Valid() {
		return dataset.Error
	}
	return l
}

// transition classifies a pair of labels.
func transition(a, b dataset.Label) Kind {
	switch {
	case a == b:
		return Unchanged
	case a == dataset.Error || b == dataset.Error:
		// Not graded on one side: says nothing about the model, so neither
		// fixed nor regressed (and left out of the McNemar test).
		return Changed
	case b == dataset.Correct:
		return Fixed
	case a == dataset.Correct:
		return Regressed
	}
	return Changed
}

func (p *Paired) add(t Transition) {
	p.Items++
	if t.A.Label == dataset.Error || t.B.Label == dataset.Error {
		return // not graded on both sides: left out of the paired accuracies
	}
	p.Graded++
	if t.A.Label == dataset.Correct {
		p.ACorrect++
	}
	if t.B.Label == dataset.Correct {
		p.BCorrect++
	}
}

func (p *Paired) finish() {
	if p.Graded > 0 {
		p.AAccuracy = float64(p.ACorrect) / float64(p.Graded)
		p.BAccuracy = float64(p.BCorrect) / float64(p.Graded)
	}
}

// verdict puts a McNemar result into plain words.
func verdict(m McNemar) string {
	switch {
	case m.Fixed+m.Regressed == 0:
		return "no item changed between correct and not correct: no evidence of a difference (p=1)"
	case m.Significant && m.Fixed > m.Regressed:
		return fmt.Sprintf("the improvement is unlikely to be chance (%s)", pText(m.P))
	case m.Significant:
		return fmt.Sprintf("the regression is unlikely to be chance (%s)", pText(m.P))
	}
	return fmt.Sprintf("not enough evidence of a difference (%s): more items needed", pText(m.P))
}

// FormatP formats a p-value for people: "1", "0.38", "0.039", "0.004",
// "<0.001". A value below [Alpha] never prints as Alpha or more (0.04996
// prints "0.0499").
func FormatP(p float64) string {
	switch {
	case p >= 1:
		return "1"
	case p < 0.001:
		return "<0.001"
	case p < 0.1:
		s := fmt.Sprintf("%.3f", p)
		if p < Alpha && s >= fmt.Sprintf("%.3f", Alpha) {
			s = fmt.Sprintf("%.4f", math.Floor(p*1e4)/1e4)
		}
		return s
	}
	s := fmt.Sprintf("%.2f", p)
	if s == "1.00" {
		return "0.99"
	}
	return s
}

// pText is "p=0.004", or "p<0.001" for the smallest values.
func pText(p float64) string {
	s := FormatP(p)
	if strings.HasPrefix(s, "<") {
		return "p" + s
	}
	return "p=" + s
}

// CompareJSON returns the comparison as indented JSON with a final newline:
// what `synth compare --json` prints.
func CompareJSON(c *Comparison) ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("compare: encode JSON: %w", err)
	}
	return append(b, '\n'), nil
}

// KindCounts counts items per [Kind]. Its JSON lists the kinds in the order
// of [Kinds].
type KindCounts map[Kind]int

// MarshalJSON writes the kinds present in m in the order of [Kinds], then
// any others sorted.
func (m KindCounts) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	write := func(k Kind) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(string(k))
		b.Write(kb)
		fmt.Fprintf(&b, ":%d", m[k])
	}
	for _, k := range Kinds {
		if _, ok := m[k]; ok {
			write(k)
		}
	}
	var extra []string
	for k := range m {
		if !slices.Contains(Kinds, k) {
			extra = append(extra, string(k))
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		write(Kind(k))
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func unionTags(a, b []string) []string {
	if len(a) == 0 {
		return b
	}
	out := slices.Clone(b)
	for _, t := range a {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "unknown eval set"
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
