package emulator

// routes is the one route table: every Amazon Pay API operation the emulator
// answers, by the name amazonpay.Operations() gives it. Paths are ServeMux
// patterns under /v2; the pipeline also serves them under /live/v2 and
// /sandbox/v2 and with one trailing slash (.NET, Java). See api.go for how to
// add a resource.
func routes() []route {
	return []route{
		// Checkout sessions (checkout_session.go).
		{Op: "CreateCheckoutSession", Method: "POST", Path: "/v2/checkoutSessions", Handle: (*Server).createCheckoutSession},
		{Op: "GetCheckoutSession", Method: "GET", Path: "/v2/checkoutSessions/{checkoutSessionId}", Handle: (*Server).getCheckoutSession},
		{Op: "UpdateCheckoutSession", Method: "PATCH", Path: "/v2/checkoutSessions/{checkoutSessionId}", Handle: (*Server).updateCheckoutSession},
		{Op: "CompleteCheckoutSession", Method: "POST", Path: "/v2/checkoutSessions/{checkoutSessionId}/complete", Handle: (*Server).completeCheckoutSession},
		{Op: "FinalizeCheckoutSession", Method: "POST", Path: "/v2/checkoutSessions/{checkoutSessionId}/finalize", Handle: (*Server).finalizeCheckoutSession},

		// Charge permissions (charge_permission.go).
		{Op: "GetChargePermission", Method: "GET", Path: "/v2/chargePermissions/{chargePermissionId}", Handle: (*Server).getChargePermission},
		{Op: "UpdateChargePermission", Method: "PATCH", Path: "/v2/chargePermissions/{chargePermissionId}", Handle: (*Server).updateChargePermission},
		{Op: "CloseChargePermission", Method: "DELETE", Path: "/v2/chargePermissions/{chargePermissionId}/close", Handle: (*Server).closeChargePermission},

		// Charges (charge.go).
		{Op: "CreateCharge", Method: "POST", Path: "/v2/charges", Handle: (*Server).createCharge},
		{Op: "GetCharge", Method: "GET", Path: "/v2/charges/{chargeId}", Handle: (*Server).getCharge},
		{Op: "UpdateCharge", Method: "PATCH", Path: "/v2/charges/{chargeId}", Handle: (*Server).updateCharge},
		{Op: "CaptureCharge", Method: "POST", Path: "/v2/charges/{chargeId}/capture", Handle: (*Server).captureCharge},
		{Op: "CancelCharge", Method: "DELETE", Path: "/v2/charges/{chargeId}/cancel", Handle: (*Server).cancelCharge},

		// Refunds (refund.go).
		{Op: "CreateRefund", Method: "POST", Path: "/v2/refunds", Handle: (*Server).createRefund},
		{Op: "GetRefund", Method: "GET", Path: "/v2/refunds/{refundId}", Handle: (*Server).getRefund},

		// Buyers (buyer.go).
		{Op: "GetBuyer", Method: "GET", Path: "/v2/buyers/{buyerToken}", Handle: (*Server).getBuyer},

		// Secondary resources: delivery trackers, authorization tokens,
		// in-store, reports, report schedules, report documents,
		// disbursements, merchant accounts, disputes and files are added
		// below, one line per operation, by their own files.
	}
}
