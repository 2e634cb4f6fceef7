package action

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const refundDoc = `{"action":"CreateRefund","chargeId":"S01-1-C1","refundAmount":{"amount":"10.00","currencyCode":"USD"},"idempotencyKey":"refund-1"}`

func TestNewHandler_RefusesToStartWithoutAuth(t *testing.T) {
	r := NewRunner(nil)
	for _, auth := range []Auth{{}, APIKeyAuth(), APIKeyAuth("", "  "), APIKeyAuth(ParseAPIKeys(" , ")...)} {
		if _, err := NewHandler(r, auth); !errors.Is(err, ErrNoAuth) {
			t.Errorf("NewHandler(%+v) = %v, want ErrNoAuth", auth, err)
		}
	}
}

func TestParseAPIKeys(t *testing.T) {
	got := ParseAPIKeys(" k1,k2 \n k3\tk4,,")
	if strings.Join(got, "|") != "k1|k2|k3|k4" {
		t.Fatalf("got %q", got)
	}
}

func TestHandler_Auth(t *testing.T) {
	tests := []struct {
		name   string
		auth   Auth
		header string
		status int
	}{
		{"no header", APIKeyAuth("key-one"), "", 401},
		{"wrong key", APIKeyAuth("key-one"), "Bearer key-two", 401},
		{"prefix of key", APIKeyAuth("key-one"), "Bearer key-on", 401},
		{"basic scheme", APIKeyAuth("key-one"), "Basic key-one", 401},
		{"bare key", APIKeyAuth("key-one"), "key-one", 401},
		{"empty bearer", APIKeyAuth("key-one"), "Bearer ", 401},
		{"right key", APIKeyAuth("key-one"), "Bearer key-one", 201},
		{"scheme any case", APIKeyAuth("key-one"), "bearer key-one", 201},
		{"second of two keys", APIKeyAuth("key-one", "key-two"), "Bearer key-two", 201},
		{"iam function url", TrustIAMFunctionURL(), "", 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeAmazon{status: 201, body: `{"refundId":"S01-1-R1"}`}
			h, err := NewHandler(newFakeRunner(t, fake), tt.auth)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", "/action", strings.NewReader(refundDoc))
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tt.status)
			}
			if tt.status == 401 {
				if fake.hits.Load() != 0 {
					t.Fatal("an unauthenticated refund reached Amazon Pay")
				}
				if w.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if !strings.Contains(w.Body.String(), `"reasonCode":"UnauthorizedAccess"`) {
					t.Errorf("body %s", w.Body)
				}
			}
		})
	}
}

func TestHandler_ResponseShape(t *testing.T) {
	fake := &fakeAmazon{status: 201, body: `{"refundId":"S01-1-R1"}`}
	h, _ := NewHandler(newFakeRunner(t, fake), APIKeyAuth("k"))
	req := httptest.NewRequest("POST", "/action", strings.NewReader(refundDoc))
	req.Header.Set("Authorization", "Bearer k")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 201 || w.Body.String() != `{"refundId":"S01-1-R1"}` {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("X-Amz-Pay-Request-Id") != "req-fake-1" {
		t.Errorf("headers %v", w.Header())
	}
}

func TestHandler_MethodAndSize(t *testing.T) {
	fake := &fakeAmazon{status: 200, body: `{}`}
	h, _ := NewHandler(newFakeRunner(t, fake), APIKeyAuth("k"))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/action", nil))
	if w.Code != 405 || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d %v", w.Code, w.Header())
	}

	big := bytes.Repeat([]byte(" "), MaxDocumentSize+10)
	req := httptest.NewRequest("POST", "/action", bytes.NewReader(big))
	req.Header.Set("Authorization", "Bearer k")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d %s", w.Code, w.Body)
	}

	req = httptest.NewRequest("POST", "/action", strings.NewReader(seedCreateCharge))
	req.Header.Set("Authorization", "Bearer k")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "line 8, column 24") {
		t.Errorf("annotated body: %d %s", w.Code, w.Body)
	}
	if fake.hits.Load() != 0 {
		t.Error("a refused request reached Amazon Pay")
	}
}
