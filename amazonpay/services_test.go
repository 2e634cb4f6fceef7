package amazonpay

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// opCase calls one operation and says what must reach the server.
type opCase struct {
	op        string
	call      func(ctx context.Context, c *Client) (any, *Response, error)
	path      string // without the /live or /sandbox prefix
	query     string
	body      string // expected JSON body; "" for none
	reply     string
	check     func(t *testing.T, v any)
	headerKey string // optional extra header that must arrive signed
}

var usd14 = Price{Amount: "14.00", CurrencyCode: "USD"}

func opCases() []opCase {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	return []opCase{
		{op: "CreateCheckoutSession", path: "/v2/checkoutSessions",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.CheckoutSessions.Create(ctx, &CreateCheckoutSessionRequest{
					WebCheckoutDetails: &WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review?a=1&b=2"},
					StoreID:            "amzn1.application-oa2-client.x"})
			},
			body:  `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review?a=1&b=2"},"storeId":"amzn1.application-oa2-client.x"}`,
			reply: `{"checkoutSessionId":"cs-1","statusDetails":{"state":"Open"},"constraints":[{"constraintId":"BuyerNotAssociated"}]}`,
			check: func(t *testing.T, v any) {
				cs := v.(*CheckoutSession)
				if cs.CheckoutSessionID != "cs-1" || cs.State() != CheckoutSessionOpen || cs.Constraints[0].ConstraintID != ConstraintBuyerNotAssociated {
					t.Errorf("got %+v", cs)
				}
			}},
		{op: "GetCheckoutSession", path: "/v2/checkoutSessions/cs-1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.CheckoutSessions.Get(ctx, "cs-1", WithHeader("x-amz-pay-authtoken", "tok"))
			},
			headerKey: "x-amz-pay-authtoken",
			reply:     `{"checkoutSessionId":"cs-1"}`},
		{op: "UpdateCheckoutSession", path: "/v2/checkoutSessions/cs-1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.CheckoutSessions.Update(ctx, "cs-1", &UpdateCheckoutSessionRequest{
					WebCheckoutDetails: &WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
					PaymentDetails: &PaymentDetails{PaymentIntent: PaymentIntentAuthorize, ChargeAmount: usd14,
						CanHandlePendingAuthorization: Bool(false)},
					MerchantMetadata: &MerchantMetadata{MerchantReferenceID: "order-1"}})
			},
			body:  `{"webCheckoutDetails":{"checkoutResultReturnUrl":"https://shop.example/result"},"paymentDetails":{"paymentIntent":"Authorize","canHandlePendingAuthorization":false,"chargeAmount":{"amount":"14.00","currencyCode":"USD"}},"merchantMetadata":{"merchantReferenceId":"order-1"}}`,
			reply: `{"checkoutSessionId":"cs-1","webCheckoutDetails":{"amazonPayRedirectUrl":"https://pay.example/x"}}`,
			check: func(t *testing.T, v any) {
				if v.(*CheckoutSession).WebCheckoutDetails.AmazonPayRedirectURL != "https://pay.example/x" {
					t.Errorf("got %+v", v)
				}
			}},
		{op: "CompleteCheckoutSession", path: "/v2/checkoutSessions/cs-1/complete",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.CheckoutSessions.Complete(ctx, "cs-1", &CompleteCheckoutSessionRequest{ChargeAmount: usd14})
			},
			body:  `{"chargeAmount":{"amount":"14.00","currencyCode":"USD"}}`,
			reply: `{"checkoutSessionId":"cs-1","statusDetails":{"state":"Completed"},"chargePermissionId":"S01-1","chargeId":"S01-1-C1"}`,
			check: func(t *testing.T, v any) {
				cs := v.(*CheckoutSession)
				if cs.State() != CheckoutSessionCompleted || cs.ChargeID != "S01-1-C1" {
					t.Errorf("got %+v", cs)
				}
			}},
		{op: "FinalizeCheckoutSession", path: "/v2/checkoutSessions/cs-1/finalize",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.CheckoutSessions.Finalize(ctx, "cs-1", &FinalizeCheckoutSessionRequest{ChargeAmount: usd14,
					PaymentIntent: PaymentIntentAuthorizeWithCapture, ShippingAddress: &Address{Name: "Susie", CountryCode: "US"}})
			},
			body:  `{"chargeAmount":{"amount":"14.00","currencyCode":"USD"},"shippingAddress":{"name":"Susie","countryCode":"US"},"paymentIntent":"AuthorizeWithCapture"}`,
			reply: `{"checkoutSessionId":"cs-1"}`},
		{op: "GetChargePermission", path: "/v2/chargePermissions/S01-1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.ChargePermissions.Get(ctx, "S01-1")
			},
			reply: `{"chargePermissionId":"S01-1","statusDetails":{"state":"Chargeable","reasons":null},"limits":{"amountLimit":{"amount":"14.00","currencyCode":"USD"},"amountBalance":null}}`,
			check: func(t *testing.T, v any) {
				cp := v.(*ChargePermission)
				if cp.State() != ChargePermissionChargeable || cp.Limits.AmountLimit != usd14 || !cp.Limits.AmountBalance.IsZero() {
					t.Errorf("got %+v", cp)
				}
			}},
		{op: "UpdateChargePermission", path: "/v2/chargePermissions/S01-1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.ChargePermissions.Update(ctx, "S01-1", &UpdateChargePermissionRequest{MerchantMetadata: &MerchantMetadata{MerchantReferenceID: "o-2"}})
			},
			body:  `{"merchantMetadata":{"merchantReferenceId":"o-2"}}`,
			reply: `{"chargePermissionId":"S01-1"}`},
		{op: "CloseChargePermission", path: "/v2/chargePermissions/S01-1/close",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.ChargePermissions.Close(ctx, "S01-1", &CloseChargePermissionRequest{ClosureReason: "done", CancelPendingCharges: true})
			},
			body:  `{"closureReason":"done","cancelPendingCharges":true}`,
			reply: `{"chargePermissionId":"S01-1","statusDetails":{"state":"Closed","reasons":[{"reasonCode":"MerchantClosed"}]}}`,
			check: func(t *testing.T, v any) {
				cp := v.(*ChargePermission)
				if cp.State() != ChargePermissionClosed || cp.StatusDetails.Reasons[0].ReasonCode != ReasonMerchantClosed {
					t.Errorf("got %+v", cp)
				}
			}},
		{op: "CreateCharge", path: "/v2/charges",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Charges.Create(ctx, &CreateChargeRequest{ChargePermissionID: "S01-1", ChargeAmount: usd14, CaptureNow: true})
			},
			body:  `{"chargePermissionId":"S01-1","chargeAmount":{"amount":"14.00","currencyCode":"USD"},"captureNow":true}`,
			reply: `{"chargeId":"S01-1-C2","statusDetails":{"state":"Captured"}}`,
			check: func(t *testing.T, v any) {
				if v.(*Charge).State() != ChargeCaptured {
					t.Errorf("got %+v", v)
				}
			}},
		{op: "GetCharge", path: "/v2/charges/S01-1-C2",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Charges.Get(ctx, "S01-1-C2")
			},
			reply: `{"chargeId":"S01-1-C2","chargeAmount":{"amount":"14.00","currencyCode":"USD"}}`,
			check: func(t *testing.T, v any) {
				if v.(*Charge).ChargeAmount != usd14 {
					t.Errorf("got %+v", v)
				}
			}},
		{op: "UpdateCharge", path: "/v2/charges/S01-1-C2",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Charges.Update(ctx, "S01-1-C2", &UpdateChargeRequest{StatusDetails: &StatusDetails{State: "Canceled", ReasonCode: ReasonExpiredUnused}})
			},
			body:  `{"statusDetails":{"state":"Canceled","reasonCode":"ExpiredUnused"}}`,
			reply: `{"chargeId":"S01-1-C2"}`},
		{op: "CaptureCharge", path: "/v2/charges/S01-1-C2/capture",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Charges.Capture(ctx, "S01-1-C2", &CaptureChargeRequest{CaptureAmount: usd14, SoftDescriptor: "SHOP"})
			},
			body:  `{"captureAmount":{"amount":"14.00","currencyCode":"USD"},"softDescriptor":"SHOP"}`,
			reply: `{"chargeId":"S01-1-C2","captureAmount":{"amount":"14.00","currencyCode":"USD"}}`},
		{op: "CancelCharge", path: "/v2/charges/S01-1-C2/cancel",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Charges.Cancel(ctx, "S01-1-C2", nil)
			},
			body:  `{}`,
			reply: `{"chargeId":"S01-1-C2","statusDetails":{"state":"Canceled","reasonCode":"MerchantCanceled"}}`},
		{op: "CreateRefund", path: "/v2/refunds",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Refunds.Create(ctx, &CreateRefundRequest{ChargeID: "S01-1-C2", RefundAmount: Price{"5.00", "USD"}})
			},
			body:  `{"chargeId":"S01-1-C2","refundAmount":{"amount":"5.00","currencyCode":"USD"}}`,
			reply: `{"refundId":"S01-1-R1","statusDetails":{"state":"RefundInitiated"}}`,
			check: func(t *testing.T, v any) {
				if v.(*Refund).State() != RefundInitiated {
					t.Errorf("got %+v", v)
				}
			}},
		{op: "GetRefund", path: "/v2/refunds/S01-1-R1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Refunds.Get(ctx, "S01-1-R1")
			},
			reply: `{"refundId":"S01-1-R1"}`},
		{op: "GetBuyer", path: "/v2/buyers/btok",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Buyers.Get(ctx, "btok")
			},
			reply: `{"buyerId":"amzn1.account.X","email":"b@example.com"}`,
			check: func(t *testing.T, v any) {
				if v.(*BuyerProfile).BuyerID != "amzn1.account.X" {
					t.Errorf("got %+v", v)
				}
			}},
		{op: "DeliveryTrackers", path: "/v2/deliveryTrackers",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.DeliveryTrackers.Create(ctx, &DeliveryTrackerRequest{ChargePermissionID: "S01-1",
					DeliveryDetails: []DeliveryDetail{{TrackingNumber: "1Z", CarrierCode: "UPS"}}})
			},
			body:  `{"chargePermissionId":"S01-1","deliveryDetails":[{"trackingNumber":"1Z","carrierCode":"UPS"}]}`,
			reply: `{"chargePermissionId":"S01-1","deliveryDetails":[{"trackingNumber":"1Z","carrierCode":"UPS"}]}`},
		{op: "GetAuthorizationToken", path: "/v2/authorizationTokens/mws-1", query: "merchantId=A3OJ83WFYM72IY",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.AuthorizationTokens.Get(ctx, "mws-1", "A3OJ83WFYM72IY")
			},
			reply: `{"authorizationToken":"secret-token"}`,
			check: func(t *testing.T, v any) {
				tok := v.(*AuthorizationToken)
				if tok.AuthorizationToken != "secret-token" || strings.Contains(tok.String(), "secret") {
					t.Errorf("got %v", tok)
				}
			}},
		{op: "MerchantScan", path: "/v2/in-store/merchantScan",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.InStore.MerchantScan(ctx, &MerchantScanRequest{ScanData: "UKhr", ScanReferenceID: "ref1", MerchantCOE: "US", LedgerCurrency: "USD"})
			},
			body:  `{"scanData":"UKhr","scanReferenceId":"ref1","merchantCOE":"US","ledgerCurrency":"USD"}`,
			reply: `{"chargePermissionId":"S01-9"}`},
		{op: "InStoreCharge", path: "/v2/in-store/charge",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.InStore.Charge(ctx, &InStoreChargeRequest{ChargePermissionID: "S01-9", ChargeReferenceID: "c1", ChargeTotal: Price{"2.00", "USD"}})
			},
			body:  `{"chargePermissionId":"S01-9","chargeReferenceId":"c1","chargeTotal":{"amount":"2.00","currencyCode":"USD"}}`,
			reply: `{"chargeId":"S01-9-C1","chargeStatus":{"state":"Captured"}}`},
		{op: "InStoreRefund", path: "/v2/in-store/refund",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.InStore.Refund(ctx, &InStoreRefundRequest{ChargeID: "S01-9-C1", RefundReferenceID: "r1", RefundTotal: Price{"2.00", "USD"}})
			},
			body:  `{"chargeId":"S01-9-C1","refundReferenceId":"r1","refundTotal":{"amount":"2.00","currencyCode":"USD"}}`,
			reply: `{"refundId":"S01-9-R1","refundStatus":{"state":"RefundInitiated"}}`},
		{op: "GetReports", path: "/v2/reports",
			query: "createdSince=20240101T000000Z&createdUntil=20240131T000000Z&nextToken=n%2Bx&pageSize=10&processingStatuses=COMPLETED&reportTypes=_GET_FLAT_FILE_OFFAMAZONPAYMENTS_ORDER_REFERENCE_DATA_%2C_GET_FLAT_FILE_OFFAMAZONPAYMENTS_BILLING_AGREEMENT_DATA_",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.List(ctx, &GetReportsOptions{ReportTypes: []ReportType{ReportOrderReference, ReportBillingAgreement},
					ProcessingStatuses: []ProcessingStatus{ProcessingCompleted}, CreatedSince: t0, CreatedUntil: t1, PageSize: 10, NextToken: "n+x"})
			},
			reply: `{"reports":[{"reportId":"r1","processingStatus":"COMPLETED","createdTime":"20240102T000000Z"}],"nextToken":"nt"}`,
			check: func(t *testing.T, v any) {
				l := v.(*ReportList)
				if len(l.Reports) != 1 || l.NextToken != "nt" || !l.Reports[0].CreatedTime.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("got %+v", l)
				}
			}},
		{op: "GetReportById", path: "/v2/reports/r1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.Get(ctx, "r1")
			},
			reply: `{"reportId":"r1","reportDocumentId":"d1"}`},
		{op: "GetReportDocument", path: "/v2/report-documents/amzn1.tortuga.0.x",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.GetDocument(ctx, "amzn1.tortuga.0.x")
			},
			reply: `{"reportDocumentId":"amzn1.tortuga.0.x","url":"https://s3.example/x"}`},
		{op: "GetReportSchedules", path: "/v2/report-schedules", query: "reportTypes=_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.ListSchedules(ctx, &GetReportSchedulesOptions{ReportTypes: []ReportType{ReportSettlement}})
			},
			reply: `{"reportSchedules":[{"reportScheduleId":"s1","scheduleFrequency":"P1D"}]}`},
		{op: "GetReportScheduleById", path: "/v2/report-schedules/s1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.GetSchedule(ctx, "s1")
			},
			reply: `{"reportScheduleId":"s1"}`},
		{op: "CreateReport", path: "/v2/reports",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.Create(ctx, &CreateReportRequest{ReportType: ReportCapture, StartTime: NewTimestamp(t0), EndTime: NewTimestamp(t1)})
			},
			body:  `{"reportType":"_GET_FLAT_FILE_OFFAMAZONPAYMENTS_CAPTURE_DATA_","startTime":"20240101T000000Z","endTime":"20240131T000000Z"}`,
			reply: `{"reportId":"r2"}`},
		{op: "CreateReportSchedule", path: "/v2/report-schedules",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.CreateSchedule(ctx, &CreateReportScheduleRequest{ReportType: ReportOrderReference, ScheduleFrequency: "P1D"})
			},
			body:  `{"reportType":"_GET_FLAT_FILE_OFFAMAZONPAYMENTS_ORDER_REFERENCE_DATA_","scheduleFrequency":"P1D","deleteExistingSchedule":false}`,
			reply: `{"reportScheduleId":"s2"}`},
		{op: "CancelReportSchedule", path: "/v2/report-schedules/s2",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Reports.CancelSchedule(ctx, "s2")
			},
			reply: ``},
		{op: "GetDisbursements", path: "/v2/disbursements", query: "endTime=20240131T000000Z&pageSize=5&startTime=20240101T000000Z",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Disbursements.List(ctx, &GetDisbursementsOptions{StartTime: t0, EndTime: t1, PageSize: 5})
			},
			reply: `{"disbursements":[{"sellerId":"A1","settlementId":"x","amazonDisbursementReferenceId":"r","amount":"12.30","currencyCode":"USD","transactionTime":"2024-01-02T00:00:00.000Z"}],"nextToken":null}`,
			check: func(t *testing.T, v any) {
				d := v.(*DisbursementList).Disbursements[0]
				n, err := d.Price().MinorUnits()
				if n != 1230 || err != nil || !d.TransactionTime.Equal(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("got %+v", d)
				}
			}},
		{op: "RegisterAmazonPayAccount", path: "/v2/merchantAccounts",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.MerchantAccounts.RegisterAmazonPayAccount(ctx, &MerchantAccountRequest{UniqueReferenceID: "u1", LedgerCurrency: "JPY",
					BusinessInfo: &BusinessInfo{Email: "a@b.example", AnnualSalesVolume: Price{"100000", "JPY"}}})
			},
			body:  `{"uniqueReferenceId":"u1","ledgerCurrency":"JPY","businessInfo":{"email":"a@b.example","annualSalesVolume":{"amount":"100000","currencyCode":"JPY"}}}`,
			reply: `{"merchantAccountId":"M1","uniqueReferenceId":"u1"}`},
		{op: "UpdateAmazonPayAccount", path: "/v2/merchantAccounts/M1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.MerchantAccounts.UpdateAmazonPayAccount(ctx, "M1", &UpdateMerchantAccountRequest{PrimaryContactPerson: &Person{PersonFullName: "A B"}})
			},
			body:  `{"primaryContactPerson":{"personFullName":"A B"}}`,
			reply: `{"merchantAccountId":"M1"}`},
		{op: "DeleteAmazonPayAccount", path: "/v2/merchantAccounts/M1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.MerchantAccounts.DeleteAmazonPayAccount(ctx, "M1")
			},
			reply: `{}`},
		{op: "CreateMerchantAccount", path: "/v2/merchantAccounts",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.MerchantAccounts.Create(ctx, &MerchantAccountRequest{UniqueReferenceID: "u2",
					IntegrationInfo: &IntegrationInfo{IPNEndpointURLs: []string{"https://shop.example/ipn"}}})
			},
			body:  `{"uniqueReferenceId":"u2","integrationInfo":{"ipnEndpointUrls":["https://shop.example/ipn"]}}`,
			reply: `{"merchantAccountId":"M2"}`},
		{op: "UpdateMerchantAccount", path: "/v2/merchantAccounts/M2",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.MerchantAccounts.Update(ctx, "M2", &UpdateMerchantAccountRequest{BusinessInfo: &BusinessInfo{BusinessDisplayName: "Cafe"}},
					WithHeader("x-amz-pay-authtoken", "tok"))
			},
			headerKey: "x-amz-pay-authtoken",
			body:      `{"businessInfo":{"businessDisplayName":"Cafe"}}`,
			reply:     `{"merchantAccountId":"M2"}`},
		{op: "ClaimMerchantAccount", path: "/v2/merchantAccounts/M2/claim",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.MerchantAccounts.Claim(ctx, "M2", &ClaimMerchantAccountRequest{UniqueReferenceID: "u2"})
			},
			body:  `{"uniqueReferenceId":"u2"}`,
			reply: `{"merchantAccountId":"M2"}`,
			check: func(t *testing.T, v any) {
				if v.(*ClaimMerchantAccountResult).MerchantAccountID != "M2" {
					t.Errorf("got %+v", v)
				}
			}},
		{op: "CreateDispute", path: "/v2/disputes",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Disputes.Create(ctx, &CreateDisputeRequest{ChargeID: "S03-1-C1", DisputeAmount: Price{"1", "JPY"},
					FilingReason: FilingProductNotReceived, CreationTimestamp: 1700000000,
					StatusDetails: &DisputeStatusDetails{State: DisputeActionRequired}, ProviderMetadata: &DisputeProviderMetadata{ProviderDisputeID: "P1"}})
			},
			body:  `{"chargeId":"S03-1-C1","providerMetadata":{"providerDisputeId":"P1"},"disputeAmount":{"amount":"1","currencyCode":"JPY"},"filingReason":"ProductNotReceived","creationTimestamp":1700000000,"statusDetails":{"state":"ActionRequired"}}`,
			reply: `{"disputeId":"D1","creationTimestamp":1700000000,"statusDetails":{"state":"ActionRequired"}}`,
			check: func(t *testing.T, v any) {
				d := v.(*Dispute)
				if d.State() != DisputeActionRequired || d.CreationTimestamp.Unix() != 1700000000 {
					t.Errorf("got %+v", d)
				}
			}},
		{op: "GetDispute", path: "/v2/disputes/D1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Disputes.Get(ctx, "D1")
			},
			reply: `{"disputeId":"D1"}`},
		{op: "UpdateDispute", path: "/v2/disputes/D1",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Disputes.Update(ctx, "D1", &UpdateDisputeRequest{StatusDetails: &DisputeStatusDetails{State: DisputeResolved,
					Resolution: DisputeMerchantWon, ReasonCode: ReasonMerchantAcceptedDispute}, ClosureTimestamp: 1700000100})
			},
			body:  `{"statusDetails":{"state":"Resolved","reasonCode":"MerchantAcceptedDispute","resolution":"MerchantWon"},"closureTimestamp":1700000100}`,
			reply: `{"disputeId":"D1"}`},
		{op: "ContestDispute", path: "/v2/disputes/D1/contest",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Disputes.Contest(ctx, "D1", &ContestDisputeRequest{MerchantEvidences: []Evidence{{EvidenceType: "TrackingNumber", FileID: "F1"}}})
			},
			body:  `{"merchantEvidences":[{"evidenceType":"TrackingNumber","fileId":"F1"}]}`,
			reply: `{"disputeId":"D1"}`},
		{op: "UploadFile", path: "/v2/files",
			call: func(ctx context.Context, c *Client) (any, *Response, error) {
				return c.Files.Upload(ctx, &UploadFileRequest{Type: "jpg", Purpose: "disputeEvidence"})
			},
			body:  `{"type":"jpg","purpose":"disputeEvidence"}`,
			reply: `{"id":"F1","type":"jpg","purpose":"disputeEvidence","size":null,"uploadTimestamp":null,"url":"https://s3.example/up","urlExpirationTimestamp":"20240115T124956Z"}`,
			check: func(t *testing.T, v any) {
				f := v.(*File)
				if f.ID != "F1" || f.URL != "https://s3.example/up" || f.URLExpirationTimestamp.IsZero() || f.Size != 0 {
					t.Errorf("got %+v", f)
				}
			}},
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestEveryOperation calls every operation against a server that checks
// method, path (for each of the three path shapes), query, body, headers
// and signature.
func TestEveryOperation(t *testing.T) {
	cases := opCases()
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.op] = true
	}
	for _, op := range Operations() {
		if !covered[op.Name] {
			t.Errorf("operation %s has no test case", op.Name)
		}
	}
	envs := []struct {
		name   string
		keyID  string
		sbx    bool
		prefix string
	}{
		{"env-specific key", "SANDBOX-AEXAMPLEPUBLICKEYID", false, ""},
		{"legacy sandbox", "AEXAMPLEPUBLICKEYID", true, "/sandbox"},
		{"legacy live", "AEXAMPLEPUBLICKEYID", false, "/live"},
	}
	for _, env := range envs {
		for _, tc := range cases {
			t.Run(env.name+"/"+tc.op, func(t *testing.T) {
				t.Parallel()
				f := newFakeAPI(t, reply{status: 200, body: tc.reply})
				c := newTestClient(t, f, WithPublicKeyID(env.keyID), WithSandbox(env.sbx))
				v, resp, err := tc.call(t.Context(), c)
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if v == nil || reflect.ValueOf(v).IsNil() {
					t.Fatal("nil result")
				}
				if tc.check != nil {
					tc.check(t, v)
				}
				reqs := f.requests()
				if len(reqs) != 1 {
					t.Fatalf("%d requests", len(reqs))
				}
				checkRequest(t, tc, env.prefix, reqs[0], resp, f.srv.Listener.Addr().String())
			})
		}
	}
}

func checkRequest(t *testing.T, tc opCase, prefix string, got recorded, resp *Response, host string) {
	t.Helper()
	op, _ := lookupOperation(tc.op)
	if got.Method != op.Method {
		t.Errorf("method %s, want %s", got.Method, op.Method)
	}
	if want := prefix + tc.path; got.Path != want {
		t.Errorf("path %s, want %s", got.Path, want)
	}
	if got.RawQuery != tc.query {
		t.Errorf("query %q, want %q", got.RawQuery, tc.query)
	}
	checkJSONBody(t, got.Body, tc.body)
	if got.VerifyErr != nil {
		t.Fatalf("signature: %v", got.VerifyErr)
	}
	for name, want := range map[string]string{
		"accept": "application/json", "content-type": "application/json",
		"x-amz-pay-date": "20240115T123456Z", "x-amz-pay-host": host, "x-amz-pay-region": "na",
	} {
		if g := got.Header.Get(name); g != want {
			t.Errorf("%s = %q, want %q", name, g, want)
		}
	}
	signed := got.Verified.Authorization.SignedHeaderNames()
	wantSigned := []string{"accept", "content-type", "x-amz-pay-date", "x-amz-pay-host"}
	if tc.headerKey != "" {
		wantSigned = append(wantSigned, tc.headerKey)
	}
	key := got.Header.Get("x-amz-pay-idempotency-key")
	if op.Method == "POST" {
		if !hex32.MatchString(key) {
			t.Errorf("POST idempotency key %q is not 32 hex", key)
		}
		wantSigned = append(wantSigned, "x-amz-pay-idempotency-key")
		if resp.IdempotencyKey != key {
			t.Errorf("Response.IdempotencyKey %q, sent %q", resp.IdempotencyKey, key)
		}
	} else if key != "" {
		t.Errorf("%s sent idempotency key %q", op.Method, key)
	}
	wantSigned = append(wantSigned, "x-amz-pay-region")
	sortStrings(wantSigned)
	if !reflect.DeepEqual(signed, wantSigned) {
		t.Errorf("signed headers %v, want %v", signed, wantSigned)
	}
	if got.Header.Get("User-Agent") == "" {
		t.Error("no User-Agent")
	}
	if resp.RequestID != "req-A" || resp.Attempts != 1 || resp.StatusCode != 200 {
		t.Errorf("response %+v", resp)
	}
	if got.Verified.Authorization.Algorithm != signing.AlgorithmV2 {
		t.Errorf("algorithm %s", got.Verified.Authorization.Algorithm)
	}
}

func checkJSONBody(t *testing.T, got []byte, want string) {
	t.Helper()
	if want == "" {
		if len(got) != 0 {
			t.Errorf("body %s, want none", got)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
