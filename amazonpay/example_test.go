package amazonpay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/signing"
)

// exampleKey stands in for the merchant's private key (normally
// WithPrivateKeyFile("private.pem")).
var exampleKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeAmazonPay answers canned JSON per "METHOD /path", after checking the
// request's signature the way Amazon Pay does. It stands in for Amazon Pay
// (or the apaykit emulator) so the examples run without a network.
func fakeAmazonPay(routes map[string]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amz-pay-request-id", "example-request-id")
		if _, err := signing.VerifyRequest(r, body, func(string) (*rsa.PublicKey, error) { return &exampleKey().PublicKey, nil }); err != nil {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"reasonCode":"InvalidRequestSignature","message":"Unable to verify signature"}`)
			return
		}
		reply, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"reasonCode":"ResourceNotFound","message":"no such resource"}`)
			return
		}
		io.WriteString(w, reply)
	}))
}

func exampleClient(baseURL string) *amazonpay.Client {
	client, err := amazonpay.NewClient(
		amazonpay.WithPublicKeyID("SANDBOX-AEXAMPLEPUBLICKEYID"),
		amazonpay.WithRSAPrivateKey(exampleKey()),
		amazonpay.WithRegion("us"),
		amazonpay.WithBaseURL(baseURL), // omit to talk to Amazon Pay itself
	)
	if err != nil {
		log.Fatal(err)
	}
	return client
}

func ExampleNewClient() {
	client, err := amazonpay.NewClient(
		amazonpay.WithPublicKeyID("SANDBOX-AEXAMPLEPUBLICKEYID"),
		amazonpay.WithRSAPrivateKey(exampleKey()), // or WithPrivateKeyFile("private.pem")
		amazonpay.WithRegion("uk"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL(), client.Region(), client.Sandbox(), client.Algorithm())

	_, err = amazonpay.NewClient(amazonpay.WithPublicKeyID("SANDBOX-X"), amazonpay.WithRSAPrivateKey(exampleKey()), amazonpay.WithRegion("mars"))
	fmt.Println(err)
	// Output:
	// https://pay-api.amazon.eu eu true AMZN-PAY-RSASSA-PSS-V2
	// amazonpay: invalid region: "mars" is not one of us, na, eu, de, uk, jp
}

func ExampleCheckoutSessionService_Create() {
	srv := fakeAmazonPay(map[string]string{
		"POST /v2/checkoutSessions": `{"checkoutSessionId":"7efe55c3-38c7-4a1b-944d-aded27032b9a","statusDetails":{"state":"Open"},
			"constraints":[{"constraintId":"BuyerNotAssociated","description":"There is no buyer associated with the Checkout Session."}]}`,
	})
	defer srv.Close()
	client := exampleClient(srv.URL)

	cs, resp, err := client.CheckoutSessions.Create(context.Background(), &amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review"},
		StoreID:            "amzn1.application-oa2-client.example",
	}, amazonpay.WithIdempotencyKey("cart-1234-session"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cs.CheckoutSessionID, cs.State(), cs.Constraints[0].ConstraintID)
	fmt.Println(resp.RequestID, resp.IdempotencyKey)
	// Output:
	// 7efe55c3-38c7-4a1b-944d-aded27032b9a Open BuyerNotAssociated
	// example-request-id cart-1234-session
}

func ExampleCheckoutSessionService_Get() {
	srv := fakeAmazonPay(map[string]string{
		"GET /v2/checkoutSessions/cs-1": `{"checkoutSessionId":"cs-1","statusDetails":{"state":"Open"},
			"buyer":{"buyerId":"amzn1.account.EXAMPLE","name":"Susie Smith","email":"susie@example.com"},
			"shippingAddress":{"name":"Susie Smith","city":"Chicago","countryCode":"US"},
			"paymentPreferences":[{"paymentDescriptor":"Visa ****1111 (Amazon Pay)"}]}`,
	})
	defer srv.Close()
	client := exampleClient(srv.URL)

	cs, _, err := client.CheckoutSessions.Get(context.Background(), "cs-1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cs.Buyer.Name, "ships to", cs.ShippingAddress.City, "paying with", cs.PaymentPreferences[0].PaymentDescriptor)
	// Output:
	// Susie Smith ships to Chicago paying with Visa ****1111 (Amazon Pay)
}

func ExampleCheckoutSessionService_Update() {
	srv := fakeAmazonPay(map[string]string{
		"PATCH /v2/checkoutSessions/cs-1": `{"checkoutSessionId":"cs-1","statusDetails":{"state":"Open"},"constraints":[],
			"webCheckoutDetails":{"amazonPayRedirectUrl":"https://apay-us.amazon.com/checkout/processing?amazonCheckoutSessionId=cs-1"}}`,
	})
	defer srv.Close()
	client := exampleClient(srv.URL)

	total, err := amazonpay.ParsePrice("14.5", "USD") // validated, canonical "14.50"
	if err != nil {
		log.Fatal(err)
	}
	cs, _, err := client.CheckoutSessions.Update(context.Background(), "cs-1", &amazonpay.UpdateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutResultReturnURL: "https://shop.example/result"},
		PaymentDetails: &amazonpay.PaymentDetails{
			PaymentIntent:                 amazonpay.PaymentIntentAuthorize,
			CanHandlePendingAuthorization: amazonpay.Bool(false),
			ChargeAmount:                  total,
		},
		MerchantMetadata: &amazonpay.MerchantMetadata{MerchantReferenceID: "order-1234"},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Send the buyer's browser here next.
	fmt.Println(cs.WebCheckoutDetails.AmazonPayRedirectURL)
	// Output:
	// https://apay-us.amazon.com/checkout/processing?amazonCheckoutSessionId=cs-1
}

func ExampleCheckoutSessionService_Complete() {
	srv := fakeAmazonPay(map[string]string{
		"POST /v2/checkoutSessions/cs-1/complete": `{"checkoutSessionId":"cs-1","statusDetails":{"state":"Completed"},
			"chargePermissionId":"S01-5105180-3221187","chargeId":"S01-5105180-3221187-C056351"}`,
	})
	defer srv.Close()
	client := exampleClient(srv.URL)

	cs, resp, err := client.CheckoutSessions.Complete(context.Background(), "cs-1",
		&amazonpay.CompleteCheckoutSessionRequest{ChargeAmount: amazonpay.Price{Amount: "14.50", CurrencyCode: "USD"}})
	switch {
	case errors.Is(err, amazonpay.ErrCheckoutSessionCanceled):
		fmt.Println("buyer canceled or payment declined: start a new checkout")
		return
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, cs.State(), cs.ChargePermissionID, cs.ChargeID)
	// Output:
	// 200 Completed S01-5105180-3221187 S01-5105180-3221187-C056351
}

func ExampleChargeService_Capture() {
	srv := fakeAmazonPay(map[string]string{
		"POST /v2/charges/S01-5105180-3221187-C056351/capture": `{"chargeId":"S01-5105180-3221187-C056351",
			"captureAmount":{"amount":"14.50","currencyCode":"USD"},"statusDetails":{"state":"Captured"}}`,
	})
	defer srv.Close()
	client := exampleClient(srv.URL)

	amount, err := amazonpay.NewPrice(1450, "USD") // minor units: cents
	if err != nil {
		log.Fatal(err)
	}
	charge, _, err := client.Charges.Capture(context.Background(), "S01-5105180-3221187-C056351",
		&amazonpay.CaptureChargeRequest{CaptureAmount: amount},
		amazonpay.WithIdempotencyKey("order-1234-capture-1")) // same key on every retry
	if err != nil {
		log.Fatal(err)
	}
	cents, _ := charge.CaptureAmount.MinorUnits()
	fmt.Println(charge.State(), charge.CaptureAmount, cents)
	// Output:
	// Captured 14.50 USD 1450
}

func ExampleRefundService_Create() {
	srv := fakeAmazonPay(map[string]string{
		"POST /v2/refunds": `{"refundId":"S01-5105180-3221187-R022311","chargeId":"S01-5105180-3221187-C056351",
			"refundAmount":{"amount":"5.00","currencyCode":"USD"},"statusDetails":{"state":"RefundInitiated"}}`,
	})
	defer srv.Close()
	client := exampleClient(srv.URL)

	refund, _, err := client.Refunds.Create(context.Background(), &amazonpay.CreateRefundRequest{
		ChargeID:     "S01-5105180-3221187-C056351",
		RefundAmount: amazonpay.Price{Amount: "5.00", CurrencyCode: "USD"},
	}, amazonpay.WithIdempotencyKey("order-1234-refund-1"))
	if err != nil {
		log.Fatal(err)
	}
	// Refunds settle asynchronously: RefundInitiated now, Refunded later.
	fmt.Println(refund.RefundID, refund.State())
	// Output:
	// S01-5105180-3221187-R022311 RefundInitiated
}

func ExampleClient_SignButtonPayload() {
	client := exampleClient("http://127.0.0.1:1") // signing a button payload sends nothing

	cfg, err := client.SignButtonPayload(&amazonpay.CreateCheckoutSessionRequest{
		WebCheckoutDetails: &amazonpay.WebCheckoutDetails{CheckoutReviewReturnURL: "https://shop.example/review?step=2&x=y"},
		StoreID:            "amzn1.application-oa2-client.example",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Render cfg as checkout.js's createCheckoutSessionConfig.
	fmt.Println(cfg.PayloadJSON)
	fmt.Println(cfg.PublicKeyID, cfg.Algorithm)
	err = signing.VerifyButtonSignature(&exampleKey().PublicKey, signing.AlgorithmV2, []byte(cfg.PayloadJSON), cfg.Signature)
	fmt.Println("signature verifies:", err == nil)
	// Output:
	// {"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://shop.example/review?step=2&x=y"},"storeId":"amzn1.application-oa2-client.example"}
	// SANDBOX-AEXAMPLEPUBLICKEYID AMZN-PAY-RSASSA-PSS-V2
	// signature verifies: true
}

func ExampleAPIError() {
	srv := fakeAmazonPay(nil) // knows no charge: every lookup is a 404
	defer srv.Close()
	client := exampleClient(srv.URL)

	_, _, err := client.Charges.Get(context.Background(), "S01-0000000-0000000-C000000")
	var apiErr *amazonpay.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.ReasonCode, apiErr.RequestID)
	}
	fmt.Println(errors.Is(err, amazonpay.ErrNotFound))

	// Bad input never leaves the process.
	_, _, err = client.Charges.Get(context.Background(), "../refunds/R1")
	var inErr *amazonpay.InputError
	fmt.Println(errors.As(err, &inErr), inErr.Field)
	// Output:
	// 404 ResourceNotFound example-request-id
	// true
	// true chargeId
}

func ExamplePrice_MinorUnits() {
	for _, p := range []amazonpay.Price{
		{Amount: "14.50", CurrencyCode: "USD"},
		{Amount: "1400", CurrencyCode: "JPY"},
		{Amount: "705.00", CurrencyCode: "JPY"},
	} {
		n, err := p.MinorUnits()
		fmt.Println(p, n, err)
	}
	// Output:
	// 14.50 USD 1450 <nil>
	// 1400 JPY 1400 <nil>
	// 705.00 JPY 0 amazonpay: invalid amount: "705.00" has more than 0 decimal places for JPY
}
