package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible returns s with everything that could hide text or change how the
// text around it is shown made visible, for reports that people read in a
// browser, an editor or a CI page: newlines and tabs are kept; an ANSI
// escape (ESC) becomes "␛", so "\x1b[31m" reads "␛[31m"; other C0 controls
// and DEL become their Unicode control pictures ("␀", "␇", "␡"); C1
// controls, bidirectional overrides and isolates, and invisible characters
// (zero-width spaces and joiners, word joiner, byte-order mark, soft
// hyphen) become "⟨U+202E⟩"; carriage returns are dropped from CRLF line
// ends and shown as "␍" elsewhere; invalid UTF-8 becomes "�". The result is
// plain text: HTML and XML escaping is still the caller's job.
func Visible(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	walkVisible(s, func(text string) { b.WriteString(text) }, func(r rune) { b.WriteString(plainMarker(r)) })
	return b.String()
}

// walkVisible splits s into runs of ordinary text and the characters that
// [Visible] replaces, calling text and special in order. CRLF line ends
// become "\n" and invalid UTF-8 becomes U+FFFD, both passed as text.
func walkVisible(s string, text func(string), special func(rune)) {
	start := 0
	flush := func(i int) {
		if i > start {
			text(s[start:i])
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			flush(i)
			text("\uFFFD")
			start = i + size
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			flush(i)
			start = i + size // keep only the newline
		case isSpecial(r):
			flush(i)
			special(r)
			start = i + size
		}
		i += size
	}
	flush(len(s))
}

// isSpecial reports whether [Visible] replaces r.
func isSpecial(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || hidden(r)
}

// plainMarker is how [Visible] shows a special character as text.
func plainMarker(r rune) string {
	switch {
	case r < 0x20:
		return string(0x2400 + r) // control pictures ␀..␟ (␛ for ESC, ␍ for CR)
	case r == 0x7f:
		return "␡"
	}
	return fmt.Sprintf("⟨U+%04X⟩", r)
}

// c0Names are the short names of the C0 control characters.
var c0Names = [32]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

// markerName is the short name of a special character, for a marker in
// HTML ("ESC", "BEL", "DEL", "U+202E"), and what it is.
func markerName(r rune) (name, what string) {
	switch {
	case r == 0x1b:
		return "ESC", "U+001B escape: the start of a terminal escape code"
	case r < 0x20:
		return c0Names[r], fmt.Sprintf("U+%04X control character", r)
	case r == 0x7f:
		return "DEL", "U+007F control character"
	case r >= 0x80 && r < 0xa0:
		return fmt.Sprintf("U+%04X", r), "C1 control character"
	case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c:
		return fmt.Sprintf("U+%04X", r), "invisible character that changes the direction of the text"
	}
	return fmt.Sprintf("U+%04X", r), "invisible character"
}

// TermLine returns s as one line that is safe to print on a terminal: ANSI
// escape sequences (CSI, OSC and two-byte escapes) are removed whole, other
// control and invisible characters (see [Visible]) are removed, runs of
// white space (newlines included) become one space, and the result is cut
// to at most max runes with "…" marking the cut (max ≤ 0: no limit).
func TermLine(s string, max int) string {
	var b strings.Builder
	space := false
	n := 0
	cut := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x1b {
			i += escapeLen(s[i:])
			continue
		}
		if r == 0x9b { // C1 CSI
			i += size + csiLen(s[i+size:])
			continue
		}
		i += size
		switch {
		case unicode.IsSpace(r) || r < 0x20 || r == 0x7f:
			space = n > 0
			continue
		case hidden(r) || (r >= 0x80 && r < 0xa0):
			continue
		}
		need := 1
		if space {
			need = 2
		}
		if max > 0 && n+need > max {
			cut = true
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	out := b.String()
	if cut {
		rs := []rune(out)
		if len(rs) >= max {
			rs = rs[:max-1]
		}
		out = strings.TrimRight(string(rs), " ") + "…"
	}
	return out
}

// escapeLen returns the length of the escape sequence at the start of s
// (s[0] is ESC): CSI "ESC [ params final", OSC "ESC ] ... BEL|ESC \", and
// two-byte escapes. An unfinished sequence runs to the end of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		return 2 + csiLen(s[2:])
	case ']', 'P', '_', '^', 'X': // OSC, DCS, APC, PM, SOS: up to BEL or ST
		for j := 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return len(s)
	}
	if s[1] < 0x20 || s[1] == 0x7f {
		return 1
	}
	_, size := utf8.DecodeRuneInString(s[1:])
	return 1 + size
}

// csiLen returns the length of a CSI sequence's parameters and final byte.
func csiLen(s string) int {
	for j := 0; j < len(s); j++ {
		c := s[j]
		if c >= 0x40 && c <= 0x7e {
			return j + 1
		}
		if c < 0x20 || c >= 0x7f {
			return j
		}
	}
	return len(s)
}

// hidden reports whether r is invisible or reorders the text around it:
// bidirectional controls, zero-width characters, the BOM, soft hyphen,
// C1 controls and the like.
func hidden(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0: // C1 controls
		return true
	case r == 0xad, // soft hyphen
		r == 0x061c,                  // Arabic letter mark
		r == 0x180e,                  // Mongolian vowel separator
		r >= 0x200b && r <= 0x200f,   // zero-width space/joiners, LRM, RLM
		r >= 0x2028 && r <= 0x202e,   // line/paragraph separators, bidi embeddings and overrides
		r >= 0x2060 && r <= 0x206f,   // word joiner, invisible operators, bidi isolates, deprecated formats
		r == 0xfeff,                  // byte-order mark / zero-width no-break space
		r >= 0xfff9 && r <= 0xfffb,   // interlinear annotations
		r >= 0xe0000 && r <= 0xe007f: // tag characters
		return true
	}
	return false
}

// isPlain reports whether s needs no change by [Visible]: printable ASCII,
// newlines and tabs only.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == 0x7f || (c < 0x20 && c != '\n' && c != '\t') {
			return false
		}
	}
	return true
}
