package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
)

// kind is the JSON shape a required field must have.
type kind int

const (
	// kindID is a non-blank string that is safe as a path segment or query
	// value: Amazon Pay ids, store ids, tokens.
	kindID kind = iota
	// kindString is a non-empty string.
	kindString
	// kindPrice is {"amount": "…", "currencyCode": "…"} with a well-formed
	// amount for the currency.
	kindPrice
	// kindObject is a JSON object.
	kindObject
	// kindArray is a non-empty JSON array.
	kindArray
)

// field is a required top-level field of an operation.
type field struct {
	name string
	kind kind
}

// checkRequired verifies one required field, naming it as the document
// wrote it.
func (d *Document) checkRequired(f field) error {
	raw, ok := d.fields[f.name]
	name := d.display(f.name)
	if !ok || isNull(raw) {
		return missingField(name)
	}
	switch f.kind {
	case kindID:
		return checkID(name, raw)
	case kindString:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return wrongType(name, "a string", raw)
		}
		if strings.TrimSpace(s) == "" {
			return badRequest(ReasonMissingParameterValue, "%s is empty", name)
		}
	case kindPrice:
		if jsonKind(raw) != "an object" {
			return wrongType(name, `an object {"amount": "…", "currencyCode": "…"}`, raw)
		}
		return checkPrice(name, raw)
	case kindObject:
		if jsonKind(raw) != "an object" {
			return wrongType(name, "an object", raw)
		}
	case kindArray:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return wrongType(name, "an array", raw)
		}
		if len(items) == 0 {
			return badRequest(ReasonMissingParameterValue, "%s needs at least one entry", name)
		}
	}
	return nil
}

// checkID accepts a string that can name exactly one resource: not blank,
// not a dot segment, no slash, no control character.
func checkID(name string, raw json.RawMessage) error {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return wrongType(name, "a string", raw)
	}
	switch {
	case strings.TrimSpace(s) == "":
		return badRequest(ReasonMissingParameterValue, "%s is empty", name)
	case s == "." || s == "..":
		return badRequest(ReasonInvalidParameterValue, "%s must not be a dot segment", name)
	case strings.ContainsAny(s, "/\\"):
		return badRequest(ReasonInvalidParameterValue, "%s must not contain a slash", name)
	case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return badRequest(ReasonInvalidParameterValue, "%s must not contain control characters", name)
	case len(s) > 1024:
		return badRequest(ReasonInvalidParameterValue, "%s is longer than 1024 characters", name)
	}
	return nil
}

// checkPrices walks every field of the document and checks each object that
// looks like a Price (it has an "amount" or a "currencyCode" next to the
// other), so a malformed amount anywhere is refused before it is sent.
func (d *Document) checkPrices() error {
	for _, name := range d.Fields() {
		if err := walkPrices(d.display(name), d.fields[name]); err != nil {
			return err
		}
	}
	return nil
}

// maxDepth bounds the walk; real documents nest four or five levels.
const maxDepth = 32

func walkPrices(path string, raw json.RawMessage) error {
	return walk(path, raw, 0)
}

// walk visits raw depth-first in key order, so the first bad amount found
// is the same on every run.
func walk(path string, raw json.RawMessage, depth int) error {
	if depth > maxDepth {
		return badRequest(ReasonInvalidParameterValue, "%s nests deeper than %d levels", path, maxDepth)
	}
	switch jsonKind(raw) {
	case "an object":
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil // the typed decode reports it
		}
		_, hasAmount := obj["amount"]
		_, hasCurrency := obj["currencyCode"]
		if hasAmount && hasCurrency {
			return checkPrice(path, raw)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := walk(path+"."+k, obj[k], depth+1); err != nil {
				return err
			}
		}
	case "an array":
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for i, item := range items {
			if err := walk(fmt.Sprintf("%s[%d]", path, i), item, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPrice validates {"amount", "currencyCode"}: the amount a decimal
// string (or a JSON number, which Amazon Pay also takes) that parses exactly
// in the currency's minor units, the currency one Amazon Pay supports.
func checkPrice(path string, raw json.RawMessage) error {
	var p struct {
		Amount       json.RawMessage `json:"amount"`
		CurrencyCode json.RawMessage `json:"currencyCode"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return wrongType(path, "an object", raw)
	}
	if p.Amount == nil || isNull(p.Amount) {
		return missingField(path + ".amount")
	}
	if p.CurrencyCode == nil || isNull(p.CurrencyCode) {
		return missingField(path + ".currencyCode")
	}
	var currency string
	if json.Unmarshal(p.CurrencyCode, &currency) != nil {
		return wrongType(path+".currencyCode", "a string such as \"USD\"", p.CurrencyCode)
	}
	amount, err := amountText(p.Amount)
	if err != nil {
		return wrongType(path+".amount", `a decimal string such as "14.00"`, p.Amount)
	}
	if _, err := amazonpay.ParseAmount(amount, currency); err != nil {
		var ie *amazonpay.InputError
		if errors.As(err, &ie) {
			return badRequest(ReasonInvalidParameterValue, "%s.%s: %s", path, ie.Field, ie.Reason)
		}
		return badRequest(ReasonInvalidParameterValue, "%s: %v", path, err)
	}
	return nil
}

// amountText returns the literal text of an amount given as a JSON string
// or number; a number is never converted through a float.
func amountText(raw json.RawMessage) (string, error) {
	raw = trimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}
