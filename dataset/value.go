package dataset

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
)

// value is a format-neutral view of one parsed input value (JSON, YAML or a
// CSV cell) that remembers the line it came from, so that every reader
// shares one set of field rules and one set of error messages.
type value struct {
	kind valueKind
	// text is a scalar's text (numbers and booleans as written).
	text string
	// scalar is the scalar's type, for keeping numbers and booleans typed in Item.Meta.
	scalar scalarType
	list   []value
	obj    []field
	line   int
}

type valueKind uint8

const (
	kindNull valueKind = iota
	kindScalar
	kindList
	kindObject
)

type scalarType uint8

const (
	scalarString scalarType = iota
	scalarNumber
	scalarBool
)

// field is one key of an object value.
type field struct {
	key string
	val value
}

func (k valueKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindScalar:
		return "text"
	case kindList:
		return "a list"
	default:
		return "an object"
	}
}

// fromJSON converts a value decoded by encoding/json with UseNumber. Object
// keys are sorted, so that messages come out in a stable order. All parts
// get line.
func fromJSON(v any, line int) value {
	switch x := v.(type) {
	case nil:
		return value{kind: kindNull, line: line}
	case string:
		return value{kind: kindScalar, text: x, line: line}
	case json.Number:
		return value{kind: kindScalar, text: x.String(), scalar: scalarNumber, line: line}
	case float64: // decoded without UseNumber
		return value{kind: kindScalar, text: strconv.FormatFloat(x, 'g', -1, 64), scalar: scalarNumber, line: line}
	case bool:
		return value{kind: kindScalar, text: strconv.FormatBool(x), scalar: scalarBool, line: line}
	case []any:
		out := value{kind: kindList, list: make([]value, len(x)), line: line}
		for i, e := range x {
			out.list[i] = fromJSON(e, line)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := value{kind: kindObject, obj: make([]field, len(keys)), line: line}
		for i, k := range keys {
			out.obj[i] = field{key: k, val: fromJSON(x[k], line)}
		}
		return out
	}
	return value{kind: kindNull, line: line}
}

// toAny converts v to the plain Go value kept in Item.Meta: nil, string,
// int, float64, bool, []any or map[string]any. Numbers that do not fit an
// int or a finite float64 stay text, so that Meta always encodes as JSON.
func (v value) toAny() any {
	switch v.kind {
	case kindScalar:
		switch v.scalar {
		case scalarNumber:
			if i, err := strconv.ParseInt(v.text, 10, 0); err == nil {
				return int(i)
			}
			if f, err := strconv.ParseFloat(v.text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f
			}
			return v.text
		case scalarBool:
			return v.text == "true"
		}
		return v.text
	case kindList:
		out := make([]any, len(v.list))
		for i, e := range v.list {
			out[i] = e.toAny()
		}
		return out
	case kindObject:
		out := make(map[string]any, len(v.obj))
		for _, f := range v.obj {
			out[f.key] = f.val.toAny()
		}
		return out
	}
	return nil
}

// splitList splits a tags or sources cell on ';' and '|', trimming blanks.
func splitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
