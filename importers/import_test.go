package importers

import (
	"path/filepath"
	"testing"
)

func TestOpenAIEvalsGolden(t *testing.T) {
	dir := filepath.Join("testdata", "openaievals")
	imp, err := OpenAIEvals(filepath.Join(dir, "samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := EncodeEvalSet(imp.Items)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(dir, "golden", EvalSetFile), set)
	golden(t, filepath.Join(dir, "golden", NotesFile), NotesMarkdown(imp))
}

func TestHFGolden(t *testing.T) {
	cases := []struct {
		name, file string
		m          FieldMap
	}{
		{"squad", "squad.jsonl", FieldMap{ID: "id"}},
		{"nested", "nested.jsonl", FieldMap{Question: "turn.q", Answer: "turn.gold", ID: "meta.uid", Tags: "labels"}},
		{"csv", "qa.csv", FieldMap{Tags: "category"}},
		{"rows", "rows.json", FieldMap{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "hf")
			imp, err := HF(filepath.Join(dir, c.file), c.m)
			if err != nil {
				t.Fatal(err)
			}
			set, err := EncodeEvalSet(imp.Items)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, "golden", c.name, EvalSetFile), set)
			golden(t, filepath.Join(dir, "golden", c.name, NotesFile), NotesMarkdown(imp))
		})
	}
}
