package amazonpaytest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
)

func usd(t *testing.T, amount string) amazonpay.Price {
	t.Helper()
	p, err := amazonpay.ParsePrice(amount, "USD")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkout runs create → buyer → update → confirm with the SDK.
func checkout(t *testing.T, srv *amazonpaytest.Server, intent amazonpay.PaymentIntent, amount string, buyer amazonpaytest.Buyer) string {
	t.Helper()
	ctx := t.Context()
	cs, _, err := srv.Client.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.test",
	}, amazonpay.WithIdempotencyKey("create"+strings.ReplaceAll(t.Name(), "/", "")[:8]+amount[:1]))
	if err != nil {
		t.Fatal(err)
	}
	review, err := srv.BuyerSignIn(ctx, cs.CheckoutSessionID, buyer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(review, "amazonCheckoutSessionId="+cs.CheckoutSessionID) {
		t.Fatalf("review URL %q", review)
	}
	upd, _, err := srv.Client.CheckoutSessions.Update(ctx, cs.CheckoutSessionID, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
		PaymentDetails:     &amazonpay.PaymentDetails{PaymentIntent: intent, ChargeAmount: usd(t, amount)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.WebCheckoutDetails == nil || upd.WebCheckoutDetails.AmazonPayRedirectURL == "" {
		t.Fatalf("no amazonPayRedirectUrl after update: %+v", upd.WebCheckoutDetails)
	}
	if _, err := srv.Confirm(ctx, cs.CheckoutSessionID); err != nil {
		t.Fatal(err)
	}
	return cs.CheckoutSessionID
}

func TestNewServer_FullFlowWithSDK(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	ctx := t.Context()
	id := checkout(t, srv, amazonpay.PaymentIntentAuthorize, "25.00", amazonpaytest.Buyer{})
	done, res, err := srv.Client.CheckoutSessions.Complete(ctx, id, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usd(t, "25.00")}, amazonpay.WithIdempotencyKey("complete1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || done.ChargeID == "" || done.ChargePermissionID == "" {
		t.Fatalf("complete: %d %+v", res.StatusCode, done)
	}
	ch, _, err := srv.Client.Charges.Capture(ctx, done.ChargeID, &amazonpay.CaptureChargeRequest{CaptureAmount: usd(t, "25.00")}, amazonpay.WithIdempotencyKey("capture1"))
	if err != nil {
		t.Fatal(err)
	}
	if ch.StatusDetails.State != "Captured" {
		t.Fatalf("capture state %s", ch.StatusDetails.State)
	}
	rf, _, err := srv.Client.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{ChargeID: done.ChargeID, RefundAmount: usd(t, "5.00")}, amazonpay.WithIdempotencyKey("refund1"))
	if err != nil {
		t.Fatal(err)
	}
	srv.AdvanceClock(time.Minute)
	rf, _, err = srv.Client.Refunds.Get(ctx, rf.RefundID)
	if err != nil {
		t.Fatal(err)
	}
	if rf.StatusDetails.State != "Refunded" {
		t.Fatalf("refund state %s", rf.StatusDetails.State)
	}
	if len(srv.Notifications()) == 0 {
		t.Fatal("no notifications")
	}
}

func TestNewServer_DeclinedCardAndExpiry(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	ctx := t.Context()
	id := checkout(t, srv, amazonpay.PaymentIntentAuthorize, "10.00", amazonpaytest.Buyer{PaymentMethod: "3434"})
	_, _, err := srv.Client.CheckoutSessions.Complete(ctx, id, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usd(t, "10.00")})
	var apiErr *amazonpay.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 422 || apiErr.ReasonCode != "CheckoutSessionCanceled" {
		t.Fatalf("complete after a declined card: %v", err)
	}

	id = checkout(t, srv, amazonpay.PaymentIntentAuthorize, "20.00", amazonpaytest.Buyer{})
	done, _, err := srv.Client.CheckoutSessions.Complete(ctx, id, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usd(t, "20.00")})
	if err != nil {
		t.Fatal(err)
	}
	srv.AdvanceClock(30*24*time.Hour + time.Second)
	ch, _, err := srv.Client.Charges.Get(ctx, done.ChargeID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.StatusDetails.State != "Canceled" || ch.StatusDetails.ReasonCode != "ExpiredUnused" {
		t.Fatalf("after 30 days: %s/%s", ch.StatusDetails.State, ch.StatusDetails.ReasonCode)
	}
}

func TestNewServer_LiveKey(t *testing.T) {
	srv := amazonpaytest.NewServer(t, amazonpaytest.WithLive(), amazonpaytest.WithAlgorithm("AMZN-PAY-RSASSA-PSS"))
	if !strings.HasPrefix(srv.PublicKeyID, "LIVE-") {
		t.Fatalf("key id %s", srv.PublicKeyID)
	}
	cs, _, err := srv.Client.CheckoutSessions.Create(context.Background(), &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cs.ReleaseEnvironment != "Live" {
		t.Fatalf("releaseEnvironment %q", cs.ReleaseEnvironment)
	}
	token, buyerID := srv.NewBuyerToken("someone@example.com")
	b, _, err := srv.Client.Buyers.Get(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if b.BuyerID != buyerID || b.Email != "someone@example.com" {
		t.Fatalf("buyer %+v", b)
	}
}
