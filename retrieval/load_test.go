package retrieval

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// writeTree creates files (path -> content) under a new temporary directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGlob(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"docs/a.md":              "a",
		"docs/b.txt":             "b",
		"docs/sub/c.md":          "c",
		"docs/sub/deeper/d.md":   "d",
		"docs/.hidden/e.md":      "e",
		"docs/.f.md":             "f",
		"other/g.md":             "g",
		"docs/sub/page.html":     "<p>h</p>",
		"docs/sub/deeper/x.json": "{}",
	})
	tests := []struct {
		pattern string
		want    []string
	}{
		{"docs/*.md", []string{"docs/a.md"}},
		{"docs/**/*.md", []string{"docs/a.md", "docs/sub/c.md", "docs/sub/deeper/d.md"}},
		{"**/*.md", []string{"docs/a.md", "docs/sub/c.md", "docs/sub/deeper/d.md", "other/g.md"}},
		{"docs/**", []string{"docs/a.md", "docs/b.txt", "docs/sub/c.md", "docs/sub/deeper/d.md", "docs/sub/deeper/x.json", "docs/sub/page.html"}},
		{"docs/sub/**/*.md", []string{"docs/sub/c.md", "docs/sub/deeper/d.md"}},
		{"docs/.hidden/*.md", []string{"docs/.hidden/e.md"}},
		{"docs/.*.md", []string{"docs/.f.md"}},
		{"docs/a.md", []string{"docs/a.md"}},
		{"docs/[ab].*", []string{"docs/a.md", "docs/b.txt"}},
		{"missing/**/*.md", nil},
		{"docs/nope.md", nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := Glob(dir, tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Glob(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
		})
	}
	t.Run("absolute", func(t *testing.T) {
		got, err := Glob(t.TempDir(), filepath.Join(dir, "docs", "*.md"))
		if err != nil || len(got) != 1 || !strings.HasSuffix(got[0], "docs/a.md") {
			t.Errorf("absolute pattern: %q, %v", got, err)
		}
	})
	t.Run("bad pattern", func(t *testing.T) {
		if _, err := Glob(dir, "docs/[.md"); err == nil || !strings.Contains(err.Error(), `"docs/[.md"`) {
			t.Errorf("want an error naming the pattern, got %v", err)
		}
	})
}

func TestLoadDocs(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"docs/b.md":      "# B\n\nbee\r\n",
		"docs/a.txt":     "\xef\xbb\xbfplain text",
		"docs/c.html":    "<h1>C</h1><p>see &amp; do</p>",
		"docs/bad.md":    "ok \xff\xfe bytes",
		"docs/img.png":   "PNG",
		"docs/bin.txt":   "a\x00b",
		"docs/empty.md":  "",
		"notes/x.md":     "x",
		"docs/sub/d.mdx": "d",
	})
	t.Run("sorted, deduplicated, converted", func(t *testing.T) {
		docs, err := LoadDocs(dir, []string{"docs/*.md", "docs/**/*.md*", "docs/*.html", "docs/a.txt"})
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, d := range docs {
			paths = append(paths, d.Path)
		}
		want := []string{"docs/a.txt", "docs/b.md", "docs/bad.md", "docs/c.html", "docs/empty.md", "docs/sub/d.mdx"}
		if !reflect.DeepEqual(paths, want) {
			t.Fatalf("paths = %q, want %q", paths, want)
		}
		byPath := map[string]Document{}
		for _, d := range docs {
			byPath[d.Path] = d
		}
		if got := byPath["docs/a.txt"]; got.Text != "plain text" || got.Format != Text {
			t.Errorf("BOM not stripped or wrong format: %+v", got)
		}
		if got := byPath["docs/b.md"].Text; got != "# B\n\nbee\n" {
			t.Errorf("CRLF not normalised: %q", got)
		}
		if got := byPath["docs/c.html"]; got.Format != HTML || got.Text != "# C\n\nsee & do\n" {
			t.Errorf("HTML not converted: %+v", got)
		}
		if got := byPath["docs/bad.md"].Text; got != "ok \uFFFD bytes" {
			t.Errorf("invalid UTF-8 not replaced: %q", got)
		}
	})
	errTests := []struct {
		name     string
		patterns []string
		want     []string
	}{
		{"no match", []string{"docs/*.md", "manual/**/*.md"}, []string{`"manual/**/*.md"`, "matches no files"}},
		{"unsupported type", []string{"docs/*.png"}, []string{"docs/img.png", "unsupported file type"}},
		{"binary", []string{"docs/bin.txt"}, []string{"docs/bin.txt", "binary"}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDocs(dir, tt.patterns)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	t.Run("no match is ErrNoMatch", func(t *testing.T) {
		if _, err := LoadDocs(dir, []string{"nothing/*.md"}); !errors.Is(err, ErrNoMatch) {
			t.Errorf("got %v, want ErrNoMatch", err)
		}
	})
	t.Run("unreadable file names it", func(t *testing.T) {
		_, err := LoadFile(dir, "docs/missing.md")
		if err == nil || !strings.Contains(err.Error(), "docs/missing.md") {
			t.Errorf("got %v", err)
		}
	})
}

func TestHTMLToMarkdownGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/html/*.html")
	if len(files) == 0 {
		t.Fatal("no HTML fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			md, err := HTMLToMarkdown(string(src))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, ".html")+".golden.md", []byte(md))
		})
	}
}

func TestHTMLToMarkdown(t *testing.T) {
	tests := []struct {
		name, in      string
		want, notWant []string
	}{
		{"entities decoded", `<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5</p>`, []string{"Fish & chips <3 été €5"}, nil},
		{"scripts and styles dropped", `<script>alert(1)</script><style>p{}</style><p>kept</p><noscript>js off</noscript>`, []string{"kept"}, []string{"alert", "p{}", "js off"}},
		{"headings keep levels", `<h2>Two</h2><p>x</p><h4>Four</h4><p>y</p>`, []string{"## Two\n", "#### Four\n"}, nil},
		{"title becomes h1 without h1", `<title>T</title><p>x</p>`, []string{"# T\n"}, nil},
		{"links keep urls", `<p>Go to <a href="https://x.example/a b">the page</a>.</p>`, []string{"[the page](https://x.example/a%20b)"}, nil},
		{"anchor links drop url", `<p><a href="#top">top</a></p>`, []string{"top"}, []string{"#top"}},
		{"nested lists indent", `<ul><li>a<ul><li>b</li></ul></li></ul>`, []string{"- a\n", "\n  - b\n"}, nil},
		{"pre keeps lines", "<pre>line 1\n  line 2</pre>", []string{"```\nline 1\n  line 2\n```"}, nil},
		{"heading-like text escaped", `<p># hash</p>`, []string{`\# hash`}, nil},
		{"site chrome dropped", `<nav>Home</nav><p>body</p><footer>© 2024</footer>`, []string{"body"}, []string{"Home", "2024"}},
		{"empty", ``, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HTMLToMarkdown(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output has %q:\n%s", w, got)
				}
			}
		})
	}
}

func FuzzHTMLToMarkdown(f *testing.F) {
	for _, s := range []string{
		"", "<p>x</p>", "<h1>a</h1><ul><li>b<ol><li>c</li></ol></li></ul>",
		"<table><tr><td>a|b</td></tr></table>", "<pre><code>x</code></pre>", "<a href=x>y</a>",
		"<blockquote><blockquote>q</blockquote></blockquote>", "&amp;&#0;&#xffffff;", "<li>stray</li>",
	} {
		f.Add(s)
	}
	if b, err := os.ReadFile("testdata/html/article.html"); err == nil {
		f.Add(string(b))
	}
	c, _ := NewChunker(MinChunkSize, 10)
	f.Fuzz(func(t *testing.T, s string) {
		md, err := HTMLToMarkdown(s)
		if err != nil {
			return // too deeply nested: rejected, not a panic
		}
		// The converted Markdown must chunk without panicking too.
		for _, ch := range c.Chunk(Document{Path: "f.html", Format: HTML, Text: md}) {
			if strings.TrimSpace(ch.Text) == "" {
				t.Fatalf("empty chunk from %q", s)
			}
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	f.Add("a.md", []byte("# T\n\nx"))
	f.Add("a.html", []byte("<h1>T</h1>"))
	f.Add("a.txt", []byte("\xef\xbb\xbfx\r\ny"))
	f.Add("a.png", []byte("x"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		d, err := ParseDocument(name, data)
		if err != nil {
			return
		}
		if strings.ContainsRune(d.Text, '\r') || !utf8.ValidString(d.Text) {
			t.Fatalf("carriage return left in %q", d.Text)
		}
	})
}
