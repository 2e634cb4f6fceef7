// Package amazonpay is a client for the Amazon Pay API v2 ("Checkout v2").
// It signs every request itself, retries what is safe to retry, and
// imports only the standard library.
//
// # Configuration
//
// A Client is built once and shared; NewClient checks the whole
// configuration up front, so a bad region or an unreadable key fails at
// start-up, not on the first payment:
//
//	client, err := amazonpay.NewClient(
//		amazonpay.WithPublicKeyID("SANDBOX-AEXAMPLEPUBLICKEYID"),
//		amazonpay.WithPrivateKeyFile("private.pem"),
//		amazonpay.WithRegion("us"),
//	)
//
// NewClientFromEnv reads the same settings from APAY_PUBLIC_KEY_ID,
// APAY_PRIVATE_KEY (PEM text) or APAY_PRIVATE_KEY_FILE, APAY_REGION,
// APAY_SANDBOX, APAY_ALGORITHM, APAY_ENDPOINT and APAY_CA_FILE (see
// EnvConfig); the apay CLI, the Lambda handler and the shop use it.
//
// # Keys and signatures
//
// Amazon Pay authenticates each request by an RSA signature made with the
// merchant's private key (PKCS#1 or PKCS#8 PEM, at least 2048 bits); the
// public key is registered in Seller Central, which issues the public key
// id. The algorithm is AMZN-PAY-RSASSA-PSS-V2 by default (RSASSA-PSS,
// SHA-256, 32-byte salt); WithAlgorithm("AMZN-PAY-RSASSA-PSS") selects the
// older 20-byte salt. Each request signs accept, content-type,
// x-amz-pay-date, x-amz-pay-host, x-amz-pay-region, the idempotency key and
// any header added with WithHeader; User-Agent is sent but not signed, since
// proxies may rewrite it. The private key never appears in an error or a
// log line. Package signing holds the algorithm; Client.SignedHeaders signs
// a request for a caller's own HTTP stack.
//
// # Regions and environments
//
// WithRegion takes "us" or "na" (pay-api.amazon.com), "eu", "de" or "uk"
// (pay-api.amazon.eu) and "jp" (pay-api.amazon.jp), in any case. A public
// key id starting with "LIVE-" or "SANDBOX-" belongs to one environment and
// uses paths such as /v2/charges; WithSandbox is then ignored. A legacy id
// uses /live/v2/… by default and /sandbox/v2/… with WithSandbox(true).
//
// # Calls
//
// Each API resource has a service on the Client (CheckoutSessions,
// ChargePermissions, Charges, Refunds, Buyers, DeliveryTrackers,
// AuthorizationTokens, InStore, Reports, Disbursements, MerchantAccounts,
// Disputes, Files) and a file of the same name. Every method takes a
// context first and returns the decoded object, a *Response and an error:
//
//	charge, resp, err := client.Charges.Capture(ctx, chargeID,
//		&amazonpay.CaptureChargeRequest{CaptureAmount: price},
//		amazonpay.WithIdempotencyKey("order-42-capture"))
//
// Response carries the x-amz-pay-request-id (quote it to Amazon Pay
// support), the idempotency key sent and the number of attempts.
// Operations lists every operation with its method and path.
//
// # Idempotency
//
// Every POST carries x-amz-pay-idempotency-key: the caller's
// (WithIdempotencyKey) or 32 random hex characters generated once for the
// call. Amazon Pay stores the first answer to a key and returns it for any
// repeat with the same body, so a POST sent twice acts once. Derive keys
// from your own records ("order-42-capture") so that a retry after a crash
// reuses the key; a RequestError keeps the key of a call that got no answer
// for exactly that purpose. Keys are at most 32 characters of A–Z a–z 0–9 -
// _ and are checked before sending.
//
// # Retries
//
// A call is retried when the request failed in transport (connection
// refused or reset, timeout, truncated response) or the answer was 408,
// 425, 429, 500, 502, 503 or 504. Certificate and TLS errors are not
// retried: they fail the same way every time. Retrying is safe for every
// method: a POST repeats with the same idempotency key, so Amazon Pay
// replays the stored result instead of charging again; GET, PATCH and
// DELETE are idempotent by definition (Amazon Pay's own wording, which is
// why it ignores keys on them). Each attempt is signed afresh, with a new
// x-amz-pay-date, so a retry after a long wait is not rejected as stale.
//
// The wait between attempts is exponential backoff with full jitter (a
// random time up to 500ms, 1s, 2s, … capped at 8s), or the server's
// Retry-After (seconds or an HTTP date), capped at 30s. Waits end as soon
// as the context ends, and the context's error is returned. The default is
// four attempts in all; WithRetry(RetryPolicy{…}) changes the numbers and
// RetryPolicy{MaxAttempts: 1} turns retries off. Every retry decision is
// logged through the WithLogger logger, without headers or keys.
//
// # Errors
//
// An answer with status 400 or above is an *APIError with the status, the
// reasonCode and message of the body, and the request id. Compare it with
// the sentinels:
//
//	switch {
//	case errors.Is(err, amazonpay.ErrSoftDeclined):   // retry later
//	case errors.Is(err, amazonpay.ErrHardDeclined):   // ask for another payment method
//	case errors.Is(err, amazonpay.ErrNotFound):
//	}
//
// Bad input never reaches the network: an empty or unsafe id (".", "..",
// anything with a slash), a malformed amount, an unknown currency or an
// invalid idempotency key returns an *InputError naming the field. Ids are
// path-escaped, so an id cannot address another resource. A call that got
// no HTTP answer returns a *RequestError; errors.Is(err, context.Canceled)
// and errors.Is(err, context.DeadlineExceeded) see through it.
//
// # Money
//
// Amounts travel as decimal strings in Price{Amount, CurrencyCode} and are
// never converted to floating point. Price.MinorUnits converts to integer
// minor units and NewPrice back, using the currency's exponent: 0 for JPY,
// 2 for USD, EUR, GBP and the other currencies Amazon Pay documents (AUD,
// CHF, DKK, HKD, NOK, NZD, SEK, ZAR). Parsing is strict: no sign, no
// exponent, no more decimals than the currency has ("705.00" JPY is
// refused, as Amazon Pay refuses it), and an unknown currency is an error.
//
// # Decoding
//
// Response models accept null and absent fields alike and ignore unknown
// fields, so new API fields never break a client. States and reason codes
// are open string types (ChargeState, ReasonCode, …) with constants for the
// known values. Timestamps decode from Amazon Pay's 20060102T150405Z form
// into Timestamp. shippingAddressList elements, which the API sends as
// JSON-encoded strings, decode into addresses.
//
// # Buttons
//
// Client.SignButtonPayload signs the payload of a checkout.js button and
// returns a ButtonConfig ready to render as createCheckoutSessionConfig:
// the exact payload bytes signed, the signature, the public key id and the
// algorithm.
//
// # Emulator
//
// WithBaseURL("http://127.0.0.1:8080") sends every request to the apaykit
// emulator (or any server) instead of Amazon Pay; the path prefix rules
// still apply and x-amz-pay-host carries the emulator's host:port. For an
// HTTPS emulator with a self-signed certificate, trust it with
// WithCAFile or APAY_CA_FILE rather than disabling verification. Package
// amazonpaytest starts the emulator in-process for tests.
package amazonpay
