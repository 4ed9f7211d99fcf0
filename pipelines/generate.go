package pipelines

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/generators"
	"github.com/synth-dev/synth/retrieval"
)

// Generate is the agentic generate loop: for each target (a failed eval
// item) it retrieves help-doc chunks for the item's topic, has the generator
// stages write candidates, runs the validator stages over them, accepts
// passing rows up to exactly Want, and feeds the rejection reasons into the
// next round — until Want rows are accepted or MaxRounds are spent.
//
// A Generate is safe for concurrent use by several items: acceptance (the
// per-failure cap and the re-check of stateful validators such as dedupe)
// is serialised.
type Generate struct {
	// Stages is the pipeline, in order (see [BuildStages]).
	Stages []Stage
	// MaxRounds bounds the rounds per item.
	MaxRounds int
	// Search serves retrieve stages.
	Search retrieval.Searcher
	// Rival, when set, answers every accepted question with the evaluated
	// model and grades the answer with the eval validators, the synthetic
	// answer as gold; an answer that is not correct becomes the row's
	// RejectedAnswer (for DPO preference pairs).
	Rival *Eval

	commit sync.Mutex
}

// Target is one unit of work for [Generate]: a failed eval item, or (when
// drafting an eval set) a help document.
type Target struct {
	// Failure is the item; its ID names the rows' provenance.
	Failure generators.Failure
	// Chunks, when set, are the chunks to ground rows in; retrieve stages
	// are then skipped.
	Chunks []dataset.Chunk
	// Want is the number of rows to accept.
	Want int
}

// Item statuses in an [ItemReport].
const (
	// StatusReached: exactly Want rows were accepted.
	StatusReached = "reached"
	// StatusExhausted: MaxRounds were spent with fewer rows accepted.
	StatusExhausted = "exhausted"
	// StatusError: every round failed (the generator model stayed
	// unreachable, its output never parsed, retrieval failed) and no row
	// was accepted. A resumed run tries such items again.
	StatusError = "error"
)

// ItemReport says how one target ended.
type ItemReport struct {
	ID string `json:"id"`
	// Label is the eval label of the failed item.
	Label dataset.Label `json:"label,omitempty"`
	// Status is reached, exhausted or error.
	Status string `json:"status"`
	// Accepted counts the rows accepted for the item.
	Accepted int `json:"accepted"`
	// Want is the number of rows the item needed.
	Want int `json:"want"`
	// Rounds counts the rounds run.
	Rounds int `json:"rounds"`
	// Candidates counts the candidates the generators wrote.
	Candidates int `json:"candidates"`
	// Error is the last round error, if any.
	Error string `json:"error,omitempty"`
}

// StageCount is what one stage did in one round.
type StageCount struct {
	Stage string    `json:"stage"`
	Kind  StageKind `json:"kind"`
	// In counts the candidates that reached the stage.
	In int `json:"in"`
	// Out counts the candidates the stage wrote (generators), passed
	// (validators, accept) or the chunks it found (retrieve).
	Out int `json:"out"`
	// Rejected counts the candidates the stage rejected.
	Rejected int `json:"rejected,omitempty"`
	// Errors counts failed calls (a generator or validator error).
	Errors int `json:"errors,omitempty"`
	// Reasons counts rejections by reason (numbers and quotes blanked).
	Reasons map[string]int `json:"reasons,omitempty"`
}

// DPOCount counts the evaluated model's answers to accepted questions.
type DPOCount struct {
	// Pairs counts answers the validators failed: preference pairs.
	Pairs int `json:"pairs"`
	// ModelRight counts answers already correct: no pair.
	ModelRight int `json:"model_right"`
	// Errors counts questions the model or a validator could not answer.
	Errors int `json:"errors"`
}

// RoundReport is one round of one item: a line of progress.jsonl.
type RoundReport struct {
	Item   string       `json:"item"`
	Round  int          `json:"round"`
	Stages []StageCount `json:"stages"`
	// Accepted counts the rows accepted in the round.
	Accepted int `json:"accepted"`
	// Surplus counts candidates that passed every stage after the item
	// already had its rows.
	Surplus int `json:"surplus,omitempty"`
	// Feedback is the rejection feedback the round's generators were given.
	Feedback []string `json:"feedback,omitempty"`
	DPO      DPOCount `json:"dpo,omitzero"`
	// Error is set when a stage failed as a whole.
	Error string `json:"error,omitempty"`
}

// Sink receives what the loop produces. Its methods are called from
// several goroutines at once.
type Sink interface {
	// Accept records an accepted row; an error stops the run.
	Accept(r dataset.Record) error
	// Reject records a rejected candidate; an error stops the run.
	Reject(r dataset.Record) error
	// Round records a finished round; an error stops the run.
	Round(r RoundReport) error
}

// ItemState is what earlier sessions left of an item, for --resume.
type ItemState struct {
	// Accepted are the questions already accepted for the item.
	Accepted []string
	// Round is the last finished round.
	Round int
	// Base is the number of rounds of an earlier attempt that ended in
	// error: they do not count against MaxRounds when the item is retried.
	Base int
	// Reasons counts the rejection reasons of the finished rounds.
	Reasons map[string]int
	// AcceptedIDs are the ids of the rows in Accepted: a redone round that
	// makes one of them again must not count it twice.
	AcceptedIDs map[string]bool
	// Written are the ids of rows already in the accepted or rejected log.
	Written map[string]bool
	// Candidates counts the candidates of the finished rounds.
	Candidates int
}

// errSink wraps a sink failure so the run stops on it.
type errSink struct{ err error }

func (e *errSink) Error() string { return e.err.Error() }
func (e *errSink) Unwrap() error { return e.err }

// candidate is a sample on its way through the stages.
type candidate struct {
	s        dataset.Sample
	verdicts []dataset.Verdict
	fresh    bool
}

// Item runs the loop for one target. It returns the item's report; the
// error is non-nil only when ctx was cancelled (the item must then not be
// recorded as finished, so that --resume redoes it) or the sink failed.
func (g *Generate) Item(ctx context.Context, t Target, st ItemState, sink Sink) (ItemReport, error) {
	rep := ItemReport{ID: t.Failure.ID, Label: t.Failure.Label, Want: t.Want, Accepted: len(st.Accepted), Rounds: st.Round, Candidates: st.Candidates}
	if st.Reasons == nil {
		st.Reasons = map[string]int{}
	}
	accepted := append([]string(nil), st.Accepted...)
	okRounds, errRounds := 0, 0
	for round := st.Round + 1; round <= st.Base+g.MaxRounds && len(accepted) < t.Want; round++ {
		rr, err := g.round(ctx, t, round, accepted, st, sink)
		if err != nil {
			return rep, err
		}
		for _, q := range rr.acceptedQs {
			accepted = append(accepted, q)
		}
		rep.Rounds = round
		rep.Candidates += rr.candidates
		if rr.Error != "" {
			errRounds++
			rep.Error = rr.Error
		} else {
			okRounds++
		}
		for _, sc := range rr.Stages {
			for k, n := range sc.Reasons {
				st.Reasons[sc.Stage+": "+k] += n
			}
		}
		if err := sink.Round(rr.RoundReport); err != nil {
			return rep, &errSink{err}
		}
	}
	rep.Accepted = len(accepted)
	switch {
	case rep.Accepted >= t.Want:
		rep.Status = StatusReached
		rep.Error = ""
	case okRounds == 0 && errRounds > 0 && rep.Accepted == len(st.Accepted):
		rep.Status = StatusError
	default:
		rep.Status = StatusExhausted
	}
	return rep, nil
}

type roundResult struct {
	RoundReport
	acceptedQs []string
	candidates int
}

func (g *Generate) round(ctx context.Context, t Target, round int, accepted []string, st ItemState, sink Sink) (roundResult, error) {
	rr := roundResult{RoundReport: RoundReport{Item: t.Failure.ID, Round: round}}
	rr.Feedback = topFeedback(st.Reasons, 8)
	seed := generators.Seed{
		Failure:  t.Failure,
		Round:    round,
		Feedback: rr.Feedback,
		Accepted: append([]string(nil), accepted...),
		N:        t.Want - len(accepted),
		Chunks:   t.Chunks,
	}
	var pool []candidate
	ids := map[string]int{} // row ids given out in this round
	cut := func(err error) (roundResult, error) { return rr, context.Cause(ctx) }
	reject := func(c candidate, sc *StageCount, stage, reason string) error {
		sc.Rejected++
		if sc.Reasons == nil {
			sc.Reasons = map[string]int{}
		}
		sc.Reasons[reasonKey(reason)]++
		if st.Written[c.s.ID] {
			return nil
		}
		r := dataset.Record{Sample: c.s, Verdicts: c.verdicts, Rejections: []string{stage + ": " + reason}}
		if err := sink.Reject(r); err != nil {
			return &errSink{err}
		}
		return nil
	}
	for _, stage := range g.Stages {
		sc := StageCount{Stage: stage.Name, Kind: stage.Kind}
		switch stage.Kind {
		case StageRetrieve:
			if t.Chunks != nil {
				sc.Out = len(t.Chunks)
				break
			}
			query := t.Failure.Topic()
			if stage.Query == "question" {
				query = t.Failure.Question
			}
			cs, err := g.Search.Search(ctx, query, stage.K)
			if err != nil {
				if ctx.Err() != nil {
					return cut(err)
				}
				sc.Errors++
				rr.Error = fmt.Sprintf("%s: %v", stage.Name, err)
			}
			seed.Chunks = cs
			sc.Out = len(cs)
		case StageGenerator:
			seed.Candidates = samplesOf(pool)
			sc.In = len(pool)
			out, err := stage.Generator.Generate(ctx, seed)
			if err != nil {
				if ctx.Err() != nil {
					return cut(err)
				}
				sc.Errors++
				rr.Error = err.Error()
			}
			known := map[string]candidate{}
			for _, c := range pool {
				known[c.s.ID] = c
			}
			var next []candidate
			for _, s := range out {
				if c, ok := known[s.ID]; ok && s.ID != "" { // an original a transform kept
					next = append(next, c)
					continue
				}
				s.ID = rowID(t.Failure.ID, round, s, ids)
				if s.Provenance.FailedItem == "" {
					s.Provenance.FailedItem = t.Failure.ID
				}
				if s.Provenance.Round == 0 {
					s.Provenance.Round = round
				}
				generators.SetChunkProvenance(&s)
				c := candidate{s: s, fresh: true}
				sc.Out++
				rr.candidates++
				if len(s.Contexts) == 0 {
					if err := reject(c, &sc, stage.Name, "cites no help-doc chunk"); err != nil {
						return rr, err
					}
					continue
				}
				next = append(next, c)
			}
			if stage.Generator.Kind == generators.Source {
				pool = append(pool, next...)
			} else if len(out) > 0 || err == nil {
				pool = next
			}
		case StageValidator:
			sc.In = len(pool)
			kept := pool[:0]
			for _, c := range pool {
				v, err := stage.Validator.Validate(ctx, &c.s)
				if err != nil {
					if ctx.Err() != nil {
						return cut(err)
					}
					sc.Errors++
					v = dataset.Verdict{Validator: stage.Validator.Name(), Label: dataset.Error, Reason: "error: " + err.Error()}
				}
				if v.Validator == "" {
					v.Validator = stage.Validator.Name()
				}
				c.verdicts = append(c.verdicts, v)
				if err == nil && v.Pass && v.Label != dataset.Error {
					kept = append(kept, c)
					continue
				}
				reason := v.Reason
				if reason == "" {
					reason = "failed"
				}
				if err := reject(c, &sc, stage.Name, reason); err != nil {
					return rr, err
				}
			}
			pool = kept
			sc.Out = len(pool)
		}
		rr.Stages = append(rr.Stages, sc)
	}

	acc := StageCount{Stage: "accept", Kind: StageAccept, In: len(pool)}
	for _, c := range pool {
		if st.AcceptedIDs[c.s.ID] {
			// An interrupted session accepted and wrote this very row: it is
			// already in accepted (and registered with the stateful validators).
			continue
		}
		if len(accepted)+len(rr.acceptedQs) >= t.Want {
			rr.Surplus++
			continue
		}
		ok, reason, err := g.accept(ctx, &c)
		if err != nil {
			if ctx.Err() != nil {
				return cut(err)
			}
			ok, reason = false, "error: "+err.Error()
		}
		if !ok {
			if err := reject(c, &acc, "accept", reason); err != nil {
				return rr, err
			}
			continue
		}
		rec := dataset.Record{Sample: c.s, Verdicts: c.verdicts}
		if g.Rival != nil {
			answer, err := g.rival(ctx, c.s, &rr.DPO)
			if err != nil {
				return cut(err)
			}
			rec.RejectedAnswer = answer
		}
		if !st.Written[c.s.ID] {
			if err := sink.Accept(rec); err != nil {
				return rr, &errSink{err}
			}
		}
		acc.Out++
		rr.acceptedQs = append(rr.acceptedQs, c.s.Question)
	}
	rr.Stages = append(rr.Stages, acc)
	rr.Accepted = acc.Out
	return rr, nil
}

// accept re-checks the stateful validators and registers the row with
// them, under one lock, so near-duplicates accepted for different items at
// the same moment cannot both pass.
func (g *Generate) accept(ctx context.Context, c *candidate) (bool, string, error) {
	g.commit.Lock()
	defer g.commit.Unlock()
	for _, st := range g.Stages {
		if st.Accepter == nil {
			continue
		}
		v, err := st.Accepter.Validate(ctx, &c.s)
		if err != nil {
			return false, "", err
		}
		if !v.Pass {
			for i := range c.verdicts {
				if c.verdicts[i].Validator == st.Accepter.Name() {
					c.verdicts[i] = v
				}
			}
			return false, v.Reason + " (" + st.Name + ", re-checked at acceptance)", nil
		}
	}
	for _, st := range g.Stages {
		if st.Accepter != nil {
			if err := st.Accepter.Accept(ctx, &c.s); err != nil {
				return false, "", err
			}
		}
	}
	return true, "", nil
}

// Register tells the stateful validators about rows accepted earlier (by an
// interrupted session, before --resume).
func (g *Generate) Register(ctx context.Context, rows []dataset.Record) error {
	g.commit.Lock()
	defer g.commit.Unlock()
	for _, st := range g.Stages {
		if st.Accepter == nil {
			continue
		}
		for i := range rows {
			if err := st.Accepter.Accept(ctx, &rows[i].Sample); err != nil {
				return fmt.Errorf("%s: register accepted row %s: %w", st.Name, rows[i].ID, err)
			}
		}
	}
	return nil
}

// rival asks the evaluated model the synthetic question and returns its
// answer when the eval validators fail it (with the synthetic answer as
// gold), else "". The error is non-nil only on cancellation.
func (g *Generate) rival(ctx context.Context, s dataset.Sample, n *DPOCount) (string, error) {
	res, err := g.Rival.Item(ctx, dataset.Item{ID: s.ID, Question: s.Question, Answers: []string{s.Answer}, Tags: s.Tags})
	if err != nil {
		return "", err
	}
	switch {
	case res.Label == dataset.Error || strings.TrimSpace(res.Output) == "":
		n.Errors++
		return "", nil
	case res.Label == dataset.Correct:
		n.ModelRight++
		return "", nil
	}
	n.Pairs++
	return res.Output, nil
}

func samplesOf(pool []candidate) []dataset.Sample {
	out := make([]dataset.Sample, len(pool))
	for i, c := range pool {
		out[i] = c.s
	}
	return out
}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|“[^”]*”`)
	numberRE = regexp.MustCompile(`\d+(?:[.,]\d+)*`)
)

// reasonKey groups rejection reasons: the part before the first ": " (when
// short), with quoted text and numbers blanked.
func reasonKey(reason string) string {
	r := strings.TrimSpace(reason)
	if i := strings.Index(r, ": "); i > 0 && i <= 80 {
		r = r[:i]
	}
	r = quotedRE.ReplaceAllString(r, `"…"`)
	r = numberRE.ReplaceAllString(r, "N")
	if len(r) > 120 {
		r = r[:120] + "…"
	}
	return r
}

// topFeedback renders the most frequent rejection reasons for the next round.
func topFeedback(reasons map[string]int, n int) []string {
	type kv struct {
		k string
		n int
	}
	var l []kv
	for k, c := range reasons {
		l = append(l, kv{k, c})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].n > l[j].n || l[i].n == l[j].n && l[i].k < l[j].k })
	var out []string
	for i, e := range l {
		if i == n {
			break
		}
		s := "candidates"
		if e.n == 1 {
			s = "candidate"
		}
		out = append(out, fmt.Sprintf("%s (%d %s)", e.k, e.n, s))
	}
	return out
}

// GenerateManifest records what a generation started with: --resume checks
// it and finishes with the same settings.
type GenerateManifest struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	// From is the eval run directory the failures come from, and Run its id.
	From string `json:"from"`
	Run  string `json:"run"`
	// Model is the evaluated model; Generator the generator model ("" offline).
	Model      string           `json:"model,omitempty"`
	Generator  string           `json:"generator_model,omitempty"`
	PerFailure int              `json:"per_failure"`
	MaxRounds  int              `json:"max_rounds"`
	Labels     []dataset.Label  `json:"labels"`
	Format     dataset.Format   `json:"format"`
	Stages     []map[string]any `json:"stages"`
	Items      []string         `json:"items"`
	Started    time.Time        `json:"started"`
	Synth      string           `json:"synth,omitempty"`
	// Shard is set when the generation works on part of the failed items
	// (synth generate --shard i/n).
	Shard *dataset.Shard `json:"shard,omitempty"`
}

// GenerateRun runs [Generate] over targets into files that survive a crash:
// accepted rows are appended as they pass, rejected candidates to
// rejected.jsonl, every finished round and item to the progress log, and
// generate-summary.json is written at the end (also when interrupted).
// With Resume it finishes an interrupted generation without duplicates.
type GenerateRun struct {
	Generate *Generate
	Targets  []Target
	// Files are where the run writes ([FilesFor]).
	Files GenerateFiles
	// Format is the export format of Files.Out.
	Format dataset.Format
	// Export adjusts exported rows (system prompt, contexts).
	Export dataset.ExportOptions
	// Manifest describes the run; Started and Items are filled in.
	Manifest GenerateManifest
	// Resume finishes the generation recorded in Files.StateDir.
	Resume bool
	// Force replaces the files of an earlier generation.
	Force bool
	// Concurrency bounds the items worked on at once.
	Concurrency int
	// Stats, when set, reports requests and cost for the summary.
	Stats func() (requests int, costUSD float64)
	// Progress, when set, is called after each finished item (from one goroutine at a time).
	Progress func(done, total int, r ItemReport)
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// StageSummary is a stage's counts over the whole generation.
type StageSummary struct {
	Stage    string    `json:"stage"`
	Kind     StageKind `json:"kind"`
	In       int       `json:"in"`
	Out      int       `json:"out"`
	Rejected int       `json:"rejected"`
	Errors   int       `json:"errors"`
	// TopReasons are the most frequent rejection reasons, most frequent first.
	TopReasons []ReasonCount `json:"top_reasons,omitempty"`
}

// ReasonCount is a rejection reason and how often it occurred.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// GenerateSummary is generate-summary.json.
type GenerateSummary struct {
	// From and Run name the eval run the failures came from.
	From string `json:"from"`
	Run  string `json:"run"`
	// Model is the evaluated model; Generator the generator model.
	Model        string         `json:"model,omitempty"`
	Generator    string         `json:"generator_model,omitempty"`
	Out          string         `json:"out"`
	RejectedFile string         `json:"rejected_file"`
	Format       dataset.Format `json:"format"`
	PerFailure   int            `json:"per_failure"`
	MaxRounds    int            `json:"max_rounds"`
	// Failures counts the failed items to generate for; Completed those finished.
	Failures  int `json:"failures"`
	Completed int `json:"completed"`
	// Reached, Exhausted and Errors count the finished items by status.
	Reached   int `json:"reached"`
	Exhausted int `json:"exhausted"`
	Errors    int `json:"errors"`
	// Candidates counts what the generators wrote; Accepted and Rejected
	// what became of them; Surplus the good candidates not needed.
	Candidates int `json:"candidates"`
	Accepted   int `json:"accepted"`
	Rejected   int `json:"rejected"`
	Surplus    int `json:"surplus"`
	// Exported counts the rows written to Out in Format (dpo keeps only
	// rows with a rejected answer).
	Exported   int            `json:"exported"`
	Stages     []StageSummary `json:"stages"`
	DPO        *DPOCount      `json:"dpo,omitempty"`
	Items      []ItemReport   `json:"items"`
	Requests   int            `json:"requests"`
	CostUSD    float64        `json:"cost_usd"`
	Started    time.Time      `json:"started"`
	Finished   time.Time      `json:"finished"`
	DurationMS int64          `json:"duration_ms"`
	// Interrupted is true when items are left for --resume.
	Interrupted bool `json:"interrupted"`
	// Resumed counts the items an earlier session had finished.
	Resumed int `json:"resumed,omitempty"`
}

// progressLine is one line of progress.jsonl: a finished round or item.
type progressLine struct {
	Round *RoundReport `json:"round,omitempty"`
	Done  *ItemReport  `json:"done,omitempty"`
}

// ExistsError reports files of an earlier generation that a fresh run
// would overwrite.
type ExistsError struct {
	Files []string
	// Other is set when the files belong to a generation into another
	// output file of the same folder (rejected.jsonl and
	// generate-summary.json are per folder).
	Other bool
}

func (e *ExistsError) Error() string {
	if e.Other {
		return fmt.Sprintf("%s already exist(s) from another synth generate into this folder: write this one into another folder (--out DIR/FILE), or pass --force to replace them", strings.Join(e.Files, ", "))
	}
	return fmt.Sprintf("%s already exist(s) from an earlier synth generate: pass --resume to finish that generation, or --force to start over (this deletes them)", strings.Join(e.Files, ", "))
}

// Run works on the targets still to do and writes the summary. It returns
// the summary even when ctx was cancelled (with ctx's error).
func (r *GenerateRun) Run(ctx context.Context) (*GenerateSummary, error) {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	f := r.Files
	if filepath.Clean(f.Out) == filepath.Clean(f.Rejected) || filepath.Clean(f.Out) == filepath.Clean(f.Summary) {
		return nil, fmt.Errorf("--out %s would overwrite the generation's own %s", f.Out, filepath.Base(f.Out))
	}
	started := now()
	m := r.Manifest
	states := map[string]ItemState{}
	done := map[string]ItemReport{}
	if r.Resume {
		var err error
		if m, started, err = r.load(ctx, states, done); err != nil {
			return nil, err
		}
	} else {
		if err := r.fresh(); err != nil {
			return nil, err
		}
		m.Version, m.Kind, m.Started = dataset.ManifestVersion, "generate", started.UTC()
		m.Items = make([]string, len(r.Targets))
		for i, t := range r.Targets {
			m.Items[i] = t.Failure.ID
		}
		if err := dataset.WriteJSONAtomic(f.Manifest, m); err != nil {
			return nil, err
		}
	}

	acc, err := dataset.OpenJSONL(f.Accepted)
	if err != nil {
		return nil, err
	}
	rej, err := dataset.OpenJSONL(f.Rejected)
	if err != nil {
		acc.Close()
		return nil, err
	}
	prog, err := dataset.OpenJSONL(f.Progress)
	if err != nil {
		acc.Close()
		rej.Close()
		return nil, err
	}
	sink := &fileSink{acc: acc, rej: rej, prog: prog}
	var todo []Target
	for _, t := range r.Targets {
		if _, ok := done[t.Failure.ID]; !ok {
			todo = append(todo, t)
		}
	}
	resumed := len(r.Targets) - len(todo)
	finished := resumed
	total := len(r.Targets)
	type outcome struct {
		rep ItemReport
		err error
	}
	runErr := ForEach(ctx, todo, max(r.Concurrency, 1),
		func(ctx context.Context, t Target) outcome {
			rep, err := r.Generate.Item(ctx, t, states[t.Failure.ID], sink)
			return outcome{rep, err}
		},
		func(o outcome) bool { return o.err != nil && !isSinkErr(o.err) },
		func(o outcome) error {
			if o.err != nil {
				if isSinkErr(o.err) {
					return o.err
				}
				return nil // cut short: --resume redoes it
			}
			if err := prog.Write(progressLine{Done: &o.rep}); err != nil {
				return err
			}
			finished++
			if r.Progress != nil {
				r.Progress(finished, total, o.rep)
			}
			return nil
		})
	for _, w := range []*dataset.JSONLWriter{acc, rej, prog} {
		if cerr := w.Close(); cerr != nil && runErr == nil {
			runErr = cerr
		}
	}
	s, err := r.summarize(m, started, now())
	if err != nil {
		if runErr == nil {
			runErr = err
		}
		return nil, runErr
	}
	s.Resumed = resumed
	if r.Format != dataset.Native {
		n, err := r.export()
		if err != nil && runErr == nil {
			runErr = err
		}
		s.Exported = n
	} else {
		s.Exported = s.Accepted
	}
	if r.Stats != nil {
		s.Requests, s.CostUSD = r.Stats()
	}
	if err := dataset.WriteJSONAtomic(f.Summary, s); err != nil && runErr == nil {
		runErr = err
	}
	return s, runErr
}

func isSinkErr(err error) bool {
	var se *errSink
	return errors.As(err, &se)
}

// fresh makes sure a new generation does not mix with an earlier one.
func (r *GenerateRun) fresh() error {
	f := r.Files
	var exist []string
	for _, p := range []string{f.Out, f.Accepted, f.Rejected, f.Summary, f.StateDir} {
		if _, err := os.Stat(p); err == nil && !contains(exist, p) {
			exist = append(exist, p)
		}
	}
	if len(exist) > 0 && !r.Force {
		own := false
		for _, p := range exist {
			own = own || p == f.Out || p == f.StateDir || p == f.Accepted
		}
		return &ExistsError{Files: exist, Other: !own}
	}
	for _, p := range exist {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(f.StateDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", f.StateDir, err)
	}
	return os.MkdirAll(filepath.Dir(f.Out), 0o755)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// load reads an interrupted generation's state: its manifest (checked
// against this run's settings), the rows already written (registered with
// the stateful validators) and the finished rounds and items.
func (r *GenerateRun) load(ctx context.Context, states map[string]ItemState, done map[string]ItemReport) (GenerateManifest, time.Time, error) {
	f := r.Files
	var m GenerateManifest
	raw, err := os.ReadFile(f.Manifest)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return m, time.Time{}, fmt.Errorf("nothing to resume: %s does not exist (run synth generate without --resume first)", f.Manifest)
		}
		return m, time.Time{}, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, time.Time{}, &dataset.InputError{File: f.Manifest, Msg: err.Error(), Err: err}
	}
	if err := checkResume(m, r.Manifest); err != nil {
		return m, time.Time{}, err
	}
	rows, _, err := dataset.ReadJSONL[dataset.Record](f.Accepted)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, time.Time{}, fmt.Errorf("resume: %w", err)
	}
	rejected, _, err := dataset.ReadJSONL[dataset.Record](f.Rejected)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, time.Time{}, fmt.Errorf("resume: %w", err)
	}
	lines, _, err := dataset.ReadJSONL[progressLine](f.Progress)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, time.Time{}, fmt.Errorf("resume: %w", err)
	}
	get := func(id string) ItemState {
		st, ok := states[id]
		if !ok {
			st = ItemState{Reasons: map[string]int{}, Written: map[string]bool{}, AcceptedIDs: map[string]bool{}}
		}
		return st
	}
	seen := map[string]bool{}
	var unique []dataset.Record
	for _, row := range rows {
		if seen[row.ID] {
			continue
		}
		seen[row.ID] = true
		unique = append(unique, row)
		st := get(row.Provenance.FailedItem)
		st.Accepted = append(st.Accepted, row.Question)
		st.AcceptedIDs[row.ID] = true
		st.Written[row.ID] = true
		states[row.Provenance.FailedItem] = st
	}
	for _, row := range rejected {
		st := get(row.Provenance.FailedItem)
		st.Written[row.ID] = true
		states[row.Provenance.FailedItem] = st
	}
	for _, l := range lines {
		switch {
		case l.Round != nil:
			st := get(l.Round.Item)
			st.Round = max(st.Round, l.Round.Round)
			for _, sc := range l.Round.Stages {
				for k, n := range sc.Reasons {
					st.Reasons[sc.Stage+": "+k] += n
				}
				if sc.Kind == StageGenerator {
					st.Candidates += sc.Out
				}
			}
			states[l.Round.Item] = st
		case l.Done != nil && l.Done.Status == StatusError:
			// Tried again, with a fresh allowance of rounds.
			st := get(l.Done.ID)
			st.Base = st.Round
			states[l.Done.ID] = st
			delete(done, l.Done.ID)
		case l.Done != nil:
			done[l.Done.ID] = *l.Done
		}
	}
	if err := r.Generate.Register(ctx, unique); err != nil {
		return m, time.Time{}, err
	}
	return m, m.Started, nil
}

// checkResume compares the manifest of an interrupted generation with the
// settings of the run that would finish it.
func checkResume(prev, cur GenerateManifest) error {
	var diffs []string
	if cur.Run != "" && prev.Run != cur.Run {
		diffs = append(diffs, fmt.Sprintf("it generates from run %s, not %s", prev.Run, cur.Run))
	}
	if prev.PerFailure != cur.PerFailure {
		diffs = append(diffs, fmt.Sprintf("per_failure was %d, now %d", prev.PerFailure, cur.PerFailure))
	}
	if prev.MaxRounds != cur.MaxRounds {
		diffs = append(diffs, fmt.Sprintf("max_rounds was %d, now %d", prev.MaxRounds, cur.MaxRounds))
	}
	if prev.Format != cur.Format {
		diffs = append(diffs, fmt.Sprintf("format was %s, now %s", prev.Format, cur.Format))
	}
	if !sameJSON(prev.Stages, cur.Stages) {
		diffs = append(diffs, "generate.stages changed")
	}
	if !sameJSON(prev.Labels, cur.Labels) {
		diffs = append(diffs, "generate.labels changed")
	}
	if !sameJSON(prev.Shard, cur.Shard) {
		diffs = append(diffs, fmt.Sprintf("it worked on %s, now %s", shardName(prev.Shard), shardName(cur.Shard)))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("cannot resume: the generation was started with other settings (%s); finish it with the same settings, or start over with --force", strings.Join(diffs, "; "))
	}
	return nil
}

// shardName describes the part of the failed items a generation works on.
func shardName(s *dataset.Shard) string {
	if s == nil {
		return "every failed item"
	}
	return fmt.Sprintf("shard %d/%d", s.Index, s.Count)
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var xa, ya any
	_ = json.Unmarshal(x, &xa)
	_ = json.Unmarshal(y, &ya)
	return reflect.DeepEqual(xa, ya)
}

// summarize builds the summary from the progress log (every session's).
func (r *GenerateRun) summarize(m GenerateManifest, started, finished time.Time) (*GenerateSummary, error) {
	lines, _, err := dataset.ReadJSONL[progressLine](r.Files.Progress)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return r.summarizeLines(lines, m, started, finished), nil
}

// summarizeLines builds the summary from progress lines.
func (r *GenerateRun) summarizeLines(lines []progressLine, m GenerateManifest, started, finished time.Time) *GenerateSummary {
	f := r.Files
	s := &GenerateSummary{
		From: m.From, Run: m.Run, Model: m.Model, Generator: m.Generator,
		Out: f.Out, RejectedFile: f.Rejected, Format: r.Format,
		PerFailure: m.PerFailure, MaxRounds: m.MaxRounds,
		Failures: len(r.Targets), Started: started.UTC(), Finished: finished.UTC(),
	}
	s.DurationMS = s.Finished.Sub(s.Started).Milliseconds()
	var stages []StageSummary
	reasons := map[int]map[string]int{}
	dpo := DPOCount{}
	items := map[string]ItemReport{}
	for _, l := range lines {
		if l.Done != nil {
			items[l.Done.ID] = *l.Done
			continue
		}
		if l.Round == nil {
			continue
		}
		rr := l.Round
		s.Surplus += rr.Surplus
		dpo.Pairs += rr.DPO.Pairs
		dpo.ModelRight += rr.DPO.ModelRight
		dpo.Errors += rr.DPO.Errors
		for i, sc := range rr.Stages {
			for len(stages) <= i {
				stages = append(stages, StageSummary{})
			}
			ss := &stages[i]
			ss.Stage, ss.Kind = sc.Stage, sc.Kind
			ss.In += sc.In
			ss.Out += sc.Out
			ss.Rejected += sc.Rejected
			ss.Errors += sc.Errors
			if sc.Kind == StageGenerator {
				s.Candidates += sc.Out
			}
			if sc.Kind == StageAccept {
				s.Accepted += sc.Out
			}
			s.Rejected += sc.Rejected
			for k, n := range sc.Reasons {
				if reasons[i] == nil {
					reasons[i] = map[string]int{}
				}
				reasons[i][k] += n
			}
		}
	}
	for i := range stages {
		stages[i].TopReasons = topReasons(reasons[i], 3)
	}
	s.Stages = stages
	if r.Generate.Rival != nil {
		s.DPO = &dpo
	}
	for _, t := range r.Targets {
		rep, ok := items[t.Failure.ID]
		if !ok {
			s.Interrupted = true
			continue
		}
		s.Items = append(s.Items, rep)
		s.Completed++
		switch rep.Status {
		case StatusReached:
			s.Reached++
		case StatusExhausted:
			s.Exhausted++
		case StatusError:
			s.Errors++
		}
	}
	if s.Items == nil {
		s.Items = []ItemReport{}
	}
	if s.Stages == nil {
		s.Stages = []StageSummary{}
	}
	return s
}

func topReasons(m map[string]int, n int) []ReasonCount {
	var out []ReasonCount
	for k, c := range m {
		out = append(out, ReasonCount{k, c})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Reason < out[j].Reason
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// export writes the accepted rows to Out in the run's format, atomically.
func (r *GenerateRun) export() (int, error) {
	rows, _, err := dataset.ReadJSONL[dataset.Record](r.Files.Accepted)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	var buf bytes.Buffer
	n, err := dataset.Export(&buf, r.Format, rows, r.Export)
	if err != nil {
		return n, err
	}
	return n, dataset.WriteFileAtomic(r.Files.Out, buf.Bytes(), 0o644)
}

// fileSink appends to the run's JSON Lines files.
type fileSink struct {
	acc, rej, prog *dataset.JSONLWriter
}

func (s *fileSink) Accept(r dataset.Record) error { return s.acc.Write(r) }
func (s *fileSink) Reject(r dataset.Record) error { return s.rej.Write(r) }
func (s *fileSink) Round(r RoundReport) error     { return s.prog.Write(progressLine{Round: &r}) }

// rowID names a candidate by its item, round and content:
// "<item>-r<round>-<8 hex digits of a hash of question and answer>", with
// "-2", "-3"... for a repeat within the round. Deriving it from the content
// (not from the candidate's place in the round) keeps it stable across
// sessions: when --resume redoes a round that an interrupted session had
// half written, a row it makes again has the id of the row already written
// (and is not counted twice), and a different row never borrows that id.
func rowID(item string, round int, s dataset.Sample, ids map[string]int) string {
	h := sha256.Sum256([]byte(s.Question + "\x00" + s.Answer))
	id := fmt.Sprintf("%s-r%d-%x", item, round, h[:4])
	ids[id]++
	if n := ids[id]; n > 1 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return id
}
