package sqlstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// TestOrdersAmazonFilters checks the filters on an order's Amazon Pay side
// and creation time, each alone and combined, on both databases.
func TestOrdersAmazonFilters(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		unpaid := mustOrder(t, db) // no payment row at all
		started := mustOrder(t, db)
		must(t, db.SavePayment(ctx, &shop.Payment{OrderID: started.ID, CheckoutSessionID: "cs-started"}))
		db.clock.Advance(time.Hour)
		authorized := mustOrder(t, db)
		must(t, db.SavePayment(ctx, &shop.Payment{OrderID: authorized.ID, CheckoutSessionID: "cs-a",
			ChargePermissionID: "S01-A", ChargePermissionType: "OneTime", ChargePermissionState: "Chargeable"}))
		_, err := db.UpsertCharge(ctx, &shop.Charge{ID: "S01-A-C1", OrderID: authorized.ID, Amount: 100, State: shop.ChargeAuthorized})
		must(t, err)
		db.clock.Advance(time.Hour)
		refunded := mustOrder(t, db)
		must(t, db.SavePayment(ctx, &shop.Payment{OrderID: refunded.ID, CheckoutSessionID: "cs-r",
			ChargePermissionID: "S01-R", ChargePermissionType: "OneTime", ChargePermissionState: "Closed"}))
		_, err = db.UpsertCharge(ctx, &shop.Charge{ID: "S01-R-C1", OrderID: refunded.ID, Amount: 100, CapturedAmount: 100, State: shop.ChargeCaptured})
		must(t, err)
		_, err = db.UpsertCharge(ctx, &shop.Charge{ID: "S01-R-C2", OrderID: refunded.ID, Amount: 50, State: shop.ChargeCanceled})
		must(t, err)
		_, err = db.UpsertRefund(ctx, &shop.Refund{ID: "S01-R-R1", OrderID: refunded.ID, ChargeID: "S01-R-C1", Amount: 40, State: shop.RefundRefunded})
		must(t, err)
		_, err = db.UpsertRefund(ctx, &shop.Refund{ID: "S01-R-R2", OrderID: refunded.ID, ChargeID: "S01-R-C1", Amount: 10, State: shop.RefundInitiated})
		must(t, err)

		yes, no := true, false
		start := unpaid.CreatedAt
		for _, tc := range []struct {
			name string
			f    shop.OrderFilter
			want []int64 // newest first
		}{
			{"none", shop.OrderFilter{}, []int64{refunded.ID, authorized.ID, started.ID, unpaid.ID}},
			{"paid", shop.OrderFilter{Paid: &yes}, []int64{refunded.ID, authorized.ID}},
			{"unpaid", shop.OrderFilter{Paid: &no}, []int64{started.ID, unpaid.ID}},
			{"cp chargeable", shop.OrderFilter{ChargePermissionState: []string{"Chargeable"}}, []int64{authorized.ID}},
			{"cp any of two", shop.OrderFilter{ChargePermissionState: []string{"Closed", "Chargeable"}}, []int64{refunded.ID, authorized.ID}},
			{"cp unknown state", shop.OrderFilter{ChargePermissionState: []string{"NonChargeable"}}, nil},
			{"charge captured", shop.OrderFilter{ChargeState: []string{"Captured"}}, []int64{refunded.ID}},
			{"charge canceled or authorized", shop.OrderFilter{ChargeState: []string{"Canceled", "Authorized"}}, []int64{refunded.ID, authorized.ID}},
			{"refund initiated", shop.OrderFilter{RefundState: []string{"RefundInitiated"}}, []int64{refunded.ID}},
			{"refund declined", shop.OrderFilter{RefundState: []string{"Declined"}}, nil},
			{"created from", shop.OrderFilter{CreatedFrom: start.Add(time.Hour)}, []int64{refunded.ID, authorized.ID}},
			{"created before", shop.OrderFilter{CreatedTo: start.Add(time.Hour)}, []int64{started.ID, unpaid.ID}},
			{"created window", shop.OrderFilter{CreatedFrom: start.Add(time.Hour), CreatedTo: start.Add(2 * time.Hour)}, []int64{authorized.ID}},
			{"combined", shop.OrderFilter{Paid: &yes, ChargeState: []string{"Authorized", "Captured"}, RefundState: []string{"Refunded"},
				Status: []shop.OrderStatus{shop.StatusPendingPayment}}, []int64{refunded.ID}},
			{"combined with page", shop.OrderFilter{Paid: &yes, BeforeID: refunded.ID}, []int64{authorized.ID}},
			{"status excludes", shop.OrderFilter{Paid: &yes, Status: []shop.OrderStatus{shop.StatusCaptured}}, nil},
		} {
			list, err := db.Orders(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := ids(list); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}
