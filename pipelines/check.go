package pipelines

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/validators"
	"github.com/synth-dev/synth/validators/agreement"
)

// Check tests the evaluator itself: it grades answers whose right label is
// known — the gold answers, and perturbations of them ([Perturber]) — with
// the project's validators and policy, exactly as `synth eval` would grade a
// model that gave them, and measures how often the grading agrees.
type Check struct {
	// Validators and Policy grade, as in eval.
	Validators []validators.Built
	Policy     validators.Policy
	// Types are the config types of Validators ("numbers", "links", ...),
	// used to name the validators responsible for catching each kind of
	// perturbation; "" when unknown.
	Types []string
	// Search retrieves help-doc chunks for the validators (nil: no docs);
	// ContextK chunks per question, as eval retrieves them.
	Search   retrieval.Searcher
	ContextK int
	// SystemPrompt is eval's system prompt (it does not change grading,
	// but keeps the requests identical to eval's).
	SystemPrompt string
	// Concurrency bounds the answers graded at once (default 4).
	Concurrency int
	// Progress, when set, is told after each graded answer (from one
	// goroutine at a time).
	Progress func(done, total int, r CheckResult)
	// Judge counts calls to the judge model, to find the validators that
	// use it (see [CountJudge]); nil when there is no judge.
	Judge *JudgeCounter
}

// CheckResult is one graded check case.
type CheckResult struct {
	CheckCase
	// Label is the label synth gave; Reason why.
	Label  dataset.Label `json:"label"`
	Reason string        `json:"reason,omitempty"`
	// Verdicts are the validators' verdicts.
	Verdicts []dataset.Verdict `json:"verdicts"`

	contexts []dataset.Chunk
}

// Agrees reports whether synth gave the expected label.
func (r CheckResult) Agrees() bool { return r.Label == r.Expected }

// Matrix is a confusion matrix: Counts[i][j] counts the answers whose
// reference label (expected, or the people's) is Labels[i] and synth's is
// Labels[j].
type Matrix struct {
	Labels []string `json:"labels"`
	Counts [][]int  `json:"counts"`
}

// Agreement is how well synth's labels agree with reference labels.
type Agreement struct {
	// N is the number of answers compared.
	N int `json:"n"`
	// Accuracy is the share of answers where synth gave the reference label.
	Accuracy float64 `json:"accuracy"`
	// Kappa is Cohen's kappa, with an approximate 95% interval.
	Kappa   float64    `json:"kappa"`
	KappaCI [2]float64 `json:"kappa_ci"`
	// Matrix is the confusion matrix (reference down, synth across).
	Matrix Matrix `json:"matrix"`
}

func agreementOf(m *agreement.Matrix) Agreement {
	lo, hi := m.KappaCI()
	return Agreement{N: m.Total(), Accuracy: m.Observed(), Kappa: m.Kappa(), KappaCI: [2]float64{lo, hi}, Matrix: Matrix{Labels: m.Labels, Counts: m.Counts}}
}

// KindReport sums up one perturbation kind.
type KindReport struct {
	Kind     PerturbKind   `json:"kind"`
	Expected dataset.Label `json:"expected"`
	// Cases counts the answers graded; Caught those labelled as expected.
	Cases  int `json:"cases"`
	Caught int `json:"caught"`
	// Skipped counts items the kind did not apply to.
	Skipped int `json:"skipped"`
	// Missed are the ids of the cases not labelled as expected, with the label given.
	Missed []string `json:"missed,omitempty"`
	// Validators are the validators responsible for this kind and how many
	// cases each flagged.
	Validators []ValidatorCatch `json:"validators"`
}

// ValidatorCatch is how one validator did on one kind of perturbation.
type ValidatorCatch struct {
	Validator string `json:"validator"`
	// Flagged counts the cases it objected to (any label but correct, or a
	// failed check); for gold answers, objecting is the mistake.
	Flagged int `json:"flagged"`
	Cases   int `json:"cases"`
	// LetThrough are the ids of the cases it did not object to (for gold
	// answers: the ids it objected to).
	LetThrough []string `json:"let_through,omitempty"`
}

// CheckReport is what `synth check` found.
type CheckReport struct {
	// Items is the number of eval items; Cases the answers graded.
	Items int `json:"items"`
	Cases int `json:"cases"`
	// Validators are the validators' names, in order.
	Validators []string `json:"validators"`
	// Agreement is between the expected labels and synth's.
	Agreement Agreement `json:"agreement"`
	// Kinds sums up each perturbation kind.
	Kinds []KindReport `json:"kinds"`
	// Uncovered names the kinds no configured validator is responsible for.
	Uncovered []PerturbKind `json:"uncovered,omitempty"`
	// Results are every graded case; Skipped the perturbations that did not apply.
	Results []CheckResult `json:"results"`
	Skipped []PerturbSkip `json:"skipped"`
	// Human is the agreement with human labels (--human).
	Human *HumanReport `json:"human,omitempty"`
	// Repeat is the judges' self-consistency (--repeat).
	Repeat *RepeatReport `json:"repeat,omitempty"`
}

// catchers are the validator types responsible for each kind; answer
// validators are responsible for the kinds marked answer.
var catchers = map[PerturbKind][]string{
	PerturbNumber:   {"numbers", "judge", "grounded"},
	PerturbLink:     {"links", "grounded", "judge"},
	PerturbMenuPath: {"links", "grounded", "judge"},
	PerturbRefusal:  {"refusal", "judge"},
}

// answerKinds are the kinds every answer validator must notice.
var answerKinds = map[PerturbKind]bool{PerturbTruncated: true, PerturbOtherAnswer: true}

// Grade grades cases as eval would grade a model that gave those answers.
func (c *Check) Grade(ctx context.Context, cases []CheckCase) ([]CheckResult, error) {
	conc := c.Concurrency
	if conc < 1 {
		conc = 4
	}
	out := make([]CheckResult, len(cases))
	idx := make([]int, len(cases))
	for i := range idx {
		idx[i] = i
	}
	done := 0
	err := ForEach(ctx, idx, conc,
		func(ctx context.Context, i int) graded {
			cs := cases[i]
			answer := cs.Answer
			e := &Eval{
				Model: llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
					return llm.Response{Text: answer}, nil
				}),
				SystemPrompt: c.SystemPrompt, Search: c.Search, ContextK: c.ContextK,
				Validators: c.Validators, Policy: c.Policy,
			}
			it := cs.item
			if it.ID == "" {
				it = dataset.Item{ID: cs.Item, Answers: nil}
			}
			res, err := e.Item(ctx, it)
			if err != nil {
				return graded{i: i, err: err}
			}
			out[i] = CheckResult{CheckCase: cs, Label: res.Label, Reason: res.Reason, Verdicts: res.Verdicts, contexts: res.Contexts}
			if res.Error != "" && res.Reason == "" {
				out[i].Reason = res.Error
			}
			return graded{i: i}
		},
		func(g graded) bool { return g.err != nil },
		func(g graded) error {
			if g.err != nil {
				return nil
			}
			done++
			if c.Progress != nil {
				c.Progress(done, len(cases), out[g.i])
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// graded is the outcome of grading one case: its index, or the context's
// error when it was cut short.
type graded struct {
	i   int
	err error
}

// Run perturbs the items' gold answers, grades every case and reports the
// agreement with the expected labels.
func (c *Check) Run(ctx context.Context, items []dataset.Item, p *Perturber) (*CheckReport, error) {
	cases, skips := p.Perturb(items)
	if len(cases) == 0 {
		return nil, fmt.Errorf("nothing to check: the eval set has no gold answers")
	}
	results, err := c.Grade(ctx, cases)
	if err != nil {
		return nil, err
	}
	rep := c.Report(results, skips)
	rep.Items = len(items)
	return rep, nil
}

// Report sums up graded cases.
func (c *Check) Report(results []CheckResult, skips []PerturbSkip) *CheckReport {
	rep := &CheckReport{Cases: len(results), Results: results, Skipped: skips}
	if rep.Skipped == nil {
		rep.Skipped = []PerturbSkip{}
	}
	for _, v := range c.Validators {
		rep.Validators = append(rep.Validators, v.Name())
	}
	labels := make([]string, 0, len(dataset.Labels))
	for _, l := range dataset.Labels {
		labels = append(labels, string(l))
	}
	m, _ := agreement.NewMatrix(labels...)
	for _, r := range results {
		_ = m.Add(string(r.Expected), string(r.Label))
	}
	rep.Agreement = agreementOf(m)

	byKind := map[PerturbKind][]CheckResult{}
	for _, r := range results {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	skipped := map[PerturbKind]int{}
	for _, s := range skips {
		skipped[s.Kind]++
	}
	for _, k := range PerturbKinds {
		rs := byKind[k]
		if len(rs) == 0 && skipped[k] == 0 {
			continue
		}
		kr := KindReport{Kind: k, Expected: k.Expected(), Cases: len(rs), Skipped: skipped[k]}
		for _, r := range rs {
			if r.Agrees() {
				kr.Caught++
			} else {
				kr.Missed = append(kr.Missed, fmt.Sprintf("%s (%s)", r.ID, r.Label))
			}
		}
		for vi, v := range c.Validators {
			if !c.responsible(k, vi, rs) {
				continue
			}
			vc := ValidatorCatch{Validator: v.Name(), Cases: len(rs)}
			for _, r := range rs {
				if vi >= len(r.Verdicts) {
					continue
				}
				flagged := objects(r.Verdicts[vi])
				if flagged {
					vc.Flagged++
				}
				if flagged == (k == PerturbGold) {
					vc.LetThrough = append(vc.LetThrough, r.ID)
				}
			}
			kr.Validators = append(kr.Validators, vc)
		}
		if len(kr.Validators) == 0 && k != PerturbGold && len(rs) > 0 {
			rep.Uncovered = append(rep.Uncovered, k)
		}
		rep.Kinds = append(rep.Kinds, kr)
	}
	return rep
}

// objects reports whether a verdict objects to the answer.
func objects(v dataset.Verdict) bool {
	switch v.Label {
	case dataset.Correct:
		return false
	case "":
		return !v.Pass
	}
	return true
}

// responsible reports whether validator vi is responsible for catching kind
// k: its type is one of the kind's catchers, it is an answer validator and
// the kind is one every answer validator must notice, or it gave the
// expected label to a case of the kind (a validator of a type synth does
// not know). Every validator is responsible for leaving gold answers alone.
func (c *Check) responsible(k PerturbKind, vi int, rs []CheckResult) bool {
	if k == PerturbGold {
		return true
	}
	typ := ""
	if vi < len(c.Types) {
		typ = c.Types[vi]
	}
	if slices.Contains(catchers[k], typ) {
		return true
	}
	if answerKinds[k] && c.Validators[vi].Role == validators.Answer {
		return true
	}
	if _, known := knownTypes[typ]; known {
		return false
	}
	for _, r := range rs {
		if vi < len(r.Verdicts) && r.Verdicts[vi].Label == k.Expected() {
			return true
		}
	}
	return false
}

// knownTypes are the validator types whose responsibilities synth knows.
var knownTypes = map[string]bool{
	"exact": true, "normalized": true, "contains": true, "regex": true, "f1": true, "rouge_l": true, "rouge": true,
	"match": true, "semantic": true, "judge": true, "refusal": true, "links": true, "numbers": true, "grounded": true,
}

// Misses describes, per kind, the validators that let perturbations through,
// in sentences: "numbers did not flag 3 of 12 changed numbers: ids a, b, c".
func (r *CheckReport) Misses() []string {
	var out []string
	for _, k := range r.Kinds {
		for _, v := range k.Validators {
			if len(v.LetThrough) == 0 {
				continue
			}
			if k.Kind == PerturbGold {
				out = append(out, fmt.Sprintf("%s objected to %d of %d gold answers: %s", v.Validator, len(v.LetThrough), v.Cases, strings.Join(clipIDs(v.LetThrough, 10), ", ")))
				continue
			}
			out = append(out, fmt.Sprintf("%s did not flag %d of %d %s: %s", v.Validator, len(v.LetThrough), v.Cases, k.Kind.Describe(), strings.Join(clipIDs(v.LetThrough, 10), ", ")))
		}
	}
	for _, k := range r.Uncovered {
		out = append(out, fmt.Sprintf("no configured validator checks for %s (%s would)", k.Describe(), strings.Join(catchersOf(k), " or ")))
	}
	return out
}

func catchersOf(k PerturbKind) []string {
	if answerKinds[k] {
		return []string{"an answer validator such as match"}
	}
	return catchers[k]
}

// JudgeCounter wraps the judge model and counts its calls.
type JudgeCounter struct {
	model llm.Model
	calls atomic.Int64
}

// CountJudge returns deps with its judge wrapped in a counter (deps
// unchanged and a nil counter when there is no judge). Build the
// validators from the returned deps.
func CountJudge(deps validators.Deps) (validators.Deps, *JudgeCounter) {
	if deps.Judge == nil {
		return deps, nil
	}
	jc := &JudgeCounter{model: deps.Judge}
	deps.Judge = jc
	return deps, jc
}

// Generate implements [llm.Model].
func (j *JudgeCounter) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	j.calls.Add(1)
	return j.model.Generate(ctx, req)
}

// Calls returns how many calls were made.
func (j *JudgeCounter) Calls() int64 { return j.calls.Load() }

// RepeatReport is how consistent the LLM validators are with themselves.
type RepeatReport struct {
	// Runs is how many times each LLM validator graded each case.
	Runs int `json:"runs"`
	// Validators holds one entry per validator that called the judge.
	Validators []RepeatStats `json:"validators"`
}

// RepeatStats is one LLM validator's self-consistency.
type RepeatStats struct {
	Validator string `json:"validator"`
	Cases     int    `json:"cases"`
	// Flipped counts the cases whose verdict (label and pass) was not the
	// same on every run; FlipRate is Flipped / Cases.
	Flipped  int      `json:"flipped"`
	FlipRate float64  `json:"flip_rate"`
	IDs      []string `json:"ids,omitempty"`
}

// Repeat reruns the validators that call the judge model runs-1 more times
// on the same samples as results (the first run's verdicts count as run 1)
// and reports how often their verdicts flip. Call it with the response
// cache off, or every rerun is a cache hit. It needs c.Judge.
func (c *Check) Repeat(ctx context.Context, results []CheckResult, runs int) (*RepeatReport, error) {
	rep := &RepeatReport{Runs: runs, Validators: []RepeatStats{}}
	if c.Judge == nil || runs < 2 || len(results) == 0 {
		return rep, nil
	}
	sample := func(r CheckResult) *dataset.Sample {
		return &dataset.Sample{ID: r.Item, Question: r.item.Question, Answer: r.Answer, References: r.item.Answers, Contexts: r.contexts, Tags: r.item.Tags}
	}
	// A validator is an LLM validator if it calls the judge on one of the
	// first answers (some call it only for some answers: claims to check).
	var llmVals []int
	for vi, v := range c.Validators {
		for j := 0; j < min(len(results), probeAnswers); j++ {
			before := c.Judge.Calls()
			if _, err := v.Validate(ctx, sample(results[j])); err != nil && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if c.Judge.Calls() > before {
				llmVals = append(llmVals, vi)
				break
			}
		}
	}
	conc := max(c.Concurrency, 1)
	for _, vi := range llmVals {
		v := c.Validators[vi]
		st := RepeatStats{Validator: v.Name(), Cases: len(results)}
		flips := make([]bool, len(results))
		idx := make([]int, len(results))
		for i := range idx {
			idx[i] = i
		}
		err := ForEach(ctx, idx, conc,
			func(ctx context.Context, i int) error {
				r := results[i]
				first := verdictKey(r.Verdicts, vi)
				for k := 1; k < runs; k++ {
					got, err := v.Validate(ctx, sample(r))
					if ctx.Err() != nil {
						return ctx.Err()
					}
					key := string(dataset.Error)
					if err == nil {
						key = fmt.Sprintf("%s/%v", got.Label, got.Pass)
					}
					if key != first {
						flips[i] = true
					}
				}
				return nil
			},
			func(err error) bool { return err != nil },
			func(error) error { return nil })
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i, f := range flips {
			if f {
				st.Flipped++
				st.IDs = append(st.IDs, results[i].ID)
			}
		}
		st.FlipRate = float64(st.Flipped) / float64(st.Cases)
		rep.Validators = append(rep.Validators, st)
	}
	sort.SliceStable(rep.Validators, func(i, j int) bool { return rep.Validators[i].FlipRate > rep.Validators[j].FlipRate })
	return rep, nil
}

// probeAnswers is how many answers [Check.Repeat] tries to find out
// whether a validator calls the judge.
const probeAnswers = 10

func verdictKey(vs []dataset.Verdict, i int) string {
	if i >= len(vs) {
		return string(dataset.Error)
	}
	if vs[i].Label == dataset.Error {
		return string(dataset.Error)
	}
	return fmt.Sprintf("%s/%v", vs[i].Label, vs[i].Pass)
}
