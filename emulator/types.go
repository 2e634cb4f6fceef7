package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Value types shared by several resources (api-objects.md §1).

// Address is a postal address as Amazon returns it; every key is sent,
// empty ones as null.
type Address struct {
	AddressID     string `json:"addressId,omitempty"`
	Name          string `json:"name"`
	AddressLine1  string `json:"addressLine1"`
	AddressLine2  string `json:"addressLine2"`
	AddressLine3  string `json:"addressLine3"`
	City          string `json:"city"`
	County        string `json:"county"`
	District      string `json:"district"`
	StateOrRegion string `json:"stateOrRegion"`
	PostalCode    string `json:"postalCode"`
	CountryCode   string `json:"countryCode"`
	PhoneNumber   string `json:"phoneNumber"`
}

// addressWire is Address on the wire (null for empty fields).
type addressWire struct {
	Name          *string `json:"name"`
	AddressLine1  *string `json:"addressLine1"`
	AddressLine2  *string `json:"addressLine2"`
	AddressLine3  *string `json:"addressLine3"`
	City          *string `json:"city"`
	County        *string `json:"county"`
	District      *string `json:"district"`
	StateOrRegion *string `json:"stateOrRegion"`
	PostalCode    *string `json:"postalCode"`
	CountryCode   *string `json:"countryCode"`
	PhoneNumber   *string `json:"phoneNumber"`
}

func (a *Address) wire() *addressWire {
	if a == nil {
		return nil
	}
	return &addressWire{strp(a.Name), strp(a.AddressLine1), strp(a.AddressLine2), strp(a.AddressLine3), strp(a.City),
		strp(a.County), strp(a.District), strp(a.StateOrRegion), strp(a.PostalCode), strp(a.CountryCode), strp(a.PhoneNumber)}
}

// postalAddressIn is an address in a request (Finalize, APB addressDetails, the
// control API's buyer step).
type postalAddressIn struct {
	Name             *string `json:"name"`
	AddressLine1     *string `json:"addressLine1"`
	AddressLine2     *string `json:"addressLine2"`
	AddressLine3     *string `json:"addressLine3"`
	City             *string `json:"city"`
	County           *string `json:"county"`
	District         *string `json:"district"`
	DistrictOrCounty *string `json:"districtOrCounty"`
	StateOrRegion    *string `json:"stateOrRegion"`
	PostalCode       *string `json:"postalCode"`
	CountryCode      *string `json:"countryCode"`
	PhoneNumber      *string `json:"phoneNumber"`
}

func sv(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// address validates and converts; name, addressLine1 and countryCode are
// required.
func (a *postalAddressIn) address(field string) (*Address, *apiError) {
	if a == nil {
		return nil, nil
	}
	out := &Address{Name: sv(a.Name), AddressLine1: sv(a.AddressLine1), AddressLine2: sv(a.AddressLine2),
		AddressLine3: sv(a.AddressLine3), City: sv(a.City), County: sv(a.County), District: sv(a.District),
		StateOrRegion: sv(a.StateOrRegion), PostalCode: sv(a.PostalCode), CountryCode: sv(a.CountryCode), PhoneNumber: sv(a.PhoneNumber)}
	if out.District == "" && a.DistrictOrCounty != nil {
		out.District = *a.DistrictOrCounty
	}
	switch {
	case out.Name == "":
		return nil, errMissing(field + ".name")
	case out.AddressLine1 == "":
		return nil, errMissing(field + ".addressLine1")
	case out.CountryCode == "":
		return nil, errMissing(field + ".countryCode")
	case len(out.CountryCode) != 2:
		return nil, errInvalidValue(field+".countryCode", out.CountryCode)
	}
	for _, v := range []string{out.Name, out.AddressLine1, out.AddressLine2, out.AddressLine3, out.City, out.County, out.District, out.StateOrRegion, out.PostalCode, out.PhoneNumber} {
		if utf8.RuneCountInString(v) > 256 {
			return nil, errInvalidValue(field, truncate(v, 32))
		}
	}
	return out, nil
}

// sameAddress compares the fields a merchant re-sends on Finalize.
func sameAddress(a, b *Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	norm := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	return norm(a.Name) == norm(b.Name) && norm(a.AddressLine1) == norm(b.AddressLine1) &&
		norm(a.PostalCode) == norm(b.PostalCode) && norm(a.CountryCode) == norm(b.CountryCode)
}

// MerchantMetadata is the merchant's order data (api-objects.md §1.6).
type MerchantMetadata struct {
	MerchantReferenceID string `json:"merchantReferenceId"`
	MerchantStoreName   string `json:"merchantStoreName"`
	NoteToBuyer         string `json:"noteToBuyer"`
	CustomInformation   string `json:"customInformation"`
}

// merchantMetadataWire is MerchantMetadata on the wire. Requests send the
// same four fields (merchantMetadataIn shares this field list).
type merchantMetadataWire struct {
	MerchantReferenceID *string `json:"merchantReferenceId"`
	MerchantStoreName   *string `json:"merchantStoreName"`
	NoteToBuyer         *string `json:"noteToBuyer"`
	CustomInformation   *string `json:"customInformation"`
}

func (m *MerchantMetadata) wire() *merchantMetadataWire {
	if m == nil {
		return nil
	}
	return &merchantMetadataWire{strp(m.MerchantReferenceID), strp(m.MerchantStoreName), strp(m.NoteToBuyer), strp(m.CustomInformation)}
}

// merchantMetadataIn is merchantMetadata in a request: the object Amazon
// Pay answers with (api-objects.md §1.6), nothing else.
type merchantMetadataIn merchantMetadataWire

// apply merges the given fields into m (nil m starts empty), checking the
// documented maximum lengths: 256, 50, 255 and 4096 characters.
func (in *merchantMetadataIn) apply(m *MerchantMetadata) (*MerchantMetadata, *apiError) {
	if in == nil {
		return m, nil
	}
	out := MerchantMetadata{}
	if m != nil {
		out = *m
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
		dst  *string
	}{
		{"merchantMetadata.merchantReferenceId", in.MerchantReferenceID, 256, &out.MerchantReferenceID},
		{"merchantMetadata.merchantStoreName", in.MerchantStoreName, 50, &out.MerchantStoreName},
		{"merchantMetadata.noteToBuyer", in.NoteToBuyer, 255, &out.NoteToBuyer},
		{"merchantMetadata.customInformation", in.CustomInformation, 4096, &out.CustomInformation},
	} {
		if f.v == nil {
			continue
		}
		if utf8.RuneCountInString(*f.v) > f.max {
			return nil, errInvalidValue(f.name, truncate(*f.v, 32))
		}
		*f.dst = *f.v
	}
	return &out, nil
}

// RecurringMetadata describes a subscription (api-objects.md §1.7).
type RecurringMetadata struct {
	Unit   string `json:"unit"`
	Value  string `json:"value"`
	Amount *money `json:"amount"`
}

type recurringMetadataIn struct {
	Frequency *struct {
		Unit  *string `json:"unit"`
		Value *string `json:"value"`
	} `json:"frequency"`
	Amount *priceIn `json:"amount"`
}

var frequencyUnits = map[string]bool{"Year": true, "Month": true, "Week": true, "Day": true, "Variable": true}

// parse validates: unit one of Year, Month, Week, Day, Variable; value a
// string of digits (a JSON number is rejected, as Amazon does).
func (in *recurringMetadataIn) parse() (*RecurringMetadata, *apiError) {
	if in == nil {
		return nil, nil
	}
	out := &RecurringMetadata{}
	if f := in.Frequency; f != nil {
		out.Unit, out.Value = sv(f.Unit), sv(f.Value)
		if out.Unit != "" && !frequencyUnits[out.Unit] {
			return nil, errInvalidValue("recurringMetadata.frequency.unit", truncate(out.Unit, 32))
		}
		if out.Value != "" && (!allDigits(out.Value) || len(out.Value) > 4) {
			return nil, errInvalidValue("recurringMetadata.frequency.value", truncate(out.Value, 32))
		}
	}
	if in.Amount != nil {
		m, err := in.Amount.parse("recurringMetadata.amount")
		if err != nil {
			return nil, err
		}
		out.Amount = &m
	}
	return out, nil
}

type frequencyWire struct {
	Unit  *string `json:"unit"`
	Value *string `json:"value"`
}

type recurringMetadataWire struct {
	Frequency *frequencyWire `json:"frequency"`
	Amount    *priceWire     `json:"amount"`
}

func (r *RecurringMetadata) wire() *recurringMetadataWire {
	if r == nil {
		return nil
	}
	w := &recurringMetadataWire{Amount: pricePtr(r.Amount)}
	if r.Unit != "" || r.Value != "" {
		w.Frequency = &frequencyWire{strp(r.Unit), strp(r.Value)}
	}
	return w
}

// statusDetailsWire is the status of a checkout session, charge or refund.
type statusDetailsWire struct {
	State                string  `json:"state"`
	ReasonCode           *string `json:"reasonCode"`
	ReasonDescription    *string `json:"reasonDescription"`
	LastUpdatedTimestamp *string `json:"lastUpdatedTimestamp"`
}

// Status is an object's state with the reason for it.
type Status struct {
	State             string    `json:"state"`
	ReasonCode        string    `json:"reasonCode,omitempty"`
	ReasonDescription string    `json:"reasonDescription,omitempty"`
	Updated           time.Time `json:"updated"`
}

func (s Status) wire() statusDetailsWire {
	return statusDetailsWire{State: s.State, ReasonCode: strp(s.ReasonCode), ReasonDescription: strp(s.ReasonDescription), LastUpdatedTimestamp: wireTime(s.Updated)}
}

type providerMetadataWire struct {
	ProviderReferenceID *string `json:"providerReferenceId"`
}

type providerMetadataIn struct {
	ProviderReferenceID *string `json:"providerReferenceId"`
}

type paymentPreferenceWire struct {
	PaymentDescriptor *string `json:"paymentDescriptor"`
}

// checkSoftDescriptor: at most 16 characters.
func checkSoftDescriptor(field string, v *string) *apiError {
	if v != nil && utf8.RuneCountInString(*v) > 16 {
		return errInvalidValue(field, truncate(*v, 32))
	}
	return nil
}

// checkURL accepts https URLs, and http ones for loopback hosts so a shop
// running on http://127.0.0.1 works (Amazon requires https).
func checkURL(field, v string) *apiError {
	if len(v) > 2048 {
		return errInvalidValue(field, truncate(v, 32))
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return errInvalidValue(field, truncate(v, 64))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasSuffix(h, ".localhost") {
			return nil
		}
	}
	return errorf(http.StatusBadRequest, codeInvalidParameterValue, "The value '%s' provided for '%s' is invalid. The URLs must use HTTPS protocol.", truncate(v, 64), field)
}

// withQuery appends name=value to a URL.
func withQuery(raw, name, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// DeliverySpecifications restrict where the buyer may ship (api-objects.md
// §1.7); the emulator validates and echoes them.
type DeliverySpecifications struct {
	SpecialRestrictions []string             `json:"specialRestrictions"`
	AddressRestrictions *AddressRestrictions `json:"addressRestrictions"`
}

// AddressRestrictions allow or forbid regions per country.
type AddressRestrictions struct {
	Type         string                        `json:"type"`
	Restrictions map[string]RegionRestrictions `json:"restrictions"`
}

// RegionRestrictions are states and zip codes of one country.
type RegionRestrictions struct {
	StatesOrRegions []string `json:"statesOrRegions"`
	ZipCodes        []string `json:"zipCodes"`
}

func (d *DeliverySpecifications) validate() *apiError {
	if d == nil {
		return nil
	}
	for _, r := range d.SpecialRestrictions {
		if r != "RestrictPOBoxes" && r != "RestrictPackstations" {
			return errInvalidValue("deliverySpecifications.specialRestrictions", truncate(r, 32))
		}
	}
	if a := d.AddressRestrictions; a != nil {
		if a.Type != "Allowed" && a.Type != "NotAllowed" {
			return errInvalidValue("deliverySpecifications.addressRestrictions.type", truncate(a.Type, 32))
		}
		for cc := range a.Restrictions {
			if len(cc) != 2 {
				return errInvalidValue("deliverySpecifications.addressRestrictions.restrictions", truncate(cc, 8))
			}
		}
	}
	return nil
}

// jsonString encodes v as a JSON string value (shippingAddressList elements
// are JSON documents inside strings; the SDKs parse each one).
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
