// Package dataset holds synth's records — eval items, samples, verdicts and
// results — with their readers and writers (JSONL, CSV, YAML), export
// formats, run directories and atomic file writes.
//
// dataset imports nothing else from synth; every other package builds on it.
//
// # Eval sets
//
// [ReadEvalSet] reads .jsonl, .json, .csv/.tsv and .yaml/.yml eval sets into
// [Item] values: "id", "question", "answer" (text or a list of acceptable
// answers), "tags", "sources", with "input"/"ideal" (OpenAI evals) as
// aliases and any other field kept in Item.Meta. Items without an id get a
// stable one ([QuestionID]). Every problem is an [*InputError] naming
// file:line; items without a gold answer come back as [Warning] values.
//
// # JSON Lines
//
// [ScanJSONL] and [ReadJSONL] read JSON Lines of any line length.
// [JSONLWriter] appends one fsynced line per record and is safe for
// concurrent use, so a crash loses at most the line being written;
// [ReadJSONL] leaves such a torn last line out (reporting it as a
// [TornLine]) and [RepairJSONL]/[OpenJSONL] truncate it before appending.
// A malformed line anywhere else is an error.
//
// # Run directories
//
// [CreateRun] makes runs/<id>/ (id: UTC start time and model name, unique
// even for runs that start in the same second) and points runs/latest at
// it; [ResolveRun] accepts a run directory, runs/latest or a run id. A run
// holds results.jsonl ([Result] lines, appended as items finish),
// summary.json ([Summary], see [Summarize]) and manifest.json ([Manifest],
// what --resume needs; secrets are redacted). [LoadRun] reads it back;
// [PlanResume] says which items are left; [CompactResults] drops superseded
// duplicate lines. Files that must never be seen half-written go through
// [WriteFileAtomic].
//
// # Training data
//
// A generated row is a [Record]: a [Sample] with its verdicts, rejection
// reasons and, for preference data, a rejected answer. [Export] writes
// records in one of the [Formats]: native, openai, alpaca, sharegpt, lamini
// or dpo ([ParseFormat]).
package dataset
