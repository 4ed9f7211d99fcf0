package retrieval

import (
	"regexp"
	"strings"
)

var (
	htmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)
	refDef      = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:[ \t]*<?([^\s>]+)>?(?:[ \t]+(?:"[^"]*"|'[^']*'|\([^)]*\)))?[ \t]*$`)
	refUse      = regexp.MustCompile(`(!?)\[([^\[\]]+)\](?:\[([^\[\]]*)\])?`)
	inlineTag   = regexp.MustCompile(`</?(?i:a|abbr|b|br|center|code|del|details|div|em|font|i|img|ins|kbd|mark|p|s|small|span|strong|sub|summary|sup|u)(?:\s[^<>]*)?/?>`)
)

// cleanMarkdown prepares Markdown for chunking while keeping its text
// verbatim: HTML comments are removed, reference-style links are rewritten
// as inline links (so every chunk keeps its URLs, which the links validator
// needs; the definitions usually sit at the end of the document, far from
// the chunk), and simple inline HTML tags (<kbd>, <b>, <br>, ...) are
// dropped, keeping their text. Code (fenced blocks and `spans`) is untouched.
// Line numbers are preserved.
func cleanMarkdown(src string) string {
	if strings.Contains(src, "<!--") {
		src = htmlComment.ReplaceAllStringFunc(src, func(c string) string {
			return strings.Repeat("\n", strings.Count(c, "\n"))
		})
	}
	hasRef := strings.Contains(src, "]:")
	hasTag := strings.Contains(src, "<")
	if !hasRef && !hasTag {
		return src
	}
	lines := strings.Split(src, "\n")
	defs := map[string]string{}
	inFence := ""
	if hasRef {
		for i, l := range lines {
			if f := fenceMarker(l); f != "" {
				inFence = toggleFence(inFence, f)
				continue
			}
			if inFence != "" {
				continue
			}
			if m := refDef.FindStringSubmatch(l); m != nil {
				label := normLabel(m[1])
				if _, dup := defs[label]; !dup {
					defs[label] = m[2]
				}
				lines[i] = ""
			}
		}
	}
	inFence = ""
	for i, l := range lines {
		if f := fenceMarker(l); f != "" {
			inFence = toggleFence(inFence, f)
			continue
		}
		if inFence != "" || strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t") {
			continue
		}
		lines[i] = outsideCode(l, func(s string) string {
			if len(defs) > 0 {
				s = resolveRefs(s, defs)
			}
			if strings.Contains(s, "<") {
				s = inlineTag.ReplaceAllString(s, "")
			}
			return s
		})
	}
	return strings.Join(lines, "\n")
}

// resolveRefs rewrites [text][label], [label][] and [label] as inline links
// when the label is defined.
func resolveRefs(s string, defs map[string]string) string {
	idx := refUse.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		// An inline link [text](url) or a definition is not a reference.
		if m[1] < len(s) && (s[m[1]] == '(' || s[m[1]] == ':') {
			continue
		}
		text := s[m[4]:m[5]]
		label := text
		if m[6] >= 0 && m[7] > m[6] {
			label = s[m[6]:m[7]]
		}
		url, ok := defs[normLabel(label)]
		if !ok {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]]) // "!" for images
		b.WriteString("[" + text + "](" + url + ")")
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func normLabel(s string) string { return strings.ToLower(collapseSpace(s)) }

// outsideCode applies f to the parts of a line outside `code spans`.
func outsideCode(l string, f func(string) string) string {
	if !strings.Contains(l, "`") {
		return f(l)
	}
	var b strings.Builder
	for i := 0; i < len(l); {
		j := strings.IndexByte(l[i:], '`')
		if j < 0 {
			b.WriteString(f(l[i:]))
			break
		}
		b.WriteString(f(l[i : i+j]))
		i += j
		n := 0
		for i+n < len(l) && l[i+n] == '`' {
			n++
		}
		ticks := l[i : i+n]
		end := strings.Index(l[i+n:], ticks)
		if end < 0 {
			b.WriteString(l[i:])
			break
		}
		b.WriteString(l[i : i+n+end+n])
		i += n + end + n
	}
	return b.String()
}

// fenceMarker returns the fence ("```" or "~~~", possibly longer) that l opens
// or closes, or "".
func fenceMarker(l string) string {
	t := strings.TrimLeft(l, " ")
	if len(l)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return t[:n]
}

// toggleFence returns the fence state after a fence line f.
func toggleFence(open, f string) string {
	if open == "" {
		return f
	}
	if f[0] == open[0] && len(f) >= len(open) {
		return ""
	}
	return open
}
