package validators

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// LinkKind is the kind of a reference found in text.
type LinkKind string

// The kinds of references [ExtractLinks] finds.
const (
	LinkURL    LinkKind = "link"
	LinkDomain LinkKind = "domain"
	LinkEmail  LinkKind = "e-mail"
	LinkPhone  LinkKind = "phone number"
	LinkPath   LinkKind = "menu path"
)

// Link is a URL, bare domain, e-mail address, phone number or UI menu path
// found in text.
type Link struct {
	Kind LinkKind
	// Text is the reference as written.
	Text string
	// Norm is its normalised form: URLs and domains lower case without
	// scheme, "www." or trailing slash; e-mails lower case; phone numbers
	// digits only; menu paths lower-case segments joined by " > ".
	Norm string
	// Start and End are Text's byte offsets in the input.
	Start, End int
	// Segments are a menu path's normalised segments.
	Segments []string
}

// tlds are the top-level domains a bare domain may end with. File
// extensions that are also country codes (md, py, sh, rs, pl, ps, so) are
// left out so that "README.md" is not a domain; with a scheme any TLD works.
var tlds = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`com org net io ai app dev co edu gov mil int info biz me us uk de fr es it nl be ch at se no
	dk fi ie pt pl cz ru ua jp cn kr in au nz ca br mx ar cl za ng ke eg tr il ae sa sg hk tw my id th vn ph
	eu asia xyz tech cloud online site store shop help support page blog news email link live pro tv fm gg ly
	to cc ws la ai sh page docs example test`) {
		tlds[t] = true
	}
	for _, x := range []string{"md", "py", "rs", "pl", "ps", "so", "sh"} {
		delete(tlds, x)
	}
}

// ExtractLinks finds URLs, bare domains, e-mail addresses, phone numbers and
// UI menu paths ("Settings > Account > Delete account", "Settings → Privacy")
// in s, in order. It never fails: text it cannot read is skipped.
func ExtractLinks(s string) []Link {
	return extractLinks(s, nil)
}

func extractLinks(s string, dst []Link) []Link {
	dst = dst[:0]
	if strings.IndexByte(s, '.') >= 0 || strings.IndexByte(s, '@') >= 0 {
		dst = extractHosts(s, dst)
	}
	dst = extractPhones(s, dst)
	if hasPathSeparator(s) {
		dst = extractPaths(s, dst)
	}
	// order by position (the extractors each return in order)
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j].Start < dst[j-1].Start; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

// hasPathSeparator reports whether s contains >, →, » or ›. (strings.ContainsAny
// with non-ASCII characters is slow.)
func hasPathSeparator(s string) bool {
	return strings.IndexByte(s, '>') >= 0 || strings.Contains(s, "→") || strings.Contains(s, "»") || strings.Contains(s, "›")
}

func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func isEmailLocalByte(c byte) bool {
	return isHostByte(c) || c == '_' || c == '+' || c == '%'
}

// isURLByte reports whether c may continue a URL's path.
func isURLByte(c byte) bool {
	if c >= 0x80 {
		return true
	}
	switch c {
	case '<', '>', '"', '\'', '{', '}', '|', '\\', '^', '`':
		return false
	}
	return c > ' '
}

// extractHosts finds URLs, e-mails and bare domains.
func extractHosts(s string, dst []Link) []Link {
	covered := 0 // bytes before this are part of an earlier match
	for i := 0; i < len(s); i++ {
		if s[i] != '.' || i < covered || i == 0 || i+1 >= len(s) {
			continue
		}
		if !isHostByte(s[i-1]) || s[i-1] == '.' || s[i-1] == '-' || !(s[i+1] >= 'a' && s[i+1] <= 'z' || s[i+1] >= 'A' && s[i+1] <= 'Z' || s[i+1] >= '0' && s[i+1] <= '9') {
			continue
		}
		start := i
		for start > covered && isHostByte(s[start-1]) {
			start--
		}
		end := i + 1
		for end < len(s) && isHostByte(s[end]) {
			end++
		}
		host := strings.Trim(s[start:end], ".-")
		start += strings.Index(s[start:end], host)
		end = start + len(host)
		if !strings.Contains(host, ".") {
			continue
		}
		last := strings.ToLower(host[strings.LastIndexByte(host, '.')+1:])
		scheme := ""
		for _, sc := range []string{"https://", "http://"} {
			if start >= len(sc) && strings.EqualFold(s[start-len(sc):start], sc) {
				scheme = sc
			}
		}
		email := start > 0 && s[start-1] == '@'
		if scheme == "" && !tlds[last] {
			covered = end
			continue
		}
		if !validHost(host) {
			covered = end
			continue
		}
		switch {
		case email:
			ls := start - 1
			for ls > 0 && isEmailLocalByte(s[ls-1]) {
				ls--
			}
			if ls == start-1 {
				covered = end
				continue
			}
			text := s[ls:end]
			dst = append(dst, Link{Kind: LinkEmail, Text: text, Norm: strings.ToLower(text), Start: ls, End: end})
		default:
			us := start - len(scheme)
			ue := end
			hasPath := false
			if ue < len(s) && (s[ue] == '/' || s[ue] == ':' || s[ue] == '?' || s[ue] == '#') {
				for ue < len(s) && isURLByte(s[ue]) {
					ue++
				}
				ue = trimURLEnd(s, us, ue)
				hasPath = ue > end
			}
			text := s[us:ue]
			kind := LinkDomain
			if scheme != "" || hasPath {
				kind = LinkURL
			}
			dst = append(dst, Link{Kind: kind, Text: text, Norm: normURL(text), Start: us, End: ue})
			end = ue
		}
		covered = end
	}
	return dst
}

// validHost reports whether h is a plausible host name: labels of letters,
// digits and inner hyphens, not all digits (an IP or a decimal number).
func validHost(h string) bool {
	digitsOnly := true
	for _, label := range strings.Split(h, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' || len(label) > 63 {
			return false
		}
		for k := 0; k < len(label); k++ {
			if !(label[k] >= '0' && label[k] <= '9') {
				digitsOnly = false
			}
		}
	}
	return !digitsOnly
}

// trimURLEnd drops trailing sentence punctuation and unbalanced closing
// brackets from the URL s[start:end].
func trimURLEnd(s string, start, end int) int {
	for end > start {
		c := s[end-1]
		switch {
		case strings.IndexByte(".,;:!?*_", c) >= 0:
			end--
			continue
		case c == ')' || c == ']':
			open := byte('(')
			if c == ']' {
				open = '['
			}
			if strings.Count(s[start:end], string(open)) < strings.Count(s[start:end], string(c)) {
				end--
				continue
			}
		}
		break
	}
	return end
}

// normURL lower-cases a URL or domain and drops its scheme, "www.", trailing
// slashes and fragment.
func normURL(u string) string {
	u = strings.ToLower(u)
	for _, sc := range []string{"https://", "http://"} {
		u = strings.TrimPrefix(u, sc)
	}
	u = strings.TrimPrefix(u, "www.")
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	return strings.TrimRight(u, "/")
}

// urlHost returns the host part of a normalised URL.
func urlHost(norm string) string {
	if i := strings.IndexAny(norm, "/:?"); i >= 0 {
		return norm[:i]
	}
	return norm
}

// extractPhones finds phone numbers: 7 to 15 digits in groups separated by
// spaces, hyphens, dots or an area code in parentheses, with a leading +,
// parentheses, hyphen/dot separators ending in a group of 4 or more digits,
// or the 3-3-4 pattern. Dates, decimals, IP addresses and lists of numbers
// do not qualify.
func extractPhones(s string, dst []Link) []Link {
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits < 7 {
		return dst
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '+' || c == '(' || c >= '0' && c <= '9') {
			continue
		}
		if i > 0 {
			p := s[i-1]
			if p >= '0' && p <= '9' || p >= 'a' && p <= 'z' || p >= 'A' && p <= 'Z' || p == '.' || p == ',' || p == '-' || p == '/' || p == '$' || p == '+' {
				continue
			}
		}
		// scan digit groups
		var groups []int
		seps := ""
		j := i
		plus := false
		paren := false
		if s[j] == '+' {
			plus = true
			j++
		}
		n := 0                                         // digits in the current group
		for j < len(s) && len(groups) < 7 && n <= 15 { // bounded: a phone number is short
			ch := s[j]
			switch {
			case ch >= '0' && ch <= '9':
				n++
				j++
				continue
			case ch == '(' && n == 0:
				paren = true
				j++
				continue
			case ch == ')' && n > 0 && paren:
				groups = append(groups, n)
				n = 0
				seps += ")"
				j++
				if j < len(s) && s[j] == ' ' {
					j++
				}
				continue
			case (ch == ' ' || ch == '-' || ch == '.') && n > 0 && j+1 < len(s) && (s[j+1] >= '0' && s[j+1] <= '9' || s[j+1] == '('):
				groups = append(groups, n)
				n = 0
				seps += string(ch)
				j++
				continue
			}
			break
		}
		if n > 0 {
			groups = append(groups, n)
		}
		end := j
		if end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z') {
			continue // "5 10 15 20mb" and the like
		}
		if end+1 < len(s) && (s[end] == '.' || s[end] == ',' || s[end] == '-') && s[end+1] >= '0' && s[end+1] <= '9' {
			continue
		}
		total := 0
		maxG := 0
		for _, g := range groups {
			total += g
			maxG = max(maxG, g)
		}
		if total < 7 || total > 15 || len(groups) < 2 && !plus || maxG > 5 && !plus {
			continue
		}
		last := groups[len(groups)-1]
		ok := false
		switch {
		case plus:
			ok = len(groups) >= 2 || total >= 10
		case paren:
			ok = last >= 4
		case strings.Trim(seps, "-") == "" || strings.Trim(seps, ".") == "":
			ok = last >= 4 && (len(groups) >= 3 || groups[0] == 3)
		case strings.Trim(seps, " ") == "":
			ok = eqInts(groups, 3, 3, 4) || eqInts(groups, 1, 3, 3, 4)
		}
		if !ok {
			continue
		}
		text := strings.TrimRight(s[i:end], " .-")
		var d strings.Builder
		for k := 0; k < len(text); k++ {
			if text[k] >= '0' && text[k] <= '9' {
				d.WriteByte(text[k])
			}
		}
		dst = append(dst, Link{Kind: LinkPhone, Text: text, Norm: d.String(), Start: i, End: i + len(text)})
		i = end
	}
	return dst
}

func eqInts(a []int, b ...int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pathStop are lower-case words that end a menu-path segment.
var pathStop = map[string]bool{
	"to": true, "go": true, "open": true, "click": true, "tap": true, "select": true, "choose": true,
	"navigate": true, "under": true, "in": true, "from": true, "via": true, "visit": true, "then": true,
	"and": true, "or": true, "the": true, "your": true, "on": true, "at": true, "press": true, "hit": true,
	"find": true, "head": true, "scroll": true, "is": true, "are": true, "if": true, "with": true, "for": true,
	"within": true, "before": true, "after": true, "by": true, "until": true, "when": true, "once": true,
	"where": true, "which": true, "but": true, "so": true, "while": true, "unless": true, "instead": true,
}

// extractPaths finds UI menu paths: two or more segments joined by the same
// separator (>, →, », ›). A segment is a short run of words (at most five)
// whose first word is capitalised, quoted or in bold; it ends at
// punctuation or at a word such as "then", "and", "to" or "click".
func extractPaths(s string, dst []Link) []Link {
	seps := []string{">", "→", "»", "›"}
	for i := 0; i < len(s); {
		// find the next separator
		at, sep := -1, ""
		for _, sp := range seps {
			if k := strings.Index(s[i:], sp); k >= 0 && (at < 0 || i+k < at) {
				at, sep = i+k, sp
			}
		}
		if at < 0 {
			break
		}
		first, fs := segmentBefore(s, at)
		if first == "" {
			i = at + len(sep)
			continue
		}
		segs := []string{first}
		end := at
		k := at
		for k < len(s) && strings.HasPrefix(s[k:], sep) {
			seg, se := segmentAfter(s, k+len(sep))
			if seg == "" {
				break
			}
			segs = append(segs, seg)
			end = se
			k = se
			for k < len(s) && (s[k] == ' ' || s[k] == '*' || s[k] == '_' || s[k] == '`' || s[k] == '"') {
				k++
			}
		}
		if len(segs) < 2 {
			i = at + len(sep)
			continue
		}
		dst = append(dst, Link{Kind: LinkPath, Text: s[fs:end], Norm: strings.Join(segs, " > "), Start: fs, End: end, Segments: segs})
		i = end
	}
	return dst
}

// isMarkup reports whether c is Markdown emphasis or a quote around a UI label.
func isMarkup(r rune) bool {
	return r == '*' || r == '_' || r == '`' || r == '"' || r == '“' || r == '”' || r == '\'' || r == '‘' || r == '’'
}

// segmentBefore reads the segment that ends just before s[at] (a separator)
// and returns it normalised, with its start offset.
func segmentBefore(s string, at int) (string, int) {
	type word struct {
		text  string
		start int
	}
	var ws []word // right to left
	p := at
	for p > 0 && s[p-1] == ' ' {
		p--
	}
	marked := false
	skipMarkup := func(q int) int {
		for q > 0 {
			r, size := utf8.DecodeLastRuneInString(s[:q])
			if !isMarkup(r) {
				break
			}
			marked = true
			q -= size
		}
		return q
	}
	for len(ws) < 5 {
		q := skipMarkup(p)
		e := q
		for q > 0 {
			r, size := utf8.DecodeLastRuneInString(s[:q])
			if !isSegmentRune(r) {
				break
			}
			q -= size
		}
		if q == e {
			break
		}
		w := s[q:e]
		if lw := strings.ToLower(w); pathStop[lw] && (w == lw || len(ws) > 0) {
			break // "Go to", "Open", "tap" start the path, they are not part of it
		}
		ws = append(ws, word{w, q})
		p = skipMarkup(q)
		if p == 0 || s[p-1] != ' ' {
			break
		}
		p--
	}
	// the segment starts at its leftmost capitalised word
	k := len(ws) - 1
	for k >= 0 {
		r, _ := utf8.DecodeRuneInString(ws[k].text)
		if unicode.IsUpper(r) || unicode.IsDigit(r) {
			break
		}
		k--
	}
	if k < 0 {
		if !marked || len(ws) == 0 {
			return "", 0
		}
		k = 0
	}
	first := ws[k].start
	for first > 0 && isMarkup(rune(s[first-1])) {
		first--
	}
	return normSegment(s[ws[k].start:at]), first
}

func isSegmentRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '&' || r == '/'
}

// segmentAfter reads the segment that starts at s[from] and returns it
// normalised, with the offset just past it.
func segmentAfter(s string, from int) (string, int) {
	k := from
	for k < len(s) && s[k] == ' ' {
		k++
	}
	marked := false
	for k < len(s) {
		r, size := utf8.DecodeRuneInString(s[k:])
		if !isMarkup(r) {
			break
		}
		marked = true
		k += size
	}
	var words []string
	end := k
	for len(words) < 5 && k < len(s) {
		ws := k
		for k < len(s) {
			r, size := utf8.DecodeRuneInString(s[k:])
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '&' || r == '/') {
				break
			}
			k += size
		}
		if k == ws {
			break
		}
		w := s[ws:k]
		lw := strings.ToLower(w)
		if len(words) == 0 {
			r, _ := utf8.DecodeRuneInString(w)
			if !(unicode.IsUpper(r) || unicode.IsDigit(r) || marked) || (pathStop[lw] && w == lw) {
				return "", from
			}
		} else if pathStop[lw] && w == lw {
			k = ws
			break
		}
		words = append(words, w)
		end = k
		for k < len(s) {
			r, size := utf8.DecodeRuneInString(s[k:])
			if !isMarkup(r) {
				break
			}
			k += size
			end = k
		}
		if k < len(s) && s[k] == ' ' && k+1 < len(s) {
			r, _ := utf8.DecodeRuneInString(s[k+1:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) || isMarkup(r) {
				k++
				continue
			}
		}
		break
	}
	if len(words) == 0 {
		return "", from
	}
	if digitsOnly(words[0]) {
		return "", from // "amount > 100": a comparison, not a menu
	}
	return normSegment(strings.Join(words, " ")), end
}

func digitsOnly(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

// normSegment lower-cases a segment and strips markup and spacing.
func normSegment(seg string) string {
	var b strings.Builder
	for _, r := range seg {
		if isMarkup(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
