package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type rec struct {
	ID string `json:"id"`
	N  int    `json:"n"`
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScanJSONL(t *testing.T) {
	path := writeFile(t, "x.jsonl", "\uFEFF{\"id\":\"a\"}\r\n\n{\"id\":\"b\"}\n{\"id\":\"c\"}")
	var lines []int
	var ids []string
	err := ScanJSONL(path, func(line int, raw []byte) error {
		var r rec
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		lines = append(lines, line)
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lines, ids) != "[1 3 4] [a b c]" {
		t.Errorf("lines %v ids %v", lines, ids)
	}

	t.Run("errors name file:line", func(t *testing.T) {
		path := writeFile(t, "x.jsonl", "{\"id\":\"a\"}\n{\"id\":5}\n")
		err := ScanJSONL(path, func(line int, raw []byte) error {
			var r rec
			return json.Unmarshal(raw, &r)
		})
		want := path + `:2: field "id": a JSON number cannot be used here (want string)`
		if err == nil || err.Error() != want {
			t.Errorf("error %v\nwant %s", err, want)
		}
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != 2 {
			t.Errorf("not an InputError at line 2: %#v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		err := ScanJSONL(filepath.Join(t.TempDir(), "none.jsonl"), func(int, []byte) error { return nil })
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v", err)
		}
	})
}

func TestReadJSONL(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantIDs  string
		wantTorn *TornLine // File is filled in
		wantErr  string    // after "path:"
	}{
		{"clean", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", "a,b", nil, ""},
		{"complete last line without newline", "{\"id\":\"a\"}\n{\"id\":\"b\"}", "a,b", nil, ""},
		{"torn last line", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\",\"n\":1", "a,b", &TornLine{Line: 3, Bytes: 15}, ""},
		{"torn line inside a string", "{\"id\":\"a\"}\n{\"id\":\"b\\u00", "a", &TornLine{Line: 2, Bytes: 12}, ""},
		{"malformed middle line is an error", "{\"id\":\"a\"}\n{\"id\":\n{\"id\":\"c\"}\n", "", nil, "2: not valid JSON: the record ends before it is complete"},
		{"malformed terminated last line is an error", "{\"id\":\"a\"}\n{\"id\":\n", "", nil, "2: not valid JSON: the record ends before it is complete"},
		{"wrong type on last line is an error", "{\"id\":\"a\"}\n{\"id\":1}", "", nil, `2: field "id": a JSON number cannot be used here (want string)`},
		{"empty", "", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "r.jsonl", tt.data)
			got, torn, err := ReadJSONL[rec](path)
			if tt.wantErr != "" {
				if err == nil || err.Error() != path+":"+tt.wantErr {
					t.Fatalf("error %v\nwant %s:%s", err, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ID)
			}
			if strings.Join(ids, ",") != tt.wantIDs {
				t.Errorf("ids %v, want %s", ids, tt.wantIDs)
			}
			if tt.wantTorn != nil {
				tt.wantTorn.File = path
			}
			if fmt.Sprint(torn) != fmt.Sprint(tt.wantTorn) {
				t.Errorf("torn %v, want %v", torn, tt.wantTorn)
			}
			// Reading never changes the file.
			if b, _ := os.ReadFile(path); string(b) != tt.data {
				t.Errorf("file changed to %q", b)
			}
		})
	}
}

func TestRepairJSONL(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		want     string
		wantTorn bool
	}{
		{"clean", "{\"id\":\"a\"}\n", "{\"id\":\"a\"}\n", false},
		{"empty", "", "", false},
		{"torn", "{\"id\":\"a\"}\n{\"id\":\"b", "{\"id\":\"a\"}\n", true},
		{"torn only line", "{\"id\":", "", true},
		{"complete but unterminated gets a newline", "{\"id\":\"a\"}\n{\"id\":\"b\"}", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", false},
		{"crlf", "{\"id\":\"a\"}\r\n{\"i", "{\"id\":\"a\"}\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "r.jsonl", tt.data)
			torn, err := RepairJSONL(path)
			if err != nil {
				t.Fatal(err)
			}
			if (torn != nil) != tt.wantTorn {
				t.Errorf("torn = %v", torn)
			}
			b, _ := os.ReadFile(path)
			if string(b) != tt.want {
				t.Errorf("file %q, want %q", b, tt.want)
			}
		})
	}
	t.Run("long lines", func(t *testing.T) {
		big := `{"id":"` + strings.Repeat("x", 200_000) + `"}` + "\n"
		path := writeFile(t, "r.jsonl", big+big+`{"id":"`+strings.Repeat("y", 100_000))
		torn, err := RepairJSONL(path)
		if err != nil || torn == nil || torn.Line != 3 || torn.Bytes != 100_007 {
			t.Fatalf("torn %v, err %v", torn, err)
		}
		if b, _ := os.ReadFile(path); string(b) != big+big {
			t.Errorf("file has %d bytes, want %d", len(b), 2*len(big))
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if torn, err := RepairJSONL(filepath.Join(t.TempDir(), "none")); torn != nil || err != nil {
			t.Errorf("got %v, %v", torn, err)
		}
	})
}

func TestJSONLWriter(t *testing.T) {
	path := writeFile(t, "r.jsonl", "{\"id\":\"old\"}\n{\"id\":\"to")
	w, err := OpenJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Repaired() == nil || w.Repaired().Line != 2 {
		t.Errorf("Repaired() = %v", w.Repaired())
	}
	if err := w.Write(rec{ID: "new", N: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(map[string]any{"bad": func() {}}); err == nil {
		t.Error("unencodable value: no error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec{ID: "late"}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "{\"id\":\"old\",\"n\":0}\n{\"id\":\"new\",\"n\":1}\n" && string(b) != "{\"id\":\"old\"}\n{\"id\":\"new\",\"n\":1}\n" {
		t.Errorf("file %q", b)
	}
}

func TestJSONLWriterConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	w, err := OpenJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	w.SetSync(false) // the interleaving is what is tested; keep it fast
	const goroutines, each = 16, 50
	payload := strings.Repeat("p", 10_000) // bigger than a pipe buffer's atomic write
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := w.Write(map[string]any{"g": g, "i": i, "p": payload}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	type line struct {
		G, I int
		P    string
	}
	got, torn, err := ReadJSONL[line](path)
	if err != nil || torn != nil {
		t.Fatalf("read: %v, torn %v", err, torn)
	}
	if len(got) != goroutines*each {
		t.Fatalf("%d lines, want %d", len(got), goroutines*each)
	}
	seen := map[[2]int]bool{}
	for _, l := range got {
		if l.P != payload {
			t.Fatalf("line g=%d i=%d has a damaged payload", l.G, l.I)
		}
		seen[[2]int{l.G, l.I}] = true
	}
	if len(seen) != goroutines*each {
		t.Errorf("%d distinct lines", len(seen))
	}
	if b, _ := os.ReadFile(path); bytes.Count(b, []byte{'\n'}) != goroutines*each {
		t.Errorf("newline count differs")
	}
}
