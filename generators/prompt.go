package generators

import (
	"context"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
)

// MalformedError reports model output that did not parse after every attempt.
// It wraps [ErrMalformed].
type MalformedError struct {
	// Generator names the generator.
	Generator string
	// Attempts is how many replies were tried.
	Attempts int
	// Last is the last parse error.
	Last error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("%s: the model's reply was not the JSON asked for after %d attempts: %v", e.Generator, e.Attempts, e.Last)
}

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *MalformedError) Unwrap() error { return ErrMalformed }

// callOptions are the sampling settings an LLM generator sends.
type callOptions struct {
	temperature *float64
	maxTokens   int
	attempts    int
}

// Parameter names shared by the LLM generators.
const (
	paramN           = "n"
	paramTemperature = "temperature"
	paramMaxTokens   = "max_tokens"
	paramAttempts    = "attempts"
)

func llmParams() []spec.Param {
	return []spec.Param{
		{Name: paramTemperature, Type: "float", Description: "sampling temperature (0..2); default: the model's own setting"},
		{Name: paramMaxTokens, Type: "int", Default: "1500", Description: "cap on the reply's length in tokens"},
		{Name: paramAttempts, Type: "int", Default: "3", Description: "replies to try when one is not valid JSON (1..10); after the last, the call counts as a failed attempt"},
	}
}

func readCallOptions(p *spec.Params) callOptions {
	o := callOptions{maxTokens: p.IntIn(paramMaxTokens, 1500, 16, 100000), attempts: p.IntIn(paramAttempts, 3, 1, 10)}
	if p.Optional(paramTemperature) {
		t := p.FloatIn(paramTemperature, 0.7, 0, 2)
		o.temperature = &t
	}
	return o
}

// needModel returns the error constructors give when deps has no LLM.
func needModel(p *spec.Params, kind string) error {
	return spec.Errorf(spec.Join(p.Path(), "type"), "%s %s: set generate.model to an LLM (openai, ollama or anthropic provider), or use the offline builtin generator", kind, ErrNoModel)
}

// askJSON sends msgs and parses the reply with parse, asking again (with
// the parse error) when it fails, up to o.attempts replies in all. A model
// error is returned as is (the llm middleware has already retried it).
func askJSON(ctx context.Context, m llm.Model, name string, msgs []llm.Message, o callOptions, seed int, parse func(string) error) error {
	req := llm.Request{Messages: msgs, JSON: true, Temperature: o.temperature, MaxTokens: o.maxTokens}
	if seed != 0 {
		s := seed
		req.Seed = &s
	}
	var last error
	for attempt := 1; attempt <= o.attempts; attempt++ {
		resp, err := m.Generate(ctx, req)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if last = parse(resp.Text); last == nil {
			return nil
		}
		// Show the model its reply and what was wrong with it; keep only
		// the original request plus this one correction.
		req.Messages = append(append([]llm.Message(nil), msgs...),
			llm.Message{Role: llm.Assistant, Content: clip(resp.Text, 2000)},
			llm.Message{Role: llm.User, Content: "That reply could not be used: " + last.Error() + ". Reply again with only the JSON object described above, and nothing else."},
		)
	}
	return &MalformedError{Generator: name, Attempts: o.attempts, Last: last}
}

// excerpts renders chunks as numbered help-centre excerpts for a prompt.
func excerpts(chunks []dataset.Chunk) string {
	var b strings.Builder
	for i, c := range chunks {
		fmt.Fprintf(&b, "[%d] %s", i+1, c.Doc)
		if c.Heading != "" {
			fmt.Fprintf(&b, " — %s", c.Heading)
		}
		fmt.Fprintf(&b, "\n%s\n\n", strings.TrimSpace(c.Text))
	}
	return strings.TrimRight(b.String(), "\n")
}

// feedbackBlock renders the seed's feedback and accepted questions for a prompt.
func feedbackBlock(seed Seed) string {
	var b strings.Builder
	if len(seed.Feedback) > 0 {
		b.WriteString("\nEarlier candidates were rejected for these reasons; do not repeat these mistakes:\n")
		for _, f := range seed.Feedback {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	if len(seed.Accepted) > 0 {
		b.WriteString("\nWe already have these questions; write different ones:\n")
		for _, q := range seed.Accepted {
			fmt.Fprintf(&b, "- %s\n", q)
		}
	}
	return b.String()
}

// systemPrompt is the generators' system message.
const systemPrompt = `You write training data for a customer-support assistant. Every answer you write uses only facts stated in the help-centre excerpts you are given: no other links, menu paths, numbers, prices, time limits or promises. You reply with JSON only.`

// union returns a followed by the chunks of b that a lacks (by id).
func union(a, b []dataset.Chunk) []dataset.Chunk {
	out := append([]dataset.Chunk(nil), a...)
	seen := map[string]bool{}
	for _, c := range a {
		seen[c.ID] = true
	}
	for _, c := range b {
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	return out
}
