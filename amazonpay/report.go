package amazonpay

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// ReportService handles the Reporting API: settlement and transaction
// reports, their documents, and report schedules.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html
type ReportService service

// ReportType names a report. It is an open set; these are the documented
// types.
type ReportType string

// List of values that ReportType can take.
const (
	ReportSettlement        ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SETTLEMENT_DATA_"
	ReportSandboxSettlement ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_SANDBOX_SETTLEMENT_DATA_"
	ReportOrderReference    ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_ORDER_REFERENCE_DATA_"
	ReportBillingAgreement  ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_BILLING_AGREEMENT_DATA_"
	ReportAuthorization     ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_AUTHORIZATION_DATA_"
	ReportCapture           ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_CAPTURE_DATA_"
	ReportRefund            ReportType = "_GET_FLAT_FILE_OFFAMAZONPAYMENTS_REFUND_DATA_"
)

// ProcessingStatus is the state of a report's generation.
type ProcessingStatus string

// List of values that ProcessingStatus can take.
const (
	ProcessingInProgress ProcessingStatus = "IN_PROGRESS"
	ProcessingCompleted  ProcessingStatus = "COMPLETED"
	ProcessingFailed     ProcessingStatus = "FAILED"
	ProcessingCancelled  ProcessingStatus = "CANCELLED"
)

// ScheduleFrequency is an ISO 8601 duration such as "P1D" or "PT12H".
type ScheduleFrequency string

// Report is one generated (or generating) report.
type Report struct {
	ReportID            string           `json:"reportId"`
	ReportType          ReportType       `json:"reportType,omitempty"`
	StartTime           Timestamp        `json:"startTime,omitzero"`
	EndTime             Timestamp        `json:"endTime,omitzero"`
	CreatedTime         Timestamp        `json:"createdTime,omitzero"`
	ProcessingStatus    ProcessingStatus `json:"processingStatus,omitempty"`
	ProcessingStartTime Timestamp        `json:"processingStartTime,omitzero"`
	ProcessingEndTime   Timestamp        `json:"processingEndTime,omitzero"`
	ReportDocumentID    string           `json:"reportDocumentId,omitempty"`
}

// ReportList is one page of reports; pass NextToken to get the next.
type ReportList struct {
	Reports   []Report `json:"reports"`
	NextToken string   `json:"nextToken,omitempty"`
}

// ReportDocument points at a report's content. URL is short-lived.
type ReportDocument struct {
	ReportDocumentID     string `json:"reportDocumentId"`
	URL                  string `json:"url,omitempty"`
	CompressionAlgorithm string `json:"compressionAlgorithm,omitempty"`
}

// ReportSchedule creates reports of one type periodically.
type ReportSchedule struct {
	ReportScheduleID       string            `json:"reportScheduleId"`
	ReportType             ReportType        `json:"reportType,omitempty"`
	ScheduleFrequency      ScheduleFrequency `json:"scheduleFrequency,omitempty"`
	NextReportCreationTime Timestamp         `json:"nextReportCreationTime,omitzero"`
}

// ReportScheduleList lists report schedules.
type ReportScheduleList struct {
	ReportSchedules []ReportSchedule `json:"reportSchedules"`
}

// GetReportsOptions filters Get Reports; all fields are optional. Lists are
// sent comma-joined, times in the basic ISO 8601 form.
type GetReportsOptions struct {
	ReportTypes        []ReportType
	ProcessingStatuses []ProcessingStatus
	CreatedSince       time.Time
	CreatedUntil       time.Time
	PageSize           int
	NextToken          string
}

func (o *GetReportsOptions) values() (url.Values, error) {
	v := url.Values{}
	if o == nil {
		return v, nil
	}
	if o.PageSize < 0 {
		return nil, &InputError{Field: "pageSize", Reason: "must not be negative"}
	}
	if len(o.ReportTypes) > 0 {
		v.Set("reportTypes", joinStrings(o.ReportTypes))
	}
	if len(o.ProcessingStatuses) > 0 {
		v.Set("processingStatuses", joinStrings(o.ProcessingStatuses))
	}
	setTime(v, "createdSince", o.CreatedSince)
	setTime(v, "createdUntil", o.CreatedUntil)
	if o.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(o.PageSize))
	}
	if o.NextToken != "" {
		v.Set("nextToken", o.NextToken)
	}
	return v, nil
}

// GetReportSchedulesOptions filters Get Report Schedules.
type GetReportSchedulesOptions struct {
	ReportTypes []ReportType
}

// CreateReportRequest asks for a report covering [StartTime, EndTime].
type CreateReportRequest struct {
	ReportType ReportType `json:"reportType"`
	StartTime  Timestamp  `json:"startTime"`
	EndTime    Timestamp  `json:"endTime"`
}

// CreateReportResult names the report being generated.
type CreateReportResult struct {
	ReportID string `json:"reportId"`
}

// CreateReportScheduleRequest schedules periodic reports.
// DeleteExistingSchedule replaces a schedule of the same type.
type CreateReportScheduleRequest struct {
	ReportType             ReportType        `json:"reportType"`
	ScheduleFrequency      ScheduleFrequency `json:"scheduleFrequency"`
	NextReportCreationTime Timestamp         `json:"nextReportCreationTime,omitzero"`
	DeleteExistingSchedule bool              `json:"deleteExistingSchedule"`
}

// CreateReportScheduleResult names the new schedule.
type CreateReportScheduleResult struct {
	ReportScheduleID string `json:"reportScheduleId"`
}

// CancelReportScheduleResult is the (usually empty) body of Cancel Report
// Schedule.
type CancelReportScheduleResult struct {
	ReportScheduleID string `json:"reportScheduleId,omitempty"`
}

// List returns one page of reports matching opts (nil for all).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#get-reports
//
//amazonpay:operation GET /v2/reports
func (s *ReportService) List(ctx context.Context, opts *GetReportsOptions, ropts ...RequestOption) (*ReportList, *Response, error) {
	q, err := opts.values()
	if err != nil {
		return nil, nil, err
	}
	return callInto[ReportList](ctx, s.client, callSpec{op: "GetReports", query: q}, ropts)
}

// Get reads one report.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#get-report-by-id
//
//amazonpay:operation GET /v2/reports/{reportId}
func (s *ReportService) Get(ctx context.Context, reportID string, opts ...RequestOption) (*Report, *Response, error) {
	return callInto[Report](ctx, s.client, callSpec{op: "GetReportById",
		params: []pathParam{{"reportId", reportID}}}, opts)
}

// GetDocument returns where to download a report's content.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#get-report-document
//
//amazonpay:operation GET /v2/report-documents/{reportDocumentId}
func (s *ReportService) GetDocument(ctx context.Context, reportDocumentID string, opts ...RequestOption) (*ReportDocument, *Response, error) {
	return callInto[ReportDocument](ctx, s.client, callSpec{op: "GetReportDocument",
		params: []pathParam{{"reportDocumentId", reportDocumentID}}}, opts)
}

// ListSchedules returns the report schedules, optionally of some types.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#get-report-schedules
//
//amazonpay:operation GET /v2/report-schedules
func (s *ReportService) ListSchedules(ctx context.Context, opts *GetReportSchedulesOptions, ropts ...RequestOption) (*ReportScheduleList, *Response, error) {
	q := url.Values{}
	if opts != nil && len(opts.ReportTypes) > 0 {
		q.Set("reportTypes", joinStrings(opts.ReportTypes))
	}
	return callInto[ReportScheduleList](ctx, s.client, callSpec{op: "GetReportSchedules", query: q}, ropts)
}

// GetSchedule reads one report schedule.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#get-report-schedule-by-id
//
//amazonpay:operation GET /v2/report-schedules/{reportScheduleId}
func (s *ReportService) GetSchedule(ctx context.Context, reportScheduleID string, opts ...RequestOption) (*ReportSchedule, *Response, error) {
	return callInto[ReportSchedule](ctx, s.client, callSpec{op: "GetReportScheduleById",
		params: []pathParam{{"reportScheduleId", reportScheduleID}}}, opts)
}

// Create requests a report; poll Get until it is COMPLETED.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#create-report
//
//amazonpay:operation POST /v2/reports
func (s *ReportService) Create(ctx context.Context, req *CreateReportRequest, opts ...RequestOption) (*CreateReportResult, *Response, error) {
	switch {
	case req == nil:
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	case req.ReportType == "":
		return nil, nil, &InputError{Field: "reportType", Reason: "is required"}
	case req.StartTime.IsZero() || req.EndTime.IsZero():
		return nil, nil, &InputError{Field: "startTime", Reason: "startTime and endTime are required"}
	case req.EndTime.Before(req.StartTime.Time):
		return nil, nil, &InputError{Field: "endTime", Reason: "is before startTime"}
	}
	return callInto[CreateReportResult](ctx, s.client, callSpec{op: "CreateReport", body: req}, opts)
}

// CreateSchedule schedules periodic reports.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#create-report-schedule
//
//amazonpay:operation POST /v2/report-schedules
func (s *ReportService) CreateSchedule(ctx context.Context, req *CreateReportScheduleRequest, opts ...RequestOption) (*CreateReportScheduleResult, *Response, error) {
	switch {
	case req == nil:
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	case req.ReportType == "":
		return nil, nil, &InputError{Field: "reportType", Reason: "is required"}
	case req.ScheduleFrequency == "":
		return nil, nil, &InputError{Field: "scheduleFrequency", Reason: "is required"}
	}
	return callInto[CreateReportScheduleResult](ctx, s.client, callSpec{op: "CreateReportSchedule", body: req}, opts)
}

// CancelSchedule deletes a report schedule.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/reports.html#cancel-report-schedule
//
//amazonpay:operation DELETE /v2/report-schedules/{reportScheduleId}
func (s *ReportService) CancelSchedule(ctx context.Context, reportScheduleID string, opts ...RequestOption) (*CancelReportScheduleResult, *Response, error) {
	return callInto[CancelReportScheduleResult](ctx, s.client, callSpec{op: "CancelReportSchedule",
		params: []pathParam{{"reportScheduleId", reportScheduleID}}}, opts)
}

// joinStrings comma-joins a list of string-typed values, the form Node and
// .NET send list parameters in.
func joinStrings[T ~string](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}

func setTime(v url.Values, name string, t time.Time) {
	if !t.IsZero() {
		v.Set(name, signing.FormatDate(t))
	}
}
