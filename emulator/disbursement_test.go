package emulator

import (
	"net/url"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

func TestSettle(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	events := []settlementEvent{
		{At: day.Add(2 * time.Hour), Currency: "USD", Amount: 1400},
		{At: day.Add(20 * time.Hour), Currency: "USD", Amount: -400},
		{At: day.Add(3 * time.Hour), Currency: "JPY", Amount: 705},
		{At: day.Add(26 * time.Hour), Currency: "USD", Amount: 100},  // next day, not yet paid
		{At: day.Add(-20 * time.Hour), Currency: "EUR", Amount: -50}, // net negative: nothing paid
	}
	got := settle("A1", events, day.Add(36*time.Hour))
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	if got[0].Currency != "JPY" || got[0].Amount != 705 || got[1].Currency != "USD" || got[1].Amount != 1000 {
		t.Fatalf("got %+v", got)
	}
	if !got[0].TransactionTime.Equal(day.Add(24 * time.Hour)) {
		t.Fatalf("paid at %v", got[0].TransactionTime)
	}
	again := settle("A1", events, day.Add(36*time.Hour))
	if again[1].SettlementID != got[1].SettlementID || again[1].ReferenceID != got[1].ReferenceID {
		t.Fatal("ids are not stable")
	}
	if other := settle("A2", events, day.Add(36*time.Hour)); other[1].SettlementID == got[1].SettlementID {
		t.Fatal("ids do not depend on the merchant")
	}
	if len(got[1].SettlementID) != 11 {
		t.Fatalf("settlement id %q", got[1].SettlementID)
	}
	w := got[1].wire("A1")
	if w.Amount != "10.00" || w.TransactionTime != "2026-03-02T00:00:00.000Z" || w.SellerID != "A1" {
		t.Fatalf("wire %+v", w)
	}
}

func TestParseDisbursementQuery(t *testing.T) {
	tests := []struct {
		query string
		code  string
	}{
		{"startTime=20240301T224539Z&endTime=20240330T230345Z&pageSize=10&nextToken=", ""},
		{"startTime=2022-08-04T00-00-00Z&endTime=2022-08-04T23-59-59Z&pageSize=30", ""},
		{"startTime=2024-07-15T00:00:00Z&endTime=2024-08-01T23:59:59Z", ""},
		{"endTime=20240330T230345Z", codeMissingParameterValue},
		{"startTime=20240301T224539Z", codeMissingParameterValue},
		{"startTime=20240330T000000Z&endTime=20240301T000000Z", codeInvalidParameterCombination},
		{"startTime=20220301T000000Z&endTime=20240301T000000Z", codeInvalidParameterCombination},
		{"startTime=March&endTime=20240301T000000Z", codeInvalidParameterValue},
		{"startTime=20240301T000000Z&endTime=20240302T000000Z&pageSize=0", codeInvalidParameterValue},
		{"startTime=20240301T000000Z&endTime=20240302T000000Z&sellerId=A", codeUnrecognizedField},
		{"nextToken=bm9wZQ", codeInvalidParameterValue},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		_, err := parseDisbursementQuery(q)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%q: got %v; want %q", tt.query, err, tt.code)
		}
	}
}

func TestPageDisbursements(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []Disbursement
	for i := range 12 {
		all = append(all, Disbursement{SettlementID: string(rune('a' + i)), TransactionTime: day.Add(time.Duration(i) * 24 * time.Hour)})
	}
	dq := disbursementQuery{Start: day.Add(24 * time.Hour), End: day.Add(10 * 24 * time.Hour), PageSize: 4}
	var ids string
	for n := 0; n < 5; n++ {
		page, next := pageDisbursements(all, dq)
		for _, d := range page {
			ids += d.SettlementID
		}
		if next == "" {
			break
		}
		q := url.Values{"nextToken": {next}}
		var err *apiError
		if dq, err = parseDisbursementQuery(q); err != nil {
			t.Fatal(err)
		}
	}
	if ids != "bcdefghijk" {
		t.Fatalf("pages gave %q", ids)
	}
	page, next := pageDisbursements(nil, dq)
	if page == nil || len(page) != 0 || next != "" {
		t.Fatal("empty list must be [] without a token")
	}
}

func TestSettlementEvents(t *testing.T) {
	ev := settlementEvents([]ledgerEntry{
		{Kind: ledgerCapture, Amount: 100, Currency: "USD"},
		{Kind: ledgerRefund, Amount: 40, Currency: "USD", State: "Refunded"},
		{Kind: ledgerRefund, Amount: 10, Currency: "USD", State: "RefundInitiated"},
		{Kind: ledgerAuthorization, Amount: 100, Currency: "USD"},
	})
	if len(ev) != 2 || ev[0].Amount != 100 || ev[1].Amount != -40 {
		t.Fatalf("%+v", ev)
	}
}

func TestServer_Disbursements(t *testing.T) {
	e := newTestEnv(t)
	_, chID := e.capturedCharge("14.00", "USD")
	wantStatus(t, e.post("/v2/refunds", `{"chargeId":"`+chID+`","refundAmount":{"amount":"4.00","currencyCode":"USD"}}`), 201)
	e.advance(time.Minute) // the refund completes
	day := e.srv.Now().Truncate(24 * time.Hour)
	q := "/v2/disbursements?startTime=" + signing.FormatDate(day) + "&endTime=" + signing.FormatDate(day.Add(72*time.Hour)) + "&pageSize=10&nextToken="

	res := e.get(q)
	if res.Code != 200 || res.Body.String() != `{"disbursements":[],"nextToken":null}` {
		t.Fatalf("before settlement: %d %s", res.Code, res.Body)
	}
	e.advance(48 * time.Hour)
	got := wantStatus(t, e.get(q), 200)
	list := got["disbursements"].([]any)
	if len(list) != 1 {
		t.Fatalf("after settlement %v", got)
	}
	d := list[0].(map[string]any)
	if d["amount"] != "10.00" || d["currencyCode"] != "USD" || d["transactionTime"] != day.Add(24*time.Hour).Format("2006-01-02T15:04:05.000Z") || d["sellerId"] == "" {
		t.Fatalf("disbursement %v", d)
	}
	e.rejects(req{method: "GET", path: "/v2/disbursements?endTime=20260101T000000Z"}, 400, codeMissingParameterValue)
	e.rejects(req{method: "GET", path: "/v2/disbursements?startTime=20260102T000000Z&endTime=20260101T000000Z"}, 400, codeInvalidParameterCombination)
	e.rejects(req{method: "GET", path: "/v2/disbursements?startTime=x&endTime=20260101T000000Z"}, 400, codeInvalidParameterValue)
	if other := wantStatus(t, e.do(req{method: "GET", path: q, keyID: otherKeyID}), 200); len(other["disbursements"].([]any)) != 0 {
		t.Fatalf("other merchant sees %v", other)
	}
}
