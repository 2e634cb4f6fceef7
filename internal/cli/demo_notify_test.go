package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestDemo_NotificationsReachTheShop runs a payment against the demo's
// emulator and checks that every notification it sends arrives at the
// shop's endpoint, passes the shop's signature check (the emulator's CA and
// HTTPS certificate URL) and is recorded: a forged or unverifiable one would
// be answered 403 and never recorded.
func TestDemo_NotificationsReachTheShop(t *testing.T) {
	store := sqlstoretest.SQLite(t)
	d := runDemoInProcess(t, store)
	ctx := context.Background()
	key, id, err := demoKey(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID(id), amazonpay.WithRSAPrivateKey(key), amazonpay.WithRegion("us"),
		amazonpay.WithBaseURL(d.EmulatorURL))
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err := c.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{StoreID: "amzn1.application-oa2-client.apaydemo",
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: d.StorefrontURL + "/review"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Emulator.SignIn(cs.CheckoutSessionID, emulator.BuyerInput{}); err != nil {
		t.Fatal(err)
	}
	amount := amazonpay.Price{Amount: "20.00", CurrencyCode: "USD"}
	if _, _, err := c.CheckoutSessions.Update(ctx, cs.CheckoutSessionID, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: d.StorefrontURL + "/result"},
		PaymentDetails:     &amazonpay.PaymentDetails{PaymentIntent: amazonpay.PaymentIntentAuthorize, ChargeAmount: amount}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Emulator.Confirm(cs.CheckoutSessionID, false); err != nil {
		t.Fatal(err)
	}
	done, _, err := c.CheckoutSessions.Complete(ctx, cs.CheckoutSessionID, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: amount})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Charges.Capture(ctx, done.ChargeID, &amazonpay.CaptureChargeRequest{CaptureAmount: amount}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{ChargeID: done.ChargeID, RefundAmount: amazonpay.Price{Amount: "5.00", CurrencyCode: "USD"}}); err != nil {
		t.Fatal(err)
	}
	d.Emulator.AdvanceClock(time.Hour) // the refund settles, asynchronously
	res, err := http.Post(d.EmulatorURL+"/_emulator/notifications/flush", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()

	sent := d.Emulator.Notifications()
	var sawRefund bool
	for _, n := range sent {
		if n.ObjectType == "REFUND" {
			sawRefund = true
		}
		if _, err := store.Notification(ctx, n.NotificationID); err != nil {
			t.Errorf("notification %s (%s %s) was not accepted by the shop: %v", n.NotificationID, n.ObjectType, n.ObjectID, err)
		}
	}
	if !sawRefund {
		t.Fatalf("the emulator sent no REFUND notification: %+v", sent)
	}
}
