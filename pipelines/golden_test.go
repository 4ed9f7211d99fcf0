package pipelines

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	goldenfile "github.com/synth-dev/synth/internal/golden"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func TestGoldenPerturbations(t *testing.T) {
	cases, skips := (&Perturber{Docs: nimbusDocs}).Perturb(checkItems)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"cases": cases, "skipped": skips}); err != nil {
		t.Fatal(err)
	}
	golden(t, "perturb.golden.json", b.Bytes())
}

func TestGoldenTrainingConversion(t *testing.T) {
	td, err := ReadTrainingData(filepath.Join("testdata", "tune", "mixed.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if td.Examples() != 7 {
		t.Errorf("%d examples, want 7 (the rejected sample and the blank line do not count)", td.Examples())
	}
	golden(t, filepath.Join("tune", "mixed.chat.golden.jsonl"), td.ChatJSONL("You are a helpful customer-support assistant."))

	// The memory a builtin tune writes: the later Trash answer replaces the earlier one.
	dir := t.TempDir()
	p, _ := loadProject(t, dir, builtinConfig())
	plan, err := PrepareTune(p, TuneOptions{Name: "tuned", Base: "base", Data: filepath.Join("testdata", "tune", "mixed.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(context.Background(), TuneWatch{}); err != nil {
		t.Fatal(err)
	}
	mem, err := os.ReadFile(filepath.Join(dir, ".synth", "models", "tuned.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// Sources name the data file: absolute, as it is outside the project.
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("tune", "mixed.memory.golden.jsonl"), bytes.ReplaceAll(mem, []byte(filepath.ToSlash(abs)), []byte("TESTDATA")))
}
