package pipelines

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/spec"
	"github.com/synth-dev/synth/validators"
)

// MinFineTuneExamples is the fewest training examples OpenAI's fine-tuning
// API accepts; synth checks it before uploading anything.
const MinFineTuneExamples = 10

// TrainingData is a training file read for tuning.
type TrainingData struct {
	// Path is the file.
	Path string
	// SHA256 is the hex digest of its content.
	SHA256 string
	// Pairs are its question–answer pairs, in file order (Line set).
	Pairs []llm.MemoryPair
	// Chats are the lines already in OpenAI's chat fine-tuning format
	// ({"messages": [...]}), by line number, kept as written.
	Chats map[int]json.RawMessage
}

// ReadTrainingData reads a training file in any of the formats `synth
// generate` writes or exports: synth's native records (rejected ones are
// skipped), OpenAI chat ({"messages"}), Alpaca, ShareGPT, Lamini
// ({"input", "output"}), DPO ({"prompt", "chosen"}) or plain
// {"question", "answer"} lines (see [llm.ParseMemory]). Errors name
// file:line. A file with no pair is an error.
func ReadTrainingData(path string) (*TrainingData, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &dataset.InputError{File: path, Msg: err.Error(), Err: err}
	}
	return ParseTrainingData(path, data)
}

// ParseTrainingData is [ReadTrainingData] for data read from the file name.
func ParseTrainingData(name string, data []byte) (*TrainingData, error) {
	pairs, err := llm.ParseMemory(name, bytes.NewReader(data))
	if err != nil {
		var me *llm.MemoryError
		if errors.As(err, &me) {
			return nil, &dataset.InputError{File: me.File, Line: me.Line, Msg: me.Msg, Err: err}
		}
		return nil, &dataset.InputError{File: name, Msg: err.Error(), Err: err}
	}
	if len(pairs) == 0 {
		return nil, &dataset.InputError{File: name, Msg: "no training examples (question–answer pairs) in the file"}
	}
	sum := sha256.Sum256(data)
	td := &TrainingData{Path: name, SHA256: hex.EncodeToString(sum[:]), Pairs: pairs, Chats: map[int]json.RawMessage{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		var probe struct {
			Messages json.RawMessage `json:"messages"`
		}
		if json.Unmarshal(b, &probe) == nil && len(probe.Messages) > 0 && probe.Messages[0] == '[' {
			td.Chats[line] = append(json.RawMessage(nil), b...)
		}
	}
	return td, nil
}

// Examples counts the training examples: chat lines count once, other
// lines once per pair.
func (td *TrainingData) Examples() int {
	n := len(td.Chats)
	for _, p := range td.Pairs {
		if _, ok := td.Chats[p.Line]; !ok {
			n++
		}
	}
	return n
}

// ChatJSONL returns the data in OpenAI's chat fine-tuning format: chat
// lines as written, every other pair as [system (when not empty), user,
// assistant].
func (td *TrainingData) ChatJSONL(system string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	done := map[int]bool{}
	for _, p := range td.Pairs {
		if raw, ok := td.Chats[p.Line]; ok {
			if !done[p.Line] {
				buf.Write(raw)
				buf.WriteByte('\n')
				done[p.Line] = true
			}
			continue
		}
		msgs := make([]llm.Message, 0, 3)
		if system != "" {
			msgs = append(msgs, llm.Message{Role: llm.System, Content: system})
		}
		msgs = append(msgs, llm.Message{Role: llm.User, Content: p.Question}, llm.Message{Role: llm.Assistant, Content: p.Answer})
		_ = enc.Encode(struct {
			Messages []llm.Message `json:"messages"`
		}{msgs})
	}
	return buf.Bytes()
}

// tunedMemoryLine is one line of a tuned builtin model's memory file.
type tunedMemoryLine struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	// Source is where the pair came from: file:line.
	Source string `json:"source,omitempty"`
}

// TuneOptions say what `synth tune` should do.
type TuneOptions struct {
	// Name is the tuned model's name; Base the model to tune.
	Name, Base string
	// Data is the training file; Validation an optional validation file
	// (remote providers only).
	Data, Validation string
	// Suffix is added to the remote tuned model's name (openai).
	Suffix string
	// Epochs is the number of training epochs (0: the provider chooses).
	Epochs int
	// System is the system prompt put into chat examples built from Q&A
	// pairs; nil means the eval's (eval.system_prompt), so the model is
	// trained with the prompt it is evaluated with. Empty: none.
	System *string
	// Force replaces a registered tuned model of the same name.
	Force bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Client configures the fine-tuning API client (openai bases); tests
	// set LookupEnv and Sleep. LookupEnv defaults to the project's.
	Client llm.FineTuneOptions
}

// TunePlan is a checked tuning request, ready to run. [PrepareTune] finds
// every problem with the request (exit status 2) before anything is
// uploaded; [TunePlan.Run] does the work.
type TunePlan struct {
	// Options are the request.
	Options TuneOptions
	// Provider is the base's provider: builtin or openai.
	Provider string
	// Data and ValidationData are the training and validation files, read.
	Data, ValidationData *TrainingData
	// Warnings are problems worth telling the user that do not stop tuning
	// (eval-set questions in the training data).
	Warnings []string

	proj    *Project
	baseCfg llm.Config
	client  *llm.FineTuneClient
	now     func() time.Time
}

// PrepareTune checks a tuning request: the name (free, or --force), the
// base (a builtin or openai model), the data (readable, in a known format,
// enough examples). Problems are usage errors: nothing has been changed.
func PrepareTune(p *Project, o TuneOptions) (*TunePlan, error) {
	o.Name = strings.ToLower(strings.TrimSpace(o.Name))
	o.Base = strings.ToLower(strings.TrimSpace(o.Base))
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case o.Name == "":
		return nil, errors.New("--name is required: the name to register the tuned model under")
	case o.Base == "":
		return nil, errors.New("--base is required: the model to tune, by its name under models:")
	case o.Data == "":
		return nil, errors.New("--data is required: the training file (JSONL from synth generate, or chat, Alpaca, ShareGPT or Lamini lines)")
	case o.Name == o.Base:
		return nil, fmt.Errorf("--name %s is the base model's name: choose a new name for the tuned model", o.Name)
	case o.Epochs < 0 || o.Epochs > 50:
		return nil, fmt.Errorf("--epochs must be between 1 and 50 (or 0 for the provider's choice), got %d", o.Epochs)
	case len(o.Suffix) > 64:
		return nil, fmt.Errorf("--suffix must be at most 64 characters, got %d", len(o.Suffix))
	}
	if err := CheckTunedName(o.Name); err != nil {
		return nil, err
	}
	reg, err := LoadTunedRegistry(p.Config.Dir)
	if err != nil {
		return nil, err
	}
	if prev, ok := reg.Models[o.Name]; ok {
		if prev.State != TunedFailed && !o.Force {
			return nil, fmt.Errorf("a tuned model named %s is already registered (%s, from %s): choose another --name, or pass --force to replace it", o.Name, prev.State, prev.Base)
		}
	} else if _, ok := p.Config.Models[o.Name]; ok {
		return nil, spec.Errorf(spec.Join(keyModels, o.Name), "is already defined in the config file: choose another --name for the tuned model")
	}
	baseCfg, err := p.ModelConfig(o.Base)
	if err != nil {
		return nil, err
	}
	plan := &TunePlan{Options: o, Provider: baseCfg.Provider, proj: p, baseCfg: baseCfg, now: o.Now}
	switch baseCfg.Provider {
	case llm.ProviderBuiltin:
		if o.Validation != "" || o.Suffix != "" || o.Epochs != 0 {
			return nil, fmt.Errorf("--validation-data, --suffix and --epochs apply to remote fine-tuning; %s is a builtin model, which learns its data as a memory", o.Base)
		}
	case llm.ProviderOpenAI:
		if o.Client.LookupEnv == nil {
			o.Client.LookupEnv = p.opts.LookupEnv
		}
		if plan.client, err = llm.NewFineTuneClient(o.Base, baseCfg, o.Client); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("model %s has provider %s: synth tunes builtin models (offline memory) and openai models (any OpenAI-compatible fine-tuning API)", o.Base, baseCfg.Provider)
	}
	if plan.Data, err = ReadTrainingData(o.Data); err != nil {
		return nil, err
	}
	if o.Validation != "" {
		if plan.ValidationData, err = ReadTrainingData(o.Validation); err != nil {
			return nil, err
		}
	}
	if baseCfg.Provider == llm.ProviderOpenAI {
		if n := plan.Data.Examples(); n < MinFineTuneExamples {
			return nil, &dataset.InputError{File: o.Data, Msg: fmt.Sprintf("%d training examples: OpenAI fine-tuning needs at least %d", n, MinFineTuneExamples)}
		}
	}
	plan.Warnings = plan.leaks()
	return plan, nil
}

// leaks warns about training questions that are eval-set questions: the
// tuned model's score would then measure memory, not learning.
func (pl *TunePlan) leaks() []string {
	path := pl.proj.Config.Eval.Dataset
	if path == "" {
		return nil
	}
	set, err := dataset.ReadEvalSet(path)
	if err != nil {
		return nil
	}
	eval := map[string]string{}
	for _, it := range set.Items {
		eval[validators.Normalize(it.Question)] = it.ID
	}
	var ids []string
	seen := map[string]bool{}
	for _, p := range pl.Data.Pairs {
		if id, ok := eval[validators.Normalize(p.Question)]; ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d training questions are eval-set questions (%s): the tuned model's eval score will be inflated; generate with decontamination, or remove them", len(ids), strings.Join(clipIDs(ids, 8), ", "))}
}

func clipIDs(ids []string, n int) []string {
	if len(ids) <= n {
		return ids
	}
	return append(append([]string(nil), ids[:n]...), fmt.Sprintf("and %d more", len(ids)-n))
}

// projectRel shows path relative to the project folder when inside it.
func projectRel(dir, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(dir, abs); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return abs
}

// TuneWatch says how to follow a remote job.
type TuneWatch struct {
	// NoWait registers the model as pending right after the job is created.
	NoWait bool
	// Interval is the first wait between polls (default 5s); it grows by
	// half each poll up to MaxInterval (default 1m).
	Interval, MaxInterval time.Duration
	// Sleep waits d or until ctx is done (default: a timer). Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnStep is told of each step (uploaded, created, ...), in words.
	OnStep func(msg string)
	// OnJob is told of every poll: the job and the events not seen before,
	// oldest first.
	OnJob func(job llm.FineTuneJob, events []llm.FineTuneEvent)
}

// JobFailedError is a remote fine-tuning job that ended failed or cancelled.
type JobFailedError struct {
	Name, JobID, Status, Code, Message string
}

// Error implements error.
func (e *JobFailedError) Error() string {
	msg := fmt.Sprintf("fine-tuning job %s for %s %s", e.JobID, e.Name, e.Status)
	if e.Code != "" || e.Message != "" {
		msg += ": " + strings.TrimPrefix(e.Code+": "+e.Message, ": ")
	}
	return msg
}

// PendingError reports that ctx ended while a remote job was still
// running: the model is registered as pending and the job goes on.
type PendingError struct {
	Name, JobID, Status string
	Err                 error
}

// Error implements error.
func (e *PendingError) Error() string {
	return fmt.Sprintf("stopped following fine-tuning job %s (%s); it keeps running: check it with `synth tune status %s`", e.JobID, e.Status, e.Name)
}

// Unwrap returns the context's error.
func (e *PendingError) Unwrap() error { return e.Err }

// Run tunes: for a builtin base it writes the memory file and registers the
// model at once; for an openai base it uploads the data, creates the job,
// registers the model as pending and (unless w.NoWait) follows the job
// until it ends. A failed or cancelled job is a [*JobFailedError]; an
// interrupted wait a [*PendingError] (the job keeps running).
func (pl *TunePlan) Run(ctx context.Context, w TuneWatch) (*TunedModel, error) {
	if pl.Provider == llm.ProviderBuiltin {
		return pl.runBuiltin()
	}
	return pl.runRemote(ctx, w)
}

func (pl *TunePlan) newModel() *TunedModel {
	dir := pl.proj.Config.Dir
	now := pl.now().UTC()
	m := &TunedModel{
		Name: pl.Options.Name, Base: pl.Options.Base, Provider: pl.Provider, Created: now, Updated: now,
		Data: TunedData{Path: projectRel(dir, pl.Data.Path), SHA256: pl.Data.SHA256, Examples: pl.Data.Examples()},
	}
	if pl.ValidationData != nil {
		m.Data.Validation = projectRel(dir, pl.ValidationData.Path)
		m.Data.ValidationExamples = pl.ValidationData.Examples()
	}
	return m
}

func (pl *TunePlan) runBuiltin() (*TunedModel, error) {
	dir := pl.proj.Config.Dir
	var pairs []tunedMemoryLine
	// Tuning a model that already has a memory adds to it.
	if pl.baseCfg.Builtin.Memory != "" {
		prev, err := llm.ReadMemory(pl.proj.Config.Resolve(pl.baseCfg.Builtin.Memory))
		if err != nil {
			return nil, fmt.Errorf("base model %s: %w", pl.Options.Base, err)
		}
		for _, p := range prev {
			pairs = append(pairs, tunedMemoryLine{Question: p.Question, Answer: p.Answer, Source: fmt.Sprintf("%s:%d", pl.baseCfg.Builtin.Memory, p.Line)})
		}
	}
	src := projectRel(dir, pl.Data.Path)
	for _, p := range pl.Data.Pairs {
		pairs = append(pairs, tunedMemoryLine{Question: p.Question, Answer: p.Answer, Source: fmt.Sprintf("%s:%d", src, p.Line)})
	}
	// A later pair for the same question replaces an earlier one.
	last := map[string]int{}
	for i, p := range pairs {
		last[validators.Normalize(p.Question)] = i
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	kept := 0
	for i, p := range pairs {
		if last[validators.Normalize(p.Question)] == i {
			_ = enc.Encode(p)
			kept++
		}
	}
	rel := filepath.ToSlash(filepath.Join(".synth", TunedModelsDir, pl.Options.Name+".jsonl"))
	abs := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("tune %s: %w", pl.Options.Name, err)
	}
	if err := dataset.WriteFileAtomic(abs, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("tune %s: %w", pl.Options.Name, err)
	}
	m := pl.newModel()
	m.State = TunedReady
	m.Params = map[string]any{"memory": rel}
	m.MemoryPairs = kept
	err := UpdateTunedRegistry(dir, func(r *TunedRegistry) error {
		if prev, ok := r.Models[m.Name]; ok && prev.State != TunedFailed && !pl.Options.Force {
			return fmt.Errorf("a tuned model named %s was registered meanwhile: choose another --name, or pass --force", m.Name)
		}
		r.Models[m.Name] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (pl *TunePlan) runRemote(ctx context.Context, w TuneWatch) (*TunedModel, error) {
	o := pl.Options
	step := func(format string, args ...any) {
		if w.OnStep != nil {
			w.OnStep(fmt.Sprintf(format, args...))
		}
	}
	client := pl.client
	system := pl.proj.Config.Eval.SystemPrompt
	if o.System != nil {
		system = *o.System
	}
	train, err := client.UploadFile(ctx, o.Name+".train.jsonl", pl.Data.ChatJSONL(system), llm.PurposeFineTune)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", pl.Data.Path, err)
	}
	step("uploaded %s (%d examples) as %s", projectRel(pl.proj.Config.Dir, pl.Data.Path), pl.Data.Examples(), train.ID)
	req := llm.FineTuneJobRequest{Model: pl.baseCfg.Model, TrainingFile: train.ID, Suffix: o.Suffix}
	if pl.ValidationData != nil {
		val, err := client.UploadFile(ctx, o.Name+".validation.jsonl", pl.ValidationData.ChatJSONL(system), llm.PurposeFineTune)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", pl.ValidationData.Path, err)
		}
		step("uploaded %s (%d examples) as %s", projectRel(pl.proj.Config.Dir, pl.ValidationData.Path), pl.ValidationData.Examples(), val.ID)
		req.ValidationFile = val.ID
	}
	if o.Epochs > 0 {
		req.Method = llm.Supervised(o.Epochs)
	}
	job, err := client.CreateJob(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("create the fine-tuning job: %w", err)
	}
	step("created fine-tuning job %s on %s (base model %s)", job.ID, client.BaseURL(), pl.baseCfg.Model)
	m := pl.newModel()
	m.State = TunedPending
	m.Job = &TunedJob{
		ID: job.ID, BaseModel: pl.baseCfg.Model, BaseURL: client.BaseURL(), TrainingFile: train.ID,
		ValidationFile: req.ValidationFile, Suffix: o.Suffix, Epochs: o.Epochs, Status: job.Status,
	}
	if err := UpdateTunedRegistry(pl.proj.Config.Dir, func(r *TunedRegistry) error {
		r.Models[m.Name] = m
		return nil
	}); err != nil {
		return nil, fmt.Errorf("fine-tuning job %s was created but could not be registered: %w", job.ID, err)
	}
	if w.NoWait {
		return m, nil
	}
	return follow(ctx, pl.proj.Config.Dir, client, m, job, w)
}

// follow polls a pending model's job until it ends (or ctx does), updating
// the registry as the job's status changes.
func follow(ctx context.Context, dir string, client *llm.FineTuneClient, m *TunedModel, job llm.FineTuneJob, w TuneWatch) (*TunedModel, error) {
	interval, maxInterval := w.Interval, w.MaxInterval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if maxInterval <= 0 {
		maxInterval = time.Minute
	}
	sleep := w.Sleep
	if sleep == nil {
		sleep = tuneSleep
	}
	seen := map[string]bool{}
	events := true
	for first := true; ; first = false {
		if !first {
			if err := sleep(ctx, interval); err != nil {
				return m, &PendingError{Name: m.Name, JobID: m.Job.ID, Status: m.Job.Status, Err: err}
			}
			interval = min(interval*3/2, maxInterval)
		}
		var err error
		if job, err = client.Job(ctx, m.Job.ID); err != nil {
			if ctx.Err() != nil {
				return m, &PendingError{Name: m.Name, JobID: m.Job.ID, Status: m.Job.Status, Err: ctx.Err()}
			}
			return m, fmt.Errorf("fine-tuning job %s: %w (the job may still be running: `synth tune status %s`)", m.Job.ID, err, m.Name)
		}
		var fresh []llm.FineTuneEvent
		if events {
			evs, err := client.Events(ctx, m.Job.ID, "", 50)
			if err != nil {
				events = false // events are a nicety: some servers lack them
			}
			for _, e := range evs {
				if !seen[e.ID] {
					seen[e.ID] = true
					fresh = append(fresh, e)
				}
			}
		}
		if w.OnJob != nil {
			w.OnJob(job, fresh)
		}
		changed := job.Status != m.Job.Status || job.TrainedTokens != m.Job.TrainedTokens
		if llm.JobDone(job.Status) || changed {
			if err := complete(dir, m, job); err != nil {
				return m, err
			}
		}
		if llm.JobDone(job.Status) {
			if job.Status != llm.JobSucceeded {
				e := &JobFailedError{Name: m.Name, JobID: job.ID, Status: job.Status}
				if job.Error != nil {
					e.Code, e.Message = job.Error.Code, job.Error.Message
				}
				return m, e
			}
			return m, nil
		}
	}
}

// complete records a job's latest state in m and in the registry.
func complete(dir string, m *TunedModel, job llm.FineTuneJob) error {
	m.Job.Status = job.Status
	m.Job.TrainedTokens = job.TrainedTokens
	m.Updated = time.Now().UTC()
	switch job.Status {
	case llm.JobSucceeded:
		if job.FineTunedModel == "" {
			return fmt.Errorf("fine-tuning job %s succeeded but names no fine_tuned_model", job.ID)
		}
		m.State = TunedReady
		m.Job.FineTunedModel = job.FineTunedModel
		m.Params = map[string]any{"model": job.FineTunedModel}
	case llm.JobFailed, llm.JobCancelled:
		m.State = TunedFailed
		if job.Error != nil {
			m.Job.Error = strings.TrimPrefix(job.Error.Code+": "+job.Error.Message, ": ")
		}
	}
	return UpdateTunedRegistry(dir, func(r *TunedRegistry) error {
		if cur, ok := r.Models[m.Name]; ok && cur.Job != nil && cur.Job.ID != m.Job.ID {
			return fmt.Errorf("tuned model %s now belongs to job %s (registered again meanwhile); job %s is %s", m.Name, cur.Job.ID, m.Job.ID, job.Status)
		}
		r.Models[m.Name] = m
		return nil
	})
}

// TunedJobClient returns the fine-tuning client for a registered model's job.
func TunedJobClient(p *Project, m *TunedModel, opts llm.FineTuneOptions) (*llm.FineTuneClient, error) {
	if m.Job == nil {
		return nil, fmt.Errorf("tuned model %s (%s) has no fine-tuning job", m.Name, m.Provider)
	}
	cfg, err := p.ModelConfig(m.Base)
	if err != nil {
		return nil, fmt.Errorf("tuned model %s: its base %s: %w", m.Name, m.Base, err)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = p.opts.LookupEnv
	}
	return llm.NewFineTuneClient(m.Base, cfg, opts)
}

// TuneStatus returns the registered model name, first asking the provider
// about its job when the registration is pending (and following it to the
// end when wait is set). A job found finished completes the registration.
func TuneStatus(ctx context.Context, p *Project, name string, wait bool, w TuneWatch, opts llm.FineTuneOptions) (*TunedModel, error) {
	name = strings.ToLower(name)
	reg, err := LoadTunedRegistry(p.Config.Dir)
	if err != nil {
		return nil, err
	}
	m, ok := reg.Models[name]
	if !ok {
		return nil, fmt.Errorf("no tuned model named %s (registered: %s)", name, namesOrNone(reg.Names()))
	}
	if m.State != TunedPending {
		return m, nil
	}
	client, err := TunedJobClient(p, m, opts)
	if err != nil {
		return nil, err
	}
	if wait {
		return follow(ctx, p.Config.Dir, client, m, llm.FineTuneJob{}, w)
	}
	job, err := client.Job(ctx, m.Job.ID)
	if err != nil {
		return m, fmt.Errorf("fine-tuning job %s: %w", m.Job.ID, err)
	}
	if w.OnJob != nil {
		w.OnJob(job, nil)
	}
	if err := complete(p.Config.Dir, m, job); err != nil {
		return m, err
	}
	if llm.JobDone(job.Status) && job.Status != llm.JobSucceeded {
		e := &JobFailedError{Name: m.Name, JobID: job.ID, Status: job.Status}
		if job.Error != nil {
			e.Code, e.Message = job.Error.Code, job.Error.Message
		}
		return m, e
	}
	return m, nil
}

// CancelTune cancels a pending model's job and marks the registration failed.
func CancelTune(ctx context.Context, p *Project, name string, opts llm.FineTuneOptions) (*TunedModel, error) {
	name = strings.ToLower(name)
	reg, err := LoadTunedRegistry(p.Config.Dir)
	if err != nil {
		return nil, err
	}
	m, ok := reg.Models[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("no tuned model named %s (registered: %s)", name, namesOrNone(reg.Names()))
	case m.State != TunedPending:
		return nil, fmt.Errorf("tuned model %s is %s: only a pending fine-tuning job can be cancelled", name, m.State)
	}
	client, err := TunedJobClient(p, m, opts)
	if err != nil {
		return nil, err
	}
	job, err := client.Cancel(ctx, m.Job.ID)
	if err != nil {
		return m, fmt.Errorf("cancel fine-tuning job %s: %w", m.Job.ID, err)
	}
	return m, complete(p.Config.Dir, m, job)
}

// RemoveTuned removes a registration, and a tuned builtin model's memory
// file under `.synth/models/`. A remote tuned model stays with its provider.
func RemoveTuned(dir, name string) (*TunedModel, error) {
	name = strings.ToLower(name)
	var removed *TunedModel
	err := UpdateTunedRegistry(dir, func(r *TunedRegistry) error {
		m, ok := r.Models[name]
		if !ok {
			return fmt.Errorf("no tuned model named %s (registered: %s)", name, namesOrNone(r.Names()))
		}
		for _, other := range r.Models {
			if other.Base == name {
				return fmt.Errorf("tuned model %s is the base of %s: remove that first", name, other.Name)
			}
		}
		delete(r.Models, name)
		removed = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	if mem, ok := removed.Params["memory"].(string); ok {
		want := filepath.ToSlash(filepath.Join(".synth", TunedModelsDir, name+".jsonl"))
		if filepath.ToSlash(mem) == want {
			if err := os.Remove(filepath.Join(dir, mem)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, fmt.Errorf("remove %s: %w", mem, err)
			}
		}
	}
	return removed, nil
}

func namesOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// tuneSleep waits d or until ctx is done.
func tuneSleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
