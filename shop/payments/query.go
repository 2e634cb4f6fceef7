package payments

import (
	"context"
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
// 0 at the end.
type OrderPage struct {
	Orders []OrderView
	Next   int64
}

// ValidPaymentMethod reports whether m is a payment method filter value.
func ValidPaymentMethod(m string) bool {
	return m == PaymentMethodAmazonPay || m == PaymentMethodNone || m == paymentMethodWoo
}

// SearchOrders lists orders newest first, filtered by q, one page at a
// time. Every filter is applied by the database, so a page is full unless
// it is the last one.
func SearchOrders(ctx context.Context, store shop.Repository, q OrderQuery) (*OrderPage, error) {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 200:
		limit = 200
	}
	f := shop.OrderFilter{
		Status: q.Status, BeforeID: q.Cursor, Limit: limit + 1,
		ChargePermissionState: q.ChargePermissionState, ChargeState: q.ChargeState, RefundState: q.RefundState,
		CreatedFrom: q.CreatedFrom, CreatedTo: q.CreatedTo,
	}
	switch q.PaymentMethod {
	case PaymentMethodAmazonPay, paymentMethodWoo:
		f.Paid = ptr(true)
	case PaymentMethodNone:
		f.Paid = ptr(false)
	}
	orders, err := store.Orders(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &OrderPage{}
	if len(orders) > limit {
		orders = orders[:limit]
		page.Next = orders[limit-1].ID
	}
	for _, o := range orders {
		v := OrderView{Order: o}
		p, err := store.Payment(ctx, o.ID)
		switch {
		case err == nil:
			v.Payment = p
		case shop.ErrorCode(err) != shop.ENOTFOUND:
			return nil, err
		}
		page.Orders = append(page.Orders, v)
	}
	return page, nil
}

func ptr[T any](v T) *T { return &v }
