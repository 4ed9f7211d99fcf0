//go:build linux

package dataset

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestJSONLWriterFullDisk fills the "disk" (a file-size limit) in the middle
// of a line: the write fails, the partial line is removed, and once there is
// room again the next line starts clean, so the file never has a broken line
// in the middle.
func TestJSONLWriterFullDisk(t *testing.T) {
	if path := os.Getenv("SYNTH_TEST_FULL_DISK"); path != "" {
		fullDiskChild(path)
		return
	}
	path := t.TempDir() + "/results.jsonl"
	cmd := exec.Command(os.Args[0], "-test.run=^TestJSONLWriterFullDisk$")
	cmd.Env = append(os.Environ(), "SYNTH_TEST_FULL_DISK="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "write failed:") {
		t.Fatalf("the write did not fail:\n%s", out)
	}
	got, torn, err := ReadJSONL[rec](path)
	if err != nil || torn != nil {
		t.Fatalf("file damaged: %v, torn %v\n%s", err, torn, out)
	}
	if len(got) != 3 || got[0].ID != "a" || got[1].ID != "b" || got[2].ID != "after" {
		t.Errorf("lines %+v", got)
	}
}

func fullDiskChild(path string) {
	fail := func(err error) {
		fmt.Println(err)
		os.Exit(1)
	}
	w, err := OpenJSONL(path)
	if err != nil {
		fail(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := w.Write(rec{ID: id}); err != nil {
			fail(err)
		}
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail(err)
	}
	st, _ := os.Stat(path)
	small := lim
	small.Cur = uint64(st.Size()) + 10 // room for part of the next line only
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		fail(err)
	}
	err = w.Write(rec{ID: strings.Repeat("x", 100)})
	fmt.Println("write failed:", err)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail(err)
	}
	if err := w.Write(rec{ID: "after"}); err != nil {
		fail(err)
	}
	if err := w.Close(); err != nil {
		fail(err)
	}
}
