package restapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// benchConcurrency is how many captures are in flight at once, for both
// paths.
const benchConcurrency = 8

// BenchmarkCaptureRESTvsSDK measures captures per second through the REST
// API (auth, Idempotency-Key, money movement recorded before the call,
// Amazon Pay call, state applied, answer stored; SQLite) and direct SDK
// captures against the same emulator in the same run, both with 8 in
// flight, and reports the ratio rest/sdk. Every capture captures a fresh
// authorization made (untimed) by a full checkout at the emulator. Run it
// with a fixed count, e.g.
//
//	go test ./shop/restapi -run '^$' -bench CaptureRESTvsSDK -benchtime 400x
//
// Two pool sizes are measured: 16 connections, and one connection, which
// on SQLite queues writers in Go instead of in SQLite's busy handler (which
// sleeps in steps of milliseconds).
//
// With APAY_TEST_POSTGRES set, the store is also PostgreSQL (16
// connections).
//
// Everything here shares the machine's cores: the emulator answers in
// microseconds, so both paths are bound by CPU, and the ratio is the direct
// call's CPU over the REST capture's (which signs the same request and adds
// an HTTP hop and two database transactions). The amazon=50ms runs make the
// emulator answer captures after 50 ms, as a remote Amazon Pay does (its
// real answers take longer): then the ratio shows what the shop adds to a
// capture's latency and whether it serialises orders that should run side
// by side.
func BenchmarkCaptureRESTvsSDK(b *testing.B) {
	for _, conns := range []int{16, 1} {
		b.Run(fmt.Sprintf("sqlite/pool=%d", conns), func(b *testing.B) { benchCaptures(b, sqlstoretest.SQLite(b), conns, 0) })
	}
	b.Run("sqlite/pool=16/amazon=50ms", func(b *testing.B) { benchCaptures(b, sqlstoretest.SQLite(b), 16, amazonLatency) })
	if dsn := os.Getenv(sqlstoretest.EnvPostgres); dsn != "" {
		b.Run("postgres/pool=16", func(b *testing.B) { benchCaptures(b, sqlstoretest.Postgres(b, dsn), 16, 0) })
		b.Run("postgres/pool=16/amazon=50ms", func(b *testing.B) { benchCaptures(b, sqlstoretest.Postgres(b, dsn), 16, amazonLatency) })
	}
}

// amazonLatency is the answer time of the amazon=50ms runs.
const amazonLatency = 50 * time.Millisecond

func benchCaptures(b *testing.B, db *sqlstoretest.DB, conns int, latency time.Duration) {
	ctx := context.Background()
	f := newFixture(b, db)
	db.SQLDB().SetMaxOpenConns(conns)
	client := f.env.Amazon.Client
	n := max(b.N, benchConcurrency)
	// Untimed: authorized orders for the REST path, authorized charges for
	// the SDK path.
	orders := make([]*shop.Order, n)
	charges := make([]string, n)
	prepare(b, n, func(i int) error {
		o, err := f.env.TryOrder(ctx, orderOptions())
		orders[i] = o
		return err
	})
	prepare(b, n, func(i int) error {
		o := &shop.Order{Total: 10000, Currency: "USD", Number: fmt.Sprintf("SDK-%d", i)}
		csID, err := f.env.Checkout(ctx, o, orderOptions())
		if err != nil {
			return err
		}
		cs, _, err := client.CheckoutSessions.Get(ctx, csID)
		charges[i] = cs.ChargeID
		return err
	})
	price := amazonpay.Price{Amount: "100.00", CurrencyCode: "USD"}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency * 2}}
	auth := bearer(f.write)

	sdk := func(i int) error {
		_, _, err := client.Charges.Capture(ctx, charges[i], &amazonpay.CaptureChargeRequest{CaptureAmount: price},
			amazonpay.WithIdempotencyKey(fmt.Sprintf("bench-sdk-%d", i)))
		return err
	}
	rest := func(i int) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.srv.URL+opPath(orders[i].ID, "capture"), nil)
		req.Header.Set("Authorization", auth)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-rest-%d", i))
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if latency > 0 {
		delayCaptures(b, f.env.Amazon.URL, latency)
	}
	// Alternate halves so that drift on a shared machine hits both paths.
	b.ResetTimer()
	var sdkTime, restTime, sdkCPU, restCPU time.Duration
	half := n / 2
	measure := func(wall, cpu *time.Duration, from, to int, fn func(int) error) {
		c0 := processCPU()
		*wall += run(b, from, to, fn)
		*cpu += processCPU() - c0
	}
	measure(&sdkTime, &sdkCPU, 0, half, sdk)
	measure(&restTime, &restCPU, 0, half, rest)
	measure(&sdkTime, &sdkCPU, half, n, sdk)
	measure(&restTime, &restCPU, half, n, rest)
	b.StopTimer()
	b.ReportMetric(float64(sdkCPU.Microseconds())/float64(n), "sdk-cpu-us/capture")
	b.ReportMetric(float64(restCPU.Microseconds())/float64(n), "rest-cpu-us/capture")
	sdkRate := float64(n) / sdkTime.Seconds()
	restRate := float64(n) / restTime.Seconds()
	b.ReportMetric(sdkRate, "sdk-captures/s")
	b.ReportMetric(restRate, "rest-captures/s")
	b.ReportMetric(restRate/sdkRate, "rest/sdk")
	b.ReportMetric(0, "ns/op")
}

// processCPU is the CPU time this process has used (user and system, all
// threads): emulator, shop and clients run in it, so a path's share over a
// phase is its whole cost per capture (PostgreSQL's server processes are not
// counted).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// delayCaptures arms the emulator's delay fault for every CaptureCharge
// call from now on, through its control API.
func delayCaptures(b *testing.B, emulatorURL string, d time.Duration) {
	body := fmt.Sprintf(`{"operation":"CaptureCharge","kind":"delay","count":1000000000,"delay":%q}`, d.String())
	resp, err := http.Post(emulatorURL+"/_emulator/faults", "application/json", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("arming the delay fault: status %d", resp.StatusCode)
	}
}

func orderOptions() paymentstest.OrderOptions { return paymentstest.OrderOptions{Total: 10000} }

// run does fn for i in [from, to) with benchConcurrency workers and
// returns the wall time.
func run(b *testing.B, from, to int, fn func(i int) error) time.Duration {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConcurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// prepare does fn for i in [0, n) with a few workers, untimed.
func prepare(b *testing.B, n int, fn func(i int) error) {
	b.StopTimer()
	defer b.StartTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
