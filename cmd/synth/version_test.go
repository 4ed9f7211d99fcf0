package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionLdflags builds synth the way `make build` does (the Makefile's
// -X flags) and checks that `synth version` prints what was set, with the
// Go version; --json gives the same as fields.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"-X main.version=$(VERSION)", "-X main.commit=$(COMMIT)"} {
		if !strings.Contains(string(makefile), v) {
			t.Fatalf("the Makefile's LDFLAGS lack %q: make build would not stamp the version", v)
		}
	}
	bin := filepath.Join(t.TempDir(), "synth")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=v1.2.3-test -X main.commit=abc1234", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^synth v1\.2\.3-test \(commit abc1234, ` + regexp.QuoteMeta(runtime.Version()) + ` \w+/\w+\)\n$`)
	if !want.Match(out) {
		t.Errorf("synth version printed %q", out)
	}
	out, err = exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil || v["version"] != "v1.2.3-test" || v["commit"] != "abc1234" || v["go"] != runtime.Version() {
		t.Errorf("synth version --json printed %q", out)
	}
}

// TestInstallable checks what `go install github.com/synth-dev/synth/cmd/synth@latest`
// needs: the module path, no replace directives (go install ignores them
// and fails), and go:embed patterns that stay inside the module.
func TestInstallable(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^module github\.com/synth-dev/synth$`).Match(gomod) {
		t.Error("go.mod's module path is not github.com/synth-dev/synth")
	}
	if regexp.MustCompile(`(?m)^\s*(replace|exclude)\b`).Match(gomod) {
		t.Error("go.mod has replace or exclude directives: go install module@version refuses them")
	}
	embedRE := regexp.MustCompile(`(?m)^//go:embed (.+)$`)
	root := filepath.Join("..", "..")
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && p != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range embedRE.FindAllSubmatch(src, -1) {
			for _, pat := range strings.Fields(string(m[1])) {
				pat = strings.Trim(pat, "\"`")
				if strings.Contains(pat, "..") || filepath.IsAbs(pat) {
					t.Errorf("%s: go:embed %s reaches outside its package", p, pat)
				}
				matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p), strings.TrimPrefix(pat, "all:")))
				if len(matches) == 0 {
					t.Errorf("%s: go:embed %s matches no file", p, pat)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
