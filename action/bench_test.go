package action_test

import (
	"testing"
)

// BenchmarkOverhead compares one Get Checkout Session made directly with
// the SDK against the same call made from an action document by the
// runner, both against the same in-process emulator. The ratio of the two
// ns/op figures is the runner's per-call overhead (goal: at most 1.1).
//
//	go test -run '^$' -bench Overhead -benchtime 2s ./action
func BenchmarkOverhead(b *testing.B) {
	e := newEmulator(b, "us")
	res, out := e.run(b, `{"action":"CreateCheckoutSession","storeId":"amzn1.application-oa2-client.bench","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.com/review"}}`)
	if res.Status != 201 {
		b.Fatalf("%d %s", res.Status, res.Body)
	}
	cs := str(out, "checkoutSessionId")
	doc := []byte(`{"action":"GetCheckoutSession","checkoutSessionId":"` + cs + `"}`)

	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.client.CheckoutSessions.Get(b.Context(), cs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("action", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res := e.runner.Run(b.Context(), doc); res.Status != 200 {
				b.Fatalf("%d %s", res.Status, res.Body)
			}
		}
	})
}
