package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
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
	e := newTestEnv(b)
	e.now = time.Now().UTC()
	id := e.checkout("Authorize", "10.00", "USD", "1111", "")
	chID := str(wantStatus(b, e.complete(id, "10.00", "USD"), 200), "chargeId")
	hs := httptest.NewServer(e.srv.Handler())
	defer hs.Close()
	e.host = hs.Listener.Addr().String()
	const n = 64
	reqs := make([]*http.Request, n)
	for i := range reqs {
		r := e.signed(req{method: "GET", path: "/v2/charges/" + chID})
		r.RequestURI = ""
		r.URL.Scheme, r.URL.Host = "http", e.host
		reqs[i] = r
	}
	client := hs.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	var next atomic.Int64
	do := func() error {
		i := next.Add(1)
		r := reqs[i%n].Clone(reqs[i%n].Context())
		res, err := client.Do(r)
		if err != nil {
			return err
		}
		drain(res)
		if res.StatusCode != 200 {
			return errStatus(res.StatusCode)
		}
		return nil
	}
	for range b.N {
		halfLoadLatency(b, do)
	}
}

// BenchmarkBareVerifyPSSP99HalfLoad is the reference: the same procedure
// against a bare net/http server that only verifies one signature.
func BenchmarkBareVerifyPSSP99HalfLoad(b *testing.B) {
	k, _ := keys(b)
	digest := sha256.Sum256([]byte("AMZN-PAY-RSASSA-PSS-V2\nabc"))
	sig, err := rsa.SignPSS(rand.Reader, k, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 32})
	if err != nil {
		b.Fatal(err)
	}
	sigB64 := base64.StdEncoding.EncodeToString(sig)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := base64.StdEncoding.DecodeString(r.Header.Get("Authorization"))
		d := sha256.Sum256([]byte("AMZN-PAY-RSASSA-PSS-V2\nabc"))
		if rsa.VerifyPSS(&k.PublicKey, crypto.SHA256, d[:], s, &rsa.PSSOptions{SaltLength: 32}) != nil {
			w.WriteHeader(403)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer hs.Close()
	client := hs.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	do := func() error {
		r, _ := http.NewRequest("GET", hs.URL+"/", nil)
		r.Header.Set("Authorization", sigB64)
		res, err := client.Do(r)
		if err != nil {
			return err
		}
		drain(res)
		if res.StatusCode != 200 {
			return errStatus(res.StatusCode)
		}
		return nil
	}
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

	// Open loop at half the rate for 2 s.
	interval := time.Duration(float64(time.Second) / rate)
	total := int(2 * rate)
	lat := make([]time.Duration, total)
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		wg.Go(func() {
			t0 := time.Now()
			if err := do(); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	slices.Sort(lat)
	b.ReportMetric(maxRate, "max-req/s")
	b.ReportMetric(rate, "offered-req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
