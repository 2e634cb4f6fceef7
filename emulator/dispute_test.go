package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

var disputeNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sp(s string) *string { return &s }

func TestFlexTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: `1767225600`, want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: `1767225600000`, want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: `"20260101T000000Z"`, want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: `"2026-01-01T00:00:00Z"`, want: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{in: `"2026-01-01T00:00:00.250Z"`, want: time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC)},
		{in: `"2022-08-04T00-00-00Z"`, want: time.Date(2022, 8, 4, 0, 0, 0, 0, time.UTC)},
		{in: `0`, bad: true},
		{in: `-5`, bad: true},
		{in: `1.5`, bad: true},
		{in: `"yesterday"`, bad: true},
		{in: `true`, bad: true},
		{in: `99999999999999999999`, bad: true},
	}
	for _, tt := range tests {
		var ft flexTime
		err := json.Unmarshal([]byte(tt.in), &ft)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: accepted as %v", tt.in, time.Time(ft))
			}
			continue
		}
		if err != nil || !time.Time(ft).Equal(tt.want) {
			t.Errorf("%s = %v, %v; want %v", tt.in, time.Time(ft), err, tt.want)
		}
	}
}

func validCreateDispute() *createDisputeIn {
	var in createDisputeIn
	body := `{"chargeId":"S01-1234567-1234567-C1234567","providerMetadata":{"providerDisputeId":"psp-1"},
		"disputeAmount":{"amount":"10.00","currencyCode":"USD"},"filingReason":"ProductNotReceived",
		"statusDetails":{"state":"ActionRequired","reasonCode":"MerchantResponseRequired"}}`
	if err := decodeStrict([]byte(body), &in); err != nil {
		panic(err)
	}
	return &in
}

func TestValidateCreateDispute(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*createDisputeIn)
		status int
		code   string
	}{
		{"ok", func(*createDisputeIn) {}, 0, ""},
		{"no charge", func(in *createDisputeIn) { in.ChargeID = nil }, 400, codeMissingParameterValue},
		{"no provider", func(in *createDisputeIn) { in.ProviderMetadata = nil }, 400, codeMissingParameterValue},
		{"no amount", func(in *createDisputeIn) { in.DisputeAmount = nil }, 400, codeMissingParameterValue},
		{"zero amount", func(in *createDisputeIn) { a := decimalText("0.00"); in.DisputeAmount.Amount = &a }, 400, codeInvalidParameterValue},
		{"float-ish amount", func(in *createDisputeIn) { a := decimalText("1.005"); in.DisputeAmount.Amount = &a }, 400, codeInvalidParameterValue},
		{"jpy decimals", func(in *createDisputeIn) {
			a := decimalText("705.00")
			in.DisputeAmount.Amount, in.DisputeAmount.CurrencyCode = &a, sp("JPY")
		}, 400, codeInvalidParameterValue},
		{"no reason", func(in *createDisputeIn) { in.FilingReason = nil }, 400, codeMissingParameterValue},
		{"bad reason", func(in *createDisputeIn) { in.FilingReason = sp("Bored") }, 400, codeInvalidParameterValue},
		{"no status", func(in *createDisputeIn) { in.StatusDetails = nil }, 400, codeMissingParameterValue},
		{"no state", func(in *createDisputeIn) { in.StatusDetails.State = nil }, 400, codeMissingParameterValue},
		{"bad state", func(in *createDisputeIn) { in.StatusDetails.State = sp("Open") }, 400, codeInvalidParameterValue},
		{"created resolved", func(in *createDisputeIn) {
			in.StatusDetails.State, in.StatusDetails.ReasonCode, in.StatusDetails.Resolution = sp("Resolved"), nil, sp("BuyerWon")
		}, 400, codeInvalidParameterValue},
		{"reason does not fit state", func(in *createDisputeIn) { in.StatusDetails.ReasonCode = sp("AutoResolved") }, 400, codeInvalidParameterValue},
		{"resolution while open", func(in *createDisputeIn) { in.StatusDetails.Resolution = sp("BuyerWon") }, 400, codeInvalidParameterCombination},
		{"filed in future", func(in *createDisputeIn) { ft := flexTime(disputeNow.Add(time.Hour)); in.FilingTimestamp = &ft }, 400, codeInvalidParameterValue},
		{"deadline passed", func(in *createDisputeIn) {
			ft := flexTime(disputeNow.Add(-time.Hour))
			in.MerchantResponseDeadline = &ft
		}, 400, codeInvalidParameterValue},
		{"under review without deadline", func(in *createDisputeIn) {
			in.StatusDetails.State, in.StatusDetails.ReasonCode = sp("UnderReview"), nil
		}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validCreateDispute()
			tt.mutate(in)
			v, err := validateCreateDispute(in, disputeNow)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if v.Deadline != v.FilingTime.Add(disputeChargebackWindow) {
					t.Errorf("default deadline %v, filed %v", v.Deadline, v.FilingTime)
				}
				return
			}
			if err == nil || err.Status != tt.status || err.ReasonCode != tt.code {
				t.Fatalf("got %v; want %d %s", err, tt.status, tt.code)
			}
		})
	}
}

func openDispute(state string) Dispute {
	return Dispute{
		DisputeID: "S01-1234567-1234567-B1234567",
		Status:    DisputeStatus{State: state},
		Deadline:  disputeNow.Add(48 * time.Hour),
	}
}

func TestApplyDisputeUpdate(t *testing.T) {
	tests := []struct {
		from, to, reason, resolution string
		wantErr                      string
	}{
		{from: disputeActionRequired, to: disputeResolved, reason: disputeReasonMerchantAcceptedDispute, resolution: disputeMerchantWon},
		{from: disputeActionRequired, to: disputeClosed, reason: disputeReasonChargebackFiled, resolution: disputeMerchantWon},
		{from: disputeActionRequired, to: disputeUnderReview, reason: disputeReasonBuyerAdditionalEvidencesRequired},
		{from: disputeUnderReview, to: disputeActionRequired, reason: disputeReasonMerchantAdditionalEvidencesRequired},
		{from: disputeUnderReview, to: disputeResolved, reason: disputeReasonInvestigatorResolved, resolution: disputeNoFault},
		{from: disputeResolved, to: disputeClosed},
		{from: disputeResolved, to: disputeActionRequired, wantErr: codeInvalidRequest},
		{from: disputeClosed, to: disputeClosed, wantErr: codeInvalidRequest},
		{from: disputeActionRequired, to: disputeResolved, wantErr: codeMissingParameterValue}, // no resolution
		{from: disputeActionRequired, to: disputeUnderReview, resolution: disputeBuyerWon, wantErr: codeInvalidParameterCombination},
		{from: disputeActionRequired, to: "Pending", wantErr: codeInvalidParameterValue},
		{from: disputeActionRequired, to: disputeResolved, reason: "Whatever", resolution: disputeBuyerWon, wantErr: codeInvalidParameterValue},
		{from: disputeActionRequired, to: disputeResolved, reason: disputeReasonAutoResolved, resolution: "Draw", wantErr: codeInvalidParameterValue},
	}
	for _, tt := range tests {
		d := openDispute(tt.from)
		if tt.from == disputeResolved {
			d.Status.Resolution = disputeBuyerWon
		}
		in := &updateDisputeIn{StatusDetails: &disputeStatusIn{State: sp(tt.to)}}
		if tt.reason != "" {
			in.StatusDetails.ReasonCode = sp(tt.reason)
		}
		if tt.resolution != "" {
			in.StatusDetails.Resolution = sp(tt.resolution)
		}
		got, err := applyDisputeUpdate(d, in, disputeNow)
		name := tt.from + "→" + tt.to
		if tt.wantErr != "" {
			if err == nil || err.ReasonCode != tt.wantErr {
				t.Errorf("%s: got %v; want %s", name, err, tt.wantErr)
			}
			if got.Status.State != tt.from {
				t.Errorf("%s: rejected update changed the state to %s", name, got.Status.State)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got.Status.State != tt.to || !got.Status.LastUpdated.Equal(disputeNow) {
			t.Errorf("%s: status %+v", name, got.Status)
		}
		over := tt.to == disputeResolved || tt.to == disputeClosed
		if over != !got.ClosureTime.IsZero() {
			t.Errorf("%s: closure time %v", name, got.ClosureTime)
		}
		if tt.from == disputeResolved && got.Status.Resolution != disputeBuyerWon {
			t.Errorf("%s: closing lost the resolution: %+v", name, got.Status)
		}
	}
}

func TestApplyDisputeUpdateClosureInFuture(t *testing.T) {
	ft := flexTime(disputeNow.Add(time.Hour))
	in := &updateDisputeIn{
		StatusDetails:    &disputeStatusIn{State: sp(disputeResolved), Resolution: sp(disputeBuyerWon)},
		ClosureTimestamp: &ft,
	}
	if _, err := applyDisputeUpdate(openDispute(disputeActionRequired), in, disputeNow); err == nil || err.ReasonCode != codeInvalidParameterValue {
		t.Fatalf("got %v", err)
	}
	if _, err := applyDisputeUpdate(openDispute(disputeActionRequired), &updateDisputeIn{}, disputeNow); err == nil || err.ReasonCode != codeMissingParameterValue {
		t.Fatalf("no statusDetails: got %v", err)
	}
}

func TestApplyDisputeContest(t *testing.T) {
	ev := []Evidence{{EvidenceType: "TrackingNumber", EvidenceText: "1Z999"}}
	tests := []struct {
		state   string
		at      time.Time
		wantErr bool
	}{
		{disputeActionRequired, disputeNow, false},
		{disputeUnderReview, disputeNow, true},
		{disputeResolved, disputeNow, true},
		{disputeClosed, disputeNow, true},
		{disputeActionRequired, disputeNow.Add(48 * time.Hour), true}, // at the deadline
	}
	for _, tt := range tests {
		d := openDispute(tt.state)
		got, err := applyDisputeContest(d, ev, tt.at)
		if tt.wantErr {
			if err == nil || err.ReasonCode != codeInvalidRequest || err.Status != http.StatusBadRequest {
				t.Errorf("%s at %v: got %v", tt.state, tt.at, err)
			}
			continue
		}
		if err != nil || got.Status.State != disputeUnderReview || len(got.Evidences) != 1 {
			t.Errorf("%s: %v %+v", tt.state, err, got)
		}
		if len(d.Evidences) != 0 {
			t.Errorf("contest changed its input")
		}
	}
	d := openDispute(disputeActionRequired)
	d.Evidences = make([]Evidence, maxEvidencesPerDispute)
	if _, err := applyDisputeContest(d, ev, disputeNow); err == nil {
		t.Errorf("more than %d evidences accepted", maxEvidencesPerDispute)
	}
}

func TestValidateEvidences(t *testing.T) {
	files := map[string]*File{
		"file_up":      {Owner: Owner{MerchantID: "M", Env: Sandbox}, FileID: "file_up", Uploaded: true},
		"file_pending": {Owner: Owner{MerchantID: "M", Env: Sandbox}, FileID: "file_pending"},
		"file_other":   {Owner: Owner{MerchantID: "X", Env: Sandbox}, FileID: "file_other", Uploaded: true},
	}
	check := fileEvidenceCheck(files, Owner{MerchantID: "M", Env: Sandbox})
	tests := []struct {
		name string
		in   []evidenceIn
		code string
	}{
		{"text", []evidenceIn{{EvidenceType: sp("Receipt"), EvidenceText: sp("paid")}}, ""},
		{"file", []evidenceIn{{EvidenceType: sp("CustomerSignature"), FileID: sp("file_up")}}, ""},
		{"none", nil, codeMissingParameterValue},
		{"no type", []evidenceIn{{EvidenceText: sp("x")}}, codeMissingParameterValue},
		{"bad type", []evidenceIn{{EvidenceType: sp("Selfie"), EvidenceText: sp("x")}}, codeInvalidParameterValue},
		{"empty", []evidenceIn{{EvidenceType: sp("Other")}}, codeMissingParameterValue},
		{"unknown file", []evidenceIn{{EvidenceType: sp("Other"), FileID: sp("file_nope")}}, codeInvalidParameterValue},
		{"not uploaded", []evidenceIn{{EvidenceType: sp("Other"), FileID: sp("file_pending")}}, codeInvalidParameterValue},
		{"other merchant's file", []evidenceIn{{EvidenceType: sp("Other"), FileID: sp("file_other")}}, codeInvalidParameterValue},
		{"too many", make([]evidenceIn, maxEvidencesPerContestReq+1), codeInvalidParameterValue},
	}
	for _, tt := range tests {
		evs, err := validateEvidences(tt.in, check)
		if tt.code == "" {
			if err != nil || len(evs) != len(tt.in) {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || err.ReasonCode != tt.code {
			t.Errorf("%s: got %v; want %s", tt.name, err, tt.code)
		}
	}
}

func TestExpireDispute(t *testing.T) {
	d := openDispute(disputeActionRequired)
	if _, changed := expireDispute(d, d.Deadline.Add(-time.Second)); changed {
		t.Fatal("expired before the deadline")
	}
	got, changed := expireDispute(d, d.Deadline)
	if !changed || got.Status.State != disputeResolved || got.Status.Resolution != disputeBuyerWon ||
		got.Status.ReasonCode != disputeReasonMerchantResponseDeadlineExpired || !got.ClosureTime.Equal(d.Deadline) {
		t.Fatalf("got %+v", got)
	}
	for _, st := range []string{disputeUnderReview, disputeResolved, disputeClosed} {
		if _, changed := expireDispute(openDispute(st), d.Deadline.Add(time.Hour)); changed {
			t.Errorf("%s expired", st)
		}
	}
}

func TestDisputeWireHasEveryKey(t *testing.T) {
	d := Dispute{Owner: Owner{Env: Sandbox}, DisputeID: "S01-1-1-B1", Amount: 1000, Currency: "USD", Status: DisputeStatus{State: disputeActionRequired}}
	b, _ := json.Marshal(d.wire())
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"disputeId", "chargeId", "providerMetadata", "disputeType", "disputeAmount", "filingReason",
		"filingTimestamp", "statusDetails", "merchantEvidences", "merchantResponseDeadline", "resolutionAuthority",
		"closureTimestamp", "creationTimestamp", "releaseEnvironment"} {
		if _, found := m[k]; !found {
			t.Errorf("key %s missing in %s", k, b)
		}
	}
	if m["closureTimestamp"] != nil || m["merchantEvidences"] == nil {
		t.Errorf("nulls wrong: %s", b)
	}
	if amt := m["disputeAmount"].(map[string]any)["amount"]; amt != "10.00" {
		t.Errorf("amount %v", amt)
	}
}

func TestOrderRefOf(t *testing.T) {
	if got := orderRefOf("S01-1234567-7654321-C0000001"); got != "S01-1234567-7654321" {
		t.Fatal(got)
	}
	if id := newDisputeID("S01-1234567-7654321"); len(id) != len("S01-1234567-7654321-B0000000") {
		t.Fatal(id)
	}
}

func disputeBody(chargeID, providerID, amount, ccy string) string {
	return `{"chargeId":"` + chargeID + `","providerMetadata":{"providerDisputeId":"` + providerID + `"},
		"disputeAmount":{"amount":"` + amount + `","currencyCode":"` + ccy + `"},"filingReason":"ProductNotReceived",
		"statusDetails":{"state":"ActionRequired","reasonCode":"MerchantResponseRequired"}}`
}

func chargebackNotes(t *testing.T, e *testEnv, id string) []string {
	t.Helper()
	var states []string
	for _, n := range obj(t, e.control("GET", "/_emulator/notifications", ""))["notifications"].([]any) {
		m := n.(map[string]any)
		if m["objectType"] == "CHARGEBACK" && m["objectId"] == id {
			states = append(states, m["state"].(string))
		}
	}
	return states
}

func TestServer_DisputeLifecycle(t *testing.T) {
	e := newTestEnv(t)
	cpID, chID := e.capturedCharge("14.00", "USD")

	d := wantStatus(t, e.post("/v2/disputes", disputeBody(chID, "psp-1", "14.00", "USD")), 200)
	id := str(d, "disputeId")
	if !strings.HasPrefix(id, cpID+"-B") || str(d, "statusDetails.state") != disputeActionRequired ||
		str(d, "disputeType") != "Chargeback" || str(d, "releaseEnvironment") != "Sandbox" || d["closureTimestamp"] != nil {
		t.Fatalf("created %v", d)
	}
	if str(d, "merchantResponseDeadline") != signing.FormatDate(e.srv.Now().Add(disputeChargebackWindow)) {
		t.Fatalf("deadline %v", d["merchantResponseDeadline"])
	}
	if got := wantStatus(t, e.get("/v2/disputes/"+id), 200); str(got, "chargeId") != chID {
		t.Fatalf("get %v", got)
	}

	// Evidence: announce a file, upload it, contest with it.
	f := wantStatus(t, e.post("/v2/files", `{"type":"pdf","purpose":"disputeEvidence"}`), 200)
	fileID, upload := str(f, "id"), str(f, "url")
	contest := `{"merchantEvidences":[{"evidenceType":"Receipt","fileId":"` + fileID + `","evidenceText":null},{"evidenceType":"TrackingNumber","evidenceText":"1Z999"}]}`
	e.rejects(req{method: "POST", path: "/v2/disputes/" + id + "/contest", body: contest}, 400, codeInvalidParameterValue) // not uploaded yet
	wantError(t, e.fetch("PUT", upload, "image/png", []byte("%PDF-1.4")), 400, codeInvalidHeaderValue)
	if res := e.fetch("PUT", upload, "application/pdf", []byte("%PDF-1.4")); res.Code != 200 {
		t.Fatalf("upload %d %s", res.Code, res.Body)
	}
	if res := e.fetch("GET", upload, "", nil); res.Code != 200 || res.Body.String() != "%PDF-1.4" {
		t.Fatalf("download %d %s", res.Code, res.Body)
	}
	d = wantStatus(t, e.post("/v2/disputes/"+id+"/contest", contest), 200)
	if str(d, "statusDetails.state") != disputeUnderReview || len(d["merchantEvidences"].([]any)) != 2 {
		t.Fatalf("contested %v", d)
	}
	e.rejects(req{method: "POST", path: "/v2/disputes/" + id + "/contest", body: contest}, 400, codeInvalidRequest)

	// The PSP reports the outcome, as the Node README sample does.
	upd := `{"statusDetails":{"resolution":"MerchantWon","state":"Resolved","reasonCode":"MerchantAcceptedDispute","reasonDescription":"Merchant accepted the dispute request"},"closureTimestamp":` +
		itoa(int(e.srv.Now().UnixMilli())) + `}`
	d = wantStatus(t, e.do(req{method: "PATCH", path: "/v2/disputes/" + id, body: upd}), 200)
	if str(d, "statusDetails.resolution") != disputeMerchantWon || d["closureTimestamp"] == nil {
		t.Fatalf("resolved %v", d)
	}
	d = wantStatus(t, e.do(req{method: "PATCH", path: "/v2/disputes/" + id, body: `{"statusDetails":{"state":"Closed"}}`}), 200)
	if str(d, "statusDetails.state") != disputeClosed || str(d, "statusDetails.resolution") != disputeMerchantWon {
		t.Fatalf("closed %v", d)
	}
	e.rejects(req{method: "PATCH", path: "/v2/disputes/" + id, body: `{"statusDetails":{"state":"Closed"}}`}, 400, codeInvalidRequest)
	if got := chargebackNotes(t, e, id); strings.Join(got, ",") != "ActionRequired,UnderReview,Resolved,Closed" {
		t.Fatalf("notifications %v", got)
	}
}

func TestServer_DisputeDeadline(t *testing.T) {
	e := newTestEnv(t)
	_, chID := e.capturedCharge("100", "JPY")
	// Java's sample: seconds since the epoch.
	deadline := e.srv.Now().Add(7 * 24 * time.Hour)
	body := strings.Replace(disputeBody(chID, "psp-j", "50", "JPY"), `"filingReason"`,
		`"merchantResponseDeadline":`+itoa(int(deadline.Unix()))+`,"filingTimestamp":`+itoa(int(e.srv.Now().Unix()))+`,"filingReason"`, 1)
	id := str(wantStatus(t, e.post("/v2/disputes", body), 200), "disputeId")
	e.advance(7*24*time.Hour - time.Second)
	if d := wantStatus(t, e.get("/v2/disputes/"+id), 200); str(d, "statusDetails.state") != disputeActionRequired {
		t.Fatalf("before the deadline %v", d)
	}
	e.advance(time.Second)
	d := wantStatus(t, e.get("/v2/disputes/"+id), 200)
	if str(d, "statusDetails.state") != disputeResolved || str(d, "statusDetails.reasonCode") != disputeReasonMerchantResponseDeadlineExpired ||
		str(d, "statusDetails.resolution") != disputeBuyerWon {
		t.Fatalf("after the deadline %v", d)
	}
	e.rejects(req{method: "POST", path: "/v2/disputes/" + id + "/contest", body: `{"merchantEvidences":[{"evidenceType":"Other","evidenceText":"late"}]}`}, 400, codeInvalidRequest)
}

func TestServer_DisputeErrors(t *testing.T) {
	e := newTestEnv(t)
	_, chID := e.capturedCharge("14.00", "USD")
	authID := e.checkout("Authorize", "5.00", "USD", "", "")
	authCharge := str(wantStatus(t, e.complete(authID, "5.00", "USD"), 200), "chargeId")
	post := func(b string) req {
		return req{method: "POST", path: "/v2/disputes", body: b, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
	}
	e.rejects(post(disputeBody("S01-0000000-0000000-C0000000", "p", "1.00", "USD")), 404, codeResourceNotFound)
	e.rejects(post(disputeBody(authCharge, "p", "1.00", "USD")), 422, codeInvalidChargeStatus)
	e.rejects(post(disputeBody(chID, "p", "1.00", "EUR")), 400, codeCurrencyMismatch)
	e.rejects(post(disputeBody(chID, "p", "14.01", "USD")), 400, codeTransactionAmountExceeded)
	e.rejects(post(disputeBody(chID, "p", "1.001", "USD")), 400, codeInvalidParameterValue)
	e.rejects(post(disputeBody(chID, "p", "1", "XXX")), 400, codeInvalidParameterValue)
	e.rejects(post(strings.Replace(disputeBody(chID, "p", "1.00", "USD"), `"chargeId"`, `"disputeId":"x","chargeId"`, 1)), 400, codeUnrecognizedField)
	e.rejects(post(`{"chargeId":1}`), 400, codeInvalidParameterValue)
	e.rejects(post(`[]`), 400, codeInvalidRequestFormat)
	wantStatus(t, e.post("/v2/disputes", disputeBody(chID, "dup", "1.00", "USD")), 200)
	e.rejects(post(disputeBody(chID, "dup", "1.00", "USD")), 400, codeInvalidParameterValue)
	e.rejects(req{method: "GET", path: "/v2/disputes/S01-0000000-0000000-B0000000"}, 404, codeResourceNotFound)
	e.rejects(req{method: "PATCH", path: "/v2/disputes/S01-0000000-0000000-B0000000", body: `{}`}, 404, codeResourceNotFound)
	// Another merchant cannot see or dispute the charge.
	e.rejects(req{method: "POST", path: "/v2/disputes", keyID: otherKeyID, body: disputeBody(chID, "o", "1.00", "USD"),
		header: map[string]string{"x-amz-pay-idempotency-key": idem()}}, 404, codeResourceNotFound)
}
