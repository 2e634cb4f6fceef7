package shop

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/internal/money"
)

// MaxCartQuantity is the largest quantity of one product in a cart. It keeps
// typos ("1000" for "10") from reaching checkout and bounds line totals.
const MaxCartQuantity = 99

// MaxCartLines bounds the number of distinct products in one cart.
const MaxCartLines = 50

// Cart is a server-side shopping cart. The buyer's browser holds only its ID
// in a cookie: the ID is a random, unguessable token (it is the only
// credential for the cart), and prices are never taken from the browser.
//
// A cart has one currency, set by its first item; adding a product in
// another currency is EINVALID, because one Amazon Pay checkout charges one
// currency.
type Cart struct {
	ID       string
	Currency string // "" while the cart is empty
	Items    []CartItem
	// CheckoutSessionID is the Amazon Pay checkout session started for this
	// cart, if any, so the review page can find the cart again.
	CheckoutSessionID string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// CartItem is one line of a cart. Name and UnitPrice are read from the
// product when the cart is loaded, so a price change shows before checkout;
// the order then snapshots them.
type CartItem struct {
	ProductID int64
	SKU       string
	Name      string
	UnitPrice int64
	Quantity  int
	// Recurring is the product's plan for subscription products.
	Recurring *BillingPlan
}

// LineTotal is UnitPrice × Quantity.
func (i CartItem) LineTotal() int64 { return i.UnitPrice * int64(i.Quantity) }

// Total is the sum of the line totals in minor units of the cart currency.
// It returns EINVALID if the sum would overflow or exceed what Amazon Pay
// can charge in one order.
func (c *Cart) Total() (int64, error) {
	var total int64
	for _, it := range c.Items {
		line, err := money.Mul(it.UnitPrice, int64(it.Quantity))
		if err != nil {
			return 0, Errorf(EINVALID, "Cart total is too large.")
		}
		if total, err = money.Add(total, line); err != nil {
			return 0, Errorf(EINVALID, "Cart total is too large.")
		}
	}
	if c.Currency != "" && total > MaxOrderTotal(c.Currency) {
		return 0, Errorf(EINVALID, "Cart total exceeds the largest amount Amazon Pay accepts.")
	}
	return total, nil
}

// ValidateQuantity returns EINVALID unless 1 ≤ q ≤ MaxCartQuantity.
func ValidateQuantity(q int) error {
	if q < 1 || q > MaxCartQuantity {
		return Errorf(EINVALID, "Quantity must be between 1 and %d.", MaxCartQuantity)
	}
	return nil
}

// CartStore is the cart part of the store.
type CartStore interface {
	// CreateCart creates an empty cart with a new random ID.
	CreateCart(ctx context.Context) (*Cart, error)
	// Cart returns a cart with its items (names and prices as the products
	// are now). Returns ENOTFOUND.
	Cart(ctx context.Context, id string) (*Cart, error)
	// SetCartItem sets the quantity of a product in a cart, adding the line
	// if needed. Returns ENOTFOUND for an unknown cart or product, EINVALID
	// for a quantity outside 1..99, an inactive product, a currency other
	// than the cart's, or too many lines.
	SetCartItem(ctx context.Context, cartID string, productID int64, quantity int) (*Cart, error)
	// RemoveCartItem removes a product from a cart (no error if absent).
	// Returns ENOTFOUND for an unknown cart.
	RemoveCartItem(ctx context.Context, cartID string, productID int64) (*Cart, error)
	// SetCartCheckoutSession remembers the Amazon Pay checkout session of a
	// cart. Returns ENOTFOUND.
	SetCartCheckoutSession(ctx context.Context, cartID, checkoutSessionID string) error
	// DeleteCart deletes a cart and its items (no error if absent), e.g.
	// once the order has been placed.
	DeleteCart(ctx context.Context, id string) error
	// DeleteCartsBefore deletes carts not updated since before, returning how
	// many; a job calls it to keep the table small.
	DeleteCartsBefore(ctx context.Context, before time.Time) (int64, error)
}
