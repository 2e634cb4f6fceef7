package shop_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// ord builds an order of total 10000 USD cents in a status with amounts.
func ord(st shop.OrderStatus, authorized, captured, refunded int64) shop.Order {
	return shop.Order{Number: "T-1", Total: 10000, Currency: "USD", Status: st,
		Authorized: authorized, Captured: captured, Refunded: refunded}
}

func TestOrderApply(t *testing.T) {
	t.Parallel()
	type amounts struct{ auth, capt, ref int64 }
	ev := func(k shop.EventKind, amt int64) shop.OrderEvent { return shop.OrderEvent{Kind: k, Amount: amt} }
	tests := []struct {
		name     string
		from     shop.Order
		ev       shop.OrderEvent
		want     shop.OrderStatus
		wantAmts amounts
		code     string // expected error code; "" for success
	}{
		// authorization
		{"pending auth from pending_payment", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventAuthorizationPending, 0), shop.StatusPaymentPending, amounts{}, ""},
		{"authorized from pending_payment", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventAuthorized, 10000), shop.StatusAuthorized, amounts{10000, 0, 0}, ""},
		{"authorized from payment_pending", ord(shop.StatusPaymentPending, 0, 0, 0), ev(shop.EventAuthorized, 10000), shop.StatusAuthorized, amounts{10000, 0, 0}, ""},
		{"re-authorization after expiry", ord(shop.StatusExpired, 0, 0, 0), ev(shop.EventAuthorized, 10000), shop.StatusAuthorized, amounts{10000, 0, 0}, ""},
		{"re-authorization after decline", ord(shop.StatusDeclined, 0, 0, 0), ev(shop.EventAuthorized, 5000), shop.StatusAuthorized, amounts{5000, 0, 0}, ""},
		{"authorize remainder after partial capture", ord(shop.StatusPartiallyCaptured, 0, 4000, 0), ev(shop.EventAuthorized, 6000), shop.StatusPartiallyCaptured, amounts{6000, 4000, 0}, ""},
		{"authorize above remainder", ord(shop.StatusPartiallyCaptured, 0, 4000, 0), ev(shop.EventAuthorized, 6001), "", amounts{}, shop.EINVALID},
		{"authorize above total", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventAuthorized, 10001), "", amounts{}, shop.EINVALID},
		{"authorize zero", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventAuthorized, 0), "", amounts{}, shop.EINVALID},
		{"second open authorization", ord(shop.StatusPartiallyCaptured, 3000, 4000, 0), ev(shop.EventAuthorized, 3000), "", amounts{}, shop.ECONFLICT},
		{"authorize captured order", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventAuthorized, 1), "", amounts{}, shop.ECONFLICT},
		// A new charge after close-authorization (CanStartOn decides when
		// one may be created; Apply takes it as the fact it is).
		{"authorize canceled order", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventAuthorized, 10000), shop.StatusAuthorized, amounts{10000, 0, 0}, ""},
		{"partial authorize of canceled order", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventAuthorized, 2500), shop.StatusAuthorized, amounts{2500, 0, 0}, ""},
		{"pending auth on canceled order", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventAuthorizationPending, 0), shop.StatusPaymentPending, amounts{}, ""},
		{"authorize canceled above total", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventAuthorized, 10001), "", amounts{}, shop.EINVALID},
		{"declined re-authorization keeps canceled final", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventDeclined, 0), "", amounts{}, shop.ECONFLICT},
		{"capture canceled order", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventCaptured, 100), "", amounts{}, shop.ECONFLICT},
		{"pending auth on captured", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventAuthorizationPending, 0), "", amounts{}, shop.ECONFLICT},
		// decline
		{"declined while pending", ord(shop.StatusPaymentPending, 0, 0, 0), ev(shop.EventDeclined, 0), shop.StatusDeclined, amounts{}, ""},
		{"declined at checkout", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventDeclined, 0), shop.StatusDeclined, amounts{}, ""},
		{"declined remainder keeps partial capture", ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), ev(shop.EventDeclined, 0), shop.StatusPartiallyCaptured, amounts{0, 4000, 0}, ""},
		{"declined after capture", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventDeclined, 0), "", amounts{}, shop.ECONFLICT},
		// capture
		{"full capture", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventCaptured, 10000), shop.StatusCaptured, amounts{0, 10000, 0}, ""},
		{"partial capture", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventCaptured, 4000), shop.StatusPartiallyCaptured, amounts{0, 4000, 0}, ""},
		{"capture the rest", ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), ev(shop.EventCaptured, 6000), shop.StatusCaptured, amounts{0, 10000, 0}, ""},
		{"capture above authorization", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventCaptured, 10001), "", amounts{}, shop.EINVALID},
		{"capture of unauthorized order", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventCaptured, 100), "", amounts{}, shop.ECONFLICT},
		{"capture while auth pending", ord(shop.StatusPaymentPending, 0, 0, 0), ev(shop.EventCaptured, 100), "", amounts{}, shop.ECONFLICT},
		{"capture with no open auth", ord(shop.StatusPartiallyCaptured, 0, 4000, 0), ev(shop.EventCaptured, 100), "", amounts{}, shop.ECONFLICT},
		{"capture expired order", ord(shop.StatusExpired, 0, 0, 0), ev(shop.EventCaptured, 100), "", amounts{}, shop.ECONFLICT},
		// refund
		{"partial refund", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventRefunded, 2500), shop.StatusPartiallyRefunded, amounts{0, 10000, 2500}, ""},
		{"full refund", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventRefunded, 10000), shop.StatusRefunded, amounts{0, 10000, 10000}, ""},
		{"refund the rest", ord(shop.StatusPartiallyRefunded, 0, 10000, 2500), ev(shop.EventRefunded, 7500), shop.StatusRefunded, amounts{0, 10000, 10000}, ""},
		{"refund within margin", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventRefunded, 11500), shop.StatusRefunded, amounts{0, 10000, 11500}, ""},
		{"refund above margin", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventRefunded, 11501), "", amounts{}, shop.EINVALID},
		{"refund margin after refunded", ord(shop.StatusRefunded, 0, 10000, 10000), ev(shop.EventRefunded, 1500), shop.StatusRefunded, amounts{0, 10000, 11500}, ""},
		{"refund of partial capture", ord(shop.StatusPartiallyCaptured, 0, 4000, 0), ev(shop.EventRefunded, 4000), shop.StatusRefunded, amounts{0, 4000, 4000}, ""},
		{"refund uncaptured", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventRefunded, 100), "", amounts{}, shop.ECONFLICT},
		{"refund zero", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventRefunded, 0), "", amounts{}, shop.EINVALID},
		{"refund declined", ord(shop.StatusPartiallyRefunded, 0, 10000, 2500), ev(shop.EventRefundDeclined, 2500), shop.StatusCaptured, amounts{0, 10000, 0}, ""},
		{"refund declined back to partial", ord(shop.StatusRefunded, 0, 10000, 10000), ev(shop.EventRefundDeclined, 4000), shop.StatusPartiallyRefunded, amounts{0, 10000, 6000}, ""},
		{"refund declined more than refunded", ord(shop.StatusPartiallyRefunded, 0, 10000, 2500), ev(shop.EventRefundDeclined, 2501), "", amounts{}, shop.EINVALID},
		{"refund declined without refund", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventRefundDeclined, 1), "", amounts{}, shop.ECONFLICT},
		// cancel, expire, close
		{"cancel unpaid", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventCanceled, 0), shop.StatusCanceled, amounts{}, ""},
		{"cancel authorization", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventCanceled, 0), shop.StatusCanceled, amounts{}, ""},
		{"cancel remainder auth", ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), ev(shop.EventCanceled, 0), shop.StatusPartiallyCaptured, amounts{0, 4000, 0}, ""},
		{"cancel captured", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventCanceled, 0), "", amounts{}, shop.ECONFLICT},
		{"cancel twice", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventCanceled, 0), "", amounts{}, shop.ECONFLICT},
		{"checkout expired", ord(shop.StatusPendingPayment, 0, 0, 0), ev(shop.EventExpired, 0), shop.StatusExpired, amounts{}, ""},
		{"authorization expired", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventExpired, 0), shop.StatusExpired, amounts{}, ""},
		{"remainder auth expired", ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), ev(shop.EventExpired, 0), shop.StatusPartiallyCaptured, amounts{0, 4000, 0}, ""},
		{"expire refunded", ord(shop.StatusRefunded, 0, 10000, 10000), ev(shop.EventExpired, 0), "", amounts{}, shop.ECONFLICT},
		{"close before capture cancels", ord(shop.StatusAuthorized, 10000, 0, 0), ev(shop.EventClosed, 0), shop.StatusCanceled, amounts{}, ""},
		{"close after capture keeps status", ord(shop.StatusCaptured, 0, 10000, 0), ev(shop.EventClosed, 0), shop.StatusCaptured, amounts{0, 10000, 0}, ""},
		{"close partially captured drops auth", ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), ev(shop.EventClosed, 0), shop.StatusPartiallyCaptured, amounts{0, 4000, 0}, ""},
		{"close canceled is a no-op", ord(shop.StatusCanceled, 0, 0, 0), ev(shop.EventClosed, 0), shop.StatusCanceled, amounts{}, ""},
		{"unknown event", ord(shop.StatusPendingPayment, 0, 0, 0), ev("bogus", 0), "", amounts{}, shop.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.from
			err := o.Apply(tt.ev)
			if got := shop.ErrorCode(err); got != tt.code {
				t.Fatalf("Apply(%v) from %s: code %q (%v), want %q", tt.ev, tt.from.Status, got, err, tt.code)
			}
			if err != nil {
				if o.Status != tt.from.Status || o.Authorized != tt.from.Authorized || o.Captured != tt.from.Captured || o.Refunded != tt.from.Refunded {
					t.Fatalf("failed Apply changed the order: %+v", o)
				}
				return
			}
			got := amounts{o.Authorized, o.Captured, o.Refunded}
			if o.Status != tt.want || got != tt.wantAmts {
				t.Errorf("Apply(%v) from %s = %s %+v, want %s %+v", tt.ev, tt.from.Status, o.Status, got, tt.want, tt.wantAmts)
			}
		})
	}
}

// reopenable is the payment a close-authorization leaves behind: the
// charge permission Chargeable again, the only charge canceled by the
// merchant.
func reopenable() *shop.Payment {
	return &shop.Payment{ChargePermissionID: "S01-1", ChargePermissionType: "OneTime", ChargePermissionState: "Chargeable",
		Charges: []shop.Charge{{ID: "S01-1-C1", Amount: 10000, State: shop.ChargeCanceled, ReasonCode: "MerchantCanceled",
			ExpiresAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}}
}

// TestOrderCanStartOn: a canceled order may be authorized again only when
// its payment shows a close-authorization and nothing rules a new charge
// out; every other case is CanStart's answer.
func TestOrderCanStartOn(t *testing.T) {
	t.Parallel()
	with := func(f func(p *shop.Payment)) *shop.Payment { p := reopenable(); f(p); return p }
	day := 24 * time.Hour
	canceled := ord(shop.StatusCanceled, 0, 0, 0)
	tests := []struct {
		name   string
		from   shop.Order
		p      *shop.Payment
		op     shop.Operation
		amount int64
		code   string
	}{
		{"authorize after close-authorization", canceled, reopenable(), shop.OpAuthorize, 10000, ""},
		{"authorize-and-capture after close-authorization", canceled, reopenable(), shop.OpAuthorizeCapture, 10000, ""},
		{"part of the total", canceled, reopenable(), shop.OpAuthorize, 1, ""},
		{"above the total", canceled, reopenable(), shop.OpAuthorize, 10001, shop.EINVALID},
		{"zero", canceled, reopenable(), shop.OpAuthorize, 0, shop.EINVALID},
		{"open authorization on the order", ord(shop.StatusCanceled, 5000, 0, 0), reopenable(), shop.OpAuthorize, 5000, shop.ECONFLICT},
		{"capture stays refused", canceled, reopenable(), shop.OpCapture, 100, shop.ECONFLICT},
		{"refund stays refused", canceled, reopenable(), shop.OpRefund, 100, shop.ECONFLICT},
		{"cancel stays refused", canceled, reopenable(), shop.OpCancel, 0, shop.ECONFLICT},
		{"close stays allowed", canceled, reopenable(), shop.OpClose, 0, ""},
		{"charge permission closed", canceled, with(func(p *shop.Payment) { p.ChargePermissionState = "Closed" }), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"charge permission non-chargeable", canceled, with(func(p *shop.Payment) { p.ChargePermissionState = "NonChargeable" }), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"charge permission state unknown", canceled, with(func(p *shop.Payment) { p.ChargePermissionState = "" }), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"unpaid cancel: no payment", canceled, nil, shop.OpAuthorize, 100, shop.ECONFLICT},
		{"unpaid cancel: no charge permission", canceled, &shop.Payment{CheckoutSessionID: "cs"}, shop.OpAuthorize, 100, shop.ECONFLICT},
		{"unpaid cancel: Confirm-only checkout, no charge", canceled, with(func(p *shop.Payment) { p.Charges = nil }), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"closed with cancelPendingCharges", canceled, with(func(p *shop.Payment) {
			p.ChargePermissionState = "Closed"
			p.Charges[0].ReasonCode = "ChargePermissionCanceled"
		}), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"charge canceled by Amazon Pay", canceled, with(func(p *shop.Payment) { p.Charges[0].ReasonCode = "AmazonCanceled" }), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"newest charge declined", canceled, with(func(p *shop.Payment) {
			p.Charges = append(p.Charges, shop.Charge{ID: "S01-1-C2", State: shop.ChargeDeclined, ExpiresAt: p.Charges[0].ExpiresAt.Add(day)})
		}), shop.OpAuthorize, 100, shop.ECONFLICT},
		{"newest charge canceled, an older one declined", canceled, with(func(p *shop.Payment) {
			p.Charges = append([]shop.Charge{{ID: "S01-1-C0", State: shop.ChargeDeclined, ExpiresAt: p.Charges[0].ExpiresAt.Add(-day)}}, p.Charges...)
		}), shop.OpAuthorize, 100, ""},
		{"a charge still open", canceled, with(func(p *shop.Payment) {
			p.Charges = append(p.Charges, shop.Charge{ID: "S01-1-C2", State: shop.ChargeAuthorizationInitiated, ExpiresAt: p.Charges[0].ExpiresAt.Add(-day)})
		}), shop.OpAuthorize, 100, shop.ECONFLICT},
		// Other statuses: CanStart's answer, whatever the payment.
		{"pending payment", ord(shop.StatusPendingPayment, 0, 0, 0), reopenable(), shop.OpAuthorize, 10000, ""},
		{"captured", ord(shop.StatusCaptured, 0, 10000, 0), reopenable(), shop.OpAuthorize, 1, shop.ECONFLICT},
		{"authorized", ord(shop.StatusAuthorized, 10000, 0, 0), reopenable(), shop.OpAuthorize, 1, shop.ECONFLICT},
		{"expired", ord(shop.StatusExpired, 0, 0, 0), nil, shop.OpAuthorize, 10000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.from
			err := o.CanStartOn(tt.p, tt.op, tt.amount)
			if got := shop.ErrorCode(err); got != tt.code {
				t.Errorf("CanStartOn(%s, %d) on %s: code %q (%v), want %q", tt.op, tt.amount, o.Status, got, err, tt.code)
			}
			// CanStart alone never reopens a canceled order.
			if o.Status == shop.StatusCanceled && (tt.op == shop.OpAuthorize || tt.op == shop.OpAuthorizeCapture) && o.CanStart(tt.op, tt.amount) == nil {
				t.Errorf("CanStart(%s) allowed on a canceled order", tt.op)
			}
		})
	}
}

func TestOrderCanStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from   shop.Order
		op     shop.Operation
		amount int64
		code   string
	}{
		{ord(shop.StatusPendingPayment, 0, 0, 0), shop.OpComplete, 10000, ""},
		{ord(shop.StatusPendingPayment, 0, 0, 0), shop.OpComplete, 9999, shop.EINVALID},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpComplete, 10000, shop.ECONFLICT},
		{ord(shop.StatusPendingPayment, 0, 0, 0), shop.OpAuthorize, 10000, ""},
		{ord(shop.StatusExpired, 0, 0, 0), shop.OpAuthorize, 10000, ""},
		{ord(shop.StatusDeclined, 0, 0, 0), shop.OpAuthorizeCapture, 10000, ""},
		{ord(shop.StatusPartiallyCaptured, 0, 4000, 0), shop.OpAuthorize, 6000, ""},
		{ord(shop.StatusPartiallyCaptured, 0, 4000, 0), shop.OpAuthorize, 6001, shop.EINVALID},
		{ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), shop.OpAuthorize, 6000, shop.ECONFLICT},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpAuthorize, 10000, shop.ECONFLICT},
		{ord(shop.StatusPaymentPending, 0, 0, 0), shop.OpAuthorize, 10000, shop.ECONFLICT},
		{ord(shop.StatusCaptured, 0, 10000, 0), shop.OpAuthorize, 1, shop.ECONFLICT},
		{ord(shop.StatusCanceled, 0, 0, 0), shop.OpAuthorize, 1, shop.ECONFLICT},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpCapture, 10000, ""},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpCapture, 10001, shop.EINVALID},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpCapture, 0, shop.EINVALID},
		{ord(shop.StatusPendingPayment, 0, 0, 0), shop.OpCapture, 100, shop.ECONFLICT},
		{ord(shop.StatusPaymentPending, 0, 0, 0), shop.OpCapture, 100, shop.ECONFLICT},
		{ord(shop.StatusPartiallyCaptured, 0, 4000, 0), shop.OpCapture, 100, shop.ECONFLICT},
		{ord(shop.StatusCaptured, 0, 10000, 0), shop.OpRefund, 11500, ""},
		{ord(shop.StatusCaptured, 0, 10000, 0), shop.OpRefund, 11501, shop.EINVALID},
		{ord(shop.StatusPartiallyRefunded, 0, 10000, 9000), shop.OpRefund, 2500, ""},
		{ord(shop.StatusPartiallyRefunded, 0, 10000, 9000), shop.OpRefund, 2501, shop.EINVALID},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpRefund, 100, shop.ECONFLICT},
		{ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), shop.OpRefund, 100, shop.ECONFLICT},
		{ord(shop.StatusAuthorized, 10000, 0, 0), shop.OpCancel, 0, ""},
		{ord(shop.StatusPaymentPending, 0, 0, 0), shop.OpCancel, 0, ""},
		{ord(shop.StatusPartiallyCaptured, 6000, 4000, 0), shop.OpCancel, 0, ""},
		{ord(shop.StatusPartiallyCaptured, 0, 4000, 0), shop.OpCancel, 0, shop.ECONFLICT},
		{ord(shop.StatusPendingPayment, 0, 0, 0), shop.OpCancel, 0, shop.ECONFLICT},
		{ord(shop.StatusCaptured, 0, 10000, 0), shop.OpCancel, 0, shop.ECONFLICT},
		{ord(shop.StatusCaptured, 0, 10000, 0), shop.OpClose, 0, ""},
		{ord(shop.StatusCanceled, 0, 0, 0), shop.OpClose, 0, ""},
		{ord(shop.StatusPendingPayment, 0, 0, 0), shop.OpClose, 0, shop.ECONFLICT},
		{ord(shop.StatusCaptured, 0, 10000, 0), "bogus", 0, shop.EINVALID},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%s_%d", tt.from.Status, tt.op, tt.amount), func(t *testing.T) {
			t.Parallel()
			o := tt.from
			err := o.CanStart(tt.op, tt.amount)
			if got := shop.ErrorCode(err); got != tt.code {
				t.Errorf("CanStart(%s, %d) on %s %+v: code %q (%v), want %q", tt.op, tt.amount, o.Status, o, got, err, tt.code)
			}
		})
	}
}

// TestCanStartAgreesWithApply checks that every operation CanStart (and
// CanStartOn, with the payment a close-authorization leaves) allows leads,
// when Amazon Pay accepts it, to an event Apply accepts.
func TestCanStartAgreesWithApply(t *testing.T) {
	t.Parallel()
	outcome := map[shop.Operation][]shop.EventKind{
		shop.OpAuthorize:        {shop.EventAuthorized},
		shop.OpAuthorizeCapture: {shop.EventAuthorized, shop.EventCaptured},
		shop.OpCapture:          {shop.EventCaptured},
		shop.OpRefund:           {shop.EventRefunded},
		shop.OpCancel:           {shop.EventCanceled},
		shop.OpClose:            {shop.EventClosed},
	}
	for _, st := range shop.OrderStatuses() {
		for _, amts := range [][3]int64{{0, 0, 0}, {10000, 0, 0}, {0, 4000, 0}, {6000, 4000, 0}, {0, 10000, 0}, {0, 10000, 2500}, {0, 10000, 10000}} {
			for op, kinds := range outcome {
				o := ord(st, amts[0], amts[1], amts[2])
				amount := int64(1000)
				if op == shop.OpCancel || op == shop.OpClose {
					amount = 0
				}
				if o.CanStartOn(reopenable(), op, amount) != nil {
					if o.CanStart(op, amount) == nil {
						t.Errorf("%s allowed on %s %v by CanStart but not by CanStartOn", op, st, amts)
					}
					continue
				}
				for _, k := range kinds {
					if err := o.Apply(shop.OrderEvent{Kind: k, Amount: amount}); err != nil {
						t.Errorf("%s allowed on %s %v, but Apply(%s) failed: %v", op, st, amts, k, err)
					}
				}
			}
		}
	}
}

func TestRefundMargin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		captured int64
		cur      string
		want     int64
	}{
		{10000, "USD", 1500},  // 15 % of 100.00
		{100000, "USD", 7500}, // capped at 75.00
		{100000, "EUR", 7500}, // capped at 75.00
		{40000, "GBP", 6000},  // 15 %
		{10000, "JPY", 1500},  // 15 % of ¥10,000
		{100000, "JPY", 8400}, // capped at ¥8,400
		{10000, "AUD", 0},     // undocumented: no margin
		{0, "USD", 0},
	}
	for _, tt := range tests {
		if got := shop.RefundMargin(tt.captured, tt.cur); got != tt.want {
			t.Errorf("RefundMargin(%d, %s) = %d, want %d", tt.captured, tt.cur, got, tt.want)
		}
	}
}

func TestChargeEvents(t *testing.T) {
	t.Parallel()
	c := func(st shop.ChargeState, reason string) shop.Charge {
		return shop.Charge{Amount: 10000, CapturedAmount: 10000, State: st, ReasonCode: reason}
	}
	tests := []struct {
		prev shop.ChargeState
		c    shop.Charge
		want []shop.EventKind
	}{
		{"", c(shop.ChargeAuthorizationInitiated, ""), []shop.EventKind{shop.EventAuthorizationPending}},
		{shop.ChargeAuthorizationInitiated, c(shop.ChargeAuthorized, ""), []shop.EventKind{shop.EventAuthorized}},
		{"", c(shop.ChargeAuthorized, ""), []shop.EventKind{shop.EventAuthorized}},
		{shop.ChargeAuthorized, c(shop.ChargeAuthorized, ""), nil},
		{shop.ChargeAuthorized, c(shop.ChargeCaptureInitiated, ""), nil},
		{shop.ChargeAuthorized, c(shop.ChargeCaptured, ""), []shop.EventKind{shop.EventCaptured}},
		{shop.ChargeCaptureInitiated, c(shop.ChargeCaptured, ""), []shop.EventKind{shop.EventCaptured}},
		{"", c(shop.ChargeCaptured, ""), []shop.EventKind{shop.EventAuthorized, shop.EventCaptured}},
		{shop.ChargeAuthorized, c(shop.ChargeCanceled, "ExpiredUnused"), []shop.EventKind{shop.EventExpired}},
		{shop.ChargeAuthorized, c(shop.ChargeCanceled, "MerchantCanceled"), []shop.EventKind{shop.EventCanceled}},
		{shop.ChargeAuthorizationInitiated, c(shop.ChargeDeclined, "SoftDeclined"), []shop.EventKind{shop.EventDeclined}},
	}
	for _, tt := range tests {
		got := shop.ChargeEvents(tt.prev, tt.c)
		var kinds []shop.EventKind
		for _, e := range got {
			kinds = append(kinds, e.Kind)
		}
		if fmt.Sprint(kinds) != fmt.Sprint(tt.want) {
			t.Errorf("ChargeEvents(%q → %s) = %v, want %v", tt.prev, tt.c.State, kinds, tt.want)
		}
	}
	if got := shop.RefundEvents("", shop.Refund{State: shop.RefundInitiated, Amount: 5}); len(got) != 1 || got[0].Kind != shop.EventRefunded {
		t.Errorf("RefundEvents(new initiated) = %v", got)
	}
	if got := shop.RefundEvents(shop.RefundInitiated, shop.Refund{State: shop.RefundRefunded, Amount: 5}); got != nil {
		t.Errorf("RefundEvents(initiated → refunded) = %v, want none (already counted)", got)
	}
	if got := shop.RefundEvents(shop.RefundInitiated, shop.Refund{State: shop.RefundDeclined, Amount: 5}); len(got) != 1 || got[0].Kind != shop.EventRefundDeclined {
		t.Errorf("RefundEvents(initiated → declined) = %v", got)
	}
}
