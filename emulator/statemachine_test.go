package emulator

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func usdM(minor int64) money { return money{Minor: minor, Currency: "USD"} }

func codeOf(err *apiError) string {
	if err == nil {
		return ""
	}
	return err.ReasonCode
}

func TestCheckoutSession_Transitions(t *testing.T) {
	ready := func() *CheckoutSession {
		cs := &CheckoutSession{Owner: Owner{Env: Sandbox}, ID: "11111111-2222", ChargePermissionType: "OneTime", ResultReturnURL: "https://r.example",
			PaymentIntent: "Authorize", ChargeAmount: &money{1000, "USD"}, Status: Status{State: csOpen}, Created: t0, Expires: t0.Add(24 * time.Hour)}
		_ = cs.signIn(newBuyer("", ""), &Address{Name: "a", AddressLine1: "b", CountryCode: "US"}, nil, "", "", t0)
		return cs
	}
	cases := []struct {
		name       string
		card, sim  string
		intent     string
		pending    bool
		cancel     bool
		wantState  string
		wantReason string
		wantOut    string
	}{
		{name: "1111 succeeds", card: "1111", intent: "Authorize", wantState: csOpen, wantOut: outcomeSuccess},
		{name: "0005 succeeds", card: "0005", intent: "Authorize", wantState: csOpen, wantOut: outcomeSuccess},
		{name: "4444 succeeds", card: "4444", intent: "AuthorizeWithCapture", wantState: csOpen, wantOut: outcomeSuccess},
		{name: "9424 succeeds", card: "9424", intent: "Confirm", wantState: csOpen, wantOut: outcomeSuccess},
		{name: "0000 succeeds", card: "0000", intent: "Authorize", wantState: csOpen, wantOut: outcomeSuccess},
		{name: "3064 buyer canceled", card: "3064", intent: "Authorize", wantState: csCanceled, wantReason: "BuyerCanceled"},
		{name: "3434 declined", card: "3434", intent: "Authorize", wantState: csCanceled, wantReason: "Declined"},
		{name: "0701 pending", card: "0701", intent: "Authorize", pending: true, wantState: csOpen, wantOut: outcomePendingAuth},
		{name: "0701 without pending support", card: "0701", intent: "Authorize", wantState: csCanceled, wantReason: "Declined"},
		{name: "4354 pending decline", card: "4354", intent: "Authorize", pending: true, wantState: csOpen, wantOut: outcomePendingDeclined},
		{name: "0701 with Confirm intent", card: "0701", intent: "Confirm", wantState: csOpen, wantOut: outcomeSuccess},
		{name: "simulation overrides card", card: "3434", sim: "AmazonCanceled", intent: "Authorize", wantState: csCanceled, wantReason: "AmazonCanceled"},
		{name: "simulation pending", card: "1111", sim: "AuthorizationInitiated", intent: "Authorize", pending: true, wantState: csOpen, wantOut: outcomePendingAuth},
		{name: "buyer cancels", card: "1111", intent: "Authorize", cancel: true, wantState: csCanceled, wantReason: "BuyerCanceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := ready()
			cs.PaymentMethod, cs.SimulationCode, cs.PaymentIntent, cs.CanHandlePending = c.card, c.sim, c.intent, c.pending
			if err := cs.confirm(c.cancel, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if cs.Status.State != c.wantState || cs.Status.ReasonCode != c.wantReason {
				t.Fatalf("state %s/%s, want %s/%s", cs.Status.State, cs.Status.ReasonCode, c.wantState, c.wantReason)
			}
			if c.wantOut != "" && cs.Outcome != c.wantOut {
				t.Fatalf("outcome %s, want %s", cs.Outcome, c.wantOut)
			}
			if err := cs.confirm(false, t0); err == nil {
				t.Fatal("confirmed twice")
			}
		})
	}

	t.Run("live ignores simulated cards", func(t *testing.T) {
		cs := ready()
		cs.Env, cs.PaymentMethod = Live, "3434"
		if err := cs.confirm(false, t0); err != nil || cs.Status.State != csOpen || cs.Outcome != outcomeSuccess {
			t.Fatalf("%v %s %s", err, cs.Status.State, cs.Outcome)
		}
	})
	t.Run("constraints block confirm", func(t *testing.T) {
		cs := ready()
		cs.ResultReturnURL = ""
		if codeOf(cs.confirm(false, t0)) != codeInvalidCheckoutSessionStatus {
			t.Fatal("confirmed with an open constraint")
		}
	})
	t.Run("update rules", func(t *testing.T) {
		cs := ready()
		if err := cs.canUpdate(); err != nil {
			t.Fatal(err)
		}
		cs.Buyer = nil
		if codeOf(cs.canUpdate()) != codeInvalidCheckoutSessionStatus {
			t.Fatal("update without buyer")
		}
		cs = ready()
		_ = cs.confirm(false, t0)
		if codeOf(cs.canUpdate()) != codeInvalidCheckoutSessionStatus {
			t.Fatal("update after redirect")
		}
	})
	t.Run("complete rules", func(t *testing.T) {
		cs := ready()
		if codeOf(cs.canComplete(&money{1000, "USD"}, nil)) != codeInvalidCheckoutSessionStatus {
			t.Fatal("complete before redirect")
		}
		_ = cs.confirm(false, t0)
		for _, c := range []struct {
			charge *money
			total  *money
			code   string
		}{
			{&money{1000, "USD"}, nil, ""},
			{&money{1001, "USD"}, nil, codeAmountMismatch},
			{&money{1000, "EUR"}, nil, codeCurrencyMismatch},
			{nil, nil, codeMissingParameterValue},
		} {
			if got := codeOf(cs.canComplete(c.charge, c.total)); got != c.code {
				t.Errorf("complete %+v: %q, want %q", c.charge, got, c.code)
			}
		}
		cs.TotalOrderAmount = &money{2000, "USD"}
		if codeOf(cs.canComplete(&money{1000, "USD"}, nil)) != codeMissingParameterValue {
			t.Error("totalOrderAmount not required")
		}
		if codeOf(cs.canComplete(&money{1000, "USD"}, &money{1999, "USD"})) != codeAmountMismatch {
			t.Error("totalOrderAmount mismatch accepted")
		}
		cs.cancel("Declined", t0)
		if codeOf(cs.canComplete(&money{1000, "USD"}, nil)) != codeCheckoutSessionCanceled {
			t.Error("canceled session completes")
		}
		cs.Status.State = csCompleted
		if codeOf(cs.canComplete(&money{1000, "USD"}, nil)) != codeInvalidCheckoutSessionStatus {
			t.Error("completed session completes")
		}
	})
	t.Run("expires after 24 hours", func(t *testing.T) {
		cs := ready()
		if cs.expire(t0.Add(24*time.Hour - time.Second)) {
			t.Fatal("expired early")
		}
		if !cs.expire(t0.Add(24*time.Hour)) || cs.Status.State != csCanceled || cs.Status.ReasonCode != "Expired" {
			t.Fatalf("not expired: %+v", cs.Status)
		}
	})
}

func TestCharge_Transitions(t *testing.T) {
	authorized := func() *Charge {
		ch := &Charge{Amount: usdM(5000), Created: t0}
		ch.authorize(t0)
		return ch
	}
	t.Run("capture within 7 days is synchronous", func(t *testing.T) {
		ch := authorized()
		ch.startCapture(usdM(4000), "", t0.Add(7*24*time.Hour))
		if ch.Status.State != chCaptured || ch.Captured != 4000 {
			t.Fatalf("%+v", ch.Status)
		}
	})
	t.Run("capture after 7 days goes through CaptureInitiated", func(t *testing.T) {
		ch := authorized()
		at := t0.Add(8 * 24 * time.Hour)
		ch.startCapture(usdM(5000), "", at)
		if ch.Status.State != chCaptureInitiated {
			t.Fatalf("%+v", ch.Status)
		}
		if _, changed := ch.advance(at.Add(asyncCaptureDelay - time.Second)); changed {
			t.Fatal("settled early")
		}
		if _, changed := ch.advance(at.Add(asyncCaptureDelay)); !changed || ch.Status.State != chCaptured || ch.Captured != 5000 {
			t.Fatalf("%+v", ch.Status)
		}
	})
	for _, c := range []struct{ sim, state, reason string }{
		{"CaptureInitiated", chCaptured, ""},
		{"AmazonRejected", chDeclined, "AmazonRejected"},
		{"ProcessingFailure", chDeclined, "ProcessingFailure"},
	} {
		t.Run("capture simulation "+c.sim, func(t *testing.T) {
			ch := authorized()
			ch.startCapture(usdM(100), c.sim, t0)
			if ch.Status.State != chCaptureInitiated {
				t.Fatalf("%+v", ch.Status)
			}
			ch.advance(t0.Add(time.Hour))
			if ch.Status.State != c.state || ch.Status.ReasonCode != c.reason {
				t.Fatalf("%+v", ch.Status)
			}
		})
	}
	t.Run("authorization expires after 30 days", func(t *testing.T) {
		ch := authorized()
		if _, changed := ch.advance(t0.Add(30*24*time.Hour - time.Second)); changed {
			t.Fatal("expired early")
		}
		when, changed := ch.advance(t0.Add(40 * 24 * time.Hour))
		if !changed || ch.Status.State != chCanceled || ch.Status.ReasonCode != "ExpiredUnused" || !when.Equal(t0.Add(30*24*time.Hour)) {
			t.Fatalf("%+v at %s", ch.Status, when)
		}
	})
	for _, c := range []struct {
		outcome, reason, state string
		captureNow             bool
		wantCaptured           int64
	}{
		{outcomeSuccess, "", chAuthorized, false, 0},
		{outcomeSuccess, "", chCaptured, true, 5000},
		{outcomeDeclined, codeHardDeclined, chDeclined, false, 0},
		{outcomeDeclined, codeSoftDeclined, chDeclined, false, 0},
	} {
		t.Run("pending "+c.outcome+" "+c.reason, func(t *testing.T) {
			ch := &Charge{Amount: usdM(5000), Created: t0, CaptureNow: c.captureNow}
			ch.startPending(c.outcome, c.reason, t0)
			if ch.Status.State != chAuthorizationInitiated {
				t.Fatal(ch.Status.State)
			}
			if at, _ := ch.nextDeadline(); !at.Equal(t0.Add(pendingDelay)) {
				t.Fatalf("deadline %s", at)
			}
			ch.advance(t0.Add(pendingDelay))
			if ch.Status.State != c.state || ch.Status.ReasonCode != c.reason || ch.Captured != c.wantCaptured {
				t.Fatalf("%+v captured %d", ch.Status, ch.Captured)
			}
		})
	}
	t.Run("allowed operations per state", func(t *testing.T) {
		for _, c := range []struct {
			state           string
			cancel, capture string
		}{
			{chAuthorizationInitiated, "", codeInvalidChargeStatus},
			{chAuthorized, "", ""},
			{chCaptureInitiated, codeInvalidChargeStatus, codeInvalidChargeStatus},
			{chCaptured, codeInvalidChargeStatus, codeInvalidChargeStatus},
			{chCanceled, codeInvalidChargeStatus, codeInvalidChargeStatus},
			{chDeclined, codeInvalidChargeStatus, codeInvalidChargeStatus},
		} {
			ch := &Charge{Amount: usdM(5000), Status: Status{State: c.state}}
			if got := codeOf(ch.canCancel()); got != c.cancel {
				t.Errorf("cancel in %s: %q", c.state, got)
			}
			if got := codeOf(ch.canCapture(usdM(100))); got != c.capture {
				t.Errorf("capture in %s: %q", c.state, got)
			}
		}
		ch := authorized()
		for _, c := range []struct {
			m    money
			code string
		}{
			{usdM(5001), codeTransactionAmountExceeded},
			{money{100, "EUR"}, codeCurrencyMismatch},
			{usdM(0), codeInvalidParameterValue},
			{usdM(5000), ""},
		} {
			if got := codeOf(ch.canCapture(c.m)); got != c.code {
				t.Errorf("capture %+v: %q, want %q", c.m, got, c.code)
			}
		}
	})
}

func TestChargePermission_Rules(t *testing.T) {
	oneTime := func() *ChargePermission {
		return &ChargePermission{Type: "OneTime", Currency: "USD", Limit: 10000, Status: CPStatus{State: cpChargeable}, Created: t0, Expires: expiryFor("OneTime", false, t0)}
	}
	charge := func(state string, amount, captured int64, at time.Time) *Charge {
		return &Charge{Amount: usdM(amount), Captured: captured, Created: at, Status: Status{State: state}}
	}
	t.Run("create charge checks", func(t *testing.T) {
		cp := oneTime()
		many := make([]*Charge, 25)
		for i := range many {
			many[i] = charge(chCanceled, 1, 0, t0)
		}
		for _, c := range []struct {
			name    string
			state   string
			typ     string
			ccy     string
			amount  int64
			charges []*Charge
			code    string
		}{
			{"ok", cpChargeable, "OneTime", "USD", 10000, nil, ""},
			{"non-chargeable", cpNonChargeable, "OneTime", "USD", 100, nil, codeInvalidChargePermissionStatus},
			{"closed", cpClosed, "OneTime", "USD", 100, nil, codeInvalidChargePermissionStatus},
			{"currency", cpChargeable, "OneTime", "EUR", 100, nil, codeCurrencyMismatch},
			{"over balance", cpChargeable, "OneTime", "USD", 10001, nil, codeTransactionAmountExceeded},
			{"balance used by authorization", cpChargeable, "OneTime", "USD", 5001, []*Charge{charge(chAuthorized, 5000, 0, t0)}, codeTransactionAmountExceeded},
			{"balance freed by cancel", cpChargeable, "OneTime", "USD", 10000, []*Charge{charge(chCanceled, 5000, 0, t0)}, ""},
			{"25 charges", cpChargeable, "OneTime", "USD", 1, many, codeTransactionCountExceeded},
			{"charge in progress", cpChargeable, "OneTime", "USD", 1, []*Charge{charge(chAuthorizationInitiated, 1, 0, t0)}, codeInvalidChargePermissionStatus},
			{"recurring under limit", cpChargeable, "Recurring", "USD", 100000, nil, ""},
			{"recurring over limit", cpChargeable, "Recurring", "USD", 100001, nil, codePeriodicAmountExceeded},
			{"recurring limit this month", cpChargeable, "Recurring", "USD", 2, []*Charge{charge(chCaptured, 99999, 99999, t0)}, codePeriodicAmountExceeded},
			{"recurring last month does not count", cpChargeable, "Recurring", "USD", 100000, []*Charge{charge(chCaptured, 99999, 99999, t0.AddDate(0, -1, 0))}, ""},
			{"recurring declined does not count", cpChargeable, "Recurring", "USD", 100000, []*Charge{charge(chDeclined, 99999, 0, t0)}, ""},
			{"recurring JPY", cpChargeable, "Recurring", "JPY", 100001, nil, codePeriodicAmountExceeded},
			{"saved wallet", cpChargeable, "PaymentMethodOnFile", "USD", 1500000, nil, ""},
			{"saved wallet over", cpChargeable, "PaymentMethodOnFile", "USD", 1500001, nil, codePeriodicAmountExceeded},
		} {
			t.Run(c.name, func(t *testing.T) {
				cp := oneTime()
				cp.Status.State, cp.Type, cp.Currency = c.state, c.typ, c.ccy
				if c.name == "currency" {
					cp.Currency = "USD"
				}
				if got := codeOf(cp.canCreateCharge(money{c.amount, c.ccy}, c.charges, t0)); got != c.code {
					t.Fatalf("%q, want %q", got, c.code)
				}
			})
		}
		_ = cp
	})
	t.Run("auto-close when fully captured", func(t *testing.T) {
		cp := oneTime()
		if cp.refresh([]*Charge{charge(chCaptured, 6000, 6000, t0)}, t0) {
			t.Fatal("closed with balance left")
		}
		if cp.refresh([]*Charge{charge(chCaptured, 6000, 6000, t0), charge(chAuthorized, 4000, 0, t0)}, t0) {
			t.Fatal("closed with an open authorization")
		}
		if !cp.refresh([]*Charge{charge(chCaptured, 6000, 6000, t0), charge(chCaptured, 4000, 4000, t0)}, t0) || cp.Status.Reasons[0].ReasonCode != "AmazonClosed" {
			t.Fatalf("%+v", cp.Status)
		}
	})
	t.Run("decline outcomes", func(t *testing.T) {
		cp := oneTime()
		ch := charge(chDeclined, 1, 0, t0)
		ch.Status.ReasonCode = codeHardDeclined
		if !cp.applyOutcome(ch, t0) || cp.Status.State != cpNonChargeable || cp.Status.Reasons[0].ReasonCode != "PaymentMethodInvalid" {
			t.Fatalf("%+v", cp.Status)
		}
		cp = oneTime()
		ch.Status.ReasonCode = codeAmazonRejected
		if !cp.applyOutcome(ch, t0) || cp.Status.State != cpClosed {
			t.Fatalf("%+v", cp.Status)
		}
		cp = oneTime()
		ch.Status.ReasonCode = codeSoftDeclined
		if cp.applyOutcome(ch, t0) {
			t.Fatal("soft decline changed the charge permission")
		}
	})
	t.Run("expiry", func(t *testing.T) {
		cp := oneTime()
		if !cp.Expires.Equal(t0.Add(180 * 24 * time.Hour)) {
			t.Fatalf("expires %s", cp.Expires)
		}
		if !expiryFor("OneTime", true, t0).Equal(t0.AddDate(0, 13, 0)) || !expiryFor("Recurring", false, t0).Equal(t0.AddDate(0, 13, 0)) {
			t.Fatal("13-month expiry")
		}
		if cp.expire(cp.Expires.Add(-time.Second)) || !cp.expire(cp.Expires) || cp.Status.Reasons[0].ReasonCode != "Expired" {
			t.Fatalf("%+v", cp.Status)
		}
		if codeOf(cp.canClose()) != codeInvalidChargePermissionStatus || codeOf(cp.canUpdate()) != codeChargePermissionNotModifiable {
			t.Fatal("closed charge permission modifiable")
		}
	})
	t.Run("buyer data retention", func(t *testing.T) {
		cp := oneTime()
		if !cp.buyerVisible(t0.Add(29*24*time.Hour)) || cp.buyerVisible(t0.Add(31*24*time.Hour)) {
			t.Fatal("OneTime: 30 days")
		}
		cp.Type = "Recurring"
		if !cp.buyerVisible(t0.Add(300 * 24 * time.Hour)) {
			t.Fatal("Recurring while open")
		}
		cp.close("MerchantClosed", "", t0.Add(300*24*time.Hour))
		if !cp.buyerVisible(t0.Add(329*24*time.Hour)) || cp.buyerVisible(t0.Add(331*24*time.Hour)) {
			t.Fatal("Recurring: 30 days after closing")
		}
	})
}

func TestRefund_Rules(t *testing.T) {
	captured := func(ccy string, amount int64) *Charge {
		return &Charge{Amount: money{amount, ccy}, Captured: amount, Status: Status{State: chCaptured}}
	}
	rf := func(amount int64, state string) *Refund {
		return &Refund{Amount: usdM(amount), Status: Status{State: state}}
	}
	ten := make([]*Refund, 10)
	for i := range ten {
		ten[i] = rf(1, rfRefunded)
	}
	for _, c := range []struct {
		name    string
		ch      *Charge
		amount  money
		refunds []*Refund
		code    string
	}{
		{"full", captured("USD", 10000), usdM(10000), nil, ""},
		{"15 % over", captured("USD", 10000), usdM(11500), nil, ""},
		{"over 15 %", captured("USD", 10000), usdM(11501), nil, codeTransactionAmountExceeded},
		{"75 USD cap", captured("USD", 100000), usdM(107500), nil, ""},
		{"over 75 USD", captured("USD", 100000), usdM(107501), nil, codeTransactionAmountExceeded},
		{"cumulative", captured("USD", 10000), usdM(6000), []*Refund{rf(6000, rfRefunded)}, codeTransactionAmountExceeded},
		{"declined refunds do not count", captured("USD", 10000), usdM(6000), []*Refund{rf(6000, rfDeclined)}, ""},
		{"JPY 8,400 cap", captured("JPY", 100000), money{108400, "JPY"}, nil, ""},
		{"over JPY 8,400", captured("JPY", 100000), money{108401, "JPY"}, nil, codeTransactionAmountExceeded},
		{"10 refunds", captured("USD", 10000), usdM(1), ten, codeTransactionCountExceeded},
		{"currency", captured("USD", 10000), money{1, "EUR"}, nil, codeCurrencyMismatch},
		{"not captured", &Charge{Amount: usdM(100), Status: Status{State: chAuthorized}}, usdM(1), nil, codeInvalidChargeStatus},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := codeOf(c.ch.canRefund(c.amount, c.refunds)); got != c.code {
				t.Fatalf("%q, want %q", got, c.code)
			}
		})
	}
	t.Run("settles after the delay", func(t *testing.T) {
		r := &Refund{Amount: usdM(1), Status: Status{State: rfInitiated}, SettleAt: t0, Outcome: outcomeSuccess}
		if _, ch := r.advance(t0.Add(-time.Second)); ch {
			t.Fatal("early")
		}
		if _, ch := r.advance(t0); !ch || r.Status.State != rfRefunded {
			t.Fatal(r.Status)
		}
		r = &Refund{Amount: usdM(1), Status: Status{State: rfInitiated}, SettleAt: t0, Outcome: outcomeDeclined, DeclineReason: codeAmazonRejected}
		if _, ch := r.advance(t0); !ch || r.Status.State != rfDeclined || r.Status.ReasonCode != codeAmazonRejected {
			t.Fatal(r.Status)
		}
	})
}

func TestParseMinor(t *testing.T) {
	for _, c := range []struct {
		s    string
		exp  int
		want int64
		ok   bool
	}{
		{"14.00", 2, 1400, true}, {"14", 2, 1400, true}, {"14.5", 2, 1450, true}, {"0.01", 2, 1, true},
		{"14.001", 2, 0, false}, {"-1", 2, 0, false}, {"1e3", 2, 0, false}, {"", 2, 0, false}, {".5", 2, 0, false}, {"5.", 2, 0, false},
		{"705", 0, 705, true}, {"705.00", 0, 0, false}, {"99999999999999999999", 0, 0, false},
	} {
		got, ok := parseMinor(c.s, c.exp)
		if got != c.want || ok != c.ok {
			t.Errorf("parseMinor(%q, %d) = %d, %v", c.s, c.exp, got, ok)
		}
	}
	if formatMinor(1400, 2) != "14.00" || formatMinor(5, 2) != "0.05" || formatMinor(100000, 0) != "100000" {
		t.Error("formatMinor")
	}
}
