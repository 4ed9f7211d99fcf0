package importers

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// fileRef is a `file://` reference resolved against the config's folder.
type fileRef struct {
	// path is the file's path on disk.
	path string
	// name is the path relative to the config's folder, for messages.
	name string
	// fn is a function name after the path (file://x.py:func), if any.
	fn string
}

// files resolves and reads the files a config refers to.
type files struct {
	// base is the config file's folder.
	base string
	// cache holds files already read.
	cache map[string][]byte
}

// refError locates a failure to read a referenced file at the place that
// refers to it; input errors inside the file pass through.
func refError(at *node, ref string, err error) error {
	var ie *dataset.InputError
	if errors.As(err, &ie) {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return at.errorf("%s: %v", ref, err)
}

// isFileRef reports whether s is a file:// reference.
func isFileRef(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "file://") }

// resolve turns "file://rel/path[:fn]" into the files it names; globs (*, ?,
// [..] and **) are expanded, sorted.
func (f *files) resolve(ref string) ([]fileRef, error) {
	p := strings.TrimPrefix(strings.TrimSpace(ref), "file://")
	fn := ""
	// A function suffix: file://x.py:func (but not a Windows drive letter).
	if i := strings.LastIndex(p, ":"); i > 1 {
		ext := strings.ToLower(filepath.Ext(p[:i]))
		if ext == ".py" || ext == ".js" || ext == ".ts" || ext == ".mjs" || ext == ".cjs" || ext == ".rb" {
			p, fn = p[:i], p[i+1:]
		}
	}
	full := p
	if !filepath.IsAbs(full) {
		full = filepath.Join(f.base, p)
	}
	var paths []string
	if strings.ContainsAny(p, "*?[") {
		m, err := glob(full)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s matches no files", ref)
		}
		paths = m
	} else {
		paths = []string{full}
	}
	out := make([]fileRef, len(paths))
	for i, path := range paths {
		out[i] = fileRef{path: path, name: f.rel(path), fn: fn}
	}
	return out, nil
}

// rel names path relative to the config's folder when it is inside it.
func (f *files) rel(path string) string {
	if r, err := filepath.Rel(f.base, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}

// read returns a file's bytes, without a UTF-8 BOM.
func (f *files) read(r fileRef) ([]byte, error) {
	if b, ok := f.cache[r.path]; ok {
		return b, nil
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if f.cache == nil {
		f.cache = map[string][]byte{}
	}
	f.cache[r.path] = b
	return b, nil
}

// readText reads a text file, which must be UTF-8.
func (f *files) readText(r fileRef) (string, error) {
	b, err := f.read(r)
	if err != nil {
		return "", err
	}
	if !isUTF8(b) {
		return "", &dataset.InputError{File: r.name, Msg: "the text is not valid UTF-8 (save the file as UTF-8)"}
	}
	return string(b), nil
}

// loadDoc parses a YAML, JSON or JSONL file into a node (JSONL: a list).
func (f *files) loadDoc(r fileRef) (*node, error) {
	b, err := f.read(r)
	if err != nil {
		return nil, err
	}
	if !isUTF8(b) {
		return nil, &dataset.InputError{File: r.name, Msg: "the text is not valid UTF-8 (save the file as UTF-8)"}
	}
	switch strings.ToLower(filepath.Ext(r.path)) {
	case ".jsonl", ".ndjson":
		lines, err := parseJSONL(r.name, b)
		if err != nil {
			return nil, err
		}
		return &node{kind: kindList, list: lines, file: r.name, line: 1}, nil
	case ".json":
		n, yerr := parseYAML(r.name, b)
		if yerr == nil {
			return n, nil
		}
		// JSON that YAML cannot read (rare): decode it without line numbers.
		n, err := parseJSONLine(r.name, 0, b)
		if err != nil {
			return nil, err
		}
		return n, nil
	}
	return parseYAML(r.name, b)
}

func isUTF8(b []byte) bool { return bytes.Equal(bytes.ToValidUTF8(b, nil), b) }

// glob expands a pattern with *, ?, [..] and ** (any number of folders).
func glob(pattern string) ([]string, error) {
	if !strings.Contains(pattern, "**") {
		m, err := filepath.Glob(pattern)
		sort.Strings(m)
		return m, err
	}
	// Walk from the longest folder prefix without wildcards.
	root := pattern[:strings.Index(pattern, "**")]
	if i := strings.IndexAny(root, "*?["); i >= 0 {
		root = root[:i]
	}
	root = filepath.Dir(root + "x")
	re, err := globRegexp(filepath.ToSlash(pattern))
	if err != nil {
		return nil, err
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && re.MatchString(filepath.ToSlash(p)) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// globRegexp compiles a slash-separated glob with ** into a regexp.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case strings.HasPrefix(pattern[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(pattern[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(pattern[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("bad pattern %q: unclosed [", pattern)
			}
			b.WriteString(pattern[i : i+j+1])
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
