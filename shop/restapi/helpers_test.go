package restapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// fixture is a shop REST API on a real store and emulator, with a write
// key and a read key, whose every answer is validated against the OpenAPI
// document.
type fixture struct {
	t      testing.TB
	env    *paymentstest.Env
	srv    *httptest.Server
	write  string // token with scope write
	read   string // token with scope read
	signer *notificationtest.Signer
	router routers.Router
}

// spec is the document, loaded once.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(restapi.OpenAPI)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

func newFixture(t testing.TB, db *sqlstoretest.DB, opts ...paymentstest.Option) *fixture {
	t.Helper()
	env := paymentstest.New(t, db, opts...)
	signer := notificationtest.NewSigner(t)
	api, err := restapi.New(restapi.Config{Payments: env.Service, Notifications: signer.Verifier()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	_, write, err := db.CreateAPIKey(ctx, "ops", []shop.Scope{shop.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	_, read, err := db.CreateAPIKey(ctx, "reporting", []shop.Scope{shop.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	base, err := spec()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	doc := *base
	doc.Servers = openapi3.Servers{{URL: srv.URL + restapi.Prefix}}
	router, err := legacyrouter.NewRouter(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, env: env, srv: srv, write: write, read: read, signer: signer, router: router}
}

// response is an answer, already validated against the document.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the code of an error answer.
func (r *response) errorCode(t testing.TB) string {
	t.Helper()
	var e struct {
		Code string `json:"code"`
		Data struct {
			Status int `json:"status"`
		} `json:"data"`
	}
	r.decode(t, &e)
	if e.Data.Status != r.status {
		t.Fatalf("data.status %d, HTTP status %d", e.Data.Status, r.status)
	}
	return e.Code
}

// do sends a request with the given authorization ("" for none) and
// headers, and validates the answer against the OpenAPI document.
func (f *fixture) do(method, path, auth string, body any, headers ...string) *response {
	f.t.Helper()
	var rdr io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	if raw != nil {
		rdr = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rdr)
	if err != nil {
		f.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if strings.HasPrefix(path, restapi.Prefix) {
		f.validate(req, raw, resp, data)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// validate checks an answer against the document: its status must be
// documented for the route and its body must match the schema.
func (f *fixture) validate(req *http.Request, reqBody []byte, resp *http.Response, body []byte) {
	f.t.Helper()
	vreq := req.Clone(context.Background())
	if reqBody != nil {
		vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	route, params, err := f.router.FindRoute(vreq)
	if err != nil {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return // an undocumented path, answered as such
		}
		f.t.Fatalf("%s %s: no route in the document: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		f.t.Fatalf("%s %s → %d does not match the OpenAPI document: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
}

func bearer(token string) string { return "Bearer " + token }

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
