package validators

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quantity is a number found in text, with its unit normalised: durations in
// seconds, money per currency, sizes in bytes, percentages, dates as days
// since 1970-01-01, years, times of day in minutes, and counts of a noun
// ("5 devices").
type Quantity struct {
	// Text is the quantity as written ("24 hours", "$10", "thirty days").
	Text string
	// Start and End are Text's byte offsets in the input.
	Start, End int
	// Dim is the kind of quantity: duration, money:USD, size, percent, date,
	// monthday, year, time, count:<noun>, or number (a bare number).
	Dim string
	// Value is in the dimension's base unit (seconds, currency units, bytes,
	// percent, days, minutes, ...).
	Value float64
	// Tol is how far from Value the true value may be given how the number
	// was written: half a unit in the last written decimal ("2.4 billion"
	// is 2.35–2.45 billion), or more for hedged round numbers ("about 2,000").
	// Plain integers are exact (0).
	Tol float64
	// Unit is the unit as normalised ("hour", "USD", "GB"); empty for bare
	// numbers and dates.
	Unit string
	// Implied marks a quantity derived from another (the year of a full
	// date); it is compared but not reported on its own.
	Implied bool
}

// Agrees reports whether q and o can describe the same value: same
// dimension, and values within the tolerance either was written with. When
// they are written in different units (24 hours vs 1 day), a 3% relative
// slack absorbs calendar and binary-prefix conventions (a month is 30.44
// days; 1 GB may be 1000 or 1024 MB).
func (q Quantity) Agrees(o Quantity) bool {
	if q.Dim != o.Dim {
		return false
	}
	diff := math.Abs(q.Value - o.Value)
	slack := math.Max(q.Tol, o.Tol) + 1e-9*math.Max(math.Abs(q.Value), math.Abs(o.Value))
	if q.Unit != o.Unit {
		slack += 0.03 * math.Max(math.Abs(q.Value), math.Abs(o.Value))
	}
	return diff <= slack
}

// lexeme is a piece of raw text: a word, a number or one symbol.
type lexeme struct {
	kind       byte // 'w' word, 'n' number, 's' symbol
	text       string
	start, end int
	space      bool // white space precedes it
}

// lex splits s into words (letters and apostrophes), numbers (digits with
// internal , or . between digits) and single symbols; white space separates.
func lex(s string, dst []lexeme) []lexeme {
	dst = dst[:0]
	space := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
			i += size
			continue
		case r < utf8.RuneSelf && r >= '0' && r <= '9':
			j := i + 1
			for j < len(s) {
				c := s[j]
				if c >= '0' && c <= '9' {
					j++
					continue
				}
				if (c == ',' || c == '.') && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' {
					j += 2
					continue
				}
				break
			}
			dst = append(dst, lexeme{'n', s[i:j], i, j, space})
			i = j
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			j := i + size
			for j < len(s) {
				r2, s2 := utf8.DecodeRuneInString(s[j:])
				if unicode.IsLetter(r2) || unicode.Is(unicode.Mn, r2) {
					j += s2
					continue
				}
				if (r2 == '\'' || r2 == '’') && j+s2 < len(s) {
					r3, _ := utf8.DecodeRuneInString(s[j+s2:])
					if unicode.IsLetter(r3) {
						j += s2
						continue
					}
				}
				break
			}
			dst = append(dst, lexeme{'w', s[i:j], i, j, space})
			i = j
		default:
			dst = append(dst, lexeme{'s', s[i : i+size], i, i + size, space})
			i += size
		}
		space = false
	}
	return dst
}

// unitInfo describes a unit word.
type unitInfo struct {
	dim    string
	factor float64
	unit   string
}

var (
	second = 1.0
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour
	week   = 7 * day
	month  = 30.436875 * day
	year   = 365.2425 * day
)

// units maps lower-case unit words to their dimension and factor.
var units = map[string]unitInfo{
	"second": {"duration", second, "second"}, "seconds": {"duration", second, "second"}, "sec": {"duration", second, "second"}, "secs": {"duration", second, "second"},
	"minute": {"duration", minute, "minute"}, "minutes": {"duration", minute, "minute"}, "min": {"duration", minute, "minute"}, "mins": {"duration", minute, "minute"},
	"hour": {"duration", hour, "hour"}, "hours": {"duration", hour, "hour"}, "hr": {"duration", hour, "hour"}, "hrs": {"duration", hour, "hour"}, "h": {"duration", hour, "hour"},
	"day": {"duration", day, "day"}, "days": {"duration", day, "day"},
	"week": {"duration", week, "week"}, "weeks": {"duration", week, "week"}, "wk": {"duration", week, "week"}, "wks": {"duration", week, "week"},
	"month": {"duration", month, "month"}, "months": {"duration", month, "month"}, "mo": {"duration", month, "month"}, "mos": {"duration", month, "month"},
	"year": {"duration", year, "year"}, "years": {"duration", year, "year"}, "yr": {"duration", year, "year"}, "yrs": {"duration", year, "year"},
	"decade": {"duration", 10 * year, "decade"}, "decades": {"duration", 10 * year, "decade"},
	"century": {"duration", 100 * year, "century"}, "centuries": {"duration", 100 * year, "century"},

	"usd": {"money:USD", 1, "USD"}, "dollar": {"money:USD", 1, "USD"}, "dollars": {"money:USD", 1, "USD"}, "bucks": {"money:USD", 1, "USD"},
	"cent": {"money:USD", 0.01, "USD"}, "cents": {"money:USD", 0.01, "USD"},
	"eur": {"money:EUR", 1, "EUR"}, "euro": {"money:EUR", 1, "EUR"}, "euros": {"money:EUR", 1, "EUR"},
	"gbp": {"money:GBP", 1, "GBP"}, "pound": {"money:GBP", 1, "GBP"}, "pounds": {"money:GBP", 1, "GBP"}, "quid": {"money:GBP", 1, "GBP"},
	"pence": {"money:GBP", 0.01, "GBP"},
	"jpy":   {"money:JPY", 1, "JPY"}, "yen": {"money:JPY", 1, "JPY"},
	"inr": {"money:INR", 1, "INR"}, "rupee": {"money:INR", 1, "INR"}, "rupees": {"money:INR", 1, "INR"},
	"cad": {"money:CAD", 1, "CAD"}, "aud": {"money:AUD", 1, "AUD"}, "chf": {"money:CHF", 1, "CHF"},

	"b": {"size", 1, "B"}, "byte": {"size", 1, "B"}, "bytes": {"size", 1, "B"},
	"kb": {"size", 1e3, "KB"}, "kilobyte": {"size", 1e3, "KB"}, "kilobytes": {"size", 1e3, "KB"}, "kib": {"size", 1 << 10, "KiB"},
	"mb": {"size", 1e6, "MB"}, "megabyte": {"size", 1e6, "MB"}, "megabytes": {"size", 1e6, "MB"}, "mib": {"size", 1 << 20, "MiB"},
	"gb": {"size", 1e9, "GB"}, "gigabyte": {"size", 1e9, "GB"}, "gigabytes": {"size", 1e9, "GB"}, "gib": {"size", 1 << 30, "GiB"},
	"tb": {"size", 1e12, "TB"}, "terabyte": {"size", 1e12, "TB"}, "terabytes": {"size", 1e12, "TB"}, "tib": {"size", 1 << 40, "TiB"},

	"percent": {"percent", 1, "%"}, "pct": {"percent", 1, "%"}, "percentage": {"percent", 1, "%"},
}

// currencySymbols precede amounts.
var currencySymbols = map[string]unitInfo{
	"$": {"money:USD", 1, "USD"}, "€": {"money:EUR", 1, "EUR"}, "£": {"money:GBP", 1, "GBP"},
	"¥": {"money:JPY", 1, "JPY"}, "₹": {"money:INR", 1, "INR"},
}

// multipliers scale the number before them.
var multipliers = map[string]float64{
	"hundred": 100, "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6,
	"billion": 1e9, "bn": 1e9, "trillion": 1e12,
}

// numberWords are spelled-out numbers.
var numberWords = map[string]float64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
	"seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}

// ordinalWords are spelled-out ordinals.
var ordinalWords = map[string]float64{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
	"fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
	"nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

var monthNames = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

// hedges make a round number approximate.
var hedges = map[string]bool{
	"about": true, "around": true, "approximately": true, "approx": true, "roughly": true,
	"nearly": true, "almost": true, "circa": true, "ca": true, "some": true, "estimated": true,
}

// countStop are words after a number that are not the thing counted.
var countStop = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "of": true, "to": true, "in": true,
	"on": true, "at": true, "by": true, "for": true, "from": true, "with": true, "is": true,
	"are": true, "was": true, "were": true, "be": true, "it": true, "this": true, "that": true,
	"per": true, "more": true, "less": true, "than": true, "times": true, "or so": true,
	"am": true, "pm": true, "st": true, "nd": true, "rd": true, "th": true, "as": true, "if": true,
	"then": true, "but": true, "so": true, "you": true, "your": true, "we": true, "i": true,
	"he": true, "she": true, "they": true, "can": true, "will": true, "after": true, "before": true,
	"until": true, "later": true, "ago": true, "up": true, "each": true, "every": true,
}

// ExtractQuantities finds the quantities in s, in order. It never fails:
// text it cannot read as a quantity is skipped.
func ExtractQuantities(s string) []Quantity {
	x := quantityExtractor{}
	return x.extract(s, nil)
}

// quantityExtractor holds reusable buffers.
type quantityExtractor struct {
	lex []lexeme
}

// number is a parsed numeric value at lexemes [i, j).
type number struct {
	value, tol float64
	i, j       int
	ordinal    bool
	integer    bool // written as digits without decimals
	digits     int  // count of digits, for years
	word       bool // spelled out
}

func (x *quantityExtractor) extract(s string, dst []Quantity) []Quantity {
	x.lex = lex(s, x.lex)
	L := x.lex
	lower := func(i int) string {
		if i < 0 || i >= len(L) {
			return ""
		}
		return strings.ToLower(L[i].text)
	}
	for i := 0; i < len(L); {
		// Dates first: "March 3, 2024", "3 March 2024", "2024-03-03", "March 2024".
		if q, n := parseDate(s, L, i); n > 0 {
			dst = append(dst, q...)
			i += n
			continue
		}
		// Currency symbol or code before a number: "$10", "USD 10".
		var cur *unitInfo
		at := i
		switch {
		case L[i].kind == 's':
			if u, ok := currencySymbols[L[i].text]; ok && i+1 < len(L) && L[i+1].kind == 'n' && !L[i+1].space {
				cur = &u
				at = i + 1
			} else {
				i++
				continue
			}
		case L[i].kind == 'w' && len(L[i].text) == 3 && strings.ToUpper(L[i].text) == L[i].text && i+1 < len(L) && L[i+1].kind == 'n':
			if u, ok := units[strings.ToLower(L[i].text)]; ok && strings.HasPrefix(u.dim, "money:") {
				cur = &u
				at = i + 1
			}
		}
		num, ok := parseNumber(L, at)
		if !ok {
			i++
			continue
		}
		j := num.j
		q := Quantity{Start: L[i].start, Value: num.value, Tol: num.tol}
		hedged := hedges[lower(i-1)] || (i > 0 && L[i-1].text == "~")
		if hedged && num.integer && num.tol == 0 {
			q.Tol = roundTol(num.value)
		}
		switch {
		case cur != nil:
			q.Dim, q.Unit = cur.dim, cur.unit
			q.Value *= cur.factor
			q.Tol *= cur.factor
		case j < len(L) && L[j].text == "%":
			q.Dim, q.Unit = "percent", "%"
			j++
		case j+1 < len(L) && lower(j) == "per" && lower(j+1) == "cent":
			q.Dim, q.Unit = "percent", "%"
			j += 2
		case num.integer && num.value >= 1 && num.value <= 12 && ampm(L, j) != 0:
			pm, n := ampmAt(L, j)
			h := math.Mod(num.value, 12)
			if pm {
				h += 12
			}
			q.Dim, q.Value, q.Tol, q.Unit = "time", h*60, 0, ""
			j += n
		case j+1 < len(L) && L[j].text == ":" && !L[j].space && L[j+1].kind == 'n' && !L[j+1].space && len(L[j+1].text) == 2 && num.integer && num.value < 24:
			m, _ := strconv.Atoi(L[j+1].text)
			h := num.value
			j += 2
			if pm, n := ampmAt(L, j); n > 0 {
				h = math.Mod(h, 12)
				if pm {
					h += 12
				}
				j += n
			}
			q.Dim, q.Value, q.Tol = "time", h*60+float64(m), 0
		default:
			w := lower(j)
			// "5 business days", "3 working days"
			if (w == "business" || w == "working" || w == "calendar") && j+1 < len(L) {
				if u, ok := units[lower(j+1)]; ok && u.dim == "duration" {
					j++
					w = lower(j)
				}
			}
			if u, ok := units[w]; ok && (w != "b" && w != "h" || !L[j].space) && !(w == "second" && num.ordinal) {
				q.Dim, q.Unit = u.dim, u.unit
				q.Value *= u.factor
				q.Tol *= u.factor
				j++
				// "$10 per month", "10 USD/month": the period is part of the unit
				if q.Dim != "duration" && j+1 < len(L) && (lower(j) == "per" || L[j].text == "/") {
					if p, ok := units[lower(j+1)]; ok && p.dim == "duration" {
						q.Unit += "/" + p.unit
						q.Dim += "/" + p.unit
						j += 2
					}
				}
				break
			}
			if num.ordinal {
				q.Dim = "ordinal"
				break
			}
			if num.integer && num.digits == 4 && num.value >= 1000 && num.value <= 2999 && !isCountNoun(w) {
				q.Dim, q.Tol = "year", 0
				break
			}
			if w != "" && L[j].kind == 'w' && isCountNoun(w) {
				q.Dim, q.Unit = "count:"+singular(w), singular(w)
				j++
				break
			}
			q.Dim = "number"
		}
		// Currency written after the unit-less number: "10 USD" handled above;
		// a per-period after a currency symbol: "$10/month".
		if cur != nil && j+1 < len(L) && (lower(j) == "per" || L[j].text == "/") {
			if p, ok := units[lower(j+1)]; ok && p.dim == "duration" {
				q.Unit += "/" + p.unit
				q.Dim += "/" + p.unit
				j += 2
			}
		}
		q.End = L[j-1].end
		q.Text = s[q.Start:q.End]
		dst = append(dst, q)
		i = j
	}
	return dst
}

// ampm returns the number of lexemes of an "am"/"pm" marker at L[j] ("am",
// "PM", "a.m.", "p.m"), or 0.
func ampm(L []lexeme, j int) int {
	_, n := ampmAt(L, j)
	return n
}

func ampmAt(L []lexeme, j int) (pm bool, n int) {
	if j >= len(L) || L[j].kind != 'w' {
		return false, 0
	}
	w := strings.ToLower(L[j].text)
	switch w {
	case "am", "pm":
		return w == "pm", 1
	case "a", "p":
		// a.m. / p.m.
		if j+2 < len(L) && L[j+1].text == "." && !L[j+1].space && strings.EqualFold(L[j+2].text, "m") && !L[j+2].space {
			n = 3
			if j+3 < len(L) && L[j+3].text == "." && !L[j+3].space {
				n = 4
			}
			return w == "p", n
		}
	}
	return false, 0
}

// isCountNoun reports whether w (lower case) can be the noun a number counts.
func isCountNoun(w string) bool {
	if len(w) < 2 || countStop[w] {
		return false
	}
	if _, ok := monthNames[w]; ok {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// singular strips an English plural ending, for matching "1 device" with "2 devices".
func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

// roundTol is the tolerance of a hedged round integer: half of its lowest
// non-zero digit's place ("about 2,000" is 1,500–2,500).
func roundTol(v float64) float64 {
	if v == 0 {
		return 0
	}
	p := 1.0
	for v >= p*10 && math.Mod(v, p*10) == 0 {
		p *= 10
	}
	return p / 2
}

// parseNumber reads a number at L[i]: digits ("1,000.5", "10k", "3rd"),
// spelled-out words ("twenty-four", "two hundred"), with an optional
// multiplier ("2.4 billion").
func parseNumber(L []lexeme, i int) (number, bool) {
	if i >= len(L) {
		return number{}, false
	}
	n := number{i: i}
	switch L[i].kind {
	case 'n':
		text := L[i].text
		// a comma is a thousands separator only in groups of three
		clean, decimals, ok := cleanDigits(text)
		if !ok {
			return number{}, false
		}
		v, err := strconv.ParseFloat(clean, 64)
		if err != nil {
			return number{}, false
		}
		n.value = v
		n.integer = decimals == 0
		n.digits = len(clean)
		if decimals > 0 {
			n.tol = 0.5 * math.Pow(10, -float64(decimals))
		}
		n.j = i + 1
		// glued suffixes: "3rd", "10k", "10GB", "9am" are lexed as number + word without space
		if n.j < len(L) && L[n.j].kind == 'w' && !L[n.j].space {
			w := strings.ToLower(L[n.j].text)
			switch w {
			case "st", "nd", "rd", "th":
				n.ordinal = true
				n.j++
			}
		}
	case 'w':
		w := strings.ToLower(L[i].text)
		if v, ok := ordinalWords[w]; ok {
			// "first" alone is too common to be a number ("first, open ...");
			// only ordinals followed by a noun are read.
			n.value, n.ordinal, n.word, n.j = v, true, true, i+1
			if n.j >= len(L) || L[n.j].kind != 'w' || countStop[strings.ToLower(L[n.j].text)] {
				return number{}, false
			}
			return n, true
		}
		v, ok := numberWords[w]
		if !ok {
			if w == "a" || w == "an" {
				// "a hundred", "a dozen"
				if i+1 < len(L) {
					nx := strings.ToLower(L[i+1].text)
					if m, ok := multipliers[nx]; ok && m >= 100 {
						return number{value: m, i: i, j: i + 2, word: true, integer: true}, true
					}
					if nx == "dozen" {
						return number{value: 12, i: i, j: i + 2, word: true, integer: true}, true
					}
				}
			}
			return number{}, false
		}
		// "one" is a pronoun as often as a number: read it only before a noun or unit
		n.value, n.word, n.integer, n.j = v, true, true, i+1
		// "twenty-four", "twenty four"
		if v >= 20 && v < 100 && math.Mod(v, 10) == 0 {
			k := n.j
			if k < len(L) && L[k].text == "-" && !L[k].space {
				k++
			}
			if k < len(L) && L[k].kind == 'w' {
				if u, ok := numberWords[strings.ToLower(L[k].text)]; ok && u >= 1 && u <= 9 {
					n.value += u
					n.j = k + 1
				}
			}
		}
		if w == "one" {
			if n.j >= len(L) || L[n.j].kind != 'w' || countStop[strings.ToLower(L[n.j].text)] {
				return number{}, false
			}
		}
	default:
		return number{}, false
	}
	// multiplier: "2.4 billion", "10k", "two hundred", "1.5bn"
	if n.j < len(L) && L[n.j].kind == 'w' {
		w := strings.ToLower(L[n.j].text)
		if m, ok := multipliers[w]; ok && (w != "k" || !L[n.j].space) {
			n.value *= m
			if n.tol == 0 {
				n.tol = 0 // exact: "2 million" means 2,000,000 unless hedged
			} else {
				n.tol *= m
			}
			n.integer = n.integer && n.tol == 0
			n.digits = 0
			n.j++
			// "two hundred thousand"
			if n.j < len(L) {
				if m2, ok := multipliers[strings.ToLower(L[n.j].text)]; ok && m2 > m {
					n.value *= m2
					n.tol *= m2
					n.j++
				}
			}
		}
	}
	return n, true
}

// cleanDigits removes thousands separators from a digit string and reports
// how many decimals it has; "1,000.5" -> "1000.5", 1. A comma followed by
// other than three digits is a decimal comma ("2,5" -> "2.5").
func cleanDigits(t string) (string, int, bool) {
	if !strings.ContainsAny(t, ",.") {
		return t, 0, true
	}
	groups := strings.Split(t, ",")
	thousands := len(groups) > 1
	for k, g := range groups[1:] {
		digits := g
		if k == len(groups)-2 {
			if dot := strings.IndexByte(g, '.'); dot >= 0 {
				digits = g[:dot]
			}
		}
		if len(digits) != 3 {
			thousands = false
		}
	}
	var b strings.Builder
	if thousands {
		for _, g := range groups {
			b.WriteString(g)
		}
	} else if len(groups) == 2 && !strings.Contains(t, ".") {
		b.WriteString(groups[0] + "." + groups[1]) // decimal comma
	} else {
		b.WriteString(strings.ReplaceAll(t, ",", ""))
	}
	out := b.String()
	if strings.Count(out, ".") > 1 {
		return "", 0, false // a version number or an IP address, not a quantity
	}
	dec := 0
	if dot := strings.IndexByte(out, '.'); dot >= 0 {
		dec = len(out) - dot - 1
	}
	return out, dec, true
}

// parseDate reads a calendar date at L[i] and returns its quantities (the
// date and, when it has a year, the year as an implied quantity) and how many
// lexemes it used.
func parseDate(s string, L []lexeme, i int) ([]Quantity, int) {
	word := func(k int) string {
		if k >= len(L) || L[k].kind != 'w' {
			return ""
		}
		return strings.ToLower(L[k].text)
	}
	num := func(k int, lo, hi float64) (float64, bool) {
		if k >= len(L) || L[k].kind != 'n' || strings.ContainsAny(L[k].text, ",.") {
			return 0, false
		}
		v, err := strconv.ParseFloat(L[k].text, 64)
		return v, err == nil && v >= lo && v <= hi
	}
	isYear := func(k int) (float64, bool) {
		if k >= len(L) || L[k].kind != 'n' || len(L[k].text) != 4 {
			return 0, false
		}
		return num(k, 1000, 2999)
	}
	skipOrd := func(k int) int { // "3rd", "the 3rd of"
		if w := word(k); (w == "st" || w == "nd" || w == "rd" || w == "th") && !L[k].space {
			return k + 1
		}
		return k
	}
	skipComma := func(k int) int {
		if k < len(L) && L[k].text == "," {
			return k + 1
		}
		return k
	}
	build := func(y, m, d float64, hasYear, hasDay bool, end int) ([]Quantity, int) {
		q := Quantity{Start: L[i].start, End: L[end-1].end}
		q.Text = s[q.Start:q.End]
		switch {
		case hasYear && hasDay:
			q.Dim, q.Value, q.Tol = "date", daysSinceEpoch(int(y), int(m), int(d)), 0
		case hasYear: // "March 1995": the whole month
			first := daysSinceEpoch(int(y), int(m), 1)
			last := daysSinceEpoch(int(y), int(m)+1, 1) - 1
			q.Dim, q.Value, q.Tol = "date", (first+last)/2, (last-first)/2
		default: // "March 3": a day of any year
			q.Dim, q.Value, q.Tol = "monthday", m*100+d, 0
		}
		out := []Quantity{q}
		if hasYear {
			out = append(out, Quantity{Text: q.Text, Start: q.Start, End: q.End, Dim: "year", Value: y, Implied: true})
		}
		return out, end - i
	}
	// ISO: 2024-03-03
	if y, ok := isYear(i); ok && i+4 < len(L) && L[i+1].text == "-" && L[i+3].text == "-" {
		if m, ok := num(i+2, 1, 12); ok && len(L[i+2].text) == 2 {
			if d, ok := num(i+4, 1, 31); ok && len(L[i+4].text) == 2 {
				return build(y, m, d, true, true, i+5)
			}
		}
	}
	// Month [D[th]][,] [YYYY]
	if m, ok := monthNames[word(i)]; ok {
		if word(i) == "may" || word(i) == "mar" || word(i) == "dec" || word(i) == "jan" {
			// also ordinary words or names: require a following day or year
			if _, okd := num(i+1, 1, 31); !okd {
				if _, oky := isYear(i + 1); !oky {
					return nil, 0
				}
			}
		}
		k := i + 1
		if k < len(L) && L[k].text == "." && !L[k].space { // "Sept."
			k++
		}
		if d, ok := num(k, 1, 31); ok && len(L[k].text) <= 2 {
			k2 := skipComma(skipOrd(k + 1))
			if y, ok := isYear(k2); ok {
				return build(y, float64(m), d, true, true, k2+1)
			}
			return build(0, float64(m), d, false, true, skipOrd(k+1))
		}
		if y, ok := isYear(skipComma(k)); ok {
			return build(y, float64(m), 0, true, false, skipComma(k)+1)
		}
		return nil, 0
	}
	// D[th] [of] Month [YYYY]
	if d, ok := num(i, 1, 31); ok && len(L[i].text) <= 2 {
		k := skipOrd(i + 1)
		if word(k) == "of" {
			k++
		}
		if m, ok := monthNames[word(k)]; ok {
			k2 := skipComma(k + 1)
			if y, ok := isYear(k2); ok {
				return build(y, float64(m), d, true, true, k2+1)
			}
			return build(0, float64(m), d, false, true, k+1)
		}
	}
	return nil, 0
}

// daysSinceEpoch returns the day number of a proleptic Gregorian date
// (month may be 13: the first of the next year's January).
func daysSinceEpoch(y, m, d int) float64 {
	if m > 12 {
		y, m = y+1, m-12
	}
	// Howard Hinnant's days_from_civil.
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return float64(era*146097 + doe - 719468)
}
