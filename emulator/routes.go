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

		// Delivery trackers (delivery_tracker.go) and authorization tokens
		// (authorization_token.go).
		{Op: "DeliveryTrackers", Method: "POST", Path: "/v2/deliveryTrackers", Handle: (*Server).deliveryTrackers},
		{Op: "GetAuthorizationToken", Method: "GET", Path: "/v2/authorizationTokens/{mwsAuthToken}", Handle: (*Server).getAuthorizationToken},

		// In-Store (in_store.go).
		{Op: "MerchantScan", Method: "POST", Path: "/v2/in-store/merchantScan", Handle: (*Server).merchantScan},
		{Op: "InStoreCharge", Method: "POST", Path: "/v2/in-store/charge", Handle: (*Server).inStoreCharge},
		{Op: "InStoreRefund", Method: "POST", Path: "/v2/in-store/refund", Handle: (*Server).inStoreRefund},

		// Reports, report documents and report schedules (report.go);
		// disbursements (disbursement.go).
		{Op: "GetReports", Method: "GET", Path: "/v2/reports", Handle: (*Server).getReports},
		{Op: "GetReportById", Method: "GET", Path: "/v2/reports/{reportId}", Handle: (*Server).getReportByID},
		{Op: "GetReportDocument", Method: "GET", Path: "/v2/report-documents/{reportDocumentId}", Handle: (*Server).getReportDocument},
		{Op: "GetReportSchedules", Method: "GET", Path: "/v2/report-schedules", Handle: (*Server).getReportSchedules},
		{Op: "GetReportScheduleById", Method: "GET", Path: "/v2/report-schedules/{reportScheduleId}", Handle: (*Server).getReportScheduleByID},
		{Op: "CreateReport", Method: "POST", Path: "/v2/reports", Handle: (*Server).createReport},
		{Op: "CreateReportSchedule", Method: "POST", Path: "/v2/report-schedules", Handle: (*Server).createReportSchedule},
		{Op: "CancelReportSchedule", Method: "DELETE", Path: "/v2/report-schedules/{reportScheduleId}", Handle: (*Server).cancelReportSchedule},
		{Op: "GetDisbursements", Method: "GET", Path: "/v2/disbursements", Handle: (*Server).getDisbursements},

		// Merchant accounts (merchant_account.go). Register and Create share
		// POST, the two updates share PATCH: the body tells them apart.
		{Op: "RegisterAmazonPayAccount", Method: "POST", Path: "/v2/merchantAccounts", Handle: (*Server).registerAmazonPayAccount, Match: isRegisterRequest},
		{Op: "CreateMerchantAccount", Method: "POST", Path: "/v2/merchantAccounts", Handle: (*Server).createMerchantAccount},
		{Op: "UpdateAmazonPayAccount", Method: "PATCH", Path: "/v2/merchantAccounts/{merchantAccountId}", Handle: (*Server).updateAccount, Match: isOnboardingUpdateBody},
		{Op: "UpdateMerchantAccount", Method: "PATCH", Path: "/v2/merchantAccounts/{merchantAccountId}", Handle: (*Server).updateAccount},
		{Op: "DeleteAmazonPayAccount", Method: "DELETE", Path: "/v2/merchantAccounts/{merchantAccountId}", Handle: (*Server).deleteAmazonPayAccount},
		{Op: "ClaimMerchantAccount", Method: "POST", Path: "/v2/merchantAccounts/{merchantAccountId}/claim", Handle: (*Server).claimMerchantAccount},

		// Disputes (dispute.go) and files (file.go).
		{Op: "CreateDispute", Method: "POST", Path: "/v2/disputes", Handle: (*Server).createDispute},
		{Op: "GetDispute", Method: "GET", Path: "/v2/disputes/{disputeId}", Handle: (*Server).getDispute},
		{Op: "UpdateDispute", Method: "PATCH", Path: "/v2/disputes/{disputeId}", Handle: (*Server).updateDispute},
		{Op: "ContestDispute", Method: "POST", Path: "/v2/disputes/{disputeId}/contest", Handle: (*Server).contestDispute},
		{Op: "UploadFile", Method: "POST", Path: "/v2/files", Handle: (*Server).uploadFile},
	}
}
