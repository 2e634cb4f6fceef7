package shop

import (
	"context"
	"time"
)

// Order is a placed order. Items, prices and the shipping address are
// snapshots taken when the order was created: later changes to products or
// to the buyer's Amazon address book do not rewrite history.
//
// The amount fields track money as Amazon Pay reports it, in minor units of
// Currency, and are maintained by [Order.Apply]:
//
//	Authorized  the open (authorized, not yet captured) authorization, 0 if none
//	Captured    the sum of successful captures
//	Refunded    the sum of refunds Amazon accepted (initiated or completed)
type Order struct {
	ID int64
	// Number is what the buyer sees ("order 7K3M-Q9X2"): random, so that
	// it reveals nothing about sales volume and cannot be enumerated.
	Number   string
	Items    []OrderItem
	Total    int64
	Currency string
	Status   OrderStatus

	Authorized int64
	Captured   int64
	Refunded   int64

	BuyerEmail string
	BuyerName  string
	// Shipping is nil for orders without delivery (digital goods).
	Shipping *Address
	// CartID is the cart the order was placed from, if any.
	CartID string
	// SubscriptionID links renewal orders to their subscription (0 if none).
	SubscriptionID int64

	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases by one with every update; UpdateOrder refuses to
	// save an order whose Version is not the stored one (ECONFLICT), so a
	// read-modify-write can never silently overwrite a concurrent one.
	Version int64
}

// OrderItem is one line of an order, snapshotted from the cart.
type OrderItem struct {
	ProductID int64
	SKU       string
	Name      string
	UnitPrice int64
	Quantity  int
}

// Address is a postal address as Amazon Pay returns it (shippingAddress).
type Address struct {
	Name          string
	AddressLine1  string
	AddressLine2  string
	AddressLine3  string
	City          string
	County        string
	District      string
	StateOrRegion string
	PostalCode    string
	CountryCode   string
	PhoneNumber   string
}

// OrderFilter selects orders for [Store.Orders].
type OrderFilter struct {
	// Status, if set, keeps only orders in these states.
	Status []OrderStatus
	// BuyerEmail, if set, keeps only this buyer's orders.
	BuyerEmail string
	// Paid, if set, keeps orders that have (true) or have not (false) an
	// Amazon Pay charge permission, i.e. whose buyer completed checkout.
	Paid *bool
	// ChargePermissionState, if set, keeps orders whose charge permission
	// is in one of these states (Chargeable, NonChargeable, Closed).
	ChargePermissionState []string
	// ChargeState, if set, keeps orders with at least one charge in one of
	// these states (Authorized, Captured, …).
	ChargeState []string
	// RefundState, if set, keeps orders with at least one refund in one of
	// these states (RefundInitiated, Refunded, Declined).
	RefundState []string
	// CreatedFrom and CreatedTo, if set, bound the creation time:
	// CreatedFrom ≤ t < CreatedTo.
	CreatedFrom, CreatedTo time.Time
	// Limit caps the result (0 means 100, at most 1000).
	Limit int
	// BeforeID pages backwards: only orders with ID < BeforeID (0 = newest).
	BeforeID int64
}

// Validate checks a new order: at least one item, every quantity in range,
// the total equal to the sum of the lines. It returns EINVALID.
func (o *Order) Validate() error {
	if len(o.Items) == 0 {
		return Errorf(EINVALID, "An order needs at least one item.")
	}
	c := Cart{Currency: o.Currency}
	for _, it := range o.Items {
		if err := ValidateQuantity(it.Quantity); err != nil {
			return err
		}
		if it.UnitPrice < 0 {
			return Errorf(EINVALID, "Unit price must not be negative.")
		}
		c.Items = append(c.Items, CartItem{UnitPrice: it.UnitPrice, Quantity: it.Quantity})
	}
	total, err := c.Total()
	if err != nil {
		return err
	}
	if total != o.Total {
		return Errorf(EINVALID, "Order total %d does not match the sum of its items %d.", o.Total, total)
	}
	if o.Total <= 0 {
		return Errorf(EINVALID, "Order total must be positive.")
	}
	return nil
}

// OrderStore is the order part of the store.
type OrderStore interface {
	// CreateOrder stores a new order with its items, in status
	// pending_payment, and sets ID, Number, timestamps and Version 1.
	// Returns EINVALID.
	CreateOrder(ctx context.Context, o *Order) error
	// Order returns an order with its items. Returns ENOTFOUND.
	Order(ctx context.Context, id int64) (*Order, error)
	// OrderByNumber returns an order by its buyer-facing number. Returns
	// ENOTFOUND.
	OrderByNumber(ctx context.Context, number string) (*Order, error)
	// Orders lists orders, newest first.
	Orders(ctx context.Context, f OrderFilter) ([]*Order, error)
	// UpdateOrder saves status, amounts, buyer and shipping fields of o if
	// o.Version is still the stored version, then increments o.Version and
	// sets UpdatedAt. Items and total are immutable. Returns ENOTFOUND, and
	// ECONFLICT if the order changed since it was read.
	UpdateOrder(ctx context.Context, o *Order) error
}
