package emulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

var reportNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestValidateCreateReport(t *testing.T) {
	ft := func(d time.Duration) *flexTime { v := flexTime(reportNow.Add(d)); return &v }
	tests := []struct {
		name string
		env  Environment
		in   createReportIn
		code string
	}{
		{"sandbox settlement", Sandbox, createReportIn{sp(reportSandboxSettlement), ft(-48 * time.Hour), ft(-time.Hour)}, ""},
		{"equal start and end (SDK sample)", Live, createReportIn{sp(reportAuthorization), ft(-time.Hour), ft(-time.Hour)}, ""},
		{"order reference in sandbox", Sandbox, createReportIn{sp(reportOrderReference), ft(-48 * time.Hour), ft(0)}, codeInvalidParameterValue},
		{"sandbox settlement in live", Live, createReportIn{sp(reportSandboxSettlement), ft(-48 * time.Hour), ft(0)}, codeInvalidParameterValue},
		{"settlement on request", Live, createReportIn{sp(reportSettlement), ft(-48 * time.Hour), ft(0)}, codeInvalidParameterValue},
		{"capture not via API", Live, createReportIn{sp(reportCapture), ft(-48 * time.Hour), ft(0)}, codeInvalidParameterValue},
		{"unknown type", Live, createReportIn{sp("_GET_ME_"), ft(-48 * time.Hour), ft(0)}, codeInvalidParameterValue},
		{"no type", Live, createReportIn{nil, ft(-48 * time.Hour), ft(0)}, codeMissingParameterValue},
		{"no start", Live, createReportIn{sp(reportRefund), nil, ft(0)}, codeMissingParameterValue},
		{"no end", Live, createReportIn{sp(reportRefund), ft(-time.Hour), nil}, codeMissingParameterValue},
		{"end before start", Live, createReportIn{sp(reportRefund), ft(-time.Hour), ft(-2 * time.Hour)}, codeInvalidParameterCombination},
		{"start in future", Live, createReportIn{sp(reportRefund), ft(time.Hour), ft(2 * time.Hour)}, codeInvalidParameterValue},
	}
	for _, tt := range tests {
		_, _, _, err := validateCreateReport(&tt.in, tt.env, reportNow)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%s: got %v; want %q", tt.name, err, tt.code)
		}
	}
}

func TestReportLifecycle(t *testing.T) {
	r := startReport(Report{ReportID: "1"}, reportNow)
	if r.Status != reportInProgress || !r.ProcessingStart.Equal(reportNow) {
		t.Fatalf("start: %+v", r)
	}
	due, pending := reportDue(&r)
	if !pending || !due.Equal(reportNow.Add(reportProcessingTime)) {
		t.Fatalf("due %v %v", due, pending)
	}
	tests := []struct {
		name     string
		at       time.Time
		rows     int
		buildErr error
		status   string
		changed  bool
	}{
		{"too early", due.Add(-time.Second), 3, nil, reportInProgress, false},
		{"completed", due, 3, nil, reportCompleted, true},
		{"no data", due, 0, nil, reportCancelled, true},
		{"build failed", due.Add(time.Hour), 3, errors.New("boom"), reportFailed, true},
	}
	for _, tt := range tests {
		got, changed := finishReport(r, tt.at, tt.rows, tt.buildErr, "doc-1")
		if changed != tt.changed || got.Status != tt.status {
			t.Errorf("%s: %v %+v", tt.name, changed, got)
			continue
		}
		if !changed {
			continue
		}
		if !got.ProcessingEnd.Equal(due) {
			t.Errorf("%s: end %v", tt.name, got.ProcessingEnd)
		}
		if (got.ReportDocumentID != "") != (tt.status == reportCompleted) {
			t.Errorf("%s: document %q", tt.name, got.ReportDocumentID)
		}
	}
	done, _ := finishReport(r, due, 1, nil, "doc")
	if _, changed := finishReport(done, due.Add(time.Hour), 1, nil, "doc2"); changed {
		t.Error("a finished report changed again")
	}
}

func TestValidateCreateReportSchedule(t *testing.T) {
	owner := Owner{MerchantID: "M", Env: Live}
	existing := map[string]*ReportSchedule{
		"7": {Owner: owner, ReportScheduleID: "7", ReportType: reportRefund, Frequency: "P1D"},
		"8": {Owner: Owner{MerchantID: "X", Env: Live}, ReportScheduleID: "8", ReportType: reportAuthorization, Frequency: "P1D"},
	}
	yes, no := flexBool(true), flexBool(false)
	future := flexTime(reportNow.Add(time.Hour))
	past := flexTime(reportNow.Add(-time.Hour))
	tests := []struct {
		name    string
		in      createReportScheduleIn
		code    string
		replace string
	}{
		{"new type", createReportScheduleIn{ReportType: sp(reportAuthorization), ScheduleFrequency: sp("P7D")}, "", ""},
		{"duplicate type", createReportScheduleIn{ReportType: sp(reportRefund), ScheduleFrequency: sp("P1D")}, codeInvalidRequest, ""},
		{"duplicate, deleteExisting false", createReportScheduleIn{ReportType: sp(reportRefund), ScheduleFrequency: sp("P1D"), DeleteExistingSchedule: &no}, codeInvalidRequest, ""},
		{"duplicate replaced", createReportScheduleIn{ReportType: sp(reportRefund), ScheduleFrequency: sp("PT1H"), DeleteExistingSchedule: &yes, NextReportCreationTime: &future}, "", "7"},
		{"no frequency", createReportScheduleIn{ReportType: sp(reportAuthorization)}, codeMissingParameterValue, ""},
		{"bad frequency", createReportScheduleIn{ReportType: sp(reportAuthorization), ScheduleFrequency: sp("P1W")}, codeInvalidParameterValue, ""},
		{"next in past", createReportScheduleIn{ReportType: sp(reportAuthorization), ScheduleFrequency: sp("P1D"), NextReportCreationTime: &past}, codeInvalidParameterValue, ""},
		{"no type", createReportScheduleIn{ScheduleFrequency: sp("P1D")}, codeMissingParameterValue, ""},
	}
	for _, tt := range tests {
		sc, replace, err := validateCreateReportSchedule(&tt.in, owner, existing, reportNow)
		if tt.code != "" {
			if err == nil || err.ReasonCode != tt.code {
				t.Errorf("%s: got %v; want %s", tt.name, err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if (replace == nil) != (tt.replace == "") || replace != nil && replace.ReportScheduleID != tt.replace {
			t.Errorf("%s: replace %+v", tt.name, replace)
		}
		if !sc.NextRun.After(reportNow) {
			t.Errorf("%s: next run %v", tt.name, sc.NextRun)
		}
	}
}

func TestScheduleRuns(t *testing.T) {
	sc := ReportSchedule{Frequency: "PT1H", NextRun: reportNow}
	periods, next := scheduleRuns(sc, reportNow.Add(-time.Minute))
	if len(periods) != 0 || !next.Equal(reportNow) {
		t.Fatalf("not yet: %v %v", periods, next)
	}
	periods, next = scheduleRuns(sc, reportNow.Add(150*time.Minute))
	if len(periods) != 3 || !next.Equal(reportNow.Add(3*time.Hour)) {
		t.Fatalf("3 runs: %v %v", periods, next)
	}
	if !periods[0][0].Equal(reportNow.Add(-time.Hour)) || !periods[2][1].Equal(reportNow.Add(2*time.Hour)) {
		t.Fatalf("periods %v", periods)
	}
	sc.Frequency = "PT5M"
	periods, next = scheduleRuns(sc, reportNow.Add(30*24*time.Hour))
	if len(periods) != maxScheduleCatchUp || !next.After(reportNow.Add(30*24*time.Hour)) {
		t.Fatalf("catch-up bounded: %d %v", len(periods), next)
	}
}

func TestMultiValue(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"reportTypes=A%2CB", []string{"A", "B"}},
		{"reportTypes=A&reportTypes=B", []string{"A", "B"}},
		{"reportTypes.2=B&reportTypes.1=A", []string{"A", "B"}},
		{"reportTypes=A,%20B,,A", []string{"A", "B"}},
		{"other=A", nil},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got := multiValue(q, "reportTypes")
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v; want %v", tt.query, got, tt.want)
		}
	}
}

func TestParseReportFilter(t *testing.T) {
	tests := []struct {
		query string
		code  string
	}{
		{"", ""},
		{"reportTypes=" + reportRefund + "&processingStatuses=COMPLETED,CANCELLED&pageSize=100", ""},
		{"createdSince=20260101T000000Z&createdUntil=2026-02-01T00:00:00Z", ""},
		{"nextToken=", ""}, // Java sends an empty one
		{"reportTypes=_NOPE_", codeInvalidParameterValue},
		{"processingStatuses=DONE", codeInvalidParameterValue}, // SP-API's name, not Amazon Pay's
		{"pageSize=0", codeInvalidParameterValue},
		{"pageSize=101", codeInvalidParameterValue},
		{"pageSize=ten", codeInvalidParameterValue},
		{"pageSize=1&pageSize=2", codeInvalidParameterValue},
		{"createdSince=yesterday", codeInvalidParameterValue},
		{"createdSince=20260201T000000Z&createdUntil=20260101T000000Z", codeInvalidParameterCombination},
		{"nextToken=%21%21", codeInvalidParameterValue},
		{"nextToken=e30", codeInvalidParameterValue}, // {} has no page size
		{"marketplaceIds=X", codeUnrecognizedField},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		f, err := parseReportFilter(q, reportNow)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.query, err)
			} else if f.PageSize < 1 {
				t.Errorf("%q: page size %d", tt.query, f.PageSize)
			}
			continue
		}
		if err == nil || err.ReasonCode != tt.code {
			t.Errorf("%q: got %v; want %s", tt.query, err, tt.code)
		}
	}
	q, _ := url.ParseQuery("")
	f, _ := parseReportFilter(q, reportNow)
	if !f.Since.Equal(reportNow.Add(-reportRetention)) || !f.Until.Equal(reportNow) || f.PageSize != defaultReportPageSize {
		t.Errorf("defaults %+v", f)
	}
}

func TestSelectReportsPages(t *testing.T) {
	owner := Owner{MerchantID: "M", Env: Live}
	all := map[string]*Report{}
	for i := range 25 {
		id := fmt.Sprintf("r%02d", i)
		st := reportCompleted
		if i%5 == 0 {
			st = reportCancelled
		}
		all[id] = &Report{Owner: owner, ReportID: id, ReportType: reportRefund, Status: st, Created: reportNow.Add(-time.Duration(i) * time.Minute)}
	}
	all["other"] = &Report{Owner: Owner{MerchantID: "X", Env: Live}, ReportID: "other", ReportType: reportRefund, Status: reportCompleted, Created: reportNow}
	all["old"] = &Report{Owner: owner, ReportID: "old", ReportType: reportRefund, Status: reportCompleted, Created: reportNow.Add(-100 * 24 * time.Hour)}

	q, _ := url.ParseQuery("processingStatuses=COMPLETED&pageSize=7")
	f, err := parseReportFilter(q, reportNow)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for pages := 0; ; pages++ {
		page, next := selectReports(all, owner, f)
		for _, r := range page {
			seen = append(seen, r.ReportID)
		}
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("no end")
		}
		q, _ := url.ParseQuery("nextToken=" + url.QueryEscape(next) + "&reportTypes=ignored")
		f, err = parseReportFilter(q, reportNow.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 20 || seen[0] != "r01" || seen[19] != "r24" {
		t.Fatalf("pages %v", seen)
	}
}

func TestBuildReportCSV(t *testing.T) {
	entries := []ledgerEntry{
		{At: reportNow.Add(-3 * time.Hour), Kind: ledgerCapture, ID: "C1", ChargePermissionID: "P1", Amount: 1400, Currency: "USD", State: "Captured"},
		{At: reportNow.Add(-2 * time.Hour), Kind: ledgerRefund, ID: "R1", ChargePermissionID: "P1", Amount: 400, Currency: "USD", State: "Refunded"},
		{At: reportNow.Add(-2 * time.Hour), Kind: ledgerAuthorization, ID: "C2", ChargePermissionID: "P2", Amount: 705, Currency: "JPY", State: "Authorized"},
		{At: reportNow.Add(-48 * time.Hour), Kind: ledgerCapture, ID: "C0", Amount: 100, Currency: "USD", State: "Captured"},
	}
	b, rows, err := buildReportCSV(reportSandboxSettlement, reportNow.Add(-24*time.Hour), reportNow, entries)
	if err != nil || rows != 2 {
		t.Fatalf("rows %d %v", rows, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) != 3 || recs[1][4] != "14.00" || recs[2][4] != "-4.00" {
		t.Fatalf("%q %v", recs, err)
	}
	b, rows, _ = buildReportCSV(reportAuthorization, reportNow.Add(-24*time.Hour), reportNow, entries)
	if rows != 1 || !bytes.Contains(b, []byte(",705,JPY,")) {
		t.Fatalf("authorization report %q", b)
	}
	if _, rows, _ = buildReportCSV(reportBillingAgreement, reportNow.Add(-24*time.Hour), reportNow, entries); rows != 0 {
		t.Fatal("billing agreement rows")
	}
}

func TestReportWireHasEveryKey(t *testing.T) {
	r := Report{ReportID: "1", ReportType: reportRefund, Status: reportInProgress, Created: reportNow, ProcessingStart: reportNow}
	w := r.wire()
	if w.ProcessingEndTime != nil || w.ReportDocumentID != nil || *w.CreatedTime != "20260301T120000Z" {
		t.Fatalf("%+v", w)
	}
}

// --- HTTP helpers shared by the secondary resources' tests ---------------

// stateJSON snapshots the emulator's state.
func (e *testEnv) stateJSON() string {
	e.t.Helper()
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	b, err := json.Marshal(e.srv.st)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// rejects sends r, expects Amazon's error shape with status and code, and
// checks that the state did not change.
func (e *testEnv) rejects(r req, status int, code string) {
	e.t.Helper()
	before := e.stateJSON()
	wantError(e.t, e.do(r), status, code)
	if after := e.stateJSON(); after != before {
		e.t.Fatalf("%s %s was rejected but changed the state", r.method, r.path)
	}
}

// capturedCharge runs a checkout with AuthorizeWithCapture and returns the
// charge permission and the captured charge.
func (e *testEnv) capturedCharge(amount, ccy string) (cpID, chID string) {
	e.t.Helper()
	id := e.checkout("AuthorizeWithCapture", amount, ccy, "", "")
	cs := wantStatus(e.t, e.complete(id, amount, ccy), 200)
	return str(cs, "chargePermissionId"), str(cs, "chargeId")
}

// fetch sends an unsigned request to a URL the emulator handed out.
func (e *testEnv) fetch(method, rawURL, contentType string, body []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, rawURL, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, r)
	return rec
}

func TestServer_Reports(t *testing.T) {
	e := newTestEnv(t)
	_, chID := e.capturedCharge("14.00", "USD")
	start := signing.FormatDate(e.srv.Now().Add(-time.Hour))
	end := signing.FormatDate(e.srv.Now().Add(time.Minute))

	rp := wantStatus(t, e.post("/v2/reports", `{"reportType":"`+reportSandboxSettlement+`","startTime":"`+start+`","endTime":"`+end+`"}`), 200)
	id := str(rp, "reportId")
	got := wantStatus(t, e.get("/v2/reports/"+id), 200)
	if str(got, "processingStatus") != reportInProgress || got["reportDocumentId"] != nil || got["processingEndTime"] != nil {
		t.Fatalf("new report %v", got)
	}
	list := wantStatus(t, e.get("/v2/reports?reportTypes="+reportSandboxSettlement+"&processingStatuses=IN_PROGRESS"), 200)
	if reports := list["reports"].([]any); len(reports) != 1 || list["nextToken"] != nil {
		t.Fatalf("list %v", list)
	}

	e.advance(reportProcessingTime)
	got = wantStatus(t, e.get("/v2/reports/"+id+"/"), 200) // .NET's trailing slash
	if str(got, "processingStatus") != reportCompleted || str(got, "reportDocumentId") == "" {
		t.Fatalf("processed report %v", got)
	}
	doc := wantStatus(t, e.get("/v2/report-documents/"+str(got, "reportDocumentId")), 200)
	if str(doc, "compressionAlgorithm") != "N/A" || !strings.HasPrefix(str(doc, "url"), "http://emulator.test/_emulator/report-documents/") {
		t.Fatalf("document %v", doc)
	}
	content := e.fetch("GET", str(doc, "url"), "", nil)
	if content.Code != 200 || content.Header().Get("Content-Type") != "text/csv" ||
		!strings.Contains(content.Body.String(), chID+",") || !strings.Contains(content.Body.String(), ",14.00,USD,") {
		t.Fatalf("content %d %s", content.Code, content.Body)
	}
	wantError(t, e.fetch("GET", strings.Replace(str(doc, "url"), "token=", "token=x", 1), "", nil), 403, codeInvalidAuthentication)
	e.advance(reportDocumentURLLifetime)
	wantError(t, e.fetch("GET", str(doc, "url"), "", nil), 403, codeInvalidAuthentication)

	// A period without transactions is cancelled, without a document.
	old := signing.FormatDate(e.srv.Now().Add(-72 * time.Hour))
	older := signing.FormatDate(e.srv.Now().Add(-96 * time.Hour))
	empty := str(wantStatus(t, e.post("/v2/reports", `{"reportType":"`+reportSandboxSettlement+`","startTime":"`+older+`","endTime":"`+old+`"}`), 200), "reportId")
	e.advance(reportProcessingTime)
	got = wantStatus(t, e.get("/v2/reports/"+empty), 200)
	if str(got, "processingStatus") != reportCancelled || got["reportDocumentId"] != nil {
		t.Fatalf("empty report %v", got)
	}

	// Reports are the caller's: another merchant sees neither.
	wantError(t, e.do(req{method: "GET", path: "/v2/reports/" + id, keyID: otherKeyID}), 404, codeResourceNotFound)
	other := wantStatus(t, e.do(req{method: "GET", path: "/v2/reports", keyID: otherKeyID}), 200)
	if len(other["reports"].([]any)) != 0 {
		t.Fatalf("other merchant sees %v", other)
	}

	// Paging with the PHP array form and a follow-up with only the token.
	page := wantStatus(t, e.get("/v2/reports?processingStatuses.1=COMPLETED&processingStatuses.2=CANCELLED&pageSize=1"), 200)
	if len(page["reports"].([]any)) != 1 || page["nextToken"] == nil {
		t.Fatalf("page 1 %v", page)
	}
	page = wantStatus(t, e.get("/v2/reports?nextToken="+url.QueryEscape(str(page, "nextToken"))), 200)
	if len(page["reports"].([]any)) != 1 || page["nextToken"] != nil {
		t.Fatalf("page 2 %v", page)
	}
}

func TestServer_ReportErrors(t *testing.T) {
	e := newTestEnv(t)
	past := signing.FormatDate(e.srv.Now().Add(-time.Hour))
	body := func(typ string) string {
		return `{"reportType":"` + typ + `","startTime":"` + past + `","endTime":"` + past + `"}`
	}
	post := func(b string) req {
		return req{method: "POST", path: "/v2/reports", body: b, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
	}
	e.rejects(post(body(reportOrderReference)), 400, codeInvalidParameterValue) // sandbox has only the sandbox settlement report
	e.rejects(post(`{"reportType":"`+reportSandboxSettlement+`"}`), 400, codeMissingParameterValue)
	e.rejects(post(`{"reportType":"`+reportSandboxSettlement+`","startTime":"soon","endTime":"`+past+`"}`), 400, codeInvalidParameterValue)
	e.rejects(post(`{"reportType":"`+reportSandboxSettlement+`","startTime":"`+past+`","endTime":"`+past+`","marketplaceIds":["x"]}`), 400, codeUnrecognizedField)
	e.rejects(post(`{"reportType":`), 400, codeInvalidRequestFormat)
	e.rejects(req{method: "GET", path: "/v2/reports/5000"}, 404, codeResourceNotFound)
	e.rejects(req{method: "GET", path: "/v2/reports?pageSize=500"}, 400, codeInvalidParameterValue)
	e.rejects(req{method: "GET", path: "/v2/reports?nextToken=garbage"}, 400, codeInvalidParameterValue)
	e.rejects(req{method: "GET", path: "/v2/report-documents/amzn1.tortuga.4.x.1"}, 404, codeResourceNotFound)
	e.rejects(req{method: "GET", path: "/v2/reports/5000?x=1"}, 400, codeUnrecognizedField)
	e.rejects(req{method: "PUT", path: "/v2/reports"}, 405, codeUnsupportedOperation)

	live := wantStatus(t, e.do(req{method: "POST", path: "/v2/reports", keyID: liveKeyID, body: body(reportOrderReference),
		header: map[string]string{"x-amz-pay-idempotency-key": idem()}}), 200)
	if str(live, "reportId") == "" {
		t.Fatalf("live report %v", live)
	}
	e.rejects(req{method: "POST", path: "/v2/reports", keyID: liveKeyID, body: body(reportSandboxSettlement),
		header: map[string]string{"x-amz-pay-idempotency-key": idem()}}, 400, codeInvalidParameterValue)
}

func TestServer_ReportSchedules(t *testing.T) {
	e := newTestEnv(t)
	next := signing.FormatDate(e.srv.Now().Add(time.Hour))
	body := `{"reportType":"` + reportSandboxSettlement + `","scheduleFrequency":"PT1H","nextReportCreationTime":"` + next + `","deleteExistingSchedule":false}`
	first := str(wantStatus(t, e.post("/v2/report-schedules", body), 200), "reportScheduleId")
	e.rejects(req{method: "POST", path: "/v2/report-schedules", body: body, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}, 400, codeInvalidRequest)

	// Java sends deleteExistingSchedule as a string.
	replaced := strings.Replace(body, `false`, `"true"`, 1)
	second := str(wantStatus(t, e.post("/v2/report-schedules", replaced), 200), "reportScheduleId")
	wantError(t, e.get("/v2/report-schedules/"+first), 404, codeResourceNotFound)
	sc := wantStatus(t, e.get("/v2/report-schedules/"+second), 200)
	if str(sc, "scheduleFrequency") != "PT1H" || str(sc, "nextReportCreationTime") != next {
		t.Fatalf("schedule %v", sc)
	}
	list := wantStatus(t, e.get("/v2/report-schedules?reportTypes="+reportSandboxSettlement+","+reportRefund), 200)
	if len(list["reportSchedules"].([]any)) != 1 {
		t.Fatalf("list %v", list)
	}
	list = wantStatus(t, e.get("/v2/report-schedules?reportTypes="+reportRefund), 200)
	if len(list["reportSchedules"].([]any)) != 0 {
		t.Fatalf("filtered list %v", list)
	}
	e.rejects(req{method: "GET", path: "/v2/report-schedules?reportTypes=_X_"}, 400, codeInvalidParameterValue)

	// Two hours later the schedule has created two reports and moved on.
	e.advance(2*time.Hour + time.Minute)
	reports := wantStatus(t, e.get("/v2/reports?reportTypes="+reportSandboxSettlement), 200)["reports"].([]any)
	if len(reports) != 2 {
		t.Fatalf("scheduled reports %v", reports)
	}
	for _, r := range reports {
		if st := r.(map[string]any)["processingStatus"]; st != reportCancelled { // nothing was charged
			t.Fatalf("scheduled report %v", r)
		}
	}
	sc = wantStatus(t, e.get("/v2/report-schedules/"+second), 200)
	if str(sc, "nextReportCreationTime") != signing.FormatDate(e.srv.Now().Add(-time.Minute).Add(time.Hour)) {
		t.Fatalf("next run %v at %v", sc, e.srv.Now())
	}

	// .NET sends {} with the DELETE.
	wantStatus(t, e.do(req{method: "DELETE", path: "/v2/report-schedules/" + second, body: `{}`}), 200)
	e.rejects(req{method: "DELETE", path: "/v2/report-schedules/" + second}, 404, codeResourceNotFound)
	e.rejects(req{method: "DELETE", path: "/v2/report-schedules/" + second, body: `{"reason":"x"}`}, 400, codeUnrecognizedField)
}

// --- every secondary route, bad input ---------------------------------------

// secondaryRoutes are the routes this file's tests sweep, with a path that
// names no object.
var secondaryRoutes = []struct{ method, path string }{
	{"POST", "/v2/deliveryTrackers"},
	{"GET", "/v2/authorizationTokens/amzn.mws.00000000-0000-0000-0000-000000000000"},
	{"POST", "/v2/in-store/merchantScan"},
	{"POST", "/v2/in-store/charge"},
	{"POST", "/v2/in-store/refund"},
	{"GET", "/v2/reports"},
	{"GET", "/v2/reports/1"},
	{"GET", "/v2/report-documents/amzn1.tortuga.4.x.1"},
	{"GET", "/v2/report-schedules"},
	{"GET", "/v2/report-schedules/1"},
	{"POST", "/v2/reports"},
	{"POST", "/v2/report-schedules"},
	{"DELETE", "/v2/report-schedules/1"},
	{"GET", "/v2/disbursements"},
	{"POST", "/v2/merchantAccounts"},
	{"PATCH", "/v2/merchantAccounts/A000000000000"},
	{"DELETE", "/v2/merchantAccounts/A000000000000"},
	{"POST", "/v2/merchantAccounts/A000000000000/claim"},
	{"POST", "/v2/disputes"},
	{"GET", "/v2/disputes/S01-0000000-0000000-B0000000"},
	{"PATCH", "/v2/disputes/S01-0000000-0000000-B0000000"},
	{"POST", "/v2/disputes/S01-0000000-0000000-B0000000/contest"},
	{"POST", "/v2/files"},
}

var badBodies = []string{
	``, `null`, `[]`, `"text"`, `42`, `{`, `{"a":1}{"b":2}`, `{"a":1}`,
	`{"reportType":{"nested":true}}`, `{"chargeId":[1,2]}`, `{"deliveryDetails":"x"}`,
	`{"uniqueReferenceId":123}`, `{"statusDetails":[]}`, `{"merchantEvidences":{}}`,
	`{"chargeTotal":{"amount":1e400,"currencyCode":"USD"}}`, `{"chargeTotal":{"amount":"-1","currencyCode":"USD"}}`,
	`{"type":"` + strings.Repeat("x", 10000) + `"}`, `{"scanData":"\u0000\ud800"}`,
	strings.Repeat(`{"a":`, 500) + `1` + strings.Repeat(`}`, 500),
}

var badQueries = []string{
	"?pageSize=-1", "?pageSize=99999999999999999999", "?nextToken=%FF%FE", "?createdSince=0",
	"?reportTypes=%00", "?startTime=20260101T000000Z&startTime=20260102T000000Z", "?merchantId=A3OJ83WFYM72IY&merchantId=",
	"?unknown=1",
}

func TestServer_SecondaryRejectsBadInput(t *testing.T) {
	e := newTestEnv(t)
	for _, rt := range secondaryRoutes {
		inputs := badBodies
		if rt.method == "GET" {
			inputs = nil
			for _, q := range badQueries {
				inputs = append(inputs, "?"+q[1:])
			}
		}
		for _, in := range inputs {
			r := req{method: rt.method, path: rt.path, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
			if rt.method == "GET" {
				r.path += in
			} else {
				r.body = in
			}
			before := e.stateJSON()
			res := e.do(r)
			if res.Code < 400 || res.Code >= 500 {
				t.Errorf("%s %s %.40q: status %d %s", r.method, r.path, in, res.Code, res.Body)
				continue
			}
			m := obj(t, res)
			if code, _ := m["reasonCode"].(string); code == "" || m["message"] == nil {
				t.Errorf("%s %s: not Amazon's error shape: %s", r.method, r.path, res.Body)
			}
			if e.stateJSON() != before {
				t.Errorf("%s %s %.40q: rejected but the state changed", r.method, r.path, in)
			}
		}
	}
}

// FuzzSecondaryRequests feeds arbitrary bytes to every request decoder and
// validator of the secondary resources, as a body and as a query string:
// they may reject, never panic.
func FuzzSecondaryRequests(f *testing.F) {
	for _, b := range badBodies {
		f.Add([]byte(b))
	}
	f.Add([]byte(registerBody))
	f.Add([]byte(createBody))
	f.Add([]byte(`{"chargeId":"S01-1-1-C1","providerMetadata":{"providerDisputeId":"p"},"disputeAmount":{"amount":"1","currencyCode":"JPY"},"filingReason":"Other","statusDetails":{"state":"ActionRequired"},"merchantResponseDeadline":1767225600000}`))
	f.Add([]byte(`{"merchantEvidences":[{"evidenceType":"Receipt","fileId":"file_x","evidenceText":"t"}]}`))
	f.Add([]byte(`{"reportType":"_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SANDBOX_SETTLEMENT_DATA_","scheduleFrequency":"P1D","nextReportCreationTime":"20300101T000000Z","deleteExistingSchedule":"true"}`))
	f.Add([]byte(`reportTypes.1=A&reportTypes.2=B&pageSize=5&createdSince=2026-01-01T00:00:00Z`))
	f.Add([]byte(`startTime=2022-08-04T00-00-00Z&endTime=2022-08-04T23-59-59Z&pageSize=30&nextToken=`))
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	owner := Owner{MerchantID: "M", Env: Sandbox}
	noFiles := fileEvidenceCheck(map[string]*File{}, owner)
	f.Fuzz(func(t *testing.T, data []byte) {
		var cd createDisputeIn
		if decodeStrict(data, &cd) == nil {
			_, _ = validateCreateDispute(&cd, now)
		}
		var ud updateDisputeIn
		if decodeStrict(data, &ud) == nil {
			_, _ = applyDisputeUpdate(openDispute(disputeActionRequired), &ud, now)
		}
		var cn contestDisputeIn
		if decodeStrict(data, &cn) == nil {
			_, _ = validateEvidences(cn.MerchantEvidences, noFiles)
		}
		var uf uploadFileIn
		if decodeStrict(data, &uf) == nil {
			_, _, _ = validateUploadFile(&uf)
		}
		var cr createReportIn
		if decodeStrict(data, &cr) == nil {
			_, _, _, _ = validateCreateReport(&cr, Live, now)
		}
		var cs createReportScheduleIn
		if decodeStrict(data, &cs) == nil {
			_, _, _ = validateCreateReportSchedule(&cs, owner, map[string]*ReportSchedule{}, now)
		}
		var dt deliveryTrackerIn
		if decodeStrict(data, &dt) == nil {
			_, _ = validateDeliveryTracker(&dt)
		}
		var ms merchantScanIn
		if decodeStrict(data, &ms) == nil {
			_, _ = validateMerchantScan(&ms)
		}
		var ic inStoreChargeIn
		if decodeStrict(data, &ic) == nil {
			_, _ = ic.ChargeTotal.parse("chargeTotal")
			_ = validateInStoreMetadata(ic.Metadata)
		}
		var ra registerAccountIn
		if decodeStrict(data, &ra) == nil {
			_, _, _ = validateRegisterAccount(&ra)
		}
		var ca createAccountIn
		if decodeStrict(data, &ca) == nil {
			_, _, _ = validateCreateAccount(&ca)
		}
		var uo updateOnboardingAccountIn
		if decodeStrict(data, &uo) == nil {
			_ = validateUpdateOnboarding(&uo)
		}
		var um updateManagedAccountIn
		if decodeStrict(data, &um) == nil {
			_ = validateUpdateManaged(&um)
		}
		_ = isRegisterBody(data)
		if q, err := url.ParseQuery(string(data)); err == nil {
			if fl, err := parseReportFilter(q, now); err == nil {
				selectReports(map[string]*Report{"1": {Owner: owner, ReportID: "1", Created: now}}, owner, fl)
			}
			if dq, err := parseDisbursementQuery(q); err == nil {
				pageDisbursements([]Disbursement{{TransactionTime: now}}, dq)
			}
			_, _ = validateAuthorizationTokenRequest(string(data), q)
			_ = multiValue(q, "reportTypes")
		}
	})
}
