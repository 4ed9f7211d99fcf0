package main

import "testing"

func TestSanitizeTerminal(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text\nand a tab\t", "plain text\nand a tab\t"},
		{"\x1b[2J\x1b[31mred", `\e[2J\e[31mred`},
		{"\x1b]0;pwned\x07title", `\e]0;pwned\x07title`},
		{"nul\x00 cr\r del\x7f", `nul\x00 cr\r del\x7f`},
		{"c1 \u009b31m", `c1 \x9b31m`},
		{"\u202eSINED\u202c \u202aa\u202b \u2066x\u2069 \u200e\u200f\u061c", `\u202eSINED\u202c \u202aa\u202b \u2066x\u2069 \u200e\u200f\u061c`},
		{"café ☕ 日本", "café ☕ 日本"},
	} {
		if got := sanitizeTerminal(c.in); got != c.want {
			t.Errorf("sanitizeTerminal(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzSanitizeTerminal(f *testing.F) {
	f.Add("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\")
	f.Add("\u202e\xff\x9b")
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitizeTerminal(s)
		for _, r := range out {
			if isControl(r) {
				t.Fatalf("sanitizeTerminal(%q) = %q keeps %U", s, out, r)
			}
		}
	})
}
