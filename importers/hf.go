package importers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// FieldMap says where each part of an eval item is in a dataset record.
// Fields are dotted paths into nested records ("answers.text", "meta.id",
// "choices.0"); a key that itself holds a dot is found first. Empty Question
// and Answer fields are detected from common names.
type FieldMap struct {
	// Question is the question's field (default: the first of question,
	// query, input, prompt, instruction, problem that records have).
	Question string
	// Answer is the gold answer's field: text, a list of acceptable answers,
	// or SQuAD-style {text: [...]} (default: the first of answer, answers,
	// ideal, output, target, response, solution that records have).
	Answer string
	// ID is the id field (default: none; ids are derived from the question).
	ID string
	// Tags is the tags field: a list, or text separated by ';', '|' or ','.
	Tags string
}

var (
	hfQuestionFields = []string{"question", "query", "input", "prompt", "instruction", "problem"}
	hfAnswerFields   = []string{"answer", "answers", "ideal", "output", "target", "response", "solution"}
)

// HF imports Hugging Face datasets-style records: JSON Lines (what
// Dataset.to_json writes), a JSON list (or an object holding one list, such
// as the datasets-server's {"rows": [{"row": {...}}]}), or CSV/TSV with a
// header row. m says which fields hold the question, the answers, the id
// and the tags; every other top-level field goes to the item's meta.
// Records without a question are skipped and listed in the notes; Parquet
// is not read (convert it with Dataset.to_json first).
func HF(path string, m FieldMap) (*Import, error) {
	name := filepath.Base(path)
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".parquet" || ext == ".arrow" {
		return nil, &dataset.InputError{File: name, Msg: "Parquet and Arrow files are not read: convert the split to JSON Lines first, e.g. load_dataset(...)[\"test\"].to_json(\"test.jsonl\")"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !isUTF8(data) {
		return nil, &dataset.InputError{File: name, Msg: "the text is not valid UTF-8 (save the file as UTF-8)"}
	}
	var recs []*node
	switch ext {
	case ".csv", ".tsv":
		comma := ','
		if ext == ".tsv" {
			comma = '\t'
		}
		if recs, err = csvRecords(name, data, comma); err != nil {
			return nil, err
		}
	case ".json":
		if recs, err = jsonRecords(name, data); err != nil {
			return nil, err
		}
	case ".jsonl", ".ndjson", "":
		if recs, err = parseJSONL(name, data); err != nil {
			return nil, err
		}
	default:
		return nil, &dataset.InputError{File: name, Msg: fmt.Sprintf("unknown dataset format %q (want .jsonl, .json, .csv or .tsv)", ext)}
	}
	if len(recs) == 0 {
		return nil, &dataset.InputError{File: name, Msg: "the dataset has no records"}
	}
	var ns notes
	if m.Question == "" {
		if m.Question = detectField(recs, hfQuestionFields); m.Question == "" {
			return nil, &dataset.InputError{File: name, Msg: "no question field found (tried " + strings.Join(hfQuestionFields, ", ") + "): pass --question-field"}
		}
		ns.add(Info, "question field", "detected: "+m.Question+" (set another with --question-field)", "")
	}
	if m.Answer == "" {
		if m.Answer = detectField(recs, hfAnswerFields); m.Answer != "" {
			ns.add(Info, "answer field", "detected: "+m.Answer+" (set another with --answer-field)", "")
		} else {
			ns.add(Info, "answer field", "no answer field found (tried "+strings.Join(hfAnswerFields, ", ")+"): the items have no gold answers; pass --answer-field", "")
		}
	}
	// Fields that became the question and answers leave meta whole; the id
	// and tags fields only when they are top-level keys, so that nested
	// records keep their other data ({"meta": {"uid", "topic"}}).
	used := map[string]bool{}
	for _, f := range []string{m.Question, m.Answer} {
		if f != "" {
			used[rootKey(f)] = true
		}
	}
	for _, f := range []string{m.ID, m.Tags} {
		if f != "" && !strings.Contains(f, ".") {
			used[f] = true
		}
	}
	imp := &Import{Format: "hf", Source: path}
	var items []dataset.Item
	var lines []string
	for _, r := range recs {
		where := r.where()
		if r.kind != kindMap {
			ns.add(Skipped, "record", "not an object", where)
			continue
		}
		q := lookup(r, m.Question)
		question := ""
		if q.is(kindScalar) {
			question = strings.TrimSpace(q.text)
		}
		if question == "" {
			what := "has no " + m.Question
			if !q.isNull() && q.kind != kindScalar {
				what = "has a " + m.Question + " that is not text"
			}
			ns.add(Skipped, "record without a question", "the record "+what, where)
			continue
		}
		it := dataset.Item{Question: question, Meta: map[string]any{}}
		if m.Answer != "" {
			a := lookup(r, m.Answer)
			if a.is(kindMap) && a.has("text") { // SQuAD: {text: [...], answer_start: [...]}
				a = a.get("text")
			}
			if a.is(kindList) && len(a.list) > 0 && a.list[0].is(kindMap) { // [{text: ...}, ...]
				texts := &node{kind: kindList, file: a.file, line: a.line}
				for _, e := range a.list {
					texts.list = append(texts.list, e.get("text"))
				}
				a = texts
			}
			answers, ok := textList(a)
			if !ok {
				ns.add(Skipped, "answer that is not text", "the "+m.Answer+" field holds structured data: name its text with a dotted path (--answer-field "+m.Answer+".text); the item was kept without a gold answer", where)
			}
			it.Answers = answers
			if ok && len(answers) == 0 {
				ns.add(Info, "record without an answer", "kept without a gold answer: only checks that need none (refusal, grounding, links) can grade it", where)
			}
		}
		if m.ID != "" {
			if id := lookup(r, m.ID); id.is(kindScalar) {
				it.ID = strings.TrimSpace(id.text)
			} else {
				ns.add(Info, "record without an id", "the id was derived from the question", where)
			}
		}
		if m.Tags != "" {
			tags, _ := textList(lookup(r, m.Tags))
			for _, t := range tags {
				for _, part := range strings.FieldsFunc(t, func(r rune) bool { return r == ';' || r == '|' || r == ',' }) {
					it.Tags = appendUnique(it.Tags, strings.TrimSpace(part))
				}
			}
		}
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
		return nil, &dataset.InputError{File: name, Msg: "no record has a question in " + m.Question + ": nothing to import"}
	}
	assignIDs(items, lines, &ns)
	imp.Items = items
	imp.Notes = ns.sorted()
	return imp, nil
}

// rootKey is the first segment of a dotted path.
func rootKey(path string) string {
	k, _, _ := strings.Cut(path, ".")
	return k
}

// detectField returns the first candidate that some record has.
func detectField(recs []*node, candidates []string) string {
	for _, c := range candidates {
		for i, r := range recs {
			if i == 100 {
				break
			}
			if !lookup(r, c).isNull() {
				return c
			}
		}
	}
	return ""
}

// lookup follows a dotted path; a key holding a dot is tried first, a
// numeric segment indexes a list, and a segment applied to a list of
// objects collects it from each ("answers.text" over [{text}, {text}]).
func lookup(n *node, path string) *node {
	if n == nil || path == "" {
		return nil
	}
	if v := n.get(path); v != nil {
		return v
	}
	head, rest, more := strings.Cut(path, ".")
	var next *node
	switch {
	case n.kind == kindMap:
		next = n.get(head)
	case n.kind == kindList:
		if i, err := strconv.Atoi(head); err == nil {
			if i >= 0 && i < len(n.list) {
				next = n.list[i]
			}
		} else {
			out := &node{kind: kindList, file: n.file, line: n.line}
			for _, e := range n.list {
				if v := lookup(e, path); v != nil {
					out.list = append(out.list, v)
				}
			}
			return flatten(out)
		}
	}
	if !more || next == nil {
		return next
	}
	return lookup(next, rest)
}

// flatten makes a list of lists one list.
func flatten(n *node) *node {
	out := &node{kind: kindList, file: n.file, line: n.line}
	for _, e := range n.list {
		if e.kind == kindList {
			out.list = append(out.list, e.list...)
		} else {
			out.list = append(out.list, e)
		}
	}
	return out
}

// jsonRecords reads a JSON list of records, or an object holding one list
// (datasets-server rows {"rows": [{"row_idx", "row"}]} are unwrapped).
func jsonRecords(name string, data []byte) ([]*node, error) {
	doc, err := parseYAML(name, data)
	if err != nil {
		if lines, jerr := parseJSONL(name, data); jerr == nil && len(lines) > 1 {
			return lines, nil // JSON Lines saved as .json
		}
		return nil, err
	}
	if doc.kind == kindMap {
		var lists []*node
		for _, k := range []string{"rows", "data", "examples", "records"} {
			if v := doc.get(k); v.is(kindList) {
				lists = []*node{v}
				break
			}
		}
		if lists == nil {
			for _, v := range doc.vals {
				if v.kind == kindList {
					lists = append(lists, v)
				}
			}
		}
		if len(lists) != 1 {
			return nil, doc.errorf("expected a list of records, or an object with one list of records (rows, data, examples or records)")
		}
		doc = lists[0]
	}
	if doc.kind != kindList {
		return nil, doc.errorf("expected a list of records")
	}
	out := make([]*node, len(doc.list))
	for i, r := range doc.list {
		if r.is(kindMap) && r.has("row") && r.get("row").is(kindMap) {
			r = r.get("row")
		}
		out[i] = r
	}
	return out, nil
}

// csvRecords reads a CSV file with a header row. A cell holding a JSON list
// or object is parsed, so list answers survive a round trip through CSV.
func csvRecords(name string, data []byte, comma rune) ([]*node, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	var out []*node
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) > len(header) {
			return nil, &dataset.InputError{File: name, Line: line, Msg: "the row has more cells than the header has columns"}
		}
		n := &node{kind: kindMap, file: name, line: line}
		for i, col := range header {
			cell := ""
			if i < len(rec) {
				cell = rec[i]
			}
			v := &node{kind: kindScalar, text: cell, file: name, line: line}
			if t := strings.TrimSpace(cell); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
				if j, err := parseJSONLine(name, line, []byte(t)); err == nil {
					v = j
				}
			}
			n.set(strings.TrimSpace(col), v)
		}
		out = append(out, n)
	}
}
