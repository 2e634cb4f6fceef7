package emulator

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkVerifiedGetP99HalfLoad measures the latency of pre-signed Get
// Charge requests through the emulator at half the throughput it can
// sustain: it first finds that throughput (closed loop, 8 in flight, 1 s),
// then sends requests at half the rate for 2 s on a fixed schedule (open
// loop, so slow answers do not slow the arrivals) and reports p50 and p99.
// Compare with BenchmarkBareVerifyPSSP99HalfLoad. Run with -benchtime 1x.
func BenchmarkVerifiedGetP99HalfLoad(b *testing.B) {
	do := verifiedGetCaller(b)
	for range b.N {
		halfLoadLatency(b, do)
	}
}

// BenchmarkBareVerifyPSSP99HalfLoad is the reference: the same procedure
// against a bare net/http server that only verifies one signature.
func BenchmarkBareVerifyPSSP99HalfLoad(b *testing.B) {
	do := bareVerifyCaller(b)
	for range b.N {
		halfLoadLatency(b, do)
	}
}

type errStatus int

func (e errStatus) Error() string { return http.StatusText(int(e)) }

// halfLoadLatency finds do's sustainable rate, then runs it open-loop at
// half that rate and reports the rates and the p50/p99 latencies.
func halfLoadLatency(b *testing.B, do func() error) {
	b.Helper()
	// Closed loop: 8 workers for 1 s.
	var done atomic.Int64
	deadline := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := do(); err != nil {
					b.Error(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	maxRate := float64(done.Load())
	rate := maxRate / 2
	if rate < 1 {
		b.Fatalf("sustained only %.0f req/s", maxRate)
	}

	// Open loop at half the rate for 2 s. At most 64 requests are in
	// flight (the client's connection pool); latency counts from each
	// request's scheduled time, so time spent waiting for a free slot is
	// counted too (no coordinated omission).
	interval := time.Duration(float64(time.Second) / rate)
	total := int(2 * rate)
	lat := make([]time.Duration, total)
	slots := make(chan struct{}, 64)
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := do(); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(at)
		})
	}
	wg.Wait()
	slices.Sort(lat)
	b.ReportMetric(maxRate, "max-req/s")
	b.ReportMetric(rate, "offered-req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
