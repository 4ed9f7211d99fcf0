package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// problem is one thing wrong with a record, at a line (0: the record's line).
type problem struct {
	line int
	msg  string
	// question marks problems that leave the item without a usable question.
	question bool
}

// Field names of an eval item. Keys are matched without regard to case.
const (
	keyID       = "id"
	keyQuestion = "question"
	keyInput    = "input" // OpenAI evals: text or a list of chat messages
	keyAnswer   = "answer"
	keyAnswers  = "answers"
	keyIdeal    = "ideal" // OpenAI evals
	keyTags     = "tags"
	keySources  = "sources"
	keyMeta     = "meta"
)

// Meta keys that the reader fills from an OpenAI-evals chat input.
const (
	// MetaSystem holds the system messages of a chat input, joined by blank lines.
	MetaSystem = "system"
	// MetaHistory holds the other messages of a chat input (all but the system
	// messages and the last user message) as a list of {role, content} objects.
	MetaHistory = "history"
)

// decodeItem applies the eval-item field rules to one record. It checks types
// and aliases only; emptiness, ids and duplicates are the eval-set reader's job.
func decodeItem(rec value) (Item, []problem) {
	var (
		it    Item
		probs []problem
		seen  = map[string]int{} // lower-case key -> line
	)
	bad := func(v value, format string, args ...any) {
		probs = append(probs, problem{line: v.line, msg: fmt.Sprintf(format, args...)})
	}
	badQuestion := func(v value, format string, args ...any) {
		probs = append(probs, problem{line: v.line, msg: fmt.Sprintf(format, args...), question: true})
	}
	if rec.kind != kindObject {
		badQuestion(rec, "an item must be an object with a question, got %s", rec.kind)
		return it, probs
	}
	var questionKey, answerKey string
	for _, f := range rec.obj {
		key := strings.ToLower(strings.TrimSpace(f.key))
		v := f.val
		if first, dup := seen[key]; dup && isItemKey(key) {
			bad(v, "field %q appears twice (first on line %d)", key, first)
			continue
		}
		seen[key] = v.line
		switch key {
		case keyID:
			switch v.kind {
			case kindNull:
			case kindScalar:
				it.ID = strings.TrimSpace(v.text)
			default:
				bad(v, "id must be text or a number, got %s", v.kind)
			}
		case keyQuestion, keyInput:
			if v.kind == kindNull {
				continue
			}
			if questionKey != "" {
				badQuestion(v, "both %q and %q are set; use one", questionKey, key)
				continue
			}
			questionKey = key
			switch {
			case v.kind == kindScalar:
				it.Question = strings.TrimSpace(v.text)
			case v.kind == kindList && key == keyInput:
				if err := decodeChat(&it, v); err != nil {
					badQuestion(v, "input: %s", err)
				}
			case key == keyInput:
				badQuestion(v, "input must be text or a list of chat messages, got %s", v.kind)
			default:
				badQuestion(v, "question must be text, got %s", v.kind)
			}
		case keyAnswer, keyAnswers, keyIdeal:
			if v.kind == kindNull {
				continue
			}
			if answerKey != "" {
				bad(v, "both %q and %q are set; use one", answerKey, key)
				continue
			}
			answerKey = key
			answers, p := decodeTextList(v, key, false)
			probs = append(probs, p...)
			it.Answers = answers
		case keyTags, keySources:
			list, p := decodeTextList(v, key, true)
			probs = append(probs, p...)
			if key == keyTags {
				it.Tags = list
			} else {
				it.Sources = list
			}
		case keyMeta:
			if v.kind == kindObject {
				for _, mf := range v.obj {
					setMeta(&it, mf.key, mf.val.toAny())
				}
				continue
			}
			setMeta(&it, f.key, v.toAny())
		default:
			setMeta(&it, f.key, v.toAny())
		}
	}
	return it, probs
}

func isItemKey(k string) bool {
	switch k {
	case keyID, keyQuestion, keyInput, keyAnswer, keyAnswers, keyIdeal, keyTags, keySources, keyMeta:
		return true
	}
	return false
}

func setMeta(it *Item, k string, v any) {
	if it.Meta == nil {
		it.Meta = map[string]any{}
	}
	it.Meta[k] = v
}

// decodeTextList reads an answer, tags or sources value: text or a list of
// text. With split, text is split on ';' and '|' (tags and sources). Blank
// text means "none"; a blank entry in a list of answers is an error.
func decodeTextList(v value, key string, split bool) ([]string, []problem) {
	switch v.kind {
	case kindNull:
		return nil, nil
	case kindScalar:
		if split {
			return splitList(v.text), nil
		}
		if s := strings.TrimSpace(v.text); s != "" {
			return []string{s}, nil
		}
		return nil, nil
	case kindList:
		var (
			out   []string
			probs []problem
		)
		for i, e := range v.list {
			if e.kind != kindScalar {
				probs = append(probs, problem{line: e.line, msg: fmt.Sprintf("%s: entry %d must be text, got %s", key, i+1, e.kind)})
				continue
			}
			s := strings.TrimSpace(e.text)
			if s == "" {
				if !split {
					probs = append(probs, problem{line: e.line, msg: fmt.Sprintf("%s: entry %d is empty", key, i+1)})
				}
				continue
			}
			out = append(out, s)
		}
		return out, probs
	}
	return nil, []problem{{line: v.line, msg: fmt.Sprintf("%s must be text or a list of text, got %s", key, v.kind)}}
}

// decodeChat takes an OpenAI-evals chat input: the last user message becomes
// the question, system messages go to Meta[MetaSystem] and the other
// messages to Meta[MetaHistory].
func decodeChat(it *Item, v value) error {
	type msg struct{ role, content string }
	msgs := make([]msg, 0, len(v.list))
	lastUser := -1
	for i, e := range v.list {
		if e.kind != kindObject {
			return fmt.Errorf("message %d must be an object with role and content, got %s", i+1, e.kind)
		}
		var m msg
		for _, f := range e.obj {
			switch strings.ToLower(f.key) {
			case "role":
				if f.val.kind != kindScalar {
					return fmt.Errorf("message %d: role must be text", i+1)
				}
				m.role = strings.ToLower(strings.TrimSpace(f.val.text))
			case "content":
				c, err := chatContent(f.val)
				if err != nil {
					return fmt.Errorf("message %d: %w", i+1, err)
				}
				m.content = c
			}
		}
		if m.role == "" {
			return fmt.Errorf("message %d has no role", i+1)
		}
		if m.role == "user" {
			lastUser = i
		}
		msgs = append(msgs, m)
	}
	if lastUser < 0 {
		return errors.New("no message has role user")
	}
	var system []string
	var history []any
	for i, m := range msgs {
		switch {
		case i == lastUser:
			it.Question = strings.TrimSpace(m.content)
		case m.role == "system" || m.role == "developer":
			if s := strings.TrimSpace(m.content); s != "" {
				system = append(system, s)
			}
		default:
			history = append(history, map[string]any{"role": m.role, "content": m.content})
		}
	}
	if len(system) > 0 {
		setMeta(it, MetaSystem, strings.Join(system, "\n\n"))
	}
	if len(history) > 0 {
		setMeta(it, MetaHistory, history)
	}
	return nil
}

// chatContent reads a message's content: text, or a list of parts of which
// the text parts ({type: text, text: ...}) are joined.
func chatContent(v value) (string, error) {
	switch v.kind {
	case kindNull:
		return "", nil
	case kindScalar:
		return v.text, nil
	case kindList:
		var parts []string
		for _, p := range v.list {
			switch p.kind {
			case kindScalar:
				parts = append(parts, p.text)
			case kindObject:
				for _, f := range p.obj {
					if strings.ToLower(f.key) == "text" && f.val.kind == kindScalar {
						parts = append(parts, f.val.text)
					}
				}
			}
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("content must be text, got %s", v.kind)
}

// itemWire is Item's JSON shape.
type itemWire struct {
	ID       string         `json:"id"`
	Question string         `json:"question"`
	Answer   any            `json:"answer,omitempty"`
	Tags     []string       `json:"tags,omitempty"`
	Sources  []string       `json:"sources,omitempty"`
	Meta     map[string]any `json:"meta,omitempty"`
}

// MarshalJSON writes the item as an eval-set line: "answer" is a string when
// there is one gold answer, a list when there are several, and absent when
// there is none.
func (it Item) MarshalJSON() ([]byte, error) {
	w := itemWire{ID: it.ID, Question: it.Question, Tags: it.Tags, Sources: it.Sources, Meta: it.Meta}
	switch len(it.Answers) {
	case 0:
	case 1:
		w.Answer = it.Answers[0]
	default:
		w.Answer = it.Answers
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// UnmarshalJSON reads an eval-set line with the same rules as [ReadEvalSet]:
// "answer" (or "answers", or "ideal") as a string or a list, "input" as an
// alias of "question" (text or chat messages), tags as a list or a
// ';'/'|'-separated string, other fields into Meta. It does not check that
// the question is non-empty nor assign missing ids; the eval-set reader does.
func (it *Item) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("item: %s", describeJSONError(err))
	}
	got, probs := decodeItem(fromJSON(raw, 0))
	if len(probs) > 0 {
		return fmt.Errorf("item: %s", probs[0].msg)
	}
	*it = got
	return nil
}
