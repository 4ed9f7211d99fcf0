package pipelines

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// TunedRegistryFile is the registry of tuned models, in the project's
// `.synth/` folder. `synth tune` writes it; the config loader merges its
// models into `models:` ([MergeTunedModels]).
const TunedRegistryFile = "models.json"

// TunedModelsDir is the folder, in `.synth/`, of the memory files of tuned
// builtin models.
const TunedModelsDir = "models"

// tunedRegistryVersion is the registry's format version.
const tunedRegistryVersion = 1

// Registration states of a tuned model. A remote job's own status
// (validating_files, queued, running) is kept in [TunedJob.Status] while the
// registration is pending.
const (
	// TunedReady: the model can be evaluated.
	TunedReady = "ready"
	// TunedPending: a fine-tuning job is still running; `synth tune status`
	// completes the registration.
	TunedPending = "pending"
	// TunedFailed: the job failed or was cancelled; the name can be reused.
	TunedFailed = "failed"
)

// TunedModel is one registered tuned model. It holds no secret: a tuned
// model inherits its base model's current config (base_url, api_key_env,
// headers, sampling parameters, threshold, ...) and overrides only what
// tuning changed, in Params.
type TunedModel struct {
	// Name is the model's name (lower case), as `--model NAME` takes it.
	Name string `json:"name"`
	// Base is the name of the model it was tuned from.
	Base string `json:"base"`
	// Provider is the base's provider (builtin or openai).
	Provider string `json:"provider"`
	// State is ready, pending or failed.
	State string `json:"state"`
	// Created and Updated are when it was registered and last changed.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Params override the base's config entry: memory (builtin) or model
	// (openai). Relative paths are relative to the project folder.
	Params map[string]any `json:"params,omitempty"`
	// Data describes the training data.
	Data TunedData `json:"data"`
	// Job is the remote fine-tuning job (openai).
	Job *TunedJob `json:"job,omitempty"`
	// MemoryPairs counts the Q&A pairs in a builtin model's memory: the
	// training pairs plus those of a tuned base, a later pair for the same
	// question replacing an earlier one.
	MemoryPairs int `json:"memory_pairs,omitempty"`
}

// TunedData describes the data a model was tuned on.
type TunedData struct {
	// Path is the training file as given, relative to the project folder
	// when it is inside it.
	Path string `json:"path"`
	// SHA256 is the hex digest of the training file.
	SHA256 string `json:"sha256"`
	// Examples counts the training examples (Q&A pairs or chats).
	Examples int `json:"examples"`
	// Validation is the validation file, if any.
	Validation string `json:"validation,omitempty"`
	// ValidationExamples counts its examples.
	ValidationExamples int `json:"validation_examples,omitempty"`
}

// TunedJob is a remote fine-tuning job.
type TunedJob struct {
	ID             string `json:"id"`
	BaseModel      string `json:"base_model"`
	BaseURL        string `json:"base_url"`
	TrainingFile   string `json:"training_file"`
	ValidationFile string `json:"validation_file,omitempty"`
	Suffix         string `json:"suffix,omitempty"`
	Epochs         int    `json:"epochs,omitempty"`
	// Status is the job's last known status (validating_files, queued,
	// running, succeeded, failed, cancelled).
	Status         string `json:"status"`
	FineTunedModel string `json:"fine_tuned_model,omitempty"`
	TrainedTokens  int64  `json:"trained_tokens,omitempty"`
	// Error is a failed job's error: "code: message".
	Error string `json:"error,omitempty"`
}

// TunedRegistry is the content of `.synth/models.json`.
type TunedRegistry struct {
	Version int                    `json:"version"`
	Models  map[string]*TunedModel `json:"models"`
}

// Names returns the registered names, sorted.
func (r *TunedRegistry) Names() []string {
	names := make([]string, 0, len(r.Models))
	for n := range r.Models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Active reports whether cfg's model of m's name is m: ready, and not
// replaced by a model of the same name in the config file.
func (m *TunedModel) Active(cfg *Config) bool {
	e, ok := cfg.Models[m.Name]
	if !ok || m.State != TunedReady {
		return false
	}
	for k, v := range m.Params {
		if fmt.Sprint(e.Params[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

// TunedRegistryPath is the registry file of the project in dir.
func TunedRegistryPath(dir string) string {
	return filepath.Join(dir, ".synth", TunedRegistryFile)
}

var tunedName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// CheckTunedName reports whether name can name a tuned model: 1 to 64
// lower-case letters, digits, '_', '.' or '-', starting with a letter or
// digit (it names a file under `.synth/models/`).
func CheckTunedName(name string) error {
	if !tunedName.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("invalid model name %q: use 1 to 64 lower-case letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	return nil
}

// LoadTunedRegistry reads the registry of the project in dir; a missing
// file is an empty registry. A damaged file is an error naming it.
func LoadTunedRegistry(dir string) (*TunedRegistry, error) {
	path := TunedRegistryPath(dir)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &TunedRegistry{Version: tunedRegistryVersion, Models: map[string]*TunedModel{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tuned models: %w", err)
	}
	var r TunedRegistry
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &dataset.InputError{File: path, Msg: fmt.Sprintf("not a tuned-model registry (%v): fix it or delete it and run synth tune again", err)}
	}
	if r.Version != tunedRegistryVersion {
		return nil, &dataset.InputError{File: path, Msg: fmt.Sprintf("registry version %d: this synth reads version %d", r.Version, tunedRegistryVersion)}
	}
	if r.Models == nil {
		r.Models = map[string]*TunedModel{}
	}
	for name, m := range r.Models {
		if m == nil || m.Name != name || CheckTunedName(name) != nil || m.Base == "" {
			return nil, &dataset.InputError{File: path, Msg: fmt.Sprintf("entry %q is damaged (name, base): fix it or remove it with synth tune rm", name)}
		}
	}
	return &r, nil
}

// lockWait bounds how long [UpdateTunedRegistry] waits for another synth
// process to finish its update; a lock older than lockStale is abandoned
// (its process died) and broken.
const (
	lockWait  = 30 * time.Second
	lockStale = 2 * time.Minute
)

// UpdateTunedRegistry changes the registry of the project in dir: it takes
// a lock file (so concurrent `synth tune` processes do not lose each
// other's updates), reads the registry, calls fn, and writes the result
// atomically. Nothing is written when fn returns an error.
func UpdateTunedRegistry(dir string, fn func(*TunedRegistry) error) error {
	path := TunedRegistryPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("tuned models: %w", err)
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	r, err := LoadTunedRegistry(dir)
	if err != nil {
		return err
	}
	if err := fn(r); err != nil {
		return err
	}
	r.Version = tunedRegistryVersion
	return dataset.WriteJSONAtomic(path, r)
}

// lockFile creates path exclusively, waiting while another process holds it.
func lockFile(path string) (func(), error) {
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			_ = f.Close()
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("tuned models: lock: %w", err)
		}
		if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > lockStale {
			_ = os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("tuned models: %s is locked by another synth process; if none is running, delete the lock file", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MergeTunedModels adds the ready models of the project's tuned-model
// registry (dir/.synth/models.json) to raw, the config tree before
// [ParseConfig] reads it, so that every command — and eval.model or
// eval.judge — can name them.
//
// A tuned model's entry is its base model's entry as configured now, with
// the tuned parameters (memory or model) replacing the base's. When
// synth.yaml itself defines a model of the same name, the config file wins
// and the registered model is left out; so is one whose base is no longer
// configured. Each such case is returned as a note for the user. Pending
// and failed registrations are not merged.
func MergeTunedModels(raw map[string]any, dir string) (notes []string, err error) {
	reg, err := LoadTunedRegistry(dir)
	if err != nil {
		return nil, err
	}
	if len(reg.Models) == 0 {
		return nil, nil
	}
	models, _ := raw[keyModels].(map[string]any)
	if models == nil {
		models = map[string]any{}
	}
	configured := map[string]bool{}
	for k := range models {
		configured[strings.ToLower(k)] = true
	}
	lower := map[string]any{}
	for k, v := range models {
		lower[strings.ToLower(k)] = v
	}
	todo := []*TunedModel{}
	for _, name := range reg.Names() {
		m := reg.Models[name]
		switch {
		case m.State != TunedReady:
			continue
		case configured[name]:
			notes = append(notes, fmt.Sprintf("model %s is registered by synth tune (%s) but synth.yaml also defines models.%s: synth.yaml wins; rename one, or remove the registration with `synth tune rm %s`", name, TunedRegistryPath(dir), name, name))
			continue
		}
		todo = append(todo, m)
	}
	// Bases may themselves be tuned models: add in dependency order.
	added := map[string]bool{}
	for progress := true; progress && len(todo) > 0; {
		progress = false
		rest := todo[:0]
		for _, m := range todo {
			base, ok := lower[m.Base]
			if !ok {
				rest = append(rest, m)
				continue
			}
			entry, ok := base.(map[string]any)
			if !ok {
				notes = append(notes, fmt.Sprintf("model %s (tuned from %s) is left out: models.%s is not a mapping", m.Name, m.Base, m.Base))
				continue
			}
			merged := maps.Clone(entry)
			for k, v := range m.Params {
				merged[k] = v
			}
			lower[m.Name] = merged
			models[m.Name] = merged
			added[m.Name] = true
			progress = true
		}
		todo = rest
	}
	for _, m := range todo {
		notes = append(notes, fmt.Sprintf("model %s (tuned from %s) is left out: synth.yaml has no model %s any more", m.Name, m.Base, m.Base))
	}
	if len(added) > 0 {
		raw[keyModels] = models
	}
	return notes, nil
}
