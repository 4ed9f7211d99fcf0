package llmtest

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Fault is a way for the server to fail a request without a normal HTTP
// error response.
type Fault int

// Faults. FaultNone means the reply is a normal response (or a [Reply.Status] error).
const (
	FaultNone Fault = iota
	// FaultHang blocks until the client gives up (its request context is
	// done) or the server closes; nothing is written.
	FaultHang
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed
	// FaultDrop closes the connection without writing a response.
	FaultDrop
)

// String names the fault.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultHang:
		return "hang"
	case FaultMalformed:
		return "malformed"
	case FaultDrop:
		return "drop"
	}
	return "unknown"
}

// Usage is the token usage a chat reply reports.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Reply is one scripted answer: a text, an HTTP error status, or a fault.
type Reply struct {
	// Text is the assistant message of a successful chat reply.
	Text string
	// Status, when non-zero and not 200, makes the reply an HTTP error with an
	// OpenAI-shaped error body.
	Status int
	// Error is the error message for Status (a default per status when empty).
	Error string
	// RetryAfter is sent as the Retry-After header (whole seconds, rounded
	// up) and retry-after-ms, when non-zero.
	RetryAfter time.Duration
	// Fault, when not FaultNone, overrides Text and Status.
	Fault Fault
	// Delay is waited before answering (on top of the server's latency).
	Delay time.Duration
	// Usage overrides the usage the server would report.
	Usage *Usage
}

// Text is a successful reply with text s.
func Text(s string) Reply { return Reply{Text: s} }

// JSON is a successful reply whose text is v marshalled as JSON.
func JSON(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		return Reply{Status: 500, Error: "llmtest: cannot marshal JSON reply: " + err.Error()}
	}
	return Reply{Text: string(b)}
}

// Status is an HTTP error reply with an OpenAI-shaped error body.
func Status(code int, message string) Reply { return Reply{Status: code, Error: message} }

// RateLimited is a 429 reply with a Retry-After of d (none when d is 0).
func RateLimited(d time.Duration) Reply {
	return Reply{Status: 429, Error: "Rate limit reached for requests", RetryAfter: d}
}

// ServerError is a 500 reply.
func ServerError() Reply {
	return Reply{Status: 500, Error: "The server had an error while processing your request."}
}

// Hang is a reply that never comes: the request blocks until the client gives up.
func Hang() Reply { return Reply{Fault: FaultHang} }

// Malformed is a 200 reply whose body is not valid JSON.
func Malformed() Reply { return Reply{Fault: FaultMalformed} }

// Drop closes the connection without a response.
func Drop() Reply { return Reply{Fault: FaultDrop} }

// After returns r delayed by d.
func (r Reply) After(d time.Duration) Reply {
	r.Delay = d
	return r
}

// WithUsage returns r reporting usage u.
func (r Reply) WithUsage(prompt, completion int) Reply {
	r.Usage = &Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
	return r
}

// ok reports whether r is a successful reply.
func (r Reply) ok() bool { return r.Fault == FaultNone && (r.Status == 0 || r.Status == 200) }

// Times returns n copies of r, for sequences such as
// append(Times(2, RateLimited(0)), Text("ok")).
func Times(n int, r Reply) []Reply {
	out := make([]Reply, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// Matcher selects the chat requests a rule answers.
type Matcher func(ChatRequest) bool

// Any matches every chat request.
func Any() Matcher { return func(ChatRequest) bool { return true } }

// LastUserContains matches when the last user message contains s.
func LastUserContains(s string) Matcher {
	return func(r ChatRequest) bool { return strings.Contains(r.LastUser(), s) }
}

// LastUserMatches matches when the last user message matches re.
func LastUserMatches(re *regexp.Regexp) Matcher {
	return func(r ChatRequest) bool { return re.MatchString(r.LastUser()) }
}

// AnyContains matches when any message (of any role) contains s.
func AnyContains(s string) Matcher {
	return func(r ChatRequest) bool {
		for _, m := range r.Messages {
			if strings.Contains(m.Content, s) {
				return true
			}
		}
		return false
	}
}

// AnyMatches matches when any message (of any role) matches re.
func AnyMatches(re *regexp.Regexp) Matcher {
	return func(r ChatRequest) bool {
		for _, m := range r.Messages {
			if re.MatchString(m.Content) {
				return true
			}
		}
		return false
	}
}

// ModelIs matches requests for model name.
func ModelIs(name string) Matcher {
	return func(r ChatRequest) bool { return r.Model == name }
}

// Rule is a scripted answer registered with [Handler.Handle] or
// [Handler.HandleFunc].
type Rule struct {
	h       *Handler
	match   Matcher
	replies []Reply
	fn      func(ChatRequest) Reply
	calls   int
}

// Calls returns how many requests the rule has answered.
func (r *Rule) Calls() int {
	r.h.mu.Lock()
	defer r.h.mu.Unlock()
	return r.calls
}

// FaultRates are probabilities, each in [0, 1] and summing to at most 1, of
// failing a request (any route but GET /v1/models) with each fault.
type FaultRates struct {
	// RateLimit is the probability of a 429.
	RateLimit float64
	// Server is the probability of a 500.
	Server float64
	// Hang is the probability of a request that never gets an answer.
	Hang float64
	// Malformed is the probability of a 200 with a body that is not JSON.
	Malformed float64
	// Drop is the probability of a dropped connection.
	Drop float64
	// RetryAfter is sent with the 429s (none when 0).
	RetryAfter time.Duration
}

// pick maps a uniform draw u in [0, 1) to a reply, or ok=false for no fault.
func (f FaultRates) pick(u float64) (Reply, bool) {
	steps := []struct {
		p float64
		r Reply
	}{
		{f.RateLimit, RateLimited(f.RetryAfter)},
		{f.Server, ServerError()},
		{f.Hang, Hang()},
		{f.Malformed, Malformed()},
		{f.Drop, Drop()},
	}
	acc := 0.0
	for _, s := range steps {
		acc += s.p
		if u < acc {
			return s.r, true
		}
	}
	return Reply{}, false
}
