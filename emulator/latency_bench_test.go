package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkVerifiedGetP99HalfLoad measures the latency of pre-signed Get
// Charge requests through the emulator at half the throughput it can
// sustain. The load comes from a separate OS process (this test binary
// re-run as TestHelperLoadClient), so the client's goroutines, scheduling
// and GC pauses are not the server's: it first finds the sustainable rate
// (closed loop, 8 in flight, 1 s), then sends requests at half that rate for
// 2 s on a fixed schedule (open loop, so slow answers do not slow the
// arrivals) and reports p50, p99 and p99.9. Compare with
// BenchmarkBareVerifyPSSP99HalfLoad. Run with -benchtime 1x.
func BenchmarkVerifiedGetP99HalfLoad(b *testing.B) {
	t := verifiedGetTarget(b)
	for range b.N {
		halfLoadLatency(b, t)
	}
}

// BenchmarkBareVerifyPSSP99HalfLoad is the reference: the same procedure
// and the same out-of-process client against a bare net/http server that
// only verifies one signature.
func BenchmarkBareVerifyPSSP99HalfLoad(b *testing.B) {
	t := bareVerifyTarget(b)
	for range b.N {
		halfLoadLatency(b, t)
	}
}

type errStatus int

func (e errStatus) Error() string { return http.StatusText(int(e)) }

// loadTarget is what a load client sends: GETs to one URL, each with the
// next of a fixed list of pre-signed header sets.
type loadTarget struct {
	URL     string        `json:"url"`
	Headers []http.Header `json:"headers"`
}

// caller returns a function that sends one request to t in this process
// (for the throughput benchmarks) on keep-alive connections.
func (t loadTarget) caller() func() error {
	client := newLoadClient(64)
	var next atomic.Int64
	return func() error {
		return t.get(client, int(next.Add(1)))
	}
}

// get sends the i-th request (header sets round robin) and drains the answer.
func (t loadTarget) get(client *http.Client, i int) error {
	r, err := http.NewRequest(http.MethodGet, t.URL, nil)
	if err != nil {
		return err
	}
	r.Header = t.Headers[i%len(t.Headers)] // read only; shared between requests
	res, err := client.Do(r)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return errStatus(res.StatusCode)
	}
	return nil
}

func newLoadClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true,
	}}
}

// loadConfig is the parent's instruction to the load client process.
type loadConfig struct {
	Target      loadTarget    `json:"target"`
	Concurrency int           `json:"concurrency"` // closed loop: requests in flight
	ClosedFor   time.Duration `json:"closedFor"`
	Workers     int           `json:"workers"` // open loop: fixed pool (and connections)
	OpenFor     time.Duration `json:"openFor"`
	Out         string        `json:"out"` // where the client writes its loadResult
}

// loadResult is the load client's report.
type loadResult struct {
	MaxRate     float64         `json:"maxRate"`     // closed loop, req/s
	OfferedRate float64         `json:"offeredRate"` // open loop, req/s
	Latencies   []time.Duration `json:"latencies"`   // open loop, sorted, from the scheduled times
	Requests    int64           `json:"requests"`    // all phases, warm-up included
	Errors      int             `json:"errors"`
	FirstError  string          `json:"firstError"`
}

const loadClientEnv = "APAYKIT_EMULATOR_LOAD_CLIENT"

// halfLoadLatency runs the load client process against t and reports its
// rates and latency percentiles.
func halfLoadLatency(b *testing.B, t loadTarget) {
	b.Helper()
	dir := b.TempDir()
	cfg := loadConfig{Target: t, Concurrency: 8, ClosedFor: time.Second, Workers: 64, OpenFor: 2 * time.Second, Out: filepath.Join(dir, "result.json")}
	cfgPath := filepath.Join(dir, "config.json")
	raw, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLoadClient$", "-test.count=1")
	cmd.Env = append(os.Environ(), loadClientEnv+"="+cfgPath)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	busy0, ok0 := cpuTicks("/proc/stat")
	self0, ok1 := cpuTicks("/proc/self/stat")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	busy1, ok2 := cpuTicks("/proc/stat")
	self1, ok3 := cpuTicks("/proc/self/stat")
	runtime.ReadMemStats(&after)
	if err != nil {
		b.Fatalf("load client: %v\n%s", err, out)
	}
	raw, err = os.ReadFile(cfg.Out)
	if err != nil {
		b.Fatal(err)
	}
	var res loadResult
	if err := json.Unmarshal(raw, &res); err != nil {
		b.Fatal(err)
	}
	if res.Errors > 0 {
		b.Fatalf("%d requests failed, first: %s", res.Errors, res.FirstError)
	}
	lat := res.Latencies
	if len(lat) == 0 {
		b.Fatal("no latencies")
	}
	ms := func(q float64) float64 { return float64(lat[int(float64(len(lat))*q)].Microseconds()) / 1000 }
	b.ReportMetric(res.MaxRate, "max-req/s")
	b.ReportMetric(res.OfferedRate, "offered-req/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(0.999), "p99.9-ms")
	// This process only serves, so its allocations are the server's.
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(res.Requests), "srv-allocs/req")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(res.Requests), "srv-B/req")
	b.ReportMetric(float64(after.NumGC-before.NumGC), "srv-GCs")
	// CPU that neither the server nor the load client used, in % of the
	// machine: other processes competing during the run (Linux only).
	if ok0 && ok1 && ok2 && ok3 {
		const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
		own := time.Duration(self1-self0)*tick + cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		others := time.Duration(busy1-busy0)*tick - own
		b.ReportMetric(max(0, 100*others.Seconds()/(wall.Seconds()*float64(runtime.NumCPU()))), "others-cpu-%")
	}
}

// cpuTicks reads CPU time in clock ticks from a /proc file: for
// "/proc/stat", the machine's busy time (user, nice, system, irq, softirq,
// steal: every field of the first line before guest except idle and
// iowait); for "/proc/self/stat", this process's utime and stime.
func cpuTicks(path string) (int64, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := []int{1, 2, 3, 6, 7, 8} // "cpu user nice system idle iowait irq softirq steal …"
	if path != "/proc/stat" {
		// "pid (comm) state ppid …": utime and stime are the 14th and 15th
		// fields; comm may hold spaces, so count after its ")".
		i := strings.LastIndexByte(line, ')')
		if i < 0 {
			return 0, false
		}
		line = "pid comm" + line[i+1:]
		fields = []int{13, 14}
	}
	f := strings.Fields(line)
	var sum int64
	for _, i := range fields {
		if i >= len(f) {
			return 0, false
		}
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, false
		}
		sum += n
	}
	return sum, true
}

// TestHelperLoadClient is the load client process of the P99HalfLoad
// benchmarks; it does nothing unless the benchmark starts it (the
// environment names its configuration file).
func TestHelperLoadClient(t *testing.T) {
	path := os.Getenv(loadClientEnv)
	if path == "" {
		t.Skip("load client process for the P99HalfLoad benchmarks; started by them")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg loadConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	// The client is not what is measured; fewer collections keep its
	// pauses out of the latencies (the same for every target).
	debug.SetGCPercent(400)
	res := runLoad(cfg)
	raw, err = json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Out, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runLoad is the load client: a closed loop to find the sustainable rate,
// then an open loop at half of it from a fixed pool of workers on keep-alive
// connections. Request i is due at start + i·interval; a worker takes the
// next due request, waits for its time and sends it, and its latency counts
// from the due time, so requests delayed because every worker was busy
// count their wait (no coordinated omission).
func runLoad(cfg loadConfig) (res loadResult) {
	var errMu sync.Mutex
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if res.Errors == 0 {
			res.FirstError = err.Error()
		}
		res.Errors++
	}
	client := newLoadClient(cfg.Workers)
	var wg sync.WaitGroup
	var done, next atomic.Int64
	var total int
	defer func() { res.Requests = int64(cfg.Workers) + done.Load() + min(next.Load(), int64(total)) }()

	// Warm up: open every worker's connection.
	for i := range cfg.Workers {
		wg.Go(func() {
			if err := cfg.Target.get(client, i); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()

	// Closed loop.
	start := time.Now()
	deadline := start.Add(cfg.ClosedFor)
	for w := range cfg.Concurrency {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i += cfg.Concurrency {
				if err := cfg.Target.get(client, i); err != nil {
					fail(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	res.MaxRate = float64(done.Load()) / time.Since(start).Seconds()
	res.OfferedRate = res.MaxRate / 2
	if res.OfferedRate < 1 || res.Errors > 0 {
		if res.Errors == 0 {
			fail(fmt.Errorf("sustained only %.0f req/s", res.MaxRate))
		}
		return res
	}

	// Open loop.
	interval := time.Duration(float64(time.Second) / res.OfferedRate)
	total = int(cfg.OpenFor / interval)
	lat := make([]time.Duration, total)
	start = time.Now().Add(10 * time.Millisecond)
	for range cfg.Workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				at := start.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(at))
				if err := cfg.Target.get(client, i); err != nil {
					fail(err)
				}
				lat[i] = time.Since(at)
			}
		})
	}
	wg.Wait()
	slices.Sort(lat)
	res.Latencies = lat
	return res
}
