package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	xhtml "golang.org/x/net/html"
)

// allowedElements are the elements our template writes; model text must
// add none.
var allowedElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "link": true, "style": true, "body": true, "div": true,
	"header": true, "h1": true, "h2": true, "span": true, "code": true, "section": true, "figure": true, "svg": true,
	"desc": true, "rect": true, "text": true, "line": true, "circle": true, "table": true, "thead": true, "tbody": true,
	"tr": true, "th": true, "td": true, "button": true, "input": true, "p": true, "details": true, "summary": true,
	"ol": true, "li": true, "ul": true, "b": true, "strong": true, "footer": true, "script": true,
}

// checkInert parses page as a browser would and asserts that it holds no
// markup from model text: only the elements our template writes, one
// script (ours, pinned by the Content-Security-Policy), no event handler
// attributes, nothing loaded from anywhere, and no raw escape, bidi or
// zero-width characters.
func checkInert(t *testing.T, page []byte) {
	t.Helper()
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var scripts []string
	var csp string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			if !allowedElements[n.Data] {
				t.Errorf("element <%s> in the page", n.Data)
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"):
					t.Errorf("<%s %s=%q>: an event handler", n.Data, a.Key, a.Val)
				case key == "src" || key == "srcset" || key == "action" || key == "formaction" || strings.HasSuffix(key, "href"):
					if a.Val != "data:," {
						t.Errorf("<%s %s=%q>: refers to something", n.Data, a.Key, a.Val)
					}
				case key == "style":
					t.Errorf("<%s style=%q>: inline style attribute", n.Data, a.Val)
				case n.Data == "meta" && key == "content" && strings.Contains(a.Val, "default-src"):
					csp = a.Val
				}
			}
			if n.Data == "script" && n.FirstChild != nil {
				scripts = append(scripts, n.FirstChild.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(scripts) != 1 {
		t.Fatalf("%d scripts, want 1 (ours)", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0]))
	want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if !strings.Contains(csp, want) || !strings.HasPrefix(csp, "default-src 'none';") {
		t.Errorf("the Content-Security-Policy %q does not pin the page's script (want %s)", csp, want)
	}
	s := string(page)
	for _, bad := range []string{"\x1b", "\u202e", "\u200b", "\x07"} {
		if strings.Contains(s, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if regexp.MustCompile(`(?i)@import|url\(`).MatchString(s) {
		t.Error("the CSS loads something")
	}
}

func TestHTMLEscapesModelText(t *testing.T) {
	a, _ := fixtureRuns()
	page := HTML(a.Summary, a.Results, HTMLOptions{})
	checkInert(t, page)
	s := string(page)
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
		`<span class="ctl" title="U&#43;001B escape: the start of a terminal escape code">ESC</span>[31mRED`,
		`invoice<span class="ctl" title="invisible character that changes the direction of the text">U&#43;202E</span>fdp.exe`,
		strings.Repeat("x", 10000), // the long line is kept whole (CSS wraps it)
		"overflow-wrap: anywhere",
		`<html lang="en" class="no-js">`,
		"@media (prefers-color-scheme: dark)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHTMLHostileEverywhere(t *testing.T) {
	r := hostileEverywhere()
	sum := dataset.Summarize([]dataset.Result{r})
	sum.Model, sum.Run, sum.Dataset = hostileScript, hostileImg, hostileANSI
	page := HTML(&sum, []dataset.Result{r}, HTMLOptions{Title: hostileScript})
	checkInert(t, page)

	a, b := fixtureRuns()
	a.Results = append(a.Results, r)
	b.Results = append(b.Results, r)
	a.Manifest.Model, b.Manifest.Model = hostileScript, hostileImg
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	checkInert(t, CompareHTML(c, HTMLOptions{}))
}

// hostileEverywhere is an item with hostile text in every field a report shows.
func hostileEverywhere() dataset.Result {
	h := hostileScript + hostileImg + hostileANSI + hostileRTL + hostileZW + "\x07</textarea><b>bold</b><iframe src=x><svg onload=alert(1)>"
	return dataset.Result{ID: h, Question: h, Gold: []string{h, h}, Tags: []string{h}, Output: h, Label: dataset.Hallucinated, Reason: h, Error: h,
		Verdicts: []dataset.Verdict{{Validator: h, Label: dataset.Label(h), Reason: h, Evidence: []string{h}}},
		Contexts: []dataset.Chunk{{ID: h, Doc: h, Heading: h, Text: h, Score: 0.5}}}
}

func TestHTMLRowsAndFilters(t *testing.T) {
	a, _ := fixtureRuns()
	s := string(HTML(a.Summary, a.Results, HTMLOptions{}))
	rows := regexp.MustCompile(`<tr data-key="([a-z_]+)" data-rank="(\d)"`).FindAllStringSubmatch(s, -1)
	if len(rows) != len(a.Results) {
		t.Fatalf("%d item rows, want %d", len(rows), len(a.Results))
	}
	for i, m := range rows {
		if m[1] != string(a.Results[i].Label) {
			t.Errorf("row %d: data-key %s, want %s", i, m[1], a.Results[i].Label)
		}
	}
	// Without JavaScript nothing is hidden: rows carry no hidden attribute.
	if regexp.MustCompile(`<tr[^>]*\shidden`).MatchString(s) {
		t.Error("a row is hidden in the HTML itself")
	}
	for _, want := range []string{
		`data-key="hallucinated" aria-pressed="false">hallucinated <span class="count">2</span>`,
		`data-key="all" aria-pressed="true">All <span class="count">10</span>`,
		`<th scope="col" class="c-label" data-sort="rank">`,
		`<svg class="chart"`, `role="img"`, `<title>Items per label</title>`,
		`correct 2, partial 2, wrong 2, hallucinated 2, refused 1, error 1 of 10 items`,
		"22.2%", "95% CI 6.3–54.7%", "<details><summary>2 verdicts</summary>", "1 retrieved context",
		"docs/account/reset-password.md", "no output",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHTMLLeavesInputAlone(t *testing.T) {
	a, _ := fixtureRuns()
	a.Summary.Validators[0].Name = "f1\x1b[31m"
	HTML(a.Summary, a.Results, HTMLOptions{})
	if a.Summary.Validators[0].Name != "f1\x1b[31m" {
		t.Errorf("HTML changed the summary it was given: %q", a.Summary.Validators[0].Name)
	}
}

func TestHTMLDeterministic(t *testing.T) {
	a, _ := fixtureRuns()
	one := HTML(a.Summary, a.Results, HTMLOptions{})
	two := HTML(a.Summary, slices.Clone(a.Results), HTMLOptions{})
	if !bytes.Equal(one, two) {
		t.Error("the same run renders differently")
	}
	when := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	if !bytes.Contains(HTML(a.Summary, a.Results, HTMLOptions{Generated: when}), []byte("2026-03-04 05:06 UTC")) {
		t.Error("the generation time is not shown")
	}
	if !bytes.Contains(HTML(a.Summary, a.Results, HTMLOptions{Title: "Nightly"}), []byte("<title>Nightly</title>")) {
		t.Error("the title option is ignored")
	}
}

func TestCompareHTML(t *testing.T) {
	a, b := fixtureRuns()
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	s := string(CompareHTML(c, HTMLOptions{}))
	checkInert(t, []byte(s))
	for _, want := range []string{
		"Not enough evidence of a difference (p=0.62): more items needed",
		`data-key="fixed" aria-pressed="false">fixed <span class="count">3</span>`,
		`data-key="regressed" aria-pressed="false">regressed <span class="count">1</span>`,
		`data-key="only_b" aria-pressed="false">only in B <span class="count">1</span>`,
		"Accuracy with 95% confidence intervals",
		"22.2% [6.3–54.7]", "60.0% [31.3–83.2]",
		"<td>password</td>", "not in this run", "1 item only in A",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(s, `<tr data-key="`); n != len(c.Items) {
		t.Errorf("%d rows, want %d", n, len(c.Items))
	}
}

func BenchmarkHTML(b *testing.B) {
	a, _ := fixtureRuns()
	var results []dataset.Result
	for len(results) < 1000 {
		results = append(results, a.Results...)
	}
	b.ReportAllocs()
	for b.Loop() {
		HTML(a.Summary, results, HTMLOptions{})
	}
}
