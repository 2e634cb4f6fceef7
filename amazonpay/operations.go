package amazonpay

import "strings"

// Operation is one Amazon Pay API v2 call: its API name, HTTP method and a
// net/http ServeMux-style path template without the /live or /sandbox
// prefix. The SDK's methods, the emulator's routes and the action runner's
// action names are all checked against this one list.
type Operation struct {
	Name   string
	Method string
	Path   string
}

// operations is the single source of the API surface. Each SDK method's doc
// comment carries a matching //amazonpay:operation directive and builds its
// request from the entry it names, so a method cannot drift from the list.
var operations = [...]Operation{
	{"CreateCheckoutSession", "POST", "/v2/checkoutSessions"},
	{"GetCheckoutSession", "GET", "/v2/checkoutSessions/{checkoutSessionId}"},
	{"UpdateCheckoutSession", "PATCH", "/v2/checkoutSessions/{checkoutSessionId}"},
	{"CompleteCheckoutSession", "POST", "/v2/checkoutSessions/{checkoutSessionId}/complete"},
	{"FinalizeCheckoutSession", "POST", "/v2/checkoutSessions/{checkoutSessionId}/finalize"},
	{"GetChargePermission", "GET", "/v2/chargePermissions/{chargePermissionId}"},
	{"UpdateChargePermission", "PATCH", "/v2/chargePermissions/{chargePermissionId}"},
	{"CloseChargePermission", "DELETE", "/v2/chargePermissions/{chargePermissionId}/close"},
	{"CreateCharge", "POST", "/v2/charges"},
	{"GetCharge", "GET", "/v2/charges/{chargeId}"},
	{"UpdateCharge", "PATCH", "/v2/charges/{chargeId}"},
	{"CaptureCharge", "POST", "/v2/charges/{chargeId}/capture"},
	{"CancelCharge", "DELETE", "/v2/charges/{chargeId}/cancel"},
	{"CreateRefund", "POST", "/v2/refunds"},
	{"GetRefund", "GET", "/v2/refunds/{refundId}"},
	{"GetBuyer", "GET", "/v2/buyers/{buyerToken}"},
	{"DeliveryTrackers", "POST", "/v2/deliveryTrackers"},
	{"GetAuthorizationToken", "GET", "/v2/authorizationTokens/{mwsAuthToken}"},
	{"MerchantScan", "POST", "/v2/in-store/merchantScan"},
	{"InStoreCharge", "POST", "/v2/in-store/charge"},
	{"InStoreRefund", "POST", "/v2/in-store/refund"},
	{"GetReports", "GET", "/v2/reports"},
	{"GetReportById", "GET", "/v2/reports/{reportId}"},
	{"GetReportDocument", "GET", "/v2/report-documents/{reportDocumentId}"},
	{"GetReportSchedules", "GET", "/v2/report-schedules"},
	{"GetReportScheduleById", "GET", "/v2/report-schedules/{reportScheduleId}"},
	{"CreateReport", "POST", "/v2/reports"},
	{"CreateReportSchedule", "POST", "/v2/report-schedules"},
	{"CancelReportSchedule", "DELETE", "/v2/report-schedules/{reportScheduleId}"},
	{"GetDisbursements", "GET", "/v2/disbursements"},
	{"RegisterAmazonPayAccount", "POST", "/v2/merchantAccounts"},
	{"UpdateAmazonPayAccount", "PATCH", "/v2/merchantAccounts/{merchantAccountId}"},
	{"DeleteAmazonPayAccount", "DELETE", "/v2/merchantAccounts/{merchantAccountId}"},
	{"CreateMerchantAccount", "POST", "/v2/merchantAccounts"},
	{"UpdateMerchantAccount", "PATCH", "/v2/merchantAccounts/{merchantAccountId}"},
	{"ClaimMerchantAccount", "POST", "/v2/merchantAccounts/{merchantAccountId}/claim"},
	{"CreateDispute", "POST", "/v2/disputes"},
	{"GetDispute", "GET", "/v2/disputes/{disputeId}"},
	{"UpdateDispute", "PATCH", "/v2/disputes/{disputeId}"},
	{"ContestDispute", "POST", "/v2/disputes/{disputeId}/contest"},
	{"UploadFile", "POST", "/v2/files"},
}

// Operations returns every Amazon Pay API v2 operation the SDK implements,
// in a fresh slice the caller may modify.
func Operations() []Operation {
	out := make([]Operation, len(operations))
	copy(out, operations[:])
	return out
}

// lookupOperation finds an operation by name. The list is short, so a scan
// costs less than the map it would otherwise need.
func lookupOperation(name string) (Operation, bool) {
	for _, op := range operations {
		if op.Name == name {
			return op, true
		}
	}
	return Operation{}, false
}

// Pattern is the ServeMux pattern of the operation, "METHOD /path".
func (o Operation) Pattern() string { return o.Method + " " + o.Path }

// PathParams lists the names of the path parameters, in order.
func (o Operation) PathParams() []string {
	var names []string
	rest := o.Path
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}

// expand fills the path parameters in order with already-escaped values.
func (o Operation) expand(escaped ...string) string {
	var b strings.Builder
	rest := o.Path
	for _, v := range escaped {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 || j < i {
			break
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[j+1:]
	}
	b.WriteString(rest)
	return b.String()
}
