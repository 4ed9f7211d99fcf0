package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"gitlab.com/golang-commonmark/markdown"
	xhtml "golang.org/x/net/html"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// hostileOutputs are model answers written to attack whoever reads them: a
// browser (script, event handlers), a terminal (screen clearing, colours,
// window title, hyperlinks), a reader of the text (bidi overrides), an XML
// parser (NUL, ]]>) and a layout (a 100k-character line).
var hostileOutputs = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	"\x1b[2J\x1b[31mred alert\x1b[0m",
	"\x1b]0;pwned\x07 the title is gone",
	"\x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
	"access level \u202eSINED\u202c for \u2066admin\u2069 and \u202aleft\u202bright\u202c",
	"nul\x00byte and bell\x07 and backspace\x08\x08\x08 and return\roverwritten",
	"\u009b31m C1 CSI and \u009d0;osc\u009c",
	strings.Repeat("A", 100_000),
	"</td></tr></table><iframe src=x></iframe><svg onload=alert(3)> ]]> <![CDATA[ x ]]> </testcase>\x1b[5m",
}

// hostileDoc is a help doc carrying the same payloads, so retrieved chunks
// (contexts in results, `synth ask`) carry them too.
const hostileDoc = "# Door codes <script>alert(4)</script>\n\n" +
	"The door code of storage room 1 is 4000. \x1b]0;doc-pwned\x07 <img src=x onerror=alert(5)> \u202eevil\u202c\n\n" +
	"## Keypad \x1b[2J\n\nPress the green key after the code. \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\\n"

// terminalUnsafe returns what in out could act on a terminal or hide text:
// escape and control bytes, C1 controls and bidi controls.
func terminalUnsafe(out string) []string {
	var bad []string
	for i, r := range out {
		switch {
		case r == utf8.RuneError:
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			bad = append(bad, fmt.Sprintf("%U at byte %d: %q", r, i, out[max(0, i-30):min(len(out), i+10)]))
		}
		if len(bad) > 5 {
			break
		}
	}
	return bad
}

// inertHTML checks an HTML page synth wrote: model and doc text added no
// element, no event handler and no script, and no raw control character.
func inertHTML(t *testing.T, path string) {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.Data {
			case "img", "iframe", "object", "embed", "textarea", "form", "a":
				t.Errorf("%s: element <%s> from content", path, n.Data)
			case "script":
				if n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "alert(") {
					t.Errorf("%s: a script from content: %.80q", path, n.FirstChild.Data)
				}
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("%s: <%s %s=%q>: an event handler", path, n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, bad := range terminalUnsafe(string(page)) {
		t.Errorf("%s: raw %s", path, bad)
	}
}

// inertMarkdown renders a Markdown file synth wrote as a viewer that allows
// raw HTML would (CommonMark, HTML on) and checks that model and doc text
// added no element, link or image.
func inertMarkdown(t *testing.T, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rendered := markdown.New(markdown.HTML(true), markdown.Tables(true)).RenderToString(src)
	doc, err := xhtml.Parse(strings.NewReader(rendered))
	if err != nil {
		t.Fatalf("%s rendered: %v", path, err)
	}
	allowed := map[string]bool{"html": true, "head": true, "body": true, "h1": true, "h2": true, "h3": true, "p": true,
		"ul": true, "ol": true, "li": true, "strong": true, "em": true, "code": true, "pre": true, "table": true,
		"thead": true, "tbody": true, "tr": true, "th": true, "td": true, "blockquote": true, "br": true, "hr": true}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && !allowed[n.Data] {
			t.Errorf("%s renders an element <%s>", path, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, bad := range terminalUnsafe(string(src)) {
		t.Errorf("%s: raw %s", path, bad)
	}
}

// wellFormedXML parses a JUnit file to its end.
func wellFormedXML(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	cases := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "testcase" {
			cases++
		}
	}
	if cases != len(hostileOutputs) {
		t.Errorf("%s: %d test cases, want %d", path, cases, len(hostileOutputs))
	}
}

// TestHostileContent grades hostile model answers over hostile help docs
// and shows them every way synth can: eval's terminal output, report.md,
// report.html, JUnit XML, `synth ask`, and `synth compare` (text, Markdown,
// HTML). No escape code may reach the terminal, no markup may render, and
// the XML must parse.
func TestHostileContent(t *testing.T) {
	t.Parallel()
	items := makeItems(len(hostileOutputs))
	items[3].ID = "evil-\x1b]0;id-pwned\x07-<b>id</b>"
	byQuestion := map[string]int{}
	for i, it := range items {
		byQuestion[it.Question] = i
	}
	srv := newFake(t, nil)
	srv.HandleFunc(llmtest.Any(), func(r llmtest.ChatRequest) llmtest.Reply {
		for q, i := range byQuestion {
			if strings.Contains(r.LastUser(), q) {
				if r.Model == "fixed" {
					return llmtest.Text(items[i].Answer) // the "after" model gets it right
				}
				return llmtest.Text(hostileOutputs[i])
			}
		}
		return llmtest.Text(hostileOutputs[len(hostileOutputs)-1])
	})
	p := newProject(t, map[string]string{
		"evalset.jsonl": evalSetJSONL(items),
		"docs/evil.md":  hostileDoc,
		"docs/long.md":  "# Long\n\n" + strings.Repeat("storage room ", 9000) + "\n",
		"synth.yaml": fmt.Sprintf(`models:
  fake: %s
  after: %s
knowledge: {docs: ["docs/*.md"]}
eval: {dataset: evalset.jsonl, model: fake, rag: {k: 2}}
`, remoteModel(srv.URL(), ""), strings.Replace(remoteModel(srv.URL(), ""), "model: llmtest", "model: fixed", 1)),
	})
	terminal := func(r result) {
		t.Helper()
		noCrash(t, r)
		for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
			for _, bad := range terminalUnsafe(out) {
				t.Errorf("synth %s: %s has %s", strings.Join(r.args, " "), name, bad)
			}
		}
	}
	longLines := func(r result, limit int) {
		t.Helper()
		for _, line := range strings.Split(r.stdout+r.stderr, "\n") {
			if n := utf8.RuneCountInString(line); n > limit {
				t.Errorf("synth %s: a %d-character line on the terminal", strings.Join(r.args, " "), n)
				break
			}
		}
	}

	r := p.mustRun(0, "eval", "--junit", "junit.xml")
	terminal(r)
	longLines(r, 1000)
	before := onlyRun(t, p.path("runs"))
	results := onePerItem(t, readResults(t, filepath.Join(before, dataset.ResultsFile)), items)
	if got := results[items[0].ID].Output; got != hostileOutputs[0] {
		t.Errorf("results.jsonl must keep the output as the model gave it: got %q", got)
	}
	inertMarkdown(t, filepath.Join(before, "report.md"))
	inertHTML(t, filepath.Join(before, "report.html"))
	wellFormedXML(t, p.path("junit.xml"))
	// The payloads are there, shown as text (else the checks above prove nothing).
	for file, want := range map[string]string{
		filepath.Join(before, "report.md"):   "&lt;script&gt;alert(1)",
		filepath.Join(before, "report.html"): "&lt;script&gt;alert(1)",
		p.path("junit.xml"):                  "alert(1)",
	} {
		if data, _ := os.ReadFile(file); !bytes.Contains(data, []byte(want)) {
			t.Errorf("%s does not show %q", file, want)
		}
	}

	for _, i := range []int{0, 3, 5, 6, 9} {
		r := p.mustRun(0, "ask", "--model", "fake", items[i].Question)
		terminal(r)
		if i == 3 && !strings.Contains(r.stdout, `\e]0;pwned\x07 the title is gone`) {
			t.Errorf("ask does not show the answer's escape code as text\n%s", r)
		}
	}
	terminal(p.mustRun(0, "ask", "--json", "--model", "fake", items[2].Question))

	r = p.mustRun(0, "eval", "--model", "after", "--quiet")
	terminal(r)
	var after string
	for _, d := range runDirs(t, p.path("runs")) {
		if d != before {
			after = d
		}
	}
	for _, args := range [][]string{{"compare", before, after}, {"compare", "--md", before, after}} {
		r := p.mustRun(0, args...)
		terminal(r)
		longLines(r, 1000)
	}
	inertMarkdown(t, filepath.Join(after, "compare.md"))
	inertHTML(t, filepath.Join(after, "compare.html"))
	inertHTML(t, filepath.Join(after, "report.html"))
}
