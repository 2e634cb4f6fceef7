// Package payments is the shop's money-movement service: the one place that
// authorizes, captures, cancels, refunds and closes Amazon Pay payments of
// orders, keeps the orders in step with what Amazon Pay reports, processes
// Instant Payment Notifications and reconciles objects still pending. The
// REST API, the back-office pages, the CLI (through the REST API) and the
// background jobs all go through a [Service]; none of them calls Amazon Pay
// for a payment directly.
//
// # Money movements
//
// Every call that moves money follows the same protocol ([shop.MoneyMovement]):
//
//  1. In one transaction, with the order locked ([shop.Tx.LockOrder]), the
//     request is checked against the order ([shop.Order.CanStart] and the
//     stored Amazon Pay objects), and a movement is recorded with the
//     Amazon idempotency key derived from the order, the operation and the
//     caller's key ([shop.AmazonIdempotencyKey]). At most one movement per
//     order is pending, so two captures of one order can never both reach
//     Amazon Pay, on SQLite and PostgreSQL alike.
//  2. The transaction commits; only then is Amazon Pay called, with that key.
//  3. In a second transaction the answer is applied: the Charge, Refund or
//     Charge Permission is stored, the order moves ([shop.ChargeEvents],
//     [shop.RefundEvents], [shop.Order.Apply]) and the movement is finished.
//
// If the process dies between 2 and 3, or Amazon Pay's answer is lost (a
// reset connection, a 5xx, a 429 that outlasted the retries), the movement
// stays pending. A retry of the same request, or the [Service.Reconcile]
// pass, resumes it with the same key, and Amazon Pay answers the replay with
// the original result instead of moving money twice.
//
// # Applying Amazon Pay's state
//
// Orders move only on states read from Amazon Pay: the answer to the
// merchant's own call, or a Get call made after a notification or during
// reconciliation. A notification's payload is never trusted, only its ids.
// Because the transitions are computed from the stored state to the state
// just read, applying the same state twice changes nothing, and
// notifications that arrive twice, late or out of order are harmless.
//
// # Re-authorization
//
// An authorization lasts 30 days. A capture of an order whose authorization
// has expired, or expires within [Config.ReauthorizeWithin], first replaces
// it: a still-open authorization is canceled, a new Charge is created on the
// same Charge Permission (if it is still Chargeable) and that Charge is
// captured. Each step is a money movement of its own with a key derived
// from the caller's, so a retry resumes wherever the first attempt stopped,
// and each step shows in the order's history.
//
// # Errors
//
// Failures are [*Error] values carrying Amazon Pay's reasonCode and HTTP
// status when Amazon Pay refused (or the shop refused on Amazon Pay's rules
// before calling: a capture above the authorized amount is
// TransactionAmountExceeded whether Amazon Pay or the shop said so), and a
// shop code otherwise. Requests that the shop can tell will fail are never
// sent.
package payments
