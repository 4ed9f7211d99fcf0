package validators

import (
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/synth-dev/synth/lexical"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

var groundedSpec = spec.Spec{
	Name:    "grounded",
	Summary: "Every claim of the answer must be supported by a help-doc chunk; unsupported claims make the item hallucinated.",
	Description: `Splits the answer into claims — sentences and list items, with compound sentences split
at ";" and at ", and" / "and you|we|it|..." — and drops the ones that state nothing
(greetings, "let me know if you need help", refusals and deflections, "Yes."). Each claim
is checked against the help-doc chunks retrieved for the item (Sample.Contexts) and the
gold answers; when none of those supports it and the project has a knowledge base, the
claim itself is searched for in the help docs (k chunks; without a search, every chunk
of the knowledge base is read). The verdict cites the chunk that supports each claim
(evidence).

Offline mode (the default) is lexical. A chunk supports a claim when
  - it covers the claim's content words (stop words dropped, light stemming: "deleted" =
    "delete"): at least the coverage threshold of them, and
  - every number with its unit, URL, domain, e-mail address, phone number, menu path
    ("Settings > Account > Delete account") and capitalised product or UI term ("PayPal",
    "Empty trash") in the claim appears in that chunk or in a gold answer.
A claim whose words a chunk covers but whose number the chunk states differently
("links are valid for 24 hours" where the docs say 30 minutes) is contradicted.

Mode llm asks the judge model, for each claim, whether it can be inferred from the best
chunks (JSON {"reasoning", "supported"}); a reply that is not such JSON is retried, then the
validator fails and the item is labelled error.

The label: hallucinated when fewer than min_support of the claims are supported and some
claim has no support at all, with the unsupported claims listed; wrong when the only
failures are contradicted numbers; no label (pass) otherwise. An answer with no claims (a
refusal, an empty answer) gets no opinion, and so does a sample with no help-doc chunks
and no knowledge base to search.

Catches: "You can reset your password at https://nimbus.example/account/password-reset"
when the docs say https://nimbus.example/reset -> hallucinated (invented link); "Go to
Settings > Privacy > Close account" -> hallucinated (invented menu path); "Enter your
username and we'll e-mail you a temporary password" -> hallucinated (no chunk mentions a
username or a temporary password). Passes "Viewers can open and download the folder's
items, but they can't edit them" against "Viewer: can open and download the item, but
can't edit it".`,
	Needs: []string{"docs"},
	Params: []spec.Param{
		{Name: "mode", Type: "string", Default: "offline", Description: "offline (lexical support, no model) or llm (asks the judge model, eval.judge)"},
		{Name: "min_support", Type: "float", Default: "1", Description: "share of the claims (0 to 1) that must be supported; claims without content words are not counted"},
		{Name: "coverage", Type: "float", Default: "0.6", Description: "offline mode: share of a claim's content words a chunk must contain to support it"},
		{Name: "k", Type: "int", Default: "3", Description: "chunks retrieved per unsupported claim when the project has a knowledge base (0: never search)"},
		{Name: "retries", Type: "int", Default: "2", Description: "llm mode: how many times a reply that is not the expected JSON is asked again"},
		{Name: "prompt", Type: "string", Description: "llm mode: a text/template replacing the built-in prompt; fields .Claim, .Excerpts (list of {ID, Doc, Heading, Text}), .Question"},
	},
	Example: "{type: grounded, min_support: 1.0, coverage: 0.6}",
}

func groundedEntry() Entry { return Entry{Spec: groundedSpec, Role: Check, New: newGrounded} }

// Grounded modes.
const (
	groundedOffline = "offline"
	groundedLLM     = "llm"
)

func newGrounded(p *spec.Params, deps Deps) (Validator, error) {
	g := &groundedValidator{
		mode:       p.OneOf("mode", groundedOffline, groundedOffline, groundedLLM),
		minSupport: p.FloatIn("min_support", 1, 0, 1),
		k:          p.IntIn("k", 3, 0, 50),
		retries:    p.IntIn("retries", 2, 0, 10),
		search:     deps.Search,
		corpus:     deps.Corpus,
	}
	g.checker = newClaimChecker(p.FloatIn("coverage", 0.6, 0, 1))
	src := p.String("prompt", "")
	if g.mode == groundedLLM {
		if deps.Judge == nil {
			p.Fail("mode", "mode llm needs a judge model: set eval.judge to one of the models")
		}
		g.judge = deps.Judge
		g.tmpl = defaultGroundedTemplate
		if src != "" {
			t, err := template.New("grounded").Funcs(templateFuncs).Option("missingkey=error").Parse(src)
			if err != nil {
				p.Fail("prompt", "not a valid template: %v", err)
			}
			g.tmpl = t
		}
	} else if src != "" {
		p.Fail("prompt", "applies to mode llm only")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

type groundedValidator struct {
	mode       string
	minSupport float64
	k          int
	retries    int
	search     retrieval.Searcher
	corpus     retrieval.Corpus
	judge      llm.Model
	tmpl       *template.Template
	checker    *claimChecker
}

func (*groundedValidator) Name() string { return groundedSpec.Name }

// Claim statuses, best first.
const (
	claimSupported = iota
	claimContradicted
	claimUnsupported
)

// claimResult is the check of one claim.
type claimResult struct {
	claim    string
	status   int
	source   string  // id of the chunk (or "gold answer") that supports or contradicts it
	coverage float64 // share of its content words the source contains
	why      string  // what is missing or contradicted
}

func (v *groundedValidator) Validate(ctx context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := groundedSpec.Name
	claims := SplitClaims(s.Answer)
	if len(claims) == 0 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no factual claims to check: no opinion"}, nil
	}
	if len(s.Contexts) == 0 && v.searcher() == nil {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no help-doc chunks to check the claims against: no opinion"}, nil
	}
	var results []claimResult
	var err error
	if v.mode == groundedLLM {
		results, err = v.checkLLM(ctx, s, claims)
	} else {
		results, err = v.checker.checkAll(ctx, claims, s.Contexts, s.References, v.searcher())
	}
	if err != nil {
		return dataset.Verdict{}, err
	}
	return groundedVerdict(name, results, v.minSupport), nil
}

// searcher returns how to find more chunks for a claim: the knowledge
// base's search (k chunks), else every chunk of the corpus (each is then
// checked; fine for help centres of a few thousand chunks), else nil.
func (v *groundedValidator) searcher() func(ctx context.Context, q string) ([]dataset.Chunk, error) {
	switch {
	case v.k == 0:
		return nil
	case v.search != nil:
		return func(ctx context.Context, q string) ([]dataset.Chunk, error) { return v.search.Search(ctx, q, v.k) }
	case v.corpus != nil:
		return func(context.Context, string) ([]dataset.Chunk, error) { return v.corpus.Chunks(), nil }
	}
	return nil
}

// groundedVerdict turns claim checks into a verdict.
func groundedVerdict(name string, results []claimResult, minSupport float64) dataset.Verdict {
	var supported, contradicted, unsupported int
	var evidence, bad []string
	seen := map[string]bool{}
	for _, r := range results {
		switch r.status {
		case claimSupported:
			supported++
			if !seen[r.source] {
				seen[r.source] = true
				evidence = append(evidence, r.source)
			}
		case claimContradicted:
			contradicted++
			bad = append(bad, fmt.Sprintf("%s (%s)", quote(r.claim), r.why))
		default:
			unsupported++
			bad = append(bad, fmt.Sprintf("%s (%s)", quote(r.claim), r.why))
		}
	}
	n := len(results)
	score := float64(supported) / float64(n)
	v := dataset.Verdict{Validator: name, Score: score, Evidence: evidence}
	if score >= minSupport {
		v.Pass = true
		v.Reason = fmt.Sprintf("%d claim(s), %d supported by the help docs", n, supported)
		if len(bad) > 0 {
			v.Reason += "; not supported: " + strings.Join(bad, "; ")
		}
		return v
	}
	if unsupported > 0 {
		v.Label = dataset.Hallucinated
		v.Reason = fmt.Sprintf("%d of %d claim(s) not supported by the help docs: %s", unsupported+contradicted, n, strings.Join(bad, "; "))
	} else {
		v.Label = dataset.Wrong
		v.Reason = fmt.Sprintf("%d of %d claim(s) contradict the help docs: %s", contradicted, n, strings.Join(bad, "; "))
	}
	return v
}

// SplitClaims splits an answer into the claims the grounded validator
// checks: sentences and list items, with compound sentences split at ";",
// ", and" and "and" followed by a subject (you, we, it, ...). Claims that
// state nothing are dropped: greetings and closers ("Let me know if you need
// help"), refusals and deflections ("Please contact support") unless they
// give a link, address or number, and claims without a content word ("Yes.").
func SplitClaims(answer string) []string {
	var out []string
	for _, sent := range answerSentences(answer) {
		for _, c := range splitCompound(sent) {
			if keepClaim(c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// answerSentences splits text into lines (list items, paragraphs) and
// each line into sentences; Markdown emphasis and list markers are removed.
func answerSentences(text string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if body, ok := stripListMarker(line); ok {
			line = body
		}
		line = strings.NewReplacer("**", "", "__", "", "`", "").Replace(line)
		out = append(out, splitSentences(line)...)
	}
	return out
}

// stripListMarker removes "- ", "* ", "+ ", "1. " or "1) " from a line.
func stripListMarker(line string) (string, bool) {
	if len(line) >= 2 && strings.ContainsRune("-*+•", rune(line[0])) && line[1] == ' ' {
		return strings.TrimSpace(line[2:]), true
	}
	if strings.HasPrefix(line, "• ") {
		return strings.TrimSpace(line[len("• "):]), true
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' ' {
		return strings.TrimSpace(line[i+2:]), true
	}
	return line, false
}

// splitSentences splits after ".", "!" or "?" followed by a space and a
// capital, a digit or an opening quote; dots inside words (URLs, "e.g.")
// do not split.
func splitSentences(p string) []string {
	p = strings.Join(strings.Fields(p), " ")
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(p) && (p[j] == '"' || p[j] == '\'' || p[j] == ')' || p[j] == '!' || p[j] == '?') {
			j++
		}
		if j >= len(p)-1 || p[j] != ' ' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(p[j+1:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || r == '"' || r == '(' || r == '“') {
			continue
		}
		if c == '.' {
			k := strings.LastIndexByte(p[start:i], ' ')
			switch strings.ToLower(p[start+k+1 : i]) {
			case "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "approx", "incl":
				continue
			}
		}
		out = append(out, strings.TrimSpace(p[start:j]))
		start = j + 1
	}
	if rest := strings.TrimSpace(p[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// subjects start a new clause after "and".
var subjects = map[string]bool{"you": true, "we": true, "it": true, "they": true, "your": true, "our": true,
	"its": true, "their": true, "this": true, "that": true, "these": true, "those": true, "there": true,
	"he": true, "she": true, "i": true, "the": true}

// splitCompound splits a sentence at "; ", ", and " and " and <subject>"
// when both sides keep at least two words.
func splitCompound(s string) []string {
	var parts []string
	for _, p := range strings.Split(s, "; ") {
		parts = append(parts, splitAnd(p)...)
	}
	return parts
}

func splitAnd(s string) []string {
	lower := strings.ToLower(s)
	for off := 0; ; {
		i := strings.Index(lower[off:], " and ")
		if i < 0 {
			return []string{s}
		}
		i += off
		left := strings.TrimRight(s[:i], " ,")
		right := strings.TrimSpace(s[i+len(" and "):])
		nextWord := strings.ToLower(strings.Trim(firstWord(right), ",.;:!?'\""))
		if k := strings.IndexAny(nextWord, "'’"); k > 0 {
			nextWord = nextWord[:k] // "we'll" is "we"
		}
		comma := i > 0 && s[i-1] == ','
		if (comma || subjects[nextWord]) && len(strings.Fields(left)) >= 3 && len(strings.Fields(right)) >= 3 {
			return append([]string{left}, splitAnd(right)...)
		}
		off = i + len(" and ")
	}
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// defaultRefusal classifies clauses with the built-in phrase lists.
var defaultRefusal = &refusalValidator{refusals: refusalPhrases, deflections: deflectionPhrases}

// keepClaim reports whether c states something to check.
func keepClaim(c string) bool {
	if len(contentStems(c, nil)) == 0 {
		return false
	}
	if kind, _ := defaultRefusal.classify(refusalNorm(c)); kind != clauseContent {
		// a deflection that gives an address or a number still claims it
		return len(ExtractLinks(c)) > 0 || len(answerQuantities(c)) > 0
	}
	return true
}

// groundStop are words that carry no checkable content: function words,
// pronouns, generic verbs and the filler of chat answers.
var groundStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about above after again all also am an and any anyone anything are as at away back be
	because been before being below both but by can cannot cant could couldnt did didnt do does doesnt doing done dont down each
	either else even ever every for from further get gets getting got had has have having he her here hers him his how i if im
	in into is isnt it its itll itself ive just let lets like ll may me might more most much must my need needs no nor not now
	of off ok okay on once one only or other our ours out over own please re really same shall she should simply so some
	something still such sure than that thats the their theirs them then there these they thing things this those though
	through to too under until up upon us ve very want wants was wasnt way we were what whats when where whether which while
	who whom whose why will with within without wont would wouldnt yes yet you youd youll youre youve your yours yourself
	hi hello hey thanks thank etc s t d m y o able well theyre theyll hes shes theres heres`) {
		groundStop[w] = true
	}
	// Generic action verbs: answers and docs say "open", "go to", "click",
	// "press" or "choose" for the same step; the facts are in what is opened
	// or clicked (menu paths and UI terms are checked on their own).
	for _, w := range strings.Fields(`open opens go goes went click clicks clicking press pressing tap select choose
	pick hit navigate head visit use using find see check look try make put give follow take takes say tell show`) {
		groundStop[w] = true
	}
}

// contentStems appends to dst the stems of the content words of s (words
// of letters and digits; "e-mail" is "email"), in order, without repeats.
func contentStems(s string, dst []string) []string {
	seen := map[string]bool{}
	forEachWord(s, func(w string) {
		if groundStop[w] {
			return
		}
		st := lexical.Stem(w)
		if !seen[st] {
			seen[st] = true
			dst = append(dst, st)
		}
	})
	return dst
}

// forEachWord calls fn with each lower-case word of s. Apostrophes are
// dropped ("can't" is "cant"), a one-letter prefix joins the word after its
// hyphen ("e-mail" is "email"), and any other symbol separates words.
func forEachWord(s string, fn func(w string)) {
	var b strings.Builder
	runes := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			var buf [8]byte
			b.Write(foldRune(buf[:0], unicode.ToLower(r)))
			runes++
		case (r == '\'' || r == '’') && runes > 0:
		case r == '-' && runes == 1 && i+size < len(s) && unicode.IsLetter(rune(s[i+size])):
		default:
			if b.Len() > 0 {
				fn(b.String())
				b.Reset()
			}
			runes = 0
		}
		i += size
	}
	if b.Len() > 0 {
		fn(b.String())
	}
}

// claimChecker checks claims lexically against chunks; it caches what it
// reads from each chunk text. Safe for concurrent use.
type claimChecker struct {
	coverage float64
	cache    sync.Map // hash of a text -> *groundSource
}

func newClaimChecker(coverage float64) *claimChecker { return &claimChecker{coverage: coverage} }

// groundSource is a chunk or gold answer prepared for checking.
type groundSource struct {
	stems map[string]bool
	links []Link
	prose string // lower-case text without markup, for menu paths in prose
	qs    []Quantity
}

// hasLink reports whether the source gives l: the same URL or a page under
// it, the same host (for a domain) or a subdomain of it, the same e-mail
// address, the same phone number (a country code may differ), or the same
// menu path steps, consecutively in a path or in order in its prose.
func (s *groundSource) hasLink(l Link) bool {
	for _, o := range s.links {
		switch l.Kind {
		case LinkURL, LinkDomain:
			if o.Kind != LinkURL && o.Kind != LinkDomain {
				continue
			}
			if o.Norm == l.Norm || strings.HasPrefix(o.Norm, l.Norm) && strings.ContainsRune("/?#", rune(o.Norm[len(l.Norm)])) {
				return true
			}
			if urlHost(l.Norm) == l.Norm {
				h := urlHost(o.Norm)
				if h == l.Norm || strings.HasSuffix(h, "."+l.Norm) {
					return true
				}
			}
		case LinkEmail:
			if o.Kind == LinkEmail && o.Norm == l.Norm {
				return true
			}
		case LinkPhone:
			if o.Kind == LinkPhone {
				a, b := o.Norm, l.Norm
				if len(a) < len(b) {
					a, b = b, a
				}
				if a == b || len(b) >= 7 && len(a)-len(b) <= 3 && strings.HasSuffix(a, b) {
					return true
				}
			}
		case LinkPath:
			if o.Kind == LinkPath && consecutive(o.Segments, l.Segments) {
				return true
			}
		}
	}
	if l.Kind == LinkPath {
		off := 0
		for _, seg := range l.Segments {
			i := wordIndex(s.prose[off:], seg)
			if i < 0 {
				return false
			}
			off += i + len(seg)
		}
		return len(l.Segments) > 0
	}
	return false
}

// wordIndex returns the index of the first occurrence of w in s that
// starts and ends at word boundaries, or -1.
func wordIndex(s, w string) int {
	for off := 0; w != ""; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		j := i + len(w)
		if (i == 0 || !isWordByte(s[i-1])) && (j == len(s) || !isWordByte(s[j])) {
			return i
		}
		off = i + 1
	}
	return -1
}

// consecutive reports whether want occurs as consecutive elements of path.
func consecutive(path, want []string) bool {
	for i := 0; i+len(want) <= len(path); i++ {
		ok := true
		for j := range want {
			if path[i+j] != want[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c *claimChecker) source(text string) *groundSource {
	key := maphash.String(hashSeed, text)
	if s, ok := c.cache.Load(key); ok {
		return s.(*groundSource)
	}
	s := &groundSource{stems: map[string]bool{}, links: ExtractLinks(text), qs: answerQuantities(text),
		prose: normSegment(strings.Join(strings.Fields(text), " "))}
	forEachWord(text, func(w string) { s.stems[lexical.Stem(w)] = true })
	c.cache.Store(key, s)
	return s
}

// preparedClaim is a claim read once: its content stems outside links and
// numbers, its links, numbers and capitalised terms.
type preparedClaim struct {
	text  string
	stems []string
	words map[string]string // stem -> the word as written, for reasons
	links []Link
	qs    []Quantity
	terms []string // capitalised terms, lower case
}

func prepareClaim(text string) preparedClaim {
	pc := preparedClaim{text: text, links: ExtractLinks(text), qs: answerQuantities(text)}
	// Blank out links and quantities: they are checked as a whole.
	masked := []byte(text)
	blank := func(start, end int) {
		for i := start; i < end && i < len(masked); i++ {
			masked[i] = ' '
		}
	}
	for _, l := range pc.links {
		if l.Kind != LinkPath {
			blank(l.Start, l.End)
		}
	}
	kept := pc.qs[:0]
	for _, q := range pc.qs {
		if q.Implied {
			continue
		}
		kept = append(kept, q)
		blank(q.Start, q.End)
	}
	pc.qs = kept
	pc.words = map[string]string{}
	forEachWord(string(masked), func(w string) {
		if groundStop[w] {
			return
		}
		st := lexical.Stem(w)
		if _, ok := pc.words[st]; !ok {
			pc.words[st] = w
			pc.stems = append(pc.stems, st)
		}
	})
	pc.terms = capitalTerms(string(masked))
	return pc
}

// capitalTerms returns the capitalised words of s that are not the first
// word of a sentence, a clause after ":" or a quotation: product names and
// UI labels ("PayPal", "Empty trash" gives "empty"... only capitalised words).
func capitalTerms(s string) []string {
	var out []string
	seen := map[string]bool{}
	start := true // at the start of a sentence
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if strings.ContainsRune(".!?:;\"“(", r) {
				start = true
			}
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r2, sz := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsLetter(r2) && !unicode.IsDigit(r2) && r2 != '\'' && r2 != '’' {
				break
			}
			j += sz
		}
		w := s[i:j]
		if !start && unicode.IsUpper(r) && w != "I" && !strings.HasPrefix(w, "I'") && !strings.HasPrefix(w, "I’") {
			lw := strings.ToLower(w)
			if !groundStop[lw] && !seen[lw] {
				seen[lw] = true
				out = append(out, lw)
			}
		}
		start = false
		i = j
	}
	return out
}

// checkAll checks each claim against the contexts and gold answers, and
// searches for the claim when they do not support it.
func (c *claimChecker) checkAll(ctx context.Context, claims []string, contexts []dataset.Chunk, golds []string,
	search func(ctx context.Context, q string) ([]dataset.Chunk, error)) ([]claimResult, error) {
	goldSrcs := make([]*groundSource, len(golds))
	for i, g := range golds {
		goldSrcs[i] = c.source(g)
	}
	out := make([]claimResult, len(claims))
	for i, text := range claims {
		pc := prepareClaim(text)
		best := claimResult{claim: text, status: claimUnsupported, coverage: -1}
		consider := func(id string, src *groundSource) {
			r := c.check(pc, src, goldSrcs)
			r.source = id
			if r.status < best.status || (r.status == best.status && r.coverage > best.coverage) {
				best = r
			}
		}
		for _, ch := range contexts {
			consider(ch.ID, c.source(ch.Text))
		}
		for j, g := range goldSrcs {
			id := "gold answer"
			if len(golds) > 1 {
				id = fmt.Sprintf("gold answer %d", j+1)
			}
			consider(id, g)
		}
		if best.status != claimSupported && search != nil {
			found, err := search(ctx, text)
			if err != nil {
				return nil, fmt.Errorf("grounded: search the help docs: %w", err)
			}
			for _, ch := range found {
				consider(ch.ID, c.source(ch.Text))
			}
		}
		if best.coverage < 0 {
			best.coverage = 0
			best.why = "nothing to check it against"
		}
		out[i] = best
	}
	return out, nil
}

// check checks one claim against one source (and the gold answers, for
// links, terms and numbers).
func (c *claimChecker) check(pc preparedClaim, src *groundSource, golds []*groundSource) claimResult {
	r := claimResult{claim: pc.text}
	var missing []string
	for _, st := range pc.stems {
		if !src.stems[st] {
			missing = append(missing, pc.words[st])
		}
	}
	r.coverage = 1
	if len(pc.stems) > 0 {
		r.coverage = float64(len(pc.stems)-len(missing)) / float64(len(pc.stems))
	}
	inGold := func(f func(g *groundSource) bool) bool {
		for _, g := range golds {
			if f(g) {
				return true
			}
		}
		return false
	}
	var invented []string
	for _, l := range pc.links {
		if !src.hasLink(l) && !inGold(func(g *groundSource) bool { return g.hasLink(l) }) {
			invented = append(invented, fmt.Sprintf("%s %q", l.Kind, l.Text))
		}
	}
	for _, t := range pc.terms {
		st := lexical.Stem(t)
		if !src.stems[st] && !inGold(func(g *groundSource) bool { return g.stems[st] }) {
			invented = append(invented, fmt.Sprintf("%q", t))
		}
	}
	var contradicted []string
	for _, q := range pc.qs {
		agrees := func(qs []Quantity) bool {
			for _, o := range qs {
				if q.Agrees(o) {
					return true
				}
			}
			return false
		}
		if agrees(src.qs) || inGold(func(g *groundSource) bool { return agrees(g.qs) }) {
			continue
		}
		var other *Quantity
		for k := range src.qs {
			if src.qs[k].Dim == q.Dim {
				other = &src.qs[k]
				break
			}
		}
		if other != nil {
			contradicted = append(contradicted, fmt.Sprintf("%q where the docs say %q", q.Text, other.Text))
		} else {
			invented = append(invented, fmt.Sprintf("%q", q.Text))
		}
	}
	switch {
	case r.coverage < c.coverage:
		r.status = claimUnsupported
		r.why = "no chunk has: " + strings.Join(missing, ", ")
		if len(invented) > 0 {
			r.why += "; not in the docs: " + strings.Join(invented, ", ")
		}
	case len(invented) > 0:
		r.status = claimUnsupported
		r.why = "not in the docs: " + strings.Join(invented, ", ")
	case len(contradicted) > 0:
		r.status = claimContradicted
		r.why = "says " + strings.Join(contradicted, ", ")
	default:
		r.status = claimSupported
	}
	return r
}

// groundedExcerpt is a chunk as the LLM-mode prompt shows it.
type groundedExcerpt struct {
	ID, Doc, Heading, Text string
}

var defaultGroundedTemplate = template.Must(template.New("grounded").Funcs(templateFuncs).Option("missingkey=error").Parse(
	`You check whether a support bot's claim is supported by excerpts of the help docs.

{{range $i, $e := .Excerpts}}[Excerpt {{$i | inc}}]{{if $e.Heading}} ({{$e.Heading}}){{end}}
{{$e.Text}}

{{end}}[Claim]
{{.Claim}}

Can this claim be inferred from these excerpts? Numbers, links, e-mail addresses, menu
paths and product names must match exactly; a claim that adds facts the excerpts do not
state is not supported. Think it through first, then answer with only a JSON object:
{"reasoning": "<your reasoning>", "supported": true or false}`))

// checkLLM asks the judge, claim by claim, whether the best chunks (by
// lexical coverage, with the gold answers) support it.
func (v *groundedValidator) checkLLM(ctx context.Context, s *dataset.Sample, claims []string) ([]claimResult, error) {
	out := make([]claimResult, len(claims))
	for i, text := range claims {
		pc := prepareClaim(text)
		cands := append([]dataset.Chunk(nil), s.Contexts...)
		if search := v.searcher(); len(cands) == 0 && search != nil {
			found, err := search(ctx, text)
			if err != nil {
				return nil, fmt.Errorf("grounded: search the help docs: %w", err)
			}
			cands = found
		}
		// The three chunks that cover the claim best, in that order.
		type ranked struct {
			c   dataset.Chunk
			cov float64
		}
		var rs []ranked
		for _, c := range cands {
			r := v.checker.check(pc, v.checker.source(c.Text), nil)
			rs = append(rs, ranked{c, r.coverage})
		}
		sort.SliceStable(rs, func(a, b int) bool { return rs[a].cov > rs[b].cov })
		var ex []groundedExcerpt
		for _, r := range rs[:min(3, len(rs))] {
			ex = append(ex, groundedExcerpt{ID: r.c.ID, Doc: r.c.Doc, Heading: r.c.Heading, Text: r.c.Text})
		}
		for j, g := range s.References {
			ex = append(ex, groundedExcerpt{ID: fmt.Sprintf("gold answer %d", j+1), Heading: "reference answer", Text: g})
		}
		var prompt strings.Builder
		if err := v.tmpl.Execute(&prompt, map[string]any{"Claim": text, "Excerpts": ex, "Question": s.Question}); err != nil {
			return nil, fmt.Errorf("grounded: prompt template: %w", err)
		}
		var supported bool
		var reasoning string
		_, err := askJSON(ctx, v.judge, prompt.String(), v.retries, `{"reasoning": "...", "supported": true or false}`,
			func(obj map[string]any) error {
				b, ok := obj["supported"].(bool)
				if !ok {
					if s, isStr := obj["supported"].(string); isStr && (strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
						b, ok = strings.EqualFold(s, "true"), true
					}
				}
				if !ok {
					return fmt.Errorf(`"supported" must be true or false`)
				}
				supported = b
				reasoning, _ = obj["reasoning"].(string)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("grounded: claim %s: %w", quote(text), err)
		}
		r := claimResult{claim: text, status: claimUnsupported, coverage: 0}
		if len(ex) > 0 {
			r.source = ex[0].ID
		}
		if supported {
			r.status = claimSupported
		} else {
			r.why = "the judge: " + shorten(reasoning, 160)
		}
		out[i] = r
	}
	return out, nil
}

// shorten cuts s to about n bytes on a word boundary.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "…"
}
