package retrieval

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tmc/langchaingo/textsplitter"

	"github.com/synth-dev/synth/dataset"
)

func mustChunker(t testing.TB, size, overlap int) *SplitChunker {
	t.Helper()
	c, err := NewChunker(size, overlap)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func md(path, text string) Document { return Document{Path: path, Format: Markdown, Text: text} }

func headings(chunks []dataset.Chunk) []string {
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = c.Heading
	}
	return out
}

func TestChunkGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/chunk/*.md")
	files2, _ := filepath.Glob("testdata/html/*.html")
	c := mustChunker(t, 200, 40)
	for _, f := range append(files, files2...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := ParseDocument(filepath.ToSlash(f), data)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(c.Chunk(doc)); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, filepath.Ext(f))+".chunks.golden.json", []byte(out.String()))
		})
	}
}

func TestChunkHeadings(t *testing.T) {
	c := mustChunker(t, DefaultChunkSize, DefaultChunkOverlap)
	tests := []struct {
		name string
		doc  Document
		want []string // heading of each chunk
		text []string // text of each chunk (prefix), when checked
	}{
		{
			name: "heading path",
			doc:  md("a.md", "# Account\n\n## Delete your account\n\nGo to Settings.\n\n### Undo\n\nSign in.\n\n## Plans\n\nThree plans.\n"),
			want: []string{"Account > Delete your account", "Account > Delete your account > Undo", "Account > Plans"},
			text: []string{"Go to Settings.", "Sign in.", "Three plans."},
		},
		{
			name: "no heading-only chunks",
			doc:  md("a.md", "# Title\n## Sub\n### Deeper\n\ntext\n\n## Empty\n"),
			want: []string{"Title > Sub > Deeper"},
		},
		{
			name: "preamble before the first heading",
			doc:  md("a.md", "Intro.\n\n# T\n\nBody.\n"),
			want: []string{"", "T"},
		},
		{
			name: "skipped levels and going back up",
			doc:  md("a.md", "# A\n\n#### Deep\n\nx\n\n## B\n\ny\n"),
			want: []string{"A > Deep", "A > B"},
		},
		{
			name: "front matter title roots the path",
			doc:  md("a.md", "---\ntitle: \"FAQ\"\n---\n\n## Q1?\n\nA1.\n"),
			want: []string{"FAQ > Q1?"},
			text: []string{"A1."},
		},
		{
			name: "an H1 replaces the front matter title",
			doc:  md("a.md", "---\ntitle: FAQ\n---\n# Real title\n\nx\n"),
			want: []string{"Real title"},
		},
		{
			name: "inline markup stripped from headings",
			doc:  md("a.md", "# Use `synth` with **[links](http://x)** and ![img](y.png)\n\nx\n"),
			want: []string{"Use synth with links and img"},
		},
		{
			name: "setext headings",
			doc:  md("a.md", "Title\n=====\n\nx\n\nSub\n---\n\ny\n"),
			want: []string{"Title", "Title > Sub"},
		},
		{
			name: "headings inside code are not headings",
			doc:  md("a.md", "# T\n\n```\n# not a heading\n```\n"),
			want: []string{"T"},
			text: []string{"```\n# not a heading\n```"},
		},
		{
			name: "text documents have no headings",
			doc:  Document{Path: "a.txt", Format: Text, Text: "# not markdown\n\nplain"},
			want: []string{""},
			text: []string{"# not markdown\n\nplain"},
		},
		{
			name: "empty",
			doc:  md("a.md", "  \n\n"),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Chunk(tt.doc)
			if h := headings(got); fmt.Sprint(h) != fmt.Sprint(tt.want) {
				t.Fatalf("headings = %q, want %q", h, tt.want)
			}
			for i, want := range tt.text {
				if got[i].Text != want {
					t.Errorf("chunk %d text = %q, want %q", i, got[i].Text, want)
				}
			}
			for _, ch := range got {
				if ch.Doc != tt.doc.Path || ch.ID != ChunkID(ch.Doc, ch.Heading, ch.Text) {
					t.Errorf("bad doc or id: %+v", ch)
				}
			}
		})
	}
}

// A short FAQ article (a heading and two lines per question) gives one
// chunk per question, each with its heading, and nothing for an empty one.
func TestChunkShortFAQ(t *testing.T) {
	data, err := os.ReadFile("testdata/chunk/faq.md")
	if err != nil {
		t.Fatal(err)
	}
	got := mustChunker(t, DefaultChunkSize, DefaultChunkOverlap).Chunk(md("faq.md", string(data)))
	want := []struct{ heading, text string }{
		{"Frequently asked questions > How do I reset my password?", "Go to Settings > Security > Reset password.\nThe link expires after 30 minutes."},
		{"Frequently asked questions > Can I change my username?", "No. Usernames are permanent."},
		{"Frequently asked questions > Where are my invoices?", "Settings > Billing > Invoices."},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d chunks, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Heading != w.heading || got[i].Text != w.text {
			t.Errorf("chunk %d = %q / %q, want %q / %q", i, got[i].Heading, got[i].Text, w.heading, w.text)
		}
	}
}

func TestChunkHugeDoc(t *testing.T) {
	const size, overlap = 300, 60
	c := mustChunker(t, size, overlap)
	var b strings.Builder
	b.WriteString("# Manual\n\n## Long section\n\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "Sentence number %d explains one more thing about the product. ", i)
		if i%7 == 6 {
			b.WriteString("\n\n")
		}
	}
	b.WriteString("\n\n")
	b.WriteString(strings.Repeat("x", 1000)) // one overlong word
	b.WriteString("\n\n## Table\n\n| Key | Value |\n| --- | --- |\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "| key%02d | value number %d |\n", i, i)
	}
	b.WriteString("\n## Code\n\n```go\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "fmt.Println(%d) // line %d\n", i, i)
	}
	b.WriteString("```\n")
	chunks := c.Chunk(md("manual.md", b.String()))
	if len(chunks) < 10 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	var prev dataset.Chunk
	sections := map[string]int{}
	for i, ch := range chunks {
		sections[ch.Heading]++
		if n := utf8.RuneCountInString(ch.Text); n > size+overlap+1 {
			t.Errorf("chunk %d has %d characters, more than size+overlap", i, n)
		}
		switch ch.Heading {
		case "Manual > Long section":
			if prev.Heading == ch.Heading && !strings.Contains(ch.Text, "xxx") && !strings.Contains(prev.Text, "xxx") {
				// Consecutive prose chunks overlap: this one starts with the end of the previous.
				head := strings.Fields(ch.Text)
				if len(head) < 2 || !strings.Contains(prev.Text, head[0]+" "+head[1]) {
					t.Errorf("chunk %d does not start with an overlap of chunk %d:\n%q\n%q", i, i-1, prev.Text, ch.Text)
				}
			}
		case "Manual > Table":
			if !strings.HasPrefix(ch.Text, "| Key | Value |\n| --- | --- |\n| key") {
				t.Errorf("table chunk %d lacks the header: %q", i, ch.Text)
			}
		case "Manual > Code":
			if !strings.HasPrefix(ch.Text, "```go\n") || !strings.HasSuffix(ch.Text, "\n```") {
				t.Errorf("code chunk %d is not fenced: %q", i, ch.Text)
			}
		}
		prev = ch
	}
	for _, h := range []string{"Manual > Long section", "Manual > Table", "Manual > Code"} {
		if sections[h] < 2 {
			t.Errorf("section %q was not split (%d chunks)", h, sections[h])
		}
	}
	// Nothing is lost: every table row and code line is in some chunk.
	all := ""
	for _, ch := range chunks {
		all += ch.Text + "\n"
	}
	for i := 0; i < 40; i++ {
		if !strings.Contains(all, fmt.Sprintf("| key%02d |", i)) {
			t.Errorf("table row %d lost", i)
		}
	}
	for i := 0; i < 50; i++ {
		if !strings.Contains(all, fmt.Sprintf("// line %d\n", i)) {
			t.Errorf("code line %d lost", i)
		}
	}
}

func TestChunkKeepsMarkdown(t *testing.T) {
	data, err := os.ReadFile("testdata/chunk/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	chunks := mustChunker(t, DefaultChunkSize, DefaultChunkOverlap).Chunk(md("guide.md", string(data)))
	all := map[string]string{}
	for _, c := range chunks {
		all[c.Heading] += c.Text
	}
	tests := []struct{ heading, want string }{
		{"Admin guide", "See the [reset page](https://example.com/reset) and the [status page](https://status.example.com)."},
		{"Admin guide > Members > Invite members", "synth invite --email ann@example.com"},
		{"Admin guide > Members > Remove members", "| Owner | everyone |"},
		{"Admin guide > Members > Remove members", "> Removing a member"},
		{"Admin guide > Security beta", "Rotate keys every 90 days."},
		{"Admin guide > Setext heading", `a "quote" -- and (c) text`},
	}
	for _, tt := range tests {
		if !strings.Contains(all[tt.heading], tt.want) {
			t.Errorf("section %q lacks %q; chunks: %q", tt.heading, tt.want, all)
		}
	}
	for h, text := range all {
		for _, bad := range []string{"<!--", "TODO", "[reset]:", "<kbd>", "<details>", "“"} {
			if strings.Contains(text, bad) {
				t.Errorf("section %q contains %q: %q", h, bad, text)
			}
		}
	}
}

func TestChunkIDs(t *testing.T) {
	c := mustChunker(t, DefaultChunkSize, DefaultChunkOverlap)
	a := c.Chunk(md("a.md", "# T\n\nSame text.\n\n# U\n\nSame text.\n"))
	if len(a) != 2 || a[0].ID == a[1].ID {
		t.Fatalf("same text under different headings must get different ids: %+v", a)
	}
	b := c.Chunk(md("b.md", "# T\n\nSame text.\n"))
	if b[0].ID == a[0].ID {
		t.Error("same text in another document must get another id")
	}
	again := c.Chunk(md("a.md", "# T\n\nSame text.\n\n# U\n\nSame text.\n"))
	if again[0].ID != a[0].ID || again[1].ID != a[1].ID {
		t.Error("ids are not stable")
	}
	dup := c.Chunk(md("d.md", "# T\n\nx\n\n# T\n\nx\n"))
	if len(dup) != 1 {
		t.Errorf("identical chunks should be kept once, got %d", len(dup))
	}
}

func TestNewChunkerLimits(t *testing.T) {
	for _, tt := range []struct{ size, overlap int }{{49, 0}, {100, -1}, {100, 51}} {
		if _, err := NewChunker(tt.size, tt.overlap); err == nil {
			t.Errorf("NewChunker(%d, %d) should fail", tt.size, tt.overlap)
		}
	}
}

// TestLangchaingoMarkdownQuirks documents why SplitChunker does not use
// langchaingo v0.1.14's MarkdownTextSplitter. Each case fails once the
// splitter is fixed, so the decision can be revisited.
func TestLangchaingoMarkdownQuirks(t *testing.T) {
	split := func(text string, opts ...textsplitter.Option) []string {
		opts = append([]textsplitter.Option{textsplitter.WithChunkSize(300), textsplitter.WithChunkOverlap(0),
			textsplitter.WithHeadingHierarchy(true), textsplitter.WithCodeBlocks(true)}, opts...)
		out, err := textsplitter.NewMarkdownTextSplitter(opts...).SplitText(text)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	joined := func(s []string) string { return strings.Join(s, "\n---\n") }

	t.Run("a heading followed by a subheading becomes a chunk of its own", func(t *testing.T) {
		got := split("# Account\n\n## Delete\n\nGo to Settings.\n")
		if len(got) == 0 || got[0] != "# Account" {
			t.Errorf("quirk gone? %q", got)
		}
	})
	t.Run("the heading path is prepended to the text, not returned apart", func(t *testing.T) {
		got := split("# Account\n\n## Delete\n\nGo to Settings.\n")
		if !strings.Contains(joined(got), "# Account\n## Delete\nGo to Settings.") {
			t.Errorf("quirk gone? %q", got)
		}
	})
	t.Run("code inside a list item is dropped", func(t *testing.T) {
		got := split("# T\n\n1. Run:\n\n   ```sh\n   synth index\n   ```\n2. Done\n")
		if strings.Contains(joined(got), "synth index") {
			t.Errorf("quirk gone? %q", got)
		}
	})
	t.Run("reference link definitions are dropped with raw inline content", func(t *testing.T) {
		got := split("# T\n\nSee [the page][p].\n\n[p]: https://example.com/p\n")
		if strings.Contains(joined(got), "https://example.com/p") {
			t.Errorf("quirk gone? %q", got)
		}
	})
	t.Run("list items are rewritten by the typographer", func(t *testing.T) {
		got := split("# T\n\n- Click \"Save\" -- done\n")
		if !strings.Contains(joined(got), "“Save”") {
			t.Errorf("quirk gone? %q", got)
		}
	})
	t.Run("the heading is not prepended when the text contains it", func(t *testing.T) {
		got := split("# Setup\n\n```\n# Setup\n```\n", textsplitter.WithHeadingHierarchy(false))
		if strings.Count(joined(got), "# Setup") != 1 {
			t.Errorf("quirk gone? %q", got)
		}
	})
}

func FuzzChunkMarkdown(f *testing.F) {
	for _, s := range []string{
		"", "# T\n\nx", "---\ntitle: a\n---\n", "| a |\n|---|\n| b |", "```\ncode", "> # q\n> x",
		"1. a\n\n   ```\n   x\n   ```\n", "[a][b]\n\n[b]: http://x", "<div>\n<p>x</p>\n</div>\n", "Setext\n===\n",
		"- a\n  - b\n    - c", "<!-- open", "\t# tab", "#\n#\n#", "~~~\n```\n~~~",
	} {
		f.Add(s, 60, 10)
	}
	if b, err := os.ReadFile("testdata/chunk/guide.md"); err == nil {
		f.Add(string(b), 200, 40)
	}
	f.Fuzz(func(t *testing.T, s string, size, overlap int) {
		size = MinChunkSize + abs(size)%2000
		overlap = abs(overlap) % (size/2 + 1)
		c := mustChunker(t, size, overlap)
		for _, format := range []Format{Markdown, Text} {
			for _, ch := range c.Chunk(Document{Path: "f.md", Format: format, Text: s}) {
				if strings.TrimSpace(ch.Text) == "" {
					t.Fatalf("empty chunk for %q", s)
				}
				if !utf8.ValidString(s) {
					continue
				}
				if n := utf8.RuneCountInString(ch.Text); n > 2*(size+overlap)+200 {
					t.Fatalf("chunk of %d characters for size %d", n, size)
				}
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if n == -n { // math.MinInt
			return 0
		}
		return -n
	}
	return n
}
