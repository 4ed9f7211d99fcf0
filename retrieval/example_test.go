package retrieval_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/synth-dev/synth/retrieval"
)

// Index a project's help docs and search them, offline.
func Example() {
	dir, _ := os.MkdirTemp("", "kb-example")
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
	os.WriteFile(filepath.Join(dir, "docs", "account.md"), []byte(
		"# Account\n\n## Delete your account\n\nGo to Settings > Account > Delete account.\n\n"+
			"## Change your e-mail\n\nGo to Settings > Account > E-mail and click Change.\n"), 0o644)

	cfg := retrieval.DefaultConfig() // docs/**/*.md, builtin embedder, .synth/kb.gob.gz
	kb, err := retrieval.Open(dir, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer kb.Close()
	st, err := kb.Index(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("docs %d, chunks %d, embedded %d\n", st.Docs, st.Chunks, st.Embedded)

	hits, _ := kb.Search(context.Background(), "how do I delete my account?", 1)
	fmt.Println(hits[0].Doc, "|", hits[0].Heading)

	st, _ = kb.Index(context.Background()) // nothing changed: nothing embedded
	fmt.Printf("kept %d, embedded %d\n", st.Kept, st.Embedded)
	// Output:
	// docs 1, chunks 2, embedded 2
	// docs/account.md | Account > Delete your account
	// kept 2, embedded 0
}
