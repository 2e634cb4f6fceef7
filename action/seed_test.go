package action_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const seedFile = "000_d25db9e4af549a13.txt"

// seedBodies reads the v2handlerjs README from shared/seeds, found by
// walking up from the test's directory, and returns each "#### Request
// body" block byte for byte, keyed by its section's action name. Outside CI
// a missing file skips the test; in CI it fails it.
func seedBodies(t *testing.T) map[string][]byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for {
		data, err = os.ReadFile(filepath.Join(dir, "shared", "seeds", seedFile))
		if err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			if os.Getenv("CI") != "" {
				t.Fatalf("seed file shared/seeds/%s not found above the test directory", seedFile)
			}
			t.Skipf("seed file shared/seeds/%s not found in any parent directory of the test; it sits beside the checkout in CI", seedFile)
		}
		dir = parent
	}
	bodies := map[string][]byte{}
	var section string
	var inBody, inFence bool
	var buf bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case inFence && strings.HasPrefix(line, "```"):
			bodies[section] = bytes.TrimSuffix(bytes.Clone(buf.Bytes()), []byte("\n"))
			inFence, inBody = false, false
		case inFence:
			buf.WriteString(line + "\n")
		case strings.HasPrefix(line, "### "):
			section, inBody = strings.TrimSpace(strings.TrimPrefix(line, "### ")), false
		case strings.HasPrefix(line, "#### Request body"):
			inBody = true
		case inBody && strings.HasPrefix(line, "```"):
			inFence = true
			buf.Reset()
		}
	}
	if len(bodies) != 13 {
		t.Fatalf("found %d request bodies in the seed, want 13: %v", len(bodies), keys(bodies))
	}
	return bodies
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSeedBodiesVerbatim runs each of the seed's 13 bodies, byte for byte,
// against the emulator. Their ids are the README's placeholders, so the
// emulator's real answer is mostly 404; CreateCheckoutSession creates a
// session; CreateCharge is not JSON (it carries "default is false"
// annotations) and is refused before anything is sent, with its line and
// column.
func TestSeedBodiesVerbatim(t *testing.T) {
	bodies := seedBodies(t)
	e := newEmulator(t, "jp")
	want := map[string]struct {
		status int
		reason string
	}{
		"CreateCheckoutSession":   {201, ""},
		"GetCheckoutSession":      {404, "ResourceNotFound"},
		"UpdateCheckoutSession":   {404, "ResourceNotFound"},
		"CompleteCheckoutSession": {404, "ResourceNotFound"},
		"GetChargePermission":     {404, "ResourceNotFound"},
		"UpdateChargePermission":  {404, "ResourceNotFound"},
		"CloseChargePermission":   {404, "ResourceNotFound"},
		"CreateCharge":            {400, "InvalidRequestFormat"},
		"GetCharge":               {404, "ResourceNotFound"},
		"CaptureCharge":           {404, "ResourceNotFound"},
		"CancelCharge":            {404, "ResourceNotFound"},
		"CreateRefund":            {404, "ResourceNotFound"},
		"GetRefund":               {404, "ResourceNotFound"},
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			res, out := e.run(t, string(body))
			w := want[name]
			if res.Status != w.status || res.ReasonCode != w.reason {
				t.Fatalf("got %d %s %s, want %d %s", res.Status, res.ReasonCode, res.Body, w.status, w.reason)
			}
			if res.Action != name && name != "CreateCharge" { // malformed: no action can be read
				t.Errorf("action %q", res.Action)
			}
			switch name {
			case "CreateCharge":
				msg := str(out, "message")
				if !strings.Contains(msg, "line 8, column 24") || !strings.Contains(msg, "default is false") || res.RequestID != "" {
					t.Errorf("want a precise local error, got %s", res.Body)
				}
			case "CreateCheckoutSession":
				if str(out, "checkoutSessionId") == "" || str(out, "webCheckoutDetails", "checkoutReviewReturnUrl") != "https://a.com/merchant-review-page" {
					t.Errorf("body %s", res.Body)
				}
				fallthrough
			default:
				if res.RequestID == "" {
					t.Errorf("no request id: the answer did not come from the emulator")
				}
			}
		})
	}
}

// seedWithIDs substitutes the README's placeholder ids with real ones.
func seedWithIDs(body []byte, pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(string(body))
}

// TestSeedBodiesInAFlow runs the seed bodies, ids replaced by real ones and
// everything else byte for byte, through a checkout on the emulator: each
// gets the emulator's real answer, successes and refusals alike.
func TestSeedBodiesInAFlow(t *testing.T) {
	seed := seedBodies(t)
	e := newEmulator(t, "jp")

	// Checkout Session seeds: Create, Update (100 JPY, Authorize), Get.
	res, out := e.run(t, string(seed["CreateCheckoutSession"]))
	if res.Status != 201 {
		t.Fatalf("CreateCheckoutSession: %d %s", res.Status, res.Body)
	}
	cs := str(out, "checkoutSessionId")
	e.control(t, "/_emulator/checkoutSessions/"+cs+"/buyer", map[string]any{})
	res, out = e.run(t, seedWithIDs(seed["UpdateCheckoutSession"], `"XXX"`, `"`+cs+`"`))
	if res.Status != 200 || str(out, "webCheckoutDetails", "amazonPayRedirectUrl") == "" {
		t.Fatalf("UpdateCheckoutSession: %d %s", res.Status, res.Body)
	}
	e.control(t, "/_emulator/checkoutSessions/"+cs+"/confirm", map[string]any{})
	res, out = e.run(t, seedWithIDs(seed["GetCheckoutSession"], `"xxx"`, `"`+cs+`"`))
	if res.Status != 200 || str(out, "checkoutSessionId") != cs {
		t.Fatalf("GetCheckoutSession: %d %s", res.Status, res.Body)
	}

	// The Complete seed says 14.00 USD while the session holds 100 JPY:
	// the emulator refuses it as Amazon Pay would.
	res, _ = e.run(t, seedWithIDs(seed["CompleteCheckoutSession"], `"XXX"`, `"`+cs+`"`))
	if res.Status < 400 || res.Status >= 500 || res.RequestID == "" {
		t.Fatalf("CompleteCheckoutSession with another currency: %d %s", res.Status, res.Body)
	}
	t.Logf("CompleteCheckoutSession seed (14.00 USD on a 100 JPY session): %d %s", res.Status, res.ReasonCode)
	res, out = e.run(t, `{"action":"CompleteCheckoutSession","checkoutSessionId":"`+cs+`","chargeAmount":{"amount":"100","currencyCode":"JPY"}}`)
	if res.Status != 200 && res.Status != 202 {
		t.Fatalf("CompleteCheckoutSession: %d %s", res.Status, res.Body)
	}
	cp, charge := str(out, "chargePermissionId"), str(out, "chargeId")

	// Charge Permission and Charge seeds on the completed checkout.
	ids := []string{`"P21-1111111-1111111-C111111"`, `"` + charge + `"`, `"P21-1111111-1111111"`, `"` + cp + `"`}
	for _, step := range []struct {
		name, state string
		path        []string
	}{
		{"GetChargePermission", "Chargeable", []string{"statusDetails", "state"}},
		{"UpdateChargePermission", "32-41-323141-32", []string{"merchantMetadata", "merchantReferenceId"}},
		{"GetCharge", "Authorized", []string{"statusDetails", "state"}},
		{"CancelCharge", "Canceled", []string{"statusDetails", "state"}},
		{"CloseChargePermission", "Closed", []string{"statusDetails", "state"}},
	} {
		res, out = e.run(t, seedWithIDs(seed[step.name], ids...))
		if res.Status != 200 || str(out, step.path...) != step.state {
			t.Fatalf("%s: %d %s, want 200 with %v = %s", step.name, res.Status, res.Body, step.path, step.state)
		}
	}

	// Money seeds (1000 JPY): a second checkout authorizes 1000 JPY, then
	// the seeds capture, refund and read the refund.
	_, out = e.run(t, string(seed["CreateCheckoutSession"]))
	cs = str(out, "checkoutSessionId")
	e.control(t, "/_emulator/checkoutSessions/"+cs+"/buyer", map[string]any{})
	res, _ = e.run(t, `{"action":"UpdateCheckoutSession","checkoutSessionId":"`+cs+`","webCheckoutDetail":{"checkoutResultReturnUrl":"https://a.com/merchant-confirm-page"},"paymentDetail":{"paymentIntent":"Authorize","chargeAmount":{"amount":"1000","currencyCode":"JPY"}}}`)
	if res.Status != 200 {
		t.Fatalf("update: %d %s", res.Status, res.Body)
	}
	e.control(t, "/_emulator/checkoutSessions/"+cs+"/confirm", map[string]any{})
	_, out = e.run(t, `{"action":"CompleteCheckoutSession","checkoutSessionId":"`+cs+`","chargeAmount":{"amount":"1000","currencyCode":"JPY"}}`)
	charge = str(out, "chargeId")
	res, out = e.run(t, seedWithIDs(seed["CaptureCharge"], `"P21-1111111-1111111-C111111"`, `"`+charge+`"`))
	if res.Status != 200 || str(out, "statusDetails", "state") != "Captured" {
		t.Fatalf("CaptureCharge: %d %s", res.Status, res.Body)
	}
	res, out = e.run(t, seedWithIDs(seed["CreateRefund"], `"S01-5105180-3221187-C056351"`, `"`+charge+`"`))
	if res.Status != 201 || str(out, "refundId") == "" {
		t.Fatalf("CreateRefund: %d %s", res.Status, res.Body)
	}
	refund := str(out, "refundId")
	res, out = e.run(t, seedWithIDs(seed["GetRefund"], `"S01-5105180-3221187-R022311"`, `"`+refund+`"`))
	if res.Status != 200 || str(out, "refundId") != refund {
		t.Fatalf("GetRefund: %d %s", res.Status, res.Body)
	}

	// The CreateCharge seed is refused for its annotations; with them
	// removed it charges a Confirm-intent permission.
	_, out = e.run(t, string(seed["CreateCheckoutSession"]))
	cs = str(out, "checkoutSessionId")
	e.control(t, "/_emulator/checkoutSessions/"+cs+"/buyer", map[string]any{})
	e.run(t, `{"action":"UpdateCheckoutSession","checkoutSessionId":"`+cs+`","webCheckoutDetail":{"checkoutResultReturnUrl":"https://a.com/r"},"paymentDetail":{"paymentIntent":"Confirm","chargeAmount":{"amount":"1000","currencyCode":"JPY"}}}`)
	e.control(t, "/_emulator/checkoutSessions/"+cs+"/confirm", map[string]any{})
	_, out = e.run(t, `{"action":"CompleteCheckoutSession","checkoutSessionId":"`+cs+`","chargeAmount":{"amount":"1000","currencyCode":"JPY"}}`)
	cp = str(out, "chargePermissionId")
	withID := seedWithIDs(seed["CreateCharge"], `"P21-1111111-1111111"`, `"`+cp+`"`)
	if res, _ = e.run(t, withID); res.Status != 400 || res.ReasonCode != "InvalidRequestFormat" {
		t.Fatalf("annotated CreateCharge: %d %s", res.Status, res.Body)
	}
	clean := strings.NewReplacer(" default is false", "", " //default is false", "").Replace(withID)
	res, out = e.run(t, clean)
	if res.Status != 201 || str(out, "statusDetails", "state") != "Captured" {
		t.Fatalf("CreateCharge without annotations: %d %s", res.Status, res.Body)
	}
}

// TestEmulatorFaultsKeepTheirStatus: throttling and server errors injected
// in the emulator come back with their own status and reasonCode (the
// client here does not retry), never as a blanket 500.
func TestEmulatorFaultsKeepTheirStatus(t *testing.T) {
	e := newEmulator(t, "us")
	for _, f := range []struct {
		status int
		reason string
	}{{429, "TooManyRequests"}, {500, "InternalServerError"}, {503, "ServiceUnavailable"}} {
		e.control(t, "/_emulator/faults", map[string]any{"operation": "GetCharge", "count": 1, "status": f.status, "reasonCode": f.reason})
		res, out := e.run(t, `{"action":"GetCharge","chargeId":"S01-0000000-0000000-C000000"}`)
		if res.Status != f.status || str(out, "reasonCode") != f.reason || str(out, "requestId") == "" {
			t.Errorf("fault %d: got %d %s", f.status, res.Status, res.Body)
		}
	}
	res, _ := e.run(t, `{"action":"GetCharge","chargeId":"S01-0000000-0000000-C000000"}`)
	if res.Status != 404 {
		t.Errorf("after the faults: %d %s", res.Status, res.Body)
	}
}
