package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// received is what the verifying server saw of one request.
type received struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	Verified               *signing.Verified
	Err                    error
}

// verifyingServer is an HTTPS server on 127.0.0.1 that checks every request
// with signing.VerifyRequest, answers 200 {"verified":true} or 403
// InvalidRequestSignature, and records what it received.
type verifyingServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []received
}

func newVerifyingServer(t *testing.T, keys keyRing) *verifyingServer {
	s := &verifyingServer{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, err := signing.VerifyRequest(r, body, keys.lookup)
		s.mu.Lock()
		s.seen = append(s.seen, received{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body, v, err})
		n := len(s.seen)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amz-pay-request-id", fmt.Sprintf("req-%d", n))
		if err != nil {
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(map[string]string{"reasonCode": "InvalidRequestSignature", "message": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"verified": true, "path": r.URL.EscapedPath()})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *verifyingServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.seen...)
}

func (s *verifyingServer) hostPort() string {
	return strings.TrimPrefix(s.URL, "https://")
}

type wireResult struct {
	Name   string          `json:"name"`
	Status int             `json:"status"`
	Data   json.RawMessage `json:"data"`
	Error  string          `json:"error"`
}

func runWire(t *testing.T, serviceURL string, cases []nodeCase) []wireResult {
	t.Helper()
	var out struct {
		Results []wireResult `json:"results"`
	}
	runNode(t, "wire.js", struct {
		ServiceURL string     `json:"serviceUrl"`
		Cases      []nodeCase `json:"cases"`
	}{serviceURL, cases}, &out)
	if len(out.Results) != len(cases) {
		t.Fatalf("wire.js returned %d results for %d cases", len(out.Results), len(cases))
	}
	return out.Results
}

// TestNodeSDKOverHTTPS sends the whole table for real, through the SDK's
// axios transport and TLS, to a Go server that verifies every request: what
// goes on the wire is what was signed.
func TestNodeSDKOverHTTPS(t *testing.T) {
	requireNode(t)
	srv := newVerifyingServer(t, ring(t))
	var cases []expanded
	var in []nodeCase
	for _, c := range expandCases() {
		if c.manual {
			continue
		}
		nc := c.nodeCase(t, c.headers)
		nc.Now = "" // the real clock: the server checks the date is current
		cases = append(cases, c)
		in = append(in, nc)
	}
	results := runWire(t, srv.hostPort(), in)
	seen := srv.received()
	if len(seen) != len(cases) {
		t.Fatalf("server saw %d requests for %d calls (the Node SDK never retries a 2xx)", len(seen), len(cases))
	}
	for i, c := range cases {
		r, got := results[i], seen[i]
		t.Run(c.caseName(), func(t *testing.T) {
			if got.Err != nil {
				t.Fatalf("request from the Node SDK does not verify: %v", got.Err)
			}
			if r.Status != http.StatusOK {
				t.Fatalf("Node SDK got status %d (%s %s)", r.Status, r.Error, r.Data)
			}
			if got.Path != c.wantPath {
				t.Errorf("path %q, want %q", got.Path, c.wantPath)
			}
			if h := got.Header.Get("X-Amz-Pay-Host"); h != srv.hostPort() {
				t.Errorf("x-amz-pay-host %q, want the override %q (with port)", h, srv.hostPort())
			}
			if d := time.Since(got.Verified.Date); d < -time.Minute || d > time.Minute {
				t.Errorf("x-amz-pay-date %q is not current", got.Verified.RawDate)
			}
			if got.Verified.Authorization.Algorithm != c.alg {
				t.Errorf("algorithm %s, want %s", got.Verified.Authorization.Algorithm, c.alg)
			}
		})
	}
}

// TestNodeSendsApostropheDifferentlyThanItSigns pins a Node SDK quirk an
// Amazon Pay server (and the emulator) has to live with, and that
// signing.VerifyRequest accepts such requests: the SDK signs a
// query value with encodeURIComponent, which leaves ' alone, but axios
// sends the URL through WHATWG URL parsing, which turns ' into %27 in the
// query of an https URL. The signed and the sent query then differ.
func TestNodeSendsApostropheDifferentlyThanItSigns(t *testing.T) {
	requireNode(t)
	srv := newVerifyingServer(t, ring(t))
	k := testKeys(t)
	c := nodeCase{
		Name:   "apostrophe in a query value",
		Config: nodeConfig{PublicKeyID: sandboxID, PrivateKey: k[0].pkcs8PEM, Region: "us", Algorithm: string(signing.AlgorithmV2)},
		Call: nodeCall{Fn: "apiCall", Args: []any{map[string]any{
			"method": "GET", "urlFragment": "reports", "queryParams": map[string]any{"note": "it's (ok)"},
		}}},
	}
	runWire(t, srv.hostPort(), []nodeCase{c})
	c.Now = frozenNow
	signed := nodeVectorsRaw(t, []nodeCase{c})[0]
	seen := srv.received()
	if len(seen) != 1 {
		t.Fatalf("server saw %d requests", len(seen))
	}
	if !strings.Contains(signed.CanonicalRequest, "\nnote=it's%20(ok)\n") {
		t.Fatalf("Node no longer signs ' raw:\n%s", signed.CanonicalRequest)
	}
	if seen[0].RawQuery != "note=it%27s%20(ok)" {
		t.Fatalf("Node sent query %q; the quirk is gone", seen[0].RawQuery)
	}
	// The verifier tries the Node rendering of the query as a candidate,
	// so the request verifies although what was sent differs.
	if seen[0].Err != nil {
		t.Fatalf("signing.VerifyRequest rejected the Node request: %v", seen[0].Err)
	}
}

func nodeVectorsRaw(t *testing.T, cases []nodeCase) []vectorResult {
	var out struct {
		Results []vectorResult `json:"results"`
	}
	runNode(t, "vectors.js", struct {
		Cases []nodeCase `json:"cases"`
	}{cases}, &out)
	if len(out.Results) != len(cases) || out.Results[0].Error != "" {
		t.Fatalf("vectors.js: %+v", out.Results)
	}
	return out.Results
}
