package validators

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var numbersSpec = spec.Spec{
	Name:    "numbers",
	Summary: "Numbers with units in the answer must agree with the gold answer or the retrieved help docs.",
	Description: `Reads the quantities in the answer — durations ("24 hours", "5 business days"), prices
("$10/month", "10 USD", "€5"), sizes ("10GB"), percentages, counts ("up to 5 devices"),
times of day ("9am", "17:00"), dates ("March 3, 2024"), years and spelled-out numbers
("thirty days", "two devices") — normalises their units (24 hours = 1 day, $10 = 10 USD,
10GB = 10 GB, 1 GB ≈ 1024 MB) and compares each with the quantities of the same kind in
the gold answers and in the help-doc chunks retrieved for the item (Sample.Contexts).

A quantity agrees when the values match within the precision they were written with
("2.4 billion" agrees with "2.45 billion"; "about 2,000" with "2,150"). When the answer
states a quantity of a kind the gold answer or the docs also state, and none of theirs
agrees, the answer contradicts them: the label is wrong, and the reason names both
values. Years are compared with the gold answers only (help docs are full of copyright
years), bare numbers only with short gold answers ("216", "216 countries"), where the
number is the answer rather than a step or a version. A quantity nothing else mentions is not
judged here (the grounded validator looks for unsupported claims). With no quantities
in the answer, it has no opinion (empty label, pass).

Catches: gold "Refunds arrive within 5 business days", answer "Refunds take 14 business
days" -> wrong ("14 business days" vs "5 business days"); answer "within 120 hours" ->
agrees (120 hours = 5 days).`,
	Params: []spec.Param{
		{Name: "contexts", Type: "bool", Default: "true",
			Description: "also compare with the retrieved help-doc chunks, not only the gold answers"},
	},
	Example: "{type: numbers}",
}

func numbersEntry() Entry { return Entry{Spec: numbersSpec, Role: Check, New: newNumbers} }

func newNumbers(p *spec.Params, _ Deps) (Validator, error) {
	v := &numbersValidator{contexts: p.Bool("contexts", true)}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return v, nil
}

type numbersValidator struct {
	contexts bool
	cache    sync.Map // hash of chunk text -> []Quantity
}

func (*numbersValidator) Name() string { return numbersSpec.Name }

// goldOnlyDims are compared with the gold answers only.
var goldOnlyDims = map[string]bool{"number": true, "year": true, "ordinal": true}

// source is a quantity with where it came from.
type source struct {
	q     Quantity
	where string // "the gold answer" or "the docs (help.md)"
	id    string // the chunk id, for evidence
}

var extractorPool = sync.Pool{New: func() any { return &quantityExtractor{} }}

// answerQuantities extracts the quantities of s outside links, e-mails and
// phone numbers (whose digits are not quantities).
func answerQuantities(s string) []Quantity {
	x := extractorPool.Get().(*quantityExtractor)
	defer extractorPool.Put(x)
	qs := x.extract(s, nil)
	if len(qs) == 0 {
		return nil
	}
	links := ExtractLinks(s)
	out := qs[:0]
	for _, q := range qs {
		inside := false
		for _, l := range links {
			if l.Kind != LinkPath && q.Start < l.End && q.End > l.Start {
				inside = true
				break
			}
		}
		if !inside && q.Dim != "ordinal" {
			out = append(out, q)
		}
	}
	return out
}

// chunkQuantities extracts a chunk's quantities once: chunks recur across
// items, so they are cached by content.
func (v *numbersValidator) chunkQuantities(c dataset.Chunk) []Quantity {
	key := maphash.String(hashSeed, c.Text)
	if qs, ok := v.cache.Load(key); ok {
		return qs.([]Quantity)
	}
	qs := answerQuantities(c.Text)
	v.cache.Store(key, qs)
	return qs
}

func (v *numbersValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := numbersSpec.Name
	if !mayHaveNumber(s.Answer) {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no numbers in the answer"}, nil
	}
	answer := answerQuantities(s.Answer)
	if len(answer) == 0 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no numbers in the answer"}, nil
	}
	var refs []source
	for _, g := range s.References {
		// a bare number is the answer only in a short gold answer ("216",
		// "216 countries"); in a sentence it may be a step or a version
		short := len(strings.Fields(g)) <= 4
		for _, q := range answerQuantities(g) {
			if q.Dim == "number" && !short {
				continue
			}
			refs = append(refs, source{q: q, where: "the gold answer"})
		}
	}
	if v.contexts {
		for _, c := range s.Contexts {
			for _, q := range v.chunkQuantities(c) {
				if !goldOnlyDims[q.Dim] {
					refs = append(refs, source{q: q, where: "the docs (" + c.Doc + ")", id: c.ID})
				}
			}
		}
	}
	checked, agreed := 0, 0
	var contradictions, evidence []string
	judgedDate := map[int]bool{} // start offsets of dates that were compared
	for _, q := range answer {
		if q.Implied && judgedDate[q.Start] {
			continue // the date itself was compared
		}
		var best *source
		ok := false
		for i := range refs {
			r := &refs[i]
			if r.q.Dim != q.Dim {
				continue
			}
			if q.Agrees(r.q) {
				ok = true
				evidence = addEvidence(evidence, r.id)
				break
			}
			if best == nil || closer(q, r.q, best.q) {
				best = r
			}
		}
		if !ok && best == nil {
			continue // nothing to compare with
		}
		checked++
		if q.Dim == "date" {
			judgedDate[q.Start] = true
		}
		if ok {
			agreed++
			continue
		}
		contradictions = append(contradictions, fmt.Sprintf("the answer says %q but %s says %q", q.Text, best.where, best.q.Text))
		evidence = addEvidence(evidence, best.id)
	}
	switch {
	case checked == 0:
		return dataset.Verdict{Validator: name, Score: 1, Pass: true,
			Reason: fmt.Sprintf("%d number(s) in the answer, none that the gold answer or docs state: no opinion", len(answer))}, nil
	case len(contradictions) == 0:
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Evidence: evidence,
			Reason: fmt.Sprintf("%d number(s) agree with the gold answer or docs", checked)}, nil
	}
	return dataset.Verdict{Validator: name, Score: float64(agreed) / float64(checked), Pass: false, Label: dataset.Wrong, Evidence: evidence,
		Reason: strings.Join(contradictions, "; ")}, nil
}

// closer reports whether candidate a is nearer to q than b (a gold answer
// wins ties by coming first).
func closer(q, a, b Quantity) bool {
	return math.Abs(a.Value-q.Value) < math.Abs(b.Value-q.Value)
}

// mayHaveNumber is a fast filter: digits or a letter that can start a
// spelled-out number or a month.
func mayHaveNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			return true
		}
	}
	return hasNumberWord(s)
}

// hasNumberWord reports whether s contains a spelled-out number word.
func hasNumberWord(s string) bool {
	for i := 0; i < len(s); {
		// next word
		for i < len(s) && !isASCIILetter(s[i]) {
			i++
		}
		j := i
		for j < len(s) && isASCIILetter(s[j]) {
			j++
		}
		if j > i && j-i <= 9 {
			w := strings.ToLower(s[i:j])
			if _, ok := numberWords[w]; ok {
				return true
			}
			if _, ok := multipliers[w]; ok && w != "k" {
				return true
			}
		}
		i = j
	}
	return false
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// addEvidence adds a chunk id to the evidence list once.
func addEvidence(ev []string, id string) []string {
	if id == "" || slices.Contains(ev, id) {
		return ev
	}
	return append(ev, id)
}
