package pipelines

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// sampleValues are valid values for every key of ConfigSpec, by key path;
// a section's own entry is filled by its keys.
func sampleValues() map[string]any {
	return map[string]any{
		"version":            1,
		"models":             map[string]any{"m": map[string]any{"provider": "builtin"}},
		"knowledge":          map[string]any{"docs": []any{"docs/*.md"}},
		"eval":               map[string]any{},
		"generate":           map[string]any{},
		"cache":              map[string]any{},
		"eval.dataset":       "evalset.jsonl",
		"eval.model":         "m",
		"eval.judge":         "m",
		"eval.concurrency":   8,
		"eval.out":           "runs",
		"eval.system_prompt": "",
		"eval.rag.k":         2,
		"eval.validators":    []any{map[string]any{"type": "f1"}},
		"eval.policy":        map[string]any{"combine": "best"},
		"cache.enabled":      false,
		"cache.dir":          ".cache",
	}
}

// fullConfig sets every key of ConfigSpec.
func fullConfig(t *testing.T) map[string]any {
	t.Helper()
	values := sampleValues()
	raw := map[string]any{}
	for _, sec := range ConfigSpec {
		for _, p := range sec.Params {
			path := p.Name
			if sec.Key != "" {
				path = sec.Key + "." + p.Name
			}
			v, ok := values[path]
			if !ok {
				t.Fatalf("no sample value for %s: add one to sampleValues", path)
			}
			set(raw, path, v)
		}
	}
	return raw
}

// set puts v at a dotted path, keeping maps already there.
func set(m map[string]any, path string, v any) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		if _, isMap := v.(map[string]any); isMap {
			if _, exists := m[head]; exists {
				return
			}
		}
		m[head] = v
		return
	}
	sub, ok := m[head].(map[string]any)
	if !ok {
		sub = map[string]any{}
		m[head] = sub
	}
	set(sub, rest, v)
}

var knownRE = regexp.MustCompile(`(\S*)zz_unknown: unknown parameter \(known: ([^)]*)\)`)

// TestConfigSpecMatchesParser: every key in ConfigSpec is accepted by
// ParseConfig, and the keys ParseConfig knows in each section are exactly
// the ones ConfigSpec lists.
func TestConfigSpecMatchesParser(t *testing.T) {
	if _, err := ParseConfig(fullConfig(t), t.TempDir()); err != nil {
		t.Fatalf("a config setting every documented key fails: %v", err)
	}
	for _, sec := range ConfigSpec {
		t.Run("section "+sec.Key, func(t *testing.T) {
			raw := fullConfig(t)
			if sec.Key == "" {
				raw["zz_unknown"] = 1
			} else {
				raw[sec.Key].(map[string]any)["zz_unknown"] = 1
			}
			_, err := ParseConfig(raw, t.TempDir())
			if err == nil {
				t.Fatal("an unknown key was accepted")
			}
			m := knownRE.FindStringSubmatch(err.Error())
			if m == nil {
				t.Fatalf("no list of known keys in %v", err)
			}
			known := strings.Split(m[2], ", ")
			var documented []string
			for _, p := range sec.Params {
				root, _, _ := strings.Cut(p.Name, ".")
				if !slices.Contains(documented, root) {
					documented = append(documented, root)
				}
			}
			sort.Strings(known)
			sort.Strings(documented)
			if !slices.Equal(known, documented) {
				t.Errorf("section %q: the parser knows %v, ConfigSpec documents %v", sec.Key, known, documented)
			}
		})
	}
}
