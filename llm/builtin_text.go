package llm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/synth-dev/synth/lexical"
)

// This file holds the built-in bot's text handling: content words with
// light stemming, and the split of a help-doc chunk into answer units
// (sentences, list items and table rows).

// stopWords are English function words and the filler of support
// questions; they carry no topic and are dropped before matching.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a about above after again against all am an and any anyone anything are aren as at
	be because been before being below between both but by can cannot could couldn did didn do does doesn doing don done down
	during each either else even ever every few for from further get gets getting got had hadn has hasn have haven having he
	her here hers herself him himself his how i if im in into is isn it its itself ive just let lets like ll me might mine more
	most much must mustn my myself need needs no nor not now of off on once one only or other ought our ours ourselves out over
	own please pls re really same shall she should shouldn so some something still such than thank thanks that thats the their
	theirs them themselves then there these they thing things this those though through thx to too under until up upon us ve
	very via want wants was wasn way we were weren what whats when where whether which while who whom whose why will with won
	would wouldn yes yet you youd your youre yours yourself yourselves hi hello hey ok okay also anyway anymore etc e g ie eg
	s t d m y o`) {
		stopWords[w] = true
	}
}

// words splits s into lower-case words: letters and digits, with
// apostrophes dropped ("don't" is "dont") and a one-letter prefix joined to
// what follows its hyphen ("e-mail" is "email"); other hyphens and every
// other symbol separate words.
func words(s string, dst []string) []string {
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			dst = append(dst, b.String())
			b.Reset()
		}
	}
	runes := 0 // runes in the current word
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			runes++
		case (r == '\'' || r == '’') && runes > 0:
			// "don't", "user's": drop the apostrophe, keep the word going
		case r == '-' && runes == 1 && i+size < len(s) && isLetterAt(s, i+size):
			// "e-mail" -> "email"
		default:
			flush()
			runes = 0
		}
		i += size
	}
	flush()
	return dst
}

func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// contentStems returns the distinct stems of the content words of s, in
// order of first appearance.
func contentStems(s string) []string {
	ws := words(s, nil)
	out := ws[:0]
	seen := make(map[string]bool, len(ws))
	for _, w := range ws {
		if stopWords[w] {
			continue
		}
		st := lexical.Stem(w)
		if seen[st] {
			continue
		}
		seen[st] = true
		out = append(out, st)
	}
	return out
}

// unitKind says where an answer unit came from.
type unitKind uint8

const (
	unitSentence unitKind = iota // a sentence of a paragraph
	unitItem                     // (part of) an item of an unordered list
	unitStep                     // (part of) an item of a numbered list
	unitRow                      // a table row
)

// unit is one answerable piece of a chunk: a sentence, a list item (or a
// sentence of one), or a table row rendered as a sentence.
type unit struct {
	text  string
	kind  unitKind
	block int // paragraph, list or table number within the chunk
	item  int // list item number within its block (steps: 1-based)
	stems []string
	words int // word count
	// local is the plain-text heading ("LIVE CHAT") the unit sits under.
	local string
}

// splitUnits splits a chunk's Markdown (or plain) text into answer units.
// Blank lines end paragraphs; list items and table rows are units of their
// own; a short all-capitals line of plain text is a heading: it is not a
// unit, and the units after it carry it in unit.local.
func splitUnits(text string) (units []unit) {
	var local string
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	block := 0
	var para []string
	var header []string // current table's header cells
	inList, inTable, listOrdered := false, false, false
	flushPara := func() {
		if len(para) == 0 {
			return
		}
		for _, s := range sentences(strings.Join(para, " ")) {
			units = append(units, unit{text: s, kind: unitSentence, block: block, local: local})
		}
		para = para[:0]
		block++
	}
	endBlock := func() {
		flushPara()
		if inList || inTable {
			block++
		}
		inList, inTable = false, false
		header = nil
	}
	item := 0
	for _, raw := range lines {
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			flushPara()
			if inTable {
				endBlock()
			}
			continue
		case strings.HasPrefix(line, "|"):
			flushPara()
			if !inTable {
				endBlock()
				inTable = true
			}
			cells := tableCells(line)
			switch {
			case header == nil:
				header = cells
			case isSeparatorRow(cells):
			default:
				if s := renderRow(header, cells); s != "" {
					units = append(units, unit{text: s, kind: unitRow, block: block, local: local})
				}
			}
			continue
		}
		if body, ordered, ok := listItem(line); ok {
			flushPara()
			if !inList || inTable || ordered != listOrdered {
				endBlock()
				inList, listOrdered = true, ordered
				item = 0
			}
			item++
			kind := unitItem
			if ordered {
				kind = unitStep
			}
			for _, s := range sentences(clean(body)) {
				units = append(units, unit{text: s, kind: kind, block: block, item: item, local: local})
			}
			continue
		}
		if inList && len(para) == 0 && (strings.HasPrefix(raw, "  ") || strings.HasPrefix(raw, "\t")) && len(units) > 0 {
			// continuation of a list item
			last := &units[len(units)-1]
			last.text = strings.TrimSpace(last.text + " " + clean(line))
			continue
		}
		if inList || inTable {
			endBlock()
		}
		if isCapsHeading(line) {
			flushPara()
			local = line
			continue
		}
		para = append(para, clean(line))
	}
	endBlock()
	for i := range units {
		u := &units[i]
		u.stems = contentStems(u.text)
		u.words = len(strings.Fields(u.text))
	}
	return units
}

// listItem recognises "- x", "* x", "+ x" and "1. x" / "1) x".
func listItem(line string) (body string, ordered, ok bool) {
	if len(line) >= 2 && strings.ContainsRune("-*+", rune(line[0])) && line[1] == ' ' {
		return strings.TrimSpace(line[2:]), false, true
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' ' {
		return strings.TrimSpace(line[i+2:]), true, true
	}
	return "", false, false
}

func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	parts := strings.Split(line, "|")
	for i, p := range parts {
		parts[i] = clean(strings.TrimSpace(p))
	}
	return parts
}

func isSeparatorRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

// renderRow renders a table row as a sentence: "Free: Price $0, Storage 5 GB
// in total, Largest file 250 MB."
func renderRow(header, cells []string) string {
	if len(cells) == 0 || cells[0] == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(cells[0])
	b.WriteString(":")
	for i := 1; i < len(cells); i++ {
		if cells[i] == "" {
			continue
		}
		if i > 1 {
			b.WriteString(",")
		}
		b.WriteString(" ")
		if i < len(header) && header[i] != "" {
			b.WriteString(header[i])
			b.WriteString(" ")
		}
		b.WriteString(cells[i])
	}
	b.WriteString(".")
	return b.String()
}

// isCapsHeading reports a short line of plain text in capitals ("LIVE CHAT").
func isCapsHeading(line string) bool {
	if len(line) > 40 {
		return false
	}
	letters := 0
	for _, r := range line {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 3
}

// clean removes Markdown emphasis and code marks and rewrites links as
// "text (url)".
func clean(s string) string {
	s = strings.NewReplacer("**", "", "__", "", "`", "").Replace(s)
	for {
		i := strings.Index(s, "](")
		if i < 0 {
			break
		}
		open := strings.LastIndex(s[:i], "[")
		end := strings.Index(s[i:], ")")
		if open < 0 || end < 0 {
			break
		}
		text, url := s[open+1:i], s[i+2:i+end]
		s = s[:open] + text + " (" + url + ")" + s[i+end+1:]
	}
	return strings.TrimSpace(s)
}

// sentences splits a paragraph after ".", "!" or "?" followed by a space
// and a capital letter, a digit or an opening quote or bracket. Dots inside
// words (URLs, file names, "e.g.") do not split.
func sentences(p string) []string {
	p = strings.Join(strings.Fields(p), " ")
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(p) && (p[j] == '"' || p[j] == '\'' || p[j] == ')') {
			j++
		}
		if j >= len(p) || p[j] != ' ' || j+1 >= len(p) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(p[j+1:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || r == '"' || r == '(' || r == '“') {
			continue
		}
		if c == '.' && isAbbrev(p[start:i]) {
			continue
		}
		out = append(out, strings.TrimSpace(p[start:j]))
		start = j + 1
	}
	if rest := strings.TrimSpace(p[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// isAbbrev reports whether s ends with an abbreviation whose dot does not
// end a sentence.
func isAbbrev(s string) bool {
	k := strings.LastIndexByte(s, ' ')
	last := strings.ToLower(s[k+1:])
	switch last {
	case "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "no", "approx", "incl":
		return true
	}
	return false
}
