package amazonpay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// benchConcurrency is the number of goroutines the parallel benchmarks
// run, whatever GOMAXPROCS is (rounded up to a multiple of it).
const benchConcurrency = 8

func setBenchParallelism(b *testing.B) {
	b.SetParallelism(max(1, (benchConcurrency+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0)))
}

const benchChargeJSON = `{"chargeId":"S01-5105180-3221187-C056351","chargePermissionId":"S01-5105180-3221187",` +
	`"chargeAmount":{"amount":"14.00","currencyCode":"USD"},"statusDetails":{"state":"Authorized",` +
	`"reasonCode":null,"reasonDescription":null,"lastUpdatedTimestamp":"20240115T123456Z"},` +
	`"creationTimestamp":"20240115T123456Z","expirationTimestamp":"20240214T123456Z","releaseEnvironment":"Sandbox"}`

// BenchmarkClientGetCharge is one signed Get Charge against a local TLS
// server, 8 calls in flight. The server only writes a fixed body, so the
// figure is dominated by the client: building, signing (one RSASSA-PSS
// signature), TLS and decoding. cpu-ns/op is the process's CPU time per
// call (client and the minimal server together); compare it with
// BenchmarkBareSignPSS.
func BenchmarkClientGetCharge(b *testing.B) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amz-pay-request-id", "bench")
		w.Write([]byte(benchChargeJSON))
	}))
	defer srv.Close()
	hc := srv.Client()
	hc.Transport.(*http.Transport).MaxIdleConnsPerHost = benchConcurrency
	c, err := NewClient(WithPublicKeyID("SANDBOX-AEXAMPLEPUBLICKEYID"), WithRSAPrivateKey(testKey()),
		WithRegion("us"), WithBaseURL(srv.URL), WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if _, _, err := c.Charges.Get(ctx, "S01-5105180-3221187-C056351"); err != nil {
		b.Fatal(err)
	}
	setBenchParallelism(b)
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.Charges.Get(ctx, "S01-5105180-3221187-C056351"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkBareSignPSS is rsa.SignPSS alone with the same key and salt, 8
// goroutines as above: the floor under a signed call.
func BenchmarkBareSignPSS(b *testing.B) {
	key := testKey()
	digest := sha256.Sum256([]byte("AMZN-PAY-RSASSA-PSS-V2\n45e032d4868bfb7025640c39f4e54f13078d238ed74f4fb21b8f6c56dd8785b7"))
	opts := &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}
	setBenchParallelism(b)
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rsa.SignPSS(rand.Reader, key, crypto.SHA256, digest[:], opts); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkParseAmount is the money parser on a typical amount.
func BenchmarkParseAmount(b *testing.B) {
	for b.Loop() {
		if _, err := ParseAmount("12345.67", "USD"); err != nil {
			b.Fatal(err)
		}
	}
}
