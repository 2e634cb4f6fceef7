package emulator

import (
	"net/http"
	"strings"
	"time"
)

// Sandbox simulation (api-objects.md §13): simulated payment methods chosen
// by the buyer (by their last four digits) and the x-amz-pay-simulation-code
// header. Live calls ignore both: the header is dropped by the pipeline and
// live buyers' payment methods always succeed.

// pendingDelay is how long a simulated pending outcome takes (Amazon: 30 s).
const pendingDelay = 30 * time.Second

// paymentMethod is a simulated card.
type paymentMethod struct {
	brand   string
	outcome string // see the outcome constants
}

// Simulated outcomes of a payment method or simulation code.
const (
	outcomeSuccess         = "Success"
	outcomeBuyerCanceled   = "BuyerCanceled"
	outcomeDeclined        = "Declined"
	outcomeAmazonCanceled  = "AmazonCanceled"
	outcomePendingAuth     = "PendingAuthorized"   // AuthorizationInitiated → Authorized after 30 s
	outcomePendingDeclined = "PendingHardDeclined" // AuthorizationInitiated → Declined/HardDeclined after 30 s
)

// paymentMethods are the sandbox test cards.
var paymentMethods = map[string]paymentMethod{
	"1111": {"Visa", outcomeSuccess},
	"0005": {"American Express", outcomeSuccess},
	"4444": {"MasterCard", outcomeSuccess},
	"9424": {"Discover", outcomeSuccess},
	"0000": {"JCB", outcomeSuccess},
	"3064": {"Visa", outcomeBuyerCanceled},
	"3434": {"Visa", outcomeDeclined},
	"0701": {"Visa", outcomePendingAuth},
	"4354": {"Visa", outcomePendingDeclined},
}

// defaultPaymentMethod is chosen when the buyer step names none.
const defaultPaymentMethod = "1111"

// paymentDescriptor is what paymentPreferences shows for a card.
func paymentDescriptor(last4 string) string {
	pm, ok := paymentMethods[last4]
	if !ok {
		pm = paymentMethods[defaultPaymentMethod]
	}
	return pm.brand + " ****" + last4 + " (Amazon Pay)"
}

// simulationCodes lists the x-amz-pay-simulation-code values each operation
// accepts. Update/Complete codes are documented; the Create Charge
// "Pending…" variants, AuthorizationInitiated on Create Charge and the
// refund codes are the emulator's reading of "+ Pending… variants" and
// "every refund is asynchronous" (docs/emulator.md).
var simulationCodes = map[string][]string{
	"UpdateCheckoutSession":   {"BuyerCanceled", "Declined", "AmazonCanceled", "AuthorizationInitiated"},
	"CompleteCheckoutSession": {"BuyerCanceled", "Declined", "AmazonCanceled", "AuthorizationInitiated"},
	"FinalizeCheckoutSession": {"BuyerCanceled", "Declined", "AmazonCanceled", "AuthorizationInitiated"},
	"CreateCharge": {"SoftDeclined", "HardDeclined", "AmazonRejected", "TransactionTimedOut", "ProcessingFailure",
		"PaymentMethodNotAllowed", "MFANotCompleted", "AuthorizationInitiated",
		"PendingSoftDeclined", "PendingHardDeclined", "PendingAmazonRejected", "PendingTransactionTimedOut"},
	"CaptureCharge":         {"CaptureInitiated", "AmazonRejected", "ProcessingFailure"},
	"CloseChargePermission": {"AmazonClosed"},
	"CreateRefund":          {"AmazonRejected", "ProcessingFailure"},
}

// checkSimulationCode normalises a header value ("CheckoutSession:Declined"
// as the SFCC cartridge sends it becomes "Declined") and checks that op
// accepts it; anything else is 400 InvalidSandboxSimulationSpecified.
func checkSimulationCode(op, code string) (string, *apiError) {
	norm := code
	if _, after, found := strings.Cut(code, ":"); found {
		norm = after
	}
	norm = strings.TrimSpace(norm)
	for _, c := range simulationCodes[op] {
		if c == norm {
			return norm, nil
		}
	}
	return "", errorf(http.StatusBadRequest, codeInvalidSandboxSimulation, "The simulation code '%s' is not valid for %s.", truncate(code, 64), op)
}

// sessionOutcome decides what happens when the buyer reaches
// amazonPayRedirectUrl: a simulation code (from Update or the buyer step)
// overrides the payment method.
func sessionOutcome(code, last4 string) string {
	switch code {
	case "BuyerCanceled":
		return outcomeBuyerCanceled
	case "Declined":
		return outcomeDeclined
	case "AmazonCanceled":
		return outcomeAmazonCanceled
	case "AuthorizationInitiated":
		return outcomePendingAuth
	}
	if pm, ok := paymentMethods[last4]; ok {
		return pm.outcome
	}
	return outcomeSuccess
}
