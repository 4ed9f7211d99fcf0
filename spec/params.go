package spec

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Params holds one component's parameters as read from config, and the key
// path they were read at. Typed getters return the value or the default and
// record any problem; [Params.Err] reports every problem at once, each
// naming its key path. Getters mark keys as used, so [Params.Err] also
// reports keys that no getter asked for (typos).
//
// Params is not safe for concurrent use; components read it once, when built.
type Params struct {
	path   string
	values map[string]any
	used   map[string]bool
	known  map[string]bool // declared by Optional without being read
	errs   []error
	// Reserved keys are consumed by the registry, not the component.
	reserved map[string]bool
}

// NewParams wraps values read at path. Keys listed in reserved are not
// reported as unknown (for example "type" and "name", read by the registry).
func NewParams(path string, values map[string]any, reserved ...string) *Params {
	p := &Params{path: path, values: values, used: map[string]bool{}, known: map[string]bool{}, reserved: map[string]bool{}}
	if p.values == nil {
		p.values = map[string]any{}
	}
	for _, r := range reserved {
		p.reserved[r] = true
	}
	return p
}

// Path is the key path of these parameters.
func (p *Params) Path() string { return p.path }

// Has reports whether name was given. It does not make name a known
// parameter: use [Params.Optional] for a parameter the component reads only
// when it is given.
func (p *Params) Has(name string) bool {
	_, ok := p.values[name]
	return ok
}

// Optional reports whether the optional parameter name was given, and
// declares it known, so that the message for a misspelt key lists it even
// when it is absent.
func (p *Params) Optional(name string) bool {
	p.known[name] = true
	return p.Has(name)
}

// Raw returns the raw value of name and marks it used.
func (p *Params) Raw(name string) (any, bool) {
	p.used[name] = true
	v, ok := p.values[name]
	return v, ok
}

// Fail records a problem with parameter name.
func (p *Params) Fail(name, format string, args ...any) {
	p.errs = append(p.errs, Errorf(Join(p.path, name), format, args...))
}

// Err returns every recorded problem and every unknown key, or nil.
func (p *Params) Err() error {
	var unknown []string
	for k := range p.values {
		if !p.used[k] && !p.reserved[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	errs := append([]error(nil), p.errs...)
	for _, k := range unknown {
		known := make([]string, 0, len(p.used)+len(p.known))
		for u := range p.used {
			known = append(known, u)
		}
		for k := range p.known {
			if !p.used[k] {
				known = append(known, k)
			}
		}
		sort.Strings(known)
		msg := "unknown parameter"
		if len(known) > 0 {
			msg += " (known: " + strings.Join(known, ", ") + ")"
		}
		errs = append(errs, Errorf(Join(p.path, k), "%s", msg))
	}
	return errors.Join(errs...)
}

// String returns the string parameter name, or def when absent.
func (p *Params) String(name, def string) string {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return def
	}
	switch s := v.(type) {
	case string:
		return s
	case int, int64, float64, bool:
		return fmt.Sprint(s)
	}
	p.Fail(name, "must be a string, got %s", describe(v))
	return def
}

// OneOf returns the string parameter name, which must be one of choices.
func (p *Params) OneOf(name, def string, choices ...string) string {
	s := p.String(name, def)
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	p.Fail(name, "must be one of %s, got %q", strings.Join(choices, ", "), s)
	return def
}

// Float returns the number parameter name, or def when absent.
func (p *Params) Float(name string, def float64) float64 {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return def
	}
	f, err := toFloat(v)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.Fail(name, "must be a number, got %s", describe(v))
		return def
	}
	return f
}

// FloatIn returns the number parameter name, which must lie in [lo, hi].
func (p *Params) FloatIn(name string, def, lo, hi float64) float64 {
	f := p.Float(name, def)
	if f < lo || f > hi {
		p.Fail(name, "must be between %g and %g, got %g", lo, hi, f)
		return def
	}
	return f
}

// Int returns the integer parameter name, or def when absent.
func (p *Params) Int(name string, def int) int {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return def
	}
	f, err := toFloat(v)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		p.Fail(name, "must be an integer, got %s", describe(v))
		return def
	}
	return int(f)
}

// IntIn returns the integer parameter name, which must lie in [lo, hi].
func (p *Params) IntIn(name string, def, lo, hi int) int {
	n := p.Int(name, def)
	if n < lo || n > hi {
		p.Fail(name, "must be between %d and %d, got %d", lo, hi, n)
		return def
	}
	return n
}

// Bool returns the boolean parameter name, or def when absent.
func (p *Params) Bool(name string, def bool) bool {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return def
	}
	switch b := v.(type) {
	case bool:
		return b
	case string:
		if parsed, err := strconv.ParseBool(b); err == nil {
			return parsed
		}
	}
	p.Fail(name, "must be true or false, got %s", describe(v))
	return def
}

// Strings returns the list-of-strings parameter name (a single string is a
// one-element list), or def when absent.
func (p *Params) Strings(name string, def []string) []string {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return def
	}
	switch l := v.(type) {
	case string:
		return []string{l}
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				p.errs = append(p.errs, Errorf(Index(Join(p.path, name), i), "must be a string, got %s", describe(e)))
				continue
			}
			out = append(out, s)
		}
		return out
	}
	p.Fail(name, "must be a list of strings, got %s", describe(v))
	return def
}

// Duration returns the duration parameter name ("30s", "2m"; a bare number
// is seconds), or def when absent.
func (p *Params) Duration(name string, def time.Duration) time.Duration {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return def
	}
	switch d := v.(type) {
	case string:
		if parsed, err := time.ParseDuration(d); err == nil && parsed >= 0 {
			return parsed
		}
	default:
		if f, err := toFloat(v); err == nil && f >= 0 {
			return time.Duration(f * float64(time.Second))
		}
	}
	p.Fail(name, "must be a duration such as 30s or 2m, got %s", describe(v))
	return def
}

// Map returns the map parameter name, or nil when absent.
func (p *Params) Map(name string) map[string]any {
	v, ok := p.Raw(name)
	if !ok || v == nil {
		return nil
	}
	if m, ok := AsMap(v); ok {
		return m
	}
	p.Fail(name, "must be a mapping, got %s", describe(v))
	return nil
}

// Sub returns the map parameter name as nested Params.
func (p *Params) Sub(name string) *Params {
	return NewParams(Join(p.path, name), p.Map(name))
}

// AsMap converts YAML/JSON-decoded maps (map[string]any or map[any]any) to map[string]any.
func AsMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[fmt.Sprint(k)] = e
		}
		return out, true
	}
	return nil, false
}

func toFloat(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case int32:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(n), 64)
	}
	return 0, fmt.Errorf("not a number")
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprintf("%v", v)
}
