package retrieval

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"testing"
)

func TestParallelGzipRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, size := range []int{0, 1, 999, 1000, 1001, 10_000, 123_457} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte('a' + r.IntN(4)) // compressible
		}
		var out bytes.Buffer
		w := newParallelGzip(&out, gzip.BestSpeed, 3, 1000)
		// Write in odd pieces.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(2500))
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(&out)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: round trip failed (%v, %d bytes)", size, err, len(got))
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestParallelGzipWriteError(t *testing.T) {
	w := newParallelGzip(failWriter{}, gzip.BestSpeed, 2, 10)
	w.Write(bytes.Repeat([]byte("x"), 100))
	if err := w.Close(); err == nil {
		t.Error("want the writer's error")
	}
}
