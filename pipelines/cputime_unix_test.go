//go:build unix

package pipelines

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time, for benchmarks that
// report CPU cost next to wall time (wall time depends on what else runs on
// the machine).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
