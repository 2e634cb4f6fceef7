package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testMWSToken = "amzn.mws.4ea38b7b-f563-7709-4bae-87aea15c5ab1"

func TestValidateAuthorizationTokenRequest(t *testing.T) {
	tests := []struct {
		token, query, code string
	}{
		{testMWSToken, "merchantId=A3OJ83WFYM72IY", ""},
		{testMWSToken, "", codeMissingParameterValue},
		{testMWSToken, "merchantId=", codeMissingParameterValue},
		{testMWSToken, "merchantId=a3oj83", codeInvalidParameterValue},
		{testMWSToken, "merchantId=A3OJ83WFYM72IY&merchantId=A3OJ83WFYM72IZ", codeInvalidParameterValue},
		{testMWSToken, "merchantId=A3OJ83WFYM72IY&extra=1", codeUnrecognizedField},
		{"token", "merchantId=A3OJ83WFYM72IY", codeInvalidParameterValue},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		_, err := validateAuthorizationTokenRequest(tt.token, q)
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%s?%s: got %v; want %q", tt.token, tt.query, err, tt.code)
		}
	}
}

func TestIssueAuthorizationToken(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	o := Owner{MerchantID: "SP1", Env: Live}
	tokens := map[string]*AuthorizationToken{}
	t1 := issueAuthorizationToken(tokens, o, testMWSToken, "A3OJ83WFYM72IY", now)
	tokens[t1.Token] = t1
	parts := strings.Split(t1.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %s", t1.Token)
	}
	var claims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(b, &claims); err != nil || claims["sub"] != "A3OJ83WFYM72IY" {
		t.Fatalf("claims %s %v", b, err)
	}
	if again := issueAuthorizationToken(tokens, o, testMWSToken, "A3OJ83WFYM72IY", now.Add(10*time.Minute)); again != t1 {
		t.Fatal("a fresh token was not reused")
	}
	later := issueAuthorizationToken(tokens, o, testMWSToken, "A3OJ83WFYM72IY", now.Add(45*time.Minute))
	if later == t1 {
		t.Fatal("a half-expired token was reused")
	}
	pruneAuthorizationTokens(tokens, now.Add(2*time.Hour))
	if len(tokens) != 0 {
		t.Fatal("expired tokens kept")
	}
}

func TestServer_GetAuthorizationToken(t *testing.T) {
	e := newTestEnv(t)
	p := "/v2/authorizationTokens/" + testMWSToken + "?merchantId=A3OJ83WFYM72IY"
	for _, keyID := range []string{liveKeyID, sandboxKeyID} {
		got := wantStatus(t, e.do(req{method: "GET", path: p, keyID: keyID}), 200)
		if tok := str(got, "authorizationToken"); strings.Count(tok, ".") != 2 || len(got) != 1 {
			t.Fatalf("%s: %v", keyID, got)
		}
	}
	first := str(wantStatus(t, e.do(req{method: "GET", path: p, keyID: liveKeyID}), 200), "authorizationToken")
	if again := str(wantStatus(t, e.do(req{method: "GET", path: strings.Replace(p, "?", "/?", 1), keyID: liveKeyID}), 200), "authorizationToken"); again != first {
		t.Fatal("a fresh token was not reused")
	}
	e.rejects(req{method: "GET", path: "/v2/authorizationTokens/" + testMWSToken}, 400, codeMissingParameterValue)
	e.rejects(req{method: "GET", path: "/v2/authorizationTokens/bogus?merchantId=A3OJ83WFYM72IY"}, 400, codeInvalidParameterValue)
	e.rejects(req{method: "GET", path: "/v2/authorizationTokens/" + testMWSToken + "?merchantId=me"}, 400, codeInvalidParameterValue)
	e.rejects(req{method: "POST", path: "/v2/authorizationTokens/" + testMWSToken + "?merchantId=A3OJ83WFYM72IY"}, 405, codeUnsupportedOperation)
}
