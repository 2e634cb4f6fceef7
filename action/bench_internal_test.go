package action

import (
	"net/http"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
)

// BenchmarkOverheadOffline isolates the runner's own work (decoding,
// checking, re-encoding) from the network and the emulator: both sides sign
// and send a Capture Charge through a transport that answers at once.
//
//	go test -run '^$' -bench OverheadOffline ./action
func BenchmarkOverheadOffline(b *testing.B) {
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID("SANDBOX-BENCH"), amazonpay.WithRSAPrivateKey(testKey()),
		amazonpay.WithRegion("us"), amazonpay.WithHTTPClient(&http.Client{Transport: offline{}}))
	if err != nil {
		b.Fatal(err)
	}
	r := NewRunner(c)
	doc := []byte(`{"action":"CaptureCharge","chargeId":"S01-5105180-3221187-C056351","captureAmount":{"amount":"10.00","currencyCode":"USD"},"softDescriptor":"SOFT_DESCRIPTOR","idempotencyKey":"bench-capture-1"}`)
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _, err := c.Charges.Capture(b.Context(), "S01-5105180-3221187-C056351",
				&amazonpay.CaptureChargeRequest{CaptureAmount: amazonpay.Price{Amount: "10.00", CurrencyCode: "USD"}, SoftDescriptor: "SOFT_DESCRIPTOR"},
				amazonpay.WithIdempotencyKey("bench-capture-1"))
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("action", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res := r.Run(b.Context(), doc); res.Status != 200 {
				b.Fatalf("%d %s", res.Status, res.Body)
			}
		}
	})
}

// BenchmarkPrepare is the runner's work alone, without signing or sending:
// decode the document, check ids and amounts, fill the SDK request. Its
// ns/op is the absolute overhead an action adds to an SDK call.
func BenchmarkPrepare(b *testing.B) {
	r := NewRunner(nil)
	doc := []byte(`{"action":"CaptureCharge","chargeId":"S01-5105180-3221187-C056351","captureAmount":{"amount":"10.00","currencyCode":"USD"},"softDescriptor":"SOFT_DESCRIPTOR","idempotencyKey":"bench-capture-1"}`)
	b.ReportAllocs()
	for b.Loop() {
		d, err := Decode(doc)
		if err != nil {
			b.Fatal(err)
		}
		c, err := r.prepare(d)
		if err != nil {
			b.Fatal(err)
		}
		var req amazonpay.CaptureChargeRequest
		if err := c.decode(&req); err != nil {
			b.Fatal(err)
		}
	}
}
