package importers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/dataset"
)

// FuzzRender: the template renderer never panics and never renders an
// environment variable.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"Hi {{name}}", "{% if a %}x{% elif b %}y{% else %}z{% endif %}", "{% for x in l %}{{x}}{% endfor %}",
		"{{ a | upper | default('q') }}", "{{", "{%", "{% endfor %}{% endif %}", "{{ l[0] }}{{ m['k'] }}",
		"{% for x in l %}{% for y in l %}{{x}}{{y}}{% endfor %}{% endfor %}", "{{ env.SECRET }}", "{%- if a -%} x {%- endif -%}",
	} {
		f.Add(s)
	}
	vars, _ := parseYAML("v.yaml", []byte("{name: n, a: 1, b: '', l: [1, 2], m: {k: v}}"))
	f.Fuzz(func(t *testing.T, tmpl string) {
		t.Setenv("SECRET", "leaked-value")
		out := renderer{}.render(tmpl, vars)
		if strings.Contains(out, "leaked-value") {
			t.Fatalf("rendered an environment variable: %q", out)
		}
	})
}

// FuzzAssertionFromString: any CSV cell gives an assertion with a type.
func FuzzAssertionFromString(f *testing.F) {
	for _, s := range []string{"Paris", "contains: x", "similar(0.5):y", "not-regex:^a", "contains-any:a,b", "grade:ok", "file://a.py", "levenshtein(abc):x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := assertionFromString(s, &node{file: "f.csv", line: 1})
		if a.get("type").str() == "" {
			t.Fatalf("no type for %q", s)
		}
	})
}

// FuzzPromptfoo: any config text either imports into an eval set that
// synth's reader accepts, or fails with an error; it never panics.
func FuzzPromptfoo(f *testing.F) {
	for _, name := range []string{"basic", "csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", "promptfoo", name, "promptfooconfig.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("tests: [{vars: {question: [a, b, c]}}]")
	f.Add("prompts: ['[{\"role\":\"user\",\"content\":\"{{q}}\"}]']\ntests: [{vars: {q: x}, assert: [{type: equals, value: y}]}]")
	f.Add("defaultTest: {assert: [{type: regex, value: '('}]}\ntests: [{vars: {prompt: p}}]")
	f.Add("a: &a [*a]")
	f.Fuzz(func(t *testing.T, cfg string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "promptfooconfig.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		imp, err := Promptfoo(path, PromptfooOptions{Validators: testSpecs})
		if err != nil {
			return
		}
		data, err := EncodeEvalSet(imp.Items)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dataset.ParseEvalSet("evalset.jsonl", data); err != nil {
			t.Fatalf("the imported eval set does not read back: %v\n%s", err, data)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(imp.Config.YAML(path), &doc); err != nil {
			t.Fatalf("the proposed synth.yaml is not YAML: %v\n%s", err, imp.Config.YAML(path))
		}
		models, _ := doc["models"].(map[string]any)
		if len(models) != len(imp.Config.Models) {
			t.Fatalf("synth.yaml has %d models, the import %d:\n%s", len(models), len(imp.Config.Models), imp.Config.YAML(path))
		}
	})
}

// FuzzHF: any JSON Lines input either imports into a readable eval set or
// fails with an error.
func FuzzHF(f *testing.F) {
	f.Add(`{"question": "q", "answers": {"text": ["a", "a"]}}`, "", "")
	f.Add(`{"turn": {"q": "x", "gold": [{"text": "y"}]}}`, "turn.q", "turn.gold")
	f.Add(`{"q": ["not", "text"], "a": 1}`, "q", "a")
	f.Add(`{"list": [{"q": "a"}, {"q": "b"}]}`, "list.q", "list.0.q")
	f.Fuzz(func(t *testing.T, data, q, a string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "d.jsonl")
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		imp, err := HF(path, FieldMap{Question: q, Answer: a})
		if err != nil {
			return
		}
		out, err := EncodeEvalSet(imp.Items)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dataset.ParseEvalSet("evalset.jsonl", out); err != nil {
			t.Fatalf("the imported eval set does not read back: %v\n%s", err, out)
		}
	})
}
