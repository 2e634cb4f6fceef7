package shop

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apaykit/apaykit/internal/money"
)

// Product is something the shop sells. A product with a [BillingPlan] is a
// subscription product: buying it creates a Recurring charge permission and
// a [Subscription] instead of a one-time order.
type Product struct {
	ID int64
	// SKU is the merchant's unique stock-keeping unit, used in URLs and
	// imports.
	SKU  string
	Name string
	// Price is the unit price in minor units of Currency. For a
	// subscription product it is the amount of the first charge (which may
	// be 0 during a trial).
	Price    int64
	Currency string
	// Active products can be added to carts; inactive ones stay readable
	// because old orders and subscriptions refer to them.
	Active bool
	// Plan is set for subscription products only.
	Plan *BillingPlan

	CreatedAt time.Time
	UpdatedAt time.Time
}

// PeriodUnit is the unit of a billing period. The values are Amazon Pay's
// recurringMetadata.frequency.unit strings, so they can be sent as they are.
type PeriodUnit string

// List of values that PeriodUnit can take.
const (
	PeriodDay   PeriodUnit = "Day"
	PeriodWeek  PeriodUnit = "Week"
	PeriodMonth PeriodUnit = "Month"
	PeriodYear  PeriodUnit = "Year"
)

// BillingPlan describes how a subscription product renews: every Count
// Units, charge Amount (minor units of the product's currency), after
// TrialDays free days.
type BillingPlan struct {
	Unit      PeriodUnit
	Count     int
	Amount    int64
	TrialDays int
}

// Validate checks the plan; it returns EINVALID.
func (p BillingPlan) Validate() error {
	switch p.Unit {
	case PeriodDay, PeriodWeek, PeriodMonth, PeriodYear:
	default:
		return Errorf(EINVALID, "Billing period unit must be Day, Week, Month or Year.")
	}
	if p.Count < 1 || p.Count > 366 {
		return Errorf(EINVALID, "Billing period count must be between 1 and 366.")
	}
	if p.Amount <= 0 {
		return Errorf(EINVALID, "Recurring amount must be positive.")
	}
	if p.TrialDays < 0 || p.TrialDays > 730 {
		return Errorf(EINVALID, "Trial days must be between 0 and 730.")
	}
	return nil
}

// PeriodEnd returns the end of the n-th billing period (n ≥ 1) of a
// subscription anchored at anchor. It is computed from the anchor, not by
// adding one period to the previous end, so monthly periods anchored on the
// 31st end on the last day of shorter months and return to the 31st
// afterwards instead of drifting (Jan 31 → Feb 28 → Mar 31).
func (p BillingPlan) PeriodEnd(anchor time.Time, n int) time.Time {
	anchor = anchor.UTC()
	k := n * p.Count
	switch p.Unit {
	case PeriodDay:
		return anchor.AddDate(0, 0, k)
	case PeriodWeek:
		return anchor.AddDate(0, 0, 7*k)
	case PeriodYear:
		return addMonthsClamped(anchor, 12*k)
	default:
		return addMonthsClamped(anchor, k)
	}
}

// addMonthsClamped adds months to t, clamping the day to the last day of the
// target month (time.AddDate would roll Jan 31 + 1 month over to March).
func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// Validate checks a product before it is stored; it returns EINVALID.
func (p *Product) Validate() error {
	p.SKU = strings.TrimSpace(p.SKU)
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case p.SKU == "" || len(p.SKU) > 64:
		return Errorf(EINVALID, "SKU must be 1 to 64 characters.")
	case p.Name == "" || len(p.Name) > 200:
		return Errorf(EINVALID, "Product name must be 1 to 200 characters.")
	case !money.Known(p.Currency):
		return Errorf(EINVALID, "Unsupported currency %q.", p.Currency)
	case p.Price < 0:
		return Errorf(EINVALID, "Price must not be negative.")
	case p.Price > MaxOrderTotal(p.Currency):
		return Errorf(EINVALID, "Price exceeds the largest amount Amazon Pay accepts.")
	}
	if p.Plan != nil {
		return p.Plan.Validate()
	}
	return nil
}

// MaxOrderTotal is the largest charge Amazon Pay accepts in currency, in
// minor units: 150,000 in USD, EUR, GBP (and the other two-decimal
// currencies) and 10,000,000 in JPY.
func MaxOrderTotal(currency string) int64 {
	if currency == "JPY" {
		return 10_000_000
	}
	n, err := money.Units(150_000, currency)
	if err != nil {
		return 0
	}
	return n
}

// ProductFilter selects products for [Store.Products].
type ProductFilter struct {
	// ActiveOnly leaves out inactive products (the storefront sets it).
	ActiveOnly bool
	// Limit caps the result (0 means 100).
	Limit int
	// AfterID pages: only products with ID > AfterID.
	AfterID int64
}

// ProductStore is the product part of the store.
type ProductStore interface {
	// CreateProduct stores p and sets its ID and timestamps. Returns
	// EINVALID for an invalid product and ECONFLICT for a duplicate SKU.
	CreateProduct(ctx context.Context, p *Product) error
	// UpdateProduct saves name, price, currency, active flag and plan of an
	// existing product. Returns ENOTFOUND, EINVALID.
	UpdateProduct(ctx context.Context, p *Product) error
	// Product returns a product by ID. Returns ENOTFOUND.
	Product(ctx context.Context, id int64) (*Product, error)
	// ProductBySKU returns a product by SKU. Returns ENOTFOUND.
	ProductBySKU(ctx context.Context, sku string) (*Product, error)
	// Products lists products ordered by ID.
	Products(ctx context.Context, f ProductFilter) ([]*Product, error)
}

// String renders the plan for people, e.g. "every 1 Month".
func (p BillingPlan) String() string {
	return fmt.Sprintf("every %d %s", p.Count, p.Unit)
}
