package sqlstore_test

import (
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestPayments(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		p := &shop.Payment{OrderID: o.ID, CheckoutSessionID: "cs-1"}
		must(t, db.SavePayment(ctx, p))
		p.ChargePermissionID, p.ChargePermissionType, p.ChargePermissionState = "S01-1", "OneTime", "Chargeable"
		must(t, db.SavePayment(ctx, p))
		wantCode(t, db.SavePayment(ctx, &shop.Payment{OrderID: 999}), shop.ENOTFOUND)
		other := mustOrder(t, db)
		wantCode(t, db.SavePayment(ctx, &shop.Payment{OrderID: other.ID, CheckoutSessionID: "cs-1"}), shop.ECONFLICT)

		expires := db.clock.Now().Add(30 * 24 * time.Hour)
		ch := &shop.Charge{ID: "S01-1-C1", OrderID: o.ID, Amount: 10000, State: shop.ChargeAuthorizationInitiated}
		prev, err := db.UpsertCharge(ctx, ch)
		must(t, err)
		if prev != "" {
			t.Fatalf("new charge prev state %q", prev)
		}
		ch.State, ch.ExpiresAt = shop.ChargeAuthorized, expires
		prev, err = db.UpsertCharge(ctx, ch)
		must(t, err)
		if prev != shop.ChargeAuthorizationInitiated {
			t.Fatalf("prev = %q", prev)
		}
		if evs := shop.ChargeEvents(prev, *ch); len(evs) != 1 || evs[0].Kind != shop.EventAuthorized {
			t.Fatalf("events %v", evs)
		}
		_, err = db.UpsertCharge(ctx, &shop.Charge{ID: "S01-1-C1", OrderID: other.ID, Amount: 1, State: shop.ChargeAuthorized})
		wantCode(t, err, shop.ECONFLICT)
		_, err = db.UpsertCharge(ctx, &shop.Charge{ID: "X", OrderID: 999, Amount: 1})
		wantCode(t, err, shop.ENOTFOUND)

		exp, err := db.ExpiringCharges(ctx, expires.Add(time.Second), 0)
		must(t, err)
		if len(exp) != 1 || exp[0].ID != ch.ID || !exp[0].ExpiresAt.Equal(expires) {
			t.Fatalf("ExpiringCharges = %+v", exp)
		}
		if exp, _ := db.ExpiringCharges(ctx, expires, 0); len(exp) != 0 {
			t.Fatalf("charge expiring at t listed for before t")
		}

		ch.State, ch.CapturedAmount = shop.ChargeCaptured, 10000
		_, err = db.UpsertCharge(ctx, ch)
		must(t, err)
		r := &shop.Refund{ID: "S01-1-R1", OrderID: o.ID, ChargeID: ch.ID, Amount: 2500, State: shop.RefundInitiated}
		rprev, err := db.UpsertRefund(ctx, r)
		must(t, err)
		if rprev != "" {
			t.Fatalf("new refund prev %q", rprev)
		}
		r.State = shop.RefundRefunded
		rprev, err = db.UpsertRefund(ctx, r)
		must(t, err)
		if rprev != shop.RefundInitiated {
			t.Fatalf("refund prev %q", rprev)
		}

		for name, l := range map[string]shop.PaymentLookup{
			"checkout session":  {CheckoutSessionID: "cs-1"},
			"charge permission": {ChargePermissionID: "S01-1"},
			"charge":            {ChargeID: ch.ID},
			"refund":            {RefundID: r.ID},
		} {
			got, err := db.FindPayment(ctx, l)
			if err != nil {
				t.Fatalf("FindPayment by %s: %v", name, err)
			}
			if got.OrderID != o.ID || len(got.Charges) != 1 || len(got.Refunds) != 1 || got.ChargePermissionType != "OneTime" ||
				got.Charges[0].State != shop.ChargeCaptured || got.Refunds[0].State != shop.RefundRefunded {
				t.Fatalf("FindPayment by %s = %+v", name, got)
			}
		}
		_, err = db.FindPayment(ctx, shop.PaymentLookup{ChargeID: "nope"})
		wantCode(t, err, shop.ENOTFOUND)
		_, err = db.FindPayment(ctx, shop.PaymentLookup{})
		wantCode(t, err, shop.EINVALID)
	})
}

func TestAmazonCallLog(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		calls := []*shop.AmazonCall{
			{OrderID: o.ID, Operation: "CompleteCheckoutSession", ResourceID: "cs-1", IdempotencyKey: "k1", RequestID: "r1", HTTPStatus: 200, Duration: 120 * time.Millisecond},
			{OrderID: o.ID, Operation: "CaptureCharge", ResourceID: "S01-1-C1", IdempotencyKey: "k2", HTTPStatus: 422, ReasonCode: "InvalidChargeStatus"},
			{Operation: "GetReports", HTTPStatus: 0, Error: "timeout"},
		}
		for _, c := range calls {
			must(t, db.AppendAmazonCall(ctx, c))
		}
		wantCode(t, db.AppendAmazonCall(ctx, &shop.AmazonCall{}), shop.EINVALID)
		got, err := db.AmazonCalls(ctx, shop.AmazonCallFilter{OrderID: o.ID})
		must(t, err)
		if len(got) != 2 || got[0].Operation != "CaptureCharge" || got[0].ReasonCode != "InvalidChargeStatus" ||
			got[1].Duration != 120*time.Millisecond || got[1].RequestID != "r1" {
			t.Fatalf("AmazonCalls = %+v", got)
		}
		all, err := db.AmazonCalls(ctx, shop.AmazonCallFilter{})
		must(t, err)
		if len(all) != 3 || all[0].OrderID != 0 || all[0].Error != "timeout" {
			t.Fatalf("all calls = %+v", all)
		}
		// The log is append-only in the database itself.
		if _, err := db.SQLDB().ExecContext(ctx, `UPDATE amazon_calls SET http_status = 200`); err == nil {
			t.Error("UPDATE of amazon_calls succeeded")
		}
		if _, err := db.SQLDB().ExecContext(ctx, `DELETE FROM amazon_calls`); err == nil {
			t.Error("DELETE from amazon_calls succeeded")
		}
	})
}
