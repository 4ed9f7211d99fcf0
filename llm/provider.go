package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"

	"github.com/synth-dev/synth/dataset"
)

// provider adapts a langchaingo model to [Model]. It sends the request,
// fixes the parameters langchaingo gets wrong (see the patch functions),
// normalises usage and classifies errors.
type provider struct {
	kind   string
	model  string
	llm    llms.Model
	secret string
	// patch returns the body patch for req, or nil.
	patch func(Request) *bodyPatch
	// options returns the langchaingo call options for req.
	options func(Request) []llms.CallOption
	// joinChoices concatenates the text of every choice (Anthropic returns
	// one choice per content block); otherwise the first choice is the answer.
	joinChoices bool
}

// Generate implements [Model].
func (p *provider) Generate(ctx context.Context, req Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	msgs, err := toMessages(req.Messages)
	if err != nil {
		return Response{}, &APIError{Provider: p.kind, Model: p.model, Kind: ErrBadRequest, Message: err.Error()}
	}
	cctx, ex := withExchange(ctx, p.patch(req))
	out, err := p.llm.GenerateContent(cctx, msgs, p.options(req)...)
	if err != nil {
		return Response{}, p.classify(ctx, ex, err)
	}
	if out == nil || len(out.Choices) == 0 || out.Choices[0] == nil {
		status, _, _ := ex.snapshot()
		return Response{}, &APIError{Provider: p.kind, Model: p.model, Kind: ErrMalformed, Status: status, Message: "response has no choices"}
	}
	text := out.Choices[0].Content
	if p.joinChoices {
		var b strings.Builder
		for _, c := range out.Choices {
			if c != nil {
				b.WriteString(c.Content)
			}
		}
		text = b.String()
	}
	return Response{Text: text, Usage: usageFrom(out.Choices[0].GenerationInfo), Model: p.model}, nil
}

// classify turns a langchaingo error into an [*APIError] (or a context
// error when the caller gave up), using what the transport recorded.
func (p *provider) classify(ctx context.Context, ex *exchange, err error) error {
	status, retryAfter, terr := ex.snapshot()
	e := &APIError{Provider: p.kind, Model: p.model, Status: status, RetryAfter: retryAfter, Message: Redact(err.Error(), p.secret)}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("%s %s: %w", p.kind, p.model, ctx.Err())
	case ctx.Err() != nil:
		e.Kind, e.cause = ErrTimeout, ctx.Err()
	case status == http.StatusTooManyRequests:
		e.Kind = ErrRateLimit
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = ErrAuth
	case status == http.StatusRequestTimeout:
		e.Kind = ErrTimeout
	case status >= 500:
		e.Kind = ErrServer
	case status >= 400:
		e.Kind = ErrBadRequest
	case status >= 200 && status < 300:
		e.Kind = ErrMalformed
	case terr != nil:
		e.Kind = ErrNetwork
		var ne net.Error
		if errors.As(terr, &ne) && ne.Timeout() {
			e.Kind = ErrTimeout
		}
		// The transport error names the host, which helps; it carries no headers.
		e.Message = Redact(terr.Error(), p.secret)
	default:
		// Nothing went over the wire: the request could not be built.
		e.Kind = ErrBadRequest
	}
	return e
}

func toMessages(msgs []Message) ([]llms.MessageContent, error) {
	if len(msgs) == 0 {
		return nil, errors.New("request has no messages")
	}
	out := make([]llms.MessageContent, len(msgs))
	for i, m := range msgs {
		var role llms.ChatMessageType
		switch m.Role {
		case System:
			role = llms.ChatMessageTypeSystem
		case User:
			role = llms.ChatMessageTypeHuman
		case Assistant:
			role = llms.ChatMessageTypeAI
		default:
			return nil, fmt.Errorf("message %d: unknown role %q (want system, user or assistant)", i, m.Role)
		}
		out[i] = llms.TextParts(role, m.Content)
	}
	return out, nil
}

// usageFrom normalises the token counts langchaingo providers report in
// GenerationInfo into [dataset.Usage]. This is the one place that knows the
// keys differ: OpenAI and Ollama report PromptTokens/CompletionTokens/
// TotalTokens, Anthropic InputTokens/OutputTokens (and no total).
func usageFrom(info map[string]any) dataset.Usage {
	u := dataset.Usage{
		PromptTokens:     firstCount(info, "PromptTokens", "InputTokens", "prompt_tokens", "input_tokens"),
		CompletionTokens: firstCount(info, "CompletionTokens", "OutputTokens", "completion_tokens", "output_tokens"),
		TotalTokens:      firstCount(info, "TotalTokens", "total_tokens"),
	}
	if u.TotalTokens < u.PromptTokens+u.CompletionTokens {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u
}

// firstCount returns the value of the first of keys present in info as a
// non-negative int.
func firstCount(info map[string]any, keys ...string) int {
	for _, k := range keys {
		v, ok := info[k]
		if !ok {
			continue
		}
		var n int64
		switch x := v.(type) {
		case int:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		case uint:
			n = int64(x)
		case uint32:
			n = int64(x)
		case uint64:
			n = int64(x)
		case float64:
			n = int64(x)
		case float32:
			n = int64(x)
		case json.Number:
			n, _ = x.Int64()
		default:
			continue
		}
		if n < 0 {
			n = 0
		}
		return int(n)
	}
	return 0
}

// samplingPatch sends temperature, top_p and seed exactly as the request
// says, under prefix ("" for the top level). langchaingo's OpenAI client
// drops top_p, always sends temperature (0 when unset) and drops seed 0;
// Ollama's sends temperature as a float32 (0.7 becomes 0.699999988). An
// unset temperature is removed so the provider's default applies.
func samplingPatch(prefix string, seed bool) func(Request) *bodyPatch {
	return func(r Request) *bodyPatch {
		p := &bodyPatch{prefix: prefix, set: map[string]any{}}
		if r.Temperature != nil {
			p.set["temperature"] = *r.Temperature
		} else {
			p.del = append(p.del, "temperature")
		}
		if r.TopP != nil {
			p.set["top_p"] = *r.TopP
		}
		if seed && r.Seed != nil {
			p.set["seed"] = *r.Seed
		}
		return p
	}
}

// commonOptions are the langchaingo call options every provider honours.
func commonOptions(r Request) []llms.CallOption {
	var o []llms.CallOption
	if r.MaxTokens > 0 {
		o = append(o, llms.WithMaxTokens(r.MaxTokens))
	}
	if len(r.Stop) > 0 {
		o = append(o, llms.WithStopWords(r.Stop))
	}
	if r.Temperature != nil {
		o = append(o, llms.WithTemperature(*r.Temperature))
	}
	if r.TopP != nil {
		o = append(o, llms.WithTopP(*r.TopP))
	}
	return o
}

func newOpenAI(cfg Config, key string, hc *http.Client) (*provider, error) {
	lc, err := openai.New(
		openai.WithToken(key),
		openai.WithModel(cfg.Model),
		openai.WithBaseURL(cfg.BaseURL),
		openai.WithHTTPClient(hc),
		// Explicit, so OPENAI_ORGANIZATION in the environment is not picked up silently.
		openai.WithOrganization(""),
		openai.WithAPIType(openai.APITypeOpenAI),
	)
	if err != nil {
		return nil, errors.New(Redact(err.Error(), key))
	}
	legacy := cfg.LegacyMaxTokens
	return &provider{
		kind: ProviderOpenAI, model: cfg.Model, llm: lc, secret: key,
		patch: samplingPatch("", true),
		options: func(r Request) []llms.CallOption {
			o := commonOptions(r)
			if r.Seed != nil {
				o = append(o, llms.WithSeed(*r.Seed))
			}
			if legacy {
				o = append(o, openai.WithLegacyMaxTokensField())
			}
			if r.JSON {
				o = append(o, llms.WithJSONMode())
			}
			return o
		},
	}, nil
}

func newOllama(cfg Config, hc *http.Client) (*provider, error) {
	lc, err := ollama.New(ollama.WithModel(cfg.Model), ollama.WithServerURL(cfg.BaseURL), ollama.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	return &provider{
		kind: ProviderOllama, model: cfg.Model, llm: lc,
		patch: samplingPatch("options", true),
		options: func(r Request) []llms.CallOption {
			o := commonOptions(r)
			if r.Seed != nil {
				o = append(o, llms.WithSeed(*r.Seed))
			}
			if r.JSON {
				o = append(o, llms.WithJSONMode())
			}
			return o
		},
	}, nil
}

func newAnthropic(cfg Config, key string, hc *http.Client) (*provider, error) {
	lc, err := anthropic.New(
		anthropic.WithToken(key),
		anthropic.WithModel(cfg.Model),
		anthropic.WithBaseURL(cfg.BaseURL),
		anthropic.WithHTTPClient(hc),
	)
	if err != nil {
		return nil, errors.New(Redact(err.Error(), key))
	}
	return &provider{
		kind: ProviderAnthropic, model: cfg.Model, llm: lc, secret: key,
		patch:       samplingPatch("", false),
		options:     commonOptions,
		joinChoices: true,
	}, nil
}
