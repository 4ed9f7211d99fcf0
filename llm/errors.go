package llm

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Error kinds. Every error a provider returns for a failed call wraps one of
// them (through an [*APIError]), so callers decide with [errors.Is].
var (
	// ErrRateLimit: the provider answered 429 Too Many Requests. Retried.
	ErrRateLimit = errors.New("rate limited")
	// ErrServer: the provider answered 5xx. Retried.
	ErrServer = errors.New("server error")
	// ErrTimeout: the call took longer than the model's timeout (or the
	// provider answered 408). Retried.
	ErrTimeout = errors.New("timed out")
	// ErrNetwork: no HTTP response (connection refused, reset or dropped). Retried.
	ErrNetwork = errors.New("connection failed")
	// ErrMalformed: the provider answered 200 with a body that could not be
	// parsed, or with no choices. Retried.
	ErrMalformed = errors.New("malformed response")
	// ErrAuth: the provider answered 401 or 403 (missing or wrong API key). Not retried.
	ErrAuth = errors.New("authentication failed")
	// ErrBadRequest: the provider rejected the request (other 4xx: unknown
	// model, context too long, invalid parameter), or the request could not be
	// sent as given. Not retried.
	ErrBadRequest = errors.New("bad request")
	// ErrUnknownItem: a replay model has no output for the requested item. Not retried.
	ErrUnknownItem = errors.New("no output for item")
)

// APIError is a classified failure of one call to a provider. Its message
// never contains the API key.
type APIError struct {
	// Provider is the provider kind ("openai", "ollama", "anthropic").
	Provider string
	// Model is the model name.
	Model string
	// Kind is one of the Err* sentinels; errors.Is(err, Kind) holds.
	Kind error
	// Status is the HTTP status, or 0 when there was no response.
	Status int
	// RetryAfter is the delay the provider asked for (Retry-After), or 0.
	RetryAfter time.Duration
	// Message is the provider's error text, with secrets removed.
	Message string

	// cause is a context error behind a timeout, so errors.Is(err,
	// context.DeadlineExceeded) holds too.
	cause error
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Model != "" {
		b.WriteString(" ")
		b.WriteString(e.Model)
	}
	b.WriteString(": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("failed")
	}
	switch {
	case e.Status != 0 && e.RetryAfter > 0:
		fmt.Fprintf(&b, " (HTTP %d, retry after %s)", e.Status, e.RetryAfter)
	case e.Status != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the error kind (and the context error behind a timeout).
func (e *APIError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Kind, e.cause}
	}
	return []error{e.Kind}
}

// Retryable reports whether a failed call is worth trying again: rate
// limits, server errors, timeouts, malformed responses and connection
// failures are; auth and bad requests are not.
func Retryable(err error) bool {
	for _, k := range []error{ErrRateLimit, ErrServer, ErrTimeout, ErrNetwork, ErrMalformed} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// RetryAfter returns the delay the provider asked for in err, or 0.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// RetryError is the error of a call that failed after retries.
type RetryError struct {
	// Retries counts the failed attempts before the last one.
	Retries int
	// Err is the last attempt's error.
	Err error
}

// Error implements error.
func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (after %d attempts)", e.Err, e.Retries+1)
}

// Unwrap returns the last attempt's error.
func (e *RetryError) Unwrap() error { return e.Err }

// Retries returns how many failed attempts were retried before err was
// returned (0 when err does not come from the retry middleware).
func Retries(err error) int {
	var re *RetryError
	if errors.As(err, &re) {
		return re.Retries
	}
	return 0
}

const redacted = "[REDACTED]"

var secretPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	// Header lines or fields: Authorization: Bearer x, x-api-key: x, "api-key":"x".
	{regexp.MustCompile(`(?i)("?(?:authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key)"?\s*[:=]\s*"?)(?:bearer\s+|basic\s+)?[^\s",}]+`), "${1}" + redacted},
	{regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{6,}`), "${1} " + redacted},
	// Query parameters.
	{regexp.MustCompile(`(?i)([?&](?:key|api_key|api-key|access_token|token)=)[^&\s"]+`), "${1}" + redacted},
	// Provider key shapes.
	{regexp.MustCompile(`\b(sk-(?:ant-|proj-)?)[A-Za-z0-9_\-]{8,}`), "${1}" + redacted},
}

// Redact removes secrets from s: each of secrets verbatim, then anything
// that looks like an Authorization or API-key header value or a key.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	for _, p := range secretPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return s
}
