package emulator

import (
	"net/url"
	"testing"
	"time"
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
