package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// buildApay compiles cmd/apay into a temporary directory.
func buildApay(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "apay")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/apay").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ../cmd/apay: %v\n%s", err, out)
	}
	return bin
}

// startEmulator runs `apay emulator` on free loopback ports with the given
// keys (id → public PEM) and returns the HTTPS host:port. The process is
// stopped with SIGINT at cleanup and must exit 0.
func startEmulator(t *testing.T, bin string, keys map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"emulator", "--addr", "127.0.0.1:0", "--tls-addr", "127.0.0.1:0", "--cert-out", filepath.Join(dir, "cert.pem")}
	i := 0
	for id, pub := range keys {
		p := filepath.Join(dir, fmt.Sprintf("public-%d.pem", i))
		i++
		if err := os.WriteFile(p, []byte(pub), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--key", id+"="+p)
	}
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("apay emulator did not exit cleanly: %v\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("apay emulator did not stop within 10s of SIGINT")
		}
	})

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		done <- cmd.Wait()
	}()
	var httpsAddr, httpAddr string
	deadline := time.After(30 * time.Second)
	for httpsAddr == "" || httpAddr == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("apay emulator exited before listening:\n%s", stderr.String())
			}
			if a, ok := strings.CutPrefix(line, "emulator listening on https://"); ok {
				httpsAddr = a
			} else if a, ok := strings.CutPrefix(line, "emulator listening on http://"); ok {
				httpAddr = a
			}
		case <-deadline:
			t.Fatalf("apay emulator printed no listening lines within 30s:\n%s", stderr.String())
		}
	}
	go func() {
		for range lines { // keep draining so the emulator never blocks on stdout
		}
	}()
	if !strings.HasPrefix(httpsAddr, "127.0.0.1:") || !strings.HasPrefix(httpAddr, "127.0.0.1:") {
		t.Fatalf("listeners %q %q are not on 127.0.0.1", httpAddr, httpsAddr)
	}
	return httpsAddr
}

type flowStep struct {
	Step       string         `json:"step"`
	Status     int            `json:"status"`
	ReasonCode string         `json:"reasonCode"`
	Data       map[string]any `json:"data"`
}

// flowExpect is what each step of emulator_flow.js must return.
var flowExpect = []struct {
	step       string
	status     int
	reasonCode string
	state      string // statusDetails.state, when set
}{
	{"createCheckoutSession", 201, "", "Open"},
	{"getCheckoutSession", 200, "", "Open"},
	{"control buyer", 200, "", ""},
	{"updateCheckoutSession JPY with decimals", 400, "InvalidParameterValue", ""},
	{"updateCheckoutSession", 200, "", "Open"},
	{"control confirm", 200, "", ""},
	{"completeCheckoutSession wrong amount", 409, "AmountMismatch", ""},
	{"completeCheckoutSession", 200, "", "Completed"},
	{"getChargePermission", 200, "", "Chargeable"},
	{"captureCharge", 200, "", "Captured"},
	{"createRefund", 201, "", "RefundInitiated"},
	{"createRefund over the captured amount", 400, "TransactionAmountExceeded", ""},
	{"control clock", 200, "", ""},
	{"getRefund", 200, "", "Refunded"},
	{"createCharge second authorization", 201, "", "Authorized"},
	{"cancelCharge", 200, "", "Canceled"},
	{"closeChargePermission", 200, "", "Closed"},
	{"getChargePermission after close", 200, "", "Closed"},
	{"getChargePermission bad signature", 403, "InvalidRequestSignature", ""},
}

// TestNodeSDKAgainstEmulator is the issue-4 proof: the official Node SDK,
// unmodified, runs a whole payment against `apay emulator` over HTTPS with
// both algorithms and with legacy and environment-specific keys.
func TestNodeSDKAgainstEmulator(t *testing.T) {
	requireNode(t)
	if testing.Short() {
		t.Skip("builds apay and runs the emulator")
	}
	k := testKeys(t)
	const (
		flowLegacy  = "AFLOWLEGACYKEY0000000001"
		flowLegacy2 = "AFLOWLEGACYKEY0000000002"
		flowSandbox = "SANDBOX-AFLOWSANDBOXKEY00000001"
		flowLive    = "LIVE-AFLOWLIVEKEY00000000001"
	)
	httpsAddr := startEmulator(t, buildApay(t), map[string]string{
		flowLegacy: k[0].publicPEM, flowLegacy2: k[1].publicPEM, flowSandbox: k[1].publicPEM, flowLive: k[0].publicPEM,
	})
	type run struct {
		Name            string     `json:"name"`
		Config          nodeConfig `json:"config"`
		WrongPrivateKey string     `json:"wrongPrivateKey"`
	}
	runs := []run{
		{"legacy sandbox key, SDK default algorithm (V1)", nodeConfig{PublicKeyID: flowLegacy, PrivateKey: k[0].pkcs1PEM, Region: "us", Sandbox: true}, k[1].pkcs8PEM},
		{"legacy live key, V2", nodeConfig{PublicKeyID: flowLegacy2, PrivateKey: k[1].pkcs8PEM, Region: "us", Sandbox: false, Algorithm: string(signing.AlgorithmV2)}, k[0].pkcs8PEM},
		{"SANDBOX- key, V1", nodeConfig{PublicKeyID: flowSandbox, PrivateKey: k[1].pkcs8PEM, Region: "us", Algorithm: string(signing.AlgorithmV1)}, k[0].pkcs8PEM},
		{"LIVE- key, V2", nodeConfig{PublicKeyID: flowLive, PrivateKey: k[0].pkcs8PEM, Region: "na", Algorithm: string(signing.AlgorithmV2)}, k[1].pkcs8PEM},
	}
	var out struct {
		Runs []struct {
			Name  string     `json:"name"`
			Error string     `json:"error"`
			Steps []flowStep `json:"steps"`
		} `json:"runs"`
	}
	runNode(t, "emulator_flow.js", struct {
		ServiceURL string `json:"serviceUrl"`
		Runs       []run  `json:"runs"`
	}{httpsAddr, runs}, &out)
	if len(out.Runs) != len(runs) {
		t.Fatalf("emulator_flow.js returned %d runs for %d", len(out.Runs), len(runs))
	}
	for _, r := range out.Runs {
		t.Run(r.Name, func(t *testing.T) {
			if r.Error != "" {
				t.Fatalf("flow stopped: %s\nsteps so far: %s", r.Error, dumpSteps(r.Steps))
			}
			if len(r.Steps) != len(flowExpect) {
				t.Fatalf("%d steps, want %d: %s", len(r.Steps), len(flowExpect), dumpSteps(r.Steps))
			}
			for i, want := range flowExpect {
				got := r.Steps[i]
				if got.Step != want.step {
					t.Fatalf("step %d is %q, want %q", i, got.Step, want.step)
				}
				if got.Status != want.status || got.ReasonCode != want.reasonCode {
					t.Errorf("%s: status %d reasonCode %q, want %d %q; body %v", want.step, got.Status, got.ReasonCode, want.status, want.reasonCode, got.Data)
					continue
				}
				if want.state != "" {
					if st := stateOf(got.Data); st != want.state {
						t.Errorf("%s: state %q, want %q; body %v", want.step, st, want.state, got.Data)
					}
				}
			}
			checkFlowDetails(t, r.Steps)
		})
	}
}

// checkFlowDetails checks what ties the steps together: redirect URLs that
// carry the session id, ids that match, amounts that add up.
func checkFlowDetails(t *testing.T, steps []flowStep) {
	t.Helper()
	by := map[string]map[string]any{}
	for _, s := range steps {
		by[s.Step] = s.Data
	}
	csID, _ := by["createCheckoutSession"]["checkoutSessionId"].(string)
	if csID == "" {
		t.Fatal("no checkoutSessionId")
	}
	for _, step := range []string{"control buyer", "control confirm"} {
		u, _ := by[step]["redirectUrl"].(string)
		if !strings.Contains(u, "amazonCheckoutSessionId="+csID) {
			t.Errorf("%s: redirectUrl %q does not carry the session id", step, u)
		}
	}
	if u, _ := lookup(by["updateCheckoutSession"], "webCheckoutDetails", "amazonPayRedirectUrl").(string); u == "" {
		t.Error("updateCheckoutSession: no amazonPayRedirectUrl")
	}
	cpID, _ := by["completeCheckoutSession"]["chargePermissionId"].(string)
	chID, _ := by["completeCheckoutSession"]["chargeId"].(string)
	if cpID == "" || !strings.HasPrefix(chID, cpID) {
		t.Errorf("complete: chargePermissionId %q, chargeId %q", cpID, chID)
	}
	if a := lookup(by["captureCharge"], "captureAmount", "amount"); a != "12.00" {
		t.Errorf("captured %v, want 12.00", a)
	}
	if a := lookup(by["getRefund"], "refundAmount", "amount"); a != "5.00" {
		t.Errorf("refunded %v, want 5.00", a)
	}
	if id, _ := by["cancelCharge"]["chargePermissionId"].(string); id != cpID {
		t.Errorf("second charge belongs to %q, want %q", id, cpID)
	}
	msg, _ := by["getChargePermission bad signature"]["message"].(string)
	if !strings.Contains(msg, "signing String [AMZN-PAY-RSASSA-PSS") {
		t.Errorf("bad signature message %q does not show the string to sign", msg)
	}
}

func lookup(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func stateOf(m map[string]any) string {
	s, _ := lookup(m, "statusDetails", "state").(string)
	return s
}

func dumpSteps(steps []flowStep) string {
	b, _ := json.MarshalIndent(steps, "", "  ")
	return string(b)
}
