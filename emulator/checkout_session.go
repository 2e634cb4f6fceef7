package emulator

import (
	"net/http"
	"time"
)

// Checkout session states and reason codes (api-objects.md §9.1).
const (
	csOpen      = "Open"
	csCompleted = "Completed"
	csCanceled  = "Canceled"
)

// checkoutSessionLifetime: an Open session is canceled (Expired) 24 h after
// creation.
const checkoutSessionLifetime = 24 * time.Hour

// Reason descriptions Amazon uses for canceled sessions.
var csReasonText = map[string]string{
	"BuyerCanceled":  "The buyer canceled the checkout by clicking the Return to previous page button.",
	"Expired":        "The Checkout Session expired 24 hour after creation because there was no redirect to the amazonPayRedirectUrl, buyer did not complete payment, or the checkout was not confirmed with Complete Checkout Session.",
	"AmazonCanceled": "Amazon has canceled the transaction due to service unavailability. This is not a payment associated cancelation.",
	"Declined":       "Generic payment decline reason code that includes fraud declines, failure to complete multi-factor authentication (MFA) challenge, and issues with the payment instrument.",
}

// Constraint texts (api-objects.md §2.3), in Amazon's order.
var constraintText = []struct{ id, text string }{
	{"BuyerNotAssociated", "There is no buyer associated with the Checkout Session. Return the checkout session id to the Amazon Pay Button to allow buyer to login."},
	{"ChargeAmountNotSet", "chargeAmount is not set."},
	{"CheckoutResultReturnUrlNotSet", "checkoutResultReturnUrl is not set."},
	{"PaymentIntentNotSet", "paymentIntent is not set."},
	{"RecurringFrequencyNotSet", "recurringMetadata.frequency is not set."},
}

// CheckoutSession is a stored checkout session.
type CheckoutSession struct {
	Owner
	ID      string `json:"id"`
	StoreID string `json:"storeId"`

	ReviewReturnURL string `json:"reviewReturnUrl"`
	ResultReturnURL string `json:"resultReturnUrl"`
	CancelURL       string `json:"cancelUrl"`
	CheckoutMode    string `json:"checkoutMode"`

	ProductType          string `json:"productType"`
	PaymentIntent        string `json:"paymentIntent"`
	CanHandlePending     bool   `json:"canHandlePending"`
	ChargeAmount         *money `json:"chargeAmount"`
	TotalOrderAmount     *money `json:"totalOrderAmount"`
	PresentmentCurrency  string `json:"presentmentCurrency"`
	SoftDescriptor       string `json:"softDescriptor"`
	AllowOvercharge      *bool  `json:"allowOvercharge"`
	ExtendExpiration     *bool  `json:"extendExpiration"`
	ChargePermissionType string `json:"chargePermissionType"`
	SetupOnly            *bool  `json:"setupOnly"`

	Recurring         *RecurringMetadata      `json:"recurring"`
	Merchant          *MerchantMetadata       `json:"merchant"`
	PlatformID        string                  `json:"platformId"`
	ProviderRefID     string                  `json:"providerRefId"`
	SupplementaryData string                  `json:"supplementaryData"`
	Scopes            []string                `json:"scopes"`
	Delivery          *DeliverySpecifications `json:"delivery"`
	AddressDetails    *Address                `json:"addressDetails"`

	// Buyer step (sign-in and selection on the hosted pages).
	Buyer           *BuyerInfo `json:"buyer"`
	ShippingAddress *Address   `json:"shippingAddress"`
	BillingAddress  *Address   `json:"billingAddress"`
	PaymentMethod   string     `json:"paymentMethod"` // last four digits
	// SimulationCode comes from Update's header or the buyer step.
	SimulationCode string `json:"simulationCode"`

	// Redirected is set once the buyer reached amazonPayRedirectUrl
	// (Confirm); Update is refused from then on, Complete allowed.
	Redirected bool   `json:"redirected"`
	Outcome    string `json:"outcome"` // the authorization outcome decided at Confirm

	Status             Status    `json:"status"`
	Created            time.Time `json:"created"`
	Expires            time.Time `json:"expires"`
	ChargePermissionID string    `json:"chargePermissionId"`
	ChargeID           string    `json:"chargeId"`
}

// BuyerInfo is the buyer embedded in a session or charge permission.
type BuyerInfo struct {
	BuyerID     string `json:"buyerId"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phoneNumber"`
}

type buyerWire struct {
	BuyerID              string  `json:"buyerId"`
	Name                 *string `json:"name"`
	Email                *string `json:"email"`
	PhoneNumber          *string `json:"phoneNumber"`
	PrimeMembershipTypes any     `json:"primeMembershipTypes"`
}

func (b *BuyerInfo) wire() *buyerWire {
	if b == nil {
		return nil
	}
	return &buyerWire{BuyerID: b.BuyerID, Name: strp(b.Name), Email: strp(b.Email), PhoneNumber: strp(b.PhoneNumber)}
}

// constraints lists what still blocks amazonPayRedirectUrl.
func (cs *CheckoutSession) constraints() []constraintWire {
	out := []constraintWire{}
	add := func(i int) { out = append(out, constraintWire{constraintText[i].id, constraintText[i].text}) }
	if cs.Buyer == nil {
		add(0)
	}
	if cs.ChargeAmount == nil {
		add(1)
	}
	if cs.ResultReturnURL == "" {
		add(2)
	}
	if cs.PaymentIntent == "" {
		add(3)
	}
	if cs.ChargePermissionType == "Recurring" && (cs.Recurring == nil || cs.Recurring.Unit == "") {
		add(4)
	}
	return out
}

type constraintWire struct {
	ConstraintID string `json:"constraintId"`
	Description  string `json:"description"`
}

// --- pure transitions -------------------------------------------------------

// expire moves an Open session past its expiry to Canceled/Expired. It
// reports whether it changed anything.
func (cs *CheckoutSession) expire(at time.Time) bool {
	if cs.Status.State != csOpen || at.Before(cs.Expires) {
		return false
	}
	cs.cancel("Expired", cs.Expires)
	return true
}

func (cs *CheckoutSession) cancel(reason string, at time.Time) {
	cs.Status = Status{State: csCanceled, ReasonCode: reason, ReasonDescription: csReasonText[reason], Updated: at}
}

// canUpdate: Open, the buyer has signed in, and not yet redirected to
// amazonPayRedirectUrl.
func (cs *CheckoutSession) canUpdate() *apiError {
	if cs.Status.State != csOpen {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The Checkout Session is in %s state; it can no longer be updated.", cs.Status.State)
	}
	if cs.Buyer == nil {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "There is no buyer associated with the Checkout Session; the buyer must sign in before it can be updated.")
	}
	if cs.Redirected {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The buyer was already redirected to amazonPayRedirectUrl; the Checkout Session can no longer be updated.")
	}
	return nil
}

// signIn records the buyer step: buyer, addresses, payment method. Allowed
// while Open and not yet redirected (the buyer may change address or
// payment through bindChangeAction).
func (cs *CheckoutSession) signIn(b BuyerInfo, shipping, billing *Address, last4, simCode string, at time.Time) *apiError {
	if cs.Status.State != csOpen {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The Checkout Session is in %s state.", cs.Status.State)
	}
	if cs.Redirected {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The buyer was already redirected to amazonPayRedirectUrl.")
	}
	if cs.Env == Sandbox && last4 != "" {
		if _, ok := paymentMethods[last4]; !ok {
			return errInvalidValue("paymentMethod", last4)
		}
	}
	if last4 == "" {
		last4 = defaultPaymentMethod
	}
	cs.Buyer = &b
	if cs.ProductType == "" {
		cs.ProductType = "PayAndShip"
	}
	if cs.ProductType != "PayOnly" {
		cs.ShippingAddress = shipping
	}
	cs.BillingAddress = billing
	cs.PaymentMethod = last4
	if simCode != "" {
		cs.SimulationCode = simCode
	}
	cs.Status.Updated = at
	return nil
}

// confirm is the buyer reaching amazonPayRedirectUrl: cancel, or decide the
// authorization outcome (applied at Complete). Declines and buyer
// cancellations cancel the session at once, as Amazon does before
// redirecting to checkoutResultReturnUrl.
func (cs *CheckoutSession) confirm(cancel bool, at time.Time) *apiError {
	if cs.Status.State != csOpen {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The Checkout Session is in %s state.", cs.Status.State)
	}
	if len(cs.constraints()) > 0 {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The Checkout Session has open constraints (%s); amazonPayRedirectUrl is not available yet.", cs.constraints()[0].ConstraintID)
	}
	if cs.Redirected {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The buyer was already redirected to amazonPayRedirectUrl.")
	}
	cs.Redirected = true
	if cancel {
		cs.cancel("BuyerCanceled", at)
		return nil
	}
	cs.decide(at)
	return nil
}

// decide applies the authorization outcome of the buyer's payment method or
// simulation code: a decline or cancellation cancels the session now, a
// success or pending outcome is kept for Complete (or Finalize).
func (cs *CheckoutSession) decide(at time.Time) {
	cs.Redirected = true
	outcome := outcomeSuccess
	if cs.Env == Sandbox {
		outcome = sessionOutcome(cs.SimulationCode, cs.PaymentMethod)
	}
	switch outcome {
	case outcomeBuyerCanceled:
		cs.cancel("BuyerCanceled", at)
	case outcomeDeclined:
		cs.cancel("Declined", at)
	case outcomeAmazonCanceled:
		cs.cancel("AmazonCanceled", at)
	case outcomePendingAuth, outcomePendingDeclined:
		switch {
		case cs.PaymentIntent == "Confirm":
			outcome = outcomeSuccess
		case cs.PaymentIntent != "Authorize" || !cs.CanHandlePending:
			cs.cancel("Declined", at)
			cs.Status.ReasonDescription = "The simulated payment method needs paymentIntent Authorize and canHandlePendingAuthorization true."
		}
	}
	cs.Outcome = outcome
	cs.Status.Updated = at
}

// canComplete checks Complete's preconditions and amounts: Open, buyer
// returned from amazonPayRedirectUrl, chargeAmount (and totalOrderAmount if
// set) equal to the session's.
func (cs *CheckoutSession) canComplete(charge, total *money) *apiError {
	switch cs.Status.State {
	case csCanceled:
		return errorf(http.StatusUnprocessableEntity, codeCheckoutSessionCanceled, "The Checkout Session was canceled (%s). Start a new checkout.", cs.Status.ReasonCode)
	case csCompleted:
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The Checkout Session is already Completed.")
	}
	if !cs.Redirected {
		return errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The buyer has not been redirected to amazonPayRedirectUrl yet; the Checkout Session cannot be completed.")
	}
	return cs.checkAmounts(charge, total)
}

func (cs *CheckoutSession) checkAmounts(charge, total *money) *apiError {
	if charge == nil {
		return errMissing("chargeAmount")
	}
	want := cs.ChargeAmount
	if want == nil {
		want = &money{Currency: charge.Currency}
	}
	if charge.Currency != want.Currency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch, "The currency %s does not match the Checkout Session's chargeAmount currency %s.", charge.Currency, want.Currency)
	}
	if charge.Minor != want.Minor {
		return errorf(http.StatusConflict, codeAmountMismatch, "The chargeAmount %s %s does not match the Checkout Session's chargeAmount %s %s.",
			charge.wire().Amount, charge.Currency, want.wire().Amount, want.Currency)
	}
	if cs.TotalOrderAmount != nil {
		if total == nil {
			return errMissing("totalOrderAmount")
		}
		if *total != *cs.TotalOrderAmount {
			return errorf(http.StatusConflict, codeAmountMismatch, "The totalOrderAmount does not match the Checkout Session's totalOrderAmount.")
		}
	}
	return nil
}

// nextDeadline is when the session changes on its own.
func (cs *CheckoutSession) nextDeadline() (time.Time, bool) {
	if cs.Status.State == csOpen {
		return cs.Expires, true
	}
	return time.Time{}, false
}

// settleCheckoutSession applies the 24 h expiry.
func (s *Server) settleCheckoutSession(cs *CheckoutSession, at time.Time) {
	cs.expire(at)
}

// redirectURL is amazonPayRedirectUrl: the emulator's own processing page,
// once the constraints are clear.
func (cs *CheckoutSession) redirectURL(base string) *string {
	if cs.Status.State != csOpen || len(cs.constraints()) > 0 || cs.Redirected {
		return nil
	}
	u := base + "/checkout/processing?amazonCheckoutSessionId=" + cs.ID
	return &u
}

// --- wire ------------------------------------------------------------------

type webCheckoutDetailsWire struct {
	CheckoutReviewReturnURL *string `json:"checkoutReviewReturnUrl"`
	CheckoutResultReturnURL *string `json:"checkoutResultReturnUrl"`
	CheckoutCancelURL       *string `json:"checkoutCancelUrl"`
	AmazonPayRedirectURL    *string `json:"amazonPayRedirectUrl"`
	CheckoutMode            *string `json:"checkoutMode"`
}

type paymentDetailsWire struct {
	PaymentIntent                 *string    `json:"paymentIntent"`
	CanHandlePendingAuthorization bool       `json:"canHandlePendingAuthorization"`
	ChargeAmount                  *priceWire `json:"chargeAmount"`
	TotalOrderAmount              *priceWire `json:"totalOrderAmount"`
	SoftDescriptor                *string    `json:"softDescriptor"`
	PresentmentCurrency           *string    `json:"presentmentCurrency"`
	AllowOvercharge               *bool      `json:"allowOvercharge"`
	ExtendExpiration              *bool      `json:"extendExpiration"`
}

type setupOnlyWire struct {
	SetupOnly bool `json:"setupOnly"`
}

type checkoutSessionWire struct {
	CheckoutSessionID              string                  `json:"checkoutSessionId"`
	WebCheckoutDetails             *webCheckoutDetailsWire `json:"webCheckoutDetails"`
	ProductType                    *string                 `json:"productType"`
	PaymentDetails                 *paymentDetailsWire     `json:"paymentDetails"`
	ChargePermissionType           *string                 `json:"chargePermissionType"`
	RecurringMetadata              *recurringMetadataWire  `json:"recurringMetadata"`
	MerchantMetadata               *merchantMetadataWire   `json:"merchantMetadata"`
	SupplementaryData              *string                 `json:"supplementaryData"`
	Buyer                          *buyerWire              `json:"buyer"`
	BillingAddress                 *addressWire            `json:"billingAddress"`
	PaymentPreferences             []paymentPreferenceWire `json:"paymentPreferences"`
	StatusDetails                  statusDetailsWire       `json:"statusDetails"`
	ShippingAddress                *addressWire            `json:"shippingAddress"`
	ShippingAddressList            []string                `json:"shippingAddressList"`
	MultiAddressesCheckoutMetadata any                     `json:"multiAddressesCheckoutMetadata"`
	PlatformID                     *string                 `json:"platformId"`
	ChargePermissionID             *string                 `json:"chargePermissionId"`
	ChargeID                       *string                 `json:"chargeId"`
	Constraints                    []constraintWire        `json:"constraints"`
	CreationTimestamp              *string                 `json:"creationTimestamp"`
	ExpirationTimestamp            *string                 `json:"expirationTimestamp"`
	StoreID                        *string                 `json:"storeId"`
	ProviderMetadata               *providerMetadataWire   `json:"providerMetadata"`
	ReleaseEnvironment             *string                 `json:"releaseEnvironment"`
	CheckoutButtonText             *string                 `json:"checkoutButtonText"`
	DeliverySpecifications         *DeliverySpecifications `json:"deliverySpecifications"`
	PaymentMethodOnFileMetadata    *setupOnlyWire          `json:"paymentMethodOnFileMetadata"`
}

// wire renders the session as Get/Create/Update return it. An Open session
// shows everything; a Completed or Canceled one shows only its state, ids
// and timestamps, as Amazon does (buyer data moves to the charge
// permission).
func (cs *CheckoutSession) wire(base string) checkoutSessionWire {
	w := checkoutSessionWire{
		CheckoutSessionID:  cs.ID,
		StatusDetails:      cs.Status.wire(),
		ChargePermissionID: strp(cs.ChargePermissionID),
		ChargeID:           strp(cs.ChargeID),
		CreationTimestamp:  wireTime(cs.Created),
	}
	if cs.Status.State != csOpen {
		return w
	}
	env := string(cs.Env)
	w.ReleaseEnvironment = &env
	w.ExpirationTimestamp = wireTime(cs.Expires)
	w.StoreID = strp(cs.StoreID)
	w.WebCheckoutDetails = &webCheckoutDetailsWire{
		CheckoutReviewReturnURL: strp(cs.ReviewReturnURL),
		CheckoutResultReturnURL: strp(cs.ResultReturnURL),
		CheckoutCancelURL:       strp(cs.CancelURL),
		AmazonPayRedirectURL:    cs.redirectURL(base),
		CheckoutMode:            strp(cs.CheckoutMode),
	}
	w.ProductType = strp(cs.ProductType)
	w.PaymentDetails = &paymentDetailsWire{
		PaymentIntent:                 strp(cs.PaymentIntent),
		CanHandlePendingAuthorization: cs.CanHandlePending,
		ChargeAmount:                  pricePtr(cs.ChargeAmount),
		TotalOrderAmount:              pricePtr(cs.TotalOrderAmount),
		SoftDescriptor:                strp(cs.SoftDescriptor),
		PresentmentCurrency:           strp(cs.presentmentCurrency()),
		AllowOvercharge:               cs.AllowOvercharge,
		ExtendExpiration:              cs.ExtendExpiration,
	}
	w.ChargePermissionType = strp(cs.ChargePermissionType)
	w.RecurringMetadata = cs.Recurring.wire()
	w.MerchantMetadata = cs.Merchant.wire()
	w.SupplementaryData = strp(cs.SupplementaryData)
	w.Buyer = cs.sharedBuyer().wire() // scopes (hosted.go)
	w.BillingAddress = cs.sharedBillingAddress().wire()
	w.ShippingAddress = cs.ShippingAddress.wire()
	if cs.Buyer != nil {
		w.PaymentPreferences = []paymentPreferenceWire{{PaymentDescriptor: strp(paymentDescriptor(cs.PaymentMethod))}}
	}
	if cs.ProductType == "PayAndShipMultiAddress" && cs.ShippingAddress != nil {
		a := *cs.ShippingAddress
		a.AddressID = "A1" + cs.ID[:8]
		w.ShippingAddressList = []string{jsonString(a)}
	}
	w.PlatformID = strp(cs.PlatformID)
	w.Constraints = cs.constraints()
	w.ProviderMetadata = &providerMetadataWire{ProviderReferenceID: strp(cs.ProviderRefID)}
	w.DeliverySpecifications = cs.Delivery
	if cs.SetupOnly != nil {
		w.PaymentMethodOnFileMetadata = &setupOnlyWire{SetupOnly: *cs.SetupOnly}
	}
	return w
}

// presentmentCurrency defaults to the charge amount's currency.
func (cs *CheckoutSession) presentmentCurrency() string {
	if cs.PresentmentCurrency != "" {
		return cs.PresentmentCurrency
	}
	if cs.ChargeAmount != nil {
		return cs.ChargeAmount.Currency
	}
	return ""
}

// --- requests --------------------------------------------------------------

type webCheckoutDetailsIn struct {
	CheckoutReviewReturnURL *string `json:"checkoutReviewReturnUrl"`
	CheckoutResultReturnURL *string `json:"checkoutResultReturnUrl"`
	CheckoutCancelURL       *string `json:"checkoutCancelUrl"`
	CheckoutMode            *string `json:"checkoutMode"`
}

type paymentDetailsIn struct {
	PaymentIntent                 *string   `json:"paymentIntent"`
	CanHandlePendingAuthorization *flexBool `json:"canHandlePendingAuthorization"`
	ChargeAmount                  *priceIn  `json:"chargeAmount"`
	TotalOrderAmount              *priceIn  `json:"totalOrderAmount"`
	SoftDescriptor                *string   `json:"softDescriptor"`
	PresentmentCurrency           *string   `json:"presentmentCurrency"`
	AllowOvercharge               *flexBool `json:"allowOvercharge"`
	ExtendExpiration              *flexBool `json:"extendExpiration"`
}

type checkoutSessionIn struct {
	WebCheckoutDetails          *webCheckoutDetailsIn   `json:"webCheckoutDetails"`
	StoreID                     *string                 `json:"storeId"`
	Scopes                      []string                `json:"scopes"`
	ChargePermissionType        *string                 `json:"chargePermissionType"`
	RecurringMetadata           *recurringMetadataIn    `json:"recurringMetadata"`
	PaymentDetails              *paymentDetailsIn       `json:"paymentDetails"`
	MerchantMetadata            *merchantMetadataIn     `json:"merchantMetadata"`
	PlatformID                  *string                 `json:"platformId"`
	ProviderMetadata            *providerMetadataIn     `json:"providerMetadata"`
	DeliverySpecifications      *DeliverySpecifications `json:"deliverySpecifications"`
	AddressDetails              *postalAddressIn        `json:"addressDetails"`
	PaymentMethodOnFileMetadata *struct {
		SetupOnly *flexBool `json:"setupOnly"`
	} `json:"paymentMethodOnFileMetadata"`
	SupplementaryData *string `json:"supplementaryData"`
}

var (
	paymentIntents        = map[string]bool{"Confirm": true, "Authorize": true, "AuthorizeWithCapture": true}
	chargePermissionTypes = map[string]bool{"OneTime": true, "Recurring": true, "PaymentMethodOnFile": true}
	checkoutScopes        = map[string]bool{"name": true, "email": true, "phoneNumber": true, "billingAddress": true, "postalCode": true, "shippingAddress": true, "primeStatus": true}
)

// apply validates in and writes it onto a copy of cs, returning the copy:
// the caller stores it only if everything was valid. create allows the
// create-only fields.
func (in *checkoutSessionIn) apply(cs CheckoutSession, create bool) (CheckoutSession, *apiError) {
	if !create {
		switch {
		case in.StoreID != nil:
			return cs, errUnknownField("storeId")
		case in.Scopes != nil:
			return cs, errUnknownField("scopes")
		case in.DeliverySpecifications != nil:
			return cs, errUnknownField("deliverySpecifications")
		case in.AddressDetails != nil:
			return cs, errUnknownField("addressDetails")
		case in.WebCheckoutDetails != nil && in.WebCheckoutDetails.CheckoutMode != nil:
			return cs, errUnknownField("webCheckoutDetails.checkoutMode")
		case in.PaymentDetails != nil && in.PaymentDetails.PresentmentCurrency != nil:
			return cs, errorf(http.StatusBadRequest, codeInvalidParameterValue, "The field 'paymentDetails.presentmentCurrency' can only be set when the Checkout Session is created.")
		}
	} else if in.SupplementaryData != nil {
		return cs, errUnknownField("supplementaryData")
	}
	if create {
		if in.StoreID == nil || *in.StoreID == "" {
			return cs, errMissing("storeId")
		}
		if len(*in.StoreID) > 256 {
			return cs, errInvalidValue("storeId", truncate(*in.StoreID, 32))
		}
		cs.StoreID = *in.StoreID
		for _, sc := range in.Scopes {
			if !checkoutScopes[sc] {
				return cs, errInvalidValue("scopes", truncate(sc, 32))
			}
		}
		cs.Scopes = in.Scopes
		if err := in.DeliverySpecifications.validate(); err != nil {
			return cs, err
		}
		cs.Delivery = in.DeliverySpecifications
	}
	if w := in.WebCheckoutDetails; w != nil {
		for _, u := range []struct {
			name string
			v    *string
			dst  *string
		}{
			{"webCheckoutDetails.checkoutReviewReturnUrl", w.CheckoutReviewReturnURL, &cs.ReviewReturnURL},
			{"webCheckoutDetails.checkoutResultReturnUrl", w.CheckoutResultReturnURL, &cs.ResultReturnURL},
			{"webCheckoutDetails.checkoutCancelUrl", w.CheckoutCancelURL, &cs.CancelURL},
		} {
			if u.v == nil {
				continue
			}
			if err := checkURL(u.name, *u.v); err != nil {
				return cs, err
			}
			*u.dst = *u.v
		}
		if w.CheckoutMode != nil {
			if *w.CheckoutMode != "ProcessOrder" {
				return cs, errInvalidValue("webCheckoutDetails.checkoutMode", truncate(*w.CheckoutMode, 32))
			}
			cs.CheckoutMode = *w.CheckoutMode
		}
	}
	if in.ChargePermissionType != nil {
		if !chargePermissionTypes[*in.ChargePermissionType] {
			return cs, errInvalidValue("chargePermissionType", truncate(*in.ChargePermissionType, 32))
		}
		if !create && *in.ChargePermissionType != cs.ChargePermissionType {
			return cs, errorf(http.StatusBadRequest, codeInvalidParameterValue, "The field 'chargePermissionType' can only be set when the Checkout Session is created.")
		}
		cs.ChargePermissionType = *in.ChargePermissionType
	}
	if in.RecurringMetadata != nil {
		rm, err := in.RecurringMetadata.parse()
		if err != nil {
			return cs, err
		}
		cs.Recurring = rm
	}
	if p := in.PaymentDetails; p != nil {
		if err := p.apply(&cs); err != nil {
			return cs, err
		}
	}
	mm, err := in.MerchantMetadata.apply(cs.Merchant)
	if err != nil {
		return cs, err
	}
	cs.Merchant = mm
	if in.PlatformID != nil {
		cs.PlatformID = *in.PlatformID
	}
	if in.ProviderMetadata != nil && in.ProviderMetadata.ProviderReferenceID != nil {
		cs.ProviderRefID = *in.ProviderMetadata.ProviderReferenceID
	}
	if in.SupplementaryData != nil {
		cs.SupplementaryData = *in.SupplementaryData
	}
	if in.AddressDetails != nil {
		a, err := in.AddressDetails.address("addressDetails")
		if err != nil {
			return cs, err
		}
		cs.AddressDetails = a
	}
	if in.PaymentMethodOnFileMetadata != nil && in.PaymentMethodOnFileMetadata.SetupOnly != nil {
		v := bool(*in.PaymentMethodOnFileMetadata.SetupOnly)
		cs.SetupOnly = &v
	}
	return cs, cs.validate(create)
}

func (p *paymentDetailsIn) apply(cs *CheckoutSession) *apiError {
	if p.PaymentIntent != nil {
		if !paymentIntents[*p.PaymentIntent] {
			return errInvalidValue("paymentDetails.paymentIntent", truncate(*p.PaymentIntent, 32))
		}
		cs.PaymentIntent = *p.PaymentIntent
	}
	if p.CanHandlePendingAuthorization != nil {
		cs.CanHandlePending = bool(*p.CanHandlePendingAuthorization)
	}
	if p.ChargeAmount != nil {
		m, err := p.ChargeAmount.parse("paymentDetails.chargeAmount")
		if err != nil {
			return err
		}
		cs.ChargeAmount = &m
	}
	if p.TotalOrderAmount != nil {
		m, err := p.TotalOrderAmount.parse("paymentDetails.totalOrderAmount")
		if err != nil {
			return err
		}
		cs.TotalOrderAmount = &m
	}
	if err := checkSoftDescriptor("paymentDetails.softDescriptor", p.SoftDescriptor); err != nil {
		return err
	}
	if p.SoftDescriptor != nil {
		cs.SoftDescriptor = *p.SoftDescriptor
	}
	if p.PresentmentCurrency != nil {
		if _, ok := currencies[*p.PresentmentCurrency]; !ok {
			return errInvalidValue("paymentDetails.presentmentCurrency", truncate(*p.PresentmentCurrency, 16))
		}
		cs.PresentmentCurrency = *p.PresentmentCurrency
	}
	if p.AllowOvercharge != nil {
		v := bool(*p.AllowOvercharge)
		cs.AllowOvercharge = &v
	}
	if p.ExtendExpiration != nil {
		v := bool(*p.ExtendExpiration)
		cs.ExtendExpiration = &v
	}
	return nil
}

// validate checks the combination rules after a create or update.
func (cs *CheckoutSession) validate(create bool) *apiError {
	if create && cs.ReviewReturnURL == "" && cs.CheckoutMode == "" {
		return errMissing("webCheckoutDetails.checkoutReviewReturnUrl")
	}
	if cs.CheckoutMode == "ProcessOrder" {
		if cs.ResultReturnURL == "" {
			return errMissing("webCheckoutDetails.checkoutResultReturnUrl")
		}
		if cs.PaymentIntent == "" || cs.ChargeAmount == nil {
			return errMissing("paymentDetails")
		}
	}
	if cs.PaymentIntent == "AuthorizeWithCapture" && cs.CanHandlePending {
		return errorf(http.StatusBadRequest, codeInvalidParameterCombination, "canHandlePendingAuthorization cannot be true with paymentIntent AuthorizeWithCapture.")
	}
	if cs.SoftDescriptor != "" && cs.PaymentIntent != "" && cs.PaymentIntent != "AuthorizeWithCapture" {
		return errorf(http.StatusBadRequest, codeInvalidParameterCombination, "softDescriptor can only be set with paymentIntent AuthorizeWithCapture.")
	}
	if cs.ChargeAmount != nil && cs.TotalOrderAmount != nil && cs.ChargeAmount.Currency != cs.TotalOrderAmount.Currency {
		return errorf(http.StatusBadRequest, codeCurrencyMismatch, "chargeAmount and totalOrderAmount must use one currency.")
	}
	if cs.ChargeAmount != nil && cs.TotalOrderAmount != nil && cs.ChargeAmount.Minor > cs.TotalOrderAmount.Minor {
		return errorf(http.StatusBadRequest, codeInvalidParameterCombination, "chargeAmount cannot exceed totalOrderAmount.")
	}
	if cs.ChargeAmount != nil && cs.PaymentIntent != "Confirm" && cs.PaymentIntent != "" && cs.ChargeAmount.Minor == 0 {
		return errInvalidValue("paymentDetails.chargeAmount.Amount", "0")
	}
	if cs.ChargePermissionType == "Recurring" && cs.ChargeAmount != nil {
		if lim := recurringLimit(cs.ChargeAmount.Currency); cs.ChargeAmount.Minor > lim {
			return errorf(http.StatusBadRequest, codeTransactionAmountExceeded, "The chargeAmount exceeds the monthly limit of %s %s for a Recurring Charge Permission.", formatMinor(lim, currencies[cs.ChargeAmount.Currency].exp), cs.ChargeAmount.Currency)
		}
	}
	return nil
}

// --- handlers ----------------------------------------------------------------

func (s *Server) createCheckoutSession(r *request) response {
	var in checkoutSessionIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	base := CheckoutSession{Owner: r.Owner, ChargePermissionType: "OneTime", Created: r.Now, Expires: r.Now.Add(checkoutSessionLifetime),
		Status: Status{State: csOpen, Updated: r.Now}}
	cs, err := in.apply(base, true)
	if err != nil {
		return fail(err)
	}
	for {
		cs.ID = newUUID()
		if _, taken := s.st.CheckoutSessions[cs.ID]; !taken {
			break
		}
	}
	s.st.CheckoutSessions[cs.ID] = &cs
	s.schedule(cs.Expires, timerCheckoutSession, cs.ID)
	return ok(http.StatusCreated, cs.wire(r.BaseURL))
}

func (s *Server) getCheckoutSession(r *request) response {
	cs, err := find(s.st.CheckoutSessions, "Checkout Session", r.PathValue("checkoutSessionId"), r)
	if err != nil {
		return fail(err)
	}
	return ok(http.StatusOK, cs.wire(r.BaseURL))
}

func (s *Server) updateCheckoutSession(r *request) response {
	cs, err := find(s.st.CheckoutSessions, "Checkout Session", r.PathValue("checkoutSessionId"), r)
	if err != nil {
		return fail(err)
	}
	var in checkoutSessionIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	if err := cs.canUpdate(); err != nil {
		return fail(err)
	}
	next, err := in.apply(*cs, false)
	if err != nil {
		return fail(err)
	}
	if r.SimulationCode != "" {
		next.SimulationCode = r.SimulationCode
	}
	next.Status.Updated = r.Now
	*cs = next
	return ok(http.StatusOK, cs.wire(r.BaseURL))
}

type completeIn struct {
	ChargeAmount     *priceIn `json:"chargeAmount"`
	TotalOrderAmount *priceIn `json:"totalOrderAmount"`
}

func (s *Server) completeCheckoutSession(r *request) response {
	cs, err := find(s.st.CheckoutSessions, "Checkout Session", r.PathValue("checkoutSessionId"), r)
	if err != nil {
		return fail(err)
	}
	var in completeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	charge, total, err := parseCompleteAmounts(in.ChargeAmount, in.TotalOrderAmount)
	if err != nil {
		return fail(err)
	}
	if err := cs.canComplete(charge, total); err != nil {
		return fail(err)
	}
	outcome := cs.Outcome
	switch r.SimulationCode {
	case "BuyerCanceled", "Declined", "AmazonCanceled":
		cs.cancel(r.SimulationCode, r.Now)
		r.changed = true
		return fail(errorf(http.StatusUnprocessableEntity, codeCheckoutSessionCanceled, "The Checkout Session was canceled (%s). Start a new checkout.", r.SimulationCode))
	case "AuthorizationInitiated":
		if cs.PaymentIntent != "Authorize" {
			return fail(errorf(http.StatusBadRequest, codeInvalidSandboxSimulation, "The simulation code AuthorizationInitiated needs paymentIntent Authorize."))
		}
		outcome = outcomePendingAuth
	}
	return s.finishCheckout(r, cs, outcome)
}

func parseCompleteAmounts(chargeIn, totalIn *priceIn) (*money, *money, *apiError) {
	if chargeIn == nil {
		return nil, nil, errMissing("chargeAmount")
	}
	c, err := chargeIn.parse("chargeAmount")
	if err != nil {
		return nil, nil, err
	}
	var total *money
	if totalIn != nil {
		t, err := totalIn.parse("totalOrderAmount")
		if err != nil {
			return nil, nil, err
		}
		total = &t
	}
	return &c, total, nil
}

// finishCheckout completes a session whose checks passed: it creates the
// charge permission and, per paymentIntent, the charge, and answers 200, or
// 202 when the authorization is pending.
func (s *Server) finishCheckout(r *request, cs *CheckoutSession, outcome string) response {
	cp := s.newChargePermission(r.Owner, cs, r.Now)
	s.addChargePermission(cp)
	status := http.StatusOK
	if cs.PaymentIntent == "Authorize" || cs.PaymentIntent == "AuthorizeWithCapture" {
		amount := *cs.ChargeAmount
		ch := s.newCharge(cp, amount, r.Now)
		ch.SoftDescriptor = cs.SoftDescriptor
		ch.CanHandlePending = cs.CanHandlePending
		ch.CaptureNow = cs.PaymentIntent == "AuthorizeWithCapture"
		ch.ChargeInitiator = "CITU"
		ch.Channel = "Web"
		if cs.Merchant != nil {
			m := *cs.Merchant
			ch.Merchant = &m
		}
		switch outcome {
		case outcomePendingAuth:
			ch.startPending(outcomeSuccess, "", r.Now)
			status = http.StatusAccepted
		case outcomePendingDeclined:
			ch.startPending(outcomeDeclined, codeHardDeclined, r.Now)
			status = http.StatusAccepted
		default:
			ch.authorize(r.Now)
			if ch.CaptureNow {
				ch.capture(amount, r.Now)
			}
		}
		s.addCharge(ch)
		cp.applyCharge(ch, r.Now)
		if cp.refresh(s.chargesOf(cp), r.Now) {
			s.notify(cp.Owner, "CHARGE_PERMISSION", cp.ID, cp.ID, cp.Status.State, r.Now)
		}
		cs.ChargeID = ch.ID
	}
	cs.ChargePermissionID = cp.ID
	cs.Status = Status{State: csCompleted, Updated: r.Now}
	return ok(status, cs.wire(r.BaseURL))
}

type finalizeIn struct {
	PaymentIntent                 *string          `json:"paymentIntent"`
	CanHandlePendingAuthorization *flexBool        `json:"canHandlePendingAuthorization"`
	SupplementaryData             *string          `json:"supplementaryData"`
	ShippingAddress               *postalAddressIn `json:"shippingAddress"`
	BillingAddress                *postalAddressIn `json:"billingAddress"`
	ChargeAmount                  *priceIn         `json:"chargeAmount"`
	TotalOrderAmount              *priceIn         `json:"totalOrderAmount"`
}

// finalizeCheckoutSession is Complete for the Buy Now flow: the buyer
// confirmed on Amazon's page (no redirect), the merchant repeats amounts,
// addresses and supplementaryData, and Amazon authorizes.
func (s *Server) finalizeCheckoutSession(r *request) response {
	cs, err := find(s.st.CheckoutSessions, "Checkout Session", r.PathValue("checkoutSessionId"), r)
	if err != nil {
		return fail(err)
	}
	var in finalizeIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	charge, total, err := parseCompleteAmounts(in.ChargeAmount, in.TotalOrderAmount)
	if err != nil {
		return fail(err)
	}
	next := *cs
	if in.PaymentIntent != nil {
		if !paymentIntents[*in.PaymentIntent] {
			return fail(errInvalidValue("paymentIntent", truncate(*in.PaymentIntent, 32)))
		}
		next.PaymentIntent = *in.PaymentIntent
	}
	if in.CanHandlePendingAuthorization != nil {
		next.CanHandlePending = bool(*in.CanHandlePendingAuthorization)
	}
	if next.ChargeAmount == nil {
		next.ChargeAmount = charge
	}
	switch next.Status.State {
	case csCanceled:
		return fail(errorf(http.StatusUnprocessableEntity, codeCheckoutSessionCanceled, "The Checkout Session was canceled (%s). Start a new checkout.", next.Status.ReasonCode))
	case csCompleted:
		return fail(errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "The Checkout Session is already Completed."))
	}
	if next.Buyer == nil {
		return fail(errorf(http.StatusUnprocessableEntity, codeInvalidCheckoutSessionStatus, "There is no buyer associated with the Checkout Session."))
	}
	if next.PaymentIntent == "" {
		return fail(errMissing("paymentIntent"))
	}
	if err := next.checkAmounts(charge, total); err != nil {
		return fail(err)
	}
	if next.SupplementaryData != "" && sv(in.SupplementaryData) != next.SupplementaryData {
		return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value provided for 'supplementaryData' must repeat the Checkout Session's supplementaryData."))
	}
	if next.ProductType != "PayOnly" && next.ShippingAddress != nil {
		a, err := in.ShippingAddress.address("shippingAddress")
		if err != nil {
			return fail(err)
		}
		if a == nil {
			return fail(errMissing("shippingAddress"))
		}
		if !sameAddress(a, next.ShippingAddress) {
			return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value provided for 'shippingAddress' does not match the buyer's shipping address."))
		}
	}
	if next.ProductType == "PayOnly" && next.BillingAddress != nil {
		a, err := in.BillingAddress.address("billingAddress")
		if err != nil {
			return fail(err)
		}
		if a == nil {
			return fail(errMissing("billingAddress"))
		}
		if !sameAddress(a, next.BillingAddress) {
			return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value provided for 'billingAddress' does not match the buyer's billing address."))
		}
	}
	if r.SimulationCode != "" {
		next.SimulationCode = r.SimulationCode
	}
	if err := next.validate(false); err != nil {
		return fail(err)
	}
	next.decide(r.Now)
	*cs = next
	if cs.Status.State == csCanceled {
		r.changed = true
		return fail(errorf(http.StatusUnprocessableEntity, codeCheckoutSessionCanceled, "The Checkout Session was canceled (%s). Start a new checkout.", cs.Status.ReasonCode))
	}
	return s.finishCheckout(r, cs, cs.Outcome)
}
