package llm

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/spec"
)

// TestProvidersDocExamples parses every YAML example of docs/providers.md
// that has a models: section: each entry must be a valid model config, so
// the examples users copy work.
func TestProvidersDocExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/providers.md")
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	blocks := yamlBlocks(string(b))
	checked := 0
	for i, blk := range blocks {
		var doc struct {
			Models map[string]map[string]any `yaml:"models"`
		}
		if err := yaml.Unmarshal([]byte(blk), &doc); err != nil {
			t.Errorf("block %d does not parse: %v\n%s", i, err, blk)
			continue
		}
		names := make([]string, 0, len(doc.Models))
		for n := range doc.Models {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if _, err := ParseConfig(spec.NewParams("models."+n, doc.Models[n])); err != nil {
				t.Errorf("block %d: %v", i, err)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d model entries checked in %d blocks", checked, len(blocks))
	}
	// Every key of every provider's spec is documented.
	for _, s := range Specs() {
		for _, p := range s.Params {
			if !strings.Contains(string(b), fmt.Sprintf("`%s`", p.Name)) {
				t.Errorf("docs/providers.md does not mention %s key %q", s.Name, p.Name)
			}
		}
	}
}

func yamlBlocks(md string) []string {
	var out []string
	var cur []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```yaml":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			out = append(out, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, line)
		}
	}
	return out
}
