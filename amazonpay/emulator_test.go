package amazonpay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpaytest"
)

// This file is the SDK's half of the proof that SDK and emulator agree: every
// operation of amazonpay.Operations() runs through the SDK against the
// emulator in-process, as stripe-go's suite runs against stripe-mock, and
// the retry and idempotency promises are checked against the emulator's
// fault injection.

// opRecorder maps each request the client sends back to its operation, so
// the test can prove every operation went over the wire.
type opRecorder struct {
	mu   sync.Mutex
	seen map[string]int
	next http.RoundTripper
}

func (r *opRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if op, ok := matchOperation(req); ok {
		r.mu.Lock()
		r.seen[op]++
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

// matchOperation finds the operation of a request by method and path
// pattern; the two pairs that share a route are told apart by body, as the
// server does.
func matchOperation(req *http.Request) (string, bool) {
	path := strings.TrimPrefix(strings.TrimPrefix(req.URL.Path, "/sandbox"), "/live")
	for _, op := range amazonpay.Operations() {
		if op.Method != req.Method || !pathMatches(op.Path, path) {
			continue
		}
		switch op.Name {
		case "RegisterAmazonPayAccount", "CreateMerchantAccount", "UpdateAmazonPayAccount", "UpdateMerchantAccount":
			if want := strings.Contains(op.Name, "AmazonPayAccount"); want != (req.Header.Get("x-test-onboarding") == "1") {
				continue
			}
		}
		return op.Name, true
	}
	return "", false
}

func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// onboarding marks the onboarding-API calls for the recorder (the header is
// signed like any other; the emulator ignores it).
var onboarding = amazonpay.WithHeader("x-test-onboarding", "1")

func newEmulator(t *testing.T) (*amazonpaytest.Server, *opRecorder) {
	t.Helper()
	rec := &opRecorder{seen: map[string]int{}, next: http.DefaultTransport}
	srv := amazonpaytest.NewServer(t, amazonpaytest.WithClientOptions(
		amazonpay.WithHTTPClient(&http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // like the SDK's default client: a claim's 303 reaches the caller
		}}),
		amazonpay.WithRetry(amazonpay.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}),
	))
	return srv, rec
}

func must[T any](t *testing.T, what string) func(v T, _ *amazonpay.Response, err error) T {
	return func(v T, _ *amazonpay.Response, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func usdPrice(t *testing.T, amount string) amazonpay.Price {
	t.Helper()
	p, err := amazonpay.ParsePrice(amount, "USD")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// openSession creates a session, signs a buyer in and sets the payment
// details: the state in which the buyer is sent to amazonPayRedirectUrl.
func openSession(t *testing.T, srv *amazonpaytest.Server, intent amazonpay.PaymentIntent, amount string) string {
	t.Helper()
	ctx := t.Context()
	cs := must[*amazonpay.CheckoutSession](t, "CreateCheckoutSession")(srv.Client.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.apaykit",
	}))
	if _, err := srv.BuyerSignIn(ctx, cs.CheckoutSessionID, amazonpaytest.Buyer{}); err != nil {
		t.Fatal(err)
	}
	upd := must[*amazonpay.CheckoutSession](t, "UpdateCheckoutSession")(srv.Client.CheckoutSessions.Update(ctx, cs.CheckoutSessionID, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
		PaymentDetails:     &amazonpay.PaymentDetails{PaymentIntent: intent, ChargeAmount: usdPrice(t, amount)},
	}))
	if upd.WebCheckoutDetails == nil || upd.WebCheckoutDetails.AmazonPayRedirectURL == "" {
		t.Fatalf("no amazonPayRedirectUrl: %+v", upd)
	}
	return cs.CheckoutSessionID
}

func TestEmulatorEveryOperation(t *testing.T) {
	srv, rec := newEmulator(t)
	ctx := t.Context()
	c := srv.Client

	// Checkout: create, sign in, update, confirm, get, complete.
	csID := openSession(t, srv, amazonpay.PaymentIntentAuthorize, "25.00")
	if _, err := srv.Confirm(ctx, csID); err != nil {
		t.Fatal(err)
	}
	got := must[*amazonpay.CheckoutSession](t, "GetCheckoutSession")(c.CheckoutSessions.Get(ctx, csID))
	if got.State() != amazonpay.CheckoutSessionOpen || got.Buyer == nil {
		t.Fatalf("session before completion: %+v", got)
	}
	done := must[*amazonpay.CheckoutSession](t, "CompleteCheckoutSession")(c.CheckoutSessions.Complete(ctx, csID,
		&amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usdPrice(t, "25.00")}))
	if done.State() != amazonpay.CheckoutSessionCompleted || done.ChargeID == "" || done.ChargePermissionID == "" {
		t.Fatalf("completed session: %+v", done)
	}

	// Buy Now: Finalize replaces Complete and repeats Amazon's address.
	buyNow := openSession(t, srv, amazonpay.PaymentIntentAuthorizeWithCapture, "9.99")
	open := must[*amazonpay.CheckoutSession](t, "GetCheckoutSession")(c.CheckoutSessions.Get(ctx, buyNow))
	fin := must[*amazonpay.CheckoutSession](t, "FinalizeCheckoutSession")(c.CheckoutSessions.Finalize(ctx, buyNow, &amazonpay.FinalizeCheckoutSessionRequest{
		ChargeAmount: usdPrice(t, "9.99"), ShippingAddress: open.ShippingAddress, BillingAddress: open.BillingAddress,
		PaymentIntent: amazonpay.PaymentIntentAuthorizeWithCapture,
	}))
	if fin.State() != amazonpay.CheckoutSessionCompleted {
		t.Fatalf("finalized session: %+v", fin)
	}

	// Charge permission and charge of the first checkout.
	cp := must[*amazonpay.ChargePermission](t, "GetChargePermission")(c.ChargePermissions.Get(ctx, done.ChargePermissionID))
	if cp.State() != amazonpay.ChargePermissionChargeable {
		t.Fatalf("charge permission: %+v", cp)
	}
	must[*amazonpay.ChargePermission](t, "UpdateChargePermission")(c.ChargePermissions.Update(ctx, cp.ChargePermissionID,
		&amazonpay.UpdateChargePermissionRequest{MerchantMetadata: &amazonpay.MerchantMetadata{MerchantReferenceID: "order-1"}}))
	ch := must[*amazonpay.Charge](t, "GetCharge")(c.Charges.Get(ctx, done.ChargeID))
	if ch.State() != amazonpay.ChargeAuthorized {
		t.Fatalf("charge: %+v", ch)
	}
	captured := must[*amazonpay.Charge](t, "CaptureCharge")(c.Charges.Capture(ctx, ch.ChargeID,
		&amazonpay.CaptureChargeRequest{CaptureAmount: usdPrice(t, "25.00")}, amazonpay.WithIdempotencyKey("order-1-capture")))
	if captured.State() != amazonpay.ChargeCaptured {
		t.Fatalf("captured: %+v", captured)
	}
	rf := must[*amazonpay.Refund](t, "CreateRefund")(c.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{
		ChargeID: ch.ChargeID, RefundAmount: usdPrice(t, "5.00")}))
	must[*amazonpay.Refund](t, "GetRefund")(c.Refunds.Get(ctx, rf.RefundID))

	// Deferred charging on a Confirm checkout: create, cancel, PSP update,
	// close.
	confirmID := openSession(t, srv, amazonpay.PaymentIntentConfirm, "40.00")
	if _, err := srv.Confirm(ctx, confirmID); err != nil {
		t.Fatal(err)
	}
	conf := must[*amazonpay.CheckoutSession](t, "CompleteCheckoutSession")(c.CheckoutSessions.Complete(ctx, confirmID,
		&amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usdPrice(t, "40.00")}))
	later := must[*amazonpay.Charge](t, "CreateCharge")(c.Charges.Create(ctx, &amazonpay.CreateChargeRequest{
		ChargePermissionID: conf.ChargePermissionID, ChargeAmount: usdPrice(t, "10.00")}))
	canceled := must[*amazonpay.Charge](t, "CancelCharge")(c.Charges.Cancel(ctx, later.ChargeID,
		&amazonpay.CancelChargeRequest{CancellationReason: "out of stock"}))
	if canceled.State() != amazonpay.ChargeCanceled {
		t.Fatalf("canceled charge: %+v", canceled)
	}
	psp := must[*amazonpay.Charge](t, "CreateCharge")(c.Charges.Create(ctx, &amazonpay.CreateChargeRequest{
		ChargePermissionID: conf.ChargePermissionID, ChargeAmount: usdPrice(t, "5.00")}))
	must[*amazonpay.Charge](t, "UpdateCharge")(c.Charges.Update(ctx, psp.ChargeID, &amazonpay.UpdateChargeRequest{
		StatusDetails: &amazonpay.StatusDetails{State: "Canceled", ReasonCode: amazonpay.ReasonExpiredUnused}}))
	closed := must[*amazonpay.ChargePermission](t, "CloseChargePermission")(c.ChargePermissions.Close(ctx, conf.ChargePermissionID,
		&amazonpay.CloseChargePermissionRequest{ClosureReason: "subscription ended", CancelPendingCharges: true}))
	if closed.State() != amazonpay.ChargePermissionClosed {
		t.Fatalf("closed: %+v", closed)
	}

	// Sign-in buyer, delivery tracking, solution-provider token.
	token, buyerID := srv.NewBuyerToken("buyer@example.com")
	if b := must[*amazonpay.BuyerProfile](t, "GetBuyer")(c.Buyers.Get(ctx, token)); b.BuyerID != buyerID {
		t.Fatalf("buyer %+v", b)
	}
	must[*amazonpay.DeliveryTracker](t, "DeliveryTrackers")(c.DeliveryTrackers.Create(ctx, &amazonpay.DeliveryTrackerRequest{
		ChargePermissionID: cp.ChargePermissionID, DeliveryDetails: []amazonpay.DeliveryDetail{{TrackingNumber: "1Z999AA10123456784", CarrierCode: "UPS"}}}))
	tok := must[*amazonpay.AuthorizationToken](t, "GetAuthorizationToken")(c.AuthorizationTokens.Get(ctx,
		"amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE", "A3OJ83WFYM72IY"))
	if tok.AuthorizationToken == "" {
		t.Fatal("empty authorization token")
	}

	// In-store.
	scan := must[*amazonpay.MerchantScanResult](t, "MerchantScan")(c.InStore.MerchantScan(ctx, &amazonpay.MerchantScanRequest{
		ScanData: "UKhrbk01ZFdG", ScanReferenceID: "scan-1", MerchantCOE: "US", LedgerCurrency: "USD",
		StoreLocation: &amazonpay.StoreLocation{CountryCode: "US"}}))
	isc := must[*amazonpay.InStoreCharge](t, "InStoreCharge")(c.InStore.Charge(ctx, &amazonpay.InStoreChargeRequest{
		ChargePermissionID: scan.ChargePermissionID, ChargeReferenceID: "charge-1", ChargeTotal: usdPrice(t, "2.00")}))
	must[*amazonpay.InStoreRefund](t, "InStoreRefund")(c.InStore.Refund(ctx, &amazonpay.InStoreRefundRequest{
		ChargeID: isc.ChargeID, RefundReferenceID: "refund-1", RefundTotal: usdPrice(t, "1.00")}))

	// Reports and disbursements, over a window that holds the capture above
	// (an empty report ends CANCELLED).
	srv.AdvanceClock(2 * time.Hour)
	now := srv.Emulator.Now()
	rep := must[*amazonpay.CreateReportResult](t, "CreateReport")(c.Reports.Create(ctx, &amazonpay.CreateReportRequest{
		ReportType: amazonpay.ReportSandboxSettlement, StartTime: amazonpay.NewTimestamp(now.Add(-3 * time.Hour)), EndTime: amazonpay.NewTimestamp(now.Add(-time.Minute))}))
	srv.AdvanceClock(time.Minute)
	report := must[*amazonpay.Report](t, "GetReportById")(c.Reports.Get(ctx, rep.ReportID))
	if report.ProcessingStatus != amazonpay.ProcessingCompleted || report.ReportDocumentID == "" {
		t.Fatalf("report %+v", report)
	}
	list := must[*amazonpay.ReportList](t, "GetReports")(c.Reports.List(ctx, &amazonpay.GetReportsOptions{
		ReportTypes: []amazonpay.ReportType{amazonpay.ReportSandboxSettlement}, PageSize: 5}))
	if len(list.Reports) == 0 {
		t.Fatal("no reports listed")
	}
	doc := must[*amazonpay.ReportDocument](t, "GetReportDocument")(c.Reports.GetDocument(ctx, report.ReportDocumentID))
	if doc.URL == "" {
		t.Fatalf("document %+v", doc)
	}
	sched := must[*amazonpay.CreateReportScheduleResult](t, "CreateReportSchedule")(c.Reports.CreateSchedule(ctx, &amazonpay.CreateReportScheduleRequest{
		ReportType: amazonpay.ReportSandboxSettlement, ScheduleFrequency: "P1D"}))
	must[*amazonpay.ReportScheduleList](t, "GetReportSchedules")(c.Reports.ListSchedules(ctx, nil))
	must[*amazonpay.ReportSchedule](t, "GetReportScheduleById")(c.Reports.GetSchedule(ctx, sched.ReportScheduleID))
	must[*amazonpay.CancelReportScheduleResult](t, "CancelReportSchedule")(c.Reports.CancelSchedule(ctx, sched.ReportScheduleID))
	must[*amazonpay.DisbursementList](t, "GetDisbursements")(c.Disbursements.List(ctx, &amazonpay.GetDisbursementsOptions{
		StartTime: now.Add(-72 * time.Hour), EndTime: now}))

	// Merchant onboarding and account management.
	reg := must[*amazonpay.MerchantAccount](t, "RegisterAmazonPayAccount")(c.MerchantAccounts.RegisterAmazonPayAccount(ctx, &amazonpay.MerchantAccountRequest{
		UniqueReferenceID: "REF-ONBOARD-1", LedgerCurrency: "JPY",
		BusinessInfo: &amazonpay.BusinessInfo{BusinessType: "CORPORATE", CountryOfEstablishment: "JP", BusinessLegalName: "Testing",
			BusinessAddress: &amazonpay.BusinessAddress{AddressLine1: "450", City: "Katori", StateOrRegion: "Chiba", PostalCode: "289-0314", CountryCode: "JP"}},
		PrimaryContactPerson: &amazonpay.Person{PersonFullName: "Testing", ResidentialAddress: &amazonpay.BusinessAddress{
			AddressLine1: "621-4", City: "Arao", StateOrRegion: "Kumamoto", PostalCode: "836-0806", CountryCode: "JP"}},
	}, onboarding))
	must[*amazonpay.MerchantAccount](t, "UpdateAmazonPayAccount")(c.MerchantAccounts.UpdateAmazonPayAccount(ctx, reg.MerchantAccountID,
		&amazonpay.UpdateMerchantAccountRequest{BusinessInfo: &amazonpay.BusinessInfo{BusinessLegalName: "Renamed"}}, onboarding))
	must[*amazonpay.MerchantAccount](t, "DeleteAmazonPayAccount")(c.MerchantAccounts.DeleteAmazonPayAccount(ctx, reg.MerchantAccountID, onboarding))
	acct := must[*amazonpay.MerchantAccount](t, "CreateMerchantAccount")(c.MerchantAccounts.Create(ctx, &amazonpay.MerchantAccountRequest{
		UniqueReferenceID: "REF-MANAGED-1", LedgerCurrency: "JPY",
		BusinessInfo: &amazonpay.BusinessInfo{Email: "owner@example.com", BusinessType: "CORPORATE", BusinessLegalName: "Cafe",
			CountryOfEstablishment: "JP", AnnualSalesVolume: amazonpay.Price{Amount: "100000", CurrencyCode: "JPY"},
			BusinessAddress: &amazonpay.BusinessAddress{AddressLine1: "1-5", City: "Odawara", StateOrRegion: "Kanagawa", PostalCode: "250-0001",
				CountryCode: "JP", PhoneNumber: &amazonpay.PhoneNumber{CountryCode: "81", Number: "2062062061"}}},
		BeneficiaryOwners: []amazonpay.Person{{PersonFullName: "Owner", ResidentialAddress: &amazonpay.BusinessAddress{
			AddressLine1: "1-5", City: "Odawara", StateOrRegion: "Kanagawa", PostalCode: "250-0001", CountryCode: "JP"}}},
		PrimaryContactPerson: &amazonpay.Person{PersonFullName: "Owner"},
		IntegrationInfo:      &amazonpay.IntegrationInfo{IPNEndpointURLs: []string{"https://shop.example/ipn"}},
		Stores: []amazonpay.Store{{DomainURLs: []string{"https://shop.example"}, StoreName: "Cafe",
			PrivacyPolicyURL: "https://shop.example/privacy", StoreStatus: &amazonpay.AccountStatus{State: "ACTIVE"}}},
		MerchantStatus: &amazonpay.AccountStatus{StatusProvider: "PSP", State: "ACTIVE"},
	}))
	must[*amazonpay.MerchantAccount](t, "UpdateMerchantAccount")(c.MerchantAccounts.Update(ctx, acct.MerchantAccountID,
		&amazonpay.UpdateMerchantAccountRequest{BusinessInfo: &amazonpay.BusinessInfo{BusinessDisplayName: "Golden Cafe"}}))
	claim := must[*amazonpay.ClaimMerchantAccountResult](t, "ClaimMerchantAccount")(c.MerchantAccounts.Claim(ctx, acct.MerchantAccountID,
		&amazonpay.ClaimMerchantAccountRequest{UniqueReferenceID: "REF-MANAGED-1"}))
	if claim.Location == "" && claim.RedirectURL == "" {
		t.Fatalf("claim gave no redirect: %+v", claim)
	}

	// Disputes with file evidence (upload announced, bytes PUT, contested).
	file := must[*amazonpay.File](t, "UploadFile")(c.Files.Upload(ctx, &amazonpay.UploadFileRequest{Type: "pdf", Purpose: "disputeEvidence"}))
	putFile(t, ctx, file.URL, []byte("%PDF-1.4 receipt"))
	d := must[*amazonpay.Dispute](t, "CreateDispute")(c.Disputes.Create(ctx, &amazonpay.CreateDisputeRequest{
		ChargeID: ch.ChargeID, ProviderMetadata: &amazonpay.DisputeProviderMetadata{ProviderDisputeID: "psp-1"},
		DisputeAmount: usdPrice(t, "10.00"), FilingReason: amazonpay.FilingProductNotReceived,
		StatusDetails: &amazonpay.DisputeStatusDetails{State: amazonpay.DisputeActionRequired, ReasonCode: amazonpay.ReasonMerchantResponseRequired},
	}))
	must[*amazonpay.Dispute](t, "GetDispute")(c.Disputes.Get(ctx, d.DisputeID))
	must[*amazonpay.Dispute](t, "ContestDispute")(c.Disputes.Contest(ctx, d.DisputeID, &amazonpay.ContestDisputeRequest{
		MerchantEvidences: []amazonpay.Evidence{{EvidenceType: "Receipt", FileID: file.ID}, {EvidenceType: "TrackingNumber", EvidenceText: "1Z999"}}}))
	resolved := must[*amazonpay.Dispute](t, "UpdateDispute")(c.Disputes.Update(ctx, d.DisputeID, &amazonpay.UpdateDisputeRequest{
		StatusDetails: &amazonpay.DisputeStatusDetails{State: amazonpay.DisputeResolved, Resolution: amazonpay.DisputeMerchantWon,
			ReasonCode: amazonpay.ReasonMerchantAcceptedDispute}, ClosureTimestamp: srv.Emulator.Now().Unix()}))
	if resolved.State() != amazonpay.DisputeResolved || resolved.StatusDetails.Resolution != amazonpay.DisputeMerchantWon {
		t.Fatalf("dispute %+v", resolved)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, op := range amazonpay.Operations() {
		if rec.seen[op.Name] == 0 {
			t.Errorf("operation %s never reached the emulator", op.Name)
		}
	}
}

func putFile(t *testing.T, ctx context.Context, url string, content []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/pdf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
}

// injectFault arms the emulator's fault injection (design.md §4).
func injectFault(t *testing.T, srv *amazonpaytest.Server, fault map[string]any) {
	t.Helper()
	b, _ := json.Marshal(fault)
	resp, err := http.Post(srv.URL+"/_emulator/faults", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("fault: %d %s", resp.StatusCode, body)
	}
}

// TestEmulatorRetriesThrottling: two 429s, then the call goes through on
// the third attempt with one key.
func TestEmulatorRetriesThrottling(t *testing.T) {
	srv, _ := newEmulator(t)
	injectFault(t, srv, map[string]any{"operation": "CreateCheckoutSession", "count": 2, "status": 429})
	cs, resp, err := srv.Client.CheckoutSessions.Create(t.Context(), &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.apaykit",
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 3 || cs.CheckoutSessionID == "" {
		t.Fatalf("attempts %d, session %+v", resp.Attempts, cs)
	}
}

// TestEmulatorResetAfterCommitCapturesOnce is the idempotency promise end to
// end: the emulator captures, then drops the connection before answering;
// the SDK retries with the same key and gets the stored answer, so the
// charge is captured exactly once.
func TestEmulatorResetAfterCommitCapturesOnce(t *testing.T) {
	srv, _ := newEmulator(t)
	ctx := t.Context()
	csID := openSession(t, srv, amazonpay.PaymentIntentAuthorize, "30.00")
	if _, err := srv.Confirm(ctx, csID); err != nil {
		t.Fatal(err)
	}
	done := must[*amazonpay.CheckoutSession](t, "CompleteCheckoutSession")(srv.Client.CheckoutSessions.Complete(ctx, csID,
		&amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usdPrice(t, "30.00")}))

	injectFault(t, srv, map[string]any{"operation": "CaptureCharge", "count": 1, "kind": "reset-after-commit"})
	ch, resp, err := srv.Client.Charges.Capture(ctx, done.ChargeID, &amazonpay.CaptureChargeRequest{CaptureAmount: usdPrice(t, "30.00")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 || ch.State() != amazonpay.ChargeCaptured {
		t.Fatalf("attempts %d, charge %+v", resp.Attempts, ch)
	}
	// A second capture with a new key is refused: the first one happened once.
	_, _, err = srv.Client.Charges.Capture(ctx, done.ChargeID, &amazonpay.CaptureChargeRequest{CaptureAmount: usdPrice(t, "30.00")})
	if !errors.Is(err, amazonpay.ErrInvalidChargeStatus) {
		t.Fatalf("second capture: %v", err)
	}
	got := must[*amazonpay.Charge](t, "GetCharge")(srv.Client.Charges.Get(ctx, done.ChargeID))
	if n, _ := got.CaptureAmount.MinorUnits(); n != 3000 {
		t.Fatalf("captured %v", got.CaptureAmount)
	}
}

// TestEmulatorDeclineIsTypedError: the emulator's declining test card gives
// CheckoutSessionCanceled, matched with errors.Is.
func TestEmulatorDeclineIsTypedError(t *testing.T) {
	srv, _ := newEmulator(t)
	ctx := t.Context()
	cs := must[*amazonpay.CheckoutSession](t, "CreateCheckoutSession")(srv.Client.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.apaykit",
	}))
	if _, err := srv.BuyerSignIn(ctx, cs.CheckoutSessionID, amazonpaytest.Buyer{PaymentMethod: "3434"}); err != nil {
		t.Fatal(err)
	}
	must[*amazonpay.CheckoutSession](t, "UpdateCheckoutSession")(srv.Client.CheckoutSessions.Update(ctx, cs.CheckoutSessionID, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
		PaymentDetails:     &amazonpay.PaymentDetails{PaymentIntent: amazonpay.PaymentIntentAuthorize, ChargeAmount: usdPrice(t, "10.00")},
	}))
	if _, err := srv.Confirm(ctx, cs.CheckoutSessionID); err != nil {
		t.Fatal(err)
	}
	_, _, err := srv.Client.CheckoutSessions.Complete(ctx, cs.CheckoutSessionID, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: usdPrice(t, "10.00")})
	var apiErr *amazonpay.APIError
	if !errors.Is(err, amazonpay.ErrCheckoutSessionCanceled) || !errors.As(err, &apiErr) || apiErr.RequestID == "" {
		t.Fatalf("err = %v", err)
	}
}
