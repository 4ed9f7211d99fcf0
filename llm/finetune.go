package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Fine-tuning job statuses, as OpenAI's API reports them.
const (
	JobValidatingFiles = "validating_files"
	JobQueued          = "queued"
	JobRunning         = "running"
	JobSucceeded       = "succeeded"
	JobFailed          = "failed"
	JobCancelled       = "cancelled"
)

// JobDone reports whether a fine-tuning job status is final (succeeded,
// failed or cancelled).
func JobDone(status string) bool {
	return status == JobSucceeded || status == JobFailed || status == JobCancelled
}

// PurposeFineTune is the purpose of files uploaded for fine-tuning.
const PurposeFineTune = "fine-tune"

// maxFineTuneResponse caps the response bodies the fine-tuning client reads.
const maxFineTuneResponse = 8 << 20

// File is an uploaded file, as the Files API describes it.
type File struct {
	ID        string `json:"id"`
	Object    string `json:"object,omitempty"`
	Bytes     int64  `json:"bytes"`
	CreatedAt int64  `json:"created_at"`
	Filename  string `json:"filename"`
	Purpose   string `json:"purpose"`
	Status    string `json:"status,omitempty"`
}

// FineTuneJobRequest is the body of a job creation request. Only Model and
// TrainingFile are required.
type FineTuneJobRequest struct {
	// Model is the provider's id of the model to tune (gpt-4o-mini, or a
	// fine-tuned model to tune further).
	Model string `json:"model"`
	// TrainingFile is the id of an uploaded file with purpose fine-tune.
	TrainingFile string `json:"training_file"`
	// ValidationFile is the id of an uploaded validation file ("" for none).
	ValidationFile string `json:"validation_file,omitempty"`
	// Suffix is added to the tuned model's name (up to 64 characters).
	Suffix string `json:"suffix,omitempty"`
	// Seed makes the job reproducible where the provider supports it.
	Seed *int `json:"seed,omitempty"`
	// Method is the tuning method with its hyperparameters; nil leaves
	// everything to the provider (supervised, automatic epochs).
	Method *FineTuneMethod `json:"method,omitempty"`
}

// FineTuneMethod is the method field of a job creation request.
type FineTuneMethod struct {
	// Type is "supervised" (the only method synth uses).
	Type       string              `json:"type"`
	Supervised *FineTuneSupervised `json:"supervised,omitempty"`
}

// FineTuneSupervised holds the supervised method's hyperparameters.
type FineTuneSupervised struct {
	Hyperparameters FineTuneHyperparameters `json:"hyperparameters"`
}

// FineTuneHyperparameters are a job's hyperparameters. Zero values are
// left out, so the provider chooses ("auto").
type FineTuneHyperparameters struct {
	NEpochs int `json:"n_epochs,omitempty"`
}

// Supervised returns the supervised method with epochs epochs (0: the
// provider chooses).
func Supervised(epochs int) *FineTuneMethod {
	return &FineTuneMethod{Type: "supervised", Supervised: &FineTuneSupervised{Hyperparameters: FineTuneHyperparameters{NEpochs: epochs}}}
}

// JobError is a failed job's error object.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

// FineTuneJob is a fine-tuning job, as the API describes it.
type FineTuneJob struct {
	ID             string    `json:"id"`
	Object         string    `json:"object,omitempty"`
	Model          string    `json:"model"`
	Status         string    `json:"status"`
	CreatedAt      int64     `json:"created_at"`
	FinishedAt     int64     `json:"finished_at,omitempty"`
	FineTunedModel string    `json:"fine_tuned_model,omitempty"`
	TrainingFile   string    `json:"training_file"`
	ValidationFile string    `json:"validation_file,omitempty"`
	TrainedTokens  int64     `json:"trained_tokens,omitempty"`
	EstimatedEnd   int64     `json:"estimated_finish,omitempty"`
	Error          *JobError `json:"error,omitempty"`
}

// UnmarshalJSON reads a job, accepting null for every optional field and an
// error object with null fields (OpenAI sends {"code": null, ...} on jobs
// that did not fail).
func (j *FineTuneJob) UnmarshalJSON(b []byte) error {
	var w struct {
		ID             string  `json:"id"`
		Object         string  `json:"object"`
		Model          string  `json:"model"`
		Status         string  `json:"status"`
		CreatedAt      *int64  `json:"created_at"`
		FinishedAt     *int64  `json:"finished_at"`
		FineTunedModel *string `json:"fine_tuned_model"`
		TrainingFile   string  `json:"training_file"`
		ValidationFile *string `json:"validation_file"`
		TrainedTokens  *int64  `json:"trained_tokens"`
		EstimatedEnd   *int64  `json:"estimated_finish"`
		Error          *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
			Param   *string `json:"param"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	deref64 := func(n *int64) int64 {
		if n == nil {
			return 0
		}
		return *n
	}
	*j = FineTuneJob{
		ID: w.ID, Object: w.Object, Model: w.Model, Status: w.Status,
		CreatedAt: deref64(w.CreatedAt), FinishedAt: deref64(w.FinishedAt),
		FineTunedModel: deref(w.FineTunedModel), TrainingFile: w.TrainingFile,
		ValidationFile: deref(w.ValidationFile), TrainedTokens: deref64(w.TrainedTokens),
		EstimatedEnd: deref64(w.EstimatedEnd),
	}
	if w.Error != nil && (deref(w.Error.Code) != "" || deref(w.Error.Message) != "") {
		j.Error = &JobError{Code: deref(w.Error.Code), Message: deref(w.Error.Message), Param: deref(w.Error.Param)}
	}
	return nil
}

// FineTuneEvent is one entry of a job's event log.
type FineTuneEvent struct {
	ID        string `json:"id"`
	CreatedAt int64  `json:"created_at"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	Type      string `json:"type,omitempty"`
}

// FineTuneOptions configures a [FineTuneClient].
type FineTuneOptions struct {
	// LookupEnv reads environment variables (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// HTTPClient sends the requests (default: a client of its own that adds
	// the model's configured headers).
	HTTPClient *http.Client
	// Sleep waits between retries (default: a timer). Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a uniform number in [0, 1) for backoff (default math/rand/v2).
	Jitter func() float64
}

// FineTuneClient talks to the Files and fine-tuning endpoints of an
// OpenAI-compatible API (langchaingo has neither). Failed calls are
// classified and retried like chat calls (see [Retry]): 429, 5xx,
// timeouts and dropped connections are retried with exponential backoff
// and full jitter, honouring Retry-After, up to the model's max_retries;
// creating a job is retried only on 429, since a job may have been created
// by a call whose answer was lost. The API key never appears in an error.
// Safe for concurrent use.
type FineTuneClient struct {
	name    string
	cfg     Config
	key     string
	http    *http.Client
	retry   RetryOptions
	timeout time.Duration
}

// NewFineTuneClient returns a client for the API behind model name, whose
// config must be an openai provider: its base_url, api_key_env, headers,
// timeout and max_retries apply.
func NewFineTuneClient(name string, cfg Config, opts FineTuneOptions) (*FineTuneClient, error) {
	if cfg.Provider != ProviderOpenAI {
		return nil, fmt.Errorf("model %s: provider %s has no fine-tuning API that synth can drive; use an openai (OpenAI-compatible) model, or a builtin one", name, cfg.Provider)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultOpenAIBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("model %s: base_url must be an http:// or https:// URL", name)
	}
	cfg.BaseURL = base
	key, err := apiKey(name, cfg, DefaultOpenAIKeyEnv, u, opts.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = newHTTPClient(2, cfg.Headers)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &FineTuneClient{
		name: name, cfg: cfg, key: key, http: hc, timeout: timeout,
		retry: RetryOptions{MaxRetries: cfg.MaxRetries, Sleep: opts.Sleep, Jitter: opts.Jitter},
	}, nil
}

// BaseURL returns the API's base URL.
func (c *FineTuneClient) BaseURL() string { return c.cfg.BaseURL }

// UploadFile uploads data as a file named filename with the given purpose
// (POST /files, multipart).
func (c *FineTuneClient) UploadFile(ctx context.Context, filename string, data []byte, purpose string) (File, error) {
	var f File
	build := func() (io.Reader, string, error) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if err := mw.WriteField("purpose", purpose); err != nil {
			return nil, "", err
		}
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
		h.Set("Content-Type", "application/jsonl")
		part, err := mw.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		if _, err := part.Write(data); err != nil {
			return nil, "", err
		}
		if err := mw.Close(); err != nil {
			return nil, "", err
		}
		return &buf, mw.FormDataContentType(), nil
	}
	err := c.call(ctx, http.MethodPost, "/files", build, &f, true)
	if err == nil && f.ID == "" {
		err = c.apiError(ErrMalformed, 200, 0, "file upload answer has no id")
	}
	return f, err
}

// CreateJob creates a fine-tuning job (POST /fine_tuning/jobs).
func (c *FineTuneClient) CreateJob(ctx context.Context, req FineTuneJobRequest) (FineTuneJob, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return FineTuneJob{}, fmt.Errorf("fine-tuning job request: %w", err)
	}
	var job FineTuneJob
	err = c.call(ctx, http.MethodPost, "/fine_tuning/jobs", jsonBody(body), &job, false)
	if err == nil && job.ID == "" {
		err = c.apiError(ErrMalformed, 200, 0, "job creation answer has no id")
	}
	return job, err
}

// Job returns the job with id (GET /fine_tuning/jobs/{id}).
func (c *FineTuneClient) Job(ctx context.Context, id string) (FineTuneJob, error) {
	var job FineTuneJob
	err := c.call(ctx, http.MethodGet, "/fine_tuning/jobs/"+url.PathEscape(id), nil, &job, true)
	return job, err
}

// Cancel cancels the job with id (POST /fine_tuning/jobs/{id}/cancel).
func (c *FineTuneClient) Cancel(ctx context.Context, id string) (FineTuneJob, error) {
	var job FineTuneJob
	err := c.call(ctx, http.MethodPost, "/fine_tuning/jobs/"+url.PathEscape(id)+"/cancel", jsonBody(nil), &job, true)
	return job, err
}

// Events returns up to limit of the job's events, oldest first: the newest
// ones, or with after set, those older than the event with that id (GET
// /fine_tuning/jobs/{id}/events pages from newest to oldest).
func (c *FineTuneClient) Events(ctx context.Context, id, after string, limit int) ([]FineTuneEvent, error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := "/fine_tuning/jobs/" + url.PathEscape(id) + "/events"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var list struct {
		Data []FineTuneEvent `json:"data"`
	}
	if err := c.call(ctx, http.MethodGet, path, nil, &list, true); err != nil {
		return nil, err
	}
	out := list.Data
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// bodyFunc builds a request body afresh for each attempt.
type bodyFunc func() (body io.Reader, contentType string, err error)

func jsonBody(b []byte) bodyFunc {
	return func() (io.Reader, string, error) {
		if b == nil {
			return http.NoBody, "application/json", nil
		}
		return bytes.NewReader(b), "application/json", nil
	}
}

// call sends one request with retries and decodes a 2xx answer into out.
// With retryAll false only rate limits are retried.
func (c *FineTuneClient) call(ctx context.Context, method, path string, body bodyFunc, out any, retryAll bool) error {
	o := c.retry
	if o.Base <= 0 {
		o.Base = 500 * time.Millisecond
	}
	if o.Max <= 0 {
		o.Max = 30 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, path, body, out)
		if err == nil {
			return nil
		}
		wrap := func(err error) error {
			if attempt == 0 {
				return err
			}
			return &RetryError{Retries: attempt, Err: err}
		}
		retry := Retryable(err)
		if !retryAll {
			retry = errors.Is(err, ErrRateLimit)
		}
		if ctx.Err() != nil || !retry || attempt >= o.MaxRetries {
			return wrap(err)
		}
		wait := backoff(o, attempt)
		if ra := RetryAfter(err); ra > 0 {
			if ra > o.MaxRetryAfter {
				return wrap(fmt.Errorf("provider asked to wait %s, longer than %s: %w", ra, o.MaxRetryAfter, err))
			}
			wait = max(wait, ra)
		}
		if serr := o.Sleep(ctx, wait); serr != nil {
			return wrap(fmt.Errorf("%w while waiting to retry: %w", serr, err))
		}
	}
}

// once sends one attempt.
func (c *FineTuneClient) once(ctx context.Context, method, path string, body bodyFunc, out any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	ctype := ""
	if body != nil {
		var err error
		if rd, ctype, err = body(); err != nil {
			return c.apiError(ErrBadRequest, 0, 0, "build request: "+err.Error())
		}
	}
	req, err := http.NewRequestWithContext(cctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return c.apiError(ErrBadRequest, 0, 0, Redact(err.Error(), c.key))
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			return fmt.Errorf("%s %s: %w", c.cfg.Provider, path, ctx.Err())
		case cctx.Err() != nil:
			e := c.apiError(ErrTimeout, 0, 0, fmt.Sprintf("%s %s: no answer within %s", method, path, c.timeout))
			e.cause = cctx.Err()
			return e
		}
		kind := ErrNetwork
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			kind = ErrTimeout
		}
		return c.apiError(kind, 0, 0, Redact(err.Error(), c.key))
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxFineTuneResponse))
	retryAfter := parseRetryAfter(resp.Header, time.Now())
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(statusKind(resp.StatusCode), resp.StatusCode, retryAfter, fmt.Sprintf("%s %s: %s", method, path, errorMessage(data, c.key)))
	}
	if rerr != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return c.apiError(ErrTimeout, resp.StatusCode, 0, "reading the answer: "+rerr.Error())
		}
		return c.apiError(ErrNetwork, resp.StatusCode, 0, "reading the answer: "+Redact(rerr.Error(), c.key))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return c.apiError(ErrMalformed, resp.StatusCode, 0, fmt.Sprintf("%s %s: answer is not the expected JSON: %v", method, path, err))
	}
	return nil
}

func (c *FineTuneClient) apiError(kind error, status int, retryAfter time.Duration, msg string) *APIError {
	return &APIError{Provider: c.cfg.Provider, Model: c.name, Kind: kind, Status: status, RetryAfter: retryAfter, Message: Redact(msg, c.key)}
}

// statusKind classifies an HTTP error status like the chat providers do.
func statusKind(status int) error {
	switch {
	case status == http.StatusTooManyRequests:
		return ErrRateLimit
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAuth
	case status == http.StatusRequestTimeout:
		return ErrTimeout
	case status >= 500:
		return ErrServer
	}
	return ErrBadRequest
}

// errorMessage extracts the message of an OpenAI-shaped error body, or a
// clipped copy of the body; secrets are removed.
func errorMessage(body []byte, key string) string {
	var e struct {
		Error *struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
			Param   any    `json:"param"`
		} `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil && e.Error != nil && e.Error.Message != "" {
		msg = e.Error.Message
		if p, ok := e.Error.Param.(string); ok && p != "" {
			msg += " (param " + p + ")"
		}
	} else {
		msg = strings.TrimSpace(string(body))
		if r := []rune(msg); len(r) > 300 {
			msg = string(r[:300]) + "…"
		}
		if msg == "" {
			msg = "(empty body)"
		}
	}
	return Redact(msg, key)
}
