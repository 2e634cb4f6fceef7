package emulator

import (
	"sort"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
)

// TestRoutesMatchOperations: the route table names every operation of
// amazonpay.Operations() with its method and path, and nothing else.
func TestRoutesMatchOperations(t *testing.T) {
	want := map[string]string{}
	for _, op := range amazonpay.Operations() {
		want[op.Name] = op.Method + " " + op.Path
	}
	got := map[string]string{}
	for _, rt := range routes() {
		if _, dup := got[rt.Op]; dup {
			t.Errorf("operation %s routed twice", rt.Op)
		}
		got[rt.Op] = rt.Method + " " + rt.Path
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("%s: route %q, operation list %q", n, got[n], want[n])
		}
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			t.Errorf("route %s is not in amazonpay.Operations()", n)
		}
	}
}

// TestRoutingShapes: every prefix and one trailing slash reach the same
// operation; unknown paths and methods get Amazon's 404/405.
func TestRoutingShapes(t *testing.T) {
	e := newTestEnv(t)
	id := wantStatus(t, e.post("/v2/checkoutSessions", createCSBody), 201)["checkoutSessionId"].(string)
	for _, c := range []struct {
		path, key string
		status    int
	}{
		{"/v2/checkoutSessions/" + id, sandboxKeyID, 200},
		{"/v2/checkoutSessions/" + id + "/", sandboxKeyID, 200},
		{"/sandbox/v2/checkoutSessions/" + id, sandboxKeyID, 200},
		{"/sandbox/v2/checkoutSessions/" + id + "/", sandboxKeyID, 200},
		{"/sandbox/v2/checkoutSessions/" + id + "?", sandboxKeyID, 200},
		{"/v2/checkoutSessions/" + id, otherKeyID, 404}, // another merchant's session
		{"/v2/nothingHere", sandboxKeyID, 404},
	} {
		rec := e.do(req{method: "GET", path: c.path, keyID: c.key})
		if rec.Code != c.status {
			t.Errorf("GET %s with %s: %d, want %d: %s", c.path, c.key, rec.Code, c.status, rec.Body)
		}
	}
	wantError(t, e.do(req{method: "PUT", path: "/v2/charges/x"}), 405, "UnsupportedOperation")
	wantError(t, e.do(req{method: "GET", path: "/v2/nothingHere"}), 404, "ResourceNotFound")

	// Legacy keys use the path's environment and see only their own objects.
	lid := wantStatus(t, e.do(req{method: "POST", path: "/live/v2/checkoutSessions", keyID: legacyKeyID, body: createCSBody}), 201)
	if lid["releaseEnvironment"] != "Live" {
		t.Fatalf("legacy key on /live: %v", lid["releaseEnvironment"])
	}
	lidID := lid["checkoutSessionId"].(string)
	wantStatus(t, e.do(req{method: "GET", path: "/live/v2/checkoutSessions/" + lidID + "/", keyID: legacyKeyID}), 200)
	wantError(t, e.do(req{method: "GET", path: "/sandbox/v2/checkoutSessions/" + lidID, keyID: legacyKeyID}), 404, "ResourceNotFound")
	wantError(t, e.do(req{method: "GET", path: "/v2/checkoutSessions/" + lidID, keyID: legacyKeyID}), 400, "InvalidRequest")
	// Key environment and path environment must agree.
	wantError(t, e.do(req{method: "GET", path: "/live/v2/checkoutSessions/" + id, keyID: sandboxKeyID}), 401, "UnauthorizedAccess")
	wantError(t, e.do(req{method: "GET", path: "/sandbox/v2/checkoutSessions/" + id, keyID: liveKeyID}), 401, "UnauthorizedAccess")
}
