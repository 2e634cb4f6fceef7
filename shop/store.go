package shop

import "context"

// Repository is every read and write the shop needs, grouped by resource.
// Both [Store] and [Tx] implement it: called on the Store, each method is
// its own transaction (methods that write several rows use one internally);
// called on a Tx, it joins that transaction.
type Repository interface {
	ProductStore
	CartStore
	OrderStore
	PaymentStore
	AmazonCallLog
	MoneyMovementStore
	IdempotencyStore
	APIKeyStore
	AdminUserStore
	SubscriptionStore
	RecurringUsageStore
	JobQueue
	Throttle
	NotificationStore
}

// Tx is a database transaction: the Repository plus row locks. It is only
// valid inside the function given to [Store.WithTx].
type Tx interface {
	Repository
	// LockOrder reads an order and locks it until the transaction ends, so
	// that its read-check-write cannot interleave with another
	// transaction's: SELECT … FOR UPDATE on PostgreSQL; on SQLite the
	// transaction already holds the database's write lock (BEGIN
	// IMMEDIATE). Returns ENOTFOUND.
	LockOrder(ctx context.Context, id int64) (*Order, error)
	// LockOrderHead is LockOrder without the order's Items, for work that
	// changes only the order row: payments, whose every transaction locks
	// the order, would otherwise read its lines each time for nothing.
	LockOrderHead(ctx context.Context, id int64) (*Order, error)
}

// Store is the shop's persistence.
type Store interface {
	Repository
	// WithTx runs fn in one transaction: committed if fn returns nil,
	// rolled back if it returns an error or panics (the panic continues).
	// fn must not call Amazon Pay or do other slow I/O: on SQLite a
	// transaction holds the write lock of the whole database.
	WithTx(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the database.
	Close() error
}
