package importers

import (
	"path/filepath"
	"testing"

	"github.com/synth-dev/synth/spec"
)

// testSpecs mirror the validator kinds (and the parameters the importer
// sets) of validators.Builtin; cmd/synth's tests import with the real ones.
var testSpecs = []spec.Spec{
	{Name: "exact"}, {Name: "normalized"}, {Name: "contains", Params: []spec.Param{{Name: "mode"}, {Name: "case_sensitive"}}},
	{Name: "regex", Params: []spec.Param{{Name: "pattern"}, {Name: "negate"}}},
	{Name: "f1"}, {Name: "rouge_l", Params: []spec.Param{{Name: "correct"}, {Name: "partial"}}},
	{Name: "match"}, {Name: "refusal"},
	{Name: "semantic", Params: []spec.Param{{Name: "correct"}, {Name: "partial"}}},
	{Name: "judge"},
}

func TestPromptfooGolden(t *testing.T) {
	for _, name := range []string{"basic", "csv", "files"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "promptfoo", name)
			imp, err := Promptfoo(filepath.Join(dir, "promptfooconfig.yaml"), PromptfooOptions{Validators: testSpecs})
			if err != nil {
				t.Fatal(err)
			}
			set, err := EncodeEvalSet(imp.Items)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, "golden", EvalSetFile), set)
			golden(t, filepath.Join(dir, "golden", ConfigFile), imp.Config.YAML(imp.Source))
			golden(t, filepath.Join(dir, "golden", NotesFile), NotesMarkdown(imp))
		})
	}
}
