package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAWS stands in for Secrets Manager and SSM. It checks that every
// request is a well-formed, correctly signed AWS JSON 1.1 call before it
// answers from its maps.
type fakeAWS struct {
	t          *testing.T
	mu         sync.Mutex
	secrets    map[string]string
	parameters map[string]string
	calls      atomic.Int32
}

// set stores a secret ("secret") or a parameter ("parameter").
func (f *fakeAWS) set(kind, name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if kind == "secret" {
		f.secrets[name] = value
	} else {
		f.parameters[name] = value
	}
}

func (f *fakeAWS) get(kind, name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.parameters
	if kind == "secret" {
		m = f.secrets
	}
	v, ok := m[name]
	return v, ok
}

var authShape = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKIDLAMBDA/(\d{8})/eu-central-1/(secretsmanager|ssm)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	fail := func(status int, typ, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
	}
	m := authShape.FindStringSubmatch(r.Header.Get("Authorization"))
	switch {
	case r.Method != "POST" || r.URL.Path != "/":
		fail(400, "InvalidAction", "want POST /")
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		fail(400, "InvalidContentType", r.Header.Get("Content-Type"))
		return
	case m == nil:
		f.t.Errorf("Authorization %q has not the SigV4 shape", r.Header.Get("Authorization"))
		fail(403, "IncompleteSignatureException", "bad shape")
		return
	case m[3] != "content-type;host;x-amz-date;x-amz-security-token;x-amz-target":
		f.t.Errorf("signed headers %q", m[3])
	case r.Header.Get("X-Amz-Security-Token") != "TOKEN-LAMBDA":
		f.t.Errorf("security token %q", r.Header.Get("X-Amz-Security-Token"))
	case !strings.HasPrefix(r.Header.Get("X-Amz-Date"), m[1]):
		f.t.Errorf("X-Amz-Date %q does not match the scope date %s", r.Header.Get("X-Amz-Date"), m[1])
	}
	// Recompute the signature over what arrived, as AWS does.
	amzDate, _ := time.Parse(sigV4Time, r.Header.Get("X-Amz-Date"))
	check, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	for _, h := range []string{"Content-Type", "X-Amz-Target"} {
		check.Header.Set(h, r.Header.Get(h))
	}
	signV4(check, body, awsCredentials{"AKIDLAMBDA", "SECRETLAMBDA", "TOKEN-LAMBDA"}, "eu-central-1", m[2], amzDate)
	if check.Header.Get("Authorization") != r.Header.Get("Authorization") {
		fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	switch r.Header.Get("X-Amz-Target") {
	case "secretsmanager.GetSecretValue":
		id, _ := in["SecretId"].(string)
		v, ok := f.get("secret", id)
		if !ok {
			fail(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Name": in["SecretId"], "SecretString": v})
	case "AmazonSSM.GetParameter":
		if in["WithDecryption"] != true {
			f.t.Error("GetParameter without WithDecryption")
		}
		name, _ := in["Name"].(string)
		v, ok := f.get("parameter", name)
		if !ok {
			fail(400, "ParameterNotFound", "")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": in["Name"], "Type": "SecureString", "Value": v}})
	default:
		fail(400, "UnknownOperationException", r.Header.Get("X-Amz-Target"))
	}
}

func newFakeAWS(t *testing.T) (*fakeAWS, string) {
	f := &fakeAWS{t: t, secrets: map[string]string{}, parameters: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func awsEnv(endpoint string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIDLAMBDA",
		"AWS_SECRET_ACCESS_KEY": "SECRETLAMBDA",
		"AWS_SESSION_TOKEN":     "TOKEN-LAMBDA",
		"AWS_REGION":            "eu-central-1",
		"AWS_ENDPOINT_URL":      endpoint,
	}
}

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSecretStore(t *testing.T) {
	f, url := newFakeAWS(t)
	f.set("secret", "apay/private-key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
	f.set("secret", "apay/all", `{"privateKey":"pem-from-json","other":"x"}`)
	f.set("parameter", "/apay/api-keys", "k1,k2")
	s, err := newSecretStore(getenvFrom(awsEnv(url)), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if v, err := s.secret(ctx, "apay/private-key"); err != nil || !strings.HasPrefix(v, "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("secret: %q %v", v, err)
	}
	if v, err := s.secret(ctx, "apay/all#privateKey"); err != nil || v != "pem-from-json" {
		t.Errorf("secret field: %q %v", v, err)
	}
	if _, err := s.secret(ctx, "apay/all#missing"); err == nil || !strings.Contains(err.Error(), `no string field "missing"`) {
		t.Errorf("missing field: %v", err)
	}
	if v, err := s.parameter(ctx, "/apay/api-keys"); err != nil || v != "k1,k2" {
		t.Errorf("parameter: %q %v", v, err)
	}
	_, err = s.secret(ctx, "nope")
	if err == nil || !strings.Contains(err.Error(), "400 ResourceNotFoundException") {
		t.Errorf("missing secret: %v", err)
	}
	_, err = s.parameter(ctx, "/nope")
	if err == nil || !strings.Contains(err.Error(), "ParameterNotFound") {
		t.Errorf("missing parameter: %v", err)
	}
}

func TestSecretStoreWrongCredentialsAreRefused(t *testing.T) {
	_, url := newFakeAWS(t)
	env := awsEnv(url)
	env["AWS_SECRET_ACCESS_KEY"] = "WRONG"
	s, _ := newSecretStore(getenvFrom(env), http.DefaultClient)
	_, err := s.secret(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("got %v", err)
	}
}

func TestSecretStoreEndpoints(t *testing.T) {
	env := awsEnv("")
	s, err := newSecretStore(getenvFrom(env), http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.endpoint("ssm"); got != "https://ssm.eu-central-1.amazonaws.com" {
		t.Errorf("ssm endpoint %s", got)
	}
	env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://127.0.0.1:4566/"
	s, _ = newSecretStore(getenvFrom(env), http.DefaultClient)
	if got := s.endpoint("secretsmanager"); got != "http://127.0.0.1:4566" {
		t.Errorf("override %s", got)
	}
	delete(env, "AWS_ACCESS_KEY_ID")
	if _, err := newSecretStore(getenvFrom(env), http.DefaultClient); err == nil {
		t.Error("no credentials accepted")
	}
}

func TestNormalizePEM(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
	for _, in := range []string{pem, "  " + pem + "\n", strings.ReplaceAll(pem, "\n", `\n`)} {
		if got := normalizePEM(in); got != pem {
			t.Errorf("normalizePEM(%q) = %q", in, got)
		}
	}
	b64 := "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUIKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQ=="
	if got := normalizePEM(b64); got != pem {
		t.Errorf("base64 form: %q", got)
	}
}
