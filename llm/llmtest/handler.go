package llmtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxBody caps the request bodies the server reads.
const maxBody = 32 << 20

// Option configures a [Handler].
type Option func(*Handler)

// WithAuth makes the server require an "Authorization: Bearer <token>"
// header, answering 401 without one. With keys, the token must be one of them.
func WithAuth(keys ...string) Option {
	return func(h *Handler) {
		h.auth = true
		for _, k := range keys {
			h.keys[k] = true
		}
	}
}

// WithLatency delays every answer (except GET /v1/models) by d. The wait
// ends early when the client gives up.
func WithLatency(d time.Duration) Option { return func(h *Handler) { h.latency = d } }

// WithEmbeddingDim sets the dimension of embeddings when the request does
// not ask for one (default 64).
func WithEmbeddingDim(n int) Option { return func(h *Handler) { h.dim = n } }

// WithModels sets the models GET /v1/models lists. Chat requests for any
// other model then get a 404 (model_not_found).
func WithModels(names ...string) Option {
	return func(h *Handler) {
		h.models = append([]string(nil), names...)
		h.strictModels = true
	}
}

// WithDefault sets the reply sequence for chat requests no rule matches
// (default: "echo: " followed by the last user message).
func WithDefault(replies ...Reply) Option {
	return func(h *Handler) { h.def = &Rule{h: h, replies: replies} }
}

// WithFaults fails requests at random with the given rates, drawn from a
// generator seeded with seed: the sequence of outcomes, in arrival order, is
// the same on every run. Scripted replies ([Handler.Enqueue]) take
// precedence.
func WithFaults(seed uint64, rates FaultRates) Option {
	return func(h *Handler) {
		r := rates
		h.rates = &r
		h.rng = rand.New(rand.NewPCG(seed, seed^0x5eed))
	}
}

// WithLogLimit keeps only the n most recent requests in the log (0, the
// default, keeps all; a negative n keeps none). Counters are unaffected.
func WithLogLimit(n int) Option { return func(h *Handler) { h.logLimit = n } }

// Handler is the fake server: an [http.Handler] safe for concurrent use.
type Handler struct {
	mux          *http.ServeMux
	auth         bool
	keys         map[string]bool
	latency      time.Duration
	dim          int
	models       []string
	strictModels bool
	logLimit     int

	closeOnce sync.Once
	closed    chan struct{}

	mu          sync.Mutex
	rules       []*Rule
	def         *Rule
	rates       *FaultRates
	rng         *rand.Rand
	queues      map[string][]Reply
	log         []Request
	counts      map[string]int
	total       int
	inFlight    int
	maxInFlight int
	seq         int
}

// New returns a fake server handler.
func New(opts ...Option) *Handler {
	h := &Handler{
		mux:    http.NewServeMux(),
		keys:   map[string]bool{},
		dim:    64,
		models: []string{"llmtest"},
		closed: make(chan struct{}),
		queues: map[string][]Reply{},
		counts: map[string]int{},
	}
	for _, o := range opts {
		o(h)
	}
	h.Route("POST /v1/chat/completions", h.chat)
	h.Route("POST /v1/embeddings", h.embeddings)
	h.Route("GET /v1/models", h.listModels)
	return h
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Route adds a route (an [http.ServeMux] pattern such as "POST /v1/files").
// The route gets what every route gets: auth, counting, in-flight tracking,
// the request log, scripted and random faults and latency. fn can read the
// whole body from r.Body.
func (h *Handler) Route(pattern string, fn http.HandlerFunc) {
	h.mux.Handle(pattern, h.wrap(fn))
}

// Handle adds a rule: chat requests that match get replies in order, the
// last one repeating. Rules are tried in the order they were added.
func (h *Handler) Handle(m Matcher, replies ...Reply) *Rule {
	if len(replies) == 0 {
		replies = []Reply{Status(500, "llmtest: rule has no replies")}
	}
	r := &Rule{h: h, match: m, replies: replies}
	h.mu.Lock()
	h.rules = append(h.rules, r)
	h.mu.Unlock()
	return r
}

// HandleFunc adds a rule whose reply fn computes. fn may be called
// concurrently.
func (h *Handler) HandleFunc(m Matcher, fn func(ChatRequest) Reply) *Rule {
	r := &Rule{h: h, match: m, fn: fn}
	h.mu.Lock()
	h.rules = append(h.rules, r)
	h.mu.Unlock()
	return r
}

// Enqueue scripts the next calls to path (such as "/v1/embeddings"): each
// call takes the next reply from the queue before any rule is consulted. A
// successful reply ([Text]) lets the call proceed normally (for chat, the
// text is the answer). Use it for "the first 2 calls fail with 429".
func (h *Handler) Enqueue(path string, replies ...Reply) {
	h.mu.Lock()
	h.queues[path] = append(h.queues[path], replies...)
	h.mu.Unlock()
}

// Requests returns how many requests the server received (on all routes).
func (h *Handler) Requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Count returns how many requests the server received on path.
func (h *Handler) Count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[path]
}

// InFlight returns how many requests are being answered now.
func (h *Handler) InFlight() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inFlight
}

// MaxInFlight returns the most requests ever answered at once.
func (h *Handler) MaxInFlight() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxInFlight
}

// Log returns a copy of the request log, oldest first.
func (h *Handler) Log() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.log...)
}

// ChatRequests returns the parsed bodies of the logged chat requests.
func (h *Handler) ChatRequests() []ChatRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []ChatRequest
	for _, r := range h.log {
		if r.Chat != nil {
			out = append(out, *r.Chat)
		}
	}
	return out
}

// LastRequest returns the most recent logged request.
func (h *Handler) LastRequest() (Request, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.log) == 0 {
		return Request{}, false
	}
	return h.log[len(h.log)-1], true
}

// Reset clears the counters, the log and the queues; rules stay.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = nil
	h.counts = map[string]int{}
	h.total = 0
	h.maxInFlight = h.inFlight
	h.queues = map[string][]Reply{}
}

// Close releases every hanging request (they get a 503). It does not stop
// a listener; [Server.Close] does both.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.closed) })
}

// wrap is the middleware every route gets.
func (h *Handler) wrap(fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			writeError(w, 400, "llmtest: cannot read body: "+err.Error(), 0)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Time: time.Now()}
		switch {
		case strings.HasSuffix(r.URL.Path, "/chat/completions"):
			if c, err := ParseChatRequest(body); err == nil {
				rec.Chat = &c
			}
		case strings.HasSuffix(r.URL.Path, "/embeddings"):
			if e, err := ParseEmbeddingRequest(body); err == nil {
				rec.Embedding = &e
			}
		}

		h.mu.Lock()
		h.total++
		h.counts[r.URL.Path]++
		h.inFlight++
		if h.inFlight > h.maxInFlight {
			h.maxInFlight = h.inFlight
		}
		if h.logLimit >= 0 {
			h.log = append(h.log, rec)
			if h.logLimit > 0 && len(h.log) > h.logLimit {
				h.log = append(h.log[:0:0], h.log[len(h.log)-h.logLimit:]...)
			}
		}
		var scripted *Reply
		if q := h.queues[r.URL.Path]; len(q) > 0 {
			scripted = &q[0]
			h.queues[r.URL.Path] = q[1:]
		}
		var random *Reply
		if scripted == nil && h.rates != nil && r.Method != http.MethodGet {
			if rep, ok := h.rates.pick(h.rng.Float64()); ok {
				random = &rep
			}
		}
		h.mu.Unlock()
		defer func() {
			h.mu.Lock()
			h.inFlight--
			h.mu.Unlock()
		}()

		if h.auth && !h.authorized(r) {
			writeError(w, 401, "", 0)
			return
		}
		if r.Method != http.MethodGet && !h.sleep(r.Context(), h.latency) {
			return
		}
		for _, rep := range []*Reply{scripted, random} {
			if rep == nil {
				continue
			}
			if !h.sleep(r.Context(), rep.Delay) {
				return
			}
			if h.fail(w, r, *rep) {
				return
			}
			if rep.Text != "" {
				r = r.WithContext(context.WithValue(r.Context(), scriptedKey{}, rep.Text))
			}
		}
		fn(w, r)
	})
}

type scriptedKey struct{}

func (h *Handler) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return false
	}
	return len(h.keys) == 0 || h.keys[tok]
}

// sleep waits d or until the request is done or the server closes; it
// reports whether the full wait elapsed.
func (h *Handler) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-h.closed:
		return false
	}
}

// fail writes rep when it is an error or a fault and reports whether it did.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rep Reply) bool {
	switch rep.Fault {
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-h.closed:
			writeError(w, 503, "llmtest: server closed while hanging", 0)
		}
		return true
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"id": "chatcmpl-malformed", "object": "chat.completion", "choices": [{"message": {"role": "assistant", "content": "trunc`)
		return true
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if rep.Status != 0 && rep.Status != 200 {
		writeError(w, rep.Status, rep.Error, rep.RetryAfter)
		return true
	}
	return false
}

func (h *Handler) chat(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := ParseChatRequest(body)
	if err != nil {
		writeError(w, 400, "We could not parse the JSON body of your request: "+err.Error(), 0)
		return
	}
	switch {
	case req.Model == "":
		writeError(w, 400, "you must provide a model parameter", 0)
		return
	case len(req.Messages) == 0:
		writeError(w, 400, "messages must be a non-empty array", 0)
		return
	case req.Stream:
		writeError(w, 400, "llmtest: stream is not supported", 0)
		return
	case h.strictModels && !h.knownModel(req.Model):
		writeError(w, 404, fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", req.Model), 0)
		return
	}

	var rep Reply
	if text, ok := r.Context().Value(scriptedKey{}).(string); ok {
		rep = Text(text)
	} else {
		rep = h.pickReply(req)
	}
	if !h.sleep(r.Context(), rep.Delay) {
		return
	}
	if h.fail(w, r, rep) {
		return
	}

	usage := Usage{CompletionTokens: EstimateTokens(rep.Text)}
	for _, m := range req.Messages {
		usage.PromptTokens += EstimateTokens(m.Content)
	}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	if rep.Usage != nil {
		usage = *rep.Usage
	}
	h.mu.Lock()
	h.seq++
	id := h.seq
	h.mu.Unlock()
	writeJSON(w, 200, map[string]any{
		"id":                 fmt.Sprintf("chatcmpl-llmtest-%d", id),
		"object":             "chat.completion",
		"created":            time.Now().Unix(),
		"model":              req.Model,
		"system_fingerprint": "llmtest",
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": rep.Text},
			"finish_reason": "stop",
			"logprobs":      nil,
		}},
		"usage": usage,
	})
}

// pickReply finds the rule for req and takes its next reply.
func (h *Handler) pickReply(req ChatRequest) Reply {
	h.mu.Lock()
	rules := append([]*Rule(nil), h.rules...)
	h.mu.Unlock()
	rule := h.def
	for _, ru := range rules {
		if ru.match == nil || ru.match(req) {
			rule = ru
			break
		}
	}
	if rule == nil {
		return Text("echo: " + req.LastUser())
	}
	if rule.fn != nil {
		h.mu.Lock()
		rule.calls++
		h.mu.Unlock()
		return rule.fn(req)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	i := min(rule.calls, len(rule.replies)-1)
	rule.calls++
	return rule.replies[i]
}

func (h *Handler) knownModel(m string) bool {
	for _, n := range h.models {
		if n == m {
			return true
		}
	}
	return false
}

func (h *Handler) embeddings(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := ParseEmbeddingRequest(body)
	switch {
	case err != nil:
		writeError(w, 400, "We could not parse the JSON body of your request: "+err.Error(), 0)
		return
	case req.Model == "":
		writeError(w, 400, "you must provide a model parameter", 0)
		return
	case len(req.Input) == 0:
		writeError(w, 400, "input must be a non-empty string or array of strings", 0)
		return
	case req.EncodingFormat != "" && req.EncodingFormat != "float":
		writeError(w, 400, "llmtest: only encoding_format float is supported", 0)
		return
	case req.Dimensions < 0:
		writeError(w, 400, "dimensions must be positive", 0)
		return
	}
	dim := h.dim
	if req.Dimensions > 0 {
		dim = req.Dimensions
	}
	data := make([]map[string]any, len(req.Input))
	tokens := 0
	for i, in := range req.Input {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": Embed(in, dim)}
		tokens += EstimateTokens(in)
	}
	writeJSON(w, 200, map[string]any{
		"object": "list",
		"data":   data,
		"model":  req.Model,
		"usage":  map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

func (h *Handler) listModels(w http.ResponseWriter, _ *http.Request) {
	data := make([]map[string]any, len(h.models))
	for i, m := range h.models {
		data[i] = map[string]any{"id": m, "object": "model", "created": 0, "owned_by": "llmtest"}
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": data})
}
