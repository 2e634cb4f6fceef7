package restapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
)

// Order is an order as the API shows it. Amounts are decimal strings in
// the order's currency.
type Order struct {
	ID            int64       `json:"id"`
	Number        string      `json:"number"`
	Status        string      `json:"status"`
	Currency      string      `json:"currency"`
	Total         string      `json:"total"`
	Authorized    string      `json:"authorized"`
	Captured      string      `json:"captured"`
	Refunded      string      `json:"refunded"`
	PaymentMethod string      `json:"payment_method"`
	BuyerEmail    string      `json:"buyer_email"`
	BuyerName     string      `json:"buyer_name"`
	Shipping      *Address    `json:"shipping"`
	Items         []OrderItem `json:"items"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Version       int64       `json:"version"`
	// AmazonReference is the Amazon Pay side; null before checkout.
	AmazonReference *AmazonReference `json:"amazon_reference"`
	// History is the payment history (GET /orders/{id} only).
	History []HistoryEntry `json:"history,omitempty"`
}

// OrderItem is one line of an order.
type OrderItem struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	UnitPrice string `json:"unit_price"`
	Quantity  int    `json:"quantity"`
}

// Address is a shipping address.
type Address struct {
	Name          string `json:"name"`
	AddressLine1  string `json:"address_line1"`
	AddressLine2  string `json:"address_line2,omitempty"`
	AddressLine3  string `json:"address_line3,omitempty"`
	City          string `json:"city"`
	StateOrRegion string `json:"state_or_region,omitempty"`
	PostalCode    string `json:"postal_code"`
	CountryCode   string `json:"country_code"`
	PhoneNumber   string `json:"phone_number,omitempty"`
}

// AmazonReference is what Amazon Pay holds for an order, as last read.
type AmazonReference struct {
	CheckoutSessionID      string   `json:"checkout_session_id"`
	ChargePermissionID     string   `json:"charge_permission_id"`
	ChargePermissionType   string   `json:"charge_permission_type"`
	ChargePermissionState  string   `json:"charge_permission_state"`
	ChargePermissionReason string   `json:"charge_permission_reason,omitempty"`
	ChargeIDs              []string `json:"charge_ids"`
	Charges                []Charge `json:"charges"`
	// CapturedAmount sums the captured charges; RefundedAmount the refunds
	// Amazon Pay accepted (initiated or completed).
	CapturedAmount string   `json:"captured_amount"`
	RefundedAmount string   `json:"refunded_amount"`
	RefundIDs      []string `json:"refund_ids"`
	Refunds        []Refund `json:"refunds"`
}

// Charge is one Amazon Pay Charge.
type Charge struct {
	ID             string     `json:"id"`
	State          string     `json:"state"`
	ReasonCode     string     `json:"reason_code,omitempty"`
	Amount         string     `json:"amount"`
	CapturedAmount string     `json:"captured_amount"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Refund is one Amazon Pay Refund.
type Refund struct {
	ID         string    `json:"id"`
	ChargeID   string    `json:"charge_id"`
	State      string    `json:"state"`
	ReasonCode string    `json:"reason_code,omitempty"`
	Amount     string    `json:"amount"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// HistoryEntry is one line of an order's payment history.
type HistoryEntry struct {
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	Operation  string    `json:"operation"`
	Status     string    `json:"status"`
	Amount     string    `json:"amount,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	ReasonCode string    `json:"reason_code,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	// Reason is the merchant's reason given with a movement's request.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// OrderList is a page of orders.
type OrderList struct {
	Orders []Order `json:"orders"`
	// NextCursor continues the listing; null at the end.
	NextCursor *string `json:"next_cursor"`
}

// fmtAmount renders minor units; currencies in the store are valid.
func fmtAmount(minor int64, currency string) string {
	s, err := money.Format(minor, currency)
	if err != nil {
		return strconv.FormatInt(minor, 10)
	}
	return s
}

// NewOrder renders an order and its payment (p may be nil).
func NewOrder(o *shop.Order, p *shop.Payment) Order {
	out := Order{ID: o.ID, Number: o.Number, Status: string(o.Status), Currency: o.Currency,
		Total: fmtAmount(o.Total, o.Currency), Authorized: fmtAmount(o.Authorized, o.Currency),
		Captured: fmtAmount(o.Captured, o.Currency), Refunded: fmtAmount(o.Refunded, o.Currency),
		PaymentMethod: payments.PaymentMethodNone, BuyerEmail: o.BuyerEmail, BuyerName: o.BuyerName,
		Items: []OrderItem{}, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Version: o.Version}
	for _, it := range o.Items {
		out.Items = append(out.Items, OrderItem{SKU: it.SKU, Name: it.Name, UnitPrice: fmtAmount(it.UnitPrice, o.Currency), Quantity: it.Quantity})
	}
	if s := o.Shipping; s != nil {
		out.Shipping = &Address{Name: s.Name, AddressLine1: s.AddressLine1, AddressLine2: s.AddressLine2, AddressLine3: s.AddressLine3,
			City: s.City, StateOrRegion: s.StateOrRegion, PostalCode: s.PostalCode, CountryCode: s.CountryCode, PhoneNumber: s.PhoneNumber}
	}
	if p != nil && p.ChargePermissionID != "" {
		out.PaymentMethod = payments.PaymentMethodAmazonPay
	}
	if p != nil {
		out.AmazonReference = newAmazonReference(p, o.Currency)
	}
	return out
}

func newAmazonReference(p *shop.Payment, currency string) *AmazonReference {
	ref := &AmazonReference{CheckoutSessionID: p.CheckoutSessionID, ChargePermissionID: p.ChargePermissionID,
		ChargePermissionType: p.ChargePermissionType, ChargePermissionState: p.ChargePermissionState,
		ChargePermissionReason: p.ChargePermissionReason,
		ChargeIDs:              []string{}, Charges: []Charge{}, RefundIDs: []string{}, Refunds: []Refund{}}
	var captured, refunded int64
	for _, c := range p.Charges {
		ref.ChargeIDs = append(ref.ChargeIDs, c.ID)
		ref.Charges = append(ref.Charges, newCharge(&c, currency))
		captured += c.CapturedAmount
	}
	for _, r := range p.Refunds {
		ref.RefundIDs = append(ref.RefundIDs, r.ID)
		ref.Refunds = append(ref.Refunds, newRefund(&r, currency))
		if r.State != shop.RefundDeclined {
			refunded += r.Amount
		}
	}
	ref.CapturedAmount, ref.RefundedAmount = fmtAmount(captured, currency), fmtAmount(refunded, currency)
	return ref
}

func newCharge(c *shop.Charge, currency string) Charge {
	out := Charge{ID: c.ID, State: string(c.State), ReasonCode: c.ReasonCode, Amount: fmtAmount(c.Amount, currency),
		CapturedAmount: fmtAmount(c.CapturedAmount, currency), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if !c.ExpiresAt.IsZero() && (c.State == shop.ChargeAuthorized || c.State == shop.ChargeAuthorizationInitiated) {
		t := c.ExpiresAt
		out.ExpiresAt = &t
	}
	return out
}

func newRefund(r *shop.Refund, currency string) Refund {
	return Refund{ID: r.ID, ChargeID: r.ChargeID, State: string(r.State), ReasonCode: r.ReasonCode,
		Amount: fmtAmount(r.Amount, currency), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// NewHistory renders a payment history.
func NewHistory(h []payments.HistoryEntry, currency string) []HistoryEntry {
	out := make([]HistoryEntry, 0, len(h))
	for _, e := range h {
		he := HistoryEntry{At: e.At, Kind: string(e.Kind), Operation: e.Operation, Status: e.Status, ObjectID: e.ObjectID,
			ReasonCode: e.ReasonCode, RequestID: e.RequestID, Reason: e.Reason, Note: e.Note}
		if e.Amount != 0 {
			he.Amount = fmtAmount(e.Amount, currency)
		}
		out = append(out, he)
	}
	return out
}

// lookup finds an order by id ("42") or buyer-facing number ("7K3M-Q9X2").
func (a *API) lookup(ctx context.Context, ref string) (*shop.Order, error) {
	var o *shop.Order
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		o, err = a.store.Order(ctx, id)
	} else {
		o, err = a.store.OrderByNumber(ctx, strings.ToUpper(ref))
	}
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, &payments.Error{Status: http.StatusNotFound, Code: payments.CodeOrderNotFound, Message: "Invalid order ID."}
	}
	return o, err
}

// getOrder serves GET /orders/{id}.
func (a *API) getOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := a.lookup(ctx, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	p, err := a.store.Payment(ctx, o.ID)
	if err != nil && shop.ErrorCode(err) != shop.ENOTFOUND {
		writeError(w, err)
		return
	}
	h, err := payments.History(ctx, a.store, o.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	out := NewOrder(o, p)
	out.History = NewHistory(h, o.Currency)
	writeJSON(w, http.StatusOK, out)
}

// listOrders serves GET /orders.
func (a *API) listOrders(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	page, err := payments.SearchOrders(r.Context(), a.store, q)
	if err != nil {
		writeError(w, err)
		return
	}
	out := OrderList{Orders: []Order{}}
	for _, v := range page.Orders {
		out.Orders = append(out.Orders, NewOrder(v.Order, v.Payment))
	}
	if page.Next != 0 {
		c := EncodeCursor(page.Next)
		out.NextCursor = &c
		next := *r.URL
		qs := next.Query()
		qs.Set("cursor", c)
		next.RawQuery = qs.Encode()
		w.Header().Set("Link", "<"+next.RequestURI()+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, out)
}

// ParseQuery reads the list filters: status, payment_method,
// charge_permission_state, charge_state, refund_state (each repeatable or
// comma-separated), created_after and created_before (RFC 3339), limit
// (1–200) and cursor. WooCommerce's filter[_payment_method] is accepted
// for payment_method.
func ParseQuery(v url.Values) (payments.OrderQuery, error) {
	var q payments.OrderQuery
	list := func(name string) []string {
		var out []string
		for _, s := range v[name] {
			for _, part := range strings.Split(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	bad := func(format string) error { return badRequest("InvalidParameterValue", format) }
	for _, s := range list("status") {
		st := shop.OrderStatus(s)
		if !st.Valid() {
			return q, bad("Unknown status " + strconv.Quote(s) + ".")
		}
		q.Status = append(q.Status, st)
	}
	pm := v.Get("payment_method")
	if pm == "" {
		pm = v.Get("filter[_payment_method]")
	}
	if pm != "" && !payments.ValidPaymentMethod(pm) {
		return q, bad("payment_method must be amazon_pay or none.")
	}
	q.PaymentMethod = pm
	allowed := map[string][]string{
		"charge_permission_state": {"Chargeable", "NonChargeable", "Closed"},
		"charge_state":            {"AuthorizationInitiated", "Authorized", "CaptureInitiated", "Captured", "Canceled", "Declined"},
		"refund_state":            {"RefundInitiated", "Refunded", "Declined"},
	}
	targets := map[string]*[]string{"charge_permission_state": &q.ChargePermissionState, "charge_state": &q.ChargeState, "refund_state": &q.RefundState}
	for name, values := range allowed {
		for _, s := range list(name) {
			ok := false
			for _, a := range values {
				ok = ok || a == s
			}
			if !ok {
				return q, bad("Unknown " + name + " " + strconv.Quote(s) + ": one of " + strings.Join(values, ", ") + ".")
			}
			*targets[name] = append(*targets[name], s)
		}
	}
	for name, dst := range map[string]*time.Time{"created_after": &q.CreatedFrom, "created_before": &q.CreatedTo} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return q, bad(name + " must be an RFC 3339 time such as 2026-11-23T10:00:00Z.")
			}
			*dst = t
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return q, bad("limit must be between 1 and 200.")
		}
		q.Limit = n
	}
	if s := v.Get("cursor"); s != "" {
		c, ok := DecodeCursor(s)
		if !ok {
			return q, bad("Malformed cursor: pass next_cursor from the previous page unchanged.")
		}
		q.Cursor = c
	}
	return q, nil
}

// EncodeCursor makes the opaque next_cursor of a listing.
func EncodeCursor(beforeID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.FormatInt(beforeID, 10)))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(s string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), "o:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}
