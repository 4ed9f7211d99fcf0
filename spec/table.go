package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Table maps component kinds — and their aliases — to entries. The
// validator and generator registries keep their entries in one. The zero
// value is not usable: make one with [NewTable].
type Table[E any] struct {
	what    string // "validators", "generators": prefixes registration errors
	entries map[string]E
	aliases map[string]string // alias -> kind
}

// NewTable returns an empty table; what names the component family in errors.
func NewTable[E any](what string) *Table[E] {
	return &Table[E]{what: what, entries: map[string]E{}, aliases: map[string]string{}}
}

// Add registers e under name and aliases; a name or alias used twice is an error.
func (t *Table[E]) Add(name string, aliases []string, e E) error {
	if name == "" {
		return fmt.Errorf("%s: register: a name is required", t.what)
	}
	for _, n := range append([]string{name}, aliases...) {
		_, dup := t.entries[n]
		_, dupAlias := t.aliases[n]
		if dup || dupAlias {
			return fmt.Errorf("%s: %q registered twice", t.what, n)
		}
	}
	t.entries[name] = e
	for _, a := range aliases {
		if a != name {
			t.aliases[a] = name
		}
	}
	return nil
}

// Lookup returns the entry for kind, which may be an alias.
func (t *Table[E]) Lookup(kind string) (E, bool) {
	if k, ok := t.aliases[kind]; ok {
		kind = k
	}
	e, ok := t.entries[kind]
	return e, ok
}

// Names returns the registered kinds (not aliases), sorted.
func (t *Table[E]) Names() []string {
	names := make([]string, 0, len(t.entries))
	for n := range t.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Entries returns every entry once, sorted by kind.
func (t *Table[E]) Entries() []E {
	out := make([]E, 0, len(t.entries))
	for _, n := range t.Names() {
		out = append(out, t.entries[n])
	}
	return out
}

// List returns the kinds comma-separated, for error messages.
func (t *Table[E]) List() string { return strings.Join(t.Names(), ", ") }
