package validators

import (
	"hash/maphash"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// This file is the text-normalisation core shared by every validator.
//
// [Normalize] is SQuAD's normalize_answer, as the official evaluate-v1.1.py
// and evaluate-v2.0.py scripts define it:
//
//	lower(s) -> remove string.punctuation -> re.sub(r'\b(a|an|the)\b', ' ') -> ' '.join(split())
//
// and it reproduces Python 3's behaviour exactly, not approximately:
//
//   - Only ASCII punctuation is removed: Python's string.punctuation is the 32
//     characters !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~. Unicode punctuation (“ ” ’ — «)
//     is kept, as the official script keeps it: "don’t" stays "don’t" while
//     "don't" becomes "dont". Letters with diacritics are kept ("café").
//   - \b is Python's Unicode word boundary (a word character is a letter, a
//     number or '_'), not Go regexp's ASCII-only \b; so "éa" keeps its "a",
//     and "«the»" loses its "the" as in Python.
//   - lower() is Python's str.lower: rune-wise Unicode lower case, plus its
//     two special cases (İ becomes "i̇", and a capital sigma at the end of a
//     word becomes ς).
//   - split() splits on Python's whitespace (Unicode spaces plus \x1c-\x1f).
//
// The tokens of [Tokens] are the normalised text split on spaces: the tokens
// SQuAD's F1 counts. Synth's looser matcher ([Match]) builds on a different,
// documented normalisation in match.go.

// Normalize returns s normalised as SQuAD's official evaluation script does.
func Normalize(s string) string {
	t := getTokenizer()
	defer putTokenizer(t)
	t.squad(s)
	var b strings.Builder
	b.Grow(len(t.buf))
	for i, sp := range t.toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(t.buf[sp.start:sp.end])
	}
	return b.String()
}

// Tokens returns the SQuAD-normalised tokens of s.
func Tokens(s string) []string {
	t := getTokenizer()
	defer putTokenizer(t)
	t.squad(s)
	out := make([]string, len(t.toks))
	for i, sp := range t.toks {
		out[i] = string(t.buf[sp.start:sp.end])
	}
	return out
}

// span is a token's byte range in a tokenizer's buffer.
type span struct{ start, end int32 }

// tokenizer holds reusable buffers so that scoring allocates nothing in the
// steady state. Get one with getTokenizer and return it with putTokenizer.
type tokenizer struct {
	buf    []byte   // normalised text
	toks   []span   // tokens in buf
	hashes []uint64 // token hashes, filled by hash()
	// scratch space for the scorers
	a, b []uint64
	row  []int32
}

var tokenizerPool = sync.Pool{New: func() any { return &tokenizer{} }}

func getTokenizer() *tokenizer { return tokenizerPool.Get().(*tokenizer) }

func putTokenizer(t *tokenizer) {
	if cap(t.buf) > 1<<20 { // do not keep huge buffers alive
		return
	}
	tokenizerPool.Put(t)
}

var hashSeed = maphash.MakeSeed()

// hash fills t.hashes with one hash per token.
func (t *tokenizer) hash() []uint64 {
	t.hashes = t.hashes[:0]
	for _, sp := range t.toks {
		t.hashes = append(t.hashes, maphash.Bytes(hashSeed, t.buf[sp.start:sp.end]))
	}
	return t.hashes
}

// squadHashes normalises s and returns its token hashes in dst (reused).
func (t *tokenizer) squadHashes(s string, dst []uint64) []uint64 {
	t.squad(s)
	dst = dst[:0]
	for _, sp := range t.toks {
		dst = append(dst, maphash.Bytes(hashSeed, t.buf[sp.start:sp.end]))
	}
	return dst
}

// ASCII character classes, for the normaliser's fast path.
const (
	clsPunct = 1 << iota // in Python's string.punctuation
	clsSpace             // Python whitespace
	clsWord              // Python \w: letter, digit or '_'
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		if isASCIIPunct(byte(c)) {
			t[c] |= clsPunct
		}
		if isPySpace(rune(c)) {
			t[c] |= clsSpace
		}
		if isPyWord(rune(c)) {
			t[c] |= clsWord
		}
	}
	return t
}()

// isASCIIPunct reports whether c is in Python's string.punctuation.
func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// isPySpace reports whether r is whitespace for Python's str.split().
func isPySpace(r rune) bool {
	if r < utf8.RuneSelf {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f:
			return true
		}
		return false
	}
	return unicode.IsSpace(r) // U+0085, U+00A0 and the Z categories, as Python
}

// isPyWord reports whether r is a word character for Python 3's re module on
// str patterns: alphanumeric (letters and numbers of any script) or '_'.
func isPyWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// squad normalises s into t.buf and t.toks as SQuAD's normalize_answer.
func (t *tokenizer) squad(s string) { t.normalize(s, true) }

// normalize is squad with lower casing optional (contains' case_sensitive).
func (t *tokenizer) normalize(s string, lower bool) {
	// Pass 1: lower case and drop ASCII punctuation (Python's order: lower first).
	t.buf = t.buf[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if asciiClass[c]&clsPunct != 0 {
				continue
			}
			if lower && c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			t.buf = append(t.buf, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case !lower:
			t.buf = append(t.buf, s[i:i+size]...)
		case r == utf8.RuneError && size == 1:
			// Invalid UTF-8: keep the replacement character, as a Python
			// caller decoding with errors="replace" would see.
			t.buf = utf8.AppendRune(t.buf, utf8.RuneError)
		case r == 'İ': // Python: 'İ'.lower() == 'i̇'
			t.buf = append(t.buf, 'i')
			t.buf = utf8.AppendRune(t.buf, 0x307)
		case r == 'Σ':
			if finalSigma(s, i, i+size) {
				t.buf = utf8.AppendRune(t.buf, 'ς')
			} else {
				t.buf = utf8.AppendRune(t.buf, 'σ')
			}
		default:
			t.buf = utf8.AppendRune(t.buf, unicode.ToLower(r))
		}
		i += size
	}
	// Pass 2: articles become spaces (Unicode \b), then split on whitespace.
	t.toks = t.toks[:0]
	buf := t.buf
	start := -1 // start of the current token, or -1
	prevWord := false
	for i := 0; i < len(buf); {
		if c := buf[i]; c < utf8.RuneSelf && c|0x20 != 'a' && c|0x20 != 't' {
			// ASCII fast path (articles start with a or t)
			cls := asciiClass[c]
			if cls&clsSpace != 0 {
				if start >= 0 {
					t.toks = append(t.toks, span{int32(start), int32(i)})
					start = -1
				}
			} else if start < 0 {
				start = i
			}
			prevWord = cls&clsWord != 0
			i++
			continue
		}
		r, size := rune(buf[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(buf[i:])
		}
		if !prevWord && (r|0x20 == 'a' || r|0x20 == 't') {
			if n := articleAt(buf, i); n > 0 {
				// the article is replaced by a space: it ends any token
				if start >= 0 {
					t.toks = append(t.toks, span{int32(start), int32(i)})
					start = -1
				}
				i += n
				prevWord = true // the article's last letter is a word char
				continue
			}
		}
		if isPySpace(r) {
			if start >= 0 {
				t.toks = append(t.toks, span{int32(start), int32(i)})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		prevWord = isPyWord(r)
		i += size
	}
	if start >= 0 {
		t.toks = append(t.toks, span{int32(start), int32(len(buf))})
	}
}

// articleAt returns the length of the article (a, an, the) starting at buf[i]
// when it is followed by a non-word character or the end, else 0. The caller
// has checked that buf[i] starts a word.
func articleAt(buf []byte, i int) int {
	// Python tries the alternatives in order: a, an, the.
	for _, art := range [...]string{"a", "an", "the"} {
		j := i + len(art)
		if j > len(buf) || !asciiFoldEqual(buf[i:j], art) {
			continue
		}
		if j == len(buf) {
			return len(art)
		}
		r, _ := utf8.DecodeRune(buf[j:])
		if !isPyWord(r) {
			return len(art)
		}
	}
	return 0
}

// finalSigma applies Python's Final_Sigma rule to the capital sigma at
// s[i:j]: it lowers to ς when a cased letter precedes it and none follows
// (case-ignorable characters are skipped both ways).
func finalSigma(s string, i, j int) bool {
	before := false
	for k := i; k > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:k])
		k -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for k := j; k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		k += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xB7, 0x2018, 0x2019, 0x2024, 0xFE52, 0xFF07, 0xFF0E, 0x00AD:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// asciiFoldEqual reports whether b equals the lower-case ASCII word w,
// ignoring ASCII case (buf is already lower case unless case is kept).
func asciiFoldEqual(b []byte, w string) bool {
	for k := range len(w) {
		c := b[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[k] {
			return false
		}
	}
	return true
}
