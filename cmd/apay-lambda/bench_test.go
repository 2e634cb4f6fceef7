package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
)

// BenchmarkInvokeOverhead compares a Get Checkout Session made directly
// with the SDK against the same call arriving as an API Gateway HTTP API
// event (unwrap, API key check, document, runner, proxy response), both
// against the same in-process emulator. The ratio of the ns/op figures is
// the Lambda handler's per-invocation overhead.
//
//	go test -run '^$' -bench InvokeOverhead -benchtime 2s ./cmd/apay-lambda
func BenchmarkInvokeOverhead(b *testing.B) {
	const keyID = "SANDBOX-LAMBDABENCH0000000000"
	url := emulatorFor(b, keyID)
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID(keyID), amazonpay.WithRSAPrivateKey(testKey()),
		amazonpay.WithRegion("us"), amazonpay.WithBaseURL(url))
	if err != nil {
		b.Fatal(err)
	}
	cs, _, err := c.CheckoutSessions.Create(context.Background(), &amazonpay.CreateCheckoutSessionRequest{
		StoreID:            "amzn1.application-oa2-client.bench",
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://a.com/review"},
	})
	if err != nil {
		b.Fatal(err)
	}
	h := newHandler(&settings{client: c, keys: action.APIKeyAuth("bench-key")}, discardLogger())
	ev, _ := json.Marshal(httpAPIEvent("POST /action", "api.example.com", "POST", "Bearer bench-key",
		`{"action":"GetCheckoutSession","checkoutSessionId":"`+cs.CheckoutSessionID+`"}`, false))

	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := c.CheckoutSessions.Get(b.Context(), cs.CheckoutSessionID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lambda-httpapi", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := h.Invoke(b.Context(), ev)
			if err != nil || len(out) < 20 || string(out[:17]) != `{"statusCode":200` {
				b.Fatalf("%s %v", out, err)
			}
		}
	})
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
