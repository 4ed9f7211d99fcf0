package retrieval

import (
	"testing"

	goldenfile "github.com/synth-dev/synth/internal/golden"
)

// golden compares got with the golden file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}
