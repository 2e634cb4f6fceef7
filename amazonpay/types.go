package amazonpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// Timestamp is a point in time as Amazon Pay writes it: UTC in the ISO 8601
// basic form "20060102T150405Z". Decoding also accepts the extended form
// ("2006-01-02T15:04:05Z" and other RFC 3339 times), a JSON number of Unix
// seconds (the Dispute API's form), null and "" (both give the zero value).
// Request fields use omitzero, so a zero Timestamp is never sent.
type Timestamp struct {
	time.Time
}

// NewTimestamp wraps t, normalised to UTC and whole seconds as the API
// stores it.
func NewTimestamp(t time.Time) Timestamp { return Timestamp{t.UTC().Truncate(time.Second)} }

// String renders the basic form, or "" for the zero value.
func (t Timestamp) String() string {
	if t.IsZero() {
		return ""
	}
	return signing.FormatDate(t.Time)
}

// MarshalJSON writes the basic form, or null for the zero value.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + signing.FormatDate(t.Time) + `"`), nil
}

// UnmarshalJSON accepts every form described on [Timestamp].
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*t = Timestamp{}
		return nil
	}
	if b[0] != '"' {
		secs, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || secs < minUnix || secs > maxUnix {
			return fmt.Errorf("amazonpay: timestamp %s is neither a string nor whole Unix seconds", truncate(string(b), 40))
		}
		*t = Timestamp{time.Unix(secs, 0).UTC()}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	parsed, err := parseTimestamp(s)
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// The Unix seconds a Timestamp accepts: years 0001 to 9999, the range the
// string form can express.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

func parseTimestamp(s string) (Timestamp, error) {
	if s == "" {
		return Timestamp{}, nil
	}
	if tm, err := signing.ParseDate(s); err == nil {
		return Timestamp{tm}, nil
	}
	if tm, err := time.Parse(time.RFC3339Nano, s); err == nil && tm.UTC().Year() >= 1 && tm.UTC().Year() <= 9999 {
		return Timestamp{tm.UTC()}, nil
	}
	return Timestamp{}, fmt.Errorf("amazonpay: timestamp %q is not in the form 20060102T150405Z", truncate(s, 40))
}

// Address is a postal address as Amazon Pay returns it (shipping, billing,
// buyer addresses). Unset lines are empty strings.
type Address struct {
	Name          string `json:"name,omitempty"`
	AddressLine1  string `json:"addressLine1,omitempty"`
	AddressLine2  string `json:"addressLine2,omitempty"`
	AddressLine3  string `json:"addressLine3,omitempty"`
	City          string `json:"city,omitempty"`
	County        string `json:"county,omitempty"`
	District      string `json:"district,omitempty"`
	StateOrRegion string `json:"stateOrRegion,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	CountryCode   string `json:"countryCode,omitempty"`
	PhoneNumber   string `json:"phoneNumber,omitempty"`
	// AddressID identifies an address of a PayAndShipMultiAddress checkout.
	AddressID string `json:"addressId,omitempty"`
}

// AddressList is the shippingAddressList of a Checkout Session. On the wire
// every element is a JSON-encoded string (a quirk all official SDKs rely
// on); AddressList decodes those strings, and plain objects too, into
// addresses, skipping null elements. It encodes back to strings.
type AddressList []Address

// UnmarshalJSON decodes string-encoded and object elements alike.
func (l *AddressList) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw == nil {
		*l = nil
		return nil
	}
	out := make(AddressList, 0, len(raw))
	for i, elem := range raw {
		elem = bytes.TrimSpace(elem)
		if len(elem) == 0 || bytes.Equal(elem, []byte("null")) {
			continue
		}
		if elem[0] == '"' {
			var s string
			if err := json.Unmarshal(elem, &s); err != nil {
				return err
			}
			elem = []byte(s)
		}
		var a Address
		if err := json.Unmarshal(elem, &a); err != nil {
			return fmt.Errorf("amazonpay: shippingAddressList[%d]: %w", i, err)
		}
		out = append(out, a)
	}
	*l = out
	return nil
}

// MarshalJSON writes each address as a JSON-encoded string, as the API does.
func (l AddressList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	strs := make([]string, len(l))
	for i, a := range l {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		strs[i] = string(b)
	}
	return json.Marshal(strs)
}

// AddressDetails is the shipping address a merchant supplies for an
// Amazon Pay-hosted one-step checkout (checkoutMode ProcessOrder with
// PayAndShip).
type AddressDetails struct {
	Name             string `json:"name,omitempty"`
	AddressLine1     string `json:"addressLine1,omitempty"`
	AddressLine2     string `json:"addressLine2,omitempty"`
	AddressLine3     string `json:"addressLine3,omitempty"`
	City             string `json:"city,omitempty"`
	DistrictOrCounty string `json:"districtOrCounty,omitempty"`
	StateOrRegion    string `json:"stateOrRegion,omitempty"`
	PostalCode       string `json:"postalCode,omitempty"`
	CountryCode      string `json:"countryCode,omitempty"`
	PhoneNumber      string `json:"phoneNumber,omitempty"`
}

// Buyer is the buyer embedded in a Checkout Session or Charge Permission.
type Buyer struct {
	BuyerID              string   `json:"buyerId,omitempty"`
	Name                 string   `json:"name,omitempty"`
	Email                string   `json:"email,omitempty"`
	PhoneNumber          string   `json:"phoneNumber,omitempty"`
	PrimeMembershipTypes []string `json:"primeMembershipTypes,omitempty"`
}

// StatusDetails is the state of a Checkout Session, Charge or Refund, with
// the reason when the state needs one.
type StatusDetails struct {
	State                string     `json:"state,omitempty"`
	ReasonCode           ReasonCode `json:"reasonCode,omitempty"`
	ReasonDescription    string     `json:"reasonDescription,omitempty"`
	LastUpdatedTimestamp Timestamp  `json:"lastUpdatedTimestamp,omitzero"`
}

// Reason is one entry of a Charge Permission's statusDetails.reasons.
type Reason struct {
	ReasonCode        ReasonCode `json:"reasonCode,omitempty"`
	ReasonDescription string     `json:"reasonDescription,omitempty"`
}

// MerchantMetadata is the merchant's own order data. Limits (enforced by
// Amazon Pay): merchantReferenceId 256, merchantStoreName 50, noteToBuyer
// 255, customInformation 4096 characters.
type MerchantMetadata struct {
	MerchantReferenceID string `json:"merchantReferenceId,omitempty"`
	MerchantStoreName   string `json:"merchantStoreName,omitempty"`
	NoteToBuyer         string `json:"noteToBuyer,omitempty"`
	CustomInformation   string `json:"customInformation,omitempty"`
}

// ProviderMetadata carries a payment service provider's own reference.
type ProviderMetadata struct {
	ProviderReferenceID string `json:"providerReferenceId,omitempty"`
}

// PaymentPreference describes the payment method the buyer chose; show
// PaymentDescriptor verbatim.
type PaymentPreference struct {
	PaymentDescriptor string `json:"paymentDescriptor,omitempty"`
}

// Constraint is something still missing before an Open Checkout Session
// can proceed (for example "ChargeAmountNotSet").
type Constraint struct {
	ConstraintID string `json:"constraintId,omitempty"`
	Description  string `json:"description,omitempty"`
}

// Constraint ids Amazon Pay reports on Open Checkout Sessions.
const (
	ConstraintBuyerNotAssociated            = "BuyerNotAssociated"
	ConstraintChargeAmountNotSet            = "ChargeAmountNotSet"
	ConstraintCheckoutResultReturnURLNotSet = "CheckoutResultReturnUrlNotSet"
	ConstraintPaymentIntentNotSet           = "PaymentIntentNotSet"
	ConstraintRecurringFrequencyNotSet      = "RecurringFrequencyNotSet"
)

// Limits are the amounts a Charge Permission allows: the total (OneTime) or
// monthly (Recurring) limit and what is left of it.
type Limits struct {
	AmountLimit   Price `json:"amountLimit,omitzero"`
	AmountBalance Price `json:"amountBalance,omitzero"`
}

// RecurringMetadata describes a subscription's frequency and amount. Amazon
// Pay only uses it for buyer communication and the expiry date; each cycle
// still needs its own Create Charge.
type RecurringMetadata struct {
	Frequency *Frequency `json:"frequency,omitempty"`
	// Amount is zero when the amount varies.
	Amount Price `json:"amount,omitzero"`
}

// Frequency is a recurring period, for example {Unit: "Month", Value: "1"}.
// Value is a string on the wire; use "0" with FrequencyVariable.
type Frequency struct {
	Unit  FrequencyUnit `json:"unit,omitempty"`
	Value string        `json:"value,omitempty"`
}

// FrequencyUnit is the unit of a recurring frequency.
type FrequencyUnit string

// List of values that FrequencyUnit can take.
const (
	FrequencyYear     FrequencyUnit = "Year"
	FrequencyMonth    FrequencyUnit = "Month"
	FrequencyWeek     FrequencyUnit = "Week"
	FrequencyDay      FrequencyUnit = "Day"
	FrequencyVariable FrequencyUnit = "Variable"
)

// DeliverySpecifications restricts where the buyer may ship to.
type DeliverySpecifications struct {
	SpecialRestrictions []SpecialRestriction `json:"specialRestrictions,omitempty"`
	AddressRestrictions *AddressRestrictions `json:"addressRestrictions,omitempty"`
}

// SpecialRestriction excludes a kind of address.
type SpecialRestriction string

// List of values that SpecialRestriction can take.
const (
	RestrictPOBoxes      SpecialRestriction = "RestrictPOBoxes"
	RestrictPackstations SpecialRestriction = "RestrictPackstations"
)

// AddressRestrictions allows or forbids addresses by country, region and
// postal code.
type AddressRestrictions struct {
	Type         RestrictionType        `json:"type,omitempty"`
	Restrictions map[string]Restriction `json:"restrictions,omitempty"`
}

// RestrictionType says whether AddressRestrictions lists allowed or
// forbidden addresses.
type RestrictionType string

// List of values that RestrictionType can take.
const (
	RestrictionAllowed    RestrictionType = "Allowed"
	RestrictionNotAllowed RestrictionType = "NotAllowed"
)

// Restriction narrows a country to states/regions and postal codes.
type Restriction struct {
	StatesOrRegions []string `json:"statesOrRegions,omitempty"`
	ZipCodes        []string `json:"zipCodes,omitempty"`
}

// PaymentMethodOnFileMetadata marks a Saved Wallet setup.
type PaymentMethodOnFileMetadata struct {
	SetupOnly bool `json:"setupOnly,omitempty"`
}

// ReleaseEnvironment says whether an object lives in Sandbox or Live.
type ReleaseEnvironment string

// List of values that ReleaseEnvironment can take.
const (
	ReleaseEnvironmentSandbox ReleaseEnvironment = "Sandbox"
	ReleaseEnvironmentLive    ReleaseEnvironment = "Live"
)

// Bool returns a pointer to v, for the request fields where "unset" and
// "false" mean different things (for example canHandlePendingAuthorization
// on an update).
func Bool(v bool) *bool { return &v }
