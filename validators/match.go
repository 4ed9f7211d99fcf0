package validators

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var matchSpec = spec.Spec{
	Name:    "match",
	Summary: "synth's offline answer matcher: weighted token overlap with number, alias and spelling tolerance.",
	Description: `The default answer validator. It asks: does the answer carry the content of a gold
answer? Both texts are normalised more loosely than SQuAD (accents folded, Unicode
punctuation removed, possessives and plurals stripped, mojibake repaired, spelled-out
numbers read as numbers: "five" = "5", "twenty-four" = "24", "2,000" = "2000"). Then,
for each gold answer:

- recall: the share of the gold answer's content found in the answer, each token weighted
  by how informative it is (inverse document frequency over the eval set's questions and
  gold answers, with function words and words the question already contains counting
  little). Numbers match within the precision they were written with ("2.4 billion"
  matches "2.45 billion"), words within one typo when long, and initials match the words
  they abbreviate ("DMV" = "Department of Motor Vehicles", "B. R. Ambedkar");
- precision: the share of the answer's own content (words not in the question) found in
  the gold answer, which matters for short answers ("Christopher Lloyd" for
  "Christopher Allen Lloyd" is fine, "Emmitt Smith" for "Timmy Smith" is not);
- the score is 1 when the whole gold answer is in the answer, the recall itself when it
  is 0.7 or more (a verbose answer that carries most of the gold answer is still right),
  else the recall-weighted F-measure (β = 2) of the two; a gold number or date that the
  answer contradicts with another one caps the score at 0.3.

The best score over the gold answers goes through the thresholds.

Catches: gold "around 2.45 billion years ago", answer "2.4 billion years ago" ->
correct (exact and F1 say wrong); gold "September 27, 2017", answer "September 27,
2018" -> wrong (F1 gives 0.67); gold "Department of Motor Vehicles", answer "the DMV"
-> correct.`,
	Params: append(thresholdParams(0.6, 0.35),
		spec.Param{Name: "question_weight", Type: "float", Default: "0.25",
			Description: "weight of gold-answer words that the question already contains (0 to 1)"},
		spec.Param{Name: "fuzzy", Type: "bool", Default: "true",
			Description: "let long words match with one typo"},
	),
	Example: "{type: match, correct: 0.6, partial: 0.35}",
}

func matchEntry() Entry { return Entry{Spec: matchSpec, Role: Answer, New: newMatch} }

func newMatch(p *spec.Params, deps Deps) (Validator, error) {
	v := &matchValidator{
		th:     readThresholds(p, 0.6, 0.35),
		qw:     p.FloatIn("question_weight", 0.25, 0, 1),
		fuzzy:  p.Bool("fuzzy", true),
		idf:    buildIDF(deps.Eval),
		beta:   2,
		capNum: 0.3,
		// recall at or above this is the score, whatever the precision
		recallFloor: 0.7,
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return v, nil
}

type matchValidator struct {
	th          thresholds
	qw          float64
	fuzzy       bool
	idf         *idfTable
	beta        float64
	capNum      float64
	recallFloor float64
}

func (*matchValidator) Name() string { return matchSpec.Name }

func (v *matchValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	if len(s.References) == 0 {
		return noGold(matchSpec.Name), nil
	}
	r := v.score(s.Question, s.Answer, s.References)
	reason := fmt.Sprintf("match %.2f against %s (recall %.2f, precision %.2f)", r.score, goldAt(s.References, r.gold), r.recall, r.precision)
	switch {
	case r.whole:
		reason = fmt.Sprintf("has all of the gold answer %s", goldAt(s.References, r.gold))
	case r.conflict != "":
		reason += "; " + r.conflict
	}
	return v.th.verdict(matchSpec.Name, r.score, reason), nil
}

// matchResult is the best score over the gold answers and how it came about.
type matchResult struct {
	score, recall, precision float64
	gold                     int
	whole                    bool   // the whole gold answer is in the answer
	conflict                 string // a contradicted number, when it capped the score
}

// mtoken is a token of the matcher's normalisation.
type mtoken struct {
	text   string
	h      uint64
	num    bool
	v, tol float64
	w      float64 // weight
	inQ    bool    // the question contains it too
	hit    bool    // matched (scratch)
	// start and end are the token's byte span in the (repaired) text
	start, end int
	// link is set for a URL, domain, e-mail or phone number, kept whole
	link LinkKind
}

// matchStop are English function words: they weigh little.
var matchStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the of in on at to for from by with and or but nor as is are was were be been
	being it its this that these those there here he she they them his her their him we us our you your i me my
	who whom whose what which when where why how do does did done has have had having not no so than then too very
	can could will would shall should may might must also just only about into over under after before during
	up down out off again further once all any both each few more most other some such own same s t`) {
		matchStop[w] = true
	}
}

// idfTable holds document frequencies over an eval set.
type idfTable struct {
	df map[uint64]int
	n  int
}

// buildIDF counts, for each token, how many eval items (question and gold
// answers together) contain it.
func buildIDF(items []dataset.Item) *idfTable {
	if len(items) == 0 {
		return nil
	}
	t := &idfTable{df: map[uint64]int{}, n: len(items)}
	var toks []mtoken
	seen := map[uint64]bool{}
	for _, it := range items {
		clear(seen)
		texts := append([]string{it.Question}, it.Answers...)
		for _, s := range texts {
			toks = matchTokens(s, toks[:0])
			for _, tk := range toks {
				if !seen[tk.h] {
					seen[tk.h] = true
					t.df[tk.h]++
				}
			}
		}
	}
	return t
}

// weight is a token's informativeness in (0, 1].
func (v *matchValidator) weight(tk *mtoken) float64 {
	if tk.num {
		return 1 // numbers are always specific
	}
	w := 1.0
	if v.idf != nil && v.idf.n > 1 {
		df := v.idf.df[tk.h]
		w = math.Log(1+float64(v.idf.n)/float64(1+df)) / math.Log(1+float64(v.idf.n))
	}
	if matchStop[tk.text] {
		w *= 0.1
	}
	if matchTitles[tk.text] {
		w *= 0.05
	}
	return math.Max(w, 0.01)
}

var (
	matchSeed          = maphash.MakeSeed()
	digitsReplacer     = strings.NewReplacer(",", "", ".", "")
	apostropheReplacer = strings.NewReplacer("'", "", "’", "")
)

// matchTitles are honorifics and titles: "General George Washington" is
// "George Washington".
var matchTitles = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`mr mrs ms miss dr doctor sir dame lord lady king queen prince princess
	president general captain colonel major senator governor judge justice pope saint st emperor empress
	professor prof rev reverend sheikh`) {
		matchTitles[w] = true
	}
}

// matchText is a text prepared for matching.
type matchText struct {
	text string // repaired text
	toks []mtoken
	qs   []Quantity
}

func prepareMatch(s string) matchText {
	s = fixMojibake(s)
	return matchText{text: s, toks: matchTokens(s, nil), qs: ExtractQuantities(s)}
}

func numToken(v, tol float64, start, end int) mtoken {
	text := strconv.FormatFloat(v, 'f', -1, 64)
	return mtoken{text: text, h: maphash.String(matchSeed, text), num: true, v: v, tol: tol, start: start, end: end}
}

// matchTokens normalises s into tokens: folded words without articles,
// possessives or plural endings; numbers (digits or words) as values, and
// ranges ("10–12", "18 to 20") as one value with a tolerance.
func matchTokens(s string, dst []mtoken) []mtoken {
	s = fixMojibake(s)
	// URLs, e-mails and phone numbers are single tokens: their digits are
	// not quantities and their dots are not sentence ends.
	links := ExtractLinks(s)
	nextLink := 0
	for nextLink < len(links) && links[nextLink].Kind == LinkPath {
		nextLink++
	}
	L := lex(s, nil)
	var buf []byte
	glued := func(k int, texts ...string) bool {
		if k < 0 || k >= len(L) {
			return false
		}
		for _, t := range texts {
			if L[k].text == t {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(L); {
		lx := L[i]
		if nextLink < len(links) && lx.start >= links[nextLink].Start {
			l := links[nextLink]
			if lx.start < l.End {
				dst = append(dst, mtoken{text: l.Norm, h: maphash.String(matchSeed, l.Norm), start: l.Start, end: l.End, link: l.Kind})
				for i < len(L) && L[i].start < l.End {
					i++
				}
			}
			for nextLink++; nextLink < len(links) && links[nextLink].Kind == LinkPath; nextLink++ {
			}
			continue
		}
		if lx.kind == 'n' || lx.kind == 'w' {
			if n, ok := parseNumber(L, i); ok {
				lo, hi, end := n.value, n.value, n.j
				// a range: "10–12", "18 to 20", "2001–02"
				if k := n.j; k+1 < len(L) && (glued(k, "-", "–", "—") || strings.EqualFold(L[k].text, "to")) && L[k+1].kind == 'n' {
					if m, ok := parseNumber(L, k+1); ok && !m.ordinal {
						h := m.value
						if h < lo && lo >= 100 && len(L[k+1].text) == 2 {
							h += lo - math.Mod(lo, 100)
						}
						if h > lo && h <= lo*10 {
							hi, end = h, m.j
						}
					}
				}
				if hi > lo {
					dst = append(dst, numToken((lo+hi)/2, (hi-lo)/2+n.tol, lx.start, L[end-1].end))
				} else {
					dst = append(dst, numToken(n.value, n.tol, lx.start, L[n.j-1].end))
				}
				i = end
				continue
			}
		}
		i++
		switch lx.kind {
		case 's':
			if lx.text == "&" {
				dst = append(dst, mtoken{text: "and", h: maphash.String(matchSeed, "and"), start: lx.start, end: lx.end})
			}
			continue
		case 'n': // not a quantity ("1.2.3"): keep the digits
			text := digitsReplacer.Replace(lx.text)
			dst = append(dst, mtoken{text: text, h: maphash.String(matchSeed, text), start: lx.start, end: lx.end})
			continue
		}
		buf = buf[:0]
		for _, r := range lx.text {
			buf = foldRune(buf, r)
		}
		w := string(buf)
		for _, apos := range []string{"'s", "’s"} {
			w = strings.TrimSuffix(w, apos)
		}
		w = apostropheReplacer.Replace(w)
		if w == "" {
			continue
		}
		if w == "an" || w == "the" {
			continue
		}
		// "a" is an article, unless it is a spelled or initial letter ("P-A-D", "A. Smith")
		k := i - 1
		if w == "a" && !((k+1 < len(L) && !L[k+1].space && glued(k+1, "-", ".")) || (k > 0 && !lx.space && glued(k-1, "-", "."))) {
			continue
		}
		w = singular(w)
		dst = append(dst, mtoken{text: w, h: maphash.String(matchSeed, w), start: lx.start, end: lx.end})
	}
	return dst
}

// score compares answer with each gold answer and returns the best.
func (v *matchValidator) score(question, answer string, golds []string) matchResult {
	qt := matchTokens(question, nil)
	inQ := make(map[uint64]bool, len(qt))
	for _, t := range qt {
		inQ[t.h] = true
	}
	a := prepareMatch(answer)
	for i := range a.toks {
		a.toks[i].inQ = inQ[a.toks[i].h]
		a.toks[i].w = v.weight(&a.toks[i])
	}
	best := matchResult{gold: -1}
	for gi, gs := range golds {
		g := prepareMatch(gs)
		if len(g.toks) == 0 {
			continue
		}
		for i := range g.toks {
			g.toks[i].inQ = inQ[g.toks[i].h]
			g.toks[i].w = v.weight(&g.toks[i])
		}
		r := v.compare(a, g)
		r.gold = gi
		if best.gold < 0 || r.score > best.score {
			best = r
		}
		if best.score >= 1 {
			break
		}
	}
	if best.gold < 0 {
		best.gold = 0
	}
	return best
}

// compare scores answer a against gold g.
func (v *matchValidator) compare(at, gt matchText) matchResult {
	a, g := at.toks, gt.toks
	for i := range a {
		a[i].hit = false
	}
	for i := range g {
		g[i].hit = false
	}
	for i := range g {
		for j := range a {
			if v.same(&g[i], &a[j]) {
				g[i].hit = true
				a[j].hit = true
			}
		}
	}
	acronyms(a, g)
	acronyms(g, a)
	coarseDates(at, gt)

	var r matchResult
	var gw, gHit float64
	var aw, aHit float64
	var missed, free []*mtoken
	for i := range g {
		w := g[i].w
		if g[i].inQ {
			w *= v.qw
		}
		gw += w
		if g[i].hit {
			gHit += w
		} else if g[i].num {
			missed = append(missed, &g[i])
		}
	}
	for i := range a {
		if a[i].inQ {
			continue
		}
		aw += a[i].w
		if a[i].hit {
			aHit += a[i].w
		} else if a[i].num {
			free = append(free, &a[i])
		}
	}
	r.recall = gHit / math.Max(gw, 1e-9)
	r.precision = 1
	if aw > 0 {
		r.precision = aHit / aw
	}
	if r.recall >= 0.999 || joinedContains(a, g) {
		r.recall = 1
		r.whole = true
	}
	switch {
	case r.whole:
		r.score = 1
	case r.recall == 0 || r.precision == 0:
		r.score = 0
	default:
		b2 := v.beta * v.beta
		r.score = (1 + b2) * r.precision * r.recall / (b2*r.precision + r.recall)
		// An answer that carries most of the gold answer is not marked down
		// for explaining more (verbose chat answers).
		if r.recall >= v.recallFloor && r.recall > r.score {
			r.score = r.recall
		}
		// An answer whose content is all in the gold answer and that
		// carries a real part of it is a subset of it: partial at least.
		if r.precision >= 0.9 && r.recall >= 0.2 && r.score < v.th.Partial {
			r.score = v.th.Partial
		}
	}
	// A gold number the answer misses while it states another number of
	// the same order of magnitude: a contradiction ("2018" for "2017").
	if r.score > v.capNum {
		for _, m := range missed {
			for _, f := range free {
				if comparable(m.v, f.v) {
					r.score = v.capNum
					r.whole = false
					r.conflict = fmt.Sprintf("the answer says %s where the gold answer says %s", at.text[f.start:f.end], gt.text[m.start:m.end])
					return r
				}
			}
		}
	}
	return r
}

// comparable reports whether two numbers are of a similar size (within a
// factor of 5), so that one stated in place of the other contradicts it.
func comparable(x, y float64) bool {
	if x <= 0 || y <= 0 {
		return x == y
	}
	ratio := x / y
	return ratio >= 0.2 && ratio <= 5
}

// coarseDates accepts a year for a full date: when the gold answer is a
// date (1 August 1965) and the answer gives its year (1965) without
// contradicting the date, the gold date's tokens count as matched.
func coarseDates(a, g matchText) {
	for _, gq := range g.qs {
		if gq.Dim != "date" {
			continue
		}
		year := -1.0
		for _, y := range g.qs {
			if y.Dim == "year" && y.Implied && y.Start == gq.Start {
				year = y.Value
			}
		}
		if year < 0 {
			continue
		}
		hasYear, conflict := false, false
		for _, aq := range a.qs {
			switch {
			case aq.Dim == "year" && aq.Value == year:
				hasYear = true
			case aq.Dim == "date" && !aq.Agrees(gq):
				conflict = true
			}
		}
		if !hasYear || conflict {
			continue
		}
		for i := range g.toks {
			if g.toks[i].start >= gq.Start && g.toks[i].end <= gq.End {
				g.toks[i].hit = true
			}
		}
	}
}

// same reports whether two tokens match: equal, numbers within their
// written precision, or long words one typo apart.
func (v *matchValidator) same(g, a *mtoken) bool {
	if g.h == a.h {
		return true
	}
	if g.link != "" || a.link != "" {
		return g.link == LinkPhone && a.link == LinkPhone && samePhone(g.text, a.text)
	}
	if g.num && a.num {
		return math.Abs(g.v-a.v) <= math.Max(g.tol, a.tol)+1e-9*math.Max(math.Abs(g.v), math.Abs(a.v))
	}
	if v.fuzzy && !g.num && !a.num && len(g.text) >= 5 && len(a.text) >= 5 && g.text[0] == a.text[0] {
		return withinOneEdit(g.text, a.text)
	}
	return false
}

// acronyms marks tokens of x that are the initials of a run of tokens in y
// ("dmv" and "department of motor vehicles"; "b", "r" and "bhimrao ramji"),
// and the run as matched.
func acronyms(x, y []mtoken) {
	for i := range x {
		t := x[i].text
		if x[i].hit || x[i].num || len(t) < 2 || len(t) > 6 {
			continue
		}
		for j := range y {
			if k := initialsAt(t, y, j); k > 0 {
				x[i].hit = true
				for m := j; m < k; m++ {
					y[m].hit = true
				}
				break
			}
		}
	}
	// runs of single letters: "b r ambedkar" against "bhimrao ramji
	// ambedkar"; one letter counts only before a matched word ("j smith").
	var letters []byte
	for i := 0; i < len(x); {
		j := i
		letters = letters[:0]
		for j < len(x) && len(x[j].text) == 1 && !x[j].num && x[j].text != "i" {
			letters = append(letters, x[j].text[0])
			j++
		}
		if j == i {
			i++
			continue
		}
		if len(letters) >= 2 || (j < len(x) && x[j].hit) {
			for m := range y {
				if k := initialsAt(string(letters), y, m); k > 0 {
					for n := i; n < j; n++ {
						x[n].hit = true
					}
					for n := m; n < k; n++ {
						y[n].hit = true
					}
					break
				}
			}
		}
		i = j
	}
}

// initialsAt reports whether the letters of t are the initials of the
// content words of y starting at j ("of", "and", "for" may be skipped) and
// returns the end of the run, or 0.
func initialsAt(t string, y []mtoken, j int) int {
	k := j
	for p := 0; p < len(t); p++ {
		for k < len(y) && p > 0 && (y[k].text == "of" || y[k].text == "and" || y[k].text == "for") {
			k++
		}
		if k >= len(y) || y[k].num || len(y[k].text) < 2 || y[k].text[0] != t[p] {
			return 0
		}
		k++
	}
	return k
}

// joinedContains reports whether the gold tokens, joined without spaces,
// occur in the answer tokens joined without spaces, starting and ending at
// token boundaries ("abid ali" in "abidali"; "p a d a w a n" is "padawan").
func joinedContains(a, g []mtoken) bool {
	n := 0
	for _, t := range g {
		n += len(t.text)
	}
	if n < 4 {
		return false
	}
	for i := range a {
		// does the concatenation of a[i:] start with that of g, ending on a token boundary?
		gi, go_ := 0, 0 // gold token, offset in it
		ok := true
		j := i
		for ok && gi < len(g) {
			if j >= len(a) {
				ok = false
				break
			}
			at := a[j].text
			for k := 0; k < len(at); k++ {
				if gi >= len(g) || at[k] != g[gi].text[go_] {
					ok = false
					break
				}
				go_++
				if go_ == len(g[gi].text) {
					gi, go_ = gi+1, 0
				}
			}
			j++
		}
		if ok && gi == len(g) {
			return true
		}
	}
	return false
}

// withinOneEdit reports whether a and b are at most one insertion,
// deletion, substitution or adjacent transposition apart.
func withinOneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return true
	}
	if len(a) == len(b) {
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:]
}
