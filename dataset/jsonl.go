package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// scanLines calls fn for every non-blank line of r with its 1-based number,
// its content without the line end ("\n" or "\r\n") and whether it ended with
// a newline (only the last line can lack one). A BOM before the first line is
// skipped. Lines of any length work; raw is only valid during the call.
func scanLines(r io.Reader, fn func(line int, raw []byte, terminated bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	line := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			continue
		}
		full := chunk
		if len(long) > 0 {
			long = append(long, chunk...)
			full = long
		}
		if len(full) > 0 {
			line++
			terminated := full[len(full)-1] == '\n'
			content := bytes.TrimSuffix(full, []byte{'\n'})
			content = bytes.TrimSuffix(content, []byte{'\r'})
			if line == 1 {
				content = trimBOM(content)
			}
			if len(bytes.TrimSpace(content)) > 0 {
				if ferr := fn(line, content, terminated); ferr != nil {
					return ferr
				}
			}
		}
		long = long[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ScanJSONL calls fn for every non-blank line of the JSON Lines file at path,
// with the line's 1-based number and its bytes (without the line end; valid
// only during the call). Lines may be of any length; a BOM and CRLF line ends
// are accepted. An error from fn stops the scan and is returned as an
// [*InputError] naming path:line (fn's own *InputError passes through).
func ScanJSONL(path string, fn func(line int, raw []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return ScanJSONLReader(path, f, fn)
}

// ScanJSONLReader is [ScanJSONL] over r; name stands for the file in errors.
func ScanJSONLReader(name string, r io.Reader, fn func(line int, raw []byte) error) error {
	err := scanLines(r, func(line int, raw []byte, _ bool) error {
		if err := fn(line, raw); err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				return err
			}
			return &InputError{File: name, Line: line, Msg: describeJSONError(err), Err: err}
		}
		return nil
	})
	var ie *InputError
	if err != nil && !errors.As(err, &ie) {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return err
}

// TornLine describes an incomplete last line of a JSON Lines file: the trace
// of a crash in the middle of a write.
type TornLine struct {
	// File is the file's path.
	File string `json:"file"`
	// Line is the torn line's number.
	Line int `json:"line"`
	// Bytes is the torn line's length.
	Bytes int `json:"bytes"`
}

// String says what was dropped, in plain words.
func (t *TornLine) String() string {
	return fmt.Sprintf("%s:%d: dropped an incomplete last line (%d bytes) left by an interrupted write", t.File, t.Line, t.Bytes)
}

// ReadJSONL decodes every non-blank line of the JSON Lines file at path into
// a T. A last line that has no newline and is not complete JSON (a crash
// mid-write) is left out and reported as torn, not as an error; any other bad
// line is an [*InputError] naming path:line (up to 10 are joined). The file is
// not modified: [RepairJSONL] or [OpenJSONL] truncates a torn line.
func ReadJSONL[T any](path string) ([]T, *TornLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return decodeJSONL[T](path, f)
}

func decodeJSONL[T any](name string, r io.Reader) ([]T, *TornLine, error) {
	var (
		out  []T
		torn *TornLine
		errs errorList
	)
	err := scanLines(r, func(line int, raw []byte, terminated bool) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			if !terminated && isSyntaxError(err) {
				torn = &TornLine{File: name, Line: line, Bytes: len(raw)}
				return nil
			}
			errs.add(name, line, "%s", describeJSONError(err))
			return nil
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	if err := errs.err(); err != nil {
		return nil, nil, err
	}
	return out, torn, nil
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// RepairJSONL makes the JSON Lines file at path safe to append to after a
// crash: an incomplete last line (no newline, not valid JSON) is truncated
// away and returned; a complete last line without a newline gets one. A
// missing file is not an error.
func RepairJSONL(path string) (*TornLine, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	torn, err := repairJSONL(path, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return torn, err
}

func repairJSONL(path string, f *os.File) (*TornLine, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, nil
	}
	// Count lines and find where the last one starts, in one pass.
	var (
		lastNL = int64(-1)
		lines  = 0
		buf    = make([]byte, 64<<10)
		off    int64
	)
	for off < size {
		n, err := f.ReadAt(buf, off)
		if n == 0 && err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
		chunk := buf[:n]
		lines += bytes.Count(chunk, []byte{'\n'})
		if k := bytes.LastIndexByte(chunk, '\n'); k >= 0 {
			lastNL = off + int64(k)
		}
		off += int64(n)
	}
	if lastNL == size-1 {
		return nil, nil
	}
	tail := make([]byte, size-lastNL-1)
	if _, err := f.ReadAt(tail, lastNL+1); err != nil {
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	if lines == 0 {
		tail = trimBOM(tail)
	}
	trimmed := bytes.TrimSpace(tail)
	if len(trimmed) == 0 || json.Valid(trimmed) {
		// Complete: end it so that the next append starts a new line.
		if _, err := f.WriteAt([]byte{'\n'}, size); err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
		return nil, f.Sync()
	}
	if err := f.Truncate(lastNL + 1); err != nil {
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("repair %s: %w", path, err)
	}
	return &TornLine{File: path, Line: lines + 1, Bytes: len(tail)}, nil
}

// JSONLWriter appends one JSON line per record to a file. Each record is
// written with a single write call before Write returns, so a crash of the
// process loses nothing written and a torn last line (a crash of the machine
// mid-write) is recognised by [ReadJSONL] and [RepairJSONL].
//
// The fsync that makes lines survive a crash of the machine runs in the
// background (group commit): Write starts one when none is running, and a
// sync covers every line written before it began, so lines written while a
// sync runs share the next one. A writer appending hundreds of lines a
// second (an eval run with many requests in flight) thus never waits for a
// disk flush, and pays for one flush per batch, not per line; a crash of the
// machine can lose only the lines of the last flush or two. Close waits for
// the flushes. It is safe for concurrent use; lines never interleave.
type JSONLWriter struct {
	mu       sync.Mutex
	f        *os.File
	path     string
	buf      bytes.Buffer
	enc      *json.Encoder
	repaired *TornLine
	noSync   bool
	// size is the file's size after the last complete line we know of.
	size int64

	// Group commit: syncing is set while the background flush runs, dirty
	// when lines were written after it began; idle signals its end; syncErr
	// is the first failed flush, returned by every later Write and by Close.
	syncing bool
	dirty   bool
	idle    *sync.Cond
	syncErr error
	// syncFile flushes f (f.Sync; tests replace it).
	syncFile func(f *os.File) error
}

// OpenJSONL opens the JSON Lines file at path for appending, creating it if
// needed, after repairing a torn last line (see [JSONLWriter.Repaired]).
func OpenJSONL(path string) (*JSONLWriter, error) {
	torn, err := RepairJSONL(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &JSONLWriter{f: f, path: path, repaired: torn, size: st.Size(), syncFile: (*os.File).Sync}
	w.idle = sync.NewCond(&w.mu)
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	return w, nil
}

// Repaired returns the torn last line that OpenJSONL truncated, or nil.
func (w *JSONLWriter) Repaired() *TornLine { return w.repaired }

// SetSync turns the background fsync of written records on (the default)
// or off. Without it a crash of the process still loses nothing written; a
// crash of the machine may lose the records written since the file was
// opened, until Close syncs them once.
func (w *JSONLWriter) SetSync(on bool) {
	w.mu.Lock()
	w.noSync = !on
	w.mu.Unlock()
}

// Write appends v as one JSON line.
func (w *JSONLWriter) Write(v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("write %s: %w", w.path, os.ErrClosed)
	}
	if w.syncErr != nil {
		return w.syncErr
	}
	w.buf.Reset()
	if err := w.enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if n, err := w.f.Write(w.buf.Bytes()); err != nil {
		if n > 0 {
			w.dropPartial(int64(w.buf.Len()))
		}
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	w.size += int64(w.buf.Len())
	if !w.noSync {
		if w.syncing {
			w.dirty = true // the running flush may have missed this line: flush again after it
		} else {
			w.syncing = true
			go w.flush(w.f)
		}
	}
	return nil
}

// flush fsyncs f until no line was written during the last fsync, then
// signals idle. It runs on its own goroutine, one at a time per writer.
func (w *JSONLWriter) flush(f *os.File) {
	for {
		err := w.syncFile(f)
		w.mu.Lock()
		if err != nil && w.syncErr == nil {
			w.syncErr = fmt.Errorf("write %s: sync: %w", w.path, err)
		}
		if err != nil || !w.dirty {
			w.syncing, w.dirty = false, false
			w.idle.Broadcast()
			w.mu.Unlock()
			return
		}
		w.dirty = false
		w.mu.Unlock()
	}
}

// dropPartial removes what a failed write (a full disk) left of its line,
// so that a later line does not follow a broken one. It only truncates when
// nothing but that write can have grown the file.
func (w *JSONLWriter) dropPartial(n int64) {
	st, err := w.f.Stat()
	if err != nil || st.Size() <= w.size || st.Size() > w.size+n {
		return
	}
	if w.f.Truncate(w.size) == nil {
		w.f.Sync()
	}
}

// Close waits for the background flush, syncs and closes the file. It
// reports a flush that failed since the last error returned. Later writes fail.
func (w *JSONLWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.syncing {
		w.idle.Wait()
	}
	if w.f == nil {
		return nil
	}
	err := w.syncErr
	if serr := w.syncFile(w.f); err == nil && serr != nil {
		err = fmt.Errorf("write %s: sync: %w", w.path, serr)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}
