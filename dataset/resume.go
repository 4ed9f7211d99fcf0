package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// DedupeResults keeps one result per id, the last one in the slice (a
// later line supersedes an earlier one, e.g. after a crash between writing a
// result and recording it), at the place of that last line. It returns the
// kept results and how many were dropped.
func DedupeResults(results []Result) ([]Result, int) {
	last := make(map[string]int, len(results))
	for i, r := range results {
		last[r.ID] = i
	}
	if len(last) == len(results) {
		return results, 0
	}
	out := make([]Result, 0, len(last))
	for i, r := range results {
		if last[r.ID] == i {
			out = append(out, r)
		}
	}
	return out, len(results) - len(out)
}

// ResumePlan says what is left of an interrupted run.
type ResumePlan struct {
	// Done maps the id of each finished item to its result.
	Done map[string]Result
	// Todo are the items still to grade, in eval-set order.
	Todo []Item
	// Unknown are the ids in results.jsonl that the eval set no longer has.
	Unknown []string
	// Duplicates counts result lines superseded by a later line for the same id.
	Duplicates int
	// Torn is the incomplete last line left out of results.jsonl, if any.
	Torn *TornLine
}

// PlanResume reads the results of the run in dir and splits items into
// those already finished and those still to do. With redoErrors, items whose
// result is labelled error are done again (their new line supersedes the
// old one). The results file is not changed; [RunDir.OpenResults] repairs
// a torn line before appending.
func PlanResume(dir string, items []Item, redoErrors bool) (*ResumePlan, error) {
	results, torn, err := ReadJSONL[Result](RunDir{Path: dir}.File(ResultsFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("resume: %w", err)
	}
	results, dups := DedupeResults(results)
	p := &ResumePlan{Done: make(map[string]Result, len(results)), Duplicates: dups, Torn: torn}
	want := make(map[string]bool, len(items))
	for _, it := range items {
		want[it.ID] = true
	}
	for _, r := range results {
		if !want[r.ID] {
			p.Unknown = append(p.Unknown, r.ID)
			continue
		}
		if redoErrors && r.Label == Error {
			continue
		}
		p.Done[r.ID] = r
	}
	for _, it := range items {
		if _, done := p.Done[it.ID]; !done {
			p.Todo = append(p.Todo, it)
		}
	}
	return p, nil
}

// CheckResume tells whether a run with manifest m can be resumed with the
// model and eval set given: the same model name and the same eval-set bytes.
// The error says what differs, in words a user can act on.
func (m *Manifest) CheckResume(model string, set *EvalSet) error {
	if m.Model != model {
		return fmt.Errorf("cannot resume run %s: it graded model %q, not %q", m.Run, m.Model, model)
	}
	if set != nil && m.DatasetHash != "" && m.DatasetHash != set.Hash {
		return fmt.Errorf("cannot resume run %s: the eval set %s changed since the run started (start a new run to grade the new version)", m.Run, set.Path)
	}
	return nil
}

// CompactResults rewrites the run's results.jsonl atomically without
// superseded duplicates and without a torn last line, and returns how many
// lines it dropped. Do not call it while a writer has the file open.
func CompactResults(dir string) (int, error) {
	path := RunDir{Path: dir}.File(ResultsFile)
	results, torn, err := ReadJSONL[Result](path)
	if err != nil {
		return 0, fmt.Errorf("compact: %w", err)
	}
	kept, dropped := DedupeResults(results)
	if torn != nil {
		dropped++
	}
	if dropped == 0 {
		return 0, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range kept {
		if err := enc.Encode(r); err != nil {
			return 0, fmt.Errorf("compact %s: %w", path, err)
		}
	}
	if err := WriteFileAtomic(path, buf.Bytes(), 0o644); err != nil {
		return 0, fmt.Errorf("compact: %w", err)
	}
	return dropped, nil
}
