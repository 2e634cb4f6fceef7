package web

import (
	"context"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/money"
)

// Field defaults shared by the tester pages.
var (
	defCurrency = func(h *Handler) string { return h.co.Currency() }
	defAmount   = func(h *Handler) string {
		// A small sample amount: 1.00 (or 100 yen).
		units, err := money.Units(1, h.co.Currency())
		if err != nil {
			return ""
		}
		if h.co.Currency() == "JPY" {
			units = 100
		}
		s, _ := money.Format(units, h.co.Currency())
		return s
	}
	defStoreID    = func(h *Handler) string { return h.co.StoreID() }
	defMerchantID = func(h *Handler) string { return h.co.MerchantID() }
	defResultURL  = func(h *Handler) string { return h.co.BaseURL() + "/admin/tester/result" }
	defBuyerURL   = func(h *Handler) string { return h.co.BaseURL() + "/admin/tester/get-buyer" }
	defStoreName  = func(h *Handler) string { return truncate(h.shopName, 50) }
	defReference  = func(*Handler) string { return newReference() }
	defNote       = func(*Handler) string { return "Thank you for your order!" }
	defLanguage   = func(h *Handler) string { return h.co.CheckoutLanguage() }
	fixed         = func(s string) func(*Handler) string { return func(*Handler) string { return s } }
)

// Fields used by several pages.
var (
	fCheckoutSession  = testerField{Name: "checkoutSessionId", Label: "checkoutSessionId"}
	fChargePermission = testerField{Name: "chargePermissionId", Label: "chargePermissionId"}
	fCharge           = testerField{Name: "chargeId", Label: "chargeId"}
	fAmount           = testerField{Name: "amount", Label: "amount", Default: defAmount}
	fCurrency         = testerField{Name: "currencyCode", Label: "currencyCode", Default: defCurrency}
	fSoftDescriptor   = testerField{Name: "softDescriptor", Label: "softDescriptor", Help: "at most 16 characters"}
	fKey              = testerField{Name: "idempotencyKey", Label: "x-amz-pay-idempotency-key", Key: true}
	fIntent           = testerField{Name: "paymentIntent", Label: "paymentIntent", Kind: "select", Options: []string{"Authorize", "AuthorizeWithCapture", "Confirm"}, Default: fixed("Authorize")}
	fPending          = testerField{Name: "canHandlePendingAuthorization", Label: "canHandlePendingAuthorization", Kind: "checkbox"}
	fReference        = testerField{Name: "merchantReferenceId", Label: "merchantReferenceId", Default: defReference}
	fStoreName        = testerField{Name: "merchantStoreName", Label: "merchantStoreName", Default: defStoreName}
	fNote             = testerField{Name: "noteToBuyer", Label: "noteToBuyer", Default: defNote}
	fCustom           = testerField{Name: "customInformation", Label: "customInformation"}
)

func op(name string) (method, path string) {
	for _, o := range amazonpay.Operations() {
		if o.Name == name {
			return o.Method, o.Path
		}
	}
	return "", ""
}

// page fills Method and Path from the operation list.
func page(p *testerPage) *testerPage {
	if p.Operation != "" {
		p.Method, p.Path = op(p.Operation)
	}
	return p
}

func metadata(v values) *amazonpay.MerchantMetadata {
	m := &amazonpay.MerchantMetadata{MerchantReferenceID: v["merchantReferenceId"], MerchantStoreName: v["merchantStoreName"],
		NoteToBuyer: v["noteToBuyer"], CustomInformation: v["customInformation"]}
	if *m == (amazonpay.MerchantMetadata{}) {
		return nil
	}
	return m
}

// idempotencyKey sends the form's x-amz-pay-idempotency-key (field fKey).
func (v values) idempotencyKey() amazonpay.RequestOption {
	return amazonpay.WithIdempotencyKey(v["idempotencyKey"])
}

// respOnly keeps the raw response of an SDK call: a tester page shows
// Amazon Pay's answer as sent, not the decoded object.
func respOnly[T any](_ *T, resp *amazonpay.Response, err error) (*amazonpay.Response, error) {
	return resp, err
}

// withAmount is the run of a page with amount and currencyCode fields: it
// parses them into a price first, so bad input is reported and nothing is
// sent.
func withAmount(fn func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error)) func(context.Context, *amazonpay.Client, values) (*amazonpay.Response, error) {
	return func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
		amount, err := v.price("amount", "currencyCode")
		if err != nil {
			return nil, err
		}
		return fn(ctx, c, v, amount)
	}
}

// testerPages are the tester pages in the order of a checkout.
func testerPages() []*testerPage {
	return []*testerPage{
		page(&testerPage{
			Slug: "button", Title: "Sign-in / button render", Intro: "Renders the Amazon Pay button with a payload signed on the server (or, with a checkout session id, the pilot form that takes a session created on the Create Checkout Session page). Click it to sign in and choose an address and a simulated card; Amazon Pay then sends you to the result page.",
			kind: "button",
			Fields: []testerField{
				{Name: "merchantId", Label: "merchantId", Default: defMerchantID},
				{Name: "checkoutSessionId", Label: "checkoutSessionId", Help: "optional: a session from Create Checkout Session (pilot form)"},
				{Name: "ledgerCurrency", Label: "ledgerCurrency", Kind: "select", Options: []string{"USD", "EUR", "GBP", "JPY"}, Default: defCurrency},
				{Name: "checkoutLanguage", Label: "checkoutLanguage", Kind: "select", Options: []string{"en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES", "ja_JP"}, Default: defLanguage},
				{Name: "productType", Label: "productType", Kind: "select", Options: []string{"PayAndShip", "PayOnly", "SignIn"}, Default: fixed("PayAndShip")},
				{Name: "placement", Label: "placement", Kind: "select", Options: []string{"Home", "Product", "Cart", "Checkout", "Other"}, Default: fixed("Other")},
				{Name: "storeId", Label: "storeId", Default: defStoreID},
				{Name: "checkoutReviewReturnUrl", Label: "checkoutReviewReturnUrl", Default: defResultURL},
				{Name: "checkoutResultReturnUrl", Label: "checkoutResultReturnUrl", Default: defResultURL},
				{Name: "signInReturnUrl", Label: "signInReturnUrl", Default: defBuyerURL, Help: "for productType SignIn"},
			},
		}),
		page(&testerPage{
			Slug: "create-checkout-session", Title: "Create Checkout Session", Operation: "CreateCheckoutSession",
			Intro: "Creates a checkout session from the server. Copy its checkoutSessionId to the button page.",
			Fields: []testerField{
				{Name: "checkoutReviewReturnUrl", Label: "checkoutReviewReturnUrl", Default: defResultURL},
				{Name: "checkoutResultReturnUrl", Label: "checkoutResultReturnUrl", Default: defResultURL},
				{Name: "storeId", Label: "storeId", Default: defStoreID},
				fKey,
			},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{
					WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: v["checkoutReviewReturnUrl"], CheckoutResultReturnURL: v["checkoutResultReturnUrl"]},
					StoreID:            v["storeId"],
				}, v.idempotencyKey()))
			},
		}),
		page(&testerPage{
			Slug: "get-checkout-session", Title: "Get Checkout Session", Operation: "GetCheckoutSession", Resource: "checkoutSessionId",
			Fields: []testerField{fCheckoutSession},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.CheckoutSessions.Get(ctx, v["checkoutSessionId"]))
			},
		}),
		page(&testerPage{
			Slug: "update-checkout-session", Title: "Update Checkout Session", Operation: "UpdateCheckoutSession", Resource: "checkoutSessionId",
			Intro: "Sets the amount and the result URL. Once nothing is missing, the answer carries webCheckoutDetails.amazonPayRedirectUrl: open it to authorize.",
			Fields: []testerField{
				fCheckoutSession,
				{Name: "checkoutResultReturnUrl", Label: "checkoutResultReturnUrl", Default: defResultURL},
				fIntent, fPending, fAmount, fCurrency, fSoftDescriptor, fReference, fStoreName, fNote, fCustom,
			},
			run: withAmount(func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error) {
				return respOnly(c.CheckoutSessions.Update(ctx, v["checkoutSessionId"], &amazonpay.UpdateCheckoutSessionRequest{
					WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: v["checkoutResultReturnUrl"]},
					PaymentDetails: &amazonpay.PaymentDetails{PaymentIntent: amazonpay.PaymentIntent(v["paymentIntent"]),
						CanHandlePendingAuthorization: amazonpay.Bool(v.on("canHandlePendingAuthorization")), ChargeAmount: amount,
						SoftDescriptor: v["softDescriptor"]},
					MerchantMetadata: metadata(v),
				}))
			}),
		}),
		page(&testerPage{
			Slug: "result", Title: "Result page", Operation: "GetCheckoutSession", Resource: "checkoutSessionId", kind: "result",
			Intro:  "checkoutReviewReturnUrl and checkoutResultReturnUrl of the tester flow: shows the session Amazon Pay sent you back with, its ids, and the change actions.",
			Fields: []testerField{fCheckoutSession},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.CheckoutSessions.Get(ctx, v["checkoutSessionId"]))
			},
		}),
		page(&testerPage{
			Slug: "complete-checkout-session", Title: "Complete Checkout Session", Operation: "CompleteCheckoutSession", Resource: "checkoutSessionId",
			Intro:   "Confirms the checkout after amazonPayRedirectUrl. The amount must repeat the session's chargeAmount.",
			Fields:  []testerField{fCheckoutSession, fAmount, fCurrency, fKey},
			prefill: prefillFromSession,
			run: withAmount(func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error) {
				return respOnly(c.CheckoutSessions.Complete(ctx, v["checkoutSessionId"], &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: amount},
					v.idempotencyKey()))
			}),
		}),
		page(&testerPage{
			Slug: "finalize-checkout-session", Title: "Finalize Checkout Session", Operation: "FinalizeCheckoutSession", Resource: "checkoutSessionId",
			Intro: "Confirms a Buy Now checkout in place of Complete; the shipping address must repeat Amazon Pay's.",
			Fields: []testerField{fCheckoutSession, fAmount, fCurrency, fIntent, fPending,
				{Name: "name", Label: "shippingAddress.name"}, {Name: "addressLine1", Label: "shippingAddress.addressLine1"},
				{Name: "addressLine2", Label: "shippingAddress.addressLine2"}, {Name: "city", Label: "shippingAddress.city"},
				{Name: "stateOrRegion", Label: "shippingAddress.stateOrRegion"}, {Name: "postalCode", Label: "shippingAddress.postalCode"},
				{Name: "countryCode", Label: "shippingAddress.countryCode"}, {Name: "phoneNumber", Label: "shippingAddress.phoneNumber"},
				fKey},
			prefill: prefillFromSession,
			run: withAmount(func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error) {
				req := &amazonpay.FinalizeCheckoutSessionRequest{ChargeAmount: amount, PaymentIntent: amazonpay.PaymentIntent(v["paymentIntent"]),
					CanHandlePendingAuthorization: amazonpay.Bool(v.on("canHandlePendingAuthorization"))}
				if v["addressLine1"] != "" || v["name"] != "" {
					req.ShippingAddress = &amazonpay.Address{Name: v["name"], AddressLine1: v["addressLine1"], AddressLine2: v["addressLine2"],
						City: v["city"], StateOrRegion: v["stateOrRegion"], PostalCode: v["postalCode"], CountryCode: v["countryCode"], PhoneNumber: v["phoneNumber"]}
				}
				return respOnly(c.CheckoutSessions.Finalize(ctx, v["checkoutSessionId"], req, v.idempotencyKey()))
			}),
		}),
		page(&testerPage{
			Slug: "get-charge-permission", Title: "Get Charge Permission", Operation: "GetChargePermission", Resource: "chargePermissionId",
			Fields: []testerField{fChargePermission},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.ChargePermissions.Get(ctx, v["chargePermissionId"]))
			},
		}),
		page(&testerPage{
			Slug: "update-charge-permission", Title: "Update Charge Permission", Operation: "UpdateChargePermission", Resource: "chargePermissionId",
			Fields: []testerField{fChargePermission, fReference, fStoreName, fNote, fCustom},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.ChargePermissions.Update(ctx, v["chargePermissionId"], &amazonpay.UpdateChargePermissionRequest{MerchantMetadata: metadata(v)}))
			},
		}),
		page(&testerPage{
			Slug: "close-charge-permission", Title: "Close Charge Permission", Operation: "CloseChargePermission", Resource: "chargePermissionId",
			Fields: []testerField{fChargePermission,
				{Name: "closureReason", Label: "closureReason", Default: fixed("No more charges required")},
				{Name: "cancelPendingCharges", Label: "cancelPendingCharges", Kind: "checkbox"}},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.ChargePermissions.Close(ctx, v["chargePermissionId"], &amazonpay.CloseChargePermissionRequest{
					ClosureReason: v["closureReason"], CancelPendingCharges: v.on("cancelPendingCharges")}))
			},
		}),
		page(&testerPage{
			Slug: "create-charge", Title: "Create Charge", Operation: "CreateCharge", Resource: "chargePermissionId",
			Intro: "Authorizes again on a Chargeable charge permission (the re-authorization after the 30-day expiry).",
			Fields: []testerField{fChargePermission, fAmount, fCurrency,
				{Name: "captureNow", Label: "captureNow", Kind: "checkbox"}, fPending, fSoftDescriptor, fKey},
			prefill: prefillFromChargePermission,
			run: withAmount(func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error) {
				return respOnly(c.Charges.Create(ctx, &amazonpay.CreateChargeRequest{ChargePermissionID: v["chargePermissionId"], ChargeAmount: amount,
					CaptureNow: v.on("captureNow"), CanHandlePendingAuthorization: v.on("canHandlePendingAuthorization"), SoftDescriptor: v["softDescriptor"]},
					v.idempotencyKey()))
			}),
		}),
		page(&testerPage{
			Slug: "get-charge", Title: "Get Charge", Operation: "GetCharge", Resource: "chargeId",
			Fields: []testerField{fCharge},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.Charges.Get(ctx, v["chargeId"]))
			},
		}),
		page(&testerPage{
			Slug: "capture-charge", Title: "Capture Charge", Operation: "CaptureCharge", Resource: "chargeId",
			Intro:   "Captures an authorized charge, at most the authorized amount. statusDetails.state Captured means success.",
			Fields:  []testerField{fCharge, fAmount, fCurrency, fSoftDescriptor, fKey},
			prefill: prefillFromCharge,
			run: withAmount(func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error) {
				return respOnly(c.Charges.Capture(ctx, v["chargeId"], &amazonpay.CaptureChargeRequest{CaptureAmount: amount, SoftDescriptor: v["softDescriptor"]},
					v.idempotencyKey()))
			}),
		}),
		page(&testerPage{
			Slug: "cancel-charge", Title: "Cancel Charge", Operation: "CancelCharge", Resource: "chargeId",
			Intro:  "Releases an authorization that was not captured; the charge permission becomes Chargeable again.",
			Fields: []testerField{fCharge, {Name: "cancellationReason", Label: "cancellationReason", Default: fixed("Order canceled")}},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.Charges.Cancel(ctx, v["chargeId"], &amazonpay.CancelChargeRequest{CancellationReason: v["cancellationReason"]}))
			},
		}),
		page(&testerPage{
			Slug: "create-refund", Title: "Create Refund", Operation: "CreateRefund", Resource: "chargeId",
			Intro:   "Refunds part or all of a captured charge. Keep the refundId: only this answer tells it.",
			Fields:  []testerField{fCharge, fAmount, fCurrency, fSoftDescriptor, fKey},
			prefill: prefillFromCharge,
			run: withAmount(func(ctx context.Context, c *amazonpay.Client, v values, amount amazonpay.Price) (*amazonpay.Response, error) {
				return respOnly(c.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{ChargeID: v["chargeId"], RefundAmount: amount, SoftDescriptor: v["softDescriptor"]},
					v.idempotencyKey()))
			}),
		}),
		page(&testerPage{
			Slug: "get-refund", Title: "Get Refund", Operation: "GetRefund", Resource: "refundId",
			Fields: []testerField{{Name: "refundId", Label: "refundId"}},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.Refunds.Get(ctx, v["refundId"]))
			},
		}),
		page(&testerPage{
			Slug: "get-buyer", Title: "Get Buyer", Operation: "GetBuyer",
			Intro:  "Exchanges the buyerToken of a Sign-In button (button page, productType SignIn) for the buyer's profile.",
			Fields: []testerField{{Name: "buyerToken", Label: "buyerToken"}},
			run: func(ctx context.Context, c *amazonpay.Client, v values) (*amazonpay.Response, error) {
				return respOnly(c.Buyers.Get(ctx, v["buyerToken"]))
			},
		}),
	}
}

// prefillFromSession takes the amount (and for Finalize the address) of
// the session the page was opened for.
func prefillFromSession(ctx context.Context, h *Handler, v values) {
	cs, ok := testerGet(ctx, h, "GetCheckoutSession", v["checkoutSessionId"], h.co.Client().CheckoutSessions.Get)
	if !ok {
		return
	}
	if cs.PaymentDetails != nil && !cs.PaymentDetails.ChargeAmount.IsZero() {
		v["amount"], v["currencyCode"] = cs.PaymentDetails.ChargeAmount.Amount, cs.PaymentDetails.ChargeAmount.CurrencyCode
		if cs.PaymentDetails.PaymentIntent != "" {
			v["paymentIntent"] = string(cs.PaymentDetails.PaymentIntent)
		}
	}
	if a := cs.ShippingAddress; a != nil { // only Finalize shows these fields
		v["name"], v["addressLine1"], v["addressLine2"], v["city"] = a.Name, a.AddressLine1, a.AddressLine2, a.City
		v["stateOrRegion"], v["postalCode"], v["countryCode"], v["phoneNumber"] = a.StateOrRegion, a.PostalCode, a.CountryCode, a.PhoneNumber
	}
}

// prefillFromCharge takes the amount to capture (the authorized amount) or
// to refund (the captured amount) from the charge.
func prefillFromCharge(ctx context.Context, h *Handler, v values) {
	ch, ok := testerGet(ctx, h, "GetCharge", v["chargeId"], h.co.Client().Charges.Get)
	if !ok {
		return
	}
	p := ch.ChargeAmount
	if !ch.CaptureAmount.IsZero() {
		p = ch.CaptureAmount
	}
	if !p.IsZero() {
		v["amount"], v["currencyCode"] = p.Amount, p.CurrencyCode
	}
}

// prefillFromChargePermission takes what is left of the charge
// permission's limit.
func prefillFromChargePermission(ctx context.Context, h *Handler, v values) {
	cp, ok := testerGet(ctx, h, "GetChargePermission", v["chargePermissionId"], h.co.Client().ChargePermissions.Get)
	if ok && cp.Limits != nil && !cp.Limits.AmountBalance.IsZero() {
		v["amount"], v["currencyCode"] = cp.Limits.AmountBalance.Amount, cp.Limits.AmountBalance.CurrencyCode
	}
}

// testerGet makes a read for a prefill, logged like every call. With no
// id it reads nothing and reports false.
func testerGet[T any](ctx context.Context, h *Handler, op, id string, get func(context.Context, string, ...amazonpay.RequestOption) (*T, *amazonpay.Response, error)) (*T, bool) {
	if id == "" {
		return nil, false
	}
	at := h.now()
	v, resp, err := get(ctx, id)
	h.recordCall(ctx, op, id, at, 0, resp, err)
	return v, err == nil
}
