package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
)

// AdminOrdersPath is where the back office's order pages live.
const AdminOrdersPath = "/admin/orders"

// MountOrders adds the back office's order pages, behind the admin login:
// the order list with the REST API's filters, and each order's detail with
// its Amazon Pay state, payment history and buttons to capture, cancel the
// authorization, refund (each with an amount) and close. The buttons go
// through pay, the same money-movement service as the REST API; each form
// carries its own idempotency key, so a double click or a reload moves
// money once.
func (h *Handler) MountOrders(pay *payments.Service) {
	o := &adminOrders{h: h, pay: pay}
	h.Handle("GET "+AdminOrdersPath, h.RequireAdmin(http.HandlerFunc(o.list)))
	h.Handle("GET "+AdminOrdersPath+"/{id}", h.RequireAdmin(http.HandlerFunc(o.detail)))
	h.Handle("POST "+AdminOrdersPath+"/{id}/{op}", h.RequireAdmin(http.HandlerFunc(o.act)))
	h.AddAdminLink(AdminOrdersPath, "Orders")
}

// adminOrders serves the order pages.
type adminOrders struct {
	h   *Handler
	pay *payments.Service
}

// orderRow is one line of the order list.
type orderRow struct {
	ID                                int64
	Number, Status, Created           string
	Total, Captured, Refunded         string
	ChargePermission, ChargePermState string
}

// listData is the order list page.
type listData struct {
	Filter   listFilter
	Statuses []string
	// The Amazon Pay states the filters offer.
	CPStates, ChargeStates, RefundStates []string
	Rows                                 []orderRow
	Next                                 string // URL of the next page, "" at the end
	Problem                              string
}

// listFilter echoes the filter form.
type listFilter struct {
	Status, PaymentMethod, ChargePermissionState, ChargeState, RefundState, From, To string
}

func (o *adminOrders) list(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	d := listData{Filter: listFilter{Status: v.Get("status"), PaymentMethod: v.Get("payment_method"),
		ChargePermissionState: v.Get("charge_permission_state"), ChargeState: v.Get("charge_state"),
		RefundState: v.Get("refund_state"), From: v.Get("from"), To: v.Get("to")},
		CPStates:     []string{"Chargeable", "NonChargeable", "Closed"},
		ChargeStates: []string{"AuthorizationInitiated", "Authorized", "CaptureInitiated", "Captured", "Canceled", "Declined"},
		RefundStates: []string{"RefundInitiated", "Refunded", "Declined"}}
	for _, s := range shop.OrderStatuses() {
		d.Statuses = append(d.Statuses, string(s))
	}
	q, err := d.Filter.query(v.Get("cursor"))
	if err != nil {
		d.Problem = err.Error()
		o.h.render(w, r, http.StatusBadRequest, "admin_orders", "Orders", d)
		return
	}
	page, err := payments.SearchOrders(r.Context(), o.h.store, q)
	if err != nil {
		o.h.Error(w, r, err)
		return
	}
	for _, ov := range page.Orders {
		row := orderRow{ID: ov.Order.ID, Number: ov.Order.Number, Status: string(ov.Order.Status),
			Created: ov.Order.CreatedAt.UTC().Format("2006-01-02 15:04"),
			Total:   FormatMoney(ov.Order.Total, ov.Order.Currency), Captured: FormatMoney(ov.Order.Captured, ov.Order.Currency),
			Refunded: FormatMoney(ov.Order.Refunded, ov.Order.Currency)}
		if p := ov.Payment; p != nil {
			row.ChargePermission, row.ChargePermState = p.ChargePermissionID, p.ChargePermissionState
		}
		d.Rows = append(d.Rows, row)
	}
	if page.Next != 0 {
		next := url.Values{}
		for k, vs := range v {
			if k != "cursor" {
				next[k] = vs
			}
		}
		next.Set("cursor", strconv.FormatInt(page.Next, 10))
		d.Next = AdminOrdersPath + "?" + next.Encode()
	}
	o.h.render(w, r, http.StatusOK, "admin_orders", "Orders", d)
}

// query turns the form into an OrderQuery; dates are whole days, UTC.
func (f listFilter) query(cursor string) (payments.OrderQuery, error) {
	q := payments.OrderQuery{Limit: 50, PaymentMethod: f.PaymentMethod}
	if f.Status != "" {
		st := shop.OrderStatus(f.Status)
		if !st.Valid() {
			return q, fmt.Errorf("unknown status %q", f.Status)
		}
		q.Status = []shop.OrderStatus{st}
	}
	if f.PaymentMethod != "" && !payments.ValidPaymentMethod(f.PaymentMethod) {
		return q, fmt.Errorf("unknown payment method %q", f.PaymentMethod)
	}
	for _, s := range []struct {
		v   string
		dst *[]string
	}{{f.ChargePermissionState, &q.ChargePermissionState}, {f.ChargeState, &q.ChargeState}, {f.RefundState, &q.RefundState}} {
		if s.v != "" {
			*s.dst = []string{s.v}
		}
	}
	for _, d := range []struct {
		v    string
		dst  *time.Time
		next bool
	}{{f.From, &q.CreatedFrom, false}, {f.To, &q.CreatedTo, true}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			return q, fmt.Errorf("dates are YYYY-MM-DD, not %q", d.v)
		}
		if d.next {
			t = t.AddDate(0, 0, 1) // "to" includes the whole day
		}
		*d.dst = t
	}
	if cursor != "" {
		c, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || c <= 0 {
			return q, errors.New("malformed page cursor")
		}
		q.Cursor = c
	}
	return q, nil
}

// detailData is the order detail page.
type detailData struct {
	Order    *shop.Order
	Payment  *shop.Payment
	History  []historyRow
	Charges  []chargeRow
	Refunds  []refundRow
	Total    string
	Amounts  string
	Actions  []orderAction
	Done     string
	Problem  string
	Shipping *shop.Address
}

type chargeRow struct{ ID, State, Reason, Amount, Captured, Expires string }
type refundRow struct{ ID, ChargeID, State, Reason, Amount string }

// historyRow is one line of the payment history. Reason is Amazon Pay's
// reasonCode; MerchantReason the merchant's note given with a movement
// (merchant text, escaped by html/template like everything else).
type historyRow struct{ At, Kind, Operation, Status, Amount, Object, Reason, MerchantReason, Note string }

// orderAction is one button with its form fields.
type orderAction struct {
	Op, Label, Key, Help string
	Amount               string // prefilled amount; "" for operations without one
	HasAmount            bool
	Danger               bool
}

// actions lists what the order allows now, with amounts prefilled.
func actions(o *shop.Order, p *shop.Payment) []orderAction {
	if p == nil || p.ChargePermissionID == "" {
		return nil
	}
	f := func(minor int64) string { s, _ := money.Format(minor, o.Currency); return s }
	var out []orderAction
	if o.CanStart(shop.OpCapture, max(o.Authorized, 1)) == nil {
		out = append(out, orderAction{Op: "capture", Label: "Capture", HasAmount: true, Amount: f(o.Authorized),
			Help: "at most the authorized " + FormatMoney(o.Authorized, o.Currency)})
	}
	if o.CanStart(shop.OpCancel, 0) == nil {
		out = append(out, orderAction{Op: "cancel", Label: "Cancel authorization", Danger: true,
			Help: "releases the authorization; the charge permission stays Chargeable"})
	}
	if rest := o.Captured - o.Refunded; o.CanStart(shop.OpRefund, max(rest, 1)) == nil {
		out = append(out, orderAction{Op: "refund", Label: "Refund", HasAmount: true, Amount: f(max(rest, 0)),
			Help: "captured " + FormatMoney(o.Captured, o.Currency) + ", refunded " + FormatMoney(o.Refunded, o.Currency)})
	}
	if rest := o.Total - o.Captured; o.CanStartOn(p, shop.OpAuthorize, max(rest, 1)) == nil && p.ChargePermissionState == "Chargeable" {
		help := "a new charge on the charge permission"
		if o.Status == shop.StatusCanceled {
			help = "the authorization was canceled and the charge permission is Chargeable again: a new charge on it"
		}
		out = append(out, orderAction{Op: "authorize", Label: "Authorize", HasAmount: true, Amount: f(rest), Help: help})
	}
	if o.CanStart(shop.OpClose, 0) == nil && p.ChargePermissionState != "Closed" {
		out = append(out, orderAction{Op: "close", Label: "Close charge permission", Danger: true,
			Help: "no further charges on it"})
	}
	for i := range out {
		out[i].Key = newFormKey()
	}
	return out
}

// newFormKey is the idempotency key a form carries: one per rendered
// button, so submitting it twice moves money once.
func newFormKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "admin-" + hex.EncodeToString(b[:])
}

func (o *adminOrders) load(ctx context.Context, ref string) (*shop.Order, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		return o.h.store.Order(ctx, id)
	}
	return o.h.store.OrderByNumber(ctx, strings.ToUpper(ref))
}

func (o *adminOrders) detail(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ord, err := o.load(ctx, r.PathValue("id"))
	if err != nil {
		o.h.Error(w, r, withLink(err, AdminOrdersPath, "Back to the orders"))
		return
	}
	p, err := o.h.store.Payment(ctx, ord.ID)
	if err != nil && shop.ErrorCode(err) != shop.ENOTFOUND {
		o.h.Error(w, r, err)
		return
	}
	hist, err := payments.History(ctx, o.h.store, ord.ID)
	if err != nil {
		o.h.Error(w, r, err)
		return
	}
	cur := ord.Currency
	d := detailData{Order: ord, Payment: p, Shipping: ord.Shipping, Total: FormatMoney(ord.Total, cur),
		Amounts: fmt.Sprintf("authorized %s · captured %s · refunded %s", FormatMoney(ord.Authorized, cur),
			FormatMoney(ord.Captured, cur), FormatMoney(ord.Refunded, cur)),
		Actions: actions(ord, p), Done: r.URL.Query().Get("done"), Problem: r.URL.Query().Get("problem")}
	if p != nil {
		for _, c := range p.Charges {
			row := chargeRow{ID: c.ID, State: string(c.State), Reason: c.ReasonCode, Amount: FormatMoney(c.Amount, cur),
				Captured: FormatMoney(c.CapturedAmount, cur)}
			if c.State == shop.ChargeAuthorized && !c.ExpiresAt.IsZero() {
				row.Expires = c.ExpiresAt.UTC().Format("2006-01-02 15:04")
			}
			d.Charges = append(d.Charges, row)
		}
		for _, rf := range p.Refunds {
			d.Refunds = append(d.Refunds, refundRow{ID: rf.ID, ChargeID: rf.ChargeID, State: string(rf.State), Reason: rf.ReasonCode,
				Amount: FormatMoney(rf.Amount, cur)})
		}
	}
	for _, e := range hist {
		row := historyRow{At: e.At.UTC().Format("2006-01-02 15:04:05"), Kind: string(e.Kind), Operation: e.Operation,
			Status: e.Status, Object: e.ObjectID, Reason: e.ReasonCode, MerchantReason: e.Reason, Note: e.Note}
		if e.Amount != 0 {
			row.Amount = FormatMoney(e.Amount, cur)
		}
		d.History = append(d.History, row)
	}
	o.h.render(w, r, http.StatusOK, "admin_order", "Order "+ord.Number, d)
}

// act runs one button: capture, cancel, refund, authorize or close. The
// answer is a redirect to the order with what happened, so a reload does
// not post again.
func (o *adminOrders) act(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		o.h.Error(w, r, shop.Errorf(shop.EINVALID, "Malformed form."))
		return
	}
	ord, err := o.load(ctx, r.PathValue("id"))
	if err != nil {
		o.h.Error(w, r, withLink(err, AdminOrdersPath, "Back to the orders"))
		return
	}
	back := fmt.Sprintf("%s/%d", AdminOrdersPath, ord.ID)
	op := r.PathValue("op")
	run := map[string]func(context.Context, int64, payments.Request) (*payments.Result, error){
		"capture": o.pay.Capture, "cancel": o.pay.CloseAuthorization, "refund": o.pay.Refund,
		"authorize": o.pay.Authorize, "close": o.pay.Close,
	}[op]
	if run == nil {
		o.h.Error(w, r, withLink(shop.Errorf(shop.ENOTFOUND, "Unknown operation."), back, "Back to the order"))
		return
	}
	req := payments.Request{IdempotencyKey: r.PostForm.Get("key"), Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	if a := strings.TrimSpace(r.PostForm.Get("amount")); a != "" {
		minor, err := money.Parse(a, ord.Currency)
		if err != nil || minor <= 0 {
			o.redirect(w, r, back, "", "InvalidParameterValue: the amount "+truncate(a, 32)+" is not a positive amount in "+ord.Currency+".")
			return
		}
		req.Amount = minor
	}
	res, err := run(ctx, ord.ID, req)
	if err != nil {
		e := payments.AsError(err)
		if e.Status >= 500 && e.Code == payments.CodeInternal {
			o.h.Error(w, r, err)
			return
		}
		o.h.log.Info("web: back-office operation refused", "order_id", ord.ID, "operation", op, "code", e.Code)
		o.redirect(w, r, back, "", e.Code+": "+e.Message)
		return
	}
	o.h.log.Info("web: back-office operation", "order_id", ord.ID, "operation", op, "admin", o.h.adminName(r))
	done := fmt.Sprintf("%s done: order %s", op, res.Order.Status)
	switch {
	case res.Pending:
		done = op + " accepted; Amazon Pay decides later"
	case res.Replayed:
		done = op + " had already been done (same form sent twice)"
	}
	if res.Replaced != nil {
		done += "; the expired authorization " + res.Replaced.ID + " was replaced by a new one"
	}
	o.redirect(w, r, back, done, "")
}

// redirect goes back to the order page with an outcome to show.
func (o *adminOrders) redirect(w http.ResponseWriter, r *http.Request, back, done, problem string) {
	v := url.Values{}
	if done != "" {
		v.Set("done", truncate(done, 300))
	}
	if problem != "" {
		v.Set("problem", truncate(problem, 300))
	}
	http.Redirect(w, r, back+"?"+v.Encode(), http.StatusSeeOther)
}
