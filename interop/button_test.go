package interop

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// TestButtonSignatureBothWays: the Node SDK's generateButtonSignature
// verifies with signing.VerifyButtonSignature, and apaykit's
// SignButtonPayload verifies with Node's crypto.verify over the string the
// SDK signs for the same payload bytes.
func TestButtonSignatureBothWays(t *testing.T) {
	requireNode(t)
	type buttonCase struct {
		Name        string     `json:"name"`
		Config      nodeConfig `json:"config"`
		Payload     any        `json:"payload"`
		PublicKey   string     `json:"publicKey"`
		GoSignature string     `json:"goSignature"`
	}
	// An object payload reaches the SDK as an object, which it turns into
	// JSON itself; apaykit signs the bytes json.Encoder makes without HTML
	// escaping, and the test checks they are the bytes Node signed.
	object := map[string]any{
		"webCheckoutDetails": map[string]any{"checkoutReviewReturnUrl": "https://shop.example/review?a=1&b=2"},
		"storeId":            "amzn1.application-oa2-client.000000000000000000000000000000000",
		"scopes":             []string{"name", "email", "phoneNumber", "billingAddress"},
	}
	var objBytes bytes.Buffer
	enc := json.NewEncoder(&objBytes)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(object); err != nil {
		t.Fatal(err)
	}
	objJSON := bytes.TrimRight(objBytes.Bytes(), "\n")

	payloads := []struct {
		name  string
		node  any
		bytes []byte
	}{
		{"string payload, non-ASCII", `{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/レビュー"},"storeId":"amzn1.application-oa2-client.x","chargePermissionType":"Recurring","recurringMetadata":{"frequency":{"unit":"Month","value":"1"}},"merchantMetadata":{"merchantStoreName":"Bäckerei 🥨"}}`, nil},
		{"object payload", object, objJSON},
	}
	k := testKeys(t)
	var cases []buttonCase
	type want struct {
		alg     signing.Algorithm
		payload []byte
	}
	var wants []want
	for _, p := range payloads {
		b := p.bytes
		if b == nil {
			b = []byte(p.node.(string))
		}
		for _, alg := range []signing.Algorithm{signing.AlgorithmV1, signing.AlgorithmV2} {
			s, err := signing.NewSigner(sandboxID, k[0].key, alg)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.SignButtonPayload(b)
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, buttonCase{
				Name:      p.name + "/" + string(alg),
				Config:    nodeConfig{PublicKeyID: sandboxID, PrivateKey: k[0].pkcs8PEM, Region: "us", Algorithm: string(alg)},
				Payload:   p.node,
				PublicKey: k[0].publicPEM, GoSignature: sig,
			})
			wants = append(wants, want{alg, b})
		}
	}
	var out struct {
		Results []struct {
			Name               string `json:"name"`
			Error              string `json:"error"`
			PayloadJSON        string `json:"payloadJSON"`
			NodeSignature      string `json:"nodeSignature"`
			StringToSign       string `json:"stringToSign"`
			GoVerified         bool   `json:"goVerified"`
			GoVerifiedTampered bool   `json:"goVerifiedTampered"`
		} `json:"results"`
	}
	runNode(t, "button.js", struct {
		Cases []buttonCase `json:"cases"`
	}{cases}, &out)
	if len(out.Results) != len(cases) {
		t.Fatalf("button.js returned %d results for %d cases", len(out.Results), len(cases))
	}
	for i, r := range out.Results {
		w := wants[i]
		t.Run(cases[i].Name, func(t *testing.T) {
			if r.Error != "" {
				t.Fatal(r.Error)
			}
			if r.PayloadJSON != string(w.payload) {
				t.Fatalf("Node signed payload %q, Go signed %q", r.PayloadJSON, w.payload)
			}
			if want := string(w.alg) + "\n" + signing.HashHex(w.payload); r.StringToSign != want {
				t.Errorf("Node's string to sign %q, want %q", r.StringToSign, want)
			}
			if err := signing.VerifyButtonSignature(&k[0].key.PublicKey, w.alg, w.payload, r.NodeSignature); err != nil {
				t.Errorf("Node button signature does not verify in Go: %v", err)
			}
			other := signing.AlgorithmV1
			if w.alg == other {
				other = signing.AlgorithmV2
			}
			if err := signing.VerifyButtonSignature(&k[0].key.PublicKey, other, w.payload, r.NodeSignature); err == nil {
				t.Error("Node button signature verifies under the other algorithm (negative control)")
			}
			if !r.GoVerified {
				t.Error("Go button signature does not verify in Node")
			}
			if r.GoVerifiedTampered {
				t.Error("a tampered Go button signature verifies in Node (negative control)")
			}
		})
	}
}
