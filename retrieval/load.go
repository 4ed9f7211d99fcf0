package retrieval

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Format is a help document's source format.
type Format string

// The formats the loaders read, chosen by file extension.
const (
	// Markdown: .md, .markdown, .mdx.
	Markdown Format = "markdown"
	// Text: .txt, .text; split by size only (no headings).
	Text Format = "text"
	// HTML: .html, .htm; converted to Markdown when loaded.
	HTML Format = "html"
)

// Document is one loaded help document.
type Document struct {
	// Path is the document's path relative to the project directory, with
	// forward slashes ("docs/account/delete.md").
	Path string
	// Format is the source format. HTML documents are converted to Markdown
	// when loaded, so their Text is Markdown.
	Format Format
	// Text is the document's content: Markdown for Markdown and HTML sources,
	// plain text for text sources. Always valid UTF-8.
	Text string
}

// ErrNoMatch is returned (wrapped) by [LoadDocs] when a pattern matches no file.
var ErrNoMatch = errors.New("matches no files")

// FormatOf returns the format of a file by its extension, or false when the
// extension is not one the loaders read.
func FormatOf(name string) (Format, bool) {
	switch strings.ToLower(path.Ext(filepath.ToSlash(name))) {
	case ".md", ".markdown", ".mdx":
		return Markdown, true
	case ".txt", ".text":
		return Text, true
	case ".html", ".htm", ".xhtml":
		return HTML, true
	}
	return "", false
}

// LoadDocs loads every file matched by the glob patterns, relative to
// projectDir (absolute patterns are allowed too). Patterns use path.Match
// syntax per path segment plus "**", which matches any number of directories;
// wildcards do not match names starting with a dot. Documents come back
// sorted by path, each once even when several patterns match it. A pattern
// that matches no file is an error wrapping [ErrNoMatch]; so is a matched file
// of a format the loaders do not read. Errors name the pattern or the file.
func LoadDocs(projectDir string, patterns []string) ([]Document, error) {
	seen := map[string]bool{}
	var paths []string
	for _, pat := range patterns {
		matches, err := Glob(projectDir, pat)
		if err != nil {
			return nil, err
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("pattern %q: %w", pat, ErrNoMatch)
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				paths = append(paths, m)
			}
		}
	}
	sort.Strings(paths)
	docs := make([]Document, 0, len(paths))
	for _, p := range paths {
		d, err := LoadFile(projectDir, p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// LoadFile reads one document at rel (relative to projectDir, or absolute)
// and parses it with [ParseDocument].
func LoadFile(projectDir, rel string) (Document, error) {
	full := rel
	if !filepath.IsAbs(rel) {
		full = filepath.Join(projectDir, filepath.FromSlash(rel))
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return Document{}, fmt.Errorf("load %s: %w", rel, err)
	}
	return ParseDocument(relPath(projectDir, full), data)
}

// ParseDocument turns a file's bytes into a Document; name chooses the format
// (see [FormatOf]) and becomes the document's Path. HTML is converted to
// Markdown. Invalid UTF-8 is replaced; a file with NUL bytes is rejected as
// binary. It does no I/O.
func ParseDocument(name string, data []byte) (Document, error) {
	f, ok := FormatOf(name)
	if !ok {
		return Document{}, fmt.Errorf("%s: unsupported file type %q (the loaders read .md, .markdown, .mdx, .txt, .text, .html, .htm)", name, path.Ext(filepath.ToSlash(name)))
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return Document{}, fmt.Errorf("%s: looks like a binary file (contains NUL bytes)", name)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	text := string(data)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if f == HTML {
		md, err := HTMLToMarkdown(text)
		if err != nil {
			return Document{}, fmt.Errorf("%s: %w", name, err)
		}
		text = md
	}
	return Document{Path: name, Format: f, Text: text}, nil
}

// relPath returns full relative to projectDir with forward slashes, or full
// itself (slashed) when it cannot be made relative.
func relPath(projectDir, full string) string {
	base, err1 := filepath.Abs(projectDir)
	abs, err2 := filepath.Abs(full)
	if err1 == nil && err2 == nil {
		if r, err := filepath.Rel(base, abs); err == nil {
			return filepath.ToSlash(r)
		}
	}
	return filepath.ToSlash(full)
}

// Glob returns the regular files matching pattern, as paths relative to
// projectDir with forward slashes, sorted. See [LoadDocs] for the syntax.
func Glob(projectDir, pattern string) ([]string, error) {
	pat := filepath.ToSlash(strings.TrimSpace(pattern))
	if pat == "" {
		return nil, errors.New("empty pattern")
	}
	var root string // the directory where matching starts, in OS form
	segs := strings.Split(path.Clean(pat), "/")
	if path.IsAbs(pat) || filepath.IsAbs(pattern) {
		root = string(filepath.Separator)
		if vol := filepath.VolumeName(pattern); vol != "" {
			root = vol + string(filepath.Separator)
			segs = strings.Split(path.Clean(filepath.ToSlash(pattern[len(vol):])), "/")
		}
		segs = segs[1:]
	} else {
		root = projectDir
	}
	// Move the literal leading segments into root.
	for len(segs) > 1 && !hasMeta(segs[0]) {
		root = filepath.Join(root, segs[0])
		segs = segs[1:]
	}
	for _, s := range segs {
		if _, err := path.Match(s, ""); err != nil && s != "**" {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	info, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	if !info.IsDir() {
		return nil, nil
	}
	if len(segs) == 1 && !hasMeta(segs[0]) {
		full := filepath.Join(root, segs[0])
		if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
			return []string{relPath(projectDir, full)}, nil
		}
		return nil, nil
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil || rel == "." {
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if !matchPrefix(segs, parts) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if matchSegs(segs, parts) {
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p)
				if err != nil || !st.Mode().IsRegular() {
					return nil
				}
			}
			out = append(out, relPath(projectDir, p))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// matchSegs reports whether the path parts match the pattern segments, where
// a "**" segment matches zero or more parts.
func matchSegs(segs, parts []string) bool {
	if len(segs) == 0 {
		return len(parts) == 0
	}
	if segs[0] == "**" {
		for i := 0; i <= len(parts); i++ {
			if i > 0 && strings.HasPrefix(parts[i-1], ".") {
				return false
			}
			if matchSegs(segs[1:], parts[i:]) {
				return true
			}
		}
		return false
	}
	if len(parts) == 0 || !matchOne(segs[0], parts[0]) {
		return false
	}
	return matchSegs(segs[1:], parts[1:])
}

// matchPrefix reports whether a directory with these parts could contain a
// match, so that the walk can skip directories that cannot.
func matchPrefix(segs, parts []string) bool {
	if len(parts) == 0 {
		return true
	}
	if len(segs) == 0 {
		return false
	}
	if segs[0] == "**" {
		if strings.HasPrefix(parts[0], ".") {
			return matchPrefix(segs[1:], parts)
		}
		return true
	}
	if !matchOne(segs[0], parts[0]) {
		return false
	}
	return matchPrefix(segs[1:], parts[1:])
}

// matchOne matches one segment; wildcards do not match a leading dot.
func matchOne(seg, part string) bool {
	if strings.HasPrefix(part, ".") && !strings.HasPrefix(seg, ".") {
		return false
	}
	ok, _ := path.Match(seg, part)
	return ok
}
