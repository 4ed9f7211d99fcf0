package dataset

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ---- JSON Lines and JSON ----

// decodeJSONValue decodes one JSON value from raw, which must hold nothing else.
func decodeJSONValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(raw[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("not valid JSON: unexpected text after the record: %q", clip(string(rest), 20))
	}
	return v, nil
}

func parseJSONLRecords(name string, data []byte, errs *errorList) []record {
	var recs []record
	_ = scanLines(bytes.NewReader(data), func(line int, raw []byte, _ bool) error {
		v, err := decodeJSONValue(raw)
		if err != nil {
			errs.add(name, line, "%s", describeJSONError(err))
			return nil
		}
		recs = append(recs, record{line: line, val: fromJSON(v, line)})
		return nil
	})
	return recs
}

// lineCounter maps byte offsets to 1-based line numbers, for offsets that
// only grow.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	if off > len(c.data) {
		off = len(c.data)
	}
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// skipSpace returns the offset of the first byte at or after off that is not
// JSON white space or a comma.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// parseJSONRecords reads a .json eval set: a list of items, an object with an
// "items" list, or JSON lines.
func parseJSONRecords(name string, data []byte, errs *errorList) []record {
	start := skipSpace(data, 0)
	if start == len(data) {
		return nil
	}
	lc := &lineCounter{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	fail := func(err error) []record {
		off := int(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// A Decoder's offsets do not count what it has already
			// consumed; a whole-input check gives the true one.
			var whole any
			if uerr := json.Unmarshal(data, &whole); errors.As(uerr, &se) {
				err, off = uerr, int(se.Offset)
			}
		}
		line := lc.at(max(off-1, 0))
		if se != nil {
			// Make the column relative to the line.
			lineStart := bytes.LastIndexByte(data[:max(off-1, 0)], '\n') + 1
			err = &columnError{err: err, col: off - lineStart}
		}
		errs.add(name, line, "%s", describeJSONError(err))
		return nil
	}
	switch data[start] {
	case '[':
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
		return jsonArrayRecords(name, data, dec, lc, errs, fail)
	case '{':
		// {"items": [...]} or JSON lines.
		if !hasItemsKey(data[start:]) {
			return parseJSONLRecords(name, data, errs)
		}
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
		var recs []record
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			key, _ := tok.(string)
			if strings.EqualFold(key, "items") {
				t, err := dec.Token()
				if err != nil {
					return fail(err)
				}
				if d, ok := t.(json.Delim); !ok || d != '[' {
					errs.add(name, lc.at(int(dec.InputOffset())), "items must be a list of items")
					return nil
				}
				recs = jsonArrayRecords(name, data, dec, lc, errs, fail)
				if recs == nil && len(errs.errs) > 0 {
					return nil
				}
				continue
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
		}
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
		return recs
	default:
		errs.add(name, lc.at(start), "a .json eval set must be a list of items, an object with \"items\", or JSON lines")
		return nil
	}
}

// hasItemsKey reports whether the JSON object at the start of data has an
// "items" key at its top level.
func hasItemsKey(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if k, _ := tok.(string); strings.EqualFold(k, "items") {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}

// jsonArrayRecords reads the elements of a JSON list whose '[' was consumed,
// and its closing ']'.
func jsonArrayRecords(name string, data []byte, dec *json.Decoder, lc *lineCounter, errs *errorList, fail func(error) []record) []record {
	var recs []record
	for dec.More() {
		line := lc.at(skipSpace(data, int(dec.InputOffset())))
		var v any
		if err := dec.Decode(&v); err != nil {
			return fail(err)
		}
		recs = append(recs, record{line: line, val: fromJSON(v, line)})
	}
	if _, err := dec.Token(); err != nil {
		return fail(err)
	}
	return recs
}

// ---- CSV ----

// listColumns may repeat in a CSV header; their cells make one list.
var listColumns = map[string]bool{keyAnswer: true, keyAnswers: true, keyIdeal: true, keyTags: true, keySources: true}

func parseCSVRecords(name string, data []byte, comma rune, errs *errorList) []record {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	csvErr := func(err error) {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if pe.StartLine > 0 && pe.StartLine < pe.Line {
				// A quote left open swallows the lines after it: name the
				// line where the row starts, which is where the mistake is.
				errs.add(name, pe.StartLine, "not valid CSV: %s (a quoted field of the row starting here runs on to line %d, column %d: is a closing quote missing?)", pe.Err, pe.Line, pe.Column)
				return
			}
			errs.add(name, pe.Line, "not valid CSV: %s (column %d)", pe.Err, pe.Column)
			return
		}
		errs.add(name, 0, "not valid CSV: %s", err)
	}
	header, err := r.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		csvErr(err)
		return nil
	}
	// Columns: a key per header cell; repeated list columns share a key.
	type column struct {
		key  string // as written (trimmed)
		norm string // lower case
	}
	cols := make([]column, len(header))
	firstCol := map[string]int{}
	var questionCols, answerCols []string
	for i, h := range header {
		k := strings.TrimSpace(h)
		n := strings.ToLower(k)
		cols[i] = column{key: k, norm: n}
		if k == "" {
			errs.add(name, 1, "header column %d has no name", i+1)
			continue
		}
		if j, dup := firstCol[n]; dup {
			if !listColumns[n] {
				errs.add(name, 1, "column %q appears twice in the header (columns %d and %d)", k, j+1, i+1)
			}
			continue
		}
		firstCol[n] = i
		switch n {
		case keyQuestion, keyInput:
			questionCols = append(questionCols, k)
		case keyAnswer, keyAnswers, keyIdeal:
			answerCols = append(answerCols, k)
		}
	}
	if len(questionCols) == 0 {
		errs.add(name, 1, "the header has no question column (columns: %s)", strings.Join(header, ", "))
	}
	if len(questionCols) > 1 {
		errs.add(name, 1, "the header has both %q and %q; use one", questionCols[0], questionCols[1])
	}
	if len(answerCols) > 1 {
		errs.add(name, 1, "the header has both %q and %q; use one", answerCols[0], answerCols[1])
	}
	if len(errs.errs) > 0 {
		return nil
	}
	var recs []record
	for {
		row, err := r.Read()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			csvErr(err)
			return recs
		}
		line, _ := r.FieldPos(0)
		if len(row) < len(header) {
			errs.add(name, line, "the row has %d fields but the header has %d", len(row), len(header))
			continue
		}
		if extra := row[len(header):]; strings.TrimSpace(strings.Join(extra, "")) != "" {
			errs.add(name, line, "the row has %d fields but the header has %d", len(row), len(header))
			continue
		}
		rec := value{kind: kindObject, line: line}
		index := map[string]int{} // norm -> index in rec.obj
		for i, c := range cols {
			if c.key == "" {
				continue
			}
			cellLine, _ := r.FieldPos(i)
			cell := row[i]
			v := value{kind: kindScalar, text: cell, line: cellLine}
			if strings.TrimSpace(cell) == "" {
				v = value{kind: kindNull, line: cellLine}
			} else if listColumns[c.norm] {
				v = csvListCell(v)
			}
			if j, seen := index[c.norm]; seen {
				// A repeated list column: append its cell to the list.
				prev := &rec.obj[j].val
				if v.kind == kindNull {
					continue
				}
				if prev.kind == kindNull {
					*prev = v
					continue
				}
				if prev.kind != kindList {
					*prev = value{kind: kindList, list: []value{*prev}, line: prev.line}
				}
				if v.kind == kindList {
					prev.list = append(prev.list, v.list...)
				} else {
					prev.list = append(prev.list, v)
				}
				continue
			}
			if v.kind == kindNull && !isItemKey(c.norm) {
				continue // empty extra columns stay out of Meta
			}
			index[c.norm] = len(rec.obj)
			rec.obj = append(rec.obj, field{key: c.key, val: v})
		}
		recs = append(recs, record{line: line, val: rec})
	}
}

// csvListCell reads a cell holding a JSON list of strings as a list.
func csvListCell(v value) value {
	s := strings.TrimSpace(v.text)
	if !strings.HasPrefix(s, "[") {
		return v
	}
	var list []string
	if json.Unmarshal([]byte(s), &list) != nil {
		return v
	}
	out := value{kind: kindList, line: v.line, list: make([]value, len(list))}
	for i, e := range list {
		out.list[i] = value{kind: kindScalar, text: e, line: v.line}
	}
	return out
}

// ---- YAML ----

// yamlLineRE finds the line in yaml's error messages ("yaml: line 3: ...").
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlBudget caps how many nodes alias expansion may visit per file, against
// "billion laughs" documents.
const yamlBudget = 1 << 20

func parseYAMLRecords(name string, data []byte, errs *errorList, warns *[]Warning) (recs []record) {
	defer func() {
		// go.yaml.in/yaml is third-party code: never let it crash a run.
		if p := recover(); p != nil {
			errs.add(name, 0, "could not parse YAML: %v", p)
			recs = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil
		}
		yamlErr(name, data, err, errs)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			yamlErr(name, data, err, errs)
		} else {
			errs.add(name, extra.Line, "a second YAML document; the eval set must be one document")
		}
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	budget := yamlBudget
	conv := func(n *yaml.Node) (value, bool) {
		v, p := yamlValue(n, &budget, 0)
		if p != nil {
			errs.add(name, p.line, "%s", p.msg)
			return value{}, false
		}
		return v, true
	}
	var items *yaml.Node
	switch root.Kind {
	case yaml.SequenceNode:
		items = root
	case yaml.MappingNode:
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if strings.EqualFold(k.Value, "items") {
				items = v
				continue
			}
			*warns = append(*warns, Warning{File: name, Line: k.Line,
				Msg: fmt.Sprintf("top-level key %q is ignored (the items go under \"items\")", k.Value)})
		}
		if items == nil {
			errs.add(name, root.Line, "the mapping has no \"items\" list")
			return nil
		}
		for items.Kind == yaml.AliasNode && items.Alias != nil {
			items = items.Alias
		}
		if items.Kind != yaml.SequenceNode {
			if items.ShortTag() == "!!null" {
				return nil
			}
			errs.add(name, items.Line, "items must be a list of items")
			return nil
		}
	case yaml.ScalarNode:
		if root.ShortTag() == "!!null" {
			return nil
		}
		fallthrough
	default:
		errs.add(name, root.Line, "the file must be a list of items, or a mapping with an \"items\" list")
		return nil
	}
	for _, n := range items.Content {
		v, ok := conv(n)
		if !ok {
			continue
		}
		recs = append(recs, record{line: n.Line, val: v})
	}
	return recs
}

// YAMLError turns a go.yaml.in/yaml parse error of the file name (holding
// data) into an [*InputError] at the right line. The library reports scanner
// errors with 1-based lines but parser errors ("did not find expected ...")
// with 0-based ones, and no line at all for line 0; this undoes both. Errors
// at the end of the input point at its last line.
func YAMLError(name string, data []byte, err error) *InputError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if strings.HasPrefix(msg, "did not find expected") && !strings.Contains(msg, "comment or line break") {
			line++
		}
	}
	lines := bytes.Count(data, []byte{'\n'})
	if !bytes.HasSuffix(data, []byte{'\n'}) {
		lines++
	}
	return &InputError{File: name, Line: max(min(line, lines), 1), Msg: "not valid YAML: " + msg}
}

func yamlErr(name string, data []byte, err error, errs *errorList) {
	ye := YAMLError(name, data, err)
	errs.add(ye.File, ye.Line, "%s", ye.Msg)
}

// yamlValue converts a YAML node, expanding aliases and merge keys ("<<").
func yamlValue(n *yaml.Node, budget *int, depth int) (value, *problem) {
	*budget--
	if *budget < 0 {
		return value{}, &problem{line: n.Line, msg: "YAML aliases expand to too many values"}
	}
	if depth > 64 {
		return value{}, &problem{line: n.Line, msg: "values are nested too deeply"}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return value{}, &problem{line: n.Line, msg: "unknown YAML alias"}
		}
		v, p := yamlValue(n.Alias, budget, depth+1)
		v.line = n.Line
		return v, p
	case yaml.ScalarNode:
		v := value{kind: kindScalar, text: n.Value, line: n.Line}
		switch n.ShortTag() {
		case "!!null":
			v.kind = kindNull
		case "!!int", "!!float":
			v.scalar = scalarNumber
		case "!!bool":
			v.scalar = scalarBool
			v.text = strings.ToLower(v.text)
		}
		return v, nil
	case yaml.SequenceNode:
		v := value{kind: kindList, line: n.Line, list: make([]value, 0, len(n.Content))}
		for _, c := range n.Content {
			e, p := yamlValue(c, budget, depth+1)
			if p != nil {
				return value{}, p
			}
			v.list = append(v.list, e)
		}
		return v, nil
	case yaml.MappingNode:
		v := value{kind: kindObject, line: n.Line}
		var merged []field
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, c := n.Content[i], n.Content[i+1]
			for k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return value{}, &problem{line: k.Line, msg: "a mapping key must be text"}
			}
			e, p := yamlValue(c, budget, depth+1)
			if p != nil {
				return value{}, p
			}
			if k.Value == "<<" && k.ShortTag() == "!!merge" {
				switch e.kind {
				case kindObject:
					merged = append(merged, e.obj...)
				case kindList:
					for _, m := range e.list {
						if m.kind != kindObject {
							return value{}, &problem{line: c.Line, msg: "a merge key (<<) needs a mapping or a list of mappings"}
						}
						merged = append(merged, m.obj...)
					}
				default:
					return value{}, &problem{line: c.Line, msg: "a merge key (<<) needs a mapping or a list of mappings"}
				}
				continue
			}
			v.obj = append(v.obj, field{key: k.Value, val: e})
		}
		// Merged keys fill in what the mapping does not set itself.
		for _, m := range merged {
			if !hasKey(v.obj, m.key) {
				v.obj = append(v.obj, m)
			}
		}
		return v, nil
	}
	return value{kind: kindNull, line: n.Line}, nil
}

func hasKey(fs []field, k string) bool {
	for _, f := range fs {
		if f.key == k {
			return true
		}
	}
	return false
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
