package emulator

import (
	"encoding/json"
	"testing"
)

// The bodies of the SDK samples (trimmed): onboarding from the .NET tests,
// account management from the PHP README.
const (
	registerBody = `{"uniqueReferenceId":"ABCDEF12345","ledgerCurrency":"JPY","businessInfo":{"businessType":"CORPORATE",
		"countryOfEstablishment":"JP","businessLegalName":"TestingSubmerchant","businessAddress":{"addressLine1":"450",
		"addressLine2":"Noda","city":"香取市","stateOrRegion":"千葉県","postalCode":"289-0314","countryCode":"JP"}},
		"primaryContactPerson":{"personFullName":"Testing","residentialAddress":{"addressLine1":"621-4","city":"Arao City",
		"stateOrRegion":"Kumamoto","postalCode":"836-0806","countryCode":"JP"}}}`
	createBody = `{"uniqueReferenceId":"Unique_Reference_Id","ledgerCurrency":"JPY","businessInfo":{"email":"abhi@abc.com",
		"businessType":"CORPORATE","businessLegalName":"密林コーヒー","businessCategory":"Beauty","businessAddress":{
		"addressLine1":"扇町４丁目５－１","addressLine2":"フルフィルメントセンタービル","city":"小田原市","stateOrRegion":"神奈川県",
		"postalCode":"250-0001","countryCode":"JP","phoneNumber":{"countryCode":"81","number":"2062062061"}},
		"businessDisplayName":"Abhi's Cafe","annualSalesVolume":{"amount":"100000","currencyCode":"JPY"},
		"countryOfEstablishment":"JP","customerSupportInformation":{"customerSupportEmail":"test.merchant_abhi@abc.com",
		"customerSupportPhoneNumber":{"countryCode":"1","number":"1234567","extension":"123"}}},
		"beneficiaryOwners":[{"personFullName":"Abhishek Kumar","residentialAddress":{"addressLine1":"扇町４丁目５－１",
		"city":"小田原市","stateOrRegion":"神奈川県","postalCode":"250-0001","countryCode":"JP",
		"phoneNumber":{"countryCode":"81","number":"2062062061"}}}],"primaryContactPerson":{"personFullName":"Abhishek Kumar"},
		"integrationInfo":{"ipnEndpointUrls":["https://yourdomainname.com/ipnendpoint1"]},
		"stores":[{"domainUrls":["https://yourdomainname.com"],"storeName":"Rufus's Cafe",
		"privacyPolicyUrl":"https://yourdomainname.com/privacy","storeStatus":{"state":"ACTIVE","reasonCode":null}}],
		"merchantStatus":{"statusProvider":"Ayden","state":"ACTIVE","reasonCode":null}}`
)

func TestRegisterOrCreate(t *testing.T) {
	tests := []struct {
		body     string
		register bool
	}{
		{registerBody, true},
		{`{"uniqueReferenceId":"ABCDEF1234","ledgerCurrency":"JPY","businessInfo":{}}`, true},
		{createBody, false},
		{`{"uniqueReferenceId":"x","businessInfo":{"email":"a@b.co"}}`, false},
		{`{"uniqueReferenceId":"x","stores":[]}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := isRegisterBody([]byte(tt.body)); got != tt.register {
			t.Errorf("%.60s: register=%v", tt.body, got)
		}
	}
}

func TestValidateAccounts(t *testing.T) {
	var reg registerAccountIn
	if err := decodeStrict([]byte(registerBody), &reg); err != nil {
		t.Fatal(err)
	}
	if ref, cur, err := validateRegisterAccount(&reg); err != nil || ref != "ABCDEF12345" || cur != "JPY" {
		t.Fatalf("register: %v", err)
	}
	var cr createAccountIn
	if err := decodeStrict([]byte(createBody), &cr); err != nil {
		t.Fatal(err)
	}
	if _, _, err := validateCreateAccount(&cr); err != nil {
		t.Fatalf("create: %v", err)
	}

	mutations := []struct {
		name string
		body string
		code string
	}{
		{"no reference", `{"ledgerCurrency":"JPY","businessInfo":{}}`, codeMissingParameterValue},
		{"no currency", `{"uniqueReferenceId":"r","businessInfo":{}}`, codeMissingParameterValue},
		{"bad currency", `{"uniqueReferenceId":"r","ledgerCurrency":"YEN","businessInfo":{}}`, codeInvalidParameterValue},
		{"no business info", `{"uniqueReferenceId":"r","ledgerCurrency":"JPY"}`, codeMissingParameterValue},
		{"no business type", `{"uniqueReferenceId":"r","ledgerCurrency":"JPY","businessInfo":{}}`, codeMissingParameterValue},
		{"bad business type", `{"uniqueReferenceId":"r","ledgerCurrency":"JPY","businessInfo":{"businessType":"LLC"}}`, codeInvalidParameterValue},
		{"bad country", `{"uniqueReferenceId":"r","ledgerCurrency":"JPY","businessInfo":{"businessType":"INDIVIDUAL","countryOfEstablishment":"Japan"}}`, codeInvalidParameterValue},
		{"no address", `{"uniqueReferenceId":"r","ledgerCurrency":"JPY","businessInfo":{"businessType":"INDIVIDUAL","countryOfEstablishment":"JP","businessLegalName":"n"}}`, codeMissingParameterValue},
	}
	for _, tt := range mutations {
		var in registerAccountIn
		if err := decodeStrict([]byte(tt.body), &in); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if _, _, err := validateRegisterAccount(&in); err == nil || err.ReasonCode != tt.code {
			t.Errorf("%s: got %v; want %s", tt.name, err, tt.code)
		}
	}

	createMutations := []struct {
		name, key string
		value     any
		code      string
	}{
		{"bad email", "businessInfo.email", "not-an-email", codeInvalidParameterValue},
		{"http store", "stores", []any{map[string]any{"domainUrls": []string{"http://shop.example"}}}, codeInvalidParameterValue},
		{"bad ipn url", "integrationInfo", map[string]any{"ipnEndpointUrls": []string{"ftp://x"}}, codeInvalidParameterValue},
		{"bad merchant state", "merchantStatus", map[string]any{"state": "OPEN"}, codeInvalidParameterValue},
		{"owner without name", "beneficiaryOwners", []any{map[string]any{}}, codeMissingParameterValue},
		{"no contact", "primaryContactPerson", nil, codeMissingParameterValue},
		{"bad phone", "businessInfo.customerSupportInformation", map[string]any{"customerSupportPhoneNumber": map[string]any{"countryCode": "+1", "number": "1"}}, codeInvalidParameterValue},
		{"JPY sales with decimals", "businessInfo.annualSalesVolume", map[string]any{"amount": "100.50", "currencyCode": "JPY"}, codeInvalidParameterValue},
	}
	for _, tt := range createMutations {
		var m map[string]any
		_ = json.Unmarshal([]byte(createBody), &m)
		target, key := m, tt.key
		if i := len("businessInfo."); len(key) > i && key[:i] == "businessInfo." {
			target, key = m["businessInfo"].(map[string]any), key[i:]
		}
		target[key] = tt.value
		b, _ := json.Marshal(m)
		var in createAccountIn
		if err := decodeStrict(b, &in); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if _, _, err := validateCreateAccount(&in); err == nil || err.ReasonCode != tt.code {
			t.Errorf("%s: got %v; want %s", tt.name, err, tt.code)
		}
	}
}

func TestValidateAccountUpdates(t *testing.T) {
	var on updateOnboardingAccountIn
	if err := validateUpdateOnboarding(&on); err == nil || err.ReasonCode != codeMissingParameterValue {
		t.Fatalf("empty onboarding update: %v", err)
	}
	if err := decodeStrict([]byte(`{"businessInfo":{"businessLegalName":"New Name"}}`), &on); err != nil {
		t.Fatal(err)
	}
	if err := validateUpdateOnboarding(&on); err != nil {
		t.Fatalf("partial update: %v", err)
	}
	if err := decodeStrict([]byte(`{"businessInfo":{"email":"a@b.co"}}`), &on); err == nil || err.ReasonCode != codeUnrecognizedField {
		t.Fatalf("onboarding accepts an account-management field: %v", err)
	}
	var mg updateManagedAccountIn
	if err := decodeStrict([]byte(`{"businessInfo":{"email":"abhi_updated@abc.com","businessDisplayName":"Golden"}}`), &mg); err != nil {
		t.Fatal(err)
	}
	if err := validateUpdateManaged(&mg); err != nil {
		t.Fatal(err)
	}
	if err := validateUpdateManaged(&updateManagedAccountIn{}); err == nil {
		t.Fatal("empty managed update accepted")
	}
}

func TestMergeDetails(t *testing.T) {
	got := mergeDetails(json.RawMessage(`{"a":1,"b":{"x":1}}`), []byte(`{"b":{"y":2},"c":null,"d":"n"}`))
	if string(got) != `{"a":1,"b":{"y":2},"d":"n"}` {
		t.Fatalf("%s", got)
	}
	if id := newMerchantAccountID(); !merchantIDRe.MatchString(id) {
		t.Fatalf("account id %q is not merchant-id shaped", id)
	}
}

func TestServer_MerchantAccounts(t *testing.T) {
	e := newTestEnv(t)
	post := func(p, b string) req {
		return req{method: "POST", path: p, body: b, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
	}
	reg := wantStatus(t, e.post("/v2/merchantAccounts", registerBody), 200)
	regID := str(reg, "merchantAccountId")
	if !merchantIDRe.MatchString(regID) || str(reg, "uniqueReferenceId") != "ABCDEF12345" {
		t.Fatalf("register %v", reg)
	}
	cr := wantStatus(t, e.post("/v2/merchantAccounts", createBody), 201)
	crID := str(cr, "merchantAccountId")
	e.rejects(post("/v2/merchantAccounts", registerBody), 400, codeInvalidParameterValue) // uniqueReferenceId taken
	e.rejects(post("/v2/merchantAccounts", `{"uniqueReferenceId":"x","ledgerCurrency":"JPY","businessInfo":{"businessType":"CORPORATE"},"stores":[]}`), 400, codeMissingParameterValue)
	e.rejects(post("/v2/merchantAccounts", `{"uniqueReferenceId":"x","ledgerCurrency":"JPY","favouriteColour":"red"}`), 400, codeUnrecognizedField)

	// PATCH: an onboarding account takes the onboarding fields only.
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/merchantAccounts/" + regID, body: `{"businessInfo":{"businessLegalName":"Renamed"}}`}), 200)
	e.rejects(req{method: "PATCH", path: "/v2/merchantAccounts/" + regID, body: `{"businessInfo":{"email":"a@b.co"}}`}, 400, codeUnrecognizedField)
	e.rejects(req{method: "PATCH", path: "/v2/merchantAccounts/" + regID, body: `{}`}, 400, codeMissingParameterValue)
	// A managed account takes both kinds of body.
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/merchantAccounts/" + crID, body: `{"businessInfo":{"email":"abhi_updated@abc.com","businessDisplayName":"Abhi's Golden Cafe"}}`,
		header: map[string]string{"x-amz-pay-authtoken": "AUTH_TOKEN"}}), 200)
	wantStatus(t, e.do(req{method: "PATCH", path: "/v2/merchantAccounts/" + crID, body: `{"businessInfo":{"businessLegalName":"New"}}`}), 200)
	e.rejects(req{method: "PATCH", path: "/v2/merchantAccounts/" + crID, body: `{"businessInfo":{"email":"nope"}}`}, 400, codeInvalidParameterValue)
	e.rejects(req{method: "PATCH", path: "/v2/merchantAccounts/AUNKNOWN00000", body: `{"businessInfo":{"businessLegalName":"x"}}`}, 404, codeResourceNotFound)

	// Claim answers 303 with a Location that a redirect-following client can reach.
	e.rejects(post("/v2/merchantAccounts/"+crID+"/claim", `{"uniqueReferenceId":"wrong"}`), 400, codeInvalidParameterValue)
	e.rejects(post("/v2/merchantAccounts/"+crID+"/claim", `{}`), 400, codeMissingParameterValue)
	claim := e.post("/v2/merchantAccounts/"+crID+"/claim", `{"uniqueReferenceId":"Unique_Reference_Id"}`)
	loc := claim.Header().Get("Location")
	if claim.Code != 303 || loc == "" || str(obj(t, claim), "redirectUrl") != loc {
		t.Fatalf("claim %d %v %s", claim.Code, claim.Header(), claim.Body)
	}
	// A retry with the same idempotency key claims again: same answer.
	key := idem()
	for range 2 {
		again := e.do(req{method: "POST", path: "/v2/merchantAccounts/" + crID + "/claim", body: `{"uniqueReferenceId":"Unique_Reference_Id"}`,
			header: map[string]string{"x-amz-pay-idempotency-key": key}})
		if again.Code != 303 || again.Header().Get("Location") != loc {
			t.Fatalf("retried claim %d %v", again.Code, again.Header())
		}
	}
	page := wantStatus(t, e.fetch("GET", loc, "", nil), 200)
	if str(page, "merchantAccountId") != crID || str(page, "claimStatus") != "ClaimInitiated" {
		t.Fatalf("claim page %v", page)
	}
	wantError(t, e.fetch("GET", claimURL("http://emulator.test", regID), "", nil), 404, codeResourceNotFound)

	// Delete (.NET sends {}); the account is gone for every operation.
	wantStatus(t, e.do(req{method: "DELETE", path: "/v2/merchantAccounts/" + regID, body: `{}`}), 200)
	e.rejects(req{method: "DELETE", path: "/v2/merchantAccounts/" + regID}, 404, codeResourceNotFound)
	e.rejects(req{method: "PATCH", path: "/v2/merchantAccounts/" + regID, body: `{"businessInfo":{"businessLegalName":"x"}}`}, 404, codeResourceNotFound)
	// Its reference can be registered again.
	wantStatus(t, e.post("/v2/merchantAccounts", registerBody), 200)
	// Other solution providers do not see the accounts.
	e.rejects(req{method: "DELETE", path: "/v2/merchantAccounts/" + crID, keyID: otherKeyID}, 404, codeResourceNotFound)
}
