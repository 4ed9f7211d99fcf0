package importers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPromptfooCSV imports a config whose 2,000 tests live in a CSV
// file, with two prompts: 4,000 items.
func BenchmarkPromptfooCSV(b *testing.B) {
	dir := b.TempDir()
	var csv strings.Builder
	csv.WriteString("question,__expected,__expected1,__description\n")
	for i := range 2000 {
		fmt.Fprintf(&csv, "\"What is item %d?\",\"contains: answer %d\",\"similar(0.7): the answer is %d\",Item %d\n", i, i, i, i)
	}
	os.WriteFile(filepath.Join(dir, "tests.csv"), []byte(csv.String()), 0o644)
	cfg := "prompts:\n  - 'Q: {{question}}'\n  - '{% if question %}Answer briefly: {{ question | trim }}{% endif %}'\nproviders: [openai:gpt-4o-mini]\ntests: file://tests.csv\n"
	path := filepath.Join(dir, "promptfooconfig.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	b.ReportAllocs()
	for b.Loop() {
		imp, err := Promptfoo(path, PromptfooOptions{Validators: testSpecs})
		if err != nil || len(imp.Items) != 4000 {
			b.Fatalf("%v, %d items", err, len(imp.Items))
		}
	}
}

func BenchmarkRender(b *testing.B) {
	vars, _ := parseYAML("v.yaml", []byte("{question: How do I reset my password?, product: nimbus, list: [a, b, c]}"))
	tmpl := "Answer briefly.\n{% if product %}Product: {{ product | upper }}\n{% endif %}{% for x in list %}{{ x }},{% endfor %}\nCustomer: {{question}}"
	r := renderer{}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.render(tmpl, vars)
	}
}
