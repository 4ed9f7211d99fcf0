package pipelines

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// loadProject parses a config tree for the project in dir the way the CLI
// does: registered tuned models first, then the config.
func loadProject(t *testing.T, dir string, raw map[string]any) (*Project, []string) {
	t.Helper()
	notes, err := MergeTunedModels(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	p := OpenProject(cfg, ProjectOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, notes
}

func register(t *testing.T, dir string, models ...*TunedModel) {
	t.Helper()
	if err := UpdateTunedRegistry(dir, func(r *TunedRegistry) error {
		for _, m := range models {
			r.Models[m.Name] = m
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestTunedRegistryRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r, err := LoadTunedRegistry(dir)
	if err != nil || len(r.Models) != 0 {
		t.Fatalf("missing registry: %v %v", r, err)
	}
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	want := &TunedModel{
		Name: "tuned", Base: "base", Provider: "openai", State: TunedPending, Created: created, Updated: created,
		Data: TunedData{Path: "data/train.jsonl", SHA256: "ab", Examples: 12},
		Job:  &TunedJob{ID: "ftjob-1", BaseModel: "gpt-4o-mini", BaseURL: "http://127.0.0.1:1/v1", TrainingFile: "file-1", Status: "queued"},
	}
	register(t, dir, want)
	got, err := LoadTunedRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := got.Models["tuned"]
	if m == nil || m.Job == nil || m.Job.ID != "ftjob-1" || !m.Created.Equal(created) || m.Data.Examples != 12 || m.State != TunedPending {
		t.Fatalf("round trip: %+v", m)
	}
	raw, _ := os.ReadFile(TunedRegistryPath(dir))
	for _, secret := range []string{"api_key", "Authorization", "sk-"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("registry mentions %q:\n%s", secret, raw)
		}
	}
	if _, err := os.Stat(TunedRegistryPath(dir) + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind: %v", err)
	}

	t.Run("damaged", func(t *testing.T) {
		for _, bad := range []string{"{not json", `{"version": 2, "models": {}}`, `{"version": 1, "models": {"x": {"name": "y", "base": "b"}}}`, `{"version": 1, "models": {"Bad Name": {"name": "Bad Name", "base": "b"}}}`} {
			d := t.TempDir()
			_ = os.MkdirAll(filepath.Join(d, ".synth"), 0o755)
			_ = os.WriteFile(TunedRegistryPath(d), []byte(bad), 0o644)
			_, err := LoadTunedRegistry(d)
			var ie *dataset.InputError
			if !errors.As(err, &ie) || ie.File != TunedRegistryPath(d) {
				t.Errorf("%s: got %v, want an input error naming the file", bad, err)
			}
		}
	})
}

func TestTunedRegistryConcurrentUpdates(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- UpdateTunedRegistry(dir, func(r *TunedRegistry) error {
				name := fmt.Sprintf("m%d", i)
				r.Models[name] = &TunedModel{Name: name, Base: "base", State: TunedReady}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := LoadTunedRegistry(dir)
	if err != nil || len(r.Models) != 8 {
		t.Fatalf("%d models after 8 concurrent updates (%v): an update was lost", len(r.Models), err)
	}
}

func TestMergeTunedModels(t *testing.T) {
	base := map[string]any{"provider": "builtin", "threshold": 0.4}
	gpt := map[string]any{"provider": "openai", "model": "gpt-4o-mini", "base_url": "http://127.0.0.1:9/v1", "temperature": 0.0}
	cases := []struct {
		name      string
		config    map[string]any
		tuned     []*TunedModel
		want      map[string]map[string]any // model -> params that must be there
		absent    []string
		wantNotes []string
	}{
		{
			name:   "builtin tuned inherits its base",
			config: map[string]any{"base": base},
			tuned:  []*TunedModel{{Name: "tuned", Base: "base", State: TunedReady, Params: map[string]any{"memory": ".synth/models/tuned.jsonl"}}},
			want:   map[string]map[string]any{"tuned": {"provider": "builtin", "threshold": 0.4, "memory": ".synth/models/tuned.jsonl"}, "base": {"provider": "builtin"}},
		},
		{
			name:   "openai tuned gets the fine-tuned id",
			config: map[string]any{"gpt": gpt},
			tuned:  []*TunedModel{{Name: "gpt-ft", Base: "gpt", State: TunedReady, Params: map[string]any{"model": "ft:gpt-4o-mini:org::abc"}}},
			want:   map[string]map[string]any{"gpt-ft": {"provider": "openai", "model": "ft:gpt-4o-mini:org::abc", "base_url": "http://127.0.0.1:9/v1"}, "gpt": {"model": "gpt-4o-mini"}},
		},
		{
			name:   "pending and failed are left out",
			config: map[string]any{"gpt": gpt},
			tuned: []*TunedModel{
				{Name: "p", Base: "gpt", State: TunedPending, Job: &TunedJob{ID: "j"}},
				{Name: "f", Base: "gpt", State: TunedFailed, Job: &TunedJob{ID: "k"}},
			},
			absent: []string{"p", "f"},
		},
		{
			name:      "config wins on a clash",
			config:    map[string]any{"base": base, "tuned": map[string]any{"provider": "builtin", "threshold": 0.9}},
			tuned:     []*TunedModel{{Name: "tuned", Base: "base", State: TunedReady, Params: map[string]any{"memory": "m.jsonl"}}},
			want:      map[string]map[string]any{"tuned": {"threshold": 0.9}},
			wantNotes: []string{"synth.yaml also defines models.tuned", "synth tune rm tuned"},
		},
		{
			name:      "missing base",
			config:    map[string]any{"other": base},
			tuned:     []*TunedModel{{Name: "tuned", Base: "base", State: TunedReady, Params: map[string]any{"memory": "m.jsonl"}}},
			absent:    []string{"tuned"},
			wantNotes: []string{"no model base any more"},
		},
		{
			name:   "chain of tuned models",
			config: map[string]any{"base": base},
			tuned: []*TunedModel{
				{Name: "a2", Base: "a1", State: TunedReady, Params: map[string]any{"memory": "a2.jsonl"}},
				{Name: "a1", Base: "base", State: TunedReady, Params: map[string]any{"memory": "a1.jsonl", "k": 6}},
			},
			want: map[string]map[string]any{"a1": {"memory": "a1.jsonl"}, "a2": {"memory": "a2.jsonl", "k": 6, "threshold": 0.4}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			register(t, dir, tc.tuned...)
			p, notes := loadProject(t, dir, map[string]any{"models": tc.config})
			for name, params := range tc.want {
				e, ok := p.Config.Models[name]
				if !ok {
					t.Fatalf("model %s missing (have %v)", name, p.ModelNames())
				}
				for k, v := range params {
					if fmt.Sprint(e.Params[k]) != fmt.Sprint(v) {
						t.Errorf("%s.%s = %v, want %v", name, k, e.Params[k], v)
					}
				}
				if _, err := p.ModelConfig(name); err != nil {
					t.Errorf("%s does not decode: %v", name, err)
				}
			}
			for _, name := range tc.absent {
				if _, ok := p.Config.Models[name]; ok {
					t.Errorf("model %s merged", name)
				}
			}
			joined := strings.Join(notes, "\n")
			for _, w := range tc.wantNotes {
				if !strings.Contains(joined, w) {
					t.Errorf("notes %q lack %q", notes, w)
				}
			}
			if len(tc.wantNotes) == 0 && len(notes) > 0 {
				t.Errorf("unexpected notes %q", notes)
			}
			if base, ok := tc.config["base"].(map[string]any); ok {
				if _, leaked := base["memory"]; leaked {
					t.Error("merging changed the base's own entry")
				}
			}
		})
	}
}

func TestMergeLetsEvalNameATunedModel(t *testing.T) {
	dir := t.TempDir()
	register(t, dir, &TunedModel{Name: "tuned", Base: "base", State: TunedReady, Params: map[string]any{"memory": "m.jsonl"}})
	p, _ := loadProject(t, dir, map[string]any{
		"models": map[string]any{"base": map[string]any{"provider": "builtin"}},
		"eval":   map[string]any{"model": "tuned"},
	})
	if p.Config.Eval.Model != "tuned" {
		t.Fatalf("eval.model %q", p.Config.Eval.Model)
	}
	cfg, err := p.ModelConfig("tuned")
	if err != nil || cfg.Builtin.Memory != "m.jsonl" {
		t.Fatalf("%+v %v", cfg, err)
	}
}

// FuzzLoadTunedRegistry reads arbitrary .synth/models.json files (a
// damaged registry is user input to every command): an error names the
// file; a registry that loads merges into any config without panicking.
func FuzzLoadTunedRegistry(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"models":{"tuned":{"name":"tuned","base":"base","provider":"builtin","state":"ready","params":{"memory":".synth/models/tuned.jsonl"}}}}`,
		`{"version":1,"models":{"a":{"name":"a","base":"b","state":"ready"},"b":{"name":"b","base":"a","state":"ready"}}}`,
		`{"version":1,"models":{"x":null}}`,
		`{"version":2}`,
		`{"version":1,"models":{"Bad Name":{"name":"Bad Name","base":"base"}}}`,
		`[1,2]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := TunedRegistryPath(dir)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		reg, err := LoadTunedRegistry(dir)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		raw := map[string]any{"models": map[string]any{"base": map[string]any{"provider": "builtin"}, "a": "not a mapping"}}
		if _, err := MergeTunedModels(raw, dir); err != nil {
			t.Fatalf("registry loaded but does not merge: %v", err)
		}
		for _, name := range reg.Names() {
			if err := CheckTunedName(name); err != nil {
				t.Fatalf("loaded a registry with a bad name: %v", err)
			}
		}
	})
}
