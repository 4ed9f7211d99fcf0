package importers

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// NoteKind says how an imported feature fared.
type NoteKind string

// The kinds of notes, from the most to the least serious.
const (
	// Unsupported: synth has no counterpart; the feature is not in the
	// output (the data it carried is kept in the items' meta where it can be).
	Unsupported NoteKind = "unsupported"
	// Approximated: mapped to the closest synth counterpart, which does not
	// behave exactly the same.
	Approximated NoteKind = "approximated"
	// Skipped: input records that were left out, with the reason.
	Skipped NoteKind = "skipped"
	// Info: how something was mapped, worth knowing.
	Info NoteKind = "info"
)

var kindOrder = map[NoteKind]int{Unsupported: 0, Approximated: 1, Skipped: 2, Info: 3}

// Note is one thing an import could not carry over exactly, or did in a way
// worth knowing. Notes with the same kind, subject and detail are merged:
// Count says how often it happened and Where lists the first places.
type Note struct {
	Kind NoteKind `json:"kind"`
	// Subject names the feature: "assertion javascript", "provider bedrock:...".
	Subject string `json:"subject"`
	// Detail says what the import did about it, and what to do.
	Detail string `json:"detail"`
	// Where lists the first places (file:line) it occurred.
	Where []string `json:"where,omitempty"`
	// Count is how many times it occurred.
	Count int `json:"count"`
}

// maxWhere caps the places a note lists.
const maxWhere = 5

// notes collects notes, merging repeats.
type notes struct {
	list  []*Note
	index map[string]*Note
}

func (ns *notes) add(kind NoteKind, subject, detail, where string) {
	if ns.index == nil {
		ns.index = map[string]*Note{}
	}
	key := string(kind) + "\x00" + subject + "\x00" + detail
	n, ok := ns.index[key]
	if !ok {
		n = &Note{Kind: kind, Subject: subject, Detail: detail}
		ns.index[key] = n
		ns.list = append(ns.list, n)
	}
	n.Count++
	if where != "" && len(n.Where) < maxWhere {
		for _, w := range n.Where {
			if w == where {
				return
			}
		}
		n.Where = append(n.Where, where)
	}
}

// sorted returns the notes, most serious first, then in order of first occurrence.
func (ns *notes) sorted() []Note {
	out := make([]Note, len(ns.list))
	for i, n := range ns.list {
		out[i] = *n
	}
	sort.SliceStable(out, func(i, j int) bool { return kindOrder[out[i].Kind] < kindOrder[out[j].Kind] })
	return out
}

// String is the note on one line: "unsupported: assertion javascript (3×, tests.yaml:4, ...): detail".
func (n Note) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", n.Kind, n.Subject)
	if n.Count > 1 || len(n.Where) > 0 {
		b.WriteString(" (")
		if n.Count > 1 {
			fmt.Fprintf(&b, "%d×", n.Count)
			if len(n.Where) > 0 {
				b.WriteString(", ")
			}
		}
		b.WriteString(strings.Join(n.Where, ", "))
		if n.Count > len(n.Where) && len(n.Where) > 0 {
			b.WriteString(", …")
		}
		b.WriteString(")")
	}
	if n.Detail != "" {
		b.WriteString(": ")
		b.WriteString(n.Detail)
	}
	return b.String()
}

// NotesMarkdown renders an import's notes as IMPORT-NOTES.md: what was
// imported, then every note grouped by kind, so nothing is dropped silently.
func NotesMarkdown(imp *Import) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Import notes\n\n")
	fmt.Fprintf(&b, "Imported `%s` (%s) with `synth import %s`: %d eval items", filepath.Base(imp.Source), imp.Format, imp.Format, len(imp.Items))
	if imp.Config != nil {
		fmt.Fprintf(&b, ", %d models, %d validators", len(imp.Config.Models), len(imp.Config.Validators))
	}
	if len(imp.Outputs) > 0 {
		fmt.Fprintf(&b, ", %d recorded outputs", len(imp.Outputs))
	}
	b.WriteString(".\n")
	if len(imp.Notes) == 0 {
		b.WriteString("\nEverything carried over: there is nothing to report.\n")
		return []byte(b.String())
	}
	titles := map[NoteKind]string{
		Unsupported:  "Not imported: no synth counterpart",
		Approximated: "Imported as the closest synth counterpart",
		Skipped:      "Skipped input",
		Info:         "How things were mapped",
	}
	var last NoteKind
	for _, n := range imp.Notes {
		if n.Kind != last {
			fmt.Fprintf(&b, "\n## %s\n\n", titles[n.Kind])
			last = n.Kind
		}
		fmt.Fprintf(&b, "- **%s**", mdEscape(n.Subject))
		if n.Count > 1 {
			fmt.Fprintf(&b, " (%d×)", n.Count)
		}
		if n.Detail != "" {
			fmt.Fprintf(&b, ": %s", mdEscape(n.Detail))
		}
		if len(n.Where) > 0 {
			where := make([]string, len(n.Where))
			for i, w := range n.Where {
				where[i] = "`" + strings.ReplaceAll(w, "`", "'") + "`"
			}
			fmt.Fprintf(&b, " — at %s", strings.Join(where, ", "))
			if n.Count > len(n.Where) {
				b.WriteString(", …")
			}
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// mdEscape keeps user text from turning into Markdown markup on one line.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "|", `\|`)
	// Keep code spans intact: escape only outside backticks.
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = r.Replace(parts[i])
	}
	return strings.Join(parts, "`")
}
