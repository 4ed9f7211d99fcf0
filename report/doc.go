// Package report renders runs for people and machines: terminal tables,
// Markdown and HTML reports, comparisons between runs, and JUnit XML.
// It reads dataset records only; it never calls a model.
//
// # One run
//
// [WriteSummary] prints a run's summary on a terminal, [Markdown] renders
// report.md, [HTML] renders report.html (one self-contained page: inline
// CSS, a small inline script pinned by a Content-Security-Policy, an inline
// SVG chart; no network) and [JUnit] renders JUnit XML for CI.
//
// # Two runs
//
// [Compare] pairs two runs' results by item id: counts per label, each
// item's [Transition] (fixed, regressed, changed, unchanged, or in one run
// only), each run's accuracy with a 95% [Wilson] interval, and the exact
// [McNemarTest] on the paired items, overall and per tag. A [Comparison]
// prints itself with [Comparison.WriteText] and renders with
// [CompareJSON], [CompareMarkdown] and [CompareHTML].
//
// # Model text
//
// Model output may hold HTML, terminal escape codes, bidirectional
// overrides, invisible characters and very long lines. Every renderer shows
// it as inert text: HTML through html/template with control characters as
// labelled marks, terminals through [TermLine], Markdown and XML through
// [Visible].
package report
