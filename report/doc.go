// Package report renders runs for people and machines: terminal tables,
// Markdown and HTML reports, comparisons between runs, and JUnit XML.
// It reads dataset records only; it never calls a model.
package report
