package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports a long task on stderr: a bar on a terminal, one plain line
// per step otherwise (so CI logs show every item).
type progress struct {
	s     *streams
	bar   *progressbar.ProgressBar
	total int
	quiet bool
	mu    sync.Mutex
}

func newProgress(s *streams, desc string, total int, quiet bool) *progress {
	p := &progress{s: s, total: total, quiet: quiet}
	if s.ErrTTY && !quiet {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(s.Err),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionEnableColorCodes(s.Color),
			progressbar.OptionSetPredictTime(true),
		)
	}
	return p
}

// step records that done of total steps are finished; line describes the last one.
func (p *progress) step(done int, line string) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Set(done)
		return
	}
	width := len(fmt.Sprint(p.total))
	fmt.Fprintf(p.s.Err, "[%*d/%d] %s\n", width, done, p.total, p.s.sanitize(line))
}

// finish removes the bar.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
