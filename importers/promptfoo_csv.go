package importers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// promptfooTypes are the assertion types promptfoo recognises in the
// "type:value" strings of CSV __expected columns (and "not-" of each).
var promptfooTypes = []string{
	"answer-relevance", "bleu", "classifier", "contains-all", "contains-any", "contains-html",
	"contains-json", "contains-sql", "contains-xml", "contains", "context-faithfulness",
	"context-recall", "context-relevance", "conversation-relevance", "cost", "equals",
	"factuality", "finish-reason", "g-eval", "gleu", "guardrails", "icontains-all",
	"icontains-any", "icontains", "is-html", "is-json", "is-refusal", "is-sql",
	"is-valid-function-call", "is-valid-openai-function-call", "is-valid-openai-tools-call",
	"is-xml", "javascript", "latency", "levenshtein", "llm-rubric", "meteor",
	"model-graded-closedqa", "model-graded-factuality", "moderation", "perplexity-score",
	"perplexity", "pi", "python", "regex", "rouge-n", "ruby", "select-best", "similar",
	"starts-with", "webhook", "word-count", "max-score",
}

var assertionStringRE = func() *regexp.Regexp {
	alts := make([]string, len(promptfooTypes))
	for i, t := range promptfooTypes {
		alts[i] = regexp.QuoteMeta(t)
	}
	return regexp.MustCompile(`^(not-)?(` + strings.Join(alts, "|") + `)(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$`)
}()

// thresholdTypes take a threshold in the "type(0.8):value" syntax.
var thresholdTypes = map[string]bool{
	"answer-relevance": true, "classifier": true, "context-faithfulness": true, "context-recall": true,
	"context-relevance": true, "cost": true, "latency": true, "levenshtein": true, "perplexity": true,
	"perplexity-score": true, "rouge-n": true, "similar": true, "starts-with": true,
}

// assertionFromString reads the assertion syntax of CSV __expected cells:
// "type:value", "type(threshold):value", "not-type:value"; "grade:" and
// "llm-rubric:" are llm-rubric; "javascript:", "fn:" and "eval:" are
// javascript; "python:" is python; anything else is equals.
func assertionFromString(s string, at *node) *node {
	a := &node{kind: kindMap, file: at.file, line: at.line}
	put := func(typ, value string) *node {
		a.set("type", scalar(typ, at))
		a.set("value", scalar(strings.TrimSpace(value), at))
		return a
	}
	for _, p := range []struct{ prefix, typ string }{
		{"javascript:", "javascript"}, {"fn:", "javascript"}, {"eval:", "javascript"},
		{"grade:", "llm-rubric"}, {"llm-rubric:", "llm-rubric"}, {"python:", "python"},
	} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			return put(p.typ, rest)
		}
	}
	if isFileRef(s) {
		path, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(s), "file://"), ":")
		switch ext := strings.ToLower(filepath.Ext(path)); {
		case strings.HasPrefix(ext, ".py"):
			return put("python", s)
		case strings.HasPrefix(ext, ".js"), strings.HasPrefix(ext, ".ts"):
			return put("javascript", s)
		}
	}
	m := assertionStringRE.FindStringSubmatch(s)
	if m == nil {
		return put("equals", s)
	}
	typ := m[1] + m[2]
	value := strings.TrimSpace(m[4])
	a.set("type", scalar(typ, at))
	switch m[2] {
	case "contains-all", "contains-any", "icontains-all", "icontains-any":
		list := &node{kind: kindList, file: at.file, line: at.line}
		for _, v := range strings.Split(value, ",") {
			list.list = append(list.list, scalar(strings.TrimSpace(v), at))
		}
		a.set("value", list)
	default:
		a.set("value", scalar(value, at))
	}
	if thresholdTypes[m[2]] {
		th := 0.75
		if m[2] == "similar" {
			th = 0.8
		}
		if f, err := strconv.ParseFloat(m[3], 64); err == nil && f != 0 {
			th = f
		}
		a.set("threshold", &node{kind: kindScalar, typ: typeNumber, text: strconv.FormatFloat(th, 'g', -1, 64), file: at.file, line: at.line})
	}
	return a
}

// csvTests reads a promptfoo tests CSV: a header row, then one test per row.
// Columns are variables, except the special ones: __expected and
// __expected<N> (assertions), __description, __prefix, __suffix,
// __providerOutput, __threshold, __metric, __metadata:<key> (and
// __metadata:<key>[] for a comma-separated list) and
// __config:__expected[<N>]:<key>.
func (p *pfImport) csvTests(name string, data []byte, comma rune) ([]*node, error) {
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
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	var tests []*node
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		at := &node{file: name, line: line}
		if len(rec) > len(header) {
			return nil, &dataset.InputError{File: name, Line: line, Msg: "the row has more cells than the header has columns"}
		}
		empty := true
		for _, c := range rec {
			if strings.TrimSpace(c) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		t := &node{kind: kindMap, file: name, line: line}
		vars := &node{kind: kindMap, file: name, line: line}
		meta := &node{kind: kindMap, file: name, line: line}
		opts := &node{kind: kindMap, file: name, line: line}
		asserts := &node{kind: kindList, file: name, line: line}
		byColumn := map[string]*node{}
		type cfg struct{ col, key, val string }
		var configs []cfg
		for i, col := range header {
			val := ""
			if i < len(rec) {
				val = rec[i]
			}
			switch {
			case col == "__expected" || (strings.HasPrefix(col, "__expected") && isDigits(col[len("__expected"):])):
				if strings.TrimSpace(val) == "" {
					continue
				}
				a := assertionFromString(strings.TrimSpace(val), at)
				asserts.list = append(asserts.list, a)
				byColumn[col] = a
			case col == "__description":
				t.set("description", scalar(val, at))
			case col == "__prefix":
				opts.set("prefix", scalar(val, at))
			case col == "__suffix":
				opts.set("suffix", scalar(val, at))
			case col == "__providerOutput":
				if val != "" {
					t.set("providerOutput", scalar(val, at))
				}
			case col == "__threshold":
				if val != "" {
					t.set("threshold", &node{kind: kindScalar, typ: typeNumber, text: strings.TrimSpace(val), file: name, line: line})
				}
			case col == "__metric":
				// A display name for promptfoo's report: nothing to carry over.
			case strings.HasPrefix(col, "__metadata:"):
				key := strings.TrimPrefix(col, "__metadata:")
				if k, ok := strings.CutSuffix(key, "[]"); ok {
					list := &node{kind: kindList, file: name, line: line}
					for _, v := range splitEscaped(val) {
						if v != "" {
							list.list = append(list.list, scalar(v, at))
						}
					}
					if len(list.list) > 0 {
						meta.set(k, list)
					}
				} else if val != "" {
					meta.set(key, scalar(val, at))
				}
			case strings.HasPrefix(col, "__config:"):
				parts := strings.SplitN(strings.TrimPrefix(col, "__config:"), ":", 2)
				if len(parts) == 2 && val != "" {
					configs = append(configs, cfg{parts[0], parts[1], val})
				}
			case strings.HasPrefix(col, "__"):
				p.notes.add(Unsupported, "CSV column "+col, "not a promptfoo special column synth knows: ignored", at.where())
			default:
				vars.set(col, scalar(val, at))
			}
		}
		for _, c := range configs {
			targets := []*node{byColumn[c.col]}
			if c.col == "__expected" {
				targets = asserts.list
			}
			for _, a := range targets {
				if a == nil {
					continue
				}
				v := scalar(c.val, at)
				if _, err := strconv.ParseFloat(c.val, 64); err == nil {
					v.typ = typeNumber
				}
				a.set(c.key, v)
			}
		}
		t.set("vars", vars)
		if len(asserts.list) > 0 {
			t.set("assert", asserts)
		}
		if len(meta.keys) > 0 {
			t.set("metadata", meta)
		}
		if len(opts.keys) > 0 {
			t.set("options", opts)
		}
		tests = append(tests, t)
	}
	return tests, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// splitEscaped splits on commas not preceded by a backslash, unescaping "\,".
func splitEscaped(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == ',' {
			cur.WriteByte(',')
			i++
			continue
		}
		if s[i] == ',' {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(out, strings.TrimSpace(cur.String()))
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &dataset.InputError{File: name, Line: pe.Line, Msg: "not valid CSV: " + pe.Err.Error()}
	}
	return &dataset.InputError{File: name, Msg: "not valid CSV: " + err.Error()}
}
