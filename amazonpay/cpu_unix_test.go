//go:build unix

package amazonpay

import (
	"syscall"
	"testing"
	"time"
)

// cpuStart is the process CPU time (user + system) at the start of a
// benchmark, so the benchmark can report CPU per operation rather than
// wall time, which on a shared machine says little.
type cpuStart time.Duration

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuStart { return cpuStart(processCPU()) }

func (s cpuStart) report(b *testing.B) {
	if used := processCPU() - time.Duration(s); used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
