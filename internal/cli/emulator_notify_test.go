package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/signing"
)

// TestEmulatorCommand_SignedNotifications runs `apay emulator --tls-addr
// --notify URL` and a payment through it with the SDK over HTTPS, trusting
// only the CA written by --cert-out. The notifications that reach the
// merchant verify with amazonpay/notification given that same CA and the
// emulator's host — one CA file for the API and the IPNs.
func TestEmulatorCommand_SignedNotifications(t *testing.T) {
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := signing.EncodePublicKey(&key.PublicKey)
	if err := os.WriteFile(filepath.Join(dir, "public.pem"), pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	const keyID = "SANDBOX-CLINOTIFYTEST0000000"

	var (
		mu       sync.Mutex
		verified []*notification.Notification
		rejected int
	)
	var handler http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		h := handler
		hmu.RUnlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			mu.Lock()
			rejected++
			mu.Unlock()
		}
		w.WriteHeader(rec.Code)
	}))
	defer merchant.Close()

	certFile := filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, Process{Args: []string{"emulator", "--addr", "", "--tls-addr", "127.0.0.1:0", "--cert-out", certFile,
			"--key", keyID + "=" + filepath.Join(dir, "public.pem"), "--notify", merchant.URL + "/ipn"}, Stdout: pw, Stderr: io.Discard})
		_ = pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatal("no output from apay emulator")
	}
	m := regexp.MustCompile(`^emulator listening on (https://127\.0\.0\.1:\d+)$`).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("unexpected line %q", sc.Text())
	}
	base := m[1]
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	caPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	roots := mustPool(t, caPEM)
	v, err := notification.NewVerifier(notification.WithRoots(roots), notification.WithAllowedCertHost(u.Host),
		notification.WithHTTPClient(&http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig(roots)}}))
	if err != nil {
		t.Fatal(err)
	}
	hmu.Lock()
	handler = notification.Handler(v, func(_ context.Context, n *notification.Notification) error {
		mu.Lock()
		verified = append(verified, n)
		mu.Unlock()
		return nil
	})
	hmu.Unlock()

	pemKey, _ := signing.EncodePrivateKey(key)
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID(keyID), amazonpay.WithPrivateKey(pemKey), amazonpay.WithRegion("us"),
		amazonpay.WithBaseURL(base), amazonpay.WithCACertPEM(caPEM))
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err := c.CheckoutSessions.Create(ctx, &amazonpay.CreateCheckoutSessionRequest{StoreID: "amzn1.application-oa2-client.test",
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"}})
	if err != nil {
		t.Fatal(err)
	}
	control(t, roots, base+"/_emulator/checkoutSessions/"+cs.CheckoutSessionID+"/buyer", `{}`)
	amount := amazonpay.Price{Amount: "12.00", CurrencyCode: "USD"}
	if _, _, err := c.CheckoutSessions.Update(ctx, cs.CheckoutSessionID, &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
		PaymentDetails:     &amazonpay.PaymentDetails{PaymentIntent: amazonpay.PaymentIntentAuthorize, ChargeAmount: amount}}); err != nil {
		t.Fatal(err)
	}
	control(t, roots, base+"/_emulator/checkoutSessions/"+cs.CheckoutSessionID+"/confirm", `{}`)
	done2, _, err := c.CheckoutSessions.Complete(ctx, cs.CheckoutSessionID, &amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: amount})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Charges.Capture(ctx, done2.ChargeID, &amazonpay.CaptureChargeRequest{CaptureAmount: amount}); err != nil {
		t.Fatal(err)
	}
	rf, _, err := c.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{ChargeID: done2.ChargeID, RefundAmount: amazonpay.Price{Amount: "2.00", CurrencyCode: "USD"}})
	if err != nil {
		t.Fatal(err)
	}
	// Refunds settle asynchronously; move the emulator's clock past it.
	control(t, roots, base+"/_emulator/clock", `{"advance":"1h"}`)
	control(t, roots, base+"/_emulator/notifications/flush", `{}`)

	mu.Lock()
	defer mu.Unlock()
	if rejected != 0 {
		t.Fatalf("%d notifications were rejected by the verifier", rejected)
	}
	seen := map[string]bool{}
	for _, n := range verified {
		seen[string(n.ObjectType)+" "+n.ObjectID] = true
	}
	for _, want := range []string{"CHARGE_PERMISSION " + done2.ChargePermissionID, "REFUND " + rf.RefundID} {
		if !seen[want] {
			t.Errorf("no verified notification for %s; got %v", want, seen)
		}
	}
	cancel()
	<-done
}

func control(t *testing.T, roots *x509.CertPool, target, body string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig(roots)}}
	res, err := client.Post(target, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %s", strings.TrimPrefix(target, "https://"), res.StatusCode, b)
	}
}

func mustPool(t *testing.T, pemBytes []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("CA PEM from --cert-out does not parse")
	}
	return pool
}

func tlsConfig(roots *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}
