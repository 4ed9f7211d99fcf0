package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// exchange records what the HTTP layer saw during one call. langchaingo
// hides response headers and sometimes the status, so the transport writes
// them here; the holder travels in the request context.
type exchange struct {
	patch *bodyPatch

	mu         sync.Mutex
	status     int
	retryAfter time.Duration
	err        error
}

type exchangeKey struct{}

// withExchange returns ctx carrying a fresh exchange.
func withExchange(ctx context.Context, patch *bodyPatch) (context.Context, *exchange) {
	ex := &exchange{patch: patch}
	return context.WithValue(ctx, exchangeKey{}, ex), ex
}

func (ex *exchange) record(status int, retryAfter time.Duration, err error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ex.status, ex.retryAfter, ex.err = status, retryAfter, err
}

func (ex *exchange) snapshot() (int, time.Duration, error) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.status, ex.retryAfter, ex.err
}

// bodyPatch rewrites a JSON request body: it sets and deletes fields of the
// top-level object, or of the object under prefix. It is how parameters
// that langchaingo drops or always sends get sent exactly as configured.
type bodyPatch struct {
	prefix string
	set    map[string]any
	del    []string
}

func (p *bodyPatch) empty() bool { return p == nil || (len(p.set) == 0 && len(p.del) == 0) }

// apply returns body with the patch applied.
func (p *bodyPatch) apply(body []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("request body is not a JSON object: %w", err)
	}
	obj := top
	if p.prefix != "" {
		obj = map[string]json.RawMessage{}
		if raw, ok := top[p.prefix]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if err := json.Unmarshal(raw, &obj); err != nil {
				return nil, fmt.Errorf("request body field %s is not an object: %w", p.prefix, err)
			}
		}
	}
	for _, k := range p.del {
		delete(obj, k)
	}
	for k, v := range p.set {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("request body field %s: %w", k, err)
		}
		obj[k] = b
	}
	if p.prefix != "" {
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		top[p.prefix] = b
	}
	return json.Marshal(top)
}

// transport is the RoundTripper under every provider's HTTP client: it adds
// configured headers, applies the call's body patch, and records the status
// and Retry-After of the response in the call's exchange.
type transport struct {
	base    http.RoundTripper
	headers map[string]string
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if len(t.headers) > 0 || (ex != nil && !ex.patch.empty() && req.Body != nil) {
		req = req.Clone(req.Context())
		for k, v := range t.headers {
			req.Header.Set(k, v)
		}
		if ex != nil && !ex.patch.empty() && req.Body != nil && req.Body != http.NoBody {
			body, err := io.ReadAll(req.Body)
			_ = req.Body.Close()
			if err != nil {
				return nil, err
			}
			patched, err := ex.patch.apply(body)
			if err != nil {
				return nil, err
			}
			req.Body = io.NopCloser(bytes.NewReader(patched))
			req.ContentLength = int64(len(patched))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(patched)), nil }
		}
	}
	resp, err := t.base.RoundTrip(req)
	if ex != nil {
		if err != nil {
			ex.record(0, 0, err)
		} else {
			ex.record(resp.StatusCode, parseRetryAfter(resp.Header, time.Now()), nil)
		}
	}
	return resp, err
}

// parseRetryAfter reads retry-after-ms (milliseconds) or Retry-After
// (seconds or an HTTP date) from h; 0 when absent or invalid.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs > 0 && secs < 1e6 {
			return time.Duration(secs * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// newHTTPClient returns the HTTP client of one model: its own connection
// pool, keeping at least concurrency idle connections per host so that a
// model running at full concurrency reuses connections instead of opening
// new ones.
func newHTTPClient(concurrency int, headers map[string]string) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = max(concurrency, 2)
	base.MaxIdleConns = max(base.MaxIdleConns, 2*concurrency)
	return &http.Client{Transport: &transport{base: base, headers: headers}}
}
