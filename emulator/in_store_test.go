package emulator

import (
	"strings"
	"testing"
)

func TestValidateMerchantScan(t *testing.T) {
	valid := func() merchantScanIn {
		var in merchantScanIn
		body := `{"scanData":"UKhrbk01ZFdG...","scanReferenceId":"scan-1","merchantCOE":"US","ledgerCurrency":"USD",
			"storeLocation":{"countryCode":"US"},"metadata":{"merchantNote":"n","customInformation":"c",
			"communicationContext":{"merchantStoreName":"Store","merchantOrderId":"789123"}}}`
		if err := decodeStrict([]byte(body), &in); err != nil {
			panic(err)
		}
		return in
	}
	tests := []struct {
		name   string
		mutate func(*merchantScanIn)
		code   string
	}{
		{"ok", func(*merchantScanIn) {}, ""},
		{"no scan data", func(in *merchantScanIn) { in.ScanData = nil }, codeMissingParameterValue},
		{"huge scan data", func(in *merchantScanIn) { in.ScanData = sp(strings.Repeat("x", maxScanDataLen+1)) }, codeInvalidParameterValue},
		{"no reference", func(in *merchantScanIn) { in.ScanReferenceID = sp("") }, codeMissingParameterValue},
		{"no COE", func(in *merchantScanIn) { in.MerchantCOE = nil }, codeMissingParameterValue},
		{"bad COE", func(in *merchantScanIn) { in.MerchantCOE = sp("USA") }, codeInvalidParameterValue},
		{"no currency", func(in *merchantScanIn) { in.LedgerCurrency = nil }, codeMissingParameterValue},
		{"not a ledger currency", func(in *merchantScanIn) { in.LedgerCurrency = sp("AUD") }, codeInvalidParameterValue},
		{"bad location", func(in *merchantScanIn) { in.StoreLocation.CountryCode = sp("us") }, codeInvalidParameterValue},
		{"long store name", func(in *merchantScanIn) {
			in.Metadata.CommunicationContext.MerchantStoreName = sp(strings.Repeat("s", 51))
		}, codeInvalidParameterValue},
	}
	for _, tt := range tests {
		in := valid()
		tt.mutate(&in)
		_, err := validateMerchantScan(&in)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%s: got %v; want %q", tt.name, err, tt.code)
		}
	}
}

func TestInStoreChargeAndRefundRules(t *testing.T) {
	sc := &InStoreScan{ChargePermissionID: "S01-1-1", LedgerCurrency: "JPY"}
	if err := chargeInStore(sc, 1000, "USD"); err == nil || err.ReasonCode != codeCurrencyMismatch {
		t.Fatalf("currency: %v", err)
	}
	if err := chargeInStore(sc, 1000, "JPY"); err != nil {
		t.Fatal(err)
	}
	sc.ChargeID = "S01-1-1-C1"
	if err := chargeInStore(sc, 1000, "JPY"); err == nil || err.Status != 422 || err.ReasonCode != codeInvalidChargePermissionStatus {
		t.Fatalf("second charge: %v", err)
	}

	tests := []struct {
		name     string
		ch       InStoreCharge
		amount   int64
		currency string
		code     string
	}{
		{"full", InStoreCharge{Amount: 10000, Currency: "USD"}, 10000, "USD", ""},
		{"15% over", InStoreCharge{Amount: 10000, Currency: "USD"}, 11500, "USD", ""},
		{"beyond 15%", InStoreCharge{Amount: 10000, Currency: "USD"}, 11501, "USD", codeTransactionAmountExceeded},
		{"75 USD cap", InStoreCharge{Amount: 100000, Currency: "USD"}, 107501, "USD", codeTransactionAmountExceeded},
		{"8400 JPY cap", InStoreCharge{Amount: 100000, Currency: "JPY"}, 108400, "JPY", ""},
		{"over 8400 JPY", InStoreCharge{Amount: 100000, Currency: "JPY"}, 108401, "JPY", codeTransactionAmountExceeded},
		{"cumulative", InStoreCharge{Amount: 10000, Currency: "USD", Refunded: 9000, Refunds: 3}, 2501, "USD", codeTransactionAmountExceeded},
		{"currency", InStoreCharge{Amount: 10000, Currency: "USD"}, 100, "EUR", codeCurrencyMismatch},
		{"count", InStoreCharge{Amount: 10000, Currency: "USD", Refunded: 10, Refunds: 10}, 1, "USD", codeTransactionCountExceeded},
	}
	for _, tt := range tests {
		err := refundInStore(&tt.ch, tt.amount, tt.currency)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%s: got %v; want %q", tt.name, err, tt.code)
		}
	}
}

func TestReferenceIDsUsedOnce(t *testing.T) {
	used := map[string]bool{}
	o := Owner{MerchantID: "M", Env: Sandbox}
	used[refKey(o, "scan", "r1")] = true
	if err := checkRefUnused(used, o, "scan", "scanReferenceId", "r1"); err == nil {
		t.Fatal("reuse accepted")
	}
	if err := checkRefUnused(used, o, "charge", "chargeReferenceId", "r1"); err != nil {
		t.Fatal("kinds share references")
	}
	if err := checkRefUnused(used, Owner{MerchantID: "N", Env: Sandbox}, "scan", "scanReferenceId", "r1"); err != nil {
		t.Fatal("merchants share references")
	}
}

func TestServer_InStore(t *testing.T) {
	e := newTestEnv(t)
	scan := `{"scanData":"UKhrbk01ZFdG","scanReferenceId":"scan-1","merchantCOE":"JP","ledgerCurrency":"JPY","storeLocation":{"countryCode":"JP"}}`
	cp := str(wantStatus(t, e.post("/v2/in-store/merchantScan", scan), 200), "chargePermissionId")
	if !orderReferenceRe.MatchString(cp) || cp[0] != 'S' {
		t.Fatalf("charge permission id %q", cp)
	}
	post := func(p, b string) req {
		return req{method: "POST", path: p, body: b, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
	}
	e.rejects(post("/v2/in-store/merchantScan", scan), 400, codeInvalidParameterValue) // reference reused

	charge := `{"chargePermissionId":"` + cp + `","chargeReferenceId":"charge-1","chargeTotal":{"amount":10000,"currencyCode":"JPY"},"softDescriptor":"Store"}`
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, "10000", `"100.50"`, 1)), 400, codeInvalidParameterValue)
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, "JPY", "USD", 1)), 400, codeCurrencyMismatch)
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, "10000", "10000001", 1)), 400, codeTransactionAmountExceeded)
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, "10000", "0", 1)), 400, codeInvalidParameterValue)
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, cp, "S01-0000000-0000000", 1)), 404, codeResourceNotFound)
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, `"Store"`, `"A very long store descriptor"`, 1)), 400, codeInvalidParameterValue)
	key := idem()
	first := e.do(req{method: "POST", path: "/v2/in-store/charge", body: charge, header: map[string]string{"x-amz-pay-idempotency-key": key}})
	ch := wantStatus(t, first, 200)
	chID := str(ch, "chargeId")
	if !strings.HasPrefix(chID, cp+"-C") || str(ch, "chargeStatus.state") != inStoreChargeCaptured {
		t.Fatalf("charge %v", ch)
	}
	replay := e.do(req{method: "POST", path: "/v2/in-store/charge", body: charge, header: map[string]string{"x-amz-pay-idempotency-key": key}})
	if replay.Code != 200 || replay.Body.String() != first.Body.String() {
		t.Fatalf("replay %d %s", replay.Code, replay.Body)
	}
	e.rejects(post("/v2/in-store/charge", strings.Replace(charge, "charge-1", "charge-2", 1)), 422, codeInvalidChargePermissionStatus)

	refund := `{"chargeId":"` + chID + `","refundReferenceId":"refund-1","refundTotal":{"amount":"4000","currencyCode":"JPY"}}`
	rf := wantStatus(t, e.post("/v2/in-store/refund", refund), 200)
	if !strings.HasPrefix(str(rf, "refundId"), cp+"-R") || str(rf, "refundStatus.state") != inStoreRefundInitiated {
		t.Fatalf("refund %v", rf)
	}
	e.rejects(post("/v2/in-store/refund", refund), 400, codeInvalidParameterValue) // reference reused
	e.rejects(post("/v2/in-store/refund", strings.Replace(strings.Replace(refund, "refund-1", "refund-2", 1), "4000", "7501", 1)), 400, codeTransactionAmountExceeded)
	wantStatus(t, e.post("/v2/in-store/refund", strings.Replace(strings.Replace(refund, "refund-1", "refund-3", 1), "4000", "7500", 1)), 200)
	e.rejects(post("/v2/in-store/refund", strings.Replace(refund, chID, cp+"-C0000000", 1)), 404, codeResourceNotFound)
	e.rejects(post("/v2/in-store/refund", `{"chargeId":"`+chID+`","refundReferenceId":"r9"}`), 400, codeMissingParameterValue)
	e.rejects(post("/v2/in-store/merchantScan", `{"scanData":"x","scanReferenceId":"s2","merchantCOE":"JP","ledgerCurrency":"JPY","storeLocation":{"city":"Tokyo"}}`), 400, codeUnrecognizedField)
	// Another merchant cannot charge the scan.
	e.rejects(req{method: "POST", path: "/v2/in-store/charge", keyID: otherKeyID, body: strings.Replace(charge, "charge-1", "charge-x", 1),
		header: map[string]string{"x-amz-pay-idempotency-key": idem()}}, 404, codeResourceNotFound)
}
