package payments_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestReauthorization authorizes, moves the emulator's clock, captures: a
// new charge is authorized and captured on the same charge permission, the
// old one shows expired (or canceled, when it was only about to expire),
// nothing is captured twice, and the history shows every step.
func TestReauthorization(t *testing.T) {
	tests := []struct {
		name string
		// advance moves the emulator's clock.
		advance time.Duration
		// shopClockBehind keeps the shop on the real clock, so it learns
		// of the expiry only from Amazon Pay's refusal.
		shopClockBehind bool
		oldState        amazonpay.ChargeState
		oldReason       amazonpay.ReasonCode
	}{
		{"expired", 31 * 24 * time.Hour, false, amazonpay.ChargeCanceled, amazonpay.ReasonExpiredUnused},
		{"expired, shop unaware", 31 * 24 * time.Hour, true, amazonpay.ChargeCanceled, amazonpay.ReasonExpiredUnused},
		{"about to expire", 29*24*time.Hour + 12*time.Hour, false, amazonpay.ChargeCanceled, amazonpay.ReasonMerchantCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
				ctx := context.Background()
				var opts []paymentstest.Option
				if tt.shopClockBehind {
					opts = append(opts, func(c *payments.Config) { c.Now = time.Now })
				}
				env := paymentstest.New(t, db, opts...)
				o := env.Order(ctx, paymentstest.OrderOptions{Total: 8000})
				p, err := db.Payment(ctx, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				oldID := p.Charges[0].ID
				env.Amazon.AdvanceClock(tt.advance)

				res, err := env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "late-capture"})
				if err != nil {
					t.Fatal(err)
				}
				if res.Replaced == nil || res.Replaced.ID != oldID {
					t.Fatalf("replaced %+v, want %s", res.Replaced, oldID)
				}
				if res.Charge.ID == oldID || res.Charge.State != shop.ChargeCaptured || res.Charge.CapturedAmount != 8000 {
					t.Fatalf("new charge %+v", res.Charge)
				}
				if res.Order.Status != shop.StatusCaptured || res.Order.Captured != 8000 {
					t.Fatalf("order %s captured %d", res.Order.Status, res.Order.Captured)
				}
				old := env.Charge(ctx, oldID)
				if old.State() != tt.oldState || old.StatusDetails.ReasonCode != tt.oldReason {
					t.Fatalf("old charge at Amazon Pay: %s %s", old.State(), old.StatusDetails.ReasonCode)
				}
				if stored := findCharge(t, env, o.ID, oldID); stored.State != shop.ChargeCanceled {
					t.Fatalf("old charge stored as %s", stored.State)
				}
				if got := env.Charge(ctx, res.Charge.ID); got.ChargePermissionID != p.ChargePermissionID || got.State() != amazonpay.ChargeCaptured {
					t.Fatalf("new charge at Amazon Pay: %s on %s", got.State(), got.ChargePermissionID)
				}
				// A retry of the same request replays; nothing more is
				// authorized or captured.
				again, err := env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "late-capture"})
				if err != nil || !again.Replayed || again.Charge.ID != res.Charge.ID {
					t.Fatalf("retry: %+v %v", again, err)
				}
				c := calls(t, env, o.ID)
				if c["CreateCharge"] != 1 {
					t.Fatalf("%d CreateCharge calls", c["CreateCharge"])
				}
				h, err := payments.History(ctx, db, o.ID)
				if err != nil {
					t.Fatal(err)
				}
				var notes []string
				for _, e := range h {
					if e.Note != "" && e.Status == "succeeded" {
						notes = append(notes, e.Note)
					}
				}
				if !strings.Contains(strings.Join(notes, "|"), "new authorization") {
					t.Fatalf("history does not show the re-authorization: %q", notes)
				}
			})
		})
	}
}

// TestReauthorizationRefused: an expired authorization on a closed charge
// permission cannot be replaced; the capture is refused with Amazon Pay's
// reason and no charge is created.
func TestReauthorizationRefused(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 8000})
		p, _ := db.Payment(ctx, o.ID)
		if _, _, err := env.Amazon.Client.ChargePermissions.Close(ctx, p.ChargePermissionID, &amazonpay.CloseChargePermissionRequest{ClosureReason: "test"}); err != nil {
			t.Fatal(err)
		}
		if err := env.Service.Sync(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		env.Amazon.AdvanceClock(31 * 24 * time.Hour)
		_, err := env.Service.Capture(ctx, o.ID, payments.Request{})
		if code(t, err) != string(amazonpay.ReasonInvalidChargePermissionStatus) && code(t, err) != string(amazonpay.ReasonInvalidChargeStatus) {
			t.Fatalf("capture: %v", err)
		}
		if c := calls(t, env, o.ID)["CreateCharge"]; c != 0 {
			t.Fatalf("%d CreateCharge calls", c)
		}
	})
}

// TestCloseAuthorization cancels the authorization: the order is canceled
// and the charge permission is Chargeable again.
func TestCloseAuthorization(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 3000})
		res, err := env.Service.CloseAuthorization(ctx, o.ID, payments.Request{Reason: "out of stock"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Order.Status != shop.StatusCanceled || res.Order.Authorized != 0 {
			t.Fatalf("order %s authorized %d", res.Order.Status, res.Order.Authorized)
		}
		if res.Charge.State != shop.ChargeCanceled || res.Payment.ChargePermissionState != "Chargeable" {
			t.Fatalf("charge %s, charge permission %s", res.Charge.State, res.Payment.ChargePermissionState)
		}
		if c := calls(t, env, o.ID); c["CancelCharge"] != 1 || c["GetChargePermission"] < 1 {
			t.Fatalf("calls %v", c)
		}
	})
}

func findCharge(t *testing.T, env *paymentstest.Env, orderID int64, id string) shop.Charge {
	t.Helper()
	p, err := env.DB.Payment(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Charges {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("charge %s not stored", id)
	return shop.Charge{}
}

// TestAsyncCapture: a capture more than 7 days after authorization is
// CaptureInitiated at Amazon Pay; the answer says pending, and the order
// is captured once the reconciler reads the charge again.
func TestAsyncCapture(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		env := paymentstest.New(t, db)
		o := env.Order(ctx, paymentstest.OrderOptions{Total: 2000})
		env.Amazon.AdvanceClock(8 * 24 * time.Hour)
		res, err := env.Service.Capture(ctx, o.ID, payments.Request{IdempotencyKey: "slow"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Pending || res.Charge.State != shop.ChargeCaptureInitiated || res.Order.Status != shop.StatusAuthorized {
			t.Fatalf("capture: pending %v, charge %s, order %s", res.Pending, res.Charge.State, res.Order.Status)
		}
		env.Amazon.AdvanceClock(31 * time.Second)
		if rep, err := env.Service.Reconcile(ctx); err != nil || rep.Synced != 1 {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		if got := mustOrder(t, env, o.ID); got.Status != shop.StatusCaptured || got.Captured != 2000 {
			t.Fatalf("order %s captured %d", got.Status, got.Captured)
		}
	})
}
