package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tmc/langchaingo/textsplitter"
	"gitlab.com/golang-commonmark/markdown"

	"github.com/synth-dev/synth/dataset"
)

// Chunker splits a document into chunks. Implementations are pure: no I/O,
// no context, and the same document always gives the same chunks.
type Chunker interface {
	Chunk(doc Document) []dataset.Chunk
}

// Default chunk sizes, in characters (runes).
const (
	DefaultChunkSize    = 800
	DefaultChunkOverlap = 100
	// MinChunkSize is the smallest accepted chunk size.
	MinChunkSize = 50
)

// SplitChunker is synth's [Chunker]. Markdown (and HTML, loaded as Markdown)
// is split into sections at its headings; every chunk carries its section's
// heading path in Chunk.Heading ("Account > Delete your account") and the
// section's verbatim Markdown in Chunk.Text. Within a section, whole blocks
// (paragraphs, lists, tables, code, quotes) are packed into chunks of up to
// Size characters; a block longer than Size is split on its own — tables by
// rows with the header row repeated, code by lines inside its fence, prose by
// langchaingo's RecursiveCharacter splitter — and each chunk after the first
// in a section starts with up to Overlap characters of the one before it.
// Plain text has no headings and is split by the RecursiveCharacter splitter.
//
// It does not use langchaingo's MarkdownTextSplitter, whose v0.1.14 output
// loses content and rewrites text; see docs/knowledge-base.md and
// TestLangchaingoMarkdownQuirks for the cases.
type SplitChunker struct {
	size, overlap int
	prose         textsplitter.RecursiveCharacter
	lines         textsplitter.RecursiveCharacter
}

var _ Chunker = (*SplitChunker)(nil)

// NewChunker returns a chunker packing chunks of up to size characters with
// overlap characters carried over between consecutive chunks of a section.
func NewChunker(size, overlap int) (*SplitChunker, error) {
	if size < MinChunkSize {
		return nil, fmt.Errorf("chunk size must be at least %d, got %d", MinChunkSize, size)
	}
	if overlap < 0 || overlap > size/2 {
		return nil, fmt.Errorf("chunk overlap must be between 0 and half the chunk size (%d), got %d", size/2, overlap)
	}
	return &SplitChunker{
		size:    size,
		overlap: overlap,
		// The last separator "" splits inside an overlong word, so no piece
		// exceeds the size.
		prose: textsplitter.NewRecursiveCharacter(
			textsplitter.WithChunkSize(size),
			textsplitter.WithChunkOverlap(0),
			textsplitter.WithSeparators([]string{"\n\n", "\n", " ", ""}),
		),
		lines: textsplitter.NewRecursiveCharacter(
			textsplitter.WithChunkSize(size),
			textsplitter.WithChunkOverlap(0),
			textsplitter.WithSeparators([]string{"\n", ""}),
		),
	}, nil
}

// Size returns the target chunk size in characters.
func (c *SplitChunker) Size() int { return c.size }

// Overlap returns the overlap in characters.
func (c *SplitChunker) Overlap() int { return c.overlap }

// ChunkID returns the stable id of a chunk: a hash of the document path,
// heading path and text.
func ChunkID(doc, heading, text string) string {
	h := sha256.New()
	h.Write([]byte(doc))
	h.Write([]byte{0})
	h.Write([]byte(heading))
	h.Write([]byte{0})
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Chunk splits doc. Identical chunks (same heading and text) within a
// document are kept once.
func (c *SplitChunker) Chunk(doc Document) []dataset.Chunk {
	var secs []section
	if doc.Format == Text {
		secs = []section{{blocks: []block{{kind: blockProse, text: doc.Text}}}}
	} else {
		secs = parseSections(doc.Text)
	}
	var out []dataset.Chunk
	seen := map[string]bool{}
	for _, s := range secs {
		for _, text := range c.pack(s.blocks) {
			id := ChunkID(doc.Path, s.heading, text)
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, dataset.Chunk{ID: id, Doc: doc.Path, Heading: s.heading, Text: text})
		}
	}
	return out
}

type blockKind int

const (
	blockProse blockKind = iota
	blockTable
	blockFence
)

type block struct {
	kind blockKind
	text string
}

type section struct {
	heading string
	blocks  []block
}

// pack groups a section's blocks into chunk texts.
func (c *SplitChunker) pack(blocks []block) []string {
	type piece struct {
		text    string
		overlap bool // may start with the previous piece's tail
	}
	var pieces []piece
	var cur strings.Builder
	curLen := 0
	curOverlap := true
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			pieces = append(pieces, piece{t, curOverlap})
		}
		cur.Reset()
		curLen = 0
	}
	for _, b := range blocks {
		text := strings.TrimRight(b.text, " \t\n")
		text = strings.TrimLeft(text, "\n")
		if strings.TrimSpace(text) == "" {
			continue
		}
		n := utf8.RuneCountInString(text)
		if curLen > 0 && curLen+2+n <= c.size {
			cur.WriteString("\n\n")
			cur.WriteString(text)
			curLen += 2 + n
			continue
		}
		flush()
		if n <= c.size {
			cur.WriteString(text)
			curLen = n
			curOverlap = b.kind == blockProse
			continue
		}
		for _, p := range c.split(b.kind, text) {
			pieces = append(pieces, piece{p, b.kind == blockProse})
		}
	}
	flush()
	out := make([]string, len(pieces))
	for i, p := range pieces {
		out[i] = p.text
		if i > 0 && p.overlap && c.overlap > 0 {
			if t := tail(pieces[i-1].text, c.overlap); t != "" && !strings.HasPrefix(p.text, t) {
				out[i] = t + " " + p.text
			}
		}
	}
	return out
}

// split cuts one block longer than the chunk size.
func (c *SplitChunker) split(kind blockKind, text string) []string {
	switch kind {
	case blockTable:
		return c.splitTable(text)
	case blockFence:
		return c.splitFence(text)
	}
	parts, _ := c.prose.SplitText(text) // RecursiveCharacter never fails
	return trimAll(parts)
}

// splitTable splits a Markdown table by rows, repeating the header and
// delimiter rows at the top of every piece.
func (c *SplitChunker) splitTable(text string) []string {
	rows := strings.Split(text, "\n")
	if len(rows) < 3 {
		parts, _ := c.prose.SplitText(text)
		return trimAll(parts)
	}
	head := rows[0] + "\n" + rows[1]
	headLen := utf8.RuneCountInString(head)
	var out []string
	var cur strings.Builder
	curLen := 0
	for _, r := range rows[2:] {
		n := utf8.RuneCountInString(r)
		if curLen > 0 && headLen+curLen+1+n > c.size {
			out = append(out, head+cur.String())
			cur.Reset()
			curLen = 0
		}
		if headLen+1+n > c.size { // one row alone is too long: split it as prose
			for _, p := range trimAll(must(c.prose.SplitText(r))) {
				out = append(out, head+"\n"+p)
			}
			continue
		}
		cur.WriteString("\n")
		cur.WriteString(r)
		curLen += 1 + n
	}
	if curLen > 0 {
		out = append(out, head+cur.String())
	}
	return out
}

// splitFence splits a fenced code block by lines, re-wrapping every piece in
// the block's fence so each chunk stays valid Markdown.
func (c *SplitChunker) splitFence(text string) []string {
	lines := strings.Split(text, "\n")
	open := lines[0]
	fence := strings.TrimLeft(open, " ")
	fence = fence[:len(fence)-len(strings.TrimLeft(fence, "`~"))]
	body := lines[1:]
	if len(body) > 0 && strings.HasPrefix(strings.TrimSpace(body[len(body)-1]), fence) {
		body = body[:len(body)-1]
	}
	inner := strings.Join(body, "\n")
	limit := c.size - utf8.RuneCountInString(open) - len(fence) - 2
	if limit < MinChunkSize/2 {
		limit = MinChunkSize / 2
	}
	sp := c.lines
	sp.ChunkSize = limit
	parts, _ := sp.SplitText(inner)
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		out = append(out, open+"\n"+p+"\n"+fence)
	}
	return out
}

func must(parts []string, _ error) []string { return parts }

func trimAll(parts []string) []string {
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// tail returns about the last n characters of s, starting at a word boundary.
func tail(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return ""
	}
	i := len(s)
	for k := 0; k < n && i > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	// Move forward to the start of the next word.
	if i > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:i]); !unicode.IsSpace(r) {
			j := strings.IndexFunc(s[i:], unicode.IsSpace)
			if j < 0 {
				return ""
			}
			i += j
		}
	}
	return strings.TrimSpace(s[i:])
}

// mdParser finds block structure only: HTML blocks on (so they can be
// converted), typographer and linkify off (the text is kept verbatim).
var mdParser = markdown.New(markdown.HTML(true), markdown.Tables(true),
	markdown.Linkify(false), markdown.Typographer(false))

// parseSections splits Markdown into sections at its top-level headings and
// each section into top-level blocks with their verbatim source.
func parseSections(src string) []section {
	title, src := frontMatter(src)
	src = cleanMarkdown(src)
	lines := strings.Split(src, "\n")
	toks := mdParser.Parse([]byte(src))

	type level struct {
		n    int
		text string
	}
	var stack []level
	if title != "" {
		stack = append(stack, level{0, title})
	}
	path := func() string {
		parts := make([]string, 0, len(stack))
		for _, l := range stack {
			if l.text != "" {
				parts = append(parts, l.text)
			}
		}
		return strings.Join(parts, " > ")
	}
	secs := []section{{heading: path()}}
	add := func(kind blockKind, m [2]int) {
		if m[0] < 0 || m[1] > len(lines) || m[0] >= m[1] {
			return
		}
		text := strings.Join(lines[m[0]:m[1]], "\n")
		secs[len(secs)-1].blocks = append(secs[len(secs)-1].blocks, block{kind, text})
	}
	for i := 0; i < len(toks); i++ {
		if toks[i].Level() != 0 {
			continue
		}
		switch t := toks[i].(type) {
		case *markdown.HeadingOpen:
			text := ""
			if i+1 < len(toks) {
				if in, ok := toks[i+1].(*markdown.Inline); ok {
					text = inlineText(in.Children)
				}
			}
			if text == "" {
				continue
			}
			if len(stack) > 0 && stack[0].n == 0 && t.HLevel == 1 {
				stack = stack[:0] // an H1 replaces the front-matter title
			}
			for len(stack) > 0 && stack[len(stack)-1].n >= t.HLevel {
				stack = stack[:len(stack)-1]
			}
			stack = append(stack, level{t.HLevel, text})
			secs = append(secs, section{heading: path()})
		case *markdown.ParagraphOpen:
			add(blockProse, t.Map)
		case *markdown.BulletListOpen:
			add(blockProse, t.Map)
		case *markdown.OrderedListOpen:
			add(blockProse, t.Map)
		case *markdown.BlockquoteOpen:
			add(blockProse, t.Map)
		case *markdown.CodeBlock:
			add(blockProse, t.Map)
		case *markdown.Hr:
			// A thematic break separates blocks; it carries no content.
		case *markdown.TableOpen:
			add(blockTable, t.Map)
		case *markdown.Fence:
			add(blockFence, t.Map)
		case *markdown.HTMLBlock:
			if text := htmlBlockText(t.Content); text != "" {
				secs[len(secs)-1].blocks = append(secs[len(secs)-1].blocks, block{blockProse, text})
			}
		}
	}
	return secs
}

// inlineText renders a heading's inline tokens as plain text.
func inlineText(toks []markdown.Token) string {
	var b strings.Builder
	for _, t := range toks {
		switch t := t.(type) {
		case *markdown.Text:
			b.WriteString(t.Content)
		case *markdown.CodeInline:
			b.WriteString(t.Content)
		case *markdown.Softbreak, *markdown.Hardbreak:
			b.WriteString(" ")
		case *markdown.Image:
			b.WriteString(inlineText(t.Tokens))
		}
	}
	return collapseSpace(b.String())
}

// htmlBlockText turns a raw HTML block inside Markdown into plain text.
func htmlBlockText(src string) string {
	md, err := HTMLToMarkdown(src)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(md)
}

// frontMatter strips a YAML front-matter block and returns its title.
func frontMatter(src string) (title, rest string) {
	if !strings.HasPrefix(src, "---\n") {
		return "", src
	}
	end := strings.Index(src[4:], "\n---")
	if end < 0 {
		return "", src
	}
	fm := src[4 : 4+end]
	after := src[4+end+4:]
	if nl := strings.IndexByte(after, '\n'); nl >= 0 && strings.TrimSpace(after[:nl]) == "" {
		after = after[nl+1:]
	} else if strings.TrimSpace(after) != "" {
		return "", src // "---" followed by more text on the line: not front matter
	}
	for _, l := range strings.Split(fm, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "title" {
			title = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	// Keep the line count so that nothing else shifts: blank the block.
	return title, strings.Repeat("\n", strings.Count(src[:len(src)-len(after)], "\n")) + after
}
