package shop

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/internal/money"
)

// RecurringUsage is what has been charged (or reserved for a charge in
// flight) on one Recurring charge permission in one calendar month, UTC.
// Amazon Pay limits that sum per charge permission per calendar month and
// answers PeriodicAmountExceeded beyond it; the shop tracks it itself so
// renewals that would exceed the limit are refused before calling Amazon Pay.
type RecurringUsage struct {
	ChargePermissionID string
	// Month is "YYYY-MM" in UTC.
	Month    string
	Currency string
	Amount   int64
	// Charges counts reservations.
	Charges   int
	UpdatedAt time.Time
}

// UsageMonth is the calendar month (UTC) that t falls in, as "YYYY-MM".
func UsageMonth(t time.Time) string { return t.UTC().Format("2006-01") }

// RecurringMonthlyLimit is Amazon Pay's monthly limit per Recurring charge
// permission in minor units: USD 1,000 and JPY 100,000 (documented); for the
// EU presentment currencies the v1 billing-agreement table is used (1,000 in
// AUD, CHF, EUR, GBP, NZD; 10,000 in DKK, HKD, NOK, SEK, ZAR). 0 for an
// unknown currency (nothing may be charged).
func RecurringMonthlyLimit(currency string) int64 {
	var units int64
	switch currency {
	case "JPY":
		units = 100_000
	case "DKK", "HKD", "NOK", "SEK", "ZAR":
		units = 10_000
	case "USD", "AUD", "CHF", "EUR", "GBP", "NZD":
		units = 1_000
	default:
		return 0
	}
	n, err := money.Units(units, currency)
	if err != nil {
		return 0
	}
	return n
}

// RecurringUsageStore is the recurring-limit part of the store.
type RecurringUsageStore interface {
	// ReserveRecurringUsage adds amount to the usage of chargePermissionID
	// in the month of at, atomically and only if the result stays within
	// limit; call it before CreateCharge on a Recurring charge permission.
	// Returns EINVALID if the limit would be exceeded or the currency
	// differs from earlier charges that month.
	ReserveRecurringUsage(ctx context.Context, chargePermissionID string, at time.Time, currency string, amount, limit int64) (*RecurringUsage, error)
	// ReleaseRecurringUsage gives back a reservation whose charge was
	// declined or never made (same at as the reservation). It never goes
	// below zero.
	ReleaseRecurringUsage(ctx context.Context, chargePermissionID string, at time.Time, amount int64) error
	// RecurringUsage returns the usage of the month of at (zero Amount if
	// nothing was charged).
	RecurringUsage(ctx context.Context, chargePermissionID string, at time.Time) (*RecurringUsage, error)
}
