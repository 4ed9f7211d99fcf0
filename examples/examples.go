// Package examples embeds synth's runnable example projects so that
// `synth init` can write them anywhere, offline.
package examples

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

//go:embed all:support
var files embed.FS

// Names lists the example projects.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// FS returns the files of the example project name.
func FS(name string) (fs.FS, error) {
	sub, err := fs.Sub(files, name)
	if err != nil {
		return nil, err
	}
	if _, err := fs.Stat(sub, "synth.yaml"); err != nil {
		return nil, fmt.Errorf("no example project %q (have %v)", name, Names())
	}
	return sub, nil
}

// ErrNotEmpty is returned by [Write] when the target folder already has files.
var ErrNotEmpty = errors.New("folder is not empty")

// Write copies the example project name into dir, creating it. It refuses to
// write into a folder that already has files unless force is set, and never
// copies run outputs or state (runs/, .synth/).
func Write(name, dir string, force bool) ([]string, error) {
	src, err := FS(name)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !force {
		return nil, fmt.Errorf("%s: %w (use --force to write into it anyway)", dir, ErrNotEmpty)
	}
	var written []string
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "runs" || d.Name() == ".synth") {
			return fs.SkipDir
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
		written = append(written, p)
		return nil
	})
	return written, err
}
