package importers

import (
	"sort"
	"strings"

	"github.com/synth-dev/synth/spec"
)

// MappingRow says what one feature of another tool becomes in synth.
type MappingRow struct {
	// From is the feature as written in the other tool.
	From string
	// To is its synth counterpart ("" when there is none).
	To string
	// Note explains the mapping, or why there is none.
	Note string
}

// negatable are the assertion types whose not- form the reference lists.
var negatable = []string{"contains", "icontains", "contains-any", "icontains-any", "contains-all", "equals", "regex", "starts-with", "similar", "is-refusal", "llm-rubric"}

// AssertionMappings runs the importer's own mapping on a sample of every
// promptfoo assertion type, so the reference shows exactly what the code
// does. specs are the validator kinds of the build (nil: all known).
func AssertionMappings(specs []spec.Spec) []MappingRow {
	p := &pfImport{}
	if specs != nil {
		p.kinds = map[string]spec.Spec{}
		for _, s := range specs {
			p.kinds[s.Name] = s
		}
	}
	types := append([]string{"assert-set"}, promptfooTypes...)
	for _, t := range negatable {
		types = append(types, "not-"+t)
	}
	sort.Strings(types)
	var rows []MappingRow
	for _, typ := range types {
		a := &node{kind: kindMap}
		a.set("type", scalar(typ, nil))
		var value any = "VALUE"
		if strings.HasSuffix(typ, "-any") || strings.HasSuffix(typ, "-all") {
			value = []string{"A", "B"}
		}
		if typ == "assert-set" {
			inner := &node{kind: kindMap}
			inner.set("type", scalar("contains", nil))
			a.set("assert", &node{kind: kindList, list: []*node{inner}})
		}
		m := p.mapAssertion(typ, a, value, "")
		row := MappingRow{From: typ}
		switch {
		case m.problem != "":
			row.Note = m.problem
			if len(m.golds) > 0 {
				row.Note += "; the value is kept as the gold answer"
			}
		default:
			row.To = m.kind
			if len(m.fields) > 0 {
				var parts []string
				for _, f := range m.fields {
					v := f.Value
					if s, ok := v.(string); ok && strings.Contains(s, "VALUE") {
						v = strings.ReplaceAll(s, "VALUE", "…")
					}
					parts = append(parts, f.Key+": "+toString(v))
				}
				row.To += " {" + strings.Join(parts, ", ") + "}"
			}
			var notes []string
			if m.rubric != "" {
				notes = append(notes, "the value is kept in meta.rubric; synth's judge compares the answer with the item's gold answers and does not read rubrics, so the test needs a gold answer (from another assertion or an expected/answer var): without one it is listed as unsupported")
			}
			if len(m.golds) > 0 {
				notes = append(notes, "the value becomes the item's gold answer")
			}
			if m.global {
				notes = append(notes, "one pattern for every item: only when every test has it (defaultTest); per-test patterns are listed as unsupported")
			}
			for _, n := range []string{m.approx, m.info} {
				if n != "" {
					notes = append(notes, n)
				}
			}
			row.Note = strings.Join(notes, "; ")
		}
		rows = append(rows, row)
	}
	return rows
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return num(x)
	}
	return ""
}

// ProviderMappings runs the importer's provider mapping on sample ids.
func ProviderMappings() []MappingRow {
	ids := []string{
		"openai:gpt-4o-mini", "openai:chat:gpt-4o", "openai:responses:gpt-4.1", "openai:embedding:text-embedding-3-small",
		"anthropic:messages:claude-3-5-haiku-latest", "anthropic:claude-3-5-sonnet-latest",
		"ollama:chat:llama3", "ollama:llama3", "ollama:completion:llama3",
		"deepseek:deepseek-chat", "groq:llama-3.1-8b-instant", "mistral:mistral-small-latest", "openrouter:openai/gpt-4o-mini",
		"azure:chat:my-deployment", "bedrock:anthropic.claude-3-haiku", "vertex:gemini-1.5-pro", "google:gemini-1.5-flash",
		"file://provider.py", "exec: ./run.sh", "https://example.test/api", "echo",
	}
	var rows []MappingRow
	for _, id := range ids {
		p := &pfImport{}
		m, ok := p.mapProvider(provider{id: id, at: &node{}})
		row := MappingRow{From: id}
		if ok {
			var parts []string
			for _, f := range m.Fields {
				parts = append(parts, f.Key+": "+toString(f.Value))
			}
			row.To = "{" + strings.Join(parts, ", ") + "}"
		}
		var notes []string
		for _, n := range p.notes.sorted() {
			notes = append(notes, n.Detail)
		}
		row.Note = strings.Join(notes, "; ")
		rows = append(rows, row)
	}
	return rows
}

// ProviderConfigKeys documents how provider config keys map onto model parameters.
var ProviderConfigKeys = []MappingRow{
	{"temperature, top_p, seed", "temperature, top_p, seed", "seed is dropped for anthropic (its API has none)"},
	{"max_tokens, max_completion_tokens, max_output_tokens, num_predict (ollama)", "max_tokens", ""},
	{"apiBaseUrl", "base_url", "not for ollama (promptfoo reads OLLAMA_BASE_URL); set base_url by hand"},
	{"apiHost", "base_url: https://HOST/v1", ""},
	{"apiKeyEnvar", "api_key_env", ""},
	{"apiKey: '{{ env.NAME }}'", "api_key_env: NAME", "a literal key is never copied: export it and name the variable"},
	{"maxRetries", "max_retries", ""},
	{"inputCost, outputCost, cost (USD per token)", "price: {input, output} (USD per million tokens)", ""},
	{"headers", "", "listed by name only: header values may be secrets"},
	{"anything else", "", "listed as unsupported"},
}
