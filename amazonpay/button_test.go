package amazonpay

import (
	"encoding/json"
	"errors"
	"html/template"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

func TestSignButtonPayload(t *testing.T) {
	c := newTestClient(t, nil)
	req := &CreateCheckoutSessionRequest{
		WebCheckoutDetails: &WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review?a=1&b=<2>"},
		StoreID:            "amzn1.application-oa2-client.x",
	}
	cfg, err := c.SignButtonPayload(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review?a=1&b=<2>"},"storeId":"amzn1.application-oa2-client.x"}`
	if cfg.PayloadJSON != want {
		t.Errorf("payload\n got %s\nwant %s", cfg.PayloadJSON, want)
	}
	if err := signing.VerifyButtonSignature(&testKey().PublicKey, signing.AlgorithmV2, []byte(cfg.PayloadJSON), cfg.Signature); err != nil {
		t.Errorf("signature: %v", err)
	}
	if cfg.PublicKeyID != "SANDBOX-AEXAMPLEPUBLICKEYID" || cfg.Algorithm != "AMZN-PAY-RSASSA-PSS-V2" {
		t.Errorf("config %+v", cfg)
	}
	// The JSON form uses checkout.js's key names.
	b, _ := json.Marshal(cfg)
	for _, k := range []string{`"payloadJSON":`, `"signature":`, `"publicKeyId":`, `"algorithm":`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
	// html/template renders it into a script so that the page hands the
	// exact signed bytes to checkout.js.
	var page strings.Builder
	tmpl := template.Must(template.New("p").Parse(`<script>var cfg = {{.}};</script>`))
	if err := tmpl.Execute(&page, cfg); err != nil {
		t.Fatal(err)
	}
	js := strings.TrimSuffix(strings.TrimPrefix(page.String(), "<script>var cfg = "), ";</script>")
	var back ButtonConfig
	if err := json.Unmarshal([]byte(js), &back); err != nil || back.PayloadJSON != cfg.PayloadJSON {
		t.Errorf("template round trip: %v\n%s", err, js)
	}
}

func TestSignButtonPayloadVerbatim(t *testing.T) {
	c := newTestClient(t, nil, WithAlgorithm("AMZN-PAY-RSASSA-PSS"))
	raw := `{"storeId":"x",  "webCheckoutDetails":{"checkoutReviewReturnUrl":"https:\/\/a"}}`
	for _, p := range []any{raw, []byte(raw), json.RawMessage(raw)} {
		cfg, err := c.SignButtonPayload(p)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.PayloadJSON != raw || cfg.Algorithm != "AMZN-PAY-RSASSA-PSS" {
			t.Errorf("%T: payload %s", p, cfg.PayloadJSON)
		}
		if err := signing.VerifyButtonSignature(&testKey().PublicKey, signing.AlgorithmV1, []byte(raw), cfg.Signature); err != nil {
			t.Errorf("%T: %v", p, err)
		}
	}
	m := map[string]any{"signInReturnUrl": "https://a/b?x=1&y=2", "storeId": "s"}
	cfg, err := c.SignButtonPayload(m)
	if err != nil || cfg.PayloadJSON != `{"signInReturnUrl":"https://a/b?x=1&y=2","storeId":"s"}` {
		t.Errorf("map payload %q %v", cfg.PayloadJSON, err)
	}
}

func TestSignButtonPayloadRejects(t *testing.T) {
	c := newTestClient(t, nil)
	var nilReq *CreateCheckoutSessionRequest
	for _, p := range []any{nil, "", "[]", "not json", []byte(`{"a":`), 42, nilReq, &CreateCheckoutSessionRequest{}} {
		_, err := c.SignButtonPayload(p)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%#v: err %v", p, err)
		}
	}
}
