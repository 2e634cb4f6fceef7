package payments

import (
	"context"
	"slices"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// Payment methods an order can be filtered by. The shop takes Amazon Pay
// only; an order without a charge permission has not been paid at all.
const (
	// PaymentMethodAmazonPay: the order has an Amazon Pay charge
	// permission (the buyer completed an Amazon Pay checkout).
	PaymentMethodAmazonPay = "amazon_pay"
	// PaymentMethodNone: no payment yet.
	PaymentMethodNone = "none"
	// paymentMethodWoo is WooCommerce's name for the same gateway,
	// accepted as a synonym so WooCommerce clients' filters keep working.
	paymentMethodWoo = "amazon_payments_advanced"
)

// OrderQuery selects orders for [SearchOrders]. Empty fields do not
// filter; list fields match any of their values.
type OrderQuery struct {
	// PaymentMethod is PaymentMethodAmazonPay or PaymentMethodNone.
	PaymentMethod string
	Status        []shop.OrderStatus
	// ChargePermissionState keeps orders whose charge permission is in
	// one of these states (Chargeable, NonChargeable, Closed).
	ChargePermissionState []string
	// ChargeState keeps orders with at least one charge in one of these
	// states (Authorized, Captured, …).
	ChargeState []string
	// RefundState keeps orders with at least one refund in one of these
	// states (RefundInitiated, Refunded, Declined).
	RefundState []string
	// CreatedFrom and CreatedTo bound the creation time: From ≤ t < To.
	CreatedFrom, CreatedTo time.Time
	// Limit is the page size (0 means 50, at most 200).
	Limit int
	// Cursor continues a listing: only orders with an id below it (0 =
	// from the newest).
	Cursor int64
}

// OrderView is an order with its Amazon Pay side (nil before checkout).
type OrderView struct {
	Order   *shop.Order
	Payment *shop.Payment
}

// OrderPage is one page of a listing. Next is the cursor of the next page,
// 0 at the end. A page may hold fewer than Limit orders (even none) and
// still have a Next: one request examines a bounded number of orders.
type OrderPage struct {
	Orders []OrderView
	Next   int64
}

// ValidPaymentMethod reports whether m is a payment method filter value.
func ValidPaymentMethod(m string) bool {
	return m == PaymentMethodAmazonPay || m == PaymentMethodNone || m == paymentMethodWoo
}

// searchBatch and searchBudget bound the work of one SearchOrders call:
// orders are read newest first in batches, and filters on Amazon Pay
// states are applied to each order's payment.
const (
	searchBatch  = 200
	searchBudget = 5000
)

// SearchOrders lists orders newest first, filtered by q, one page at a
// time. Status is filtered by the database; the Amazon Pay filters and the
// creation range on each order's payment, examining at most a few thousand
// orders per call (the page then ends early with a Next cursor).
func SearchOrders(ctx context.Context, store shop.Repository, q OrderQuery) (*OrderPage, error) {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 200:
		limit = 200
	}
	page := &OrderPage{}
	before := q.Cursor
	for scanned := 0; scanned < searchBudget; {
		batch, err := store.Orders(ctx, shop.OrderFilter{Status: q.Status, BeforeID: before, Limit: searchBatch})
		if err != nil {
			return nil, err
		}
		for _, o := range batch {
			scanned++
			before = o.ID
			v, ok, err := match(ctx, store, o, &q)
			if err != nil {
				return nil, err
			}
			if ok {
				page.Orders = append(page.Orders, v)
				if len(page.Orders) == limit {
					page.Next = o.ID
					return page, nil
				}
			}
		}
		if len(batch) < searchBatch {
			return page, nil
		}
	}
	page.Next = before
	return page, nil
}

// match applies q's filters other than status to one order.
func match(ctx context.Context, store shop.Repository, o *shop.Order, q *OrderQuery) (OrderView, bool, error) {
	v := OrderView{Order: o}
	if !q.CreatedFrom.IsZero() && o.CreatedAt.Before(q.CreatedFrom) {
		return v, false, nil
	}
	if !q.CreatedTo.IsZero() && !o.CreatedAt.Before(q.CreatedTo) {
		return v, false, nil
	}
	p, err := store.Payment(ctx, o.ID)
	switch {
	case err == nil:
		v.Payment = p
	case shop.ErrorCode(err) != shop.ENOTFOUND:
		return v, false, err
	}
	paid := p != nil && p.ChargePermissionID != ""
	switch q.PaymentMethod {
	case PaymentMethodAmazonPay, paymentMethodWoo:
		if !paid {
			return v, false, nil
		}
	case PaymentMethodNone:
		if paid {
			return v, false, nil
		}
	}
	if len(q.ChargePermissionState) > 0 && (p == nil || !slices.Contains(q.ChargePermissionState, p.ChargePermissionState)) {
		return v, false, nil
	}
	if len(q.ChargeState) > 0 && (p == nil || !slices.ContainsFunc(p.Charges, func(c shop.Charge) bool {
		return slices.Contains(q.ChargeState, string(c.State))
	})) {
		return v, false, nil
	}
	if len(q.RefundState) > 0 && (p == nil || !slices.ContainsFunc(p.Refunds, func(r shop.Refund) bool {
		return slices.Contains(q.RefundState, string(r.State))
	})) {
		return v, false, nil
	}
	return v, true, nil
}
