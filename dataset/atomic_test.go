package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	if err := WriteFileAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q, %v", b, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("perm %v", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	t.Run("missing folder fails and leaves nothing", func(t *testing.T) {
		err := WriteFileAtomic(filepath.Join(dir, "no", "such", "x"), []byte("x"), 0o644)
		if err == nil || !strings.Contains(err.Error(), "no/such/x") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("rename over a folder fails and cleans up", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(sub, []byte("x"), 0o644); err == nil {
			t.Error("no error")
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temporary file left: %s", e.Name())
			}
		}
	})
	t.Run("readers never see a partial file", func(t *testing.T) {
		path := filepath.Join(dir, "big.json")
		a, b := strings.Repeat("a", 1<<20), strings.Repeat("b", 1<<20)
		if err := WriteFileAtomic(path, []byte(a), 0o644); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Go(func() {
			for i := range 20 {
				data := a
				if i%2 == 0 {
					data = b
				}
				if err := WriteFileAtomic(path, []byte(data), 0o644); err != nil {
					t.Error(err)
				}
			}
			close(stop)
		})
		for done := false; !done; {
			select {
			case <-stop:
				done = true
			default:
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != a && string(got) != b {
				t.Fatalf("read a mixed file of %d bytes", len(got))
			}
		}
		wg.Wait()
	})
}

func TestWriteJSONAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.json")
	if err := WriteJSONAtomic(path, map[string]any{"a": "<b>", "n": 1}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "{\n  \"a\": \"<b>\",\n  \"n\": 1\n}\n" {
		t.Errorf("got %q", b)
	}
	if err := WriteJSONAtomic(path, map[string]any{"f": func() {}}); err == nil {
		t.Error("unencodable: no error")
	}
}
