package llmtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The file purposes POST /v1/files accepts, as the real API does.
var filePurposes = map[string]bool{"assistants": true, "batch": true, "fine-tune": true, "vision": true, "user_data": true, "evals": true}

// Job statuses.
const (
	StatusValidatingFiles = "validating_files"
	StatusQueued          = "queued"
	StatusRunning         = "running"
	StatusSucceeded       = "succeeded"
	StatusFailed          = "failed"
	StatusCancelled       = "cancelled"
)

// JobScript is the lifecycle a fake fine-tuning job goes through: after
// creation (status validating_files) each step of Steps is taken in turn,
// one per GET of the job (or one per [WithJobSchedule] interval).
type JobScript struct {
	// Steps are the statuses after validating_files, in order; the last is
	// final. Default: queued, running, running, succeeded.
	Steps []string
	// Error is the failed job's error (for a last step of failed).
	Error *JobError
	// TrainedTokens is reported once the job succeeds (default: three
	// epochs of the training file's tokens, as [EstimateTokens] counts them).
	TrainedTokens int
}

// JobError is a failed job's error object.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

// Succeeds is the default lifecycle: queued, running, running, succeeded.
func Succeeds() JobScript {
	return JobScript{Steps: []string{StatusQueued, StatusRunning, StatusRunning, StatusSucceeded}}
}

// Fails is a lifecycle that ends with failed and err after queueing and
// running once.
func Fails(code, message string) JobScript {
	return JobScript{Steps: []string{StatusQueued, StatusRunning, StatusFailed}, Error: &JobError{Code: code, Message: message}}
}

// FineTuneOption configures a [FineTune].
type FineTuneOption func(*FineTune)

// WithJobScript sets the lifecycle of jobs created from now on.
func WithJobScript(s JobScript) FineTuneOption { return func(f *FineTune) { f.script = s } }

// WithJobSchedule makes jobs advance one step every d of the clock now
// returns, instead of one step per poll.
func WithJobSchedule(d time.Duration, now func() time.Time) FineTuneOption {
	return func(f *FineTune) { f.every, f.now = d, now }
}

// FineTune is a fake of OpenAI's Files and fine-tuning API, served by a
// [Handler]:
//
//	POST /v1/files                              multipart upload; purpose and (for fine-tune) JSONL chat lines validated
//	POST /v1/fine_tuning/jobs                   create a job; model, training_file, suffix and method validated
//	GET  /v1/fine_tuning/jobs/{id}              the job, advanced one step of its [JobScript]
//	GET  /v1/fine_tuning/jobs/{id}/events       its events, newest first (after, limit)
//	POST /v1/fine_tuning/jobs/{id}/cancel       cancel a job that has not finished
//
// A succeeded job's fine_tuned_model is "ft:<base>:synth:<id>" (with
// ":<suffix>" before the id when a suffix was given). Safe for concurrent use.
type FineTune struct {
	script JobScript
	every  time.Duration
	now    func() time.Time

	mu     sync.Mutex
	seq    int
	files  map[string]*fakeFile
	jobs   map[string]*fakeJob
	order  []string
	polled map[string]int
}

type fakeFile struct {
	meta    map[string]any
	purpose string
	data    []byte
	lines   int
}

type fakeJob struct {
	id, model, suffix, training, validation string
	script                                  JobScript
	step                                    int // -1: validating_files
	status                                  string
	created                                 time.Time
	finished                                time.Time
	tokens                                  int
	events                                  []map[string]any
	request                                 map[string]json.RawMessage
	epochs                                  any
}

// NewFineTune adds the Files and fine-tuning routes to h and returns their
// state.
func NewFineTune(h *Handler, opts ...FineTuneOption) *FineTune {
	f := &FineTune{script: Succeeds(), now: time.Now, files: map[string]*fakeFile{}, jobs: map[string]*fakeJob{}, polled: map[string]int{}}
	for _, o := range opts {
		o(f)
	}
	h.Route("POST /v1/files", f.upload)
	h.Route("POST /v1/fine_tuning/jobs", f.create)
	h.Route("GET /v1/fine_tuning/jobs/{id}", f.get)
	h.Route("GET /v1/fine_tuning/jobs/{id}/events", f.events)
	h.Route("POST /v1/fine_tuning/jobs/{id}/cancel", f.cancel)
	return f
}

// SetScript sets the lifecycle of jobs created from now on.
func (f *FineTune) SetScript(s JobScript) {
	f.mu.Lock()
	f.script = s
	f.mu.Unlock()
}

// FileData returns the content of the uploaded file with id.
func (f *FineTune) FileData(id string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ff, ok := f.files[id]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), ff.data...), true
}

// Files returns the ids of the uploaded files, oldest first.
func (f *FineTune) Files() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.files))
	for id := range f.files {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return idNum(ids[i]) < idNum(ids[j]) })
	return ids
}

// Jobs returns the ids of the created jobs, oldest first.
func (f *FineTune) Jobs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.order...)
}

// JobRequest returns the creation request of job id, field by field.
func (f *FineTune) JobRequest(id string) (map[string]json.RawMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, false
	}
	return j.request, true
}

// Status returns job id's current status without advancing it.
func (f *FineTune) Status(id string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return "", false
	}
	return j.status, true
}

// Polls returns how many times job id was fetched.
func (f *FineTune) Polls(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polled[id]
}

func idNum(id string) int {
	n, _ := strconv.Atoi(id[strings.LastIndexByte(id, '-')+1:])
	return n
}

func (f *FineTune) upload(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		writeError(w, 400, "llmtest: POST /v1/files needs a multipart/form-data body", 0)
		return
	}
	if err := r.ParseMultipartForm(maxBody); err != nil {
		writeError(w, 400, "could not parse multipart form: "+err.Error(), 0)
		return
	}
	purpose := r.FormValue("purpose")
	if !filePurposes[purpose] {
		writeParamError(w, 400, fmt.Sprintf("'%s' is not one of ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] - 'purpose'", purpose), "purpose", "invalid_value")
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		writeParamError(w, 400, "missing required parameter: 'file'", "file", "missing_required_parameter")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		writeError(w, 400, "llmtest: cannot read the file: "+err.Error(), 0)
		return
	}
	lines := 0
	if purpose == "fine-tune" {
		n, msg := validateChatJSONL(data)
		if msg != "" {
			writeParamError(w, 400, "Invalid file format for Fine-Tuning API. "+msg, "file", "invalid_file_format")
			return
		}
		lines = n
	}
	f.mu.Lock()
	f.seq++
	id := fmt.Sprintf("file-llmtest-%d", f.seq)
	meta := map[string]any{
		"id": id, "object": "file", "bytes": len(data), "created_at": f.now().Unix(),
		"filename": hdr.Filename, "purpose": purpose, "status": "processed", "expires_at": nil, "status_details": nil,
	}
	f.files[id] = &fakeFile{meta: meta, purpose: purpose, data: data, lines: lines}
	f.mu.Unlock()
	writeJSON(w, 200, meta)
}

// validateChatJSONL checks a fine-tuning file in the chat format: every
// non-blank line is a JSON object whose "messages" is a list of
// {"role", "content"} with known roles and at least one assistant message.
// It returns the number of examples, or a message naming the bad line.
func validateChatJSONL(data []byte) (int, string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxBody)
	n := 0
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var ex struct {
			Messages []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(b, &ex); err != nil {
			return 0, fmt.Sprintf("Line %d is not valid JSON: %v", line, err)
		}
		if len(ex.Messages) == 0 {
			return 0, fmt.Sprintf("Line %d has no \"messages\"", line)
		}
		assistant := false
		for i, m := range ex.Messages {
			switch m.Role {
			case "system", "developer", "user", "tool", "function":
			case "assistant":
				assistant = true
			default:
				return 0, fmt.Sprintf("Line %d, message %d: unknown role %q", line, i+1, m.Role)
			}
			var s string
			if m.Role != "assistant" && json.Unmarshal(m.Content, &s) != nil {
				var parts []any
				if json.Unmarshal(m.Content, &parts) != nil {
					return 0, fmt.Sprintf("Line %d, message %d: content must be a string or a list of parts", line, i+1)
				}
			}
		}
		if !assistant {
			return 0, fmt.Sprintf("Line %d has no assistant message", line)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, err.Error()
	}
	if n == 0 {
		return 0, "The file has no examples"
	}
	return n, ""
}

func (f *FineTune) create(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		writeError(w, 400, "We could not parse the JSON body of your request: "+err.Error(), 0)
		return
	}
	var req struct {
		Model          string  `json:"model"`
		TrainingFile   string  `json:"training_file"`
		ValidationFile *string `json:"validation_file"`
		Suffix         *string `json:"suffix"`
		Method         *struct {
			Type       string `json:"type"`
			Supervised *struct {
				Hyperparameters struct {
					NEpochs any `json:"n_epochs"`
				} `json:"hyperparameters"`
			} `json:"supervised"`
		} `json:"method"`
		Hyperparameters *struct {
			NEpochs any `json:"n_epochs"`
		} `json:"hyperparameters"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, 400, "invalid request: "+err.Error(), 0)
		return
	}
	var epochs any
	if req.Method != nil {
		if req.Method.Type != "supervised" && req.Method.Type != "dpo" && req.Method.Type != "reinforcement" {
			writeParamError(w, 400, fmt.Sprintf("invalid method type %q", req.Method.Type), "method.type", "invalid_value")
			return
		}
		if req.Method.Supervised != nil {
			epochs = req.Method.Supervised.Hyperparameters.NEpochs
		}
	}
	if req.Hyperparameters != nil && epochs == nil {
		epochs = req.Hyperparameters.NEpochs
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case req.Model == "":
		writeParamError(w, 400, "Missing required parameter: 'model'.", "model", "missing_required_parameter")
		return
	case req.TrainingFile == "":
		writeParamError(w, 400, "Missing required parameter: 'training_file'.", "training_file", "missing_required_parameter")
		return
	case f.files[req.TrainingFile] == nil:
		writeParamError(w, 400, fmt.Sprintf("invalid training_file: %s", req.TrainingFile), "training_file", "invalid_training_file")
		return
	case f.files[req.TrainingFile].purpose != "fine-tune":
		writeParamError(w, 400, fmt.Sprintf("File %s has purpose %q, not 'fine-tune'", req.TrainingFile, f.files[req.TrainingFile].purpose), "training_file", "invalid_training_file")
		return
	case req.ValidationFile != nil && f.files[*req.ValidationFile] == nil:
		writeParamError(w, 400, fmt.Sprintf("invalid validation_file: %s", *req.ValidationFile), "validation_file", "invalid_validation_file")
		return
	case req.Suffix != nil && (len(*req.Suffix) == 0 || len(*req.Suffix) > 64):
		writeParamError(w, 400, "suffix must be between 1 and 64 characters", "suffix", "invalid_value")
		return
	}
	if epochs != nil {
		ok := false
		switch e := epochs.(type) {
		case string:
			ok = e == "auto"
		case float64:
			ok = e == float64(int(e)) && e >= 1 && e <= 50
		}
		if !ok {
			writeParamError(w, 400, fmt.Sprintf("n_epochs must be 'auto' or an integer from 1 to 50, got %v", epochs), "method.supervised.hyperparameters.n_epochs", "invalid_value")
			return
		}
	}
	f.seq++
	j := &fakeJob{
		id: fmt.Sprintf("ftjob-llmtest-%d", f.seq), model: req.Model, training: req.TrainingFile,
		script: f.script, step: -1, status: StatusValidatingFiles, created: f.now(), request: raw, epochs: epochs,
	}
	if req.Suffix != nil {
		j.suffix = *req.Suffix
	}
	if req.ValidationFile != nil {
		j.validation = *req.ValidationFile
	}
	j.tokens = j.script.TrainedTokens
	if j.tokens == 0 {
		j.tokens = EstimateTokens(string(f.files[req.TrainingFile].data)) * 3
	}
	j.event("info", "Validating training file: "+req.TrainingFile)
	f.jobs[j.id] = j
	f.order = append(f.order, j.id)
	writeJSON(w, 200, j.object())
}

func (j *fakeJob) event(level, msg string) {
	j.events = append(j.events, map[string]any{
		"object": "fine_tuning.job.event", "id": fmt.Sprintf("ftevent-%s-%d", j.id, len(j.events)+1),
		"created_at": time.Now().Unix(), "level": level, "message": msg, "type": "message", "data": map[string]any{},
	})
}

// advance takes the job's next step.
func (j *fakeJob) advance(now time.Time) {
	if j.done() {
		return
	}
	steps := j.script.Steps
	if len(steps) == 0 {
		steps = Succeeds().Steps
	}
	if j.step+1 >= len(steps) {
		return
	}
	j.step++
	prev := j.status
	j.status = steps[j.step]
	switch j.status {
	case StatusQueued:
		if prev != StatusQueued {
			j.event("info", "Files validated, moving job to queued state")
		}
	case StatusRunning:
		if prev != StatusRunning {
			j.event("info", "Fine-tuning job started")
		} else {
			j.event("info", fmt.Sprintf("Step %d: training loss=%.3f", j.step, 1.0/float64(j.step+1)))
		}
	case StatusSucceeded:
		j.finished = now
		j.event("info", "New fine-tuned model created: "+j.fineTuned())
		j.event("info", "The job has successfully completed")
	case StatusFailed:
		j.finished = now
		msg := "The job failed"
		if j.script.Error != nil {
			msg = j.script.Error.Message
		}
		j.event("error", msg)
	case StatusCancelled:
		j.finished = now
		j.event("info", "Fine-tuning job cancelled")
	}
}

func (j *fakeJob) done() bool {
	return j.status == StatusSucceeded || j.status == StatusFailed || j.status == StatusCancelled
}

func (j *fakeJob) fineTuned() string {
	if j.suffix != "" {
		return fmt.Sprintf("ft:%s:synth:%s:%s", j.model, j.suffix, strings.TrimPrefix(j.id, "ftjob-"))
	}
	return fmt.Sprintf("ft:%s:synth:%s", j.model, strings.TrimPrefix(j.id, "ftjob-"))
}

func (j *fakeJob) object() map[string]any {
	epochs := j.epochs
	if epochs == nil {
		epochs = "auto"
	}
	o := map[string]any{
		"object": "fine_tuning.job", "id": j.id, "model": j.model, "created_at": j.created.Unix(),
		"finished_at": nil, "fine_tuned_model": nil, "organization_id": "org-llmtest", "result_files": []string{},
		"status": j.status, "validation_file": nil, "training_file": j.training, "trained_tokens": nil,
		"error": nil, "seed": 42, "estimated_finish": nil, "integrations": []any{}, "metadata": nil,
		"hyperparameters": map[string]any{"n_epochs": epochs, "batch_size": "auto", "learning_rate_multiplier": "auto"},
		"method":          map[string]any{"type": "supervised", "supervised": map[string]any{"hyperparameters": map[string]any{"n_epochs": epochs, "batch_size": "auto", "learning_rate_multiplier": "auto"}}},
	}
	if j.validation != "" {
		o["validation_file"] = j.validation
	}
	if !j.finished.IsZero() {
		o["finished_at"] = j.finished.Unix()
	}
	switch j.status {
	case StatusSucceeded:
		o["fine_tuned_model"] = j.fineTuned()
		o["trained_tokens"] = j.tokens
		o["result_files"] = []string{"file-result-" + j.id}
	case StatusFailed:
		e := j.script.Error
		if e == nil {
			e = &JobError{Code: "internal_error", Message: "The job failed"}
		}
		var param any
		if e.Param != "" {
			param = e.Param
		}
		o["error"] = map[string]any{"code": e.Code, "message": e.Message, "param": param}
	}
	return o
}

// job looks up the job of the request and advances it as the schedule says.
func (f *FineTune) job(w http.ResponseWriter, r *http.Request, poll bool) *fakeJob {
	id := r.PathValue("id")
	j, ok := f.jobs[id]
	if !ok {
		writeParamError(w, 404, fmt.Sprintf("Could not find fine-tune job: %s", id), "fine_tuning_job_id", "fine_tune_not_found")
		return nil
	}
	if f.every > 0 {
		for n := int(f.now().Sub(j.created)/f.every) - (j.step + 1); n > 0 && !j.done(); n-- {
			j.advance(f.now())
		}
	} else if poll {
		j.advance(f.now())
	}
	return j
}

func (f *FineTune) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(w, r, true)
	if j == nil {
		return
	}
	f.polled[j.id]++
	writeJSON(w, 200, j.object())
}

func (f *FineTune) events(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(w, r, false)
	if j == nil {
		return
	}
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeParamError(w, 400, "limit must be an integer from 1 to 100", "limit", "invalid_value")
			return
		}
		limit = n
	}
	// Newest first; "after" is an event id: list the events older than it.
	var list []map[string]any
	after := r.URL.Query().Get("after")
	started := after == ""
	for i := len(j.events) - 1; i >= 0; i-- {
		e := j.events[i]
		if !started {
			started = e["id"] == after
			continue
		}
		list = append(list, e)
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	if list == nil {
		list = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": list, "has_more": more})
}

func (f *FineTune) cancel(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.job(w, r, false)
	if j == nil {
		return
	}
	if j.done() {
		writeParamError(w, 400, fmt.Sprintf("Job %s has already %s", j.id, j.status), "fine_tuning_job_id", "invalid_request")
		return
	}
	j.status = StatusCancelled
	j.finished = f.now()
	j.event("info", "Fine-tuning job cancelled")
	writeJSON(w, 200, j.object())
}

// writeParamError writes an OpenAI-shaped error naming the parameter.
func writeParamError(w http.ResponseWriter, status int, msg, param, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "param": param, "code": code}})
}
