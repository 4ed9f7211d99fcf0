// Package spec describes configurable components — validators, generators,
// pipeline stages — and decodes their parameters from config with errors that
// name the exact key path (eval.validators[2].threshold).
//
// A component's [Spec] is at once its schema, its validator and its docs:
// the registries build components from it and `synth docs` renders it.
package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Spec describes one component kind.
type Spec struct {
	// Name is the kind, as written in config (`type: f1`).
	Name string
	// Summary is one line on what the component does.
	Summary string
	// Description says more: what it catches, how it decides, with an example.
	Description string
	// Params lists the accepted parameters.
	Params []Param
	// Needs names what the component needs from the project: "docs", "judge", "embedder".
	Needs []string
	// Example is a YAML snippet using the component.
	Example string
}

// Param describes one parameter of a component.
type Param struct {
	Name        string
	Type        string // "float", "int", "string", "bool", "[]string", "duration", "map"
	Default     string // as it would be written in YAML; empty when required or none
	Description string
	Required    bool
}

// Error is a configuration error at a key path. The CLI maps it to exit status 2.
type Error struct {
	Path string
	Msg  string
	// Err is the underlying error, if any (see [Wrap]).
	Err error
}

// Wrap returns err as an [*Error] at path: a problem with what the config
// at path names (a docs glob that matches nothing, an unreadable file).
func Wrap(path string, err error) *Error {
	return &Error{Path: path, Msg: err.Error(), Err: err}
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errorf returns an [*Error] at path.
func Errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Join appends a key to a path: Join("eval", "model") is "eval.model".
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index appends a list index to a path: Index("eval.validators", 2) is "eval.validators[2]".
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Sorted returns specs sorted by name.
func Sorted(specs []Spec) []Spec {
	out := append([]Spec(nil), specs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParamNames returns the names of s's parameters, comma-separated.
func (s Spec) ParamNames() string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
