package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// EvalSet is an eval set read from a file.
type EvalSet struct {
	// Path is the file as the caller named it.
	Path string
	// Hash is "sha256:" and the hex SHA-256 of the file's bytes; a run's
	// manifest keeps it so that --resume can tell when the file changed.
	Hash string
	// Items are in file order, each with a non-empty ID and Question.
	Items []Item
	// Warnings are remarks that do not stop a run, such as items without a
	// gold answer (refusal and grounding checks still grade those).
	Warnings []Warning
}

// IDs returns the items' ids in order.
func (s *EvalSet) IDs() []string {
	ids := make([]string, len(s.Items))
	for i, it := range s.Items {
		ids[i] = it.ID
	}
	return ids
}

// record is one parsed item before the item rules apply.
type record struct {
	line int
	val  value
}

// ReadEvalSet reads an eval set; the format follows the extension:
//
//   - .jsonl: one JSON object per line;
//   - .json: a JSON list of items, an object {"items": [...]}, or JSON lines;
//   - .csv / .tsv: a header row naming the fields, then one item per row;
//   - .yaml / .yml: a list of items, or a mapping {items: [...]}.
//
// Items have "id", "question" and "answer" (text, or a list of acceptable
// answers), optional "tags" and "sources" (lists, or text separated by ';'
// or '|'), and any other fields, kept in Meta. "input" and "ideal" (OpenAI
// evals) are aliases of "question" and "answer"; an "input" list of chat
// messages gives the last user message as the question, the system
// messages in Meta["system"] and the others in Meta["history"]. In CSV, an
// answer cell holding a JSON list of strings, or repeated answer columns,
// give several answers.
//
// Items without an id get a stable one from a hash of the question ("q-"
// and 12 hex digits; "-2", "-3"... for repeats). Duplicate ids and empty
// questions are errors; an item without a gold answer is a warning. A UTF-8
// BOM and CRLF line ends are accepted. Every error is an [*InputError]
// naming file:line; several are joined with errors.Join.
func ReadEvalSet(path string) (*EvalSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return ParseEvalSet(path, data)
}

// ParseEvalSet parses data as the eval set named name (see [ReadEvalSet]);
// name gives the format by its extension and is used in messages.
func ParseEvalSet(name string, data []byte) (*EvalSet, error) {
	sum := sha256.Sum256(data)
	set := &EvalSet{Path: name, Hash: "sha256:" + hex.EncodeToString(sum[:])}
	data = trimBOM(data)
	if !utf8.Valid(data) {
		return nil, &InputError{File: name, Line: invalidUTF8Line(data),
			Msg: "the text is not valid UTF-8 (save the file as UTF-8)"}
	}
	var (
		recs []record
		errs errorList
	)
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".jsonl", ".ndjson":
		recs = parseJSONLRecords(name, data, &errs)
	case ".json":
		recs = parseJSONRecords(name, data, &errs)
	case ".csv":
		recs = parseCSVRecords(name, data, ',', &errs)
	case ".tsv":
		recs = parseCSVRecords(name, data, '\t', &errs)
	case ".yaml", ".yml":
		recs = parseYAMLRecords(name, data, &errs, &set.Warnings)
	default:
		return nil, &InputError{File: name, Msg: fmt.Sprintf("unknown eval set format %q (want .jsonl, .json, .csv, .tsv, .yaml or .yml)", ext)}
	}
	set.Items = buildItems(name, recs, &errs, &set.Warnings)
	if err := errs.err(); err != nil {
		return nil, err
	}
	if len(set.Items) == 0 {
		return nil, &InputError{File: name, Msg: "the eval set has no items"}
	}
	return set, nil
}

// buildItems applies the item rules to every record, checks questions and
// ids, and assigns the missing ids.
func buildItems(file string, recs []record, errs *errorList, warns *[]Warning) []Item {
	items := make([]Item, 0, len(recs))
	lines := make([]int, 0, len(recs))
	idLine := map[string]int{}
	for _, r := range recs {
		it, probs := decodeItem(r.val)
		if it.Question == "" && !hasQuestionProblem(probs) {
			errs.add(file, fieldLine(r, keyQuestion, keyInput), "the question is empty")
		}
		for _, p := range probs {
			line := p.line
			if line == 0 {
				line = r.line
			}
			errs.add(file, line, "%s", p.msg)
		}
		if it.Question == "" || len(probs) > 0 {
			continue
		}
		if it.ID != "" {
			if first, dup := idLine[it.ID]; dup {
				errs.add(file, fieldLine(r, keyID), "duplicate id %q (first used on line %d)", it.ID, first)
				continue
			}
			idLine[it.ID] = fieldLine(r, keyID)
		}
		items = append(items, it)
		lines = append(lines, r.line)
	}
	// Missing ids: after all explicit ids are known, so that a derived id
	// never takes an explicit one.
	questionLine := map[string]int{}
	for i := range items {
		it := &items[i]
		norm := strings.Join(strings.Fields(it.Question), " ")
		if first, again := questionLine[norm]; again {
			*warns = append(*warns, Warning{File: file, Line: lines[i],
				Msg: fmt.Sprintf("the same question as on line %d", first)})
		} else {
			questionLine[norm] = lines[i]
		}
		if it.ID == "" {
			base := QuestionID(it.Question)
			id := base
			for n := 2; ; n++ {
				if _, taken := idLine[id]; !taken {
					break
				}
				id = fmt.Sprintf("%s-%d", base, n)
			}
			it.ID = id
			idLine[id] = lines[i]
		}
		if len(it.Answers) == 0 {
			*warns = append(*warns, Warning{File: file, Line: lines[i],
				Msg: fmt.Sprintf("item %q has no gold answer: only checks that need none (refusal, grounding, links) can grade it", it.ID)})
		}
	}
	return items
}

// fieldLine returns the line of the first of keys in r, or r's line.
func fieldLine(r record, keys ...string) int {
	for _, f := range r.val.obj {
		for _, k := range keys {
			if strings.EqualFold(strings.TrimSpace(f.key), k) && f.val.line > 0 {
				return f.val.line
			}
		}
	}
	return r.line
}

// hasQuestionProblem reports whether probs already explain a missing question.
func hasQuestionProblem(probs []problem) bool {
	for _, p := range probs {
		if p.question {
			return true
		}
	}
	return false
}

// QuestionID returns the id given to an item without one: "q-" and the first
// 12 hex digits of the SHA-256 of the question with its white space
// collapsed. It is the same in every run and every format.
func QuestionID(question string) string {
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(question), " ")))
	return "q-" + hex.EncodeToString(sum[:6])
}

// invalidUTF8Line returns the 1-based line of the first invalid UTF-8 byte.
func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

var bom = []byte("\uFEFF")

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bom) }
