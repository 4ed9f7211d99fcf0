package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

// Exit statuses; DESIGN.md "Contracts" lists them. They are decided only in [exitCode].
const (
	exitOK          = 0
	exitBelowFloor  = 1 // the run worked but a --fail-under threshold was not met
	exitUsage       = 2 // bad usage, config or input
	exitRunFailed   = 3 // the run could not finish
	exitInterrupted = 130
)

// usageError is bad usage, config or input: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit status 2).
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// asUsage marks err as bad usage, config or input (exit status 2); nil stays nil.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// belowFloorError reports a --fail-under threshold that was not met: exit status 1.
type belowFloorError struct {
	what        string
	got, needed float64
}

func (e *belowFloorError) Error() string {
	return fmt.Sprintf("%s %.3f is below --fail-under %.3f", e.what, e.got, e.needed)
}

// silentError carries an exit status for an outcome already reported on stderr.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error returned by a command to the process exit status.
func exitCode(err error, interrupted bool) int {
	if err == nil {
		return exitOK
	}
	var silent *silentError
	var floor *belowFloorError
	var usage *usageError
	var cfg *spec.Error
	var input *dataset.InputError
	switch {
	case errors.As(err, &silent):
		return silent.code
	case interrupted || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &floor):
		return exitBelowFloor
	case errors.As(err, &usage), errors.As(err, &cfg), errors.As(err, &input):
		return exitUsage
	}
	return exitRunFailed
}

// reportExit prints err (if any) on stderr and returns the exit status.
func reportExit(s *streams, err error, interrupted bool) int {
	code := exitCode(err, interrupted)
	var silent *silentError
	if err != nil && !errors.As(err, &silent) {
		msg := err.Error()
		if code == exitInterrupted {
			// Commands that can be resumed say how themselves.
			msg = "interrupted"
		}
		fmt.Fprintln(s.Err, s.sanitize("synth: "+msg))
	}
	return code
}
