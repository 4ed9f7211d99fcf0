package generators

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

var builtinSpec = spec.Spec{
	Name:    "builtin",
	Summary: "Offline, deterministic questions from the docs' structure — headings, numbered steps, definitions, FAQ questions, rules, table cells, named list items — with answers taken verbatim from the docs, the ones closest to the failure first.",
	Description: `Needs no model. From each chunk it writes:

  headings     "## Reset your password" -> "How do I reset my password?"; "## I didn't get the
               reset e-mail" -> "What should I do if I didn't get the reset e-mail?";
               "## Password requirements" -> "What are the password requirements?";
               a heading that is a question ("## Can't sign in?") is used as it is
  steps        a numbered list under "## Turn on 2FA" -> "What are the steps to turn on 2FA?"
  definitions  "X is a ...", "X means ..." -> "What is X?"; "X costs ..." -> "How much does X cost?";
               "X expires after ..." -> "When does X expire?"
  FAQ lines    a line that is a question, followed by its answer
  rules        "If you lose your phone, enter ..." -> "What should I do if I lose my phone?";
               "To get new codes, go to ..." -> "How do I get new codes?";
               "You can request up to 3 e-mails an hour." -> "Can I request up to 3 e-mails an hour?"
  table cells  "| Plan | Largest file |" over "| Free | 250 MB |" -> "What is the largest file for
               the Free plan?", answered "Free plan: Largest file 250 MB."; a price column asks
               "How much does the Pro plan cost?"
  list items   "- Free: 5 GB in total" under "How much storage do I get?" -> "Free: how much
               storage do I get?"

Headings speak to the reader ("your account"); questions are turned into the customer's voice
("my account"). Answers are the docs' own words (Markdown emphasis and link syntax removed),
so they are grounded by construction; a heading's answer is its whole section, cut at whole
blocks near max_answer_words, and a how-to heading whose section is only an introduction gets
the first numbered list of its subsections appended; a sentence's answer is the sentence, and
the next one when it goes on with what to do ("Use ...", "It ...").

Only retrieved chunks that score at least min_relevance of the best chunk's score are used.
For a failed eval item, the questions are then ordered by how close each question and answer
is to the item's topic (its question and gold answer, as the retrieve stage searches for):
the cosine of their IDF-weighted word sets. Those under a quarter of the best one's closeness
are off the topic and dropped, so a failure's rows are about what it failed on.

After the questions from structure come paraphrases of each: first rewordings the docs
support — an abbreviation the docs define swapped for its long form or back ("turn on 2FA" ->
"turn on two-factor authentication", from "two-factor authentication (2FA)" in the docs), a
price asked as what one pays ("How much do I pay for Pro?") — then templates: greetings and
personas ("Quick question:", "I'm on my phone —"), rewordings ("How do I" -> "Is there a way
to"), casual lower case and small deterministic typos. Round r takes the next n candidates of
this list, so rounds (and the seed parameter) give different candidates; questions already
accepted for the failure are skipped. Rejection feedback is not read: the next round simply
moves on.`,
	Params: []spec.Param{
		{Name: paramN, Type: "int", Description: "candidates per round (1..100); default: twice the rows the failure still needs"},
		{Name: "max_answer_words", Type: "int", Default: "200", Description: "cut section answers at whole blocks near this many words (20..1000)"},
		{Name: "paraphrases", Type: "int", Default: "4", Description: "paraphrases (docs-supported rewordings, then templates) per question to draw from after the questions themselves (0..12)"},
		{Name: "seed", Type: "int", Default: "0", Description: "varies which paraphrase templates are used"},
		{Name: "min_relevance", Type: "float", Default: "0.7", Description: "use only retrieved chunks scoring at least this share of the best chunk's score (0..1; 0 uses all)"},
	},
	Example: "{type: builtin, n: 6, paraphrases: 4}",
}

func builtinEntry() Entry { return Entry{Spec: builtinSpec, Kind: Source, New: newBuiltinGen} }

func newBuiltinGen(p *spec.Params, deps Deps) (Generator, error) {
	g := &BuiltinGenerator{
		N:              p.IntIn(paramN, 0, 0, 100),
		MaxAnswerWords: p.IntIn("max_answer_words", 200, 20, 1000),
		Paraphrases:    p.IntIn("paraphrases", 4, 0, 12),
		Seed:           uint64(p.Int("seed", 0)),
		MinRelevance:   p.FloatIn("min_relevance", 0.7, 0, 1),
		Corpus:         deps.Corpus,
	}
	return g, p.Err()
}

// BuiltinGenerator is the offline generator (see the `builtin` spec). The
// zero value works; set fields to tune it.
type BuiltinGenerator struct {
	// N is the number of candidates per round; 0 means twice seed.N.
	N int
	// MaxAnswerWords cuts section answers at whole blocks (default 200).
	MaxAnswerWords int
	// Paraphrases is how many template paraphrases per question to draw
	// from after the questions themselves.
	Paraphrases int
	// Seed varies the templates.
	Seed uint64
	// Corpus, when set, lets a how-to introduction borrow the steps of its
	// subsections.
	Corpus retrieval.Corpus
	// MinRelevance drops retrieved chunks scoring below this share of the
	// best chunk's score (0 keeps every chunk).
	MinRelevance float64

	aliasOnce     sync.Once
	corpusAliases map[string]alias
}

// relevant keeps the chunks scoring at least min times the best score
// (chunks without scores are all kept).
func relevant(chunks []dataset.Chunk, min float64) []dataset.Chunk {
	if min <= 0 || len(chunks) == 0 {
		return chunks
	}
	best := 0.0
	for _, c := range chunks {
		best = max(best, c.Score)
	}
	if best <= 0 {
		return chunks
	}
	var out []dataset.Chunk
	for _, c := range chunks {
		if c.Score >= min*best {
			out = append(out, c)
		}
	}
	return out
}

// Name returns "builtin".
func (*BuiltinGenerator) Name() string { return builtinSpec.Name }

// Generate returns the round's slice of the candidate list for seed.
func (g *BuiltinGenerator) Generate(ctx context.Context, seed Seed) ([]dataset.Sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := g.N
	if n <= 0 {
		n = 2 * max(seed.N, 1)
	}
	all := g.candidates(relevant(seed.Chunks, g.MinRelevance), seed.Failure.Topic())
	round := max(seed.Round, 1)
	from := (round - 1) * n
	if from >= len(all) {
		return nil, nil
	}
	to := min(from+n, len(all))
	accepted := map[string]bool{}
	for _, q := range seed.Accepted {
		accepted[questionKey(q)] = true
	}
	out := make([]dataset.Sample, 0, to-from)
	for _, d := range all[from:to] {
		if accepted[questionKey(d.Question)] {
			continue
		}
		out = append(out, NewSample(builtinSpec.Name, seed, d.Question, d.Answer, d.Chunks))
	}
	return out, nil
}

// Draft is a question–answer pair the builtin generator derived from the docs.
type Draft struct {
	Question string
	Answer   string
	// Kind says which structure it came from: heading, steps, definition,
	// faq, rule or paraphrase.
	Kind   string
	Chunks []dataset.Chunk
}

// Candidates returns every candidate for chunks, in the order rounds take
// them: the questions from structure (chunk by chunk), then their template
// paraphrases (first variants of every question, then second variants, ...).
// Questions are unique (ignoring case and punctuation).
func (g *BuiltinGenerator) Candidates(chunks []dataset.Chunk) []Draft {
	return g.candidates(chunks, "")
}

// candidates is Candidates with the questions from structure ordered by
// how close each pair is to topic (most relevant first) when topic is set.
func (g *BuiltinGenerator) candidates(chunks []dataset.Chunk, topic string) []Draft {
	maxWords := g.MaxAnswerWords
	if maxWords <= 0 {
		maxWords = 200
	}
	seen := map[string]bool{}
	var base []Draft
	add := func(d Draft) {
		d.Question = strings.Join(strings.Fields(d.Question), " ")
		d.Answer = strings.TrimSpace(d.Answer)
		k := questionKey(d.Question)
		if k == "" || d.Answer == "" || seen[k] || wordCount(d.Answer) < 3 {
			return
		}
		seen[k] = true
		base = append(base, d)
	}
	aliases := g.aliases(chunks)
	for _, c := range chunks {
		for _, d := range g.fromChunk(c, maxWords) {
			add(d)
		}
	}
	base = rankByTopic(base, topic)
	out := append([]Draft(nil), base...)
	variants := make([][]string, len(base))
	for i, d := range base {
		// Rewordings the docs support come first, then the templates.
		v := append(rephrase(d.Question, aliases), TemplateParaphrases(d.Question, g.Seed+uint64(i), g.Paraphrases)...)
		variants[i] = v[:min(len(v), g.Paraphrases)]
	}
	levels := 0
	for _, v := range variants {
		levels = max(levels, len(v))
	}
	for level := 0; level < levels; level++ {
		for i, d := range base {
			if level >= len(variants[i]) {
				continue
			}
			q := variants[i][level]
			k := questionKey(q)
			if k == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Draft{Question: q, Answer: d.Answer, Kind: "paraphrase", Chunks: d.Chunks})
		}
	}
	return out
}

// rankByTopic orders drafts by relevance to topic, most relevant first
// (ties keep their order), and drops those scoring under offTopicShare of
// the best: the relevance is the cosine of the IDF-weighted word sets of
// topic and of the draft's question and answer, the IDF taken over the
// drafts. A short answer that says what the topic is about ranks above a
// long section that also mentions it. Without a topic drafts are returned
// as they are.
func rankByTopic(drafts []Draft, topic string) []Draft {
	want := topicTerms(topic)
	if len(want) == 0 || len(drafts) < 2 {
		return drafts
	}
	terms := make([][]string, len(drafts))
	df := map[string]int{}
	for i, d := range drafts {
		terms[i] = topicTerms(d.Question + "\n" + d.Answer)
		for _, w := range terms[i] {
			df[w]++
		}
	}
	n := float64(len(drafts))
	idf := func(w string) float64 { return math.Log(1 + (n+1)/float64(df[w]+1)) }
	wanted := make(map[string]bool, len(want))
	var tn float64
	for _, w := range want {
		wanted[w] = true
		tn += idf(w) * idf(w)
	}
	score := make([]float64, len(drafts))
	for i := range drafts {
		var dot, dn float64
		for _, w := range terms[i] {
			x := idf(w) * idf(w)
			dn += x
			if wanted[w] {
				dot += x
			}
		}
		if dn > 0 {
			score[i] = dot / math.Sqrt(tn*dn)
		}
	}
	idx := make([]int, len(drafts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	cut := offTopicShare * score[idx[0]]
	out := make([]Draft, 0, len(drafts))
	for _, j := range idx {
		if score[j] < cut {
			break
		}
		out = append(out, drafts[j])
	}
	return out
}

// offTopicShare: drafts scoring under this share of the best draft's
// relevance to the failure's topic are off the topic, and not offered.
const offTopicShare = 0.25

// topicTerms returns the distinct content words of s, sorted: lower-cased
// letters and digits, without function words and a plural s.
func topicTerms(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range termRE.FindAllString(strings.ToLower(s), -1) {
		if len(w) < 2 || functionWords[w] {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

var termRE = regexp.MustCompile(`[\pL\pN]+`)

// functionWords carry no topic.
var functionWords = toSet(`a about after all also am an and any are as at be been before being but by can cannot could
did do does doing don done each either for from get gets got had has have having he her here his how i if in into is it
its just me more most much my no nor not now of off on once only or other our out over own please same she should so some
such than that the their them then there these they this those through to too under until up us very was we were what
when where which while who whom why will with would you your yours`)

// fromChunk derives the questions one chunk offers.
func (g *BuiltinGenerator) fromChunk(c dataset.Chunk, maxWords int) []Draft {
	leaf, parent := splitHeading(c.Heading)
	blocks := splitBlocks(c.Text)
	var out []Draft
	one := []dataset.Chunk{c}

	// Headings.
	if leaf != "" {
		if q, howTo := HeadingQuestion(leaf, parent); q != "" {
			answer := sectionAnswer(blocks, maxWords)
			chunks := one
			if howTo && !hasSteps(blocks) && !strings.Contains(c.Heading, " > ") {
				if sib, steps := g.siblingSteps(c); steps != "" {
					answer = answer + "\n\n" + steps
					chunks = []dataset.Chunk{c, sib}
				}
			}
			out = append(out, Draft{Question: q, Answer: answer, Kind: "heading", Chunks: chunks})
		}
	}
	// Numbered steps.
	if steps := firstSteps(blocks); steps != "" {
		topic := leaf
		if topic == "" {
			topic = parent
		}
		if q := stepsQuestion(topic); q != "" {
			out = append(out, Draft{Question: q, Answer: steps, Kind: "steps", Chunks: one})
		}
	}
	// FAQ lines, definitions and rules, sentence by sentence.
	names := properNames(blocks)
	for bi, b := range blocks {
		if b.kind == blockTable {
			out = append(out, tableDrafts(b.text, one)...)
			continue
		}
		if b.title != "" { // a plain-text section: its title is a heading
			if q, _ := HeadingQuestion(titleCase(b.title), ""); q != "" {
				out = append(out, Draft{Question: q, Answer: b.text, Kind: "heading", Chunks: one})
			}
		}
		if b.kind == blockProse && isQuestionLine(b.text) && bi+1 < len(blocks) && blocks[bi+1].kind != blockTable {
			out = append(out, Draft{Question: cleanInline(b.text), Answer: blocks[bi+1].text, Kind: "faq", Chunks: one})
			continue
		}
		if b.kind == blockList && leaf != "" && !numberedRE.MatchString(b.lines[0]) {
			out = append(out, itemDrafts(b, leaf, one)...)
		}
		for _, item := range b.items() {
			sents := sentences(item)
			for si, s := range sents {
				q, kind := sentenceQuestion(s, names)
				if q == "" {
					continue
				}
				answer := s
				if si+1 < len(sents) && continues(s, sents[si+1]) {
					answer += " " + sents[si+1]
				}
				if parent != "" { // a subsection: its topic is narrow enough to name
					q = withTopic(q, leaf)
				}
				out = append(out, Draft{Question: q, Answer: answer, Kind: kind, Chunks: one})
			}
		}
	}
	return out
}

// continues reports whether sentence next completes s in an answer: s is
// short, or next goes on with what to do (it starts with a verb such as
// "Use" or "Try") or refers back to s ("It", "This", "Then", ...).
func continues(s, next string) bool {
	if wordCount(s) < 10 {
		return true
	}
	if wordCount(s)+wordCount(next) > 50 {
		return false
	}
	first := strings.ToLower(strings.Trim(strings.Fields(next + " x")[0], `,.:;"'`))
	switch first {
	case "it", "this", "that", "they", "these", "those", "then", "otherwise", "so", "instead":
		return true
	}
	return imperativeVerbs[first]
}

// tableDrafts asks for each cell of a Markdown table with a header row:
// "| Plan | Largest file |" over "| Free | 250 MB |" gives "What is the
// largest file for the Free plan?", answered "Free plan: Largest file 250 MB.".
func tableDrafts(table string, chunks []dataset.Chunk) []Draft {
	var header []string
	var out []Draft
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cleanInline(cells[i]))
		}
		if header == nil {
			header = cells
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "-: ") == "" || len(cells) < 2 || cells[0] == "" {
			continue // the separator row, or a row without a name
		}
		name := cells[0]
		if h := strings.ToLower(header[0]); h != "" && wordCount(h) <= 2 && !strings.Contains(strings.ToLower(name), h) {
			name += " " + h
		}
		for j := 1; j < len(cells) && j < len(header); j++ {
			if cells[j] == "" || header[j] == "" {
				continue
			}
			q := "What is the " + lowerFirst(header[j]) + " for " + tableSubject(name, header[0]) + "?"
			if priceRE.MatchString(header[j]) {
				q = "How much does " + tableSubject(name, header[0]) + " cost?"
			}
			a := name + ": " + header[j] + " " + cells[j] + "."
			out = append(out, Draft{Question: q, Answer: upperFirst(a), Kind: "table", Chunks: chunks})
		}
	}
	return out
}

// itemDrafts asks about each "Name: description" item of an unordered list
// under a heading: "- Free: 5 GB in total" under "How much storage do I
// get?" gives "Free: how much storage do I get?".
func itemDrafts(b block, leaf string, chunks []dataset.Chunk) []Draft {
	hq, _ := HeadingQuestion(leaf, "")
	if hq == "" {
		return nil
	}
	var out []Draft
	for _, item := range b.items() {
		m := itemNameRE.FindStringSubmatch(item)
		if m == nil {
			continue
		}
		out = append(out, Draft{Question: FirstPerson(m[1]) + ": " + lowerFirst(hq), Answer: item, Kind: "item", Chunks: chunks})
	}
	return out
}

// tableSubject names a table row in a question: "the Free plan" when the
// name column is "Plan", else the name itself.
func tableSubject(name, col string) string {
	if col != "" && strings.HasSuffix(strings.ToLower(name), " "+strings.ToLower(col)) {
		return "the " + name
	}
	return name
}

var priceRE = regexp.MustCompile(`(?i)^(price|prices|pricing|cost|costs|fee|fees)$`)

// An alias is a term the docs define with its abbreviation:
// "two-factor authentication (2FA)", "Eastern Time (ET)".
type alias struct {
	long, short string
	re          *regexp.Regexp // the short form as a word
}

var aliasRE = regexp.MustCompile(`([\w-]+(?: [\w-]+){0,5}) \(([A-Z0-9]{2,6})\)`)

// numberInitials are the digits that stand for number words in abbreviations.
var numberInitials = map[string]string{"one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}

// findAliases adds to into the abbreviations text defines: a parenthesised
// token of capitals and digits whose letters (or digits, for number words)
// are the initials of the words before it: "two-factor authentication
// (2FA)", "Eastern Time (ET)"; not "single sign-on (SAML)".
func findAliases(text string, into map[string]alias) {
	for _, m := range aliasRE.FindAllStringSubmatch(text, -1) {
		short := m[2]
		if !strings.ContainsFunc(short, unicode.IsLetter) {
			continue
		}
		locs := aliasWordRE.FindAllStringIndex(m[1], -1)
		n := len(short)
		if len(locs) < n {
			continue
		}
		tail := locs[len(locs)-n:]
		ok := true
		for i, l := range tail {
			w := m[1][l[0]:l[1]]
			init := strings.ToUpper(w[:1])
			if d, isNum := numberInitials[strings.ToLower(w)]; isNum {
				init = d
			}
			if init != short[i:i+1] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if _, dup := into[short]; !dup {
			long := strings.ToLower(m[1][tail[0][0]:])
			into[short] = alias{long: long, short: short, re: regexp.MustCompile(`\b` + regexp.QuoteMeta(short) + `\b`)}
		}
	}
}

var aliasWordRE = regexp.MustCompile(`[^\s-]+`)

// aliases collects the abbreviations defined in the docs (the corpus, or
// the chunks at hand without one), once per generator.
func (g *BuiltinGenerator) aliases(chunks []dataset.Chunk) []alias {
	g.aliasOnce.Do(func() {
		found := map[string]alias{}
		if g.Corpus != nil {
			for _, c := range g.Corpus.Chunks() {
				findAliases(c.Heading+"\n"+c.Text, found)
			}
		}
		g.corpusAliases = found
	})
	found := map[string]alias{}
	for k, v := range g.corpusAliases {
		found[k] = v
	}
	for _, c := range chunks {
		findAliases(c.Heading+"\n"+c.Text, found)
	}
	out := make([]alias, 0, len(found))
	for _, a := range found {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].short < out[j].short })
	return out
}

var howMuchCostRE = regexp.MustCompile(`^How much (?:does|do) (.+) cost\?$`)

// rephrase returns other ways to ask q that the docs support: an
// abbreviation the docs define swapped for its long form or back ("turn on
// 2FA" - "turn on two-factor authentication"), and a price question asked
// as what one pays ("How much does Pro cost?" - "How much do I pay for
// Pro?").
func rephrase(q string, aliases []alias) []string {
	var out []string
	lower := strings.ToLower(q)
	for _, a := range aliases {
		hasShort := a.re.MatchString(q)
		hasLong := strings.Contains(lower, a.long)
		switch {
		case hasShort && !hasLong:
			out = append(out, a.re.ReplaceAllLiteralString(q, a.long))
		case hasLong && !hasShort:
			i := strings.Index(lower, a.long)
			out = append(out, q[:i]+a.short+q[i+len(a.long):])
		}
	}
	if m := howMuchCostRE.FindStringSubmatch(q); m != nil {
		out = append(out, "How much do I pay for "+m[1]+"?")
	}
	return out
}

var itemNameRE = regexp.MustCompile(`^([A-Z][\w'’-]*(?: [\w'’-]+){0,3}): (.{3,})$`)

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// siblingSteps finds the first subsection of c's document section that has
// a numbered list, and returns it with the list.
func (g *BuiltinGenerator) siblingSteps(c dataset.Chunk) (dataset.Chunk, string) {
	if g.Corpus == nil || c.Heading == "" {
		return dataset.Chunk{}, ""
	}
	prefix := c.Heading + " > "
	for _, s := range g.Corpus.Chunks() {
		if s.Doc != c.Doc || !strings.HasPrefix(s.Heading, prefix) {
			continue
		}
		if steps := firstSteps(splitBlocks(s.Text)); steps != "" {
			return s, steps
		}
	}
	return dataset.Chunk{}, ""
}

// properNames returns the capitalised words that appear in the middle of a
// sentence (product and plan names such as "Pro"), but not verbs.
func properNames(blocks []block) map[string]bool {
	names := map[string]bool{}
	for _, b := range blocks {
		for _, item := range b.items() {
			if b.kind == blockTable {
				continue
			}
			for _, s := range sentences(item) {
				ws := strings.Fields(s)
				for i := 1; i < len(ws); i++ {
					w := strings.Trim(ws[i], `.,;:!?"'()`)
					r, _ := utf8.DecodeRuneInString(w)
					if unicode.IsUpper(r) && !imperativeVerbs[strings.ToLower(w)] && !sentenceStartBefore(strings.Join(ws[:i], " ")+" ", len(strings.Join(ws[:i], " "))+1) {
						names[w] = true
					}
				}
			}
		}
	}
	return names
}

// withTopic prefixes a question taken from a sentence with its section's
// topic when the question does not mention it ("Delete my account: what
// should I do if I pay for Pro?"), so it is not read out of context.
func withTopic(q, leaf string) string {
	leaf = strings.TrimSpace(strings.TrimSuffix(cleanInline(leaf), "?"))
	if leaf == "" || strings.HasPrefix(leaf, `"`) || strings.HasPrefix(leaf, "“") {
		return q
	}
	topic := contentWords(leaf)
	if len(topic) == 0 {
		return q
	}
	for w := range contentWords(q) {
		if topic[w] {
			return q
		}
	}
	return FirstPerson(leaf) + ": " + lowerFirst(q)
}

// contentWords returns the lower-cased words of four letters or more, without a plural s.
func contentWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range wordRE.FindAllString(strings.ToLower(s), -1) {
		if len(w) < 4 || questionStarts[w] || w == "your" || w == "with" || w == "what" || w == "that" || w == "this" || w == "from" {
			continue
		}
		out[strings.TrimSuffix(w, "s")] = true
	}
	return out
}

// splitHeading returns the last component of a heading path and the one before it.
func splitHeading(h string) (leaf, parent string) {
	parts := strings.Split(h, " > ")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	leaf = parts[len(parts)-1]
	if len(parts) > 1 {
		parent = parts[len(parts)-2]
	}
	return leaf, parent
}

// Block kinds of a chunk's Markdown.
const (
	blockProse = iota
	blockList
	blockTable
)

type block struct {
	kind  int
	text  string   // cleaned text
	lines []string // list items (cleaned, markers kept) for lists
	title string   // a plain-text section title on the block's first line ("LIVE CHAT")
}

// items returns the block's sentences' sources: each list item (without its
// marker) or the prose itself.
func (b block) items() []string {
	if b.kind != blockList {
		return []string{b.text}
	}
	out := make([]string, 0, len(b.lines))
	for _, l := range b.lines {
		out = append(out, listMarkerRE.ReplaceAllString(l, ""))
	}
	return out
}

var (
	listMarkerRE = regexp.MustCompile(`^\s*(?:[-*+]|\d{1,3}[.)])\s+`)
	numberedRE   = regexp.MustCompile(`^\s*\d{1,3}[.)]\s+`)
	mdLinkRE     = regexp.MustCompile(`!?\[([^\]]*)\]\(([^)\s]*)[^)]*\)`)
	emphasisRE   = regexp.MustCompile(`(\*\*|__)(.+?)(\*\*|__)`)
	headingRE    = regexp.MustCompile(`^#{1,6}\s+`)
)

// splitBlocks splits Markdown into blocks at blank lines, cleaning inline markup.
func splitBlocks(text string) []block {
	var out []block
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		lines := strings.Split(para, "\n")
		switch {
		case strings.HasPrefix(strings.TrimSpace(lines[0]), "|"):
			out = append(out, block{kind: blockTable, text: para})
		case listMarkerRE.MatchString(lines[0]):
			b := block{kind: blockList}
			for _, l := range lines {
				l = strings.TrimRight(l, " ")
				if listMarkerRE.MatchString(l) || len(b.lines) == 0 {
					b.lines = append(b.lines, cleanInline(strings.TrimSpace(l)))
				} else { // continuation line of an item
					b.lines[len(b.lines)-1] += " " + cleanInline(strings.TrimSpace(l))
				}
			}
			b.text = strings.Join(b.lines, "\n")
			out = append(out, b)
		default:
			b := block{kind: blockProse}
			if len(lines) > 1 && isCapsTitle(lines[0]) {
				b.title = strings.TrimSpace(lines[0])
				lines = lines[1:]
			}
			var parts []string
			for _, l := range lines {
				parts = append(parts, strings.TrimSpace(headingRE.ReplaceAllString(l, "")))
			}
			b.text = cleanInline(strings.Join(parts, " "))
			out = append(out, b)
		}
	}
	return out
}

// isCapsTitle reports whether a plain-text line is a section title in
// capitals ("LIVE CHAT", "E-MAIL"): one to five words, no lower-case letter.
func isCapsTitle(l string) bool {
	l = strings.TrimSpace(l)
	n := wordCount(l)
	if n == 0 || n > 5 || len(l) < 3 || strings.ContainsAny(l, ".?!:") {
		return false
	}
	letters := 0
	for _, r := range l {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}

// titleCase turns "LIVE CHAT" into "Live chat".
func titleCase(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// cleanInline removes Markdown emphasis and link syntax, keeping the words
// (and a link's address in parentheses).
func cleanInline(s string) string {
	s = mdLinkRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := mdLinkRE.FindStringSubmatch(m)
		if strings.HasPrefix(m, "!") {
			return sm[1]
		}
		if sm[2] == "" || sm[2] == sm[1] || strings.HasPrefix(sm[2], "#") {
			return sm[1]
		}
		return sm[1] + " (" + sm[2] + ")"
	})
	s = emphasisRE.ReplaceAllString(s, "$2")
	s = strings.ReplaceAll(s, "`", "")
	return s
}

func hasSteps(blocks []block) bool { return firstSteps(blocks) != "" }

// firstSteps returns the first numbered list with at least two items.
func firstSteps(blocks []block) string {
	for _, b := range blocks {
		if b.kind != blockList || len(b.lines) < 2 || !numberedRE.MatchString(b.lines[0]) {
			continue
		}
		return b.text
	}
	return ""
}

// sectionAnswer joins whole blocks up to about maxWords words (always the
// first block, cut at a sentence when it alone is longer).
func sectionAnswer(blocks []block, maxWords int) string {
	var parts []string
	words := 0
	for _, b := range blocks {
		n := wordCount(b.text)
		if len(parts) > 0 && words+n > maxWords {
			break
		}
		if len(parts) == 0 && n > maxWords && b.kind == blockProse {
			var cut []string
			for _, s := range sentences(b.text) {
				if len(cut) > 0 && words+wordCount(s) > maxWords {
					break
				}
				cut = append(cut, s)
				words += wordCount(s)
			}
			parts = append(parts, strings.Join(cut, " "))
			break
		}
		parts = append(parts, b.text)
		words += n
	}
	return strings.Join(parts, "\n\n")
}

// sentences splits prose at sentence ends (., ? or ! followed by a space and
// a capital letter, digit or quote).
func sentences(text string) []string {
	text = strings.Join(strings.Fields(text), " ")
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		if i+2 >= len(text) || text[i+1] != ' ' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(text[i+2:])
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) && r != '"' && r != '“' {
			continue
		}
		if c == '.' && abbreviationBefore(text[:i]) {
			continue
		}
		out = append(out, strings.TrimSpace(text[start:i+1]))
		start = i + 2
	}
	if rest := strings.TrimSpace(text[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

func abbreviationBefore(s string) bool {
	w := s[strings.LastIndexByte(s, ' ')+1:]
	switch strings.ToLower(w) {
	case "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "no", "approx", "incl":
		return true
	}
	return false
}

func isQuestionLine(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasSuffix(s, "?") && wordCount(s) >= 3 && wordCount(s) <= 25 && len(sentences(s)) == 1
}

func wordCount(s string) int { return len(strings.Fields(s)) }

// questionKey identifies a question ignoring case, punctuation and spacing.
func questionKey(q string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(q) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(b.String())
}

// imperativeVerbs are verbs that start how-to headings ("Reset your password").
var imperativeVerbs = toSet(`accept add allow apply approve archive assign back block buy call cancel change check choose
claim clear click close combine configure confirm connect contact convert copy create customise customize deactivate
delete disable disconnect download downgrade duplicate edit empty enable enter export find fix follow forward generate
get give go hide import install invite join keep leave limit link lock log make manage merge migrate move open pay pause
pick pin print protect reactivate read recover redeem register reinstall remove rename renew reopen report request reset
restore resume retrieve revoke save scan schedule search secure see select send set share show sign start stop submit
subscribe switch sync take tap transfer try turn type unblock uninstall unlock unsubscribe update upgrade upload use verify
view wait watch write`)

var questionStarts = toSet(`how what why where when which who whom whose can could do does did is are was were should
will would may might am have has`)

func toSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

var forRoleRE = regexp.MustCompile(`^(?i:for) ([\w -]{2,30}): (.+)$`)

// HeadingQuestion turns a doc heading (its last component leaf, and the one
// before it, parent) into the question a customer would ask, in their own
// voice. howTo reports a "How do I ...?" question.
func HeadingQuestion(leaf, parent string) (q string, howTo bool) {
	leaf = strings.TrimSpace(cleanInline(leaf))
	if leaf == "" {
		return "", false
	}
	prefix := ""
	if m := forRoleRE.FindStringSubmatch(leaf); m != nil {
		prefix = "I'm " + roleOf(m[1]) + ": "
		leaf = m[2]
	}
	words := strings.Fields(leaf)
	first := strings.ToLower(strings.Trim(words[0], `"'“`))
	vague := false
	switch {
	case (strings.HasPrefix(leaf, `"`) && strings.HasSuffix(leaf, `"`)) || (strings.HasPrefix(leaf, "“") && strings.HasSuffix(leaf, "”")):
		q = "What should I do when I see " + leaf + "?"
	case strings.HasSuffix(leaf, "?"):
		q = FirstPerson(leaf)
		vague = len(words) <= 4 && parent != ""
	case questionStarts[first]:
		q = FirstPerson(leaf) + "?"
		vague = len(words) <= 4 && parent != ""
	case imperativeVerbs[first]:
		q = "How do I " + lowerFirst(FirstPerson(leaf)) + "?"
		howTo = true
	case first == "if" || first == "when":
		q = "What happens " + lowerFirst(FirstPerson(leaf)) + "?"
	case isStatement(words):
		q = "What should I do if " + lowerFirst(FirstPerson(leaf)) + "?"
	default:
		np := lowerFirst(FirstPerson(leaf))
		if plural(words[len(words)-1]) {
			q = "What are the " + strings.TrimPrefix(np, "the ") + "?"
		} else {
			q = "What should I know about " + withArticle(np) + "?"
		}
		vague = len(words) <= 1 && parent != ""
	}
	if vague {
		q = FirstPerson(strings.TrimSuffix(parent, "?")) + ": " + lowerFirst(q)
	}
	if prefix != "" {
		q = lowerFirst(q)
	}
	return prefix + q, howTo
}

// stepsQuestion asks for the steps of a heading's task.
func stepsQuestion(topic string) string {
	topic = strings.TrimSpace(strings.TrimSuffix(cleanInline(topic), "?"))
	words := strings.Fields(topic)
	if len(words) == 0 {
		return ""
	}
	first := strings.ToLower(words[0])
	switch {
	case imperativeVerbs[first]:
		return "What are the steps to " + lowerFirst(FirstPerson(topic)) + "?"
	case questionStarts[first]:
		return ""
	}
	return "What are the steps for " + withArticle(lowerFirst(FirstPerson(topic))) + "?"
}

// isStatement reports whether heading words read as a situation ("Your 2FA
// code isn't accepted", "I didn't get the e-mail") rather than a topic.
func isStatement(words []string) bool {
	if len(words) < 3 {
		return false
	}
	switch strings.ToLower(words[0]) {
	case "i", "i'm", "my", "you", "you're", "your", "we", "it":
		return true
	case "the", "a", "an", "this", "that":
		for _, w := range words[1:] {
			lw := strings.ToLower(strings.Trim(w, ",."))
			if strings.HasSuffix(lw, "n't") || lw == "is" || lw == "are" || lw == "was" || lw == "keeps" || lw == "fails" || lw == "stopped" {
				return true
			}
		}
	}
	return false
}

func plural(w string) bool {
	w = strings.ToLower(strings.Trim(w, `.,:;"')(`))
	if len(w) < 3 || !strings.HasSuffix(w, "s") {
		return false
	}
	for _, s := range []string{"ss", "us", "is", "ics"} {
		if strings.HasSuffix(w, s) {
			return false
		}
	}
	return true
}

func withArticle(np string) string {
	first := strings.ToLower(strings.Fields(np + " x")[0])
	switch first {
	case "the", "a", "an", "my", "your", "our", "this", "that", "these", "those", "each", "every", "any", "some":
		return np
	}
	if np != "" && unicode.IsUpper([]rune(np)[0]) {
		return np // a name: "Nimbus Pro"
	}
	if strings.HasSuffix(first, "ing") {
		return np // "sharing outside my workspace"
	}
	return "the " + np
}

func roleOf(group string) string {
	g := strings.ToLower(strings.TrimSpace(group))
	if plural(g) {
		g = strings.TrimSuffix(g, "s")
	}
	if g == "" {
		return "asking"
	}
	if strings.ContainsRune("aeiou", rune(g[0])) {
		return "an " + g
	}
	return "a " + g
}

// lowerFirst lower-cases the first letter unless the first word is an
// acronym or a name-like token (2FA, SAML, I).
func lowerFirst(s string) string {
	w := strings.Fields(s + " ")
	if len(w) == 0 {
		return s
	}
	first := strings.Trim(w[0], `"'“(`)
	if first == "I" || strings.HasPrefix(first, "I'") || isAcronym(first) {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[size:]
}

func isAcronym(w string) bool {
	upper, letters := 0, 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
		if unicode.IsDigit(r) {
			return true
		}
	}
	return letters > 1 && upper == letters
}

var wordRE = regexp.MustCompile(`[A-Za-z]+(?:['’][A-Za-z]+)?`)

// subjectCues are words after which "you" is a subject ("if you", "can you").
var subjectCues = toSet(`if when that and or but so before after until while once because where whether unless can could
do did will would should are have what how why than`)

// FirstPerson turns text addressed to the reader into the customer's own
// voice: your -> my, you're -> I'm, "you" -> "I" as a subject and "me" as
// an object ("if you sign in" -> "if I sign in"; "sends you" -> "sends me").
func FirstPerson(s string) string {
	locs := wordRE.FindAllStringIndex(s, -1)
	if len(locs) == 0 {
		return s
	}
	words := make([]string, len(locs))
	for i, l := range locs {
		words[i] = s[l[0]:l[1]]
	}
	out := append([]string(nil), words...)
	for i, w := range words {
		lw := strings.ToLower(strings.ReplaceAll(w, "’", "'"))
		var rep string
		switch lw {
		case "your":
			rep = "my"
		case "yours":
			rep = "mine"
		case "yourself":
			rep = "myself"
		case "you're":
			rep = "I'm"
		case "you've":
			rep = "I've"
		case "you'll":
			rep = "I'll"
		case "you'd":
			rep = "I'd"
		case "you":
			prev := ""
			if i > 0 {
				prev = strings.ToLower(words[i-1])
			}
			if i == 0 || subjectCues[prev] || sentenceStartBefore(s, locs[i][0]) {
				rep = "I"
				if i > 0 && prev == "are" {
					out[i-1] = matchCase(words[i-1], "am")
				}
				if i+1 < len(words) {
					switch strings.ToLower(words[i+1]) {
					case "are":
						out[i+1] = "am"
					case "were":
						out[i+1] = "was"
					case "aren't":
						out[i+1] = "am not"
					case "weren't":
						out[i+1] = "wasn't"
					}
				}
			} else {
				rep = "me"
			}
		default:
			continue
		}
		if rep != "I" && !strings.HasPrefix(rep, "I'") {
			rep = matchCase(w, rep)
		}
		out[i] = rep
	}
	var b strings.Builder
	last := 0
	for i, l := range locs {
		b.WriteString(s[last:l[0]])
		b.WriteString(out[i])
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func sentenceStartBefore(s string, at int) bool {
	t := strings.TrimRight(s[:at], " ")
	return t == "" || strings.HasSuffix(t, ".") || strings.HasSuffix(t, "?") || strings.HasSuffix(t, "!") || strings.HasSuffix(t, ":") || strings.HasSuffix(t, "—")
}

func matchCase(orig, rep string) string {
	r, _ := utf8.DecodeRuneInString(orig)
	if unicode.IsUpper(r) {
		rr, size := utf8.DecodeRuneInString(rep)
		return string(unicode.ToUpper(rr)) + rep[size:]
	}
	return rep
}

// Sentence patterns of rules and definitions.
var (
	ifRE       = regexp.MustCompile(`^If (.{6,120}?), (.+)$`)
	toRE       = regexp.MustCompile(`^To (.{4,100}?), (.+)$`)
	youCanRE   = regexp.MustCompile(`^You (can't|cannot|can not|can) (.+)$`)
	youMustRE  = regexp.MustCompile(`^You (must|need to|have to) (.+)$`)
	yourMustRE = regexp.MustCompile(`^Your ([\w-]+(?: [\w-]+)?) (must|can't|cannot|can) (.+)$`)
	subjVerbRE = regexp.MustCompile(`^((?:The |A |An |Each |Most |All )?[\w-]+(?: [\w-]+){0,3}) (costs?|expires?|takes? effect|works? for|lasts?|means|is for|are for|is an?|is (?:staffed|open|available)|are (?:staffed|open|available)|are) (.+)$`)
	clauseCut  = regexp.MustCompile(`(, (?:and|but|or|so) |[;:] |—| - | \()`)
	vagueRE    = regexp.MustCompile(`(?i)\b(it|its|one|them|this|that|these|those|there)\b`)
)

// sentenceQuestion derives a question from one sentence, or "".
func sentenceQuestion(s string, names map[string]bool) (string, string) {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ".") || wordCount(s) < 5 || wordCount(s) > 45 {
		return "", ""
	}
	body := strings.TrimSuffix(s, ".")
	if m := ifRE.FindStringSubmatch(body); m != nil {
		rest := strings.Fields(m[2])
		if len(rest) > 0 && imperativeVerbs[strings.ToLower(rest[0])] {
			return "What should I do if " + FirstPerson(m[1]) + "?", "rule"
		}
		return "What happens if " + FirstPerson(m[1]) + "?", "rule"
	}
	if m := toRE.FindStringSubmatch(body); m != nil {
		rest := strings.Fields(m[2])
		if len(rest) > 0 && imperativeVerbs[strings.ToLower(rest[0])] && !vagueRE.MatchString(m[1]) {
			return "How do I " + FirstPerson(m[1]) + "?", "rule"
		}
		return "", ""
	}
	if m := youCanRE.FindStringSubmatch(body); m != nil {
		if c := firstClause(m[2]); !vagueRE.MatchString(c) && wordCount(c) >= 3 {
			return "Can I " + FirstPerson(c) + "?", "rule"
		}
		return "", ""
	}
	if m := youMustRE.FindStringSubmatch(body); m != nil {
		if c := firstClause(m[2]); !vagueRE.MatchString(c) && wordCount(c) >= 3 {
			return "Do I have to " + FirstPerson(c) + "?", "rule"
		}
		return "", ""
	}
	if m := yourMustRE.FindStringSubmatch(body); m != nil {
		switch m[2] {
		case "must":
			return "Does my " + m[1] + " have to " + FirstPerson(firstClause(m[3])) + "?", "rule"
		default:
			return "Can my " + m[1] + " " + FirstPerson(firstClause(m[3])) + "?", "rule"
		}
	}
	if m := subjVerbRE.FindStringSubmatch(body); m != nil {
		subj := m[1]
		sw := strings.Fields(subj)
		switch strings.ToLower(sw[0]) {
		case "you", "your", "we", "it", "this", "that", "there", "they", "these", "those", "he", "she", "i", "if", "to", "when", "for", "in", "on", "at":
			return "", ""
		}
		if !unicode.IsUpper([]rune(subj)[0]) {
			return "", ""
		}
		np := subj
		if !names[sw[0]] && !(len(sw) == 1 && !plural(sw[0])) {
			np = lowerFirst(subj)
		}
		isPlural := plural(sw[len(sw)-1]) && !strings.EqualFold(sw[0], "each")
		do := "does"
		if isPlural {
			do = "do"
		}
		verb := m[2]
		switch {
		case strings.HasPrefix(verb, "cost"):
			return "How much " + do + " " + np + " cost?", "definition"
		case strings.HasPrefix(verb, "expire"):
			return "When " + do + " " + np + " expire?", "definition"
		case strings.HasPrefix(verb, "take"):
			return "When " + do + " " + np + " take effect?", "definition"
		case strings.HasPrefix(verb, "work"):
			return "How long " + do + " " + np + " work?", "definition"
		case strings.HasPrefix(verb, "last"):
			return "How long " + do + " " + np + " last?", "definition"
		case verb == "means":
			return "What does " + np + " mean?", "definition"
		case verb == "is for" || verb == "are for":
			return "Who " + strings.TrimSuffix(verb, " for") + " " + np + " for?", "definition"
		case strings.HasSuffix(verb, "staffed") || strings.HasSuffix(verb, "open") || strings.HasSuffix(verb, "available"):
			be, adj, _ := strings.Cut(verb, " ")
			return "When " + be + " " + np + " " + adj + "?", "definition"
		case verb == "is a" || verb == "is an":
			if len(sw) <= 4 {
				return "What is " + np + "?", "definition"
			}
		}
	}
	return "", ""
}

// firstClause cuts s at its first clause boundary (", and", ";", ":" ...).
func firstClause(s string) string {
	if loc := clauseCut.FindStringIndex(s); loc != nil && loc[0] > 0 {
		return strings.TrimSpace(s[:loc[0]])
	}
	return strings.TrimSpace(s)
}

// Paraphrase templates. Each rewrites a question (or returns "" when it
// does not apply); TemplateParaphrases picks among those that apply.
var (
	howDoIRE   = regexp.MustCompile(`^(?i:how do i) (.+)\?$`)
	whatIfRE   = regexp.MustCompile(`^(?i:what should i do (if|when)) (.+)\?$`)
	whatIsRE   = regexp.MustCompile(`^(?i:what (is|are)) (.+)\?$`)
	canIRE     = regexp.MustCompile(`^(?i:can i) (.+)\?$`)
	happensRE  = regexp.MustCompile(`^(?i:what happens (if|when)) (.+)\?$`)
	knowRE     = regexp.MustCompile(`^(?i:what should i know about) (.+)\?$`)
	stepsToRE  = regexp.MustCompile(`^(?i:what are the steps to) (.+)\?$`)
	rewordings = []func(q string) string{
		sub(howDoIRE, "How can I $1?"),
		sub(howDoIRE, "Is there a way to $1?"),
		sub(howDoIRE, "Can you tell me how to $1?"),
		sub(howDoIRE, "I need to $1. How?"),
		sub(howDoIRE, "What's the best way to $1?"),
		sub(whatIfRE, "What do I do $1 $2?"),
		sub(whatIfRE, "Help: $2. What now?"),
		sub(whatIsRE, "Can you explain $2?"),
		sub(whatIsRE, "Tell me about $2, please."),
		sub(canIRE, "Is it possible to $1?"),
		sub(canIRE, "Am I able to $1?"),
		sub(happensRE, "What happens to my account $1 $2?"),
		sub(happensRE, "$1 $2, what happens?"),
		sub(knowRE, "Can you tell me about $1?"),
		sub(knowRE, "I have a question about $1."),
		sub(stepsToRE, "Walk me through how to $1, please."),
		sub(stepsToRE, "How do I $1, step by step?"),
	}
	longWordRE      = regexp.MustCompile(`[A-Za-z]{6,}`)
	personaPrefixes = []string{"Hi! ", "Quick question: ", "Hey, ", "Sorry if this is obvious, but ", "I'm new here. ", "I'm on my phone, ", "Hello, "}
	politeSuffixes  = []string{" Thanks!", " Thanks in advance.", " Thank you.", " pls"}
)

func sub(re *regexp.Regexp, tmpl string) func(string) string {
	return func(q string) string {
		if !re.MatchString(q) {
			return ""
		}
		out := re.ReplaceAllString(q, tmpl)
		return strings.ToUpper(out[:1]) + out[1:]
	}
}

// TemplateParaphrases returns up to n rephrasings of question q made by
// templates — rewordings ("How do I" -> "Is there a way to"), greetings and
// personas, polite endings, casual lower case and one small typo — chosen
// deterministically from seed. They keep the question's meaning, so its
// answer still answers them.
func TemplateParaphrases(q string, seed uint64, n int) []string {
	q = strings.Join(strings.Fields(q), " ")
	if q == "" || n <= 0 {
		return nil
	}
	var rewords []string
	for _, f := range rewordings {
		if r := f(q); r != "" {
			rewords = append(rewords, r)
		}
	}
	pick := func(list []string, k uint64) string { return list[int((seed+k)%uint64(len(list)))] }
	join := func(prefix, q string) string { // "Hi! How ...", "Quick question: how ..."
		if strings.HasSuffix(prefix, ". ") || strings.HasSuffix(prefix, "! ") {
			return prefix + q
		}
		return prefix + lowerFirst(q)
	}
	alt := func(k uint64) string { // a rewording when there is one, else q
		if len(rewords) == 0 {
			return q
		}
		return pick(rewords, k)
	}
	var cands []string
	if len(rewords) > 0 {
		cands = append(cands, pick(rewords, 0))
	}
	cands = append(cands,
		join(pick(personaPrefixes, 0), q),
		casual(join(pick(personaPrefixes, 1), alt(1))),
		typo(join(pick(personaPrefixes, 2), alt(2)), seed),
		join(pick(personaPrefixes, 3), alt(1))+pick(politeSuffixes, 0),
		casual(alt(2)),
		q+pick(politeSuffixes, 1),
		typo(q, seed+1),
	)
	for k := 1; k < len(rewords); k++ {
		cands = append(cands, pick(rewords, uint64(k)))
	}
	seen := map[string]bool{questionKey(q): true}
	var out []string
	for _, c := range cands {
		k := questionKey(c)
		if c == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
		if len(out) == n {
			break
		}
	}
	return out
}

// casual writes q as a hurried customer would: lower case, no question mark.
func casual(q string) string {
	s := strings.ToLower(strings.TrimRight(q, "?.! "))
	s = strings.ReplaceAll(s, "i'm", "im")
	s = strings.ReplaceAll(s, "don't", "dont")
	s = strings.ReplaceAll(s, "can't", "cant")
	return s
}

// typo swaps two letters inside one longer word of q (chosen by seed).
func typo(q string, seed uint64) string {
	locs := longWordRE.FindAllStringIndex(q, -1)
	if len(locs) == 0 {
		return ""
	}
	l := locs[int(seed%uint64(len(locs)))]
	w := []byte(q[l[0]:l[1]])
	i := 1 + int(seed/7%uint64(len(w)-3))
	if w[i] == w[i+1] {
		w = append(w[:i], w[i+1:]...) // drop a doubled letter instead
	} else {
		w[i], w[i+1] = w[i+1], w[i]
	}
	return q[:l[0]] + string(w) + q[l[1]:]
}
