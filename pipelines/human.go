package pipelines

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/validators/agreement"
)

// Human verdicts, as a file of human labels writes them.
const (
	HumanAcceptable   = "acceptable"
	HumanUnacceptable = "unacceptable"
)

// HumanRow is one answer judged by people: a line of a human-labels file
// such as NQ301's dev.jsonl.
type HumanRow struct {
	// Line is the row's line in its file.
	Line int `json:"-"`
	ID   string
	// Question and Gold are what the answer was given for; Gold holds the
	// acceptable reference answers.
	Question string
	Gold     []string
	// Answer is the answer judged.
	Answer string
	// Human is acceptable or unacceptable.
	Human string
}

// ReadHumanLabels reads a JSONL file of judged answers: {"id", "question",
// "gold" (a string or list; "answer_gold" and "references" are aliases),
// "answer", "human"}. The human verdict is acceptable or unacceptable; true,
// false, yes, no, correct and incorrect are accepted too, and a synth label
// counts as acceptable only when it is correct. Errors name file:line.
func ReadHumanLabels(path string) ([]HumanRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &dataset.InputError{File: path, Msg: err.Error(), Err: err}
	}
	return ParseHumanLabels(path, data)
}

// ParseHumanLabels is [ReadHumanLabels] for data read from the file name.
func ParseHumanLabels(name string, data []byte) ([]HumanRow, error) {
	var rows []HumanRow
	seen := map[string]int{}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		line := i + 1
		b := bytes.TrimSpace(raw)
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(b) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return &dataset.InputError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fail("not a JSON object: %v", err)
		}
		r := HumanRow{Line: line}
		str := func(keys ...string) (string, error) {
			for _, k := range keys {
				v, ok := rec[k]
				if !ok || string(v) == "null" {
					continue
				}
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					var n json.Number
					if json.Unmarshal(v, &n) == nil {
						return n.String(), nil
					}
					return "", fmt.Errorf("%q must be a string", k)
				}
				return s, nil
			}
			return "", nil
		}
		var err error
		if r.ID, err = str("id"); err != nil {
			return nil, fail("%v", err)
		}
		if r.Question, err = str("question", "input"); err != nil {
			return nil, fail("%v", err)
		}
		if r.Answer, err = str("answer", "output", "prediction"); err != nil {
			return nil, fail("%v", err)
		}
		for _, k := range []string{"gold", "answer_gold", "references", "ideal"} {
			v, ok := rec[k]
			if !ok {
				continue
			}
			var list []string
			if json.Unmarshal(v, &list) != nil {
				var s string
				if json.Unmarshal(v, &s) != nil {
					return nil, fail("%q must be a string or a list of strings", k)
				}
				list = []string{s}
			}
			for _, g := range list {
				if strings.TrimSpace(g) != "" {
					r.Gold = append(r.Gold, g)
				}
			}
			break
		}
		h, ok := rec["human"]
		if !ok {
			return nil, fail(`missing "human" (acceptable or unacceptable)`)
		}
		var hv any
		_ = json.Unmarshal(h, &hv)
		if r.Human = humanVerdict(hv); r.Human == "" {
			return nil, fail(`"human" is %s: want acceptable or unacceptable`, clipRaw(h))
		}
		switch {
		case strings.TrimSpace(r.Question) == "":
			return nil, fail(`missing "question"`)
		case len(r.Gold) == 0:
			return nil, fail(`missing "gold": the reference answers the people judged against`)
		}
		if r.ID == "" {
			r.ID = fmt.Sprintf("line-%d", line)
		}
		if prev, dup := seen[r.ID]; dup {
			return nil, fail("id %q already used on line %d", r.ID, prev)
		}
		seen[r.ID] = line
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, &dataset.InputError{File: name, Msg: "no judged answers in the file"}
	}
	return rows, nil
}

func humanVerdict(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return HumanAcceptable
		}
		return HumanUnacceptable
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "acceptable", "yes", "true", "correct", "1":
			return HumanAcceptable
		case "unacceptable", "no", "false", "incorrect", "0":
			return HumanUnacceptable
		}
		if l := dataset.Label(strings.ToLower(strings.TrimSpace(x))); l.Valid() {
			return HumanUnacceptable // a synth label other than correct
		}
	}
	return ""
}

func clipRaw(b []byte) string {
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// HumanItems returns the rows' questions as an eval set (one item per
// distinct question), for the validators that learn from it (match's word
// weights).
func HumanItems(rows []HumanRow) []dataset.Item {
	seen := map[string]bool{}
	var items []dataset.Item
	for _, r := range rows {
		if seen[r.Question] {
			continue
		}
		seen[r.Question] = true
		items = append(items, dataset.Item{ID: r.ID, Question: r.Question, Answers: r.Gold})
	}
	return items
}

// HumanReport is how synth's grading agrees with people's.
type HumanReport struct {
	// File is the labels file.
	File string `json:"file"`
	// Validators are the validators that graded the answers.
	Validators []string `json:"validators"`
	// Agreement is between the people (down) and synth (across), each
	// answer acceptable (synth: correct) or unacceptable (anything else).
	Agreement Agreement `json:"agreement"`
	// Labels counts synth's labels.
	Labels dataset.Counts `json:"labels"`
	// Disagreements are the rows where synth and the people differ.
	Disagreements []HumanDisagreement `json:"disagreements"`

	results []CheckResult
}

// Results are the graded answers, in file order.
func (h *HumanReport) Results() []CheckResult { return h.results }

// HumanDisagreement is one answer synth and the people judge differently.
type HumanDisagreement struct {
	ID       string        `json:"id"`
	Line     int           `json:"line"`
	Human    string        `json:"human"`
	Label    dataset.Label `json:"label"`
	Answer   string        `json:"answer"`
	Gold     []string      `json:"gold"`
	Reason   string        `json:"reason,omitempty"`
	Question string        `json:"question"`
}

// Human grades the rows' answers and compares synth's labels with the
// people's. c.Validators should be built with the rows' questions as the
// eval set ([HumanItems]).
func (c *Check) Human(ctx context.Context, file string, rows []HumanRow) (*HumanReport, error) {
	cases := make([]CheckCase, len(rows))
	for i, r := range rows {
		cases[i] = CheckCase{ID: r.ID, Item: r.ID, Kind: "human", Answer: r.Answer, item: dataset.Item{ID: r.ID, Question: r.Question, Answers: r.Gold}}
	}
	results, err := c.Grade(ctx, cases)
	if err != nil {
		return nil, err
	}
	m, _ := agreement.NewMatrix(HumanAcceptable, HumanUnacceptable)
	rep := &HumanReport{File: file, Labels: dataset.Counts{}, Disagreements: []HumanDisagreement{}, results: results}
	for i, res := range results {
		synth := HumanUnacceptable
		if res.Label == dataset.Correct {
			synth = HumanAcceptable
		}
		_ = m.Add(rows[i].Human, synth)
		rep.Labels[res.Label]++
		if synth != rows[i].Human {
			r := rows[i]
			rep.Disagreements = append(rep.Disagreements, HumanDisagreement{ID: r.ID, Line: r.Line, Human: r.Human, Label: res.Label, Answer: r.Answer, Gold: r.Gold, Reason: res.Reason, Question: r.Question})
		}
	}
	rep.Agreement = agreementOf(m)
	return rep, nil
}
