package importers

import (
	"strconv"
	"strings"
	"unicode"
)

// This file renders the part of Nunjucks (the template language of promptfoo
// prompts and assertion values) that eval configs use in practice:
//
//   - {{ var }}, {{ a.b }}, {{ a[0] }}, {{ a["k"] }} with the filters upper,
//     lower, trim, capitalize, title, safe, dump, join, default (d), length,
//     first and last;
//   - {% if %} / {% elif %} / {% else %} / {% endif %} on a variable, "not",
//     "and", "or", and == / != against a quoted string or a number;
//   - {% for x in list %} ... {% endfor %} (with loop.index, loop.first, loop.last);
//   - {# comments #} and the whitespace-trimming forms {%- -%} {{- -}}.
//
// Anything else is reported through [renderer.unsupported] and left out, so
// the importer can list it. {{ env.NAME }} is never rendered: environment
// variables may hold secrets, and an eval set must not capture them.

// renderer renders templates against a test's variables.
type renderer struct {
	// missing is told about variables the template uses that are not set.
	missing func(name string)
	// unsupported is told about template syntax that was left out.
	unsupported func(what string)
}

type tokKind uint8

const (
	tokText tokKind = iota
	tokExpr
	tokTag
)

type token struct {
	kind tokKind
	text string
}

// tokenize splits src into text, {{ expr }} and {% tag %} tokens, dropping
// comments and applying the whitespace-control dashes.
func tokenize(src string) []token {
	var toks []token
	trimNext := false
	for len(src) > 0 {
		i := strings.Index(src, "{")
		for i >= 0 && (i+1 >= len(src) || (src[i+1] != '{' && src[i+1] != '%' && src[i+1] != '#')) {
			j := strings.Index(src[i+1:], "{")
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			toks = appendText(toks, src, trimNext, false)
			break
		}
		open := src[i : i+2]
		closeTok := map[string]string{"{{": "}}", "{%": "%}", "{#": "#}"}[open]
		end := strings.Index(src[i+2:], closeTok)
		if end < 0 {
			// An unterminated tag is text, as Nunjucks would fail; keep it visible.
			toks = appendText(toks, src, trimNext, false)
			break
		}
		inner := src[i+2 : i+2+end]
		trimBefore := strings.HasPrefix(inner, "-")
		trimAfter := strings.HasSuffix(inner, "-")
		inner = strings.TrimSuffix(strings.TrimPrefix(inner, "-"), "-")
		toks = appendText(toks, src[:i], trimNext, trimBefore)
		switch open {
		case "{{":
			toks = append(toks, token{kind: tokExpr, text: strings.TrimSpace(inner)})
		case "{%":
			toks = append(toks, token{kind: tokTag, text: strings.TrimSpace(inner)})
		}
		trimNext = trimAfter
		src = src[i+2+end+2:]
	}
	return toks
}

func appendText(toks []token, s string, trimLeft, trimRight bool) []token {
	if trimLeft {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if trimRight {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	if s == "" {
		return toks
	}
	return append(toks, token{kind: tokText, text: s})
}

// usesTemplate reports whether s has template syntax at all.
func usesTemplate(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// scope resolves names: loop variables first, then the test's vars.
type scope struct {
	vars   *node
	locals map[string]*node
	parent *scope
}

func (s *scope) lookup(name string) *node {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.locals[name]; ok {
			return v
		}
	}
	return s.root().vars.get(name)
}

func (s *scope) root() *scope {
	for s.parent != nil {
		s = s.parent
	}
	return s
}

// render renders src with vars.
func (r renderer) render(src string, vars *node) string {
	if !usesTemplate(src) {
		return src
	}
	toks := tokenize(src)
	var b strings.Builder
	pos := 0
	r.block(&b, toks, &pos, &scope{vars: vars}, nil)
	for pos < len(toks) { // stray end tags
		r.note("stray {% " + toks[pos].text + " %}")
		pos++
		r.block(&b, toks, &pos, &scope{vars: vars}, nil)
	}
	return b.String()
}

func (r renderer) note(what string) {
	if r.unsupported != nil {
		r.unsupported(what)
	}
}

// block renders tokens from *pos until one of the stop tags (by first word),
// which it leaves at *pos. With b == nil it only skips.
func (r renderer) block(b *strings.Builder, toks []token, pos *int, sc *scope, stop []string) {
	for *pos < len(toks) {
		t := toks[*pos]
		switch t.kind {
		case tokText:
			if b != nil {
				b.WriteString(t.text)
			}
			*pos++
		case tokExpr:
			if b != nil {
				b.WriteString(r.expr(t.text, sc))
			}
			*pos++
		case tokTag:
			word, rest := splitWord(t.text)
			for _, s := range stop {
				if word == s {
					return
				}
			}
			*pos++
			switch word {
			case "if":
				r.ifBlock(b, toks, pos, sc, rest)
			case "for":
				r.forBlock(b, toks, pos, sc, rest)
			case "raw":
				for *pos < len(toks) && !(toks[*pos].kind == tokTag && toks[*pos].text == "endraw") {
					if b != nil {
						b.WriteString(rawToken(toks[*pos]))
					}
					*pos++
				}
				*pos++
			default:
				if word == "endif" || word == "endfor" || word == "else" || word == "elif" || word == "elseif" {
					// An end tag without its opening tag: Nunjucks would fail.
					r.note("{% " + t.text + " %} without its opening tag")
					continue
				}
				r.note("{% " + word + " %}")
			}
		}
	}
}

func rawToken(t token) string {
	switch t.kind {
	case tokExpr:
		return "{{ " + t.text + " }}"
	case tokTag:
		return "{% " + t.text + " %}"
	}
	return t.text
}

func (r renderer) ifBlock(b *strings.Builder, toks []token, pos *int, sc *scope, cond string) {
	taken := false
	for {
		branch := !taken && r.truthy(cond, sc)
		var out *strings.Builder
		if branch && b != nil {
			out = b
		}
		r.block(out, toks, pos, sc, []string{"elif", "elseif", "else", "endif"})
		if branch {
			taken = true
		}
		if *pos >= len(toks) {
			r.note("{% if %} without {% endif %}")
			return
		}
		word, rest := splitWord(toks[*pos].text)
		*pos++
		switch word {
		case "endif":
			return
		case "else":
			cond = "true"
		default:
			cond = rest
		}
	}
}

func (r renderer) forBlock(b *strings.Builder, toks []token, pos *int, sc *scope, head string) {
	name, rest := splitWord(head)
	in, expr := splitWord(rest)
	start := *pos
	if in != "in" || name == "" || strings.Contains(name, ",") {
		r.note("{% for " + head + " %}")
		r.block(nil, toks, pos, sc, []string{"endfor"})
		*pos++
		return
	}
	list := r.value(expr, sc)
	var items []*node
	if list != nil && list.kind == kindList {
		items = list.list
	}
	if len(items) == 0 {
		r.block(nil, toks, pos, sc, []string{"else", "endfor"})
		if *pos < len(toks) && toks[*pos].text == "else" {
			*pos++
			r.block(b, toks, pos, sc, []string{"endfor"})
		}
		*pos++
		return
	}
	for i, it := range items {
		*pos = start
		loop := &node{kind: kindMap}
		loop.set("index", &node{kind: kindScalar, typ: typeNumber, text: strconv.Itoa(i + 1)})
		loop.set("index0", &node{kind: kindScalar, typ: typeNumber, text: strconv.Itoa(i)})
		loop.set("first", &node{kind: kindScalar, typ: typeBool, text: strconv.FormatBool(i == 0)})
		loop.set("last", &node{kind: kindScalar, typ: typeBool, text: strconv.FormatBool(i == len(items)-1)})
		inner := &scope{locals: map[string]*node{name: it, "loop": loop}, parent: sc}
		r.block(b, toks, pos, inner, []string{"else", "endfor"})
		if *pos < len(toks) && toks[*pos].text == "else" {
			*pos++
			r.block(nil, toks, pos, sc, []string{"endfor"})
		}
	}
	*pos++
}

func splitWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// truthy evaluates an if condition.
func (r renderer) truthy(cond string, sc *scope) bool {
	cond = strings.TrimSpace(cond)
	if cond == "true" {
		return true
	}
	if parts := splitOutside(cond, " or "); len(parts) > 1 {
		for _, p := range parts {
			if r.truthy(p, sc) {
				return true
			}
		}
		return false
	}
	if parts := splitOutside(cond, " and "); len(parts) > 1 {
		for _, p := range parts {
			if !r.truthy(p, sc) {
				return false
			}
		}
		return true
	}
	if rest, ok := strings.CutPrefix(cond, "not "); ok {
		return !r.truthy(rest, sc)
	}
	for _, op := range []string{"==", "!="} {
		if l, rgt, ok := strings.Cut(cond, op); ok {
			lv := r.value(strings.TrimSpace(l), sc)
			want, ok := literal(strings.TrimSpace(rgt))
			if !ok {
				rv := r.value(strings.TrimSpace(rgt), sc)
				want = rv.render()
			}
			eq := lv.render() == want
			return eq == (op == "==")
		}
	}
	v := r.value(cond, sc)
	if v == nil || v.kind == kindNull {
		return false
	}
	if v.kind != kindScalar {
		return true
	}
	switch v.typ {
	case typeBool:
		return v.text == "true"
	case typeNumber:
		f, err := strconv.ParseFloat(v.text, 64)
		return err != nil || f != 0
	}
	return v.text != ""
}

// splitOutside splits s on sep outside quotes.
func splitOutside(s, sep string) []string {
	var parts []string
	quote := byte(0)
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case strings.HasPrefix(s[i:], sep):
			parts = append(parts, s[last:i])
			last = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(parts, s[last:])
}

// literal parses a quoted string or a number.
func literal(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s, true
	}
	return "", false
}

// expr renders {{ expr }}.
func (r renderer) expr(src string, sc *scope) string {
	parts := splitOutside(src, "|")
	head := strings.TrimSpace(parts[0])
	if head == "env" || strings.HasPrefix(head, "env.") || strings.HasPrefix(head, "env[") {
		r.note("{{ " + head + " }} (environment variables are never copied into an eval set)")
		return "{{ " + head + " }}"
	}
	v := r.value(head, sc)
	if v == nil && r.missing != nil {
		if _, ok := literal(head); !ok && !hasDefaultFilter(parts[1:]) {
			r.missing(rootName(head))
		}
	}
	out := v
	for _, f := range parts[1:] {
		out = r.filter(strings.TrimSpace(f), out)
	}
	return out.render()
}

func hasDefaultFilter(filters []string) bool {
	for _, f := range filters {
		name, _, _ := strings.Cut(strings.TrimSpace(f), "(")
		if name = strings.TrimSpace(name); name == "default" || name == "d" {
			return true
		}
	}
	return false
}

func rootName(path string) string {
	end := strings.IndexAny(path, ".[")
	if end < 0 {
		return path
	}
	return path[:end]
}

// value resolves a path (a.b, a[0], a["k"]) or a literal; nil when unset.
func (r renderer) value(path string, sc *scope) *node {
	path = strings.TrimSpace(path)
	if s, ok := literal(path); ok {
		return &node{kind: kindScalar, text: s}
	}
	if path == "" {
		return nil
	}
	name := rootName(path)
	cur := sc.lookup(name)
	rest := path[len(name):]
	for rest != "" && cur != nil {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			key := rootName(rest)
			cur = cur.get(key)
			rest = rest[len(key):]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil
			}
			idx := strings.TrimSpace(rest[1:end])
			rest = rest[end+1:]
			if s, ok := literal(idx); ok && (idx[0] == '"' || idx[0] == '\'') {
				cur = cur.get(s)
			} else if i, err := strconv.Atoi(idx); err == nil && cur.kind == kindList && i >= 0 && i < len(cur.list) {
				cur = cur.list[i]
			} else {
				return nil
			}
		default:
			return nil
		}
	}
	return cur
}

// filter applies one Nunjucks filter.
func (r renderer) filter(f string, v *node) *node {
	name, args, _ := strings.Cut(f, "(")
	name = strings.TrimSpace(name)
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	text := func(s string) *node { return &node{kind: kindScalar, text: s} }
	switch name {
	case "safe", "escape", "e":
		return v
	case "upper":
		return text(strings.ToUpper(v.render()))
	case "lower":
		return text(strings.ToLower(v.render()))
	case "trim":
		return text(strings.TrimSpace(v.render()))
	case "capitalize":
		s := strings.ToLower(v.render())
		if s == "" {
			return text(s)
		}
		rs := []rune(s)
		rs[0] = unicode.ToUpper(rs[0])
		return text(string(rs))
	case "title":
		words := strings.Fields(strings.ToLower(v.render()))
		for i, w := range words {
			rs := []rune(w)
			rs[0] = unicode.ToUpper(rs[0])
			words[i] = string(rs)
		}
		return text(strings.Join(words, " "))
	case "dump":
		if v == nil {
			return text("null")
		}
		if v.kind == kindScalar && v.typ == typeString {
			return text(strconv.Quote(v.text))
		}
		return text(v.render())
	case "default", "d":
		if v == nil || v.kind == kindNull {
			s, ok := literal(strings.TrimSpace(args))
			if !ok {
				r.note("the default filter with a non-literal argument")
			}
			return text(s)
		}
		return v
	case "join":
		sep, ok := literal(strings.TrimSpace(args))
		if !ok {
			sep = ""
		}
		if v == nil || v.kind != kindList {
			return v
		}
		parts := make([]string, len(v.list))
		for i, e := range v.list {
			parts[i] = e.render()
		}
		return text(strings.Join(parts, sep))
	case "length":
		n := 0
		if v != nil {
			switch v.kind {
			case kindList:
				n = len(v.list)
			case kindMap:
				n = len(v.keys)
			case kindScalar:
				n = len([]rune(v.text))
			}
		}
		return &node{kind: kindScalar, typ: typeNumber, text: strconv.Itoa(n)}
	case "first", "last":
		if v == nil || v.kind != kindList || len(v.list) == 0 {
			return nil
		}
		if name == "first" {
			return v.list[0]
		}
		return v.list[len(v.list)-1]
	}
	r.note("the " + name + " filter")
	return v
}

// templateVars lists the root variable names a template uses in {{ }}, in order.
func templateVars(src string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tokenize(src) {
		if t.kind != tokExpr {
			continue
		}
		head := strings.TrimSpace(splitOutside(t.text, "|")[0])
		if _, ok := literal(head); ok {
			continue
		}
		name := rootName(head)
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
