package lexical

import "testing"

func TestStemMakesInflectionsMeet(t *testing.T) {
	for _, group := range [][]string{
		{"delete", "deleted", "deletes", "deleting"},
		{"copy", "copies"},
		{"item", "items"},
		{"get", "getting"},
		{"stop", "stopped", "stops"},
		{"click", "clicking", "clicked"},
	} {
		want := Stem(group[0])
		for _, w := range group[1:] {
			if got := Stem(w); got != want {
				t.Errorf("Stem(%q) = %q, Stem(%q) = %q: want them equal", w, got, group[0], want)
			}
		}
	}
	// Short words, and words with characters other than a-z, stay as they are;
	// -ss, -us and -is are not plurals.
	for _, w := range []string{"café", "2fa", "api"} {
		if got := Stem(w); got != w {
			t.Errorf("Stem(%q) = %q, want it unchanged", w, got)
		}
	}
	for _, w := range []string{"access", "status", "basis"} {
		if got := Stem(w); got[len(got)-1] != 's' {
			t.Errorf("Stem(%q) = %q: a final -%s is not a plural ending", w, got, w[len(w)-2:])
		}
	}
}

func FuzzStem(f *testing.F) {
	for _, s := range []string{"deleting", "ies", "sses", "a", "", "ünïcode"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		s := Stem(w)
		if len(s) > len(w) {
			t.Fatalf("Stem(%q) = %q grew", w, s)
		}
	})
}
