package scratch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
)

func TestDump(t *testing.T) {
	dir := t.TempDir()
	cfg := retrieval.DefaultConfig()
	cfg.Docs = []string{"docs/**/*.md", "docs/**/*.html", "docs/**/*.txt"}
	cfg.Store = dir + "/kb.gob.gz"
	kb, err := retrieval.Open("../../examples/support", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Index(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range kb.Chunks() {
		fmt.Printf("---- %s | %s | %s\n%s\n", c.ID[:8], c.Doc, c.Heading, c.Text)
	}
	set, err := dataset.ReadEvalSet("../../examples/support/evalset.jsonl")
	_ = os.Stdout
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range set.Items {
		cs, _ := kb.Search(context.Background(), it.Question, 4)
		fmt.Printf("\n### %s: %s\n", it.ID, it.Question)
		for _, c := range cs {
			b, _ := json.Marshal(c.Heading)
			fmt.Printf("  %.3f %s %s\n", c.Score, c.Doc, b)
		}
	}
}
