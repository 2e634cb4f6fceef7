package emulator

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/emulator/sns"
)

// snsEnv is an emulator served over HTTPS with its Issuer's certificate
// (so the SigningCertURL verifies), plus a merchant endpoint built on
// amazonpay/notification that trusts the emulator's CA and host.
type snsEnv struct {
	*testEnv
	issuer   *sns.Issuer
	client   *http.Client // trusts the emulator's TLS certificate
	verifier *notification.Verifier
	inbox    *inbox
}

// inbox is the merchant's IPN endpoint: it records what verified, and can
// answer 500 to the first failFirst requests.
type inbox struct {
	mu        sync.Mutex
	got       []*notification.Notification
	failFirst int
	requests  int
	url       string
	handler   http.Handler
}

func (b *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.requests++
	fail := b.requests <= b.failFirst
	h := b.handler
	b.mu.Unlock()
	if fail {
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	h.ServeHTTP(w, r)
}

// trust makes the inbox verify with v from now on (a merchant told the
// emulator's new address).
func (b *inbox) trust(v *notification.Verifier) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handler = notification.Handler(v, b.record)
}

func (b *inbox) record(_ context.Context, n *notification.Notification) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, n)
	return nil
}

func (b *inbox) objects() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, len(b.got))
	for i, n := range b.got {
		out[i] = n.ObjectID
	}
	return out
}

func newSNSEnv(t *testing.T, opts ...func(*Options)) *snsEnv {
	t.Helper()
	e := newTestEnv(t, append([]func(*Options){func(o *Options) {
		o.Notifications.Backoff = func(int) time.Duration { return 5 * time.Millisecond }
	}}, opts...)...)
	iss, err := e.srv.NotificationIssuer()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{iss.TLSCertificate()}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	if err := e.srv.SetPublicURL(ts.URL); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: iss.CertPool()}}}
	v, err := notification.NewVerifier(append(iss.VerifierOptions(), notification.WithHTTPClient(client), notification.WithTopicARNs(sns.DefaultTopicARN))...)
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{}
	in.trust(v)
	ms := httptest.NewServer(in)
	t.Cleanup(ms.Close)
	in.url = ms.URL + "/ipn"
	se := &snsEnv{testEnv: e, issuer: iss, client: client, verifier: v, inbox: in}
	se.config(`{"url":"` + in.url + `"}`)
	return se
}

func (e *snsEnv) config(body string) map[string]any {
	e.t.Helper()
	return wantStatus(e.t, e.control("POST", "/_emulator/notifications/config", body), 200)
}

func (e *snsEnv) flush() []sns.Record {
	e.t.Helper()
	res := e.control("POST", "/_emulator/notifications/flush", "")
	if res.Code != 200 {
		e.t.Fatalf("flush: %d %s", res.Code, res.Body)
	}
	var out struct {
		Deliveries []sns.Record `json:"deliveries"`
	}
	if err := json.Unmarshal(res.Body.Bytes(), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Deliveries
}

// listed is GET /_emulator/notifications.
func (e *snsEnv) listed() ([]Notification, []sns.Record) {
	e.t.Helper()
	res := e.control("GET", "/_emulator/notifications", "")
	var out struct {
		Notifications []Notification `json:"notifications"`
		Deliveries    []sns.Record   `json:"deliveries"`
	}
	if err := json.Unmarshal(res.Body.Bytes(), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Notifications, out.Deliveries
}

// raise queues a notification the way a state change does.
func (e *snsEnv) raise(objectID string) {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	e.srv.notify(Owner{MerchantID: "AMERCHANT", Env: Sandbox}, "CHARGE", objectID, "P01-0000000-0000000", "Authorized", e.srv.clock.now())
}

// TestNotifications_StateChangesArriveSigned: a pending authorization that
// resolves (clock moved) and an asynchronous refund reach the merchant as
// SNS envelopes, SignatureVersion 2 then 1, that amazonpay/notification
// verifies with the emulator's CA and host.
func TestNotifications_StateChangesArriveSigned(t *testing.T) {
	e := newSNSEnv(t)
	if got := e.config(`{"signatureVersion":"2"}`); got["signingCertUrl"] != e.srv.PublicURL()+sns.CertPath || got["url"] != e.inbox.url {
		t.Fatalf("config %v", got)
	}
	id := e.checkout("Authorize", "14.00", "USD", "0701", `,"canHandlePendingAuthorization":true`)
	cs := wantStatus(t, e.complete(id, "14.00", "USD"), 202)
	chID, cpID := str(cs, "chargeId"), str(cs, "chargePermissionId")
	e.advance(pendingDelay + time.Second)
	recs := e.flush()
	if !slices.Contains(e.inbox.objects(), chID) {
		t.Fatalf("merchant got %v, want the charge %s; deliveries %+v", e.inbox.objects(), chID, recs)
	}

	e.config(`{"signatureVersion":"1"}`)
	wantStatus(t, e.post("/v2/charges/"+chID+"/capture", `{"captureAmount":{"amount":"14.00","currencyCode":"USD"}}`), 200)
	rf := wantStatus(t, e.post("/v2/refunds", `{"chargeId":"`+chID+`","refundAmount":{"amount":"5.00","currencyCode":"USD"}}`), 201)
	e.advance(refundDelay)
	recs = e.flush()
	if !slices.Contains(e.inbox.objects(), str(rf, "refundId")) {
		t.Fatalf("merchant got %v, want the refund", e.inbox.objects())
	}
	versions := map[string]bool{}
	for _, r := range recs {
		if r.Status != sns.StatusSent || r.LastStatusCode != 200 {
			t.Errorf("delivery %+v", r)
		}
		versions[r.Envelope.SignatureVersion] = true
		if r.Envelope.SigningCertURL != e.srv.PublicURL()+sns.CertPath || r.Message.NotificationVersion != "V2" || r.Message.MerchantID == "" {
			t.Errorf("envelope %+v", r.Envelope)
		}
	}
	if !versions["1"] || !versions["2"] {
		t.Errorf("signature versions %v", versions)
	}
	e.inbox.mu.Lock()
	for _, n := range e.inbox.got {
		if n.ChargePermissionID != cpID || n.NotificationType != notification.NotificationTypeStateChange {
			t.Errorf("notification %+v", n.Message)
		}
	}
	e.inbox.mu.Unlock()
	list, _ := e.listed()
	for _, n := range list {
		if n.Status != "sent" || n.Attempts != 1 {
			t.Errorf("listed %+v", n)
		}
	}
}

// TestNotifications_ForgedReplayedUntrusted: what the merchant must refuse.
func TestNotifications_ForgedReplayedUntrusted(t *testing.T) {
	e := newSNSEnv(t)
	e.raise("S01-REAL")
	recs := e.flush()
	if len(recs) != 1 || recs[0].Status != sns.StatusSent {
		t.Fatalf("deliveries %+v", recs)
	}
	genuine := recs[0].Envelope
	body := func(env notification.Envelope) []byte {
		b, _ := json.Marshal(env)
		return b
	}
	ctx := context.Background()
	if _, err := e.verifier.Verify(ctx, body(genuine)); err != nil {
		t.Fatalf("the genuine envelope does not verify: %v", err)
	}

	impostor, err := sns.NewIssuer(sns.IssuerConfig{CertURL: genuine.SigningCertURL})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := impostor.Notification(notification.Message{MerchantID: "AMERCHANT", ObjectType: "CHARGE", ObjectID: "S01-FORGED", NotificationType: "STATE_CHANGE", NotificationID: "x", NotificationVersion: "V2"}, "2")
	if err != nil {
		t.Fatal(err)
	}
	tampered := genuine
	tampered.Message = strings.Replace(tampered.Message, "S01-REAL", "S01-FAKE", 1)

	later, err := notification.NewVerifier(append(e.issuer.VerifierOptions(), notification.WithHTTPClient(e.client),
		notification.WithClock(func() time.Time { return time.Now().Add(2 * time.Hour) }))...)
	if err != nil {
		t.Fatal(err)
	}
	systemRoots, _ := notification.NewVerifier(notification.WithHTTPClient(e.client))
	noHost, _ := notification.NewVerifier(notification.WithRoots(e.issuer.CertPool()), notification.WithHTTPClient(e.client))

	cases := []struct {
		name string
		v    *notification.Verifier
		env  notification.Envelope
		want error
	}{
		{"forged by another CA", e.verifier, *forged, notification.ErrInvalidSignature},
		{"tampered message", e.verifier, tampered, notification.ErrInvalidSignature},
		{"replayed two hours later", later, genuine, notification.ErrStale},
		{"verifier without the emulator's CA and host", systemRoots, genuine, notification.ErrCertURL},
		{"verifier without the emulator's host", noHost, genuine, notification.ErrCertURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.Verify(ctx, body(c.env))
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	// Through the merchant's HTTP handler the forgery is a 403 and never
	// reaches the application.
	res, err := http.Post(e.inbox.url, "text/plain", bytes.NewReader(body(*forged)))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusForbidden || slices.Contains(e.inbox.objects(), "S01-FORGED") {
		t.Errorf("forgery: %d, inbox %v", res.StatusCode, e.inbox.objects())
	}
}

// TestNotifications_Faults: drop, duplicate, delay and reorder on demand.
func TestNotifications_Faults(t *testing.T) {
	e := newSNSEnv(t)
	for _, f := range []string{`{"mode":"duplicate"}`, `{"mode":"drop"}`, `{"mode":"reorder"}`, `{"mode":"delay","delay":"20ms"}`} {
		wantStatus(t, e.control("POST", "/_emulator/notifications/faults", f), 201)
	}
	faults := wantStatus(t, e.control("GET", "/_emulator/notifications/faults", ""), 200)
	if n := len(faults["faults"].([]any)); n != 4 {
		t.Fatalf("faults %v", faults)
	}
	for _, id := range []string{"A", "B", "C", "D", "E"} {
		e.raise(id)
	}
	recs := e.flush()
	if got := e.inbox.objects(); !slices.Equal(got, []string{"A", "A", "D", "C", "E"}) {
		t.Fatalf("merchant got %v, want [A A D C E]", got)
	}
	e.inbox.mu.Lock()
	if e.inbox.got[0].Envelope.MessageID != e.inbox.got[1].Envelope.MessageID {
		t.Error("the duplicate has another MessageId")
	}
	e.inbox.mu.Unlock()
	faultOf := map[string]sns.FaultMode{}
	for _, r := range recs {
		if !r.Duplicate {
			faultOf[r.Message.ObjectID] = r.Fault
		}
	}
	if faultOf["A"] != sns.FaultDuplicate || faultOf["B"] != sns.FaultDrop || faultOf["C"] != sns.FaultReorder || faultOf["D"] != sns.FaultDelay || faultOf["E"] != "" {
		t.Errorf("faults recorded %v", faultOf)
	}
	list, deliveries := e.listed()
	if len(deliveries) != 6 {
		t.Errorf("%d deliveries, want 6 (A twice)", len(deliveries))
	}
	for _, n := range list {
		want := "sent"
		if n.ObjectID == "B" {
			want = "dropped"
		}
		if n.Status != want {
			t.Errorf("%s: status %s, want %s", n.ObjectID, n.Status, want)
		}
	}
}

// TestNotifications_ResetForgetsDeliveries: POST /_emulator/reset forgets
// the delivery records and the notification faults still armed, keeps the
// endpoint, and later notifications are delivered normally.
func TestNotifications_ResetForgetsDeliveries(t *testing.T) {
	e := newSNSEnv(t)
	e.raise("A")
	e.flush()
	wantStatus(t, e.control("POST", "/_emulator/notifications/faults", `{"mode":"drop","count":2}`), 201)
	if _, deliveries := e.listed(); len(deliveries) != 1 {
		t.Fatalf("before reset: %d deliveries, want 1", len(deliveries))
	}
	wantStatus(t, e.control("POST", "/_emulator/reset", ""), 200)
	list, deliveries := e.listed()
	if len(list) != 0 || len(deliveries) != 0 {
		t.Fatalf("after reset: %d notifications, %d deliveries, want none", len(list), len(deliveries))
	}
	faults := wantStatus(t, e.control("GET", "/_emulator/notifications/faults", ""), 200)
	if n := len(faults["faults"].([]any)); n != 0 {
		t.Fatalf("after reset: faults %v", faults)
	}
	e.raise("B")
	recs := e.flush()
	if len(recs) != 1 || recs[0].Message.ObjectID != "B" || recs[0].Status != sns.StatusSent {
		t.Fatalf("after reset: deliveries %+v, want B sent", recs)
	}
	if got := e.inbox.objects(); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("merchant got %v, want [A B] (the endpoint kept)", got)
	}
}

// TestNotifications_QueuedResentAfterRestart: with a state file, a
// notification still queued when the emulator stops (here held by a delay
// fault) is sent by the next emulator on the same state once its public URL
// is known; one already delivered is not sent again.
func TestNotifications_QueuedResentAfterRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.db")
	e := newSNSEnv(t, func(o *Options) { o.StatePath = file })
	e.raise("SENT")
	e.flush()
	wantStatus(t, e.control("POST", "/_emulator/notifications/faults", `{"mode":"delay","delay":"1m"}`), 201)
	e.raise("HELD")
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if got := e.inbox.objects(); !slices.Equal(got, []string{"SENT"}) {
		t.Fatalf("before the restart the merchant got %v", got)
	}

	srv2, err := New(Options{Clock: ClockFunc(e.clock), TickInterval: -1, StatePath: file,
		Notifications: NotificationOptions{Issuer: e.issuer, Backoff: func(int) time.Duration { return 5 * time.Millisecond }}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv2.Close() })
	e.srv = srv2
	ts := httptest.NewUnstartedServer(srv2.Handler())
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{e.issuer.TLSCertificate()}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	e.flush()
	if got := e.inbox.objects(); len(got) != 1 {
		t.Fatalf("sent before the public URL was known: %v", got)
	}
	// The merchant accepts certificates from the emulator's new address.
	v, err := notification.NewVerifier(append(e.issuer.VerifierOptions(), notification.WithHTTPClient(e.client),
		notification.WithTopicARNs(sns.DefaultTopicARN), notification.WithAllowedCertHost(ts.Listener.Addr().String()))...)
	if err != nil {
		t.Fatal(err)
	}
	e.inbox.trust(v)
	if err := srv2.SetPublicURL(ts.URL); err != nil {
		t.Fatal(err)
	}
	recs := e.flush()
	if got := e.inbox.objects(); !slices.Equal(got, []string{"SENT", "HELD"}) {
		t.Fatalf("after the restart the merchant got %v, want [SENT HELD]; deliveries %+v; notifications %+v", got, recs, srv2.Notifications())
	}
	for _, n := range srv2.Notifications() {
		if n.Status != "sent" {
			t.Errorf("%s: %s", n.ObjectID, n.Status)
		}
	}
}

// TestNotifications_QueuedResentAtStart: a caller that serves the
// certificate itself (the demo's HTTPS listener) sets its Issuer's
// certificate URL before New; Options.PublicURL (the buyer pages' address)
// leaves it alone, and a notification the saved state left queued goes out
// at start, signed with that URL.
func TestNotifications_QueuedResentAtStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.db")
	e := newSNSEnv(t, func(o *Options) { o.StatePath = file })
	wantStatus(t, e.control("POST", "/_emulator/notifications/faults", `{"mode":"delay","delay":"1m"}`), 201)
	e.raise("HELD")
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}

	var h atomic.Pointer[http.Handler]
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{e.issuer.TLSCertificate()}}
	certHost := ts.Listener.Addr().String()
	if err := e.issuer.SetCertURL("https://" + certHost + sns.CertPath); err != nil {
		t.Fatal(err)
	}
	v, err := notification.NewVerifier(append(e.issuer.VerifierOptions(), notification.WithHTTPClient(e.client),
		notification.WithTopicARNs(sns.DefaultTopicARN))...)
	if err != nil {
		t.Fatal(err)
	}
	e.inbox.trust(v)
	srv2, err := New(Options{Clock: ClockFunc(e.clock), TickInterval: -1, StatePath: file, PublicURL: "http://127.0.0.1:9",
		Notifications: NotificationOptions{Issuer: e.issuer, Backoff: func(int) time.Duration { return 5 * time.Millisecond }}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv2.Close() })
	handler := srv2.Handler()
	h.Store(&handler)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	if got := e.issuer.CertURL(); got != "https://"+certHost+sns.CertPath {
		t.Fatalf("certificate URL %s after New", got)
	}
	e.srv = srv2
	recs := e.flush()
	if got := e.inbox.objects(); !slices.Equal(got, []string{"HELD"}) {
		t.Fatalf("after the restart the merchant got %v, want [HELD]; deliveries %+v", got, recs)
	}
}

// TestNotifications_Retries: a failing endpoint is retried with backoff,
// then given up on.
func TestNotifications_Retries(t *testing.T) {
	e := newSNSEnv(t)
	e.inbox.failFirst = 2
	e.raise("RETRIED")
	recs := e.flush()
	if len(recs) != 1 || recs[0].Status != sns.StatusSent || recs[0].Attempts != 3 {
		t.Fatalf("deliveries %+v", recs)
	}
	e.inbox.mu.Lock()
	e.inbox.failFirst, e.inbox.requests = 100, 0
	e.inbox.mu.Unlock()
	e.raise("GIVEN-UP")
	recs = e.flush()
	if last := recs[len(recs)-1]; last.Status != sns.StatusFailed || last.Attempts != 3 || last.LastStatusCode != 500 {
		t.Fatalf("delivery %+v", last)
	}
	list := e.srv.Notifications()
	if last := list[len(list)-1]; last.Status != "failed" || last.Attempts != 3 {
		t.Fatalf("notification %+v", last)
	}
}

func TestNotifications_ControlValidation(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct{ path, body, code string }{
		{"/_emulator/notifications/config", `{"url":"ftp://x"}`, "InvalidParameterValue"},
		{"/_emulator/notifications/config", `{"signatureVersion":"3"}`, "InvalidParameterValue"},
		{"/_emulator/notifications/config", `{"signatureVersion":""}`, "InvalidParameterValue"},
		{"/_emulator/notifications/config", `{"colour":"red"}`, "UnrecognizedField"},
		{"/_emulator/notifications/faults", `{}`, "MissingParameterValue"},
		{"/_emulator/notifications/faults", `{"mode":"explode"}`, "InvalidParameterValue"},
		{"/_emulator/notifications/faults", `{"mode":"delay"}`, "MissingParameterValue"},
		{"/_emulator/notifications/faults", `{"mode":"drop","delay":"1s"}`, "InvalidParameterValue"},
		{"/_emulator/notifications/faults", `{"mode":"drop","count":0}`, "InvalidParameterValue"},
	} {
		wantError(t, e.control("POST", c.path, c.body), 400, c.code)
	}
	got := wantStatus(t, e.control("GET", "/_emulator/notifications/config", ""), 200)
	if got["url"] != nil || got["signatureVersion"] != "1" || got["signingCertUrl"] != nil {
		t.Errorf("default config %v", got)
	}
}

// TestNotifications_NoPublicURL: without an address to put in
// SigningCertURL the notification is marked failed, saying why.
func TestNotifications_NoPublicURL(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.NotifyURL = "http://127.0.0.1:1/ipn" })
	e.srv.mu.Lock()
	e.srv.notify(Owner{MerchantID: "A", Env: Sandbox}, "CHARGE", "S01", "P01", "Authorized", e.srv.clock.now())
	e.srv.mu.Unlock()
	list := e.srv.Notifications()
	if len(list) != 1 || list[0].Status != "failed" || !strings.Contains(list[0].Error, "SigningCertURL") {
		t.Fatalf("%+v", list)
	}
}

func TestNotifications_CertificatesServed(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range []string{sns.CertPath, "/_emulator/sns/ca.pem"} {
		rec := e.page("GET", p, nil)
		if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "-----BEGIN CERTIFICATE-----") {
			t.Errorf("%s: %d %.40s", p, rec.Code, rec.Body)
		}
	}
	iss, _ := e.srv.NotificationIssuer()
	if rec := e.page("GET", "/_emulator/sns/ca.pem", nil); !bytes.Equal(rec.Body.Bytes(), iss.Certificates().CA) {
		t.Error("ca.pem is not the Issuer's CA")
	}
}
