// Package shop is the merchant backend's domain: the types (products, carts,
// orders and their payments, money movements, subscriptions, jobs, API keys),
// the rules that are pure functions of those types (the order state machine,
// refund and recurring limits, the throttle bucket, idempotency-key
// derivation), the [Store] interface the rest of the shop is written
// against, and the error codes every layer shares.
//
// It follows the "Standard Package Layout": this root package depends on
// nothing but the standard library and the module's own internal/money, and
// the implementations live in packages named after their dependency
// (shop/sqlstore for database/sql on SQLite and PostgreSQL; the web, REST and
// job packages on top). Tests of the HTTP layers can therefore replace the
// store with a fake without touching a database.
//
// # Money
//
// Every amount is an int64 in minor units of the order's currency (cents,
// pence, yen) next to its ISO 4217 code; internal/money converts to and from
// the decimal strings used on the wire. There is no float anywhere.
//
// # Transactions and concurrency
//
// Every state change runs inside [Store.WithTx]. Two requests that touch
// the same order are kept apart in two ways, and callers should use both:
//
//   - optimistic: [Order.Version] is checked by UpdateOrder, which returns
//     ECONFLICT if someone else updated the order since it was read;
//   - pessimistic: [Tx.LockOrder] reads the order and holds it until the
//     transaction ends (SELECT … FOR UPDATE on PostgreSQL; on SQLite every
//     write transaction is BEGIN IMMEDIATE, which serialises writers).
//
// A money movement (a call to Amazon Pay that moves money) is additionally
// guarded across the Amazon call itself, which must not run inside a
// database transaction: [MoneyMovement] records are written, with their
// Amazon idempotency key, before the call, and at most one may be pending per
// order (ECONFLICT otherwise). See BeginMoneyMovement.
//
// # Time
//
// Timestamps are UTC. The store takes "now" from an injectable clock so that
// lease expiry, throttling and renewals are tested without sleeping.
package shop
