package importers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// OpenAIEvals imports an OpenAI evals samples file: JSON Lines whose records
// have "input" (chat messages, or text) and "ideal" (an answer, or a list of
// acceptable answers). The last user message is the question; system (and
// developer) messages go to the item's meta.system, earlier turns to
// meta.history; an "id" field is kept, other fields go to meta. Items
// without an id get the stable id synth's eval-set reader would give them.
// A line that is not JSON is an error naming file:line; a record without a
// usable input is skipped and listed in the notes.
func OpenAIEvals(path string) (*Import, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read OpenAI evals samples: %w", err)
	}
	name := filepath.Base(path)
	if !isUTF8(data) {
		return nil, &dataset.InputError{File: name, Msg: "the text is not valid UTF-8 (save the file as UTF-8)"}
	}
	var recs []*node
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		doc, err := parseYAML(name, data)
		if err != nil {
			return nil, err
		}
		if doc.kind != kindList {
			return nil, doc.errorf("a .json samples file must be a list of samples (or use JSON Lines)")
		}
		recs = doc.list
	default:
		if recs, err = parseJSONL(name, data); err != nil {
			return nil, err
		}
	}
	imp := &Import{Format: "openai-evals", Source: path}
	var ns notes
	var items []dataset.Item
	var lines []string
	for _, r := range recs {
		where := r.where()
		if r.kind != kindMap {
			ns.add(Skipped, "sample", "not a JSON object", where)
			continue
		}
		it := dataset.Item{Meta: map[string]any{}}
		used := map[string]bool{"input": true, "ideal": true, "id": true}
		in := r.get("input")
		switch {
		case in.isNull():
			ns.add(Skipped, "sample without input", "there is no question to ask", where)
			continue
		case in.kind == kindScalar:
			it.Question = strings.TrimSpace(in.text)
		case in.kind == kindList:
			msgs, ok := chatMessages(in)
			if !ok {
				ns.add(Skipped, "sample with a malformed input", "input must be text or a list of {role, content} messages", where)
				continue
			}
			if !chatItem(&it, msgs, &ns, where) {
				continue
			}
		default:
			ns.add(Skipped, "sample with a malformed input", "input must be text or a list of {role, content} messages", where)
			continue
		}
		if it.Question == "" {
			ns.add(Skipped, "sample with an empty question", "the question is empty", where)
			continue
		}
		ideal := r.get("ideal")
		answers, ok := textList(ideal)
		if !ok {
			ns.add(Skipped, "sample with a structured ideal", "ideal must be text or a list of text", where)
			continue
		}
		it.Answers = answers
		if len(answers) == 0 {
			ns.add(Info, "sample without an ideal answer", "kept without a gold answer: only checks that need none (refusal, grounding, links) can grade it", where)
		}
		it.ID = strings.TrimSpace(r.get("id").render())
		for i, k := range r.keys {
			if !used[k] {
				it.Meta[k] = r.vals[i].toAny()
			}
		}
		if len(it.Meta) == 0 {
			it.Meta = nil
		}
		items = append(items, it)
		lines = append(lines, where)
	}
	if len(items) == 0 {
		return nil, &dataset.InputError{File: name, Msg: "no sample has a usable input: nothing to import"}
	}
	assignIDs(items, lines, &ns)
	systemNote(items, &ns)
	imp.Items = items
	imp.Notes = ns.sorted()
	return imp, nil
}

// chatItem fills a question from chat messages: the last user message is
// the question, system and developer messages go to meta.system, the other
// turns to meta.history. It reports false (with a note) when no message is
// from the user.
func chatItem(it *dataset.Item, msgs []chatMsg, ns *notes, where string) bool {
	last := -1
	for i, m := range msgs {
		if m.role == "user" {
			last = i
		}
	}
	if last < 0 {
		ns.add(Skipped, "sample without a user message", "there is no question to ask", where)
		return false
	}
	it.Question = strings.TrimSpace(msgs[last].content)
	var system []string
	var history []any
	for i, m := range msgs {
		switch {
		case i == last:
		case m.role == "system" || m.role == "developer":
			if s := strings.TrimSpace(m.content); s != "" {
				system = append(system, s)
			}
		default:
			history = append(history, map[string]any{"role": m.role, "content": m.content})
		}
	}
	if len(system) > 0 {
		it.Meta[dataset.MetaSystem] = strings.Join(system, "\n\n")
	}
	if len(history) > 0 {
		it.Meta[dataset.MetaHistory] = history
		ns.add(Approximated, "multi-turn input", "synth asks one question per item; the earlier turns are kept in meta.history", where)
	}
	return true
}

// textList reads an answer value: text (blank means none) or a list of
// text; numbers and booleans count as text. ok is false for structured data.
func textList(n *node) ([]string, bool) {
	switch {
	case n.isNull():
		return nil, true
	case n.kind == kindScalar:
		if s := strings.TrimSpace(n.text); s != "" {
			return []string{s}, true
		}
		return nil, true
	case n.kind == kindList:
		var out []string
		for _, e := range n.list {
			if e.kind == kindNull {
				continue
			}
			if e.kind != kindScalar {
				return nil, false
			}
			out = appendUnique(out, strings.TrimSpace(e.text))
		}
		return out, true
	}
	return nil, false
}

// assignIDs gives items without an id the id synth's eval-set reader would
// (dataset.QuestionID, "-2", "-3"... for repeats) and makes duplicate ids
// unique, with a note.
func assignIDs(items []dataset.Item, where []string, ns *notes) {
	taken := map[string]bool{}
	for i := range items {
		it := &items[i]
		if it.ID == "" {
			continue
		}
		if taken[it.ID] {
			id := uniqueName(it.ID, taken)
			ns.add(Approximated, "duplicate id "+it.ID, "renamed "+id+" (ids must be unique)", where[i])
			it.ID = id
			continue
		}
		taken[it.ID] = true
	}
	// Derived ids come after every explicit one, so they never take one.
	for i := range items {
		if it := &items[i]; it.ID == "" {
			it.ID = uniqueName(dataset.QuestionID(it.Question), taken)
		}
	}
}

// systemNote says what to do with the samples' system messages: synth sends
// one eval.system_prompt to every item.
func systemNote(items []dataset.Item, ns *notes) {
	first, same, any := "", true, false
	for i, it := range items {
		s, _ := it.Meta[dataset.MetaSystem].(string)
		if s != "" {
			any = true
		}
		if i == 0 {
			first = s
		} else if s != first {
			same = false
		}
	}
	switch {
	case !any:
	case same:
		ns.add(Info, "system message", "every sample has the same system message: put it in synth.yaml as eval.system_prompt (synth sends that, not per-item messages): "+clipText(first, 120), "")
	default:
		ns.add(Approximated, "system messages", "the samples' system messages differ; synth sends one eval.system_prompt to every item, so each item keeps its own in meta.system", "")
	}
}
