package restapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestEmulatorNotifications wires the emulator's own notification sender
// (SNS envelopes signed by its CA, certificate served over its HTTPS
// listener) to the shop's endpoint, as the demo does: a pending
// authorization that settles at the emulator moves the order with no
// client call and no reconciler.
func TestEmulatorNotifications(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		shopSrv := httptest.NewUnstartedServer(nil)
		emuSrv := httptest.NewUnstartedServer(nil)
		emu, err := emulator.New(emulator.Options{PublicURL: "https://" + emuSrv.Listener.Addr().String(),
			NotifyURL: "http://" + shopSrv.Listener.Addr().String() + restapi.NotificationPath, TickInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emu.Close() })
		issuer, err := emu.NotificationIssuer()
		if err != nil {
			t.Fatal(err)
		}
		emuSrv.Config.Handler = emu.Handler()
		emuSrv.TLS = &tls.Config{Certificates: []tls.Certificate{issuer.TLSCertificate()}}
		emuSrv.StartTLS()
		t.Cleanup(emuSrv.Close)
		trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: issuer.CertPool()}}}

		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		if err := emu.RegisterPublicKey("SANDBOX-NOTIFYE2E0000000000000", &key.PublicKey, ""); err != nil {
			t.Fatal(err)
		}
		client, err := amazonpay.NewClient(amazonpay.WithPublicKeyID("SANDBOX-NOTIFYE2E0000000000000"), amazonpay.WithRSAPrivateKey(key),
			amazonpay.WithRegion("us"), amazonpay.WithBaseURL(emuSrv.URL), amazonpay.WithHTTPClient(trusting))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := payments.New(payments.Config{Store: db, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		db.DB.Now = time.Now
		v, err := notification.NewVerifier(append(issuer.VerifierOptions(), notification.WithHTTPClient(trusting))...)
		if err != nil {
			t.Fatal(err)
		}
		api, err := restapi.New(restapi.Config{Payments: svc, Notifications: v})
		if err != nil {
			t.Fatal(err)
		}
		shopSrv.Config.Handler = api.Handler()
		shopSrv.Start()
		t.Cleanup(shopSrv.Close)

		o := &shop.Order{Currency: "USD", Total: 4200, Items: []shop.OrderItem{{ProductID: 1, SKU: "N", Name: "N", UnitPrice: 4200, Quantity: 1}}}
		if err := db.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		csID, err := paymentstest.Checkout(ctx, client, emu, o, paymentstest.OrderOptions{Card: "0701"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Attach(ctx, o.ID, csID); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Order(ctx, o.ID); got.Status != shop.StatusPaymentPending {
			t.Fatalf("order %s", got.Status)
		}
		emu.AdvanceClock(31 * time.Second) // the authorization settles; the emulator notifies
		deadline := time.Now().Add(15 * time.Second)
		for {
			got, err := db.Order(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == shop.StatusAuthorized {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("order still %s; notifications: %+v", got.Status, emu.Notifications())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
