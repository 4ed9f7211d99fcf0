package importers

import (
	"regexp"
	"strconv"
	"strings"
)

// compatible are promptfoo provider prefixes for services that speak the
// OpenAI chat API: they become synth's openai provider with a base_url.
var compatible = map[string]struct{ baseURL, keyEnv string }{
	"deepseek":   {"https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"},
	"groq":       {"https://api.groq.com/openai/v1", "GROQ_API_KEY"},
	"mistral":    {"https://api.mistral.ai/v1", "MISTRAL_API_KEY"},
	"openrouter": {"https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
}

// openaiEndpoints are openai:<endpoint>:<model> endpoints that are not chat.
var openaiEndpoints = map[string]bool{
	"completion": true, "embedding": true, "embeddings": true, "assistant": true, "image": true,
	"moderation": true, "realtime": true, "tts": true, "speech": true, "transcription": true,
	"video": true, "agents": true, "chatkit": true, "codex": true, "codex-sdk": true,
	"codex-app-server": true, "codex-desktop": true,
}

var envTemplate = regexp.MustCompile(`^\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$`)

var modelNameRE = regexp.MustCompile(`[^a-z0-9_-]+`)

// modelName makes a models: key: lower case, no dots (viper reads them as
// nesting), no spaces.
func modelName(s string) string {
	s = modelNameRE.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	if s == "" {
		return "model"
	}
	return s
}

// provider is one promptfoo provider as written: an id, an optional label and config.
type provider struct {
	id     string
	label  string
	config *node
	at     *node
}

// providerOf reads a provider given as "id" or {id, label, config}, or the
// legacy one-key form {"openai:gpt-4": {config: ...}}.
func providerOf(n *node) (provider, bool) {
	switch n.kind {
	case kindScalar:
		return provider{id: strings.TrimSpace(n.text), at: n}, true
	case kindMap:
		if n.has("id") {
			return provider{id: strings.TrimSpace(n.get("id").str()), label: n.get("label").str(), config: n.get("config"), at: n}, true
		}
		if len(n.keys) == 1 && n.vals[0].kind == kindMap {
			v := n.vals[0]
			return provider{id: n.keys[0], label: v.get("label").str(), config: v.get("config"), at: n}, true
		}
	}
	return provider{}, false
}

// mapProvider turns a promptfoo provider into a synth model entry. ok is
// false when synth has no counterpart; the reason is in the notes.
func (p *pfImport) mapProvider(pv provider) (ModelEntry, bool) {
	where := pv.at.where()
	subject := "provider " + pv.id
	unsupported := func(detail string) (ModelEntry, bool) {
		p.notes.add(Unsupported, subject, detail, where)
		return ModelEntry{}, false
	}
	id := pv.id
	if isFileRef(id) || strings.HasPrefix(id, "exec:") || strings.HasPrefix(id, "python:") || strings.HasPrefix(id, "http") || strings.HasSuffix(id, ".py") || strings.HasSuffix(id, ".js") {
		return unsupported("a custom provider (code, script or HTTP endpoint) has no synth counterpart: run it yourself, save its answers as {\"id\", \"output\"} lines and grade them with a replay model (provider: replay)")
	}
	parts := strings.Split(id, ":")
	prefix := parts[0]
	rest := parts[1:]
	var fields []Field
	kind := ""
	model := ""
	switch {
	case prefix == "openai":
		kind = "openai"
		switch {
		case len(rest) > 0 && (rest[0] == "chat" || rest[0] == "responses"):
			if rest[0] == "responses" {
				p.notes.add(Approximated, subject, "synth calls the Chat Completions API, not the Responses API", where)
			}
			model = strings.Join(rest[1:], ":")
		case len(rest) > 0 && openaiEndpoints[rest[0]]:
			return unsupported("synth evaluates chat models; the " + rest[0] + " endpoint has no counterpart")
		default:
			model = strings.Join(rest, ":")
		}
	case prefix == "anthropic":
		kind = "anthropic"
		switch {
		case len(rest) > 0 && rest[0] == "messages":
			model = strings.Join(rest[1:], ":")
		case len(rest) > 0 && rest[0] == "completion":
			return unsupported("synth calls Anthropic's Messages API; the legacy completion API has no counterpart")
		default:
			model = strings.Join(rest, ":")
		}
	case prefix == "ollama":
		kind = "ollama"
		switch {
		case len(rest) > 0 && rest[0] == "chat":
			model = strings.Join(rest[1:], ":")
		case len(rest) > 0 && (rest[0] == "embedding" || rest[0] == "embeddings"):
			return unsupported("an embedding model is not a chat model")
		default:
			if len(rest) > 0 && rest[0] == "completion" {
				rest = rest[1:]
			}
			model = strings.Join(rest, ":")
			p.notes.add(Approximated, subject, "promptfoo used Ollama's /api/generate (completion) endpoint; synth uses /api/chat with the same model", where)
		}
	case compatible[prefix].baseURL != "":
		kind = "openai"
		model = strings.Join(rest, ":")
		if len(rest) > 1 && rest[0] == "chat" {
			model = strings.Join(rest[1:], ":")
		}
		c := compatible[prefix]
		fields = append(fields, Field{"base_url", c.baseURL}, Field{"api_key_env", c.keyEnv})
		p.notes.add(Info, subject, "mapped to synth's openai provider at "+prefix+"'s OpenAI-compatible endpoint", where)
	default:
		detail := "synth speaks to OpenAI-compatible, Ollama and Anthropic APIs; if this service has an OpenAI-compatible endpoint, add {provider: openai, model: ..., base_url: ..., api_key_env: ...} by hand"
		if prefix == "echo" {
			detail = "the echo provider repeats the prompt; synth has no counterpart"
		}
		return unsupported(detail)
	}
	if model == "" {
		return unsupported("the provider names no model (promptfoo picks a default): write the model name, e.g. " + prefix + ":chat:MODEL")
	}
	out := []Field{{"provider", kind}, {"model", model}}
	out = append(out, fields...)
	out = append(out, p.providerConfig(pv, kind)...)
	name := pv.label
	if name == "" {
		name = model
	}
	return ModelEntry{Name: modelName(name), Fields: out, From: id}, true
}

// providerConfig maps a provider's config keys onto synth model parameters;
// the rest are listed. API keys and header values are never copied.
func (p *pfImport) providerConfig(pv provider, kind string) []Field {
	cfg := pv.config
	if cfg == nil || cfg.kind != kindMap {
		return nil
	}
	subject := "provider " + pv.id
	var out []Field
	var price []Field
	num := func(n *node) (any, bool) {
		if n.kind != kindScalar {
			return nil, false
		}
		if i, err := strconv.ParseInt(n.text, 10, 64); err == nil {
			return i, true
		}
		if f, err := strconv.ParseFloat(n.text, 64); err == nil {
			return f, true
		}
		return nil, false
	}
	for i, key := range cfg.keys {
		v := cfg.vals[i]
		where := v.where()
		bad := func() { p.notes.add(Unsupported, subject+" config."+key, "not a number: not imported", where) }
		switch key {
		case "temperature", "top_p":
			if x, ok := num(v); ok {
				out = append(out, Field{key, x})
			} else {
				bad()
			}
		case "max_tokens", "max_completion_tokens", "max_output_tokens", "num_predict":
			if x, ok := num(v); ok {
				out = append(out, Field{"max_tokens", x})
			} else {
				bad()
			}
		case "seed":
			if kind == "anthropic" {
				p.notes.add(Unsupported, subject+" config.seed", "Anthropic's API takes no seed", where)
			} else if x, ok := num(v); ok {
				out = append(out, Field{"seed", x})
			} else {
				bad()
			}
		case "maxRetries":
			if x, ok := num(v); ok {
				out = append(out, Field{"max_retries", x})
			} else {
				bad()
			}
		case "apiBaseUrl", "baseUrl", "apiUrl":
			if kind == "ollama" || v.str() == "" {
				p.notes.add(Unsupported, subject+" config."+key, "not imported (set base_url by hand)", where)
				continue
			}
			out = setField(out, "base_url", strings.TrimRight(v.str(), "/"))
		case "apiHost":
			if v.str() == "" {
				bad()
				continue
			}
			out = setField(out, "base_url", "https://"+strings.TrimRight(v.str(), "/")+"/v1")
		case "apiKeyEnvar":
			out = setField(out, "api_key_env", v.str())
		case "apiKey":
			// Never copy the value: it is a secret, or a template naming one.
			if m := envTemplate.FindStringSubmatch(strings.TrimSpace(v.str())); m != nil && kind != "ollama" {
				out = setField(out, "api_key_env", m[1])
				continue
			}
			p.notes.add(Unsupported, subject+" config.apiKey", "API keys are never copied into synth.yaml: export the key in an environment variable and name it with api_key_env", where)
		case "inputCost", "outputCost", "cost":
			x, ok := num(v)
			if !ok {
				bad()
				continue
			}
			f, _ := toFloat(x)
			perMillion := roundPrice(f * 1e6)
			if key == "inputCost" || key == "cost" {
				price = setField(price, "input", perMillion)
			}
			if key == "outputCost" || key == "cost" {
				price = setField(price, "output", perMillion)
			}
		case "headers":
			var names []string
			for _, k := range v.keys {
				names = append(names, k)
			}
			p.notes.add(Unsupported, subject+" config.headers", "header values may be secrets and are not copied ("+strings.Join(names, ", ")+"): add them under headers: by hand", where)
		default:
			p.notes.add(Unsupported, subject+" config."+key, "synth models have no such parameter", where)
		}
	}
	if len(price) > 0 {
		out = append(out, Field{"price", price})
	}
	return out
}

func setField(fs []Field, key string, v any) []Field {
	for i := range fs {
		if fs[i].Key == key {
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, Field{key, v})
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// roundPrice rounds a USD-per-million price to 6 significant decimals, so
// that 1.5e-7 per token prints as 0.15, not 0.15000000000000002.
func roundPrice(f float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 10, 64), 64)
	return r
}
