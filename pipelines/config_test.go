package pipelines

import (
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parseYAML(t *testing.T, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseConfig(t *testing.T) {
	raw := parseYAML(t, `
models:
  base: {provider: builtin}
  gpt: {provider: openai, model: gpt-4o-mini}
eval:
  dataset: evalset.jsonl
  model: base
  judge: gpt
  concurrency: 8
  rag: {k: 3}
  validators:
    - {type: f1, correct: 0.8}
  policy: {combine: worst}
cache: {enabled: false}
`)
	dir := filepath.FromSlash("/proj")
	c, err := ParseConfig(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Eval.Dataset != filepath.Join(dir, "evalset.jsonl") {
		t.Errorf("dataset = %q: want it resolved against the config folder", c.Eval.Dataset)
	}
	if c.Eval.Out != filepath.Join(dir, "runs") {
		t.Errorf("out = %q, want the default runs/ in the project", c.Eval.Out)
	}
	if c.Eval.Concurrency != 8 || c.Eval.RAGK != 3 || c.Eval.Judge != "gpt" || c.Eval.Model != "base" {
		t.Errorf("eval = %+v", c.Eval)
	}
	if len(c.Eval.Validators) != 1 || c.Eval.Validators[0]["type"] != "f1" {
		t.Errorf("validators = %v", c.Eval.Validators)
	}
	if c.Cache.Enabled || c.Cache.Dir != filepath.Join(dir, ".synth", "cache") {
		t.Errorf("cache = %+v", c.Cache)
	}
	if len(c.Models) != 2 || c.Models["gpt"].Path != "models.gpt" {
		t.Errorf("models = %+v", c.Models)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(map[string]any{}, "/p")
	if err != nil {
		t.Fatal(err)
	}
	if c.Eval.Concurrency != 4 || c.Eval.Validators != nil || !c.Cache.Enabled || c.Eval.SystemPrompt != DefaultSystemPrompt {
		t.Errorf("defaults = %+v %+v", c.Eval, c.Cache)
	}
}

func TestParseConfigErrorsNameTheKeyPath(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "evl: {}", []string{"evl: unknown parameter"}},
		{"unknown eval key", "eval: {modle: base}", []string{"eval.modle: unknown parameter"}},
		{"bad concurrency", "eval: {concurrency: 0}", []string{"eval.concurrency: must be between 1 and 1024"}},
		{"concurrency not a number", "eval: {concurrency: lots}", []string{"eval.concurrency: must be an integer"}},
		{"validators not a list", "eval: {validators: f1}", []string{"eval.validators: must be a list"}},
		{"validator not a mapping", "eval: {validators: [{type: f1}, f1]}", []string{"eval.validators[1]: must be a mapping"}},
		{"rag key", "eval: {rag: {n: 3}}", []string{"eval.rag.n: unknown parameter"}},
		{"model not defined", "models: {base: {provider: builtin}}\neval: {model: gpt}", []string{`eval.model: no model named "gpt"`, "have base"}},
		{"judge not defined", "eval: {judge: gpt}", []string{`eval.judge: no model named "gpt"`, "have none"}},
		{"model entry not a mapping", "models: {base: builtin}", []string{"models.base: must be a mapping"}},
		{"version", "version: 2", []string{"version: unsupported config version 2"}},
		{"several at once", "eval: {concurrency: -1, bogus: 1}", []string{"eval.concurrency", "eval.bogus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(parseYAML(t, tt.yaml), "/p")
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseConfigModelNamesAreCaseInsensitive(t *testing.T) {
	c, err := ParseConfig(parseYAML(t, "models: {GPT: {provider: openai}}\neval: {model: Gpt}"), "/p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Model("gPT"); err != nil {
		t.Error(err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("eval: {concurrency: 3, validators: [{type: f1}]}")
	f.Add("models: {a: {provider: replay, path: x}}\neval: {model: a, rag: {k: 2}}")
	f.Add("cache: {enabled: maybe}")
	f.Add("eval: [1, 2]")
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(src), &m) != nil {
			return
		}
		c, err := ParseConfig(m, "/p")
		if err == nil && c == nil {
			t.Fatal("nil config without an error")
		}
	})
}

func TestModelNamesAPendingTunedModel(t *testing.T) {
	dir := t.TempDir()
	err := UpdateTunedRegistry(dir, func(r *TunedRegistry) error {
		r.Models["tuned"] = &TunedModel{Name: "tuned", Base: "gpt", Provider: "openai", State: TunedPending}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(map[string]any{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Model("tuned"); err == nil || !strings.Contains(err.Error(), `tuned model "tuned" is pending`) || !strings.Contains(err.Error(), "synth tune status tuned") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Model("other"); err == nil || !strings.Contains(err.Error(), `no model named "other"`) {
		t.Fatalf("err = %v", err)
	}
	// The same hint when the config names it as eval.model.
	if _, err := ParseConfig(map[string]any{"eval": map[string]any{"model": "tuned"}}, dir); err == nil || !strings.Contains(err.Error(), `eval.model: tuned model "tuned" is pending`) {
		t.Fatalf("err = %v", err)
	}
}
