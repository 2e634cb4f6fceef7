package action

import (
	"context"
	"slices"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
)

// runFunc performs one prepared call through the SDK and returns the SDK's
// result, response and error untouched; the runner turns them into a
// Result. The typed result is only used when the response body was empty
// or already consumed (Claim Merchant Account's 303).
type runFunc func(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error)

// entry is one action: the SDK call and the fields checked before it.
// Path parameters (checkoutSessionId, chargeId, …) are always required and
// come from the operation's path template, so they are not listed here.
type entry struct {
	required []field
	run      runFunc
}

// Service selectors: which service of the client an action uses.
func checkoutSessions(c *amazonpay.Client) *amazonpay.CheckoutSessionService {
	return c.CheckoutSessions
}
func chargePermissions(c *amazonpay.Client) *amazonpay.ChargePermissionService {
	return c.ChargePermissions
}
func charges(c *amazonpay.Client) *amazonpay.ChargeService  { return c.Charges }
func refunds(c *amazonpay.Client) *amazonpay.RefundService  { return c.Refunds }
func buyers(c *amazonpay.Client) *amazonpay.BuyerService    { return c.Buyers }
func inStore(c *amazonpay.Client) *amazonpay.InStoreService { return c.InStore }
func reports(c *amazonpay.Client) *amazonpay.ReportService  { return c.Reports }
func trackers(c *amazonpay.Client) *amazonpay.DeliveryTrackerService {
	return c.DeliveryTrackers
}
func disputes(c *amazonpay.Client) *amazonpay.DisputeService { return c.Disputes }
func files(c *amazonpay.Client) *amazonpay.FileService       { return c.Files }
func accounts(c *amazonpay.Client) *amazonpay.MerchantAccountService {
	return c.MerchantAccounts
}

// table maps every action (the API operation name) to its SDK call. A test
// checks its keys against amazonpay.Operations(), so an operation the SDK
// gains cannot be forgotten here.
var table = map[string]entry{
	// Checkout Sessions.
	"CreateCheckoutSession":   {required: []field{{"storeId", kindID}}, run: withBody(checkoutSessions, (*amazonpay.CheckoutSessionService).Create)},
	"GetCheckoutSession":      {run: byID(checkoutSessions, (*amazonpay.CheckoutSessionService).Get)},
	"UpdateCheckoutSession":   {run: byIDWithBody(checkoutSessions, (*amazonpay.CheckoutSessionService).Update)},
	"CompleteCheckoutSession": {required: []field{{"chargeAmount", kindPrice}}, run: byIDWithBody(checkoutSessions, (*amazonpay.CheckoutSessionService).Complete)},
	"FinalizeCheckoutSession": {required: []field{{"chargeAmount", kindPrice}}, run: byIDWithBody(checkoutSessions, (*amazonpay.CheckoutSessionService).Finalize)},

	// Charge Permissions.
	"GetChargePermission":    {run: byID(chargePermissions, (*amazonpay.ChargePermissionService).Get)},
	"UpdateChargePermission": {run: byIDWithBody(chargePermissions, (*amazonpay.ChargePermissionService).Update)},
	"CloseChargePermission":  {run: byIDWithBody(chargePermissions, (*amazonpay.ChargePermissionService).Close)},

	// Charges.
	"CreateCharge":  {required: []field{{"chargePermissionId", kindID}, {"chargeAmount", kindPrice}}, run: withBody(charges, (*amazonpay.ChargeService).Create)},
	"GetCharge":     {run: byID(charges, (*amazonpay.ChargeService).Get)},
	"UpdateCharge":  {required: []field{{"statusDetails", kindObject}}, run: byIDWithBody(charges, (*amazonpay.ChargeService).Update)},
	"CaptureCharge": {required: []field{{"captureAmount", kindPrice}}, run: byIDWithBody(charges, (*amazonpay.ChargeService).Capture)},
	"CancelCharge":  {run: byIDWithBody(charges, (*amazonpay.ChargeService).Cancel)},

	// Refunds.
	"CreateRefund": {required: []field{{"chargeId", kindID}, {"refundAmount", kindPrice}}, run: withBody(refunds, (*amazonpay.RefundService).Create)},
	"GetRefund":    {run: byID(refunds, (*amazonpay.RefundService).Get)},

	// Buyers, delivery trackers, delegated authorization.
	"GetBuyer":              {run: byID(buyers, (*amazonpay.BuyerService).Get)},
	"DeliveryTrackers":      {required: []field{{"deliveryDetails", kindArray}}, run: withBody(trackers, (*amazonpay.DeliveryTrackerService).Create)},
	"GetAuthorizationToken": {required: []field{{"merchantId", kindID}}, run: getAuthorizationToken},

	// In-Store.
	"MerchantScan":  {required: []field{{"scanData", kindString}}, run: withBody(inStore, (*amazonpay.InStoreService).MerchantScan)},
	"InStoreCharge": {required: []field{{"chargePermissionId", kindID}, {"chargeTotal", kindPrice}}, run: withBody(inStore, (*amazonpay.InStoreService).Charge)},
	"InStoreRefund": {required: []field{{"chargeId", kindID}, {"refundTotal", kindPrice}}, run: withBody(inStore, (*amazonpay.InStoreService).Refund)},

	// Reports and disbursements.
	"GetReports":            {run: getReports},
	"GetReportById":         {run: byID(reports, (*amazonpay.ReportService).Get)},
	"GetReportDocument":     {run: byID(reports, (*amazonpay.ReportService).GetDocument)},
	"GetReportSchedules":    {run: getReportSchedules},
	"GetReportScheduleById": {run: byID(reports, (*amazonpay.ReportService).GetSchedule)},
	"CreateReport":          {required: []field{{"reportType", kindString}, {"startTime", kindString}, {"endTime", kindString}}, run: withBody(reports, (*amazonpay.ReportService).Create)},
	"CreateReportSchedule":  {required: []field{{"reportType", kindString}, {"scheduleFrequency", kindString}}, run: withBody(reports, (*amazonpay.ReportService).CreateSchedule)},
	"CancelReportSchedule":  {run: byID(reports, (*amazonpay.ReportService).CancelSchedule)},
	"GetDisbursements":      {required: []field{{"startTime", kindString}, {"endTime", kindString}}, run: getDisbursements},

	// Merchant onboarding (Register/Update/Delete Amazon Pay Account) and
	// account management (Create/Update/Claim Merchant Account).
	"RegisterAmazonPayAccount": {required: []field{{"uniqueReferenceId", kindString}}, run: withBody(accounts, (*amazonpay.MerchantAccountService).RegisterAmazonPayAccount)},
	"UpdateAmazonPayAccount":   {run: byIDWithBody(accounts, (*amazonpay.MerchantAccountService).UpdateAmazonPayAccount)},
	"DeleteAmazonPayAccount":   {run: byID(accounts, (*amazonpay.MerchantAccountService).DeleteAmazonPayAccount)},
	"CreateMerchantAccount":    {required: []field{{"uniqueReferenceId", kindString}}, run: withBody(accounts, (*amazonpay.MerchantAccountService).Create)},
	"UpdateMerchantAccount":    {run: byIDWithBody(accounts, (*amazonpay.MerchantAccountService).Update)},
	"ClaimMerchantAccount":     {required: []field{{"uniqueReferenceId", kindString}}, run: byIDWithBody(accounts, (*amazonpay.MerchantAccountService).Claim)},

	// Disputes and their evidence files.
	"CreateDispute":  {required: []field{{"chargeId", kindID}, {"disputeAmount", kindPrice}, {"filingReason", kindString}}, run: withBody(disputes, (*amazonpay.DisputeService).Create)},
	"GetDispute":     {run: byID(disputes, (*amazonpay.DisputeService).Get)},
	"UpdateDispute":  {run: byIDWithBody(disputes, (*amazonpay.DisputeService).Update)},
	"ContestDispute": {required: []field{{"merchantEvidences", kindArray}}, run: byIDWithBody(disputes, (*amazonpay.DisputeService).Contest)},
	"UploadFile":     {required: []field{{"type", kindString}, {"purpose", kindString}}, run: withBody(files, (*amazonpay.FileService).Upload)},
}

// lowerNames maps the lower-cased action name to its API spelling, for the
// case-insensitive match the v2handlerjs documents rely on.
var lowerNames = func() map[string]string {
	m := make(map[string]string, len(table))
	for name := range table {
		m[strings.ToLower(name)] = name
	}
	return m
}()

// lookupAction resolves an action name in any case.
func lookupAction(name string) (string, bool) {
	canonical, ok := lowerNames[strings.ToLower(strings.TrimSpace(name))]
	return canonical, ok
}

// Actions lists every action name, sorted: the API operation names of
// amazonpay.Operations().
func Actions() []string {
	names := make([]string, 0, len(table))
	for name := range table {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// withBody adapts a service method that takes only a request body.
func withBody[S, T, R any](svc func(*amazonpay.Client) *S, m func(*S, context.Context, *T, ...amazonpay.RequestOption) (R, *amazonpay.Response, error)) runFunc {
	return func(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
		req := new(T)
		if err := in.decode(req); err != nil {
			return nil, nil, err
		}
		return m(svc(c), ctx, req, in.opts...)
	}
}

// byID adapts a service method that takes only the path id.
func byID[S, R any](svc func(*amazonpay.Client) *S, m func(*S, context.Context, string, ...amazonpay.RequestOption) (R, *amazonpay.Response, error)) runFunc {
	return func(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
		if err := in.noBody(); err != nil {
			return nil, nil, err
		}
		return m(svc(c), ctx, in.id(), in.opts...)
	}
}

// byIDWithBody adapts a service method that takes the path id and a body.
func byIDWithBody[S, T, R any](svc func(*amazonpay.Client) *S, m func(*S, context.Context, string, *T, ...amazonpay.RequestOption) (R, *amazonpay.Response, error)) runFunc {
	return func(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
		req := new(T)
		if err := in.decode(req); err != nil {
			return nil, nil, err
		}
		return m(svc(c), ctx, in.id(), req, in.opts...)
	}
}

// getAuthorizationToken: the mwsAuthToken is the path id and merchantId the
// query parameter (APAY_MERCHANT_ID when the document has none).
func getAuthorizationToken(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
	var q struct {
		MerchantID string `json:"merchantId"`
	}
	if err := in.decode(&q); err != nil {
		return nil, nil, err
	}
	return c.AuthorizationTokens.Get(ctx, in.id(), q.MerchantID, in.opts...)
}

// getReports maps the document's filter fields to Get Reports' query.
func getReports(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
	var q struct {
		ReportTypes        stringList          `json:"reportTypes"`
		ProcessingStatuses stringList          `json:"processingStatuses"`
		CreatedSince       amazonpay.Timestamp `json:"createdSince"`
		CreatedUntil       amazonpay.Timestamp `json:"createdUntil"`
		PageSize           pageSize            `json:"pageSize"`
		NextToken          string              `json:"nextToken"`
	}
	if err := in.decode(&q); err != nil {
		return nil, nil, err
	}
	opts := &amazonpay.GetReportsOptions{
		ReportTypes:        convertList[amazonpay.ReportType](q.ReportTypes),
		ProcessingStatuses: convertList[amazonpay.ProcessingStatus](q.ProcessingStatuses),
		CreatedSince:       q.CreatedSince.Time,
		CreatedUntil:       q.CreatedUntil.Time,
		PageSize:           int(q.PageSize),
		NextToken:          q.NextToken,
	}
	return c.Reports.List(ctx, opts, in.opts...)
}

// getReportSchedules maps reportTypes to Get Report Schedules' query.
func getReportSchedules(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
	var q struct {
		ReportTypes stringList `json:"reportTypes"`
	}
	if err := in.decode(&q); err != nil {
		return nil, nil, err
	}
	opts := &amazonpay.GetReportSchedulesOptions{ReportTypes: convertList[amazonpay.ReportType](q.ReportTypes)}
	return c.Reports.ListSchedules(ctx, opts, in.opts...)
}

// getDisbursements maps the time window and paging to Get Disbursements.
func getDisbursements(ctx context.Context, c *amazonpay.Client, in *call) (any, *amazonpay.Response, error) {
	var q struct {
		StartTime amazonpay.Timestamp `json:"startTime"`
		EndTime   amazonpay.Timestamp `json:"endTime"`
		PageSize  pageSize            `json:"pageSize"`
		NextToken string              `json:"nextToken"`
	}
	if err := in.decode(&q); err != nil {
		return nil, nil, err
	}
	opts := &amazonpay.GetDisbursementsOptions{
		StartTime: q.StartTime.Time,
		EndTime:   q.EndTime.Time,
		PageSize:  int(q.PageSize),
		NextToken: q.NextToken,
	}
	return c.Disbursements.List(ctx, opts, in.opts...)
}

func convertList[T ~string](xs []string) []T {
	if len(xs) == 0 {
		return nil
	}
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = T(x)
	}
	return out
}
