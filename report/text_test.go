package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/synth-dev/synth/dataset"
)

func TestVisible(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "hello\n\tworld", "hello\n\tworld"},
		{"ansi", "\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
		{"bell and nul", "a\x07b\x00c", "a␇b␀c"},
		{"del", "a\x7fb", "a␡b"},
		{"crlf", "a\r\nb\rc", "a\nb␍c"},
		{"rtl override", "invoice\u202Efdp.exe", "invoice⟨U+202E⟩fdp.exe"},
		{"zero width", "pass\u200Bword\uFEFF", "pass⟨U+200B⟩word⟨U+FEFF⟩"},
		{"isolates", "\u2066x\u2069", "⟨U+2066⟩x⟨U+2069⟩"},
		{"c1", "a\u0085b\u009bc", "a⟨U+0085⟩b⟨U+009B⟩c"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"unicode kept", "café – 東京 🙂", "café – 東京 🙂"},
		{"html is not its job", "<b>", "<b>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Visible(tc.in); got != tc.want {
				t.Errorf("Visible(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTermLine(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "hello world", 0, "hello world"},
		{"newlines", "a\n\n  b\tc\r\n", 0, "a b c"},
		{"sgr removed", "\x1b[31mred\x1b[0m text", 0, "red text"},
		{"osc 8 link removed", "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", 0, "click"},
		{"osc with st", "\x1b]0;title\x1b\\x", 0, "x"},
		{"cursor moves", "a\x1b[2J\x1b[1;1Hb", 0, "ab"},
		{"two-byte escape", "a\x1bcb", 0, "ab"},
		{"c1 csi", "a\u009b31mb", 0, "ab"},
		{"bidi and zero width", "in\u202Evoice pass\u200Bword", 0, "invoice password"},
		{"controls", "a\x00\x07b", 0, "a b"},
		{"cut", "abcdefghij", 5, "abcd…"},
		{"cut runes", "東京東京東京", 4, "東京東…"},
		{"exact fit", "abcde", 5, "abcde"},
		{"unfinished escape", "ab\x1b[31", 0, "ab"},
		{"leading space", "  x  ", 0, "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := TermLine(tc.in, tc.max); got != tc.want {
				t.Errorf("TermLine(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func FuzzTermLine(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31mred", "\x1b]8;;x\x07y", "a\u202eb", "\xff\x1b", "\x1b", "\u009b1", strings.Repeat("é", 50)} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max > 1000 {
			max = 1000
		}
		got := TermLine(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || hidden(r) || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("TermLine(%q) = %q holds %U", s, got, r)
			}
		}
		if max > 0 && utf8.RuneCountInString(got) > max {
			t.Fatalf("TermLine(%q, %d) = %q is longer than %d runes", s, max, got, max)
		}
	})
}

func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "plain\n", "\x1b[31mred", "a\r\nb\r", "a\u202eb", "\xff\xfe", "\u0085\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Visible(s)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
		for _, r := range got {
			if isSpecial(r) || r == '\r' {
				t.Fatalf("Visible(%q) = %q holds %U", s, got, r)
			}
		}
		// The HTML segments say the same, with markers in place of the
		// characters Visible replaces.
		var again strings.Builder
		for _, sg := range richText(s) {
			if sg.Ctl != "" {
				again.WriteString(plainMarker(sg.r))
				continue
			}
			again.WriteString(sg.Text)
		}
		if again.String() != got {
			t.Fatalf("richText(%q) = %q, Visible = %q", s, again.String(), got)
		}
	})
}

func TestMarkdown(t *testing.T) {
	a, _ := fixtureRuns()
	md := Markdown(a.Summary, a.Results)
	golden(t, "report.golden.md", md)
	for _, bad := range []string{"<script>", "<img", "\x1b", "\u202e", "[click", "](http"} {
		if bytes.Contains(md, []byte(bad)) {
			t.Errorf("report.md holds %q", bad)
		}
	}
	// One table row per item, and no row broken across lines.
	var rows int
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(line, " | ")-strings.Count(line, `\| `) >= 4 && !strings.HasPrefix(line, "| id ") {
			rows++
		}
	}
	if rows != len(a.Results) {
		t.Errorf("%d item rows, want %d", rows, len(a.Results))
	}
}

func TestMarkdownNoLinks(t *testing.T) {
	r := dataset.Result{ID: "x", Label: dataset.Wrong, Output: "[reset here](https://evil.example) ![x](https://tracker.example/p.png) `code|pipe`"}
	md := string(Markdown(&dataset.Summary{Run: "r`un", Model: "m", Counts: dataset.Counts{}}, []dataset.Result{r}))
	for _, bad := range []string{"[reset here](", "![x]("} {
		if strings.Contains(md, bad) {
			t.Errorf("report.md holds %q:\n%s", bad, md)
		}
	}
	if !strings.Contains(md, "- run: ``r`un``\n") {
		t.Errorf("run id with a backtick not fenced:\n%s", md)
	}
}

func TestWriteSummaryStripsEscapes(t *testing.T) {
	s := dataset.Summarize(nil)
	s.Model, s.Run = "evil\x1b]0;pwned\x07model", "run\x1b[2J"
	var buf bytes.Buffer
	if err := WriteSummary(&buf, &s, Style{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(buf.String(), 0x1b) || !strings.Contains(buf.String(), "model evilmodel") {
		t.Errorf("summary = %q", buf.String())
	}
}

func BenchmarkVisible(b *testing.B) {
	s := strings.Repeat("plain answer text with a link https://nimbus.example/reset. ", 20) + hostileANSI + hostileRTL
	b.ReportAllocs()
	for b.Loop() {
		Visible(s)
	}
}

func TestWriteSummaryUsageLine(t *testing.T) {
	local := dataset.Summarize([]dataset.Result{{ID: "a", Label: dataset.Correct}})
	remote := local
	remote.Requests, remote.Retries, remote.CostUSD = 3, 1, 0.5
	remote.Usage = dataset.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}
	for _, tt := range []struct {
		name string
		s    dataset.Summary
		want []string
	}{
		{"local model", local, []string{"accuracy 100.0% (1/1)", "no provider requests (local model)"}},
		{"remote model", remote, []string{"tokens 15 (prompt 10, completion 5)", "requests 3", "retries 1", "cost $0.5000"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, &tt.s, Style{}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}
