package action

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
)

// TestTableCoversEveryOperation: the action table and the SDK's operation
// list name the same operations, so no operation is missing and no action
// names something the SDK does not have.
func TestTableCoversEveryOperation(t *testing.T) {
	var ops []string
	for _, op := range amazonpay.Operations() {
		ops = append(ops, op.Name)
		if _, ok := table[op.Name]; !ok {
			t.Errorf("operation %s (%s %s) has no action", op.Name, op.Method, op.Path)
		}
	}
	for name, e := range table {
		if !slices.Contains(ops, name) {
			t.Errorf("action %s is not an operation of the SDK", name)
		}
		if e.run == nil {
			t.Errorf("action %s has no SDK call", name)
		}
	}
	if got := Actions(); len(got) != len(ops) || !slices.IsSorted(got) {
		t.Errorf("Actions() = %v", got)
	}
}

// TestEveryActionReachesItsOperation runs a minimal valid document for
// every action and checks the SDK sent the operation's method and path.
func TestEveryActionReachesItsOperation(t *testing.T) {
	price := `{"amount":"1.00","currencyCode":"USD"}`
	extra := map[string]string{
		"CreateCheckoutSession":    `"storeId":"s"`,
		"CompleteCheckoutSession":  `"chargeAmount":` + price,
		"FinalizeCheckoutSession":  `"chargeAmount":` + price,
		"CreateCharge":             `"chargePermissionId":"p","chargeAmount":` + price,
		"UpdateCharge":             `"statusDetails":{"state":"Canceled"}`,
		"CaptureCharge":            `"captureAmount":` + price,
		"CreateRefund":             `"chargeId":"c","refundAmount":` + price,
		"DeliveryTrackers":         `"chargePermissionId":"p","deliveryDetails":[{"trackingNumber":"1Z","carrierCode":"UPS"}]`,
		"GetAuthorizationToken":    `"merchantId":"m"`,
		"MerchantScan":             `"scanData":"d","scanReferenceId":"r","merchantCOE":"US","ledgerCurrency":"USD"`,
		"InStoreCharge":            `"chargePermissionId":"p","chargeReferenceId":"r","chargeTotal":` + price,
		"InStoreRefund":            `"chargeId":"c","refundReferenceId":"r","refundTotal":` + price,
		"CreateReport":             `"reportType":"_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_","startTime":"20240101T000000Z","endTime":"20240201T000000Z"`,
		"CreateReportSchedule":     `"reportType":"_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_","scheduleFrequency":"P1D"`,
		"GetDisbursements":         `"startTime":"20240101T000000Z","endTime":"20240201T000000Z"`,
		"RegisterAmazonPayAccount": `"uniqueReferenceId":"u"`,
		"CreateMerchantAccount":    `"uniqueReferenceId":"u"`,
		"ClaimMerchantAccount":     `"uniqueReferenceId":"u"`,
		"CreateDispute":            `"chargeId":"c","disputeAmount":` + price + `,"filingReason":"ProductNotReceived"`,
		"ContestDispute":           `"merchantEvidences":[{"evidenceType":"TrackingNumber","fileId":"f"}]`,
		"UploadFile":               `"type":"jpg","purpose":"disputeEvidence"`,
	}
	fake := &fakeAmazon{status: 200, body: `{}`}
	r := newFakeRunner(t, fake)
	for _, op := range amazonpay.Operations() {
		t.Run(op.Name, func(t *testing.T) {
			doc := `{"action":"` + op.Name + `"`
			for _, p := range op.PathParams() {
				doc += `,"` + p + `":"id-` + p + `"`
			}
			if e := extra[op.Name]; e != "" {
				doc += "," + e
			}
			doc += "}"
			before := fake.hits.Load()
			res := r.Run(t.Context(), []byte(doc))
			if res.Status != 200 || fake.hits.Load() != before+1 {
				t.Fatalf("%s: %d %s", doc, res.Status, res.Body)
			}
			req, _ := fake.request()
			want := op.Path
			for _, p := range op.PathParams() {
				want = strings.Replace(want, "{"+p+"}", "id-"+p, 1)
			}
			if req.Method != op.Method || req.URL.Path != want {
				t.Errorf("sent %s %s, want %s %s", req.Method, req.URL.Path, op.Method, want)
			}
		})
	}
}

func TestRun_AuthTokenHeader(t *testing.T) {
	fake := &fakeAmazon{status: 200, body: `{}`}
	res := newFakeRunner(t, fake).Run(t.Context(), []byte(`{"action":"UpdateMerchantAccount","merchantAccountId":"m1","authToken":"delegated-token","businessInfo":{}}`))
	req, sent := fake.request()
	if res.Status != 200 || req.Header.Get("x-amz-pay-authtoken") != "delegated-token" || strings.Contains(string(sent), "authToken") {
		t.Fatalf("%d header %q body %s", res.Status, req.Header.Get("x-amz-pay-authtoken"), sent)
	}
}

func TestRun_ClaimRedirectKeepsLocation(t *testing.T) {
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amz-pay-request-id", "req-303")
		w.Header().Set("Location", "https://sellercentral.example/claim?token=1")
		w.WriteHeader(http.StatusSeeOther)
	})
	res := newFakeRunner(t, redirect).Run(t.Context(), []byte(`{"action":"ClaimMerchantAccount","merchantAccountId":"m1","uniqueReferenceId":"u1"}`))
	if res.Status != 303 || string(res.Body) != `{"location":"https://sellercentral.example/claim?token=1"}` || res.RequestID != "req-303" {
		t.Fatalf("%d %s %q", res.Status, res.Body, res.RequestID)
	}
}
