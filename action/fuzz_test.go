package action

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
)

// offline is a transport that answers every request with {} without a
// network, so the fuzz target exercises decoding, checking and the SDK's
// encoding at full speed.
type offline struct{}

func (offline) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: http.NoBody, Request: r}, nil
}

// FuzzRun feeds arbitrary documents through the whole runner: it must never
// panic, always answer one JSON object, and answer a 4xx for everything the
// checks refuse.
func FuzzRun(f *testing.F) {
	f.Add([]byte(seedCreateCharge))
	f.Add([]byte(refundDoc))
	f.Add([]byte(`{"action":"UpdateCheckoutSession","checkoutSessionId":"x","paymentDetail":{"chargeAmount":{"amount":"100","currencyCode":"JPY"}}}`))
	f.Add([]byte(`{"action":"GetReports","reportTypes":"A,B","pageSize":"10"}`))
	f.Add([]byte(`{"action":"getcharge","chargeId":["x"]}`))
	f.Add([]byte(`{"action":"CreateCheckoutSession","webCheckoutDetail":{},"webCheckoutDetails":{}}`))
	f.Add([]byte(`{"action":"DeliveryTrackers","chargePermissionId":"p","deliveryDetails":[{"trackingNumber":"1","carrierCode":"UPS"}]}`))
	f.Add([]byte(`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"amount":1,"currencyCode":"USD"}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`))
	c, err := amazonpay.NewClient(amazonpay.WithPublicKeyID("SANDBOX-FUZZ"), amazonpay.WithRSAPrivateKey(testKey()),
		amazonpay.WithRegion("jp"), amazonpay.WithHTTPClient(&http.Client{Transport: offline{}}),
		amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		f.Fatal(err)
	}
	r := NewRunner(c, WithStoreID("store"), WithMerchantID("merchant"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		res := r.Run(context.Background(), doc)
		if res == nil || res.Status < 200 || res.Status > 599 {
			t.Fatalf("bad result %+v", res)
		}
		if len(res.Body) == 0 || res.Body[0] != '{' {
			t.Fatalf("body %q is not a JSON object", res.Body)
		}
		if _, err := Decode(doc); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 || e.Message == "" {
				t.Fatalf("Decode error %v is not a 4xx *Error", err)
			}
			if res.Status != e.Status || !strings.Contains(string(res.Body), e.ReasonCode) {
				t.Fatalf("Run %d %s disagrees with Decode %v", res.Status, res.Body, e)
			}
		}
	})
}
