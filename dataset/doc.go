// Package dataset holds synth's records — eval items, samples, verdicts and
// results — with their readers and writers (JSONL, CSV, YAML), export
// formats, run directories and atomic file writes.
//
// dataset imports nothing else from synth; every other package builds on it.
package dataset
