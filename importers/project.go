package importers

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/dataset"
)

// Names of the files an import writes into its output folder.
const (
	EvalSetFile = "evalset.jsonl"
	ConfigFile  = "synth.yaml"
	NotesFile   = "IMPORT-NOTES.md"
	OutputsFile = "outputs.jsonl"
)

// Import is the result of converting another tool's eval files.
type Import struct {
	// Format is the importer: "promptfoo", "openai-evals" or "hf".
	Format string `json:"format"`
	// Source is the imported file, as the caller named it.
	Source string `json:"source"`
	// Items are the eval items, in input order, each with an id.
	Items []dataset.Item `json:"-"`
	// Config is the proposed synth.yaml (promptfoo only; nil otherwise).
	Config *Config `json:"-"`
	// Outputs are recorded model outputs (promptfoo's providerOutput), for
	// the replay model.
	Outputs []Output `json:"-"`
	// Notes list everything that did not carry over exactly.
	Notes []Note `json:"notes"`
}

// Output is one recorded model output: a line of a replay file.
type Output struct {
	ID     string `json:"id"`
	Output string `json:"output"`
}

// Field is one key of a generated config entry; entries keep their order.
type Field struct {
	Key   string
	Value any
}

// ModelEntry is one proposed `models:` entry.
type ModelEntry struct {
	// Name is the entry's key: lower case, without dots (viper reads a dot
	// as nesting).
	Name string
	// Fields are its parameters, provider first.
	Fields []Field
	// From says what it was made from, for a comment.
	From string
}

// ValidatorEntry is one proposed `eval.validators` entry.
type ValidatorEntry struct {
	// Fields are its parameters, type first.
	Fields []Field
	// From says what it was made from, for a comment.
	From string
}

// Type returns the entry's validator kind.
func (v ValidatorEntry) Type() string {
	for _, f := range v.Fields {
		if f.Key == "type" {
			s, _ := f.Value.(string)
			return s
		}
	}
	return ""
}

// Map returns the entry as a config map, as pipelines reads it.
func (v ValidatorEntry) Map() map[string]any {
	m := make(map[string]any, len(v.Fields))
	for _, f := range v.Fields {
		m[f.Key] = f.Value
	}
	return m
}

// Config is the synth.yaml an import proposes.
type Config struct {
	// Models are the model entries, in the order of the source's providers.
	Models []ModelEntry
	// Model is eval.model ("" when no provider could be mapped).
	Model string
	// Judge is eval.judge ("" when none).
	Judge string
	// JudgeHint, when Judge is empty, is a comment saying why one is needed.
	JudgeHint string
	// Dataset is eval.dataset, relative to the config file.
	Dataset string
	// SystemPrompt, when set, is eval.system_prompt (empty: send none).
	SystemPrompt *string
	// Validators are eval.validators; empty means synth's default set.
	Validators []ValidatorEntry
	// Comments are extra lines for the file's header.
	Comments []string
}

// YAML renders the config as a commented synth.yaml. source names the
// imported file in the header.
func (c *Config) YAML(source string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# synth.yaml imported from %s by `synth import`.\n", filepath.Base(source))
	fmt.Fprintf(&b, "# %s lists what did not carry over exactly. Keys: docs/reference/config.md\n", NotesFile)
	for _, c := range c.Comments {
		fmt.Fprintf(&b, "# %s\n", c)
	}
	b.WriteString("version: 1\n")
	if len(c.Models) > 0 {
		b.WriteString("models:\n")
		for _, m := range c.Models {
			if m.From != "" {
				fmt.Fprintf(&b, "  # from %s\n", oneLine(m.From))
			}
			fmt.Fprintf(&b, "  %s:\n", yamlScalar(m.Name))
			writeFields(&b, "    ", m.Fields)
		}
	}
	b.WriteString("eval:\n")
	fmt.Fprintf(&b, "  dataset: %s\n", yamlScalar(c.Dataset))
	if c.Model != "" {
		fmt.Fprintf(&b, "  model: %s\n", yamlScalar(c.Model))
	} else {
		b.WriteString("  # model: NAME    # no provider could be imported: add one under models: (or pass --model)\n")
	}
	if c.Judge != "" {
		fmt.Fprintf(&b, "  judge: %s\n", yamlScalar(c.Judge))
	} else if c.JudgeHint != "" {
		fmt.Fprintf(&b, "  # judge: NAME    # %s\n", oneLine(c.JudgeHint))
	}
	if c.SystemPrompt != nil {
		fmt.Fprintf(&b, "  system_prompt: %s\n", yamlScalar(*c.SystemPrompt))
	}
	if len(c.Validators) > 0 {
		b.WriteString("  validators:\n")
		for _, v := range c.Validators {
			if v.From != "" {
				fmt.Fprintf(&b, "    # from %s\n", oneLine(v.From))
			}
			for i, f := range v.Fields {
				prefix := "      "
				if i == 0 {
					prefix = "    - "
				}
				fmt.Fprintf(&b, "%s%s: %s\n", prefix, f.Key, yamlValue(f.Value))
			}
		}
	} else {
		b.WriteString("  # validators: none listed, so synth grades with its default set (docs/reference/validators.md)\n")
	}
	return []byte(b.String())
}

func writeFields(b *strings.Builder, indent string, fields []Field) {
	for _, f := range fields {
		if m, ok := f.Value.([]Field); ok {
			fmt.Fprintf(b, "%s%s:\n", indent, f.Key)
			writeFields(b, indent+"  ", m)
			continue
		}
		fmt.Fprintf(b, "%s%s: %s\n", indent, f.Key, yamlValue(f.Value))
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// yamlScalar renders a string as a YAML scalar, quoted only when needed.
func yamlScalar(s string) string { return yamlValue(s) }

// yamlValue renders a scalar or a flat list in YAML flow style.
func yamlValue(v any) string {
	if l, ok := v.([]string); ok {
		parts := make([]string, len(l))
		for i, s := range l {
			parts[i] = yamlValue(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if s, ok := v.(string); ok && needsDoubleQuotes(s) {
		return fmt.Sprintf("%q", s)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	s := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(s, "\n") {
		// Multi-line text: a double-quoted scalar keeps it on one line.
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return s
}

// needsDoubleQuotes reports strings that YAML would render as a block or
// that hold characters best escaped.
func needsDoubleQuotes(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// Files returns the names of the files [Import.WriteProject] writes.
func (imp *Import) Files() []string {
	files := []string{EvalSetFile}
	if imp.Config != nil {
		files = append(files, ConfigFile)
	}
	if len(imp.Outputs) > 0 {
		files = append(files, OutputsFile)
	}
	return append(files, NotesFile)
}

// WriteProject writes the import into dir: the eval set, the proposed
// synth.yaml (when there is one), the recorded outputs (when there are
// some) and IMPORT-NOTES.md. Every file is written atomically. Without
// force, it refuses to replace any existing file and writes nothing.
// It returns the paths written.
func (imp *Import) WriteProject(dir string, force bool) ([]string, error) {
	files := imp.Files()
	if !force {
		var exist []string
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				exist = append(exist, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		if len(exist) > 0 {
			return nil, &ExistsError{Dir: dir, Files: exist}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, f := range files {
		path := filepath.Join(dir, f)
		var err error
		switch f {
		case EvalSetFile:
			err = WriteEvalSet(path, imp.Items)
		case ConfigFile:
			err = dataset.WriteFileAtomic(path, imp.Config.YAML(imp.Source), 0o644)
		case OutputsFile:
			err = writeJSONL(path, imp.Outputs)
		case NotesFile:
			err = dataset.WriteFileAtomic(path, NotesMarkdown(imp), 0o644)
		}
		if err != nil {
			return written, fmt.Errorf("write %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// ExistsError reports output files that already exist.
type ExistsError struct {
	Dir   string
	Files []string
}

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already has %s (pass --force to replace)", e.Dir, strings.Join(e.Files, ", "))
}

// WriteEvalSet writes items as an eval-set JSON Lines file at path,
// atomically: through dataset's JSONL writer into a temporary file beside
// path, which then replaces path.
func WriteEvalSet(path string, items []dataset.Item) error {
	return writeJSONL(path, items)
}

// EncodeEvalSet returns items as eval-set JSON Lines, one item per line, as
// [WriteEvalSet] writes them.
func EncodeEvalSet(items []dataset.Item) ([]byte, error) {
	var b bytes.Buffer
	for _, it := range items {
		line, err := it.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("item %s: %w", it.ID, err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

func writeJSONL[T any](path string, recs []T) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	w, err := dataset.OpenJSONL(tmp)
	if err != nil {
		return err
	}
	w.SetSync(false) // Close syncs once
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
