// Package checkout is the storefront's payment service: cart → Amazon Pay
// button → review → place order → result, written against [shop.Store] and
// the amazonpay SDK and nothing else, so it runs unchanged against Amazon Pay
// and against the emulator (amazonpaytest in tests, apay demo for people).
// The web pages (shop/web) are a thin layer over a [Service]; the back office
// and the subscriptions build on the same Service and its exported helpers.
//
// # The flow
//
// The steps follow Amazon Pay's multi-step checkout (api-objects.md §16.2):
//
//  1. Cart: the buyer's browser holds only the cart id (a random token in a
//     cookie). Prices and currency come from the products on the server;
//     the shop sells in one currency ([Config.Currency]) and refuses
//     products in another.
//  2. Button: [Service.Button] signs the checkout.js payload on the server.
//     Its checkoutReviewReturnUrl carries a token derived from the cart id
//     (an HMAC under [Config.Secret]), so a checkout session can later be
//     matched to the cart whose button created it. There are no amounts in
//     the payload: the amount is set on the server at "place order".
//  3. Review: Amazon sends the buyer to the review URL with
//     amazonCheckoutSessionId. [Service.Review] reads the session (buyer,
//     address, payment descriptor), checks it is Open and was created from
//     this cart's button (a session id from another cart or another shop is
//     refused), and binds it to the cart.
//  4. Place order: [Service.PlaceOrder] creates the order in pending_payment
//     from the server's cart snapshot, records the Complete Checkout Session
//     money movement with its Amazon idempotency key (one transaction), then
//     updates the session with the order total, the result URL and
//     merchantMetadata.merchantReferenceId = the order number, and returns
//     amazonPayRedirectUrl.
//  5. Result: Amazon sends the buyer to the result URL. [Service.Result]
//     completes the session with the movement's idempotency key and applies
//     what Amazon Pay answered to the order (Authorized, payment pending,
//     declined, canceled) in one transaction.
//
// # Exactly once
//
// The Complete call is recorded before it is made and finished after its
// answer is stored. Reloading the result URL after that shows the stored
// outcome and calls nothing. If the process dies between Complete and the
// commit, the movement is still pending: the next visit calls Complete again
// with the same idempotency key (Amazon Pay replays its first answer), and
// [Service.Reconcile] finishes movements nobody revisits by reading the
// checkout session. Two concurrent visits are serialised on the order row.
//
// # Amazon calls
//
// Every call to Amazon Pay is appended to the store's call log (operation,
// resource, idempotency key, request id, status, reasonCode, duration),
// never with bodies, keys or buyer data.
//
// # Errors
//
// Methods return *shop.Error values (EINVALID, ENOTFOUND, ECONFLICT) with
// messages safe to show to the buyer, and a *PaymentError when Amazon Pay
// refused or could not be reached. Anything else is internal.
package checkout
