package notification_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/notification/notificationtest"
)

// An IPN endpoint: verify, then look the object up (the message carries
// ids only). Here the notification is signed by a throwaway authority; in
// production NewVerifier() with no options trusts real SNS.
func ExampleHandler() {
	signer, err := notificationtest.NewAuthority()
	if err != nil {
		panic(err)
	}
	defer signer.Close()

	mux := http.NewServeMux()
	mux.Handle("POST /ipn", notification.Handler(signer.Verifier(), func(ctx context.Context, n *notification.Notification) error {
		switch n.ObjectType {
		case notification.ObjectTypeCharge:
			fmt.Println("charge changed:", n.ObjectID) // GET /v2/charges/{chargeId} here
		case notification.ObjectTypeRefund:
			fmt.Println("refund changed:", n.ObjectID)
		}
		return nil
	}))

	req := signer.Request(notification.Message{
		ObjectType: notification.ObjectTypeCharge, ObjectID: "S01-5105180-3221187-C056351",
		NotificationType: notification.NotificationTypeStateChange,
	})
	req.URL.Path = "/ipn"
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// charge changed: S01-5105180-3221187-C056351
	// 200
}
