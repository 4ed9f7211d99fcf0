package pipelines

import (
	"context"
	"fmt"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// EvalRun runs an [Eval] over an eval set into a run directory: results are
// appended to results.jsonl as items finish, and summary.json is written at
// the end (also when the run is interrupted, marked as such).
type EvalRun struct {
	// Eval grades one item.
	Eval *Eval
	// Set is the eval set (already filtered to this run's shard, if any).
	Set *dataset.EvalSet
	// Manifest describes the run; Run, Started, Items and hashes are filled in.
	Manifest dataset.Manifest
	// Root is the folder runs are created in (eval.out).
	Root string
	// Resume, when set, is the run directory to finish instead of starting a new one.
	Resume string
	// RedoErrors makes a resumed run grade items labelled error again.
	RedoErrors bool
	// Concurrency bounds the items graded at once.
	Concurrency int
	// Stats, when set, reports requests and cost for the summary.
	Stats func() (requests int, costUSD float64)
	// Progress, when set, is called after each finished item (from one goroutine at a time).
	Progress func(done, total int, r dataset.Result)
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// EvalOutcome is what a run produced.
type EvalOutcome struct {
	Dir     dataset.RunDir
	Summary *dataset.Summary
	// Results are every graded item of the run (earlier ones too, on resume), in eval-set order.
	Results []dataset.Result
	// Resumed counts the items a resumed run found already finished.
	Resumed int
}

// Run grades the items still to do. It returns the outcome even when ctx was
// cancelled (with ctx's error), so the caller can report what was kept.
func (r *EvalRun) Run(ctx context.Context) (*EvalOutcome, error) {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	if len(r.Set.Items) == 0 {
		return nil, fmt.Errorf("%s: the eval set has no items", r.Set.Path)
	}
	started := now()
	out := &EvalOutcome{}
	todo := r.Set.Items
	var earlier []dataset.Result
	var prevRequests int
	var prevCost float64
	m := r.Manifest

	if r.Resume != "" {
		prev, err := dataset.LoadRun(r.Resume)
		if err != nil {
			return nil, err
		}
		if prev.Manifest == nil {
			return nil, fmt.Errorf("cannot resume %s: it has no %s", r.Resume, dataset.ManifestFile)
		}
		if err := prev.Manifest.CheckResume(m.Model, r.Set); err != nil {
			return nil, err
		}
		plan, err := dataset.PlanResume(prev.Path, r.Set.Items, r.RedoErrors)
		if err != nil {
			return nil, err
		}
		out.Dir = prev.RunDir
		m = *prev.Manifest
		todo = plan.Todo
		for _, it := range r.Set.Items {
			if res, ok := plan.Done[it.ID]; ok {
				earlier = append(earlier, res)
			}
		}
		out.Resumed = len(earlier)
		if prev.Summary != nil {
			prevRequests, prevCost = prev.Summary.Requests, prev.Summary.CostUSD
		}
		if prev.Summary != nil && !prev.Summary.Started.IsZero() {
			started = prev.Summary.Started
		} else if !m.Started.IsZero() {
			started = m.Started
		}
	} else {
		dir, err := dataset.CreateRun(r.Root, m.Model, started)
		if err != nil {
			return nil, err
		}
		out.Dir = dir
		m.Version = dataset.ManifestVersion
		m.Run = dir.ID
		m.Kind = "eval"
		m.Started = started.UTC()
		m.Dataset = r.Set.Path
		m.DatasetHash = r.Set.Hash
		m.ItemIDs = r.Set.IDs()
		if err := dir.WriteManifest(&m); err != nil {
			return nil, err
		}
	}

	w, err := out.Dir.OpenResults()
	if err != nil {
		return nil, err
	}
	fresh := make(map[string]dataset.Result, len(todo))
	done := len(earlier)
	total := len(r.Set.Items)
	runErr := ForEach(ctx, todo, r.Concurrency,
		func(ctx context.Context, it dataset.Item) itemOutcome {
			res, err := r.Eval.Item(ctx, it)
			return itemOutcome{res: res, cut: err != nil}
		},
		func(o itemOutcome) bool { return o.cut },
		func(o itemOutcome) error {
			if o.cut {
				return nil // interrupted before it finished: a resumed run redoes it
			}
			if err := w.Write(o.res); err != nil {
				return fmt.Errorf("write %s: %w", out.Dir.File(dataset.ResultsFile), err)
			}
			fresh[o.res.ID] = o.res
			done++
			if r.Progress != nil {
				r.Progress(done, total, o.res)
			}
			return nil
		})
	if cerr := w.Close(); cerr != nil && runErr == nil {
		runErr = cerr
	}

	// Results in eval-set order: earlier ones, then this session's.
	byID := make(map[string]dataset.Result, len(earlier)+len(fresh))
	for _, res := range earlier {
		byID[res.ID] = res
	}
	for id, res := range fresh {
		byID[id] = res
	}
	for _, it := range r.Set.Items {
		if res, ok := byID[it.ID]; ok {
			out.Results = append(out.Results, res)
		}
	}
	s := dataset.Summarize(out.Results)
	s.Run = out.Dir.ID
	s.Model = m.Model
	s.Dataset = m.Dataset
	s.Started = started.UTC()
	s.Finished = now().UTC()
	s.DurationMS = s.Finished.Sub(s.Started).Milliseconds()
	s.Items = total
	s.Shard = m.Shard
	s.Interrupted = s.Total < total
	if r.Stats != nil {
		s.Requests, s.CostUSD = r.Stats()
	}
	s.Requests += prevRequests
	s.CostUSD += prevCost
	out.Summary = &s
	if err := out.Dir.WriteSummary(&s); err != nil && runErr == nil {
		runErr = err
	}
	return out, runErr
}

type itemOutcome struct {
	res dataset.Result
	cut bool
}
