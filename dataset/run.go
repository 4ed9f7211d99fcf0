package dataset

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Files of a run directory.
const (
	// ResultsFile holds one [Result] per line, appended as items finish.
	ResultsFile = "results.jsonl"
	// SummaryFile holds the run's [Summary].
	SummaryFile = "summary.json"
	// ManifestFile holds the run's [Manifest]: what --resume needs.
	ManifestFile = "manifest.json"
	// LatestName is the link, beside the runs, to the newest run.
	LatestName = "latest"
)

// RunDir is one run's directory, runs/<id>/.
type RunDir struct {
	// ID is the directory's name, such as "20261204-202339-base".
	ID string
	// Path is the directory's path.
	Path string
}

// File returns the path of the file name in the run directory.
func (d RunDir) File(name string) string { return filepath.Join(d.Path, name) }

// CreateRun makes a new run directory under root (created if needed), named
// after now in UTC and the model ("20261204-202339-base"), and points
// root/latest at it. Runs that start in the same second get "-2", "-3"...:
// the directory is made with os.Mkdir, so two processes never share one.
func CreateRun(root, model string, now time.Time) (RunDir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return RunDir{}, fmt.Errorf("create run: %w", err)
	}
	base := now.UTC().Format("20060102-150405") + "-" + sanitizeName(model)
	for n := 1; n <= 10000; n++ {
		id := base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		dir := filepath.Join(root, id)
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return RunDir{}, fmt.Errorf("create run: %w", err)
		}
		d := RunDir{ID: id, Path: dir}
		if err := SetLatest(root, id); err != nil {
			return d, err
		}
		return d, nil
	}
	return RunDir{}, fmt.Errorf("create run: too many runs named %s in %s", base, root)
}

// sanitizeName keeps a model name readable in a directory name: letters,
// digits, '.', '_' and '-'; anything else becomes '-'.
func sanitizeName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-.")
	if len(out) > 48 {
		out = strings.TrimRight(out[:48], "-.")
	}
	if out == "" {
		return "run"
	}
	return out
}

// SetLatest points root/latest at the newest run in root: id, unless a
// run directory with a later id (ids sort by start time) exists. The link
// is replaced atomically: a new symbolic link is made under a temporary name
// and renamed over the old one. Runs that set it at the same moment, even
// from several processes, leave it at the newest: each checks the link after
// replacing it and fixes it if a newer run appeared meanwhile. Where symbolic
// links cannot be made, latest is a small file holding the id, which
// [ResolveRun] understands too.
func SetLatest(root, id string) error {
	for range 100 {
		want := newestRun(root, id)
		if err := replaceLatest(root, want); err != nil {
			return err
		}
		if cur, err := latestTarget(root); err == nil && cur == newestRun(root, id) {
			return syncDir(root)
		}
	}
	return fmt.Errorf("update %s: other runs keep changing it", filepath.Join(root, LatestName))
}

// runIDRE matches run ids as CreateRun makes them.
var runIDRE = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-`)

// newestRun returns the greatest of id and the run ids in root.
func newestRun(root, id string) string {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() && runIDRE.MatchString(e.Name()) && e.Name() > id {
			id = e.Name()
		}
	}
	return id
}

func replaceLatest(root, id string) error {
	latest := filepath.Join(root, LatestName)
	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("update %s: %w", latest, err)
	}
	tmp := filepath.Join(root, ".latest-"+hex.EncodeToString(suffix[:]))
	if err := os.Symlink(id, tmp); err != nil {
		if werr := WriteFileAtomic(latest, []byte(id+"\n"), 0o644); werr != nil {
			return fmt.Errorf("update %s: %w", latest, errors.Join(err, werr))
		}
		return nil
	}
	if err := os.Rename(tmp, latest); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("update %s: %w", latest, err)
	}
	return nil
}

// latestTarget returns the run id that root/latest names.
func latestTarget(root string) (string, error) {
	latest := filepath.Join(root, LatestName)
	if t, err := os.Readlink(latest); err == nil {
		return filepath.Base(t), nil
	}
	b, err := os.ReadFile(latest)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// ResolveRun finds a run directory from ref: a path to a run directory, a
// path to a latest link ("runs/latest"), or a run id or "latest" looked up
// in root (the configured runs folder; may be empty). Links are resolved, so
// the returned ID is the run's real id.
func ResolveRun(root, ref string) (RunDir, error) {
	if ref == "" {
		return RunDir{}, errors.New("no run given")
	}
	try := func(p string) (RunDir, bool, error) {
		st, err := os.Lstat(p)
		if err != nil {
			return RunDir{}, false, nil
		}
		if st.Mode().IsRegular() && filepath.Base(p) == LatestName {
			id, err := latestTarget(filepath.Dir(p))
			if err != nil {
				return RunDir{}, true, fmt.Errorf("run %s: %w", ref, err)
			}
			p = filepath.Join(filepath.Dir(p), id)
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return RunDir{}, true, fmt.Errorf("run %s: %w", ref, err)
		}
		if st, err := os.Stat(real); err != nil || !st.IsDir() {
			return RunDir{}, true, fmt.Errorf("run %s: %s is not a directory", ref, real)
		}
		if !isRunDir(real) {
			return RunDir{}, true, fmt.Errorf("run %s: %s is not a run directory (it has no %s, %s or %s)", ref, real, ResultsFile, SummaryFile, ManifestFile)
		}
		return RunDir{ID: filepath.Base(real), Path: real}, true, nil
	}
	if d, found, err := try(ref); found {
		return d, err
	}
	if root != "" && !strings.ContainsAny(ref, `/\`) {
		if d, found, err := try(filepath.Join(root, ref)); found {
			return d, err
		}
	}
	msg := fmt.Sprintf("run %q not found", ref)
	if root != "" {
		if ids := ListRuns(root); len(ids) > 0 {
			if len(ids) > 5 {
				ids = ids[len(ids)-5:]
			}
			msg += fmt.Sprintf(" (newest runs in %s: %s)", root, strings.Join(ids, ", "))
		} else {
			msg += fmt.Sprintf(" (no runs in %s yet)", root)
		}
	}
	return RunDir{}, errors.New(msg)
}

func isRunDir(dir string) bool {
	for _, f := range []string{ResultsFile, SummaryFile, ManifestFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// ListRuns returns the ids of the run directories in root, oldest first.
func ListRuns(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == LatestName || strings.HasPrefix(name, ".") {
			continue
		}
		if isRunDir(filepath.Join(root, name)) {
			ids = append(ids, name)
		}
	}
	sort.Strings(ids)
	return ids
}

// OpenResults opens the run's results.jsonl for appending (see [OpenJSONL]).
func (d RunDir) OpenResults() (*JSONLWriter, error) { return OpenJSONL(d.File(ResultsFile)) }

// WriteSummary writes summary.json atomically.
func (d RunDir) WriteSummary(s *Summary) error { return WriteJSONAtomic(d.File(SummaryFile), s) }

// WriteManifest writes manifest.json atomically, with every value whose key
// looks like a secret (api_key, token, password, authorization, ...) replaced
// by "[redacted]". Keys ending in "_env", which name environment variables,
// are kept.
func (d RunDir) WriteManifest(m *Manifest) error {
	path := d.File(ManifestFile)
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteJSONAtomic(path, Redact(tree))
}

// Redacted replaces secret values in manifests.
const Redacted = "[redacted]"

// Redact returns v (a tree of maps and lists, as decoded from JSON or YAML)
// with the value of every key that looks like a secret replaced by
// [Redacted]. It copies what it changes and leaves v alone.
func Redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if SecretKey(k) && e != nil && e != "" {
				out[k] = Redacted
				continue
			}
			out[k] = Redact(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Redact(e)
		}
		return out
	}
	return v
}

// SecretKey reports whether a config key names a secret value: api_key,
// token, secret, password, authorization, credentials and the like, or any
// key ending in _key, _token, _secret or _password. Keys ending in _env
// (which name an environment variable) are not secrets.
func SecretKey(k string) bool {
	k = strings.ToLower(strings.TrimSpace(k))
	k = strings.ReplaceAll(k, "-", "_")
	if strings.HasSuffix(k, "_env") {
		return false
	}
	switch k {
	case "key", "apikey", "api_key", "token", "secret", "password", "passwd", "auth",
		"authorization", "bearer", "credential", "credentials", "cookie", "x_api_key":
		return true
	}
	for _, s := range []string{"_key", "_token", "_secret", "_password", "apikey"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// Shard says which part of a split run a run directory holds: items whose
// place falls to Index out of Count (0 <= Index < Count).
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Manifest records what a run was started with: enough for --resume to
// finish it with the same settings, and for a report to say what ran. It
// never holds secrets ([RunDir.WriteManifest] redacts them).
type Manifest struct {
	// Version is the manifest format's version, [ManifestVersion].
	Version int `json:"version"`
	// Run is the run's id.
	Run string `json:"run"`
	// Kind is "eval" or "generate".
	Kind string `json:"kind,omitempty"`
	// Model is the model's name in the config.
	Model string `json:"model"`
	// ModelConfig is the model's config entry (provider, model, parameters).
	ModelConfig map[string]any `json:"model_config,omitempty"`
	// Judge is the judge model's name, if any.
	Judge string `json:"judge,omitempty"`
	// Dataset is the eval set's path as the config named it.
	Dataset string `json:"dataset"`
	// DatasetHash is [EvalSet.Hash] of the eval set when the run started.
	DatasetHash string `json:"dataset_hash"`
	// ItemIDs are the ids of the items the run grades, in order.
	ItemIDs []string `json:"item_ids"`
	// Validators is the validators' config as the run used it.
	Validators any `json:"validators,omitempty"`
	// Policy is the label policy's config.
	Policy any `json:"policy,omitempty"`
	// Settings holds other options that change results (retrieval k, ...).
	Settings map[string]any `json:"settings,omitempty"`
	// Shard is set when the run is one part of a split run.
	Shard *Shard `json:"shard,omitempty"`
	// Started is when the run began.
	Started time.Time `json:"started"`
	// Synth is the version of synth that made the run.
	Synth string `json:"synth,omitempty"`
}

// ManifestVersion is the current [Manifest.Version].
const ManifestVersion = 1

// Run is a run directory's content, as [LoadRun] reads it.
type Run struct {
	RunDir
	// Manifest is nil when the run has no manifest.json.
	Manifest *Manifest
	// Summary is nil when the run has no summary.json (it was interrupted).
	Summary *Summary
	// Results are the graded items, one per id (the last line of an id wins),
	// in eval-set order (the manifest's item order; results.jsonl is in the
	// order items finished), then any ids the manifest lacks in file order.
	Results []Result
	// Torn is the incomplete last line of results.jsonl that was left out, if any.
	Torn *TornLine
	// Duplicates counts result lines left out because a later line has the same id.
	Duplicates int
}

// LoadRun reads the run directory dir (a path; links such as runs/latest are
// followed): its manifest, summary and results. A torn last line of
// results.jsonl is left out and reported in Run.Torn; the file itself is not
// changed. Missing files are not errors, but dir must be a run directory.
func LoadRun(dir string) (*Run, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("load run: %w", err)
	}
	if !isRunDir(real) {
		return nil, fmt.Errorf("load run: %s is not a run directory (it has no %s, %s or %s)", dir, ResultsFile, SummaryFile, ManifestFile)
	}
	r := &Run{RunDir: RunDir{ID: filepath.Base(real), Path: real}}
	var m Manifest
	switch err := readJSONFile(r.File(ManifestFile), &m); {
	case err == nil:
		r.Manifest = &m
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	var s Summary
	switch err := readJSONFile(r.File(SummaryFile), &s); {
	case err == nil:
		r.Summary = &s
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	results, torn, err := ReadJSONL[Result](r.File(ResultsFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	r.Results, r.Duplicates = DedupeResults(results)
	if r.Manifest != nil {
		r.Results = inItemOrder(r.Results, r.Manifest.ItemIDs)
	}
	r.Torn = torn
	return r, nil
}

// inItemOrder sorts results (one per id) into the order of ids; results whose
// id is not in ids follow in their original order.
func inItemOrder(results []Result, ids []string) []Result {
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := make([]Result, 0, len(results))
	byPos := make([]*Result, len(ids))
	var rest []Result
	for i := range results {
		if p, ok := pos[results[i].ID]; ok {
			byPos[p] = &results[i]
		} else {
			rest = append(rest, results[i])
		}
	}
	for _, r := range byPos {
		if r != nil {
			out = append(out, *r)
		}
	}
	return append(out, rest...)
}

// readJSONFile decodes the JSON file at path into v; bad JSON is an
// [*InputError] naming path:line.
func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(trimBOM(data), v); err != nil {
		line := 0
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = (&lineCounter{data: data, line: 1}).at(int(se.Offset))
		}
		return &InputError{File: path, Line: line, Msg: describeJSONError(err), Err: err}
	}
	return nil
}
