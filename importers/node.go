package importers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/dataset"
)

// node is a format-neutral view of one parsed value (YAML, JSON or a CSV
// cell) that remembers the file and line it came from, so that every message
// can name file:line.
type node struct {
	kind nodeKind
	// text is a scalar's text, as written (numbers and booleans too).
	text string
	// typ is a scalar's type, so that meta keeps numbers and booleans typed.
	typ  scalarType
	list []*node
	keys []string
	vals []*node
	file string
	line int
}

type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindScalar
	kindList
	kindMap
)

type scalarType uint8

const (
	typeString scalarType = iota
	typeNumber
	typeBool
)

func (k nodeKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindScalar:
		return "text"
	case kindList:
		return "a list"
	}
	return "a mapping"
}

// where is "file:line" (or "file" without a line).
func (n *node) where() string {
	if n == nil {
		return ""
	}
	if n.line > 0 {
		return fmt.Sprintf("%s:%d", n.file, n.line)
	}
	return n.file
}

// errorf returns an input error located at n.
func (n *node) errorf(format string, args ...any) error {
	return &dataset.InputError{File: n.file, Line: n.line, Msg: fmt.Sprintf(format, args...)}
}

// get returns the value of key in a mapping (nil when absent or not a mapping).
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindMap {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// has reports whether a mapping has key with a non-null value.
func (n *node) has(key string) bool {
	v := n.get(key)
	return v != nil && v.kind != kindNull
}

// str returns a scalar's text ("" for anything else).
func (n *node) str() string {
	if n == nil || n.kind != kindScalar {
		return ""
	}
	return n.text
}

// is reports whether n is present and of kind k.
func (n *node) is(k nodeKind) bool { return n != nil && n.kind == k }

// isNull reports whether n is absent or null.
func (n *node) isNull() bool { return n == nil || n.kind == kindNull }

// set adds or replaces key in a mapping.
func (n *node) set(key string, v *node) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

// clone returns a deep copy of n.
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	if n.list != nil {
		c.list = make([]*node, len(n.list))
		for i, e := range n.list {
			c.list[i] = e.clone()
		}
	}
	if n.keys != nil {
		c.keys = append([]string(nil), n.keys...)
		c.vals = make([]*node, len(n.vals))
		for i, e := range n.vals {
			c.vals[i] = e.clone()
		}
	}
	return &c
}

// scalar makes a string scalar at the place of at.
func scalar(text string, at *node) *node {
	n := &node{kind: kindScalar, text: text}
	if at != nil {
		n.file, n.line = at.file, at.line
	}
	return n
}

// toAny converts n to plain Go values for Item.Meta: strings, float64 or
// int64 numbers, bools, []any and map[string]any.
func (n *node) toAny() any {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kindScalar:
		switch n.typ {
		case typeNumber:
			if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
				return i
			}
			if f, err := strconv.ParseFloat(n.text, 64); err == nil {
				return f
			}
		case typeBool:
			return n.text == "true"
		}
		return n.text
	case kindList:
		out := make([]any, len(n.list))
		for i, e := range n.list {
			out[i] = e.toAny()
		}
		return out
	case kindMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k] = n.vals[i].toAny()
		}
		return out
	}
	return nil
}

// text renders a value as promptfoo renders a variable into a prompt:
// scalars as written, lists and mappings as JSON.
func (n *node) render() string {
	if n == nil || n.kind == kindNull {
		return ""
	}
	if n.kind == kindScalar {
		return n.text
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n.toAny()); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// yamlBudget caps the nodes alias expansion may visit per file, against
// "billion laughs" documents.
const yamlBudget = 1 << 20

// maxDepth caps nesting, against stack exhaustion on hostile input.
const maxDepth = 200

// parseYAML parses one YAML (or JSON) document from data.
func parseYAML(file string, data []byte) (root *node, err error) {
	defer func() {
		// go.yaml.in/yaml is third-party code: never let it crash an import.
		if p := recover(); p != nil {
			root, err = nil, &dataset.InputError{File: file, Msg: fmt.Sprintf("could not parse YAML: %v", p)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &node{kind: kindNull, file: file, line: 1}, nil
		}
		return nil, dataset.YAMLError(file, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return &node{kind: kindNull, file: file, line: 1}, nil
	}
	budget := yamlBudget
	return fromYAML(file, doc.Content[0], &budget, 0)
}

func fromYAML(file string, y *yaml.Node, budget *int, depth int) (*node, error) {
	*budget--
	if *budget < 0 || depth > maxDepth {
		return nil, &dataset.InputError{File: file, Line: y.Line, Msg: "the document is nested or aliased too deeply"}
	}
	n := &node{file: file, line: y.Line}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, &dataset.InputError{File: file, Line: y.Line, Msg: "unknown alias"}
		}
		v, err := fromYAML(file, y.Alias, budget, depth+1)
		if err != nil {
			return nil, err
		}
		return v, nil
	case yaml.ScalarNode:
		switch y.ShortTag() {
		case "!!null":
			n.kind = kindNull
		case "!!int", "!!float":
			n.kind, n.typ, n.text = kindScalar, typeNumber, y.Value
		case "!!bool":
			n.kind, n.typ = kindScalar, typeBool
			var b bool
			if err := y.Decode(&b); err == nil {
				n.text = strconv.FormatBool(b)
			} else {
				n.text = y.Value
			}
		default:
			n.kind, n.text = kindScalar, y.Value
		}
	case yaml.SequenceNode:
		n.kind = kindList
		n.list = make([]*node, 0, len(y.Content))
		for _, c := range y.Content {
			v, err := fromYAML(file, c, budget, depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, v)
		}
	case yaml.MappingNode:
		n.kind = kindMap
		var merges []*node
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, vy := y.Content[i], y.Content[i+1]
			v, err := fromYAML(file, vy, budget, depth+1)
			if err != nil {
				return nil, err
			}
			if k.Value == "<<" && k.Tag != "!!str" {
				merges = append(merges, v)
				continue
			}
			n.set(k.Value, v)
		}
		// Merge keys ("<<: *base") fill in keys the mapping does not set.
		for _, m := range merges {
			srcs := []*node{m}
			if m.kind == kindList {
				srcs = m.list
			}
			for _, s := range srcs {
				if s.kind != kindMap {
					return nil, &dataset.InputError{File: file, Line: s.line, Msg: "a merge key (<<) must name a mapping"}
				}
				for j, k := range s.keys {
					if n.get(k) == nil {
						n.set(k, s.vals[j])
					}
				}
			}
		}
	default:
		n.kind = kindNull
	}
	return n, nil
}

// fromJSON converts a value decoded by encoding/json with UseNumber. Object
// keys are sorted so that output is stable; every part gets line.
func fromJSON(file string, v any, line int) *node {
	n := &node{file: file, line: line}
	switch x := v.(type) {
	case nil:
		n.kind = kindNull
	case string:
		n.kind, n.text = kindScalar, x
	case json.Number:
		n.kind, n.typ, n.text = kindScalar, typeNumber, x.String()
	case float64:
		n.kind, n.typ, n.text = kindScalar, typeNumber, strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		n.kind, n.typ, n.text = kindScalar, typeBool, strconv.FormatBool(x)
	case []any:
		n.kind = kindList
		for _, e := range x {
			n.list = append(n.list, fromJSON(file, e, line))
		}
	case map[string]any:
		n.kind = kindMap
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.set(k, fromJSON(file, x[k], line))
		}
	}
	return n
}

// parseJSONLine decodes one JSON value.
func parseJSONLine(file string, line int, raw []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &dataset.InputError{File: file, Line: line, Msg: "not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return nil, &dataset.InputError{File: file, Line: line, Msg: "more than one JSON value on the line"}
	}
	return fromJSON(file, v, line), nil
}

// parseJSONL parses every non-blank line of data as one JSON value.
func parseJSONL(file string, data []byte) ([]*node, error) {
	var out []*node
	var errs []error
	for i, raw := range bytes.Split(data, []byte{'\n'}) {
		raw = bytes.TrimSpace(raw)
		if i == 0 {
			raw = bytes.TrimPrefix(raw, []byte("\uFEFF"))
		}
		if len(raw) == 0 {
			continue
		}
		n, err := parseJSONLine(file, i+1, raw)
		if err != nil {
			errs = append(errs, err)
			if len(errs) == 10 {
				break
			}
			continue
		}
		out = append(out, n)
	}
	return out, errors.Join(errs...)
}
