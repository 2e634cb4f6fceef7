package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

func TestAsError(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{shop.Errorf(shop.ENOTFOUND, "x"), 404, CodeOrderNotFound},
		{shop.Errorf(shop.EINVALID, "x"), 400, CodeInvalidRequest},
		{shop.Errorf(shop.ECONFLICT, "x"), 409, CodeConflict},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), 503, CodeAmazonUnavailable},
		{errors.New("sql: connection refused to postgres://user:pw@host"), 500, CodeInternal},
		{amazonError(amazonpay.ReasonTransactionAmountExceeded, "x"), 400, "TransactionAmountExceeded"},
		{fromAmazon(&amazonpay.APIError{StatusCode: 422, ReasonCode: amazonpay.ReasonHardDeclined, Message: "no"}), 422, "HardDeclined"},
		{fromAmazon(&amazonpay.APIError{StatusCode: 500, ReasonCode: amazonpay.ReasonProcessingFailure}), 503, "ProcessingFailure"},
		{fromAmazon(&amazonpay.APIError{StatusCode: 502}), 503, CodeAmazonUnavailable},
		{fromAmazon(&amazonpay.RequestError{Operation: "CaptureCharge", Err: errors.New("reset")}), 503, CodeAmazonUnavailable},
		{fromAmazon(&amazonpay.InputError{Field: "amount", Reason: "bad"}), 400, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		e := AsError(tt.err)
		if e.Status != tt.status || e.Code != tt.code {
			t.Errorf("%v: got %d %s, want %d %s", tt.err, e.Status, e.Code, tt.status, tt.code)
		}
		if e.Code == CodeInternal && e.Message != "Internal error." {
			t.Errorf("internal error text leaks: %q", e.Message)
		}
	}
	for code, status := range map[amazonpay.ReasonCode]int{
		amazonpay.ReasonCurrencyMismatch: 400, amazonpay.ReasonUnauthorizedAccess: 401, amazonpay.ReasonInvalidRequestSignature: 403,
		amazonpay.ReasonResourceNotFound: 404, amazonpay.ReasonAmountMismatch: 409, amazonpay.ReasonInvalidChargeStatus: 422,
		amazonpay.ReasonTooManyRequests: 429, amazonpay.ReasonProcessingFailure: 500, amazonpay.ReasonServiceUnavailable: 503,
		"SomethingNew": http.StatusUnprocessableEntity,
	} {
		if got := StatusForReason(code); got != status {
			t.Errorf("StatusForReason(%s) = %d, want %d", code, got, status)
		}
	}
}

func TestRefundCharge(t *testing.T) {
	p := &shop.Payment{
		Charges: []shop.Charge{
			{ID: "A", State: shop.ChargeCaptured, CapturedAmount: 4000},
			{ID: "B", State: shop.ChargeCanceled},
			{ID: "C", State: shop.ChargeCaptured, CapturedAmount: 6000},
		},
		Refunds: []shop.Refund{
			{ID: "r1", ChargeID: "A", Amount: 4000, State: shop.RefundRefunded},
			{ID: "r2", ChargeID: "C", Amount: 1000, State: shop.RefundDeclined}, // does not count
		},
	}
	tests := []struct {
		amount int64
		want   string
		most   int64
	}{
		{600, "A", 600},   // A: 4000 + 600 margin − 4000
		{601, "C", 6900},  // C: 6000 + 900 margin
		{6900, "C", 6900}, // the most C can take
		{6901, "", 6900},  // no one charge can
	}
	for _, tt := range tests {
		c, most := refundCharge(p, "USD", tt.amount)
		got := ""
		if c != nil {
			got = c.ID
		}
		if got != tt.want || most != tt.most {
			t.Errorf("refund %d: charge %q room %d, want %q %d", tt.amount, got, most, tt.want, tt.most)
		}
	}
}
