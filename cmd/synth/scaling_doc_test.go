package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/pipelines"
)

// yamlBlocks returns the ```yaml blocks of a Markdown file.
func yamlBlocks(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	parts := strings.Split(string(raw), "```yaml\n")
	for _, p := range parts[1:] {
		end := strings.Index(p, "```")
		if end < 0 {
			t.Fatalf("%s: unterminated yaml block", path)
		}
		blocks = append(blocks, p[:end])
	}
	return blocks
}

// TestScalingDocExamples checks the examples of docs/scaling.md: every YAML
// block is valid YAML, and the synth.yaml ones load as configs whose models
// decode, with the SYNTH_MODELS_<NAME>_RPM override the page recommends for
// shards taking effect.
func TestScalingDocExamples(t *testing.T) {
	blocks := yamlBlocks(t, filepath.Join("..", "..", "docs", "scaling.md"))
	if len(blocks) < 4 {
		t.Fatalf("found %d yaml blocks in docs/scaling.md", len(blocks))
	}
	configs := 0
	for i, b := range blocks {
		var v any
		if err := yaml.Unmarshal([]byte(b), &v); err != nil {
			t.Errorf("block %d is not valid YAML: %v\n%s", i, err, b)
			continue
		}
		if !strings.HasPrefix(b, "models:") {
			continue
		}
		configs++
		t.Run(strings.Fields(b)[1], func(t *testing.T) {
			t.Setenv("SYNTH_MODELS_GPT_RPM", "750")
			path := filepath.Join(t.TempDir(), "synth.yaml")
			if err := os.WriteFile(path, []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{})
			for _, name := range proj.ModelNames() {
				mc, err := proj.ModelConfig(name)
				if err != nil {
					t.Fatalf("model %s: %v", name, err)
				}
				if name == "gpt" && mc.RPM != 750 {
					t.Errorf("SYNTH_MODELS_GPT_RPM=750 gave rpm %d", mc.RPM)
				}
			}
		})
	}
	if configs < 2 {
		t.Errorf("found %d synth.yaml examples, want the one-machine and the batch ones", configs)
	}
}
