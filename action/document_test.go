package action

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// seedCreateCharge is the seed's CreateCharge body as printed in the
// v2handlerjs README, annotations included. The fixture test reads the seed
// file itself; this copy pins the exact error position.
const seedCreateCharge = `{
    "action": "CreateCharge",
    "chargePermissionId":"P21-1111111-1111111",
    "chargeAmount": {
        "amount":"1000",
        "currencyCode":"JPY"
    },
    "captureNow":true, default is false
    "softDescriptor":"SOFT_DESCRIPTOR",
    "canHandlePendingAuthorization":false //default is false
}`

func decodeErr(t *testing.T, doc string) *Error {
	t.Helper()
	_, err := Decode([]byte(doc))
	if err == nil {
		t.Fatalf("Decode(%q) succeeded, want an error", doc)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Decode error %T %v is not *Error", err, err)
	}
	return e
}

func TestDecode_AnnotatedSeedBodyNamesLineAndColumn(t *testing.T) {
	e := decodeErr(t, seedCreateCharge)
	if e.Status != 400 || e.ReasonCode != ReasonInvalidRequestFormat {
		t.Fatalf("got %d %s, want 400 InvalidRequestFormat", e.Status, e.ReasonCode)
	}
	want := `malformed JSON at line 8, column 24: invalid character 'd' looking for beginning of object key string (near "default is false")`
	if e.Message != want {
		t.Fatalf("message\n got %s\nwant %s", e.Message, want)
	}
}

func TestDecode_SyntaxErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"empty", "", "the document is empty"},
		{"blank", " \n\t", "the document is empty"},
		{"null", "null", "must be a JSON object, got null"},
		{"array", `[{"action":"GetCharge"}]`, "must be a JSON object, got an array"},
		{"string", `"GetCharge"`, "must be a JSON object, got a string"},
		{"truncated", "{\n  \"action\": \"GetCharge\",\n", "malformed JSON at line 3, column 1: unexpected end of JSON input"},
		{"comment", "{\"action\":\"GetCharge\", // why\n\"chargeId\":\"x\"}", "malformed JSON at line 1, column 24: invalid character '/'"},
		{"trailing garbage", `{"action":"GetCharge"} extra`, "malformed JSON at line 1, column 24: invalid character 'e' after top-level value"},
		{"single quotes", `{'action':'GetCharge'}`, "line 1, column 2: invalid character '\\''"},
		{"unicode column", "{\"note\":\"日本語\",x}", "line 1, column 15: invalid character 'x'"},
		{"control char", "{\"a\":\"\x01\"}", "line 1, column 7: invalid character '\\x01' in string literal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, tt.doc)
			if e.Status != 400 || e.ReasonCode != ReasonInvalidRequestFormat {
				t.Errorf("got %d %s, want 400 InvalidRequestFormat", e.Status, e.ReasonCode)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not contain %q", e.Message, tt.want)
			}
		})
	}
}

func TestDecode_ActionMatchesCaseInsensitively(t *testing.T) {
	for _, name := range []string{"GetCharge", "getcharge", "GETCHARGE", " gEtChArGe "} {
		doc, err := Decode([]byte(`{"action":"` + name + `","chargeId":"S01-1"}`))
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if doc.Action != "GetCharge" {
			t.Errorf("%q resolved to %q", name, doc.Action)
		}
	}
}

func TestDecode_ActionErrors(t *testing.T) {
	tests := []struct {
		name, doc, reason, want string
	}{
		{"missing", `{"chargeId":"x"}`, ReasonMissingParameterValue, "action is required; valid actions: CancelCharge, "},
		{"empty", `{"action":""}`, ReasonMissingParameterValue, "action is empty"},
		{"unknown", `{"action":"RefundEverything"}`, ReasonUnknownAction, `unknown action "RefundEverything"; valid actions: CancelCharge, CancelReportSchedule,`},
		{"number", `{"action":7}`, ReasonInvalidParameterValue, "action must be a string, got a number"},
		{"duplicate", "{\"action\":\"GetCharge\",\n\"action\":\"CreateRefund\"}", ReasonInvalidRequestFormat, `field "action" appears more than once (again at line 2, column 9)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, tt.doc)
			if e.Status != 400 || e.ReasonCode != tt.reason {
				t.Errorf("got %d %s, want 400 %s", e.Status, e.ReasonCode, tt.reason)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not contain %q", e.Message, tt.want)
			}
		})
	}
}

func TestDecode_UnknownActionListsEveryAction(t *testing.T) {
	e := decodeErr(t, `{"action":"Nope"}`)
	for _, name := range Actions() {
		if !strings.Contains(e.Message, name) {
			t.Errorf("message does not list %s", name)
		}
	}
}

func TestDecode_LegacyNamesAreMapped(t *testing.T) {
	doc, err := Decode([]byte(`{"action":"UpdateCheckoutSession","checkoutSessionId":"x",
		"webCheckoutDetail":{"checkoutResultReturnUrl":"https://a.com/r"},
		"paymentDetail":{"paymentIntent":"Authorize"},"idempotencyKey":"k-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	got := doc.Fields()
	want := []string{"checkoutSessionId", "paymentDetails", "webCheckoutDetails"}
	if !slices.Equal(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	if doc.IdempotencyKey != "k-1" {
		t.Errorf("idempotency key %q", doc.IdempotencyKey)
	}
	if doc.display("paymentDetails.chargeAmount.amount") != "paymentDetail.chargeAmount.amount" {
		t.Errorf("errors must quote the name the document used, got %q", doc.display("paymentDetails.chargeAmount.amount"))
	}
}

func TestDecode_BothSpellingsAreRefused(t *testing.T) {
	e := decodeErr(t, `{"action":"UpdateCheckoutSession","paymentDetail":{},"paymentDetails":{}}`)
	if e.ReasonCode != ReasonInvalidParameterCombination || !strings.Contains(e.Message, "paymentDetail and paymentDetails") {
		t.Fatalf("got %s %q", e.ReasonCode, e.Message)
	}
}

func TestDecode_IdempotencyKey(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		{"too long", `"` + strings.Repeat("a", 33) + `"`, "idempotencyKey is longer than 32 characters"},
		{"bad character", `"order 42"`, "idempotencyKey may only contain A-Z a-z 0-9 - _"},
		{"number", `42`, "idempotencyKey must be a string, got a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeErr(t, `{"action":"CreateRefund","idempotencyKey":`+tt.key+`}`)
			if e.Status != 400 || e.Message != tt.want {
				t.Errorf("got %d %q, want 400 %q", e.Status, e.Message, tt.want)
			}
		})
	}
	doc, err := Decode([]byte(`{"action":"CreateRefund","idempotencyKey":null}`))
	if err != nil || doc.IdempotencyKey != "" {
		t.Fatalf("null key: %v %q", err, doc.IdempotencyKey)
	}
}

func TestDecode_TooLarge(t *testing.T) {
	big := make([]byte, MaxDocumentSize+1)
	_, err := Decode(big)
	var e *Error
	if !errors.As(err, &e) || e.Status != 413 {
		t.Fatalf("got %v, want a 413", err)
	}
}

func TestErrorMessagesNeverEchoValues(t *testing.T) {
	// A wrongly typed field must not be quoted back: it may be a token or
	// an address.
	e := decodeErr(t, `{"action":"CreateRefund","idempotencyKey":{"secret":"s3cr3t"}}`)
	if strings.Contains(e.Message, "s3cr3t") {
		t.Fatalf("message echoes the value: %q", e.Message)
	}
}
