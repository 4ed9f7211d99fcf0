package pipelines

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/validators"
)

// PerturbKind is a way `synth check` changes a gold answer, with the label
// a sound grader must give the result.
type PerturbKind string

// The perturbation kinds.
const (
	// PerturbGold is the gold answer itself: correct.
	PerturbGold PerturbKind = "gold"
	// PerturbNumber changes one number of the answer: wrong.
	PerturbNumber PerturbKind = "number"
	// PerturbTruncated keeps the first half of the answer: partial.
	PerturbTruncated PerturbKind = "truncated"
	// PerturbLink puts in a link on the project's site that the docs do
	// not have: hallucinated.
	PerturbLink PerturbKind = "link"
	// PerturbMenuPath puts in a menu path the docs do not have: hallucinated.
	PerturbMenuPath PerturbKind = "menu_path"
	// PerturbRefusal replaces the answer with a refusal: refused.
	PerturbRefusal PerturbKind = "refusal"
	// PerturbOtherAnswer answers with another item's gold answer: wrong.
	PerturbOtherAnswer PerturbKind = "other_answer"
)

// PerturbKinds lists every kind, in report order.
var PerturbKinds = []PerturbKind{PerturbGold, PerturbNumber, PerturbTruncated, PerturbLink, PerturbMenuPath, PerturbRefusal, PerturbOtherAnswer}

// Expected is the label a sound grader gives an answer perturbed this way.
func (k PerturbKind) Expected() dataset.Label {
	switch k {
	case PerturbGold:
		return dataset.Correct
	case PerturbTruncated:
		return dataset.Partial
	case PerturbLink, PerturbMenuPath:
		return dataset.Hallucinated
	case PerturbRefusal:
		return dataset.Refused
	}
	return dataset.Wrong
}

// Describe says what the kind does, for reports.
func (k PerturbKind) Describe() string {
	switch k {
	case PerturbGold:
		return "gold answers"
	case PerturbNumber:
		return "changed numbers"
	case PerturbTruncated:
		return "truncated answers"
	case PerturbLink:
		return "invented links"
	case PerturbMenuPath:
		return "invented menu paths"
	case PerturbRefusal:
		return "refusals"
	case PerturbOtherAnswer:
		return "answers to other questions"
	}
	return string(k)
}

// ParsePerturbKinds reads a comma-separated list of kinds ("" is all).
func ParsePerturbKinds(s string) ([]PerturbKind, error) {
	if strings.TrimSpace(s) == "" {
		return PerturbKinds, nil
	}
	var out []PerturbKind
	for _, f := range strings.Split(s, ",") {
		k := PerturbKind(strings.TrimSpace(strings.ToLower(f)))
		ok := false
		for _, known := range PerturbKinds {
			ok = ok || k == known
		}
		if !ok {
			names := make([]string, len(PerturbKinds))
			for i, k := range PerturbKinds {
				names[i] = string(k)
			}
			return nil, fmt.Errorf("unknown perturbation %q (want some of %s)", k, strings.Join(names, ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

// CheckCase is one answer `synth check` grades: a gold answer or a
// perturbation of one.
type CheckCase struct {
	// ID is the item id, '#' and the kind ("password-forgot#number"); a
	// gold answer other than the first gets its position ("#gold2").
	ID string `json:"id"`
	// Item is the eval item the answer belongs to.
	Item string `json:"item"`
	// Kind is how the answer was made.
	Kind PerturbKind `json:"kind"`
	// Answer is the answer graded.
	Answer string `json:"answer"`
	// Change says what was changed, in words ("30 -> 45").
	Change string `json:"change,omitempty"`
	// Expected is the label a sound grader gives it.
	Expected dataset.Label `json:"expected"`

	item dataset.Item
}

// PerturbSkip is a perturbation that does not apply to an item.
type PerturbSkip struct {
	Item   string      `json:"item"`
	Kind   PerturbKind `json:"kind"`
	Reason string      `json:"reason"`
}

// Perturber makes check cases from eval items. Invented links and menu
// paths are checked against Docs (every chunk of the help docs) and the
// gold answers, so that they really are invented.
type Perturber struct {
	// Docs are the help-doc chunks ("" text when the project has none).
	Docs []dataset.Chunk
	// Kinds are the perturbations to make (nil: all).
	Kinds []PerturbKind

	corpus   string          // lower-cased text of every doc chunk and gold answer
	urls     map[string]bool // normalised documented URLs
	hosts    []string        // documented hosts, most frequent first
	paths    [][]string      // documented menu paths, as written, split into steps
	segments map[string]bool // normalised documented menu-path steps
	sep      string          // the most common menu-path separator
	roots    []string        // first steps of documented paths, most frequent first
	numbers  map[string]bool // standalone numbers in the docs and gold answers
}

// Perturb returns the cases for items, and the perturbations that did not
// apply, with the reason.
func (p *Perturber) Perturb(items []dataset.Item) ([]CheckCase, []PerturbSkip) {
	p.index(items)
	kinds := p.Kinds
	if kinds == nil {
		kinds = PerturbKinds
	}
	var cases []CheckCase
	var skips []PerturbSkip
	var sets []map[string]bool // each item's answer words, for other_answer
	for i, it := range items {
		if len(it.Answers) == 0 || strings.TrimSpace(it.Answers[0]) == "" {
			for _, k := range kinds {
				skips = append(skips, PerturbSkip{Item: it.ID, Kind: k, Reason: "the item has no gold answer"})
			}
			continue
		}
		gold := it.Answers[0]
		for _, k := range kinds {
			add := func(answer, change string) {
				cases = append(cases, CheckCase{ID: it.ID + "#" + string(k), Item: it.ID, Kind: k, Answer: answer, Change: change, Expected: k.Expected(), item: it})
			}
			var answer, change, why string
			switch k {
			case PerturbGold:
				for j, a := range it.Answers {
					if strings.TrimSpace(a) == "" {
						continue
					}
					id := it.ID + "#gold"
					if j > 0 {
						id += strconv.Itoa(j + 1)
					}
					cases = append(cases, CheckCase{ID: id, Item: it.ID, Kind: k, Answer: a, Expected: dataset.Correct, item: it})
				}
				continue
			case PerturbNumber:
				answer, change, why = p.changeNumber(gold)
			case PerturbTruncated:
				answer, change, why = truncate(gold)
			case PerturbLink:
				answer, change, why = p.inventLink(it, gold)
			case PerturbMenuPath:
				answer, change, why = p.inventPath(it, gold)
			case PerturbRefusal:
				answer = refusals[pick(it.ID, len(refusals))]
				change = "replaced by a refusal"
			case PerturbOtherAnswer:
				if sets == nil {
					sets = make([]map[string]bool, len(items))
					for j, o := range items {
						if len(o.Answers) > 0 {
							sets[j] = wordSet(o.Answers[0])
						}
					}
				}
				answer, change, why = otherAnswer(items, sets, i)
			}
			if why != "" {
				skips = append(skips, PerturbSkip{Item: it.ID, Kind: k, Reason: why})
				continue
			}
			add(answer, change)
		}
	}
	return cases, skips
}

// refusals are what a frustrating support bot says instead of answering.
var refusals = []string{
	"Sorry, I don't understand. Could you rephrase your question?",
	"I'm sorry, I don't have information about that.",
	"I'm not sure I can help with that. Please contact our support team.",
	"I don't know the answer to that, sorry.",
	"Sorry, I can't help with that request.",
}

// inventedSteps are plausible menu steps for invented paths.
var inventedSteps = []string{
	"Advanced options", "Account tools", "Data controls", "Privacy center", "Recovery settings",
	"Member tools", "Workspace preferences", "Access manager", "Security center", "Billing tools",
}

// pick returns a number in [0, n) fixed by s, so cases vary across items
// but not across runs.
func pick(s string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return int(h.Sum32() % uint32(n))
}

func (p *Perturber) index(items []dataset.Item) {
	var b strings.Builder
	p.urls, p.segments, p.numbers = map[string]bool{}, map[string]bool{}, map[string]bool{}
	hostCount, rootCount, sepCount := map[string]int{}, map[string]int{}, map[string]int{}
	read := func(text string) {
		b.WriteString(strings.ToLower(text))
		b.WriteByte('\n')
		for _, l := range validators.ExtractLinks(text) {
			switch l.Kind {
			case validators.LinkURL, validators.LinkDomain:
				p.urls[l.Norm] = true
				hostCount[hostOf(l.Norm)]++
			case validators.LinkPath:
				steps, sep := splitPath(l.Text)
				if len(steps) < 2 {
					continue
				}
				p.paths = append(p.paths, steps)
				sepCount[sep]++
				rootCount[steps[0]]++
				for _, s := range l.Segments {
					p.segments[s] = true
				}
			}
		}
		for _, n := range numberSpans(text) {
			p.numbers[strings.ReplaceAll(text[n[0]:n[1]], ",", "")] = true
		}
	}
	for _, c := range p.Docs {
		read(c.Text)
	}
	for _, it := range items {
		for _, a := range it.Answers {
			read(a)
		}
	}
	p.corpus = b.String()
	p.hosts = byCount(hostCount)
	p.roots = byCount(rootCount)
	p.sep = " > "
	if s := byCount(sepCount); len(s) > 0 {
		p.sep = s[0]
	}
}

// byCount returns the keys of m, most frequent first (ties alphabetical).
func byCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func hostOf(norm string) string {
	h, _, _ := strings.Cut(norm, "/")
	return h
}

// pathSeps are the menu-path separators, longest first.
var pathSeps = []string{" > ", " → ", " › ", " » ", ">", "→", "›", "»"}

// splitPath splits a menu path as written into its steps, without markup.
func splitPath(text string) ([]string, string) {
	for _, sep := range pathSeps {
		if strings.Contains(text, sep) {
			var steps []string
			for _, s := range strings.Split(text, sep) {
				s = strings.Trim(strings.TrimSpace(s), "*_`\"'")
				if s != "" {
					steps = append(steps, s)
				}
			}
			return steps, sep
		}
	}
	return nil, ""
}

// numberSpans finds the standalone integers of s (optionally with thousands
// separators) that are not part of a word, a URL, an e-mail address, a
// phone number, a time such as 9:30, a decimal or a version: the numbers a
// reader takes as a quantity. Byte offsets [start, end).
func numberSpans(s string) [][2]int {
	var skip [][2]int
	for _, l := range validators.ExtractLinks(s) {
		if l.Kind != validators.LinkPath {
			skip = append(skip, [2]int{l.Start, l.End})
		}
	}
	var out [][2]int
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		// Thousands groups: ",ddd" not followed by another digit.
		for j < len(s) && s[j] == ',' && isDigits(s, j+1, j+4) && (j+4 == len(s) || s[j+4] < '0' || s[j+4] > '9') {
			j += 4
		}
		start, end := i, j
		i = j
		prev := rune(0)
		if start > 0 {
			prev = rune(s[start-1])
		}
		next := rune(0)
		if end < len(s) {
			next = rune(s[end])
		}
		if unicode.IsLetter(prev) || strings.ContainsRune("/.@#+:_-", prev) && prev != 0 {
			continue
		}
		if next == ':' || next == '/' || next == '_' || next == '@' {
			continue
		}
		if next == '.' && end+1 < len(s) && s[end+1] >= '0' && s[end+1] <= '9' {
			continue // a decimal or a version
		}
		if unicode.IsLetter(next) && !unitSuffix(s[end:]) {
			continue // 2FA, 3rd, 4K-ish words
		}
		inLink := false
		for _, k := range skip {
			inLink = inLink || (start >= k[0] && start < k[1])
		}
		if !inLink {
			out = append(out, [2]int{start, end})
		}
	}
	return out
}

func isDigits(s string, from, to int) bool {
	if to > len(s) {
		return false
	}
	for k := from; k < to; k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return true
}

// unitSuffix reports whether rest (the text right after a number) starts
// with a unit written together with it: 10GB, 5MB, 9am, 30s, 24h.
func unitSuffix(rest string) bool {
	end := 0
	for end < len(rest) && unicode.IsLetter(rune(rest[end])) {
		end++
	}
	switch strings.ToLower(rest[:end]) {
	case "gb", "mb", "kb", "tb", "am", "pm", "h", "hr", "hrs", "m", "min", "mins", "s", "sec", "secs", "d", "k", "x", "gib", "mib":
		return true
	}
	return false
}

// units that follow a count and take a plural s.
var countUnits = map[string]bool{
	"second": true, "minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true,
	"user": true, "member": true, "seat": true, "device": true, "code": true, "attempt": true, "time": true,
	"character": true, "file": true, "export": true, "e-mail": true, "email": true, "key": true, "invoice": true,
}

func (p *Perturber) changeNumber(answer string) (string, string, string) {
	spans := numberSpans(answer)
	if len(spans) == 0 {
		return "", "", "the answer has no number to change"
	}
	at := spans[0]
	for _, sp := range spans { // prefer a number other than 1 ("1 business day")
		if answer[sp[0]:sp[1]] != "1" {
			at = sp
			break
		}
	}
	orig := answer[at[0]:at[1]]
	n, err := strconv.Atoi(strings.ReplaceAll(orig, ",", ""))
	if err != nil {
		return "", "", "the answer's number is too large to change"
	}
	var cands []int
	rest := strings.ToLower(strings.TrimLeft(answer[at[1]:], " "))
	switch {
	case (strings.HasPrefix(rest, "am") || strings.HasPrefix(rest, "pm") || strings.HasPrefix(rest, "a.m") || strings.HasPrefix(rest, "p.m")) && n >= 1 && n <= 12:
		// A time of day stays on the clock: 9 am -> 11 am.
		cands = []int{(n+1)%12 + 1, (n+3)%12 + 1, (n+5)%12 + 1}
	case n >= 1900 && n <= 2100:
		cands = []int{n + 2, n - 3, n + 5}
	default:
		cands = []int{n + max(1, (n+1)/2), 2 * n, 3 * n, n + 7, n + 11}
	}
	m := cands[0]
	for _, c := range cands {
		if c != n && c > 0 && !p.numbers[strconv.Itoa(c)] {
			m = c
			break
		}
	}
	repl := strconv.Itoa(m)
	if strings.Contains(orig, ",") {
		repl = withCommas(m)
	}
	out := answer[:at[0]] + repl + answer[at[1]:]
	if n == 1 {
		out = answer[:at[0]] + repl + pluralNext(answer[at[1]:])
	}
	return out, orig + " -> " + repl, ""
}

func withCommas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// pluralNext adds an s to the first of the next two words that is a count
// unit ("1 business day" -> "2 business days").
func pluralNext(rest string) string {
	words := strings.SplitAfterN(rest, " ", 4)
	for i := 1; i < len(words) && i <= 2; i++ {
		w := strings.TrimRight(words[i], " ")
		core := strings.TrimRightFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		if countUnits[strings.ToLower(core)] {
			words[i] = core + "s" + strings.TrimPrefix(words[i], core)
			break
		}
	}
	return strings.Join(words, "")
}

// sentences splits text at sentence ends (., ! or ? followed by a space and
// a capital letter or digit).
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] == ' ' {
			j++
		}
		if j == i+1 || j >= len(text) {
			continue
		}
		if r := rune(text[j]); unicode.IsUpper(r) || unicode.IsDigit(r) {
			out = append(out, strings.TrimSpace(text[start:i+1]))
			start = j
		}
	}
	if rest := strings.TrimSpace(text[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

func truncate(answer string) (string, string, string) {
	words := strings.Fields(answer)
	if len(words) < 8 {
		return "", "", "the answer is too short to truncate (fewer than 8 words)"
	}
	ss := sentences(answer)
	if len(ss) >= 2 {
		// The fewest leading sentences that keep at least 40% of the words
		// (so "Yes." alone is not the answer), and never all of them.
		keep, n := 0, 0
		for keep < len(ss)-1 && (keep == 0 || float64(n) < 0.4*float64(len(words))) {
			n += len(strings.Fields(ss[keep]))
			keep++
		}
		return strings.Join(ss[:keep], " "), fmt.Sprintf("kept %d of %d sentences", keep, len(ss)), ""
	}
	// One sentence: cut at the clause boundary nearest the middle.
	best, bestDist := -1, len(answer)
	for _, sep := range []string{", ", "; ", " and ", " or ", " then "} {
		for off := 0; ; {
			k := strings.Index(answer[off:], sep)
			if k < 0 {
				break
			}
			at := off + k
			before := len(strings.Fields(answer[:at]))
			if before >= 4 && before <= len(words)-3 {
				if d := abs(at - len(answer)/2); d < bestDist {
					best, bestDist = at, d
				}
			}
			off = at + len(sep)
		}
	}
	if best < 0 {
		return "", "", "one sentence with no clause boundary to cut at"
	}
	kept := strings.TrimRight(answer[:best], " ,;") + "."
	return kept, fmt.Sprintf("kept %d of %d words", len(strings.Fields(kept)), len(words)), ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// slugStop are words left out of invented URL slugs.
var slugStop = map[string]bool{
	"a": true, "an": true, "the": true, "i": true, "my": true, "me": true, "to": true, "do": true, "how": true, "can": true,
	"what": true, "why": true, "is": true, "it": true, "in": true, "on": true, "of": true, "for": true, "and": true, "or": true,
	"does": true, "did": true, "when": true, "where": true, "you": true, "your": true, "we": true, "our": true, "with": true,
	"be": true, "are": true, "was": true, "get": true, "there": true, "this": true, "that": true, "if": true, "im": true,
	"dont": true, "cant": true, "its": true, "so": true, "just": true, "like": true, "still": true, "any": true, "have": true,
}

func slug(question string) string {
	var parts []string
	for _, w := range strings.FieldsFunc(strings.ToLower(question), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		w = strings.ReplaceAll(w, "'", "")
		if len(w) < 3 || slugStop[w] {
			continue
		}
		parts = append(parts, w)
		if len(parts) == 3 {
			break
		}
	}
	if len(parts) == 0 {
		parts = []string{"help"}
	}
	return strings.Join(parts, "-")
}

func (p *Perturber) inventLink(it dataset.Item, answer string) (string, string, string) {
	host := ""
	links := validators.ExtractLinks(answer)
	var first *validators.Link
	for i, l := range links {
		if l.Kind == validators.LinkURL {
			first = &links[i]
			host = hostOf(l.Norm)
			break
		}
	}
	if host == "" {
		if len(p.hosts) == 0 {
			return "", "", "the docs and gold answers have no link, so the project's site is unknown"
		}
		host = p.hosts[0]
	}
	s := slug(it.Question)
	var url string
	for _, cand := range []string{"help/" + s, "support/" + s, "help/" + s + "-guide", "articles/" + s + "-" + strconv.Itoa(pick(it.ID, 9000)+1000)} {
		norm := host + "/" + cand
		taken := p.urls[norm]
		for u := range p.urls {
			taken = taken || strings.HasPrefix(u, norm+"/")
		}
		if !taken && !strings.Contains(p.corpus, norm) {
			url = "https://" + norm
			break
		}
	}
	if url == "" {
		return "", "", "no invented URL is free of the docs"
	}
	if first != nil {
		return answer[:first.Start] + url + answer[first.End:], first.Text + " -> " + url, ""
	}
	sep := " "
	if !strings.HasSuffix(strings.TrimSpace(answer), ".") && !strings.HasSuffix(strings.TrimSpace(answer), "!") {
		sep = ". "
	}
	return strings.TrimSpace(answer) + sep + "More details are at " + url + ".", "added " + url, ""
}

func (p *Perturber) freshStep(id string, n int) []string {
	var out []string
	start := pick(id, len(inventedSteps))
	for k := 0; k < len(inventedSteps) && len(out) < n; k++ {
		s := inventedSteps[(start+k)%len(inventedSteps)]
		if !p.segments[strings.ToLower(s)] && !strings.Contains(p.corpus, strings.ToLower(s)) {
			out = append(out, s)
		}
	}
	return out
}

func (p *Perturber) inventPath(it dataset.Item, answer string) (string, string, string) {
	for _, l := range validators.ExtractLinks(answer) {
		if l.Kind != validators.LinkPath {
			continue
		}
		steps, sep := splitPath(l.Text)
		if len(steps) < 2 {
			continue
		}
		fresh := p.freshStep(it.ID, 1)
		if len(fresh) == 0 {
			return "", "", "every invented menu step appears in the docs"
		}
		k := strings.LastIndex(l.Text, strings.TrimSpace(sep))
		path := strings.TrimRight(l.Text[:k], " ") + sep + fresh[0]
		return answer[:l.Start] + path + answer[l.End:], l.Text + " -> " + path, ""
	}
	if len(p.roots) == 0 {
		return "", "", "the docs and gold answers have no menu paths"
	}
	fresh := p.freshStep(it.ID, 2)
	if len(fresh) < 2 {
		return "", "", "every invented menu step appears in the docs"
	}
	path := p.roots[0] + p.sep + fresh[0] + p.sep + fresh[1]
	sep := " "
	if !strings.HasSuffix(strings.TrimSpace(answer), ".") {
		sep = ". "
	}
	return strings.TrimSpace(answer) + sep + "You can also find this under " + path + ".", "added " + path, ""
}

// otherAnswer answers item i with the gold answer of the item whose answer
// shares the fewest words with its own.
func otherAnswer(items []dataset.Item, sets []map[string]bool, i int) (string, string, string) {
	own := sets[i]
	best, bestSim := -1, 2.0
	for j, it := range items {
		if j == i || len(it.Answers) == 0 || strings.TrimSpace(it.Answers[0]) == "" {
			continue
		}
		other := sets[j]
		inter := 0
		for w := range other {
			if own[w] {
				inter++
			}
		}
		sim := 0.0
		if u := len(own) + len(other) - inter; u > 0 {
			sim = float64(inter) / float64(u)
		}
		if sim < bestSim {
			best, bestSim = j, sim
		}
	}
	if best < 0 {
		return "", "", "no other item has a gold answer"
	}
	return items[best].Answers[0], "the gold answer of " + items[best].ID, ""
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range validators.Tokens(s) {
		m[w] = true
	}
	return m
}
