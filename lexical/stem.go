// Package lexical holds the word-level text tools synth's offline
// components share: the built-in docs bot (llm) and the validators that
// compare words (grounded). It imports nothing of synth.
package lexical

import "strings"

// Stem reduces a lower-case ASCII word to a crude stem so that inflections
// meet: "deleted", "deletes", "deleting" and "delete" are all "delet";
// "copies" and "copy" are "copi". It only has to map a word and its
// inflections to the same string, never to produce a real word. Short words
// and words with other characters are returned as they are.
func Stem(w string) string {
	if len(w) <= 3 || !asciiLetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss") || strings.HasSuffix(w, "us") || strings.HasSuffix(w, "is"):
	case strings.HasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w = undouble(w[:len(w)-2])
	}
	if strings.HasSuffix(w, "ly") && len(w) > 5 {
		w = w[:len(w)-2]
	}
	if strings.HasSuffix(w, "e") && len(w) > 4 {
		w = w[:len(w)-1]
	}
	if strings.HasSuffix(w, "y") && len(w) > 4 {
		w = w[:len(w)-1] + "i"
	}
	return w
}

// undouble drops a doubled final consonant left by a suffix ("getting" ->
// "get", "stopped" -> "stop").
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func asciiLetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}
