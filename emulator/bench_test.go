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
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// BenchmarkVerifiedGet measures pre-signed Get Charge requests through the
// emulator handler on a local server at concurrency 8 (signature
// verification, policy, routing, state lock, JSON). Compare with
// BenchmarkBareVerifyPSS, the floor: a bare server doing only rsa.VerifyPSS.
func BenchmarkVerifiedGet(b *testing.B) {
	runParallel8(b, verifiedGetTarget(b).caller())
}

// BenchmarkBareVerifyPSS is the reference for BenchmarkVerifiedGet: a bare
// net/http server that only verifies one RSASSA-PSS signature per request.
func BenchmarkBareVerifyPSS(b *testing.B) {
	runParallel8(b, bareVerifyTarget(b).caller())
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

// verifiedGetTarget starts the emulator on a local server with an
// authorized charge and returns pre-signed Get Charge requests for it. The
// test clock stands still, so the signatures stay inside the date window.
func verifiedGetTarget(b *testing.B) loadTarget {
	e := newTestEnv(b)
	e.now = time.Now().UTC()
	id := e.checkout("Authorize", "10.00", "USD", "1111", "")
	chID := str(wantStatus(b, e.complete(id, "10.00", "USD"), 200), "chargeId")
	hs := httptest.NewServer(e.srv.Handler())
	b.Cleanup(hs.Close)
	e.host = hs.Listener.Addr().String()
	t := loadTarget{URL: hs.URL + "/v2/charges/" + chID}
	for range 64 {
		t.Headers = append(t.Headers, e.signed(req{method: "GET", path: "/v2/charges/" + chID}).Header)
	}
	return t
}

// bareVerifyTarget starts a bare net/http server that only verifies one
// RSASSA-PSS signature per request and returns requests for it.
func bareVerifyTarget(b *testing.B) loadTarget {
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
	return loadTarget{URL: hs.URL + "/", Headers: []http.Header{{"Authorization": {sigB64}}}}
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

// TestCanonicalHeaderNames checks that the hot path's header name constants
// are the canonical forms of the signing package's names, so looking them
// up finds the same headers without canonicalising on every request.
func TestCanonicalHeaderNames(t *testing.T) {
	for got, name := range map[string]string{
		hdrDate:           signing.HeaderDate,
		hdrHost:           signing.HeaderHost,
		hdrRegion:         signing.HeaderRegion,
		hdrIdempotencyKey: signing.HeaderIdempotencyKey,
		hdrRequestID:      signing.HeaderRequestID,
		hdrSimulationCode: signing.HeaderSimulationCode,
	} {
		if want := http.CanonicalHeaderKey(name); got != want {
			t.Errorf("constant for %s is %q, want %q", name, got, want)
		}
	}
}
