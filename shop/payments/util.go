package payments

import (
	"errors"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/internal/money"
)

// format renders minor units with their currency for messages.
func format(minor int64, currency string) string {
	s, err := money.Format(minor, currency)
	if err != nil {
		return "?"
	}
	return s + " " + currency
}

// hasCode reports whether err is an *Error with Amazon Pay's code.
func hasCode(err error, code amazonpay.ReasonCode) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == string(code)
}
