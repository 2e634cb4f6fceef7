package emulator

import (
	"strings"
	"testing"
)

func TestValidateDeliveryTracker(t *testing.T) {
	ok1 := func() deliveryTrackerIn {
		return deliveryTrackerIn{ChargePermissionID: sp("S01-1234567-1234567"),
			DeliveryDetails: []deliveryDetailIn{{TrackingNumber: sp("1Z999AA10123456789"), CarrierCode: sp("UPS")}}}
	}
	tests := []struct {
		name   string
		mutate func(*deliveryTrackerIn)
		code   string
	}{
		{"charge permission", func(*deliveryTrackerIn) {}, ""},
		{"order reference", func(in *deliveryTrackerIn) {
			in.ChargePermissionID, in.AmazonOrderReferenceID = nil, sp("P00-0000000-0000000")
		}, ""},
		{"both ids", func(in *deliveryTrackerIn) { in.AmazonOrderReferenceID = sp("P00-0000000-0000000") }, codeInvalidParameterCombination},
		{"no id", func(in *deliveryTrackerIn) { in.ChargePermissionID = nil }, codeMissingParameterValue},
		{"bad order reference", func(in *deliveryTrackerIn) {
			in.ChargePermissionID, in.AmazonOrderReferenceID = nil, sp("order-1")
		}, codeInvalidParameterValue},
		{"no details", func(in *deliveryTrackerIn) { in.DeliveryDetails = nil }, codeMissingParameterValue},
		{"no tracking number", func(in *deliveryTrackerIn) { in.DeliveryDetails[0].TrackingNumber = nil }, codeMissingParameterValue},
		{"blank tracking number", func(in *deliveryTrackerIn) { in.DeliveryDetails[0].TrackingNumber = sp("  ") }, codeMissingParameterValue},
		{"spaced tracking number", func(in *deliveryTrackerIn) { in.DeliveryDetails[0].TrackingNumber = sp("1Z 99") }, codeInvalidParameterValue},
		{"long tracking number", func(in *deliveryTrackerIn) { in.DeliveryDetails[0].TrackingNumber = sp(strings.Repeat("9", 65)) }, codeInvalidParameterValue},
		{"no carrier", func(in *deliveryTrackerIn) { in.DeliveryDetails[0].CarrierCode = nil }, codeMissingParameterValue},
		{"lower-case carrier", func(in *deliveryTrackerIn) { in.DeliveryDetails[0].CarrierCode = sp("ups") }, codeInvalidParameterValue},
		{"repeated in request", func(in *deliveryTrackerIn) {
			in.DeliveryDetails = append(in.DeliveryDetails, in.DeliveryDetails[0])
		}, codeInvalidParameterValue},
		{"too many", func(in *deliveryTrackerIn) {
			for i := range maxDeliveryDetails {
				in.DeliveryDetails = append(in.DeliveryDetails, deliveryDetailIn{TrackingNumber: sp("T" + itoa(i)), CarrierCode: sp("FEDEX")})
			}
		}, codeInvalidParameterValue},
	}
	for _, tt := range tests {
		in := ok1()
		tt.mutate(&in)
		_, err := validateDeliveryTracker(&in)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%s: got %v; want %q", tt.name, err, tt.code)
		}
	}
}

func TestTrackingCodesUsedOnce(t *testing.T) {
	used := map[string]bool{}
	o := Owner{MerchantID: "M", Env: Live}
	tr := DeliveryTracker{Details: []DeliveryDetail{{TrackingNumber: "1", CarrierCode: "UPS"}}}
	if err := checkTrackingUnused(used, o, tr); err != nil {
		t.Fatal(err)
	}
	used[trackingKey(o, tr.Details[0])] = true
	if err := checkTrackingUnused(used, o, tr); err == nil || err.Status != 400 {
		t.Fatalf("reuse: %v", err)
	}
	if err := checkTrackingUnused(used, Owner{MerchantID: "M", Env: Sandbox}, tr); err != nil {
		t.Fatalf("other environment: %v", err)
	}
	other := DeliveryTracker{Details: []DeliveryDetail{{TrackingNumber: "1", CarrierCode: "FEDEX"}}}
	if err := checkTrackingUnused(used, o, other); err != nil {
		t.Fatalf("other carrier: %v", err)
	}
	w := tr.wire()
	if w.AmazonOrderReferenceID != nil || w.ChargePermissionID != nil || len(w.DeliveryDetails) != 1 {
		t.Fatalf("%+v", w)
	}
}

func TestServer_DeliveryTrackers(t *testing.T) {
	e := newTestEnv(t)
	cpID, _ := e.capturedCharge("14.00", "USD")
	body := `{"chargePermissionId":"` + cpID + `","deliveryDetails":[{"trackingNumber":"1Z999AA10123456789","carrierCode":"UPS"}]}`
	got := wantStatus(t, e.post("/v2/deliveryTrackers", body), 200)
	if str(got, "chargePermissionId") != cpID || got["amazonOrderReferenceId"] != nil || len(got["deliveryDetails"].([]any)) != 1 {
		t.Fatalf("answer %v", got)
	}
	post := func(b string) req {
		return req{method: "POST", path: "/v2/deliveryTrackers", body: b, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
	}
	e.rejects(post(body), 400, codeInvalidParameterValue) // tracking codes can only be used once
	e.rejects(post(strings.Replace(body, cpID, "S01-0000000-0000000", 1)), 404, codeResourceNotFound)
	e.rejects(post(`{"deliveryDetails":[{"trackingNumber":"1","carrierCode":"UPS"}]}`), 400, codeMissingParameterValue)
	e.rejects(post(`{"chargePermissionId":"`+cpID+`","deliveryDetails":[]}`), 400, codeMissingParameterValue)
	e.rejects(post(`{"chargePermissionId":"`+cpID+`","deliveryDetails":[{"trackingNumber":"2"}]}`), 400, codeMissingParameterValue)
	e.rejects(post(`{"chargePermissionId":"`+cpID+`","deliveryDetails":{"trackingNumber":"2","carrierCode":"UPS"}}`), 400, codeInvalidParameterValue)
	e.rejects(post(`{"chargePermissionId":"`+cpID+`","deliveryDetails":[{"trackingNumber":"2","carrierCode":"UPS","eta":"soon"}]}`), 400, codeUnrecognizedField)
	// The Node README sample: a v1 order reference.
	v1 := `{"amazonOrderReferenceId":"P00-0000000-0000000","deliveryDetails":[{"trackingNumber":"1Z999AA10123456789","carrierCode":"FEDEX"}]}`
	if got := wantStatus(t, e.post("/v2/deliveryTrackers", v1), 200); str(got, "amazonOrderReferenceId") != "P00-0000000-0000000" || got["chargePermissionId"] != nil {
		t.Fatalf("v1 answer %v", got)
	}
	// Live answers the same way.
	wantStatus(t, e.do(req{method: "POST", path: "/v2/deliveryTrackers", keyID: liveKeyID, body: v1, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}), 200)
}
