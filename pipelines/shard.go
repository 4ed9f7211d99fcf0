package pipelines

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// ParseShard reads "i/n" (0 <= i < n): this process takes part i of n.
func ParseShard(s string) (*dataset.Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || cnt < 1 || idx < 0 || idx >= cnt {
		return nil, fmt.Errorf("shard %q: want i/n with 0 <= i < n, such as 0/4", s)
	}
	return &dataset.Shard{Index: idx, Count: cnt}, nil
}

// ShardItems returns the items of shard sh: the k-th item of the set belongs
// to shard k mod n. The split depends only on the eval set's order, so every
// process of a split run agrees on it, and shards differ in size by at most one.
func ShardItems[T any](items []T, sh *dataset.Shard) []T {
	if sh == nil || sh.Count <= 1 {
		return items
	}
	out := make([]T, 0, len(items)/sh.Count+1)
	for k := sh.Index; k < len(items); k += sh.Count {
		out = append(out, items[k])
	}
	return out
}

// MergeRuns combines the shards of a split eval run into one run: the results
// in the eval set's order, a summary over all of them and a manifest without a
// shard. It checks that the runs are the shards 0..n-1 of one split (same
// model, same eval set, each shard once, no item twice) and that each shard
// finished. Writing the merged run is up to the caller.
func MergeRuns(runs []*dataset.Run) (*dataset.Manifest, *dataset.Summary, []dataset.Result, error) {
	if len(runs) == 0 {
		return nil, nil, nil, errors.New("merge: no runs given")
	}
	var count int
	byIndex := map[int]*dataset.Run{}
	first := runs[0]
	for _, r := range runs {
		m := r.Manifest
		if m == nil {
			return nil, nil, nil, fmt.Errorf("merge: %s has no %s", r.Path, dataset.ManifestFile)
		}
		if m.Shard == nil {
			return nil, nil, nil, fmt.Errorf("merge: %s is not a shard (it was not run with --shard i/n)", r.Path)
		}
		if count == 0 {
			count = m.Shard.Count
		}
		switch {
		case m.Shard.Count != count:
			return nil, nil, nil, fmt.Errorf("merge: %s is shard %d/%d but %s is of %d shards", r.Path, m.Shard.Index, m.Shard.Count, first.Path, count)
		case m.Model != first.Manifest.Model:
			return nil, nil, nil, fmt.Errorf("merge: %s graded model %q, %s graded %q", r.Path, m.Model, first.Path, first.Manifest.Model)
		case m.DatasetHash != first.Manifest.DatasetHash:
			return nil, nil, nil, fmt.Errorf("merge: %s and %s graded different eval sets (the file changed between them)", r.Path, first.Path)
		}
		if prev, dup := byIndex[m.Shard.Index]; dup {
			return nil, nil, nil, fmt.Errorf("merge: %s and %s are both shard %d/%d", prev.Path, r.Path, m.Shard.Index, count)
		}
		byIndex[m.Shard.Index] = r
		if len(r.Results) < len(m.ItemIDs) {
			return nil, nil, nil, fmt.Errorf("merge: shard %d/%d (%s) has %d of its %d items: finish it with synth eval --resume %s", m.Shard.Index, count, r.Path, len(r.Results), len(m.ItemIDs), r.Path)
		}
	}
	var missing []string
	for i := 0; i < count; i++ {
		if byIndex[i] == nil {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return nil, nil, nil, fmt.Errorf("merge: missing shard %s", strings.Join(missing, ", "))
	}

	// Re-interleave: the k-th item of shard i is item i + k*n of the set.
	var ids []string
	results := map[string]dataset.Result{}
	for k := 0; ; k++ {
		progressed := false
		for i := 0; i < count; i++ {
			m := byIndex[i].Manifest
			if k < len(m.ItemIDs) {
				ids = append(ids, m.ItemIDs[k])
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	for i := 0; i < count; i++ {
		for _, res := range byIndex[i].Results {
			if _, dup := results[res.ID]; dup {
				return nil, nil, nil, fmt.Errorf("merge: item %s appears in two shards", res.ID)
			}
			results[res.ID] = res
		}
	}
	merged := make([]dataset.Result, 0, len(ids))
	for _, id := range ids {
		if res, ok := results[id]; ok {
			merged = append(merged, res)
		}
	}

	m := *first.Manifest
	m.Shard = nil
	m.ItemIDs = ids
	s := dataset.Summarize(merged)
	s.Model, s.Dataset, s.Items = m.Model, m.Dataset, len(ids)
	var started, finished time.Time
	for i := 0; i < count; i++ {
		r := byIndex[i]
		if r.Summary == nil {
			continue
		}
		s.Requests += r.Summary.Requests
		s.CostUSD += r.Summary.CostUSD
		if started.IsZero() || r.Summary.Started.Before(started) {
			started = r.Summary.Started
		}
		if r.Summary.Finished.After(finished) {
			finished = r.Summary.Finished
		}
	}
	if started.IsZero() {
		started = m.Started
	}
	m.Started = started
	s.Started, s.Finished = started, finished
	if !finished.IsZero() {
		s.DurationMS = finished.Sub(started).Milliseconds()
	}
	s.Interrupted = s.Total < s.Items
	return &m, &s, merged, nil
}
