package importers

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

func varsOf(t *testing.T, yml string) *node {
	t.Helper()
	n, err := parseYAML("vars.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRender(t *testing.T) {
	vars := `{name: ada, lang: Go, list: [a, b, c], nested: {k: v}, empty: "", n: 0, yes: true, msg: "  hi  "}`
	cases := []struct{ tmpl, want, missing, unsupported string }{
		{"plain text", "plain text", "", ""},
		{"Hi {{name}}!", "Hi ada!", "", ""},
		{"Hi {{ name | upper }} {{ lang|lower }}", "Hi ADA go", "", ""},
		{"{{ msg | trim }}|", "hi|", "", ""},
		{"{{ name | capitalize }} {{ 'x y' | title }}", "Ada X Y", "", ""},
		{"{{ nested.k }} {{ nested['k'] }} {{ list[1] }}", "v v b", "", ""},
		{"{{ list | join(', ') }} ({{ list | length }})", "a, b, c (3)", "", ""},
		{"{{ list }}", `["a","b","c"]`, "", ""},
		{"{{ name | dump }}", `"ada"`, "", ""},
		{"[{{ nope }}]", "[]", "nope", ""},
		{"[{{ nope | default('none') }}]", "[none]", "", ""},
		{"{% if yes %}Y{% else %}N{% endif %}", "Y", "", ""},
		{"{% if empty %}Y{% elif n %}N{% else %}E{% endif %}", "E", "", ""},
		{"{% if not empty and name == 'ada' %}ok{% endif %}", "ok", "", ""},
		{"{% if lang != \"Go\" or yes %}ok{% endif %}", "ok", "", ""},
		{"{% for x in list %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", "1a,2b,3c", "", ""},
		{"{% for x in missing %}x{% else %}none{% endfor %}", "none", "", ""},
		{"a {# comment #}b", "a b", "", ""},
		{"a  {%- if yes -%}  b  {%- endif %}", "ab", "", ""},
		{"key: {{ env.OPENAI_API_KEY }}", "key: {{ env.OPENAI_API_KEY }}", "", "{{ env.OPENAI_API_KEY }} (environment variables are never copied into an eval set)"},
		{"{% set x = 1 %}{{name}}", "ada", "", "{% set %}"},
		{"{{ name | reverse }}", "ada", "", "the reverse filter"},
		{"{% endif %}tail", "tail", "", "{% endif %} without its opening tag"},
		{"{{ unterminated", "{{ unterminated", "", ""},
		{"{% raw %}{{ name }}{% endraw %}", "{{ name }}", "", ""},
	}
	for _, c := range cases {
		t.Run(c.tmpl, func(t *testing.T) {
			var missing, unsupported []string
			r := renderer{
				missing:     func(n string) { missing = append(missing, n) },
				unsupported: func(w string) { unsupported = append(unsupported, w) },
			}
			got := r.render(c.tmpl, varsOf(t, vars))
			if got != c.want {
				t.Errorf("render(%q) = %q, want %q", c.tmpl, got, c.want)
			}
			if c.missing != "" && !slices.Contains(missing, c.missing) {
				t.Errorf("missing %v, want %q reported", missing, c.missing)
			}
			if c.missing == "" && len(missing) > 0 {
				t.Errorf("unexpected missing vars %v", missing)
			}
			if c.unsupported != "" && !slices.Contains(unsupported, c.unsupported) {
				t.Errorf("unsupported %v, want %q reported", unsupported, c.unsupported)
			}
		})
	}
}

func TestAssertionFromString(t *testing.T) {
	at := &node{file: "t.csv", line: 2}
	cases := []struct{ in, typ, value, threshold string }{
		{"Paris", "equals", "Paris", ""},
		{"contains: Paris", "contains", "Paris", ""},
		{"icontains:paris", "icontains", "paris", ""},
		{"not-contains: sorry", "not-contains", "sorry", ""},
		{"contains-any: a, b ,c", "contains-any", `["a","b","c"]`, ""},
		{"similar(0.7): hello there", "similar", "hello there", "0.7"},
		{"similar: hello", "similar", "hello", "0.8"},
		{"rouge-n: the trial lasts 14 days", "rouge-n", "the trial lasts 14 days", "0.75"},
		{"levenshtein(5):14 days", "levenshtein", "14 days", "5"},
		{"grade: is polite", "llm-rubric", "is polite", ""},
		{"llm-rubric: is polite", "llm-rubric", "is polite", ""},
		{"fn: output.length < 9", "javascript", "output.length < 9", ""},
		{"python: len(output) > 1", "python", "len(output) > 1", ""},
		{"file://checks/check.py", "python", "file://checks/check.py", ""},
		{"is-json", "is-json", "", ""},
		{"Note: colons in answers stay equals", "equals", "Note: colons in answers stay equals", ""},
		{"regex:^\\d+$", "regex", "^\\d+$", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			a := assertionFromString(c.in, at)
			if got := a.get("type").str(); got != c.typ {
				t.Errorf("type %q, want %q", got, c.typ)
			}
			if got := a.get("value").render(); got != c.value {
				t.Errorf("value %q, want %q", got, c.value)
			}
			if got := a.get("threshold").str(); got != c.threshold {
				t.Errorf("threshold %q, want %q", got, c.threshold)
			}
		})
	}
}

func TestMapProvider(t *testing.T) {
	cases := []struct {
		yml    string
		name   string
		fields string // "" means unsupported
	}{
		{"openai:gpt-4o-mini", "gpt-4o-mini", "provider: openai, model: gpt-4o-mini"},
		{"openai:chat:gpt-4o", "gpt-4o", "provider: openai, model: gpt-4o"},
		{"openai:chat:ft:gpt-4o-mini:acme::abc", "ft-gpt-4o-mini-acme-abc", "provider: openai, model: ft:gpt-4o-mini:acme::abc"},
		{"openai:responses:gpt-4.1", "gpt-4-1", "provider: openai, model: gpt-4.1"},
		{"openai:embedding:text-embedding-3-small", "", ""},
		{"anthropic:messages:claude-3-5-haiku-latest", "claude-3-5-haiku-latest", "provider: anthropic, model: claude-3-5-haiku-latest"},
		{"ollama:chat:llama3", "llama3", "provider: ollama, model: llama3"},
		{"ollama:llama3.2:1b", "llama3-2-1b", "provider: ollama, model: llama3.2:1b"},
		{"ollama:completion:phi4", "phi4", "provider: ollama, model: phi4"},
		{"groq:llama-3.1-8b-instant", "llama-3-1-8b-instant", "provider: openai, model: llama-3.1-8b-instant, base_url: https://api.groq.com/openai/v1, api_key_env: GROQ_API_KEY"},
		{"file://provider.py", "", ""},
		{"'exec: python run.py'", "", ""},
		{"https://example.test/chat", "", ""},
		{"bedrock:anthropic.claude-3", "", ""},
		{"echo", "", ""},
		{"openai:chat", "", ""},
		{"{id: openai:gpt-4o, label: Big One, config: {temperature: 0.5, max_completion_tokens: 100, seed: 3, apiHost: gw.example.test, apiKeyEnvar: MY_KEY, inputCost: 0.00000015, outputCost: 0.0000006, maxRetries: 2}}",
			"big-one", "provider: openai, model: gpt-4o, temperature: 0.5, max_tokens: 100, seed: 3, base_url: https://gw.example.test/v1, api_key_env: MY_KEY, max_retries: 2, price: [{input 0.15} {output 0.6}]"},
		{"{anthropic:messages:claude-3-opus-latest: {config: {temperature: 0.1, seed: 1}}}", "claude-3-opus-latest", "provider: anthropic, model: claude-3-opus-latest, temperature: 0.1"},
		{"{id: ollama:chat:qwen, config: {num_predict: 64, apiBaseUrl: http://gpu:11434}}", "qwen", "provider: ollama, model: qwen, max_tokens: 64"},
	}
	for _, c := range cases {
		t.Run(c.yml, func(t *testing.T) {
			n, err := parseYAML("p.yaml", []byte(c.yml))
			if err != nil {
				t.Fatal(err)
			}
			pv, ok := providerOf(n)
			if !ok {
				t.Fatal("not a provider")
			}
			p := &pfImport{}
			m, ok := p.mapProvider(pv)
			if c.fields == "" {
				if ok {
					t.Fatalf("mapped to %v, want unsupported", m.Fields)
				}
				if len(p.notes.list) == 0 || p.notes.list[0].Kind != Unsupported {
					t.Errorf("no unsupported note: %v", p.notes.list)
				}
				return
			}
			if !ok {
				t.Fatalf("unsupported: %v", p.notes.sorted())
			}
			if m.Name != c.name {
				t.Errorf("name %q, want %q", m.Name, c.name)
			}
			if got := fieldsText(m.Fields); got != c.fields {
				t.Errorf("fields\n got %s\nwant %s", got, c.fields)
			}
		})
	}
}

func TestMapAssertion(t *testing.T) {
	cases := []struct {
		yml   string
		kind  string // "" = unsupported
		golds string
	}{
		{"{type: equals, value: '4'}", "exact", "4"},
		{"{type: not-equals, value: '4'}", "", ""},
		{"{type: contains, value: Paris}", "contains", "Paris"},
		{"{type: icontains-all, value: [a, b]}", "contains", "a|b"},
		{"{type: not-icontains, value: sorry}", "regex", ""},
		{"{type: not-contains-all, value: [a, b]}", "", ""},
		{"{type: starts-with, value: 'Yes'}", "regex", ""},
		{"{type: regex, value: '^\\d+$'}", "regex", ""},
		{"{type: regex, value: '(?<=a)b'}", "", ""},
		{"{type: similar, value: hi, threshold: 0.9}", "semantic", "hi"},
		{"{type: not-similar, value: hi}", "", ""},
		{"{type: llm-rubric, value: is kind}", "judge", ""},
		{"{type: g-eval, value: coherent}", "judge", ""},
		{"{type: model-graded-closedqa, value: mentions Paris}", "judge", ""},
		{"{type: factuality, value: Paris is the capital}", "judge", "Paris is the capital"},
		{"{type: rouge-n, value: the answer}", "rouge_l", "the answer"},
		{"{type: levenshtein, value: hello, threshold: 2}", "", "hello"},
		{"{type: bleu, value: hello}", "", "hello"},
		{"{type: is-refusal}", "", ""},
		{"{type: not-is-refusal}", "refusal", ""},
		{"{type: javascript, value: output.length > 1}", "", ""},
		{"{type: python, value: file://check.py}", "", ""},
		{"{type: webhook, value: https://x.test}", "", ""},
		{"{type: latency, threshold: 100}", "", ""},
		{"{type: cost, threshold: 0.01}", "", ""},
		{"{type: is-json}", "", ""},
		{"{type: assert-set, assert: [{type: contains, value: a}]}", "", ""},
		{"{type: moderation}", "", ""},
		{"{type: equals, value: {a: 1}}", "", ""},
		{"{type: contains}", "", ""},
	}
	for _, c := range cases {
		t.Run(c.yml, func(t *testing.T) {
			a, err := parseYAML("a.yaml", []byte(c.yml))
			if err != nil {
				t.Fatal(err)
			}
			p := &pfImport{kinds: map[string]spec.Spec{}}
			for _, s := range testSpecs {
				p.kinds[s.Name] = s
			}
			value, problem := p.assertValue(a.get("value"), pfTest{vars: &node{kind: kindMap}}, renderer{}, "")
			m := p.mapAssertion(a.get("type").str(), a, value, problem)
			if c.kind == "" {
				if m.problem == "" {
					t.Errorf("mapped to %q, want unsupported", m.kind)
				}
			} else if m.kind != c.kind || m.problem != "" {
				t.Errorf("kind %q (problem %q), want %q", m.kind, m.problem, c.kind)
			}
			if got := strings.Join(m.golds, "|"); got != c.golds {
				t.Errorf("golds %q, want %q", got, c.golds)
			}
		})
	}
}

// TestSimilarWithoutSemantic: a build without a semantic validator grades
// similar with match, and says so.
func TestSimilarWithoutSemantic(t *testing.T) {
	var specs []spec.Spec
	for _, s := range testSpecs {
		if s.Name != "semantic" && s.Name != "judge" {
			specs = append(specs, s)
		}
	}
	imp, err := Promptfoo(filepath.Join("testdata", "promptfoo", "basic", "promptfooconfig.yaml"), PromptfooOptions{Validators: specs})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, v := range imp.Config.Validators {
		kinds = append(kinds, v.Type())
	}
	if slices.Contains(kinds, "semantic") || slices.Contains(kinds, "judge") || !slices.Contains(kinds, "match") {
		t.Errorf("validators %v: want match instead of semantic, and no judge", kinds)
	}
	notes := string(NotesMarkdown(imp))
	for _, want := range []string{"no semantic (embedding) validator", "no judge (LLM-graded) validator"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

// TestSecretsNeverCopied: API keys, header values and env values in a
// promptfoo config never reach the generated files.
func TestSecretsNeverCopied(t *testing.T) {
	dir := t.TempDir()
	cfg := `
env:
  OPENAI_API_KEY: sk-live-ENVSECRET
prompts: ['{{question}}']
providers:
  - id: openai:gpt-4o-mini
    config:
      apiKey: sk-live-KEYSECRET
      headers: {Authorization: Bearer HEADERSECRET}
tests:
  - vars: {question: hi}
    assert: [{type: equals, value: hello}]
`
	path := filepath.Join(dir, "promptfooconfig.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	imp, err := Promptfoo(path, PromptfooOptions{Validators: testSpecs})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	written, err := imp.WriteProject(out, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range written {
		b, _ := os.ReadFile(f)
		for _, secret := range []string{"ENVSECRET", "KEYSECRET", "HEADERSECRET"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s contains the secret %s:\n%s", f, secret, b)
			}
		}
	}
	for _, n := range imp.Notes {
		if strings.Contains(n.String(), "SECRET") {
			t.Errorf("note leaks a secret: %s", n)
		}
	}
}

func TestPromptfooErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, cfg, want string }{
		{"bad yaml", "prompts: ['{{q}}']\ntests:\n  - vars: {q: [unclosed\n", "promptfooconfig.yaml:3"},
		{"not a mapping", "- just a list\n", "promptfooconfig.yaml:1: a promptfoo config must be a mapping"},
		{"test not a mapping", "prompts: ['{{q}}']\ntests:\n  - vars: {q: a}\n  - 42\n", "promptfooconfig.yaml:4: a test must be a mapping"},
		{"unknown template", "prompts: ['{{q}}']\ntests:\n  - vars: {q: a}\n    assert:\n      - $ref: '#/assertionTemplates/nope'\n", `promptfooconfig.yaml:5: $ref "#/assertionTemplates/nope": no assertion template named "nope"`},
		{"no tests", "prompts: ['{{q}}']\n", "the config has no tests"},
		{"missing tests file", "prompts: ['{{q}}']\ntests: file://nope.csv\n", "nope.csv"},
		{"bad csv", "prompts: ['{{q}}']\ntests: file://t.csv\n", "t.csv:3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "t.csv"), []byte("q,__expected\na,b\n\"unterminated,c\n"), 0o644)
			path := filepath.Join(dir, "promptfooconfig.yaml")
			if err := os.WriteFile(path, []byte(c.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Promptfoo(path, PromptfooOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestImportedEvalSetsRead: every golden eval set reads back with synth's
// eval-set reader, unchanged: same ids, questions and answers.
func TestImportedEvalSetsRead(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "golden", EvalSetFile))
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "golden", "*", EvalSetFile))
	more2, _ := filepath.Glob(filepath.Join("testdata", "*", "golden", EvalSetFile))
	paths = append(append(paths, more...), more2...)
	if len(paths) < 8 {
		t.Fatalf("found only %d golden eval sets: %v", len(paths), paths)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			set, err := dataset.ReadEvalSet(path)
			if err != nil {
				t.Fatal(err)
			}
			recs, _, err := dataset.ReadJSONL[dataset.Item](path)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Items) != len(recs) {
				t.Fatalf("%d items read, %d lines", len(set.Items), len(recs))
			}
			for i, it := range set.Items {
				if it.ID != recs[i].ID || it.Question != recs[i].Question || !slices.Equal(it.Answers, recs[i].Answers) {
					t.Errorf("item %d changed on reading: %+v vs %+v", i, it, recs[i])
				}
			}
		})
	}
}

func TestWriteProjectRefusesToReplace(t *testing.T) {
	imp, err := Promptfoo(filepath.Join("testdata", "promptfoo", "files", "promptfooconfig.yaml"), PromptfooOptions{Validators: testSpecs})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	written, err := imp.WriteProject(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 4 { // eval set, synth.yaml, outputs (providerOutput), notes
		t.Fatalf("wrote %v", written)
	}
	outs, _, err := dataset.ReadJSONL[Output](filepath.Join(dir, OutputsFile))
	if err != nil || len(outs) != len(imp.Outputs) {
		t.Fatalf("outputs: %v, %d of %d", err, len(outs), len(imp.Outputs))
	}
	_, err = imp.WriteProject(dir, false)
	var exists *ExistsError
	if !errors.As(err, &exists) || len(exists.Files) != 4 {
		t.Fatalf("second write: %v, want an ExistsError naming 4 files", err)
	}
	if _, err := imp.WriteProject(dir, true); err != nil {
		t.Fatalf("forced write: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestSlugAndModelName(t *testing.T) {
	for in, want := range map[string]string{
		"Reset password": "reset-password",
		"  ¿Qué?  ":      "qu",
		"":               "",
		"A very long description that goes on and on about many things": "a-very-long-description-that-goes-on-and-on",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"GPT 4.1 mini": "gpt-4-1-mini", "...": "model", "llama3:8b": "llama3-8b"} {
		if got := modelName(in); got != want {
			t.Errorf("modelName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGlob(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a/x.yaml", "a/b/y.yaml", "a/b/c/z.yaml", "a/w.csv"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	got, err := glob(filepath.Join(dir, "a", "**", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("** matched %v", got)
	}
	got, _ = glob(filepath.Join(dir, "a", "*.yaml"))
	if len(got) != 1 {
		t.Errorf("* matched %v", got)
	}
}

// TestRubricWithoutGold: a test graded only by a rubric has nothing for
// synth's judge to compare with: listed, and no judge is proposed for it.
func TestRubricWithoutGold(t *testing.T) {
	dir := t.TempDir()
	cfg := `
prompts: ['{{q}}']
providers: [openai:gpt-4o-mini]
tests:
  - vars: {q: 'How do I cancel?'}
    assert: [{type: llm-rubric, value: explains where the cancel button is}]
  - vars: {q: 'What is the refund window?', expected: 30 days}
    assert: [{type: llm-rubric, value: states the refund window}]
`
	path := filepath.Join(dir, "promptfooconfig.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	imp, err := Promptfoo(path, PromptfooOptions{Validators: testSpecs})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, v := range imp.Config.Validators {
		kinds = append(kinds, v.Type())
	}
	if !slices.Equal(kinds, []string{"judge"}) || imp.Config.Judge != "gpt-4o-mini" {
		t.Errorf("validators %v, judge %q: want [judge] for the test with a gold answer, judged by gpt-4o-mini", kinds, imp.Config.Judge)
	}
	if imp.Items[0].Meta["unmapped_asserts"] == nil || imp.Items[1].Meta["unmapped_asserts"] != nil {
		t.Errorf("meta: %v / %v", imp.Items[0].Meta, imp.Items[1].Meta)
	}
	if !strings.Contains(string(NotesMarkdown(imp)), "llm-rubric on a test without a gold answer") {
		t.Errorf("notes:\n%s", NotesMarkdown(imp))
	}
}
