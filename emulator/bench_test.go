package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// BenchmarkVerifiedGet measures pre-signed Get Charge requests through the
// emulator handler on a local server at concurrency 8 (signature
// verification, policy, routing, state lock, JSON). Compare with
// BenchmarkBareVerifyPSS, the floor: a bare server doing only rsa.VerifyPSS.
func BenchmarkVerifiedGet(b *testing.B) {
	runParallel8(b, verifiedGetCaller(b))
}

// BenchmarkBareVerifyPSS is the reference for BenchmarkVerifiedGet: a bare
// net/http server that only verifies one RSASSA-PSS signature per request.
func BenchmarkBareVerifyPSS(b *testing.B) {
	runParallel8(b, bareVerifyCaller(b))
}

// runParallel8 runs do with 8 calls in flight.
func runParallel8(b *testing.B, do func() error) {
	b.SetParallelism(8 / max(runtime.GOMAXPROCS(0), 1))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := do(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// verifiedGetCaller starts the emulator on a local server with an
// authorized charge and returns a function that sends one pre-signed Get
// Charge request through it.
func verifiedGetCaller(b *testing.B) func() error {
	e := newTestEnv(b)
	e.now = time.Now().UTC()
	id := e.checkout("Authorize", "10.00", "USD", "1111", "")
	chID := str(wantStatus(b, e.complete(id, "10.00", "USD"), 200), "chargeId")
	hs := httptest.NewServer(e.srv.Handler())
	b.Cleanup(hs.Close)
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
	return func() error {
		i := next.Add(1) % n
		return expect200(client.Do(reqs[i].Clone(reqs[i].Context())))
	}
}

// bareVerifyCaller starts a bare net/http server that only verifies one
// RSASSA-PSS signature per request and returns a function that calls it.
func bareVerifyCaller(b *testing.B) func() error {
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
	b.Cleanup(hs.Close)
	client := hs.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return func() error {
		r, _ := http.NewRequest("GET", hs.URL+"/", nil)
		r.Header.Set("Authorization", sigB64)
		return expect200(client.Do(r))
	}
}

func expect200(res *http.Response, err error) error {
	if err != nil {
		return err
	}
	drain(res)
	if res.StatusCode != 200 {
		return errStatus(res.StatusCode)
	}
	return nil
}

func drain(res *http.Response) {
	buf := make([]byte, 4096)
	for {
		if _, err := res.Body.Read(buf); err != nil {
			break
		}
	}
	_ = res.Body.Close()
}

// BenchmarkMemoryPer100kCharges stores 100,000 captured charges (with their
// charge permissions) and reports the heap they take, per charge.
func BenchmarkMemoryPer100kCharges(b *testing.B) {
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		srv, err := New(Options{TickInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC()
		o := Owner{MerchantID: "AMERCHANT", Env: Sandbox}
		srv.mu.Lock()
		for range 100_000 {
			cs := &CheckoutSession{Owner: o, ChargePermissionType: "OneTime", ChargeAmount: &money{1000, "USD"}}
			cs.Buyer = &BuyerInfo{BuyerID: "amzn1.account.X", Name: "Test Buyer SBX", Email: "buyer@example.com"}
			cp := srv.newChargePermission(o, cs, now)
			srv.addChargePermission(cp)
			ch := srv.newCharge(cp, money{1000, "USD"}, now)
			ch.authorize(now)
			ch.capture(money{1000, "USD"}, now)
			srv.addCharge(ch)
		}
		srv.mu.Unlock()
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/100_000, "heapB/charge")
		_ = srv.Close()
		b.StartTimer()
	}
}

var _ = signing.FormatDate
