package retrieval

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToMarkdown converts an HTML help page to Markdown for chunking: headings
// become "#" headings (so chunks keep their heading path), lists, tables,
// block quotes and <pre> blocks keep their structure, links keep their URL
// ("[text](href)", which the links validator needs), entities are decoded,
// and scripts, styles, navigation and other non-content elements are dropped.
// When the page has no <h1>, its <title> becomes one.
func HTMLToMarkdown(src string) (string, error) {
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return "", fmt.Errorf("parse HTML: %w", err)
	}
	c := &htmlConv{}
	var title string
	hasH1 := false
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Title:
			if title == "" {
				title = collapseSpace(textOf(n))
			}
		case atom.H1:
			hasH1 = true
		}
	}
	if title != "" && !hasH1 {
		c.block()
		c.b.WriteString("# ")
		c.b.WriteString(escapeLineStart(title))
		c.block()
	}
	c.walk(root)
	return strings.TrimSpace(c.b.String()) + "\n", nil
}

// htmlConv accumulates Markdown. Inline text is buffered in line, so that
// whitespace can be collapsed and block boundaries placed.
type htmlConv struct {
	b       strings.Builder
	line    strings.Builder
	pre     int // depth of <pre>
	flushes int // times the line was flushed
}

// skipped elements carry no help content.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Noscript: true,
	atom.Template: true, atom.Svg: true, atom.Math: true, atom.Iframe: true,
	atom.Object: true, atom.Embed: true, atom.Canvas: true, atom.Nav: true, atom.Footer: true,
	atom.Select: true, atom.Audio: true, atom.Video: true,
}

// blockElems end the current paragraph before and after them.
var blockElems = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true,
	atom.Main: true, atom.Header: true, atom.Aside: true,
	atom.Address: true, atom.Figure: true, atom.Figcaption: true,
	atom.Details: true, atom.Summary: true, atom.Form: true, atom.Fieldset: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Body: true, atom.Html: true,
	atom.Caption: true, atom.Legend: true, atom.Center: true,
}

// flush writes the pending inline text as one line.
func (c *htmlConv) flush() {
	s := collapseSpace(c.line.String())
	c.line.Reset()
	c.flushes++
	if s == "" {
		return
	}
	c.b.WriteString(escapeLineStart(s))
	c.b.WriteString("\n")
}

// block ends the current paragraph with a blank line.
func (c *htmlConv) block() {
	c.flush()
	out := c.b.String()
	if out == "" || strings.HasSuffix(out, "\n\n") {
		return
	}
	if !strings.HasSuffix(out, "\n") {
		c.b.WriteString("\n")
	}
	c.b.WriteString("\n")
}

func (c *htmlConv) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		c.line.WriteString(n.Data)
		return
	case html.CommentNode, html.DoctypeNode:
		return
	case html.DocumentNode:
		c.children(n)
		c.flush()
		return
	case html.ElementNode:
	default:
		return
	}
	if skipped[n.DataAtom] || attr(n, "hidden") != "" || attr(n, "aria-hidden") == "true" {
		return
	}
	switch a := n.DataAtom; {
	case a == atom.H1 || a == atom.H2 || a == atom.H3 || a == atom.H4 || a == atom.H5 || a == atom.H6:
		level := int(n.Data[1] - '0')
		c.block()
		text := collapseSpace(textOf(n))
		if text != "" {
			c.b.WriteString(strings.Repeat("#", level) + " " + escapeLineStart(text) + "\n\n")
		}
	case a == atom.Br:
		if c.pre > 0 {
			c.line.WriteString("\n")
		} else {
			c.flush()
		}
	case a == atom.Hr:
		c.block()
		c.b.WriteString("---\n\n")
	case a == atom.Pre:
		c.block()
		code := strings.Trim(textOf(n), "\n")
		fence := "```"
		for strings.Contains(code, fence) {
			fence += "`"
		}
		c.b.WriteString(fence + "\n")
		for _, l := range strings.Split(code, "\n") {
			c.b.WriteString(l + "\n")
		}
		c.b.WriteString(fence + "\n")
		c.block()
	case a == atom.Code || a == atom.Kbd || a == atom.Samp || a == atom.Tt:
		t := textOf(n)
		if strings.TrimSpace(t) == "" {
			return
		}
		tick := "`"
		for strings.Contains(t, tick) {
			tick += "`"
		}
		c.line.WriteString(tick + collapseSpace(t) + tick)
	case a == atom.A:
		href := strings.TrimSpace(attr(n, "href"))
		before, flushes := c.line.Len(), c.flushes
		c.children(n)
		if c.flushes != flushes || c.line.Len() < before {
			return // the link held blocks that were flushed: keep their text only
		}
		text := strings.TrimSpace(c.line.String()[before:])
		if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") || text == href {
			return
		}
		if text == "" {
			c.line.WriteString(href)
			return
		}
		s := c.line.String()
		c.line.Reset()
		c.line.WriteString(s[:before])
		inner := s[before:]
		lead := inner[:len(inner)-len(strings.TrimLeft(inner, " \t\n"))]
		trail := inner[len(strings.TrimRight(inner, " \t\n")):]
		c.line.WriteString(lead + "[" + collapseSpace(inner) + "](" + strings.ReplaceAll(href, " ", "%20") + ")" + trail)
	case a == atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			c.line.WriteString(" " + alt + " ")
		}
	case a == atom.Ul || a == atom.Ol:
		c.block()
		c.list(n, a == atom.Ol)
		c.block()
	case a == atom.Li: // a stray <li> outside a list
		c.block()
		c.line.WriteString("- ")
		c.children(n)
		c.block()
	case a == atom.Blockquote:
		c.block()
		sub := &htmlConv{pre: c.pre}
		sub.children(n)
		sub.flush()
		for _, l := range strings.Split(strings.Trim(sub.b.String(), "\n"), "\n") {
			c.b.WriteString(strings.TrimRight("> "+l, " ") + "\n")
		}
		c.block()
	case a == atom.Table:
		c.block()
		c.table(n)
		c.block()
	case a == atom.Td || a == atom.Th:
		c.line.WriteString(" ")
		c.children(n)
		c.line.WriteString(" ")
	case blockElems[a]:
		c.block()
		c.children(n)
		c.block()
	default:
		c.children(n)
	}
}

func (c *htmlConv) children(n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode && ch.DataAtom == atom.Pre {
			c.pre++
			c.walk(ch)
			c.pre--
			continue
		}
		c.walk(ch)
	}
}

// list writes a list's items, numbering ordered lists. Each item is
// converted on its own and indented under its marker, so nested lists, code
// and paragraphs inside an item stay inside it.
func (c *htmlConv) list(n *html.Node, ordered bool) {
	num := 1
	if s, err := strconv.Atoi(attr(n, "start")); err == nil && s >= 0 && s < 1e6 {
		num = s
	}
	for li := n.FirstChild; li != nil; li = li.NextSibling {
		if li.Type != html.ElementNode {
			continue
		}
		marker := "- "
		if ordered {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		sub := &htmlConv{pre: c.pre}
		if li.DataAtom == atom.Li {
			sub.children(li)
		} else {
			sub.walk(li)
		}
		sub.flush()
		body := strings.Trim(sub.b.String(), "\n")
		if body == "" {
			continue
		}
		for i, l := range strings.Split(body, "\n") {
			switch {
			case i == 0:
				c.b.WriteString(marker + l + "\n")
			case l == "":
				c.b.WriteString("\n")
			default:
				c.b.WriteString(strings.Repeat(" ", len(marker)) + l + "\n")
			}
		}
	}
}

func isBlock(a atom.Atom) bool {
	return blockElems[a] || a == atom.Pre || a == atom.Table || a == atom.Blockquote ||
		a == atom.H1 || a == atom.H2 || a == atom.H3 || a == atom.H4 || a == atom.H5 || a == atom.H6
}

// table writes an HTML table as a Markdown table; the first row is the header.
func (c *htmlConv) table(n *html.Node) {
	var rows [][]string
	for tr := range n.Descendants() {
		if tr.Type != html.ElementNode || tr.DataAtom != atom.Tr {
			continue
		}
		var row []string
		for cell := tr.FirstChild; cell != nil; cell = cell.NextSibling {
			if cell.Type != html.ElementNode || (cell.DataAtom != atom.Td && cell.DataAtom != atom.Th) {
				continue
			}
			sub := &htmlConv{}
			sub.children(cell)
			sub.flush()
			text := collapseSpace(strings.ReplaceAll(sub.b.String(), "\n", " "))
			row = append(row, strings.ReplaceAll(text, "|", `\|`))
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	writeRow := func(r []string) {
		c.b.WriteString("|")
		for i := 0; i < width; i++ {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			c.b.WriteString(" " + cell + " |")
		}
		c.b.WriteString("\n")
	}
	writeRow(rows[0])
	c.b.WriteString("|" + strings.Repeat(" --- |", width) + "\n")
	for _, r := range rows[1:] {
		writeRow(r)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			if a.Val == "" {
				return key
			}
			return a.Val
		}
	}
	return ""
}

// textOf returns the text content of n, skipping non-content elements.
func textOf(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			if skipped[n.DataAtom] {
				return
			}
			if n.DataAtom == atom.Br {
				b.WriteString("\n")
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			rec(ch)
		}
	}
	rec(n)
	return b.String()
}

// collapseSpace turns every run of white space into one space and trims.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// escapeLineStart escapes a "#" that starts a line of converted text, which
// Markdown would read as a heading. Other look-alikes (a "1." or ">" at the
// start) would at worst become a list or a quote, with the text intact, so
// they are left alone: chunks keep the Markdown verbatim, escapes included.
func escapeLineStart(s string) string {
	if strings.HasPrefix(s, "#") {
		return `\` + s
	}
	return s
}
