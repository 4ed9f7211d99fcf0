package llmtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// ChatMessage is one message of a received chat request. Content given as a
// list of parts is flattened to the concatenation of its text parts.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// UnmarshalJSON accepts content as a string, null or a list of parts.
func (m *ChatMessage) UnmarshalJSON(b []byte) error {
	var raw struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	m.Role = raw.Role
	m.Content = ""
	c := bytes.TrimSpace(raw.Content)
	switch {
	case len(c) == 0 || bytes.Equal(c, []byte("null")):
	case c[0] == '"':
		return json.Unmarshal(c, &m.Content)
	case c[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(c, &parts); err != nil {
			return fmt.Errorf("content parts: %w", err)
		}
		var sb strings.Builder
		for _, p := range parts {
			if p.Type == "text" {
				sb.WriteString(p.Text)
			}
		}
		m.Content = sb.String()
	default:
		return errors.New("content must be a string or a list of parts")
	}
	return nil
}

// StringList is a JSON string or list of strings.
type StringList []string

// UnmarshalJSON accepts a string, null or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*l = ss
	return nil
}

// ResponseFormat is the response_format field of a chat request.
type ResponseFormat struct {
	Type string `json:"type"`
}

// ChatRequest is a received POST /v1/chat/completions body. Pointer fields
// are nil when the field was absent; Raw holds every field as sent.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []ChatMessage   `json:"messages"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Seed                *int            `json:"seed"`
	Stop                StringList      `json:"stop"`
	Stream              bool            `json:"stream"`
	ResponseFormat      *ResponseFormat `json:"response_format"`
	// Raw maps each top-level field name to its JSON value.
	Raw map[string]json.RawMessage `json:"-"`
}

// LastUser returns the content of the last user message, or "".
func (r ChatRequest) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Has reports whether the request carried field name (at top level).
func (r ChatRequest) Has(name string) bool {
	_, ok := r.Raw[name]
	return ok
}

// ParseChatRequest decodes a chat completions request body.
func ParseChatRequest(body []byte) (ChatRequest, error) {
	var req ChatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return ChatRequest{}, err
	}
	if err := json.Unmarshal(body, &req.Raw); err != nil {
		return ChatRequest{}, err
	}
	return req, nil
}

// EmbeddingRequest is a received POST /v1/embeddings body.
type EmbeddingRequest struct {
	Model          string     `json:"model"`
	Input          StringList `json:"input"`
	Dimensions     int        `json:"dimensions"`
	EncodingFormat string     `json:"encoding_format"`
}

// ParseEmbeddingRequest decodes an embeddings request body.
func ParseEmbeddingRequest(body []byte) (EmbeddingRequest, error) {
	var req EmbeddingRequest
	err := json.Unmarshal(body, &req)
	return req, err
}

// Request is one received request, as kept in the log.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Chat is set for parseable chat completions requests.
	Chat *ChatRequest
	// Embedding is set for parseable embeddings requests.
	Embedding *EmbeddingRequest
	// Time is when the request arrived.
	Time time.Time
}

// EstimateTokens is the token count the server reports for text s:
// one token per four bytes, rounded up.
func EstimateTokens(s string) int { return (len(s) + 3) / 4 }

// Embed returns the vector the server answers for text: dim float32s
// derived from the SHA-256 of text, with unit L2 norm. The same text always
// gets the same vector.
func Embed(text string, dim int) []float32 {
	if dim <= 0 {
		return nil
	}
	sum := sha256.Sum256([]byte(text))
	state := binary.LittleEndian.Uint64(sum[:8]) ^ binary.LittleEndian.Uint64(sum[8:16])
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		// splitmix64
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		f := float64(z>>11)/(1<<53)*2 - 1
		v[i] = float32(f)
		norm += float64(v[i]) * float64(v[i])
	}
	if norm == 0 {
		v[0] = 1
		return v
	}
	inv := 1 / math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string, retryAfter time.Duration) {
	typ, code := "invalid_request_error", ""
	switch {
	case status == 401:
		code = "invalid_api_key"
		if msg == "" {
			msg = "Incorrect API key provided."
		}
	case status == 404:
		code = "model_not_found"
	case status == 429:
		typ, code = "requests", "rate_limit_exceeded"
	case status >= 500:
		typ = "server_error"
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if retryAfter > 0 {
		secs := int64(math.Ceil(retryAfter.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		w.Header().Set("Retry-After-Ms", fmt.Sprint(retryAfter.Milliseconds()))
	}
	e := apiError{Message: msg, Type: typ}
	if code != "" {
		e.Code = &code
	}
	writeJSON(w, status, map[string]any{"error": e})
}
