package validators

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// latinFold maps U+00C0..U+017F to ASCII: the Latin-1 Supplement and Latin
// Extended-A letters, accents dropped ("é" -> "e", "ß" -> "ss", "Ł" -> "l").
// An empty entry is not a letter (× and ÷) and is kept as is.
var latinFold = [...]string{
	// U+00C0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
	// U+00E0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	// U+0100
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
	// U+0120
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
	// U+0140
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
	// U+0160
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
}

// foldRune appends r to dst lower-cased with Latin accents removed;
// combining marks are dropped.
func foldRune(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	}
	if unicode.Is(unicode.Mn, r) {
		return dst
	}
	r = unicode.ToLower(r) // first: "ẞ" lowers to "ß", which folds to "ss"
	if r < utf8.RuneSelf {
		return append(dst, byte(r))
	}
	if r >= 0xC0 && r <= 0x17F {
		if f := latinFold[r-0xC0]; f != "" {
			return append(dst, f...)
		}
	}
	return utf8.AppendRune(dst, r)
}

// Fold returns s lower-cased with Latin diacritics removed and combining
// marks dropped: "Ünïcode Café" -> "unicode cafe". Other scripts are only
// lower-cased.
func Fold(s string) string {
	buf := make([]byte, 0, len(s))
	for _, r := range s {
		buf = foldRune(buf, r)
	}
	return string(buf)
}

// cp1252 maps the characters Windows-1252 puts at bytes 0x80..0x9F back to
// those bytes.
var cp1252 = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88,
	'‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91, '’': 0x92, '“': 0x93,
	'”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B,
	'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

// fixMojibake repairs text that was UTF-8, decoded as Latin-1 or
// Windows-1252 and encoded again ("2.45Â billion", "cafÃ©", "10â€“12"): when
// every character maps back to one byte and those bytes are valid UTF-8 that
// is shorter, the repaired text is returned. Anything else is returned
// unchanged, so correct text is never altered.
func fixMojibake(s string) string {
	if !strings.ContainsAny(s, "ÂÃâÅÄÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß") {
		return s
	}
	b := make([]byte, 0, len(s))
	high := 0
	for _, r := range s {
		switch {
		case r < 0x80:
			b = append(b, byte(r))
			continue
		case r <= 0xFF:
			b = append(b, byte(r))
		default:
			c, ok := cp1252[r]
			if !ok {
				return s
			}
			b = append(b, c)
		}
		high++
	}
	if high < 2 || !utf8.Valid(b) || utf8.RuneCount(b) >= utf8.RuneCountInString(s) {
		return s
	}
	return string(b)
}
