package llm

import (
	"context"

	"github.com/synth-dev/synth/dataset"
)

// Role is the author of a chat message.
type Role string

// Chat roles.
const (
	System    Role = "system"
	User      Role = "user"
	Assistant Role = "assistant"
)

// Message is one chat message.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content"`
}

// Request is one call to a model. The zero value of an optional field means
// "provider default"; pointers distinguish unset from zero.
type Request struct {
	// Messages is the conversation, oldest first.
	Messages []Message `json:"messages"`
	// Temperature, when set, is sent as is (0 is a valid value).
	Temperature *float64 `json:"temperature,omitempty"`
	// TopP, when set, is sent as is.
	TopP *float64 `json:"top_p,omitempty"`
	// MaxTokens caps the completion; 0 leaves it to the provider.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Seed asks for reproducible sampling where the provider supports it.
	Seed *int `json:"seed,omitempty"`
	// Stop sequences end the completion.
	Stop []string `json:"stop,omitempty"`
	// JSON asks for a JSON object as output.
	JSON bool `json:"json,omitempty"`
	// ItemID names the eval item being answered. Replay models answer by it;
	// providers ignore it and it is not part of the cache key.
	ItemID string `json:"-"`
	// Contexts are retrieved help-doc chunks. RAG puts them into Messages for
	// remote models; the built-in docs bot reads them directly. Not part of the
	// cache key (their text already is, through Messages).
	Contexts []dataset.Chunk `json:"-"`
}

// Response is a model's answer.
type Response struct {
	// Text is the completion.
	Text string `json:"text"`
	// Usage is the tokens this call spent (zero on a cache hit).
	Usage dataset.Usage `json:"usage"`
	// Model is the model name the provider reported, when it did.
	Model string `json:"model,omitempty"`
	// Cached reports that the response came from the on-disk cache.
	Cached bool `json:"-"`
	// Retries counts the attempts that failed before this response.
	Retries int `json:"-"`
}

// Model answers requests. Implementations must be safe for concurrent use.
type Model interface {
	Generate(ctx context.Context, req Request) (Response, error)
}

// ModelFunc adapts a function to the [Model] interface.
type ModelFunc func(ctx context.Context, req Request) (Response, error)

// Generate calls f.
func (f ModelFunc) Generate(ctx context.Context, req Request) (Response, error) { return f(ctx, req) }

// Middleware wraps a Model with extra behaviour (retries, caching, ...).
type Middleware func(Model) Model

// Chain applies middleware to m; the first one listed is the outermost.
func Chain(m Model, mw ...Middleware) Model {
	for i := len(mw) - 1; i >= 0; i-- {
		m = mw[i](m)
	}
	return m
}

// Prompt is a convenience for a one-message user request.
func Prompt(text string) Request {
	return Request{Messages: []Message{{Role: User, Content: text}}}
}
