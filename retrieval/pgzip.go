package retrieval

import (
	"bytes"
	"compress/gzip"
	"io"
	"sync"
)

// parallelGzip compresses a stream on several goroutines: the input is cut
// into blocks, each compressed as its own gzip member, and the members are
// written in order. A concatenation of gzip members is one valid gzip file
// (RFC 1952 §2.2); Go's gzip.Reader, and so chromem-go's ImportFromFile,
// reads it as one stream, as does gunzip. Snapshot writing is dominated by
// compression, and this halves its wall time on two cores.
type parallelGzip struct {
	w       io.Writer
	level   int
	block   int
	buf     []byte
	pending []chan gzResult // in order
	sem     chan struct{}
	err     error
	members int
	pool    sync.Pool // *bytes.Buffer
}

type gzResult struct {
	out *bytes.Buffer
	err error
}

func newParallelGzip(w io.Writer, level, workers, block int) *parallelGzip {
	return &parallelGzip{w: w, level: level, block: block, sem: make(chan struct{}, max(1, workers))}
}

func (p *parallelGzip) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if p.err != nil {
			return 0, p.err
		}
		take := min(len(b), p.block-len(p.buf))
		p.buf = append(p.buf, b[:take]...)
		b = b[take:]
		if len(p.buf) == p.block {
			p.flushBlock()
		}
	}
	return n, p.err
}

// flushBlock starts compressing the buffered block and drains finished
// blocks so that at most a few are held in memory.
func (p *parallelGzip) flushBlock() {
	p.members++
	in := p.buf
	p.buf = make([]byte, 0, p.block)
	ch := make(chan gzResult, 1)
	p.pending = append(p.pending, ch)
	p.sem <- struct{}{}
	go func() {
		defer func() { <-p.sem }()
		out, _ := p.pool.Get().(*bytes.Buffer)
		if out == nil {
			out = new(bytes.Buffer)
		}
		out.Reset()
		zw, err := gzip.NewWriterLevel(out, p.level)
		if err == nil {
			_, err = zw.Write(in)
		}
		if err == nil {
			err = zw.Close()
		}
		ch <- gzResult{out, err}
	}()
	for len(p.pending) > cap(p.sem) {
		p.drainOne()
	}
}

func (p *parallelGzip) drainOne() {
	r := <-p.pending[0]
	p.pending = p.pending[1:]
	if p.err == nil {
		p.err = r.err
	}
	if p.err == nil {
		_, p.err = p.w.Write(r.out.Bytes())
	}
	p.pool.Put(r.out)
}

// Close compresses what is left and writes every member. An empty stream
// still gets one (empty) member, so the output is always a gzip file.
func (p *parallelGzip) Close() error {
	if len(p.buf) > 0 || p.members == 0 {
		p.flushBlock()
	}
	for len(p.pending) > 0 {
		p.drainOne()
	}
	return p.err
}
