package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// waitIdle blocks until w's background flush has finished.
func waitIdle(w *JSONLWriter) {
	w.mu.Lock()
	for w.syncing {
		w.idle.Wait()
	}
	w.mu.Unlock()
}

// TestJSONLWriterGroupCommit holds the first fsync: the lines written
// meanwhile do not wait for it (a Write that waited would hang this test)
// and share one more fsync instead of one each.
func TestJSONLWriterGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	w, err := OpenJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	syncs := 0 // read after waitIdle or Close: the flush goroutine has finished
	w.syncFile = func(*os.File) error {
		syncs++
		started <- struct{}{}
		<-release
		return nil
	}
	if err := w.Write(rec{ID: "first"}); err != nil {
		t.Fatal(err)
	}
	<-started // the flush of "first" is running and held
	for i := range 10 {
		if err := w.Write(rec{ID: "during", N: i}); err != nil {
			t.Fatal(err)
		}
	}
	release <- struct{}{} // first flush ends; the lines written during it need one more
	<-started
	release <- struct{}{}
	waitIdle(w)
	if syncs != 2 {
		t.Errorf("%d fsyncs for 11 lines written during one, want 2", syncs)
	}
	go func() { <-started; release <- struct{}{} }() // Close syncs once more
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if syncs != 3 {
		t.Errorf("%d fsyncs after Close, want 3", syncs)
	}
	got, torn, err := ReadJSONL[rec](path)
	if err != nil || torn != nil || len(got) != 11 {
		t.Fatalf("read %d lines, %v, torn %v", len(got), err, torn)
	}
}

func TestJSONLWriterSyncError(t *testing.T) {
	tests := []struct {
		name   string
		failAt int // the fsync that fails, counting from 1
	}{
		{"flush before the last write fails: the write reports it", 1},
		{"flush after the last write fails: Close reports it", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := OpenJSONL(filepath.Join(t.TempDir(), "r.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			w.syncFile = func(*os.File) error {
				n++
				if n == tt.failAt {
					return errors.New("disk gone")
				}
				return nil
			}
			if err := w.Write(rec{ID: "a"}); err != nil {
				t.Fatal(err)
			}
			waitIdle(w)
			werr := w.Write(rec{ID: "b"})
			waitIdle(w)
			if tt.failAt == 1 && (werr == nil || !strings.Contains(werr.Error(), "disk gone")) {
				t.Errorf("write after a failed flush: %v, want the flush's error", werr)
			}
			if tt.failAt == 2 && werr != nil {
				t.Errorf("write: %v", werr)
			}
			if err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk gone") {
				t.Errorf("Close = %v, want the sync error", err)
			}
		})
	}
}
