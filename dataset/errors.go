package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// InputError is a problem with a user's input file, located by file and line.
// Callers map it to "bad input" (exit status 2) with errors.As.
type InputError struct {
	// File is the path as the caller gave it.
	File string
	// Line is 1-based; 0 means the problem concerns the whole file.
	Line int
	// Msg says what is wrong, in plain words.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// Error returns "file:line: msg" (or "file: msg" without a line).
func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Warning is a non-fatal remark about an input file, such as an item without a
// gold answer.
type Warning struct {
	// File is the path as the caller gave it.
	File string `json:"file"`
	// Line is 1-based; 0 means the whole file.
	Line int `json:"line,omitempty"`
	// Msg says what is unusual, in plain words.
	Msg string `json:"msg"`
}

// String returns "file:line: msg".
func (w Warning) String() string {
	return (&InputError{File: w.File, Line: w.Line, Msg: w.Msg}).Error()
}

// maxReportedErrors caps how many input errors one read reports.
const maxReportedErrors = 10

// errorList collects input errors, keeping the first few.
type errorList struct {
	errs    []error
	dropped int
}

func (l *errorList) add(file string, line int, format string, args ...any) {
	if len(l.errs) >= maxReportedErrors {
		l.dropped++
		return
	}
	l.errs = append(l.errs, &InputError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	errs := l.errs
	if l.dropped > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("... and %d more errors", l.dropped))
	}
	return errors.Join(errs...)
}

// columnError carries the column of a JSON syntax error within its line,
// when the error's offset counts from the start of a larger input.
type columnError struct {
	err error
	col int
}

func (e *columnError) Error() string { return e.err.Error() }
func (e *columnError) Unwrap() error { return e.err }

// describeJSONError turns an encoding/json error into plain words, with the
// column for syntax errors (offset is relative to the start of the line).
func describeJSONError(err error) string {
	col := -1
	var ce *columnError
	if errors.As(err, &ce) {
		col, err = ce.col, ce.err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "not valid JSON: the record ends before it is complete"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		msg := strings.TrimPrefix(se.Error(), "json: ")
		if msg == "unexpected end of JSON input" {
			return "not valid JSON: the record ends before it is complete"
		}
		if col < 0 {
			col = int(se.Offset)
		}
		return fmt.Sprintf("not valid JSON: %s (column %d)", msg, col)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return fmt.Sprintf("a JSON %s cannot be used here (want %s)", te.Value, te.Type)
		}
		return fmt.Sprintf("field %q: a JSON %s cannot be used here (want %s)", field, te.Value, te.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
