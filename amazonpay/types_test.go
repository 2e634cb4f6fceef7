package amazonpay

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// A Get Checkout Session response in the shape Amazon Pay sends: every key
// present, unset ones null, plus a key this SDK does not know.
const checkoutSessionJSON = `{
  "checkoutSessionId": "7efe55c3-38c7-4a1b-944d-aded27032b9a",
  "webCheckoutDetails": {"checkoutReviewReturnUrl": "https://localhost/review", "checkoutResultReturnUrl": "https://localhost/result",
    "checkoutCancelUrl": null, "amazonPayRedirectUrl": "https://apay-us.amazon.com/checkout/processing?amazonCheckoutSessionId=7efe", "checkoutMode": null},
  "productType": "PayAndShip",
  "paymentDetails": {"paymentIntent": "Authorize", "canHandlePendingAuthorization": false,
    "chargeAmount": {"amount": "1.40", "currencyCode": "USD"}, "totalOrderAmount": null, "softDescriptor": null,
    "presentmentCurrency": "USD", "allowOvercharge": null, "extendExpiration": null},
  "chargePermissionType": "OneTime", "recurringMetadata": null,
  "merchantMetadata": {"merchantReferenceId": "2020-0001", "merchantStoreName": "Store", "noteToBuyer": "Order #1", "customInformation": null},
  "supplementaryData": null,
  "buyer": {"name": "Sandbox Guillot", "email": "g@example.com", "buyerId": "amzn1.account.AFBD", "primeMembershipTypes": null, "phoneNumber": null},
  "billingAddress": null,
  "paymentPreferences": [null, {"paymentDescriptor": "Visa ****1111 (Amazon Pay)"}],
  "statusDetails": {"state": "Open", "reasonCode": null, "reasonDescription": null, "lastUpdatedTimestamp": "20201023T211923Z"},
  "shippingAddress": {"name": "Susie Smith", "addressLine1": "10 Ditka Ave", "addressLine2": "Suite 2500", "addressLine3": null,
    "city": "Chicago", "county": null, "district": null, "stateOrRegion": "IL", "postalCode": "60602", "countryCode": "US", "phoneNumber": "800-000-0000"},
  "shippingAddressList": ["{\"addressId\":\"a1\",\"name\":\"Susie Smith\",\"city\":\"Chicago\",\"countryCode\":\"US\"}", null, {"name":"Object Form"}],
  "platformId": null, "chargePermissionId": null, "chargeId": null, "constraints": [],
  "creationTimestamp": "20201023T211909Z", "expirationTimestamp": "20201024T211909Z",
  "storeId": "amzn1.application-oa2-client.d9da", "providerMetadata": {"providerReferenceId": null},
  "releaseEnvironment": "Sandbox", "checkoutButtonText": null, "deliverySpecifications": null,
  "someFutureField": {"nested": [1, 2, 3]}
}`

func TestDecodeCheckoutSession(t *testing.T) {
	var cs CheckoutSession
	if err := json.Unmarshal([]byte(checkoutSessionJSON), &cs); err != nil {
		t.Fatal(err)
	}
	if cs.State() != CheckoutSessionOpen || cs.ProductType != ProductTypePayAndShip || cs.ReleaseEnvironment != ReleaseEnvironmentSandbox {
		t.Errorf("enums: %+v", cs)
	}
	if cs.PaymentDetails.ChargeAmount != (Price{"1.40", "USD"}) || *cs.PaymentDetails.CanHandlePendingAuthorization || cs.PaymentDetails.AllowOvercharge != nil {
		t.Errorf("payment details %+v", cs.PaymentDetails)
	}
	if !cs.CreationTimestamp.Equal(time.Date(2020, 10, 23, 21, 19, 9, 0, time.UTC)) || !cs.StatusDetails.LastUpdatedTimestamp.Equal(time.Date(2020, 10, 23, 21, 19, 23, 0, time.UTC)) {
		t.Errorf("timestamps %v %v", cs.CreationTimestamp, cs.StatusDetails.LastUpdatedTimestamp)
	}
	wantList := AddressList{{AddressID: "a1", Name: "Susie Smith", City: "Chicago", CountryCode: "US"}, {Name: "Object Form"}}
	if !reflect.DeepEqual(cs.ShippingAddressList, wantList) {
		t.Errorf("shippingAddressList %+v", cs.ShippingAddressList)
	}
	if cs.BillingAddress != nil || cs.ShippingAddress.City != "Chicago" || cs.ShippingAddress.AddressLine3 != "" {
		t.Errorf("addresses %+v %+v", cs.BillingAddress, cs.ShippingAddress)
	}
	if len(cs.PaymentPreferences) != 2 || cs.PaymentPreferences[0] != nil || cs.PaymentPreferences[1].PaymentDescriptor == "" {
		t.Errorf("payment preferences %+v", cs.PaymentPreferences)
	}
	if cs.Constraints == nil || len(cs.Constraints) != 0 {
		t.Errorf("constraints %#v", cs.Constraints)
	}
}

// The captured Complete response: almost everything null.
func TestDecodeNullHeavyResponse(t *testing.T) {
	const in = `{"checkoutSessionId":"ac47","webCheckoutDetails":null,"productType":null,"paymentDetails":null,"chargePermissionType":null,
	"recurringMetadata":null,"merchantMetadata":null,"supplementaryData":null,"buyer":null,"billingAddress":null,"paymentPreferences":null,
	"statusDetails":{"state":"Completed","reasonCode":null,"reasonDescription":null,"lastUpdatedTimestamp":"20220306T091425Z"},
	"shippingAddress":null,"platformId":null,"chargePermissionId":"C01-2612863-4691163","chargeId":"S01-5454037-1929856-C015396",
	"constraints":null,"creationTimestamp":"20220306T085901Z","expirationTimestamp":null,"storeId":null,"providerMetadata":null,
	"releaseEnvironment":null,"deliverySpecifications":null,"shippingAddressList":null}`
	var cs CheckoutSession
	if err := json.Unmarshal([]byte(in), &cs); err != nil {
		t.Fatal(err)
	}
	if cs.State() != CheckoutSessionCompleted || cs.ChargeID == "" || !cs.ExpirationTimestamp.IsZero() || cs.ShippingAddressList != nil {
		t.Errorf("got %+v", cs)
	}
	// Absent and null decode alike.
	var a, b CheckoutSession
	if err := json.Unmarshal([]byte(`{"checkoutSessionId":"x","buyer":null,"creationTimestamp":null}`), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"checkoutSessionId":"x"}`), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("null %+v != absent %+v", a, b)
	}
}

func TestDecodeChargeAndPermission(t *testing.T) {
	const charge = `{"chargeId":"P21-1111111-1111111-C111111","chargePermissionId":"P21-1111111-1111111",
	"chargeAmount":{"amount":"14.00","currencyCode":"USD"},"captureAmount":{"amount":"14.00","currencyCode":"USD"},
	"refundedAmount":{"amount":"0.00","currencyCode":"USD"},"convertedAmount":"14.00","conversionRate":"1.00",
	"softDescriptor":"Descriptor","merchantMetadata":null,"providerMetadata":{"providerReferenceId":null},
	"chargeInitiator":"CITU","channel":"Web","statusDetails":{"state":"Captured","reasonCode":null,"reasonDescription":null,
	"lastUpdatedTimestamp":"20190714T155300Z"},"creationTimestamp":"20190714T155300Z","expirationTimestamp":"20190715T155300Z","releaseEnvironment":"Sandbox"}`
	var ch Charge
	if err := json.Unmarshal([]byte(charge), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.State() != ChargeCaptured || ch.ChargeInitiator != ChargeInitiatorCITU || ch.Channel != ChannelWeb {
		t.Errorf("charge %+v", ch)
	}
	if n, err := ch.RefundedAmount.MinorUnits(); err != nil || n != 0 {
		t.Errorf("refunded %d %v", n, err)
	}
	if ch.ConvertedAmount.Amount != "14.00" || ch.ConversionRate != "1.00" {
		t.Errorf("conversion %+v %q", ch.ConvertedAmount, ch.ConversionRate)
	}
	// The .NET model's shapes decode too: a Price and a number.
	var ch2 Charge
	if err := json.Unmarshal([]byte(`{"chargeId":"x","convertedAmount":{"amount":"12.00","currencyCode":"EUR"},"conversionRate":0.857}`), &ch2); err != nil {
		t.Fatal(err)
	}
	if ch2.ConvertedAmount.Price != (Price{"12.00", "EUR"}) || ch2.ConversionRate != "0.857" {
		t.Errorf("conversion %+v %q", ch2.ConvertedAmount, ch2.ConversionRate)
	}
	for _, v := range []LooseAmount{{Price{"14.00", ""}}, {Price{"12.00", "EUR"}}} {
		b, _ := json.Marshal(v)
		var back LooseAmount
		if err := json.Unmarshal(b, &back); err != nil || back != v {
			t.Errorf("%+v → %s → %+v", v, b, back)
		}
	}
	const cp = `{"chargePermissionId":"C01-1","statusDetails":{"state":"NonChargeable","reasons":[{"reasonCode":"ChargeInProgress","reasonDescription":"x"},{"reasonCode":"BrandNewReason"}],"lastUpdatedTimestamp":"20211215T152829Z"},
	"limits":{"amountLimit":{"amount":"100000","currencyCode":"JPY"},"amountBalance":{"amount":"90000","currencyCode":"JPY"}},
	"recurringMetadata":{"frequency":{"unit":"Month","value":"1"},"amount":null},"chargePermissionType":"Recurring","presentmentCurrency":"JPY"}`
	var p ChargePermission
	if err := json.Unmarshal([]byte(cp), &p); err != nil {
		t.Fatal(err)
	}
	if p.State() != ChargePermissionNonChargeable || p.StatusDetails.Reasons[1].ReasonCode != "BrandNewReason" || p.RecurringMetadata.Frequency.Unit != FrequencyMonth {
		t.Errorf("charge permission %+v", p)
	}
	if n, _ := p.Limits.AmountBalance.MinorUnits(); n != 90000 {
		t.Errorf("balance %d", n)
	}
}

func TestTimestamp(t *testing.T) {
	want := time.Date(2024, 1, 15, 12, 34, 56, 0, time.UTC)
	for in, w := range map[string]time.Time{
		`"20240115T123456Z"`:          want,
		`"2024-01-15T12:34:56Z"`:      want,
		`"2024-01-15T13:34:56+01:00"`: want,
		`1705322096`:                  want,
		`null`:                        {},
		`""`:                          {},
	} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(in), &ts); err != nil || !ts.Equal(w) {
			t.Errorf("%s → %v, %v", in, ts, err)
		}
	}
	for _, bad := range []string{`"yesterday"`, `1.5`, `true`, `"20241315T000000Z"`, `253402300800`, `-62135596801`, `"9999-12-31T23:00:00-05:00"`} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	b, _ := json.Marshal(NewTimestamp(want.Add(300 * time.Millisecond)))
	if string(b) != `"20240115T123456Z"` {
		t.Errorf("marshal %s", b)
	}
	if b, _ := json.Marshal(Timestamp{}); string(b) != "null" || (Timestamp{}).String() != "" {
		t.Errorf("zero marshals to %s", b)
	}
	type req struct {
		At Timestamp `json:"at,omitzero"`
	}
	if b, _ := json.Marshal(req{}); string(b) != `{}` {
		t.Errorf("omitzero: %s", b)
	}
}

func TestAddressListRoundTrip(t *testing.T) {
	in := AddressList{{Name: "A", City: "B"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `["{\"name\":\"A\",\"city\":\"B\"}"]` {
		t.Errorf("marshal %s", b)
	}
	var out AddressList
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("round trip %+v %v", out, err)
	}
	if err := json.Unmarshal([]byte(`["not json"]`), &out); err == nil {
		t.Error("bad element accepted")
	}
}

func TestRequestsOmitUnset(t *testing.T) {
	b, _ := json.Marshal(&UpdateCheckoutSessionRequest{PaymentDetails: &PaymentDetails{PaymentIntent: PaymentIntentConfirm}})
	if string(b) != `{"paymentDetails":{"paymentIntent":"Confirm"}}` {
		t.Errorf("update: %s", b)
	}
	b, _ = json.Marshal(&CreateChargeRequest{ChargePermissionID: "S", ChargeAmount: usd14})
	if string(b) != `{"chargePermissionId":"S","chargeAmount":{"amount":"14.00","currencyCode":"USD"}}` {
		t.Errorf("create charge: %s", b)
	}
}

// FuzzDecodeModels: arbitrary bodies never panic the decoders, and what
// decodes re-encodes to JSON that is a fixed point (decoding and encoding
// it again gives the same bytes: nothing is lost or invented).
func FuzzDecodeModels(f *testing.F) {
	for _, s := range []string{checkoutSessionJSON, `{}`, `null`, `{"chargeAmount":{"amount":1e400}}`,
		`{"shippingAddressList":["{}",null,{"name":"x"}]}`, `{"creationTimestamp":"20240115T123456Z"}`,
		`{"statusDetails":{"reasons":[{"reasonCode":"x"}]}}`, `{"creationTimestamp":-62135596801}`, `{"creationTimestamp":253402300800}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, new(CheckoutSession))
		roundTrip(t, data, new(ChargePermission))
		roundTrip(t, data, new(Charge))
		roundTrip(t, data, new(Refund))
		roundTrip(t, data, new(Dispute))
		roundTrip(t, data, new(ReportList))
	})
}

func roundTrip[T any](t *testing.T, data []byte, v *T) {
	if err := json.Unmarshal(data, v); err != nil {
		return
	}
	b1, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T decoded from %q but does not encode: %v", v, data, err)
	}
	w := new(T)
	if err := json.Unmarshal(b1, w); err != nil {
		t.Fatalf("%T re-decode of %s: %v", v, b1, err)
	}
	b2, err := json.Marshal(w)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("%T is not stable:\n%s\n%s (%v)", v, b1, b2, err)
	}
}
