package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/apaykit/apaykit/shop"
)

func TestOrders(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		if o.ID == 0 || len(o.Number) != 9 || o.Status != shop.StatusPendingPayment || o.Version != 1 {
			t.Fatalf("created order %+v", o)
		}
		got, err := db.Order(ctx, o.ID)
		must(t, err)
		if got.Number != o.Number || got.Total != 10000 || len(got.Items) != 2 || got.Items[1].UnitPrice != 5000 ||
			got.Shipping == nil || got.Shipping.City != "Seattle" || !got.CreatedAt.Equal(o.CreatedAt) {
			t.Fatalf("read back %+v", got)
		}
		byNumber, err := db.OrderByNumber(ctx, o.Number)
		must(t, err)
		if byNumber.ID != o.ID {
			t.Fatal("OrderByNumber found another order")
		}
		_, err = db.Order(ctx, 12345)
		wantCode(t, err, shop.ENOTFOUND)

		bad := &shop.Order{Currency: "USD", Total: 999, Items: []shop.OrderItem{{UnitPrice: 1000, Quantity: 1}}}
		wantCode(t, db.CreateOrder(ctx, bad), shop.EINVALID)

		must(t, got.Apply(shop.OrderEvent{Kind: shop.EventAuthorized, Amount: 10000}))
		must(t, db.UpdateOrder(ctx, got))
		if got.Version != 2 {
			t.Fatalf("version after update = %d", got.Version)
		}
		again, err := db.Order(ctx, o.ID)
		must(t, err)
		if again.Status != shop.StatusAuthorized || again.Authorized != 10000 || again.Version != 2 {
			t.Fatalf("update not stored: %+v", again)
		}
		// o still holds version 1: a stale write is refused.
		o.Status = shop.StatusCanceled
		wantCode(t, db.UpdateOrder(ctx, o), shop.ECONFLICT)
		wantCode(t, db.UpdateOrder(ctx, &shop.Order{ID: 999, Status: shop.StatusCanceled, Version: 1}), shop.ENOTFOUND)
		again.Status = "bogus"
		wantCode(t, db.UpdateOrder(ctx, again), shop.EINVALID)

		second := mustOrder(t, db)
		third := mustOrder(t, db)
		third.BuyerEmail = "other@example.com"
		must(t, db.UpdateOrder(ctx, third))
		list, err := db.Orders(ctx, shop.OrderFilter{})
		must(t, err)
		if len(list) != 3 || list[0].ID != third.ID || len(list[2].Items) != 2 {
			t.Fatalf("Orders newest first: %v", ids(list))
		}
		list, err = db.Orders(ctx, shop.OrderFilter{Status: []shop.OrderStatus{shop.StatusPendingPayment}, BuyerEmail: "buyer@example.com"})
		must(t, err)
		if len(list) != 1 || list[0].ID != second.ID {
			t.Fatalf("filtered Orders = %v", ids(list))
		}
		list, err = db.Orders(ctx, shop.OrderFilter{BeforeID: third.ID, Limit: 1})
		must(t, err)
		if len(list) != 1 || list[0].ID != second.ID {
			t.Fatalf("paged Orders = %v", ids(list))
		}
	})
}

func ids(os []*shop.Order) []int64 {
	var out []int64
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

// TestOrderOptimisticConflict: two requests read the same order and both
// try to change it; exactly one wins and the other gets ECONFLICT, so no
// update is lost silently.
func TestOrderOptimisticConflict(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		must(t, o.Apply(shop.OrderEvent{Kind: shop.EventAuthorized, Amount: 10000}))
		must(t, db.UpdateOrder(ctx, o))
		a, err := db.Order(ctx, o.ID)
		must(t, err)
		b, err := db.Order(ctx, o.ID)
		must(t, err)
		must(t, a.Apply(shop.OrderEvent{Kind: shop.EventCaptured, Amount: 10000}))
		must(t, b.Apply(shop.OrderEvent{Kind: shop.EventCanceled}))

		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, x := range []*shop.Order{a, b} {
			wg.Go(func() {
				errs[i] = db.WithTx(ctx, func(tx shop.Tx) error { return tx.UpdateOrder(ctx, x) })
			})
		}
		wg.Wait()
		codes := map[string]int{}
		for _, err := range errs {
			codes[shop.ErrorCode(err)]++
		}
		if codes[""] != 1 || codes[shop.ECONFLICT] != 1 {
			t.Fatalf("results %v, want one success and one ECONFLICT", errs)
		}
		final, err := db.Order(ctx, o.ID)
		must(t, err)
		if final.Version != 3 || (final.Status != shop.StatusCaptured && final.Status != shop.StatusCanceled) {
			t.Fatalf("final order %s v%d", final.Status, final.Version)
		}
	})
}

// TestLockOrderSerialises: many transactions each lock the order, check the
// state machine and record a refund; with the lock they run one after the
// other, so none is lost and none sees a stale order.
func TestLockOrderSerialises(t *testing.T) {
	t.Parallel()
	for _, lock := range lockMethods {
		t.Run(lock.name, func(t *testing.T) { testLockOrderSerialises(t, lock.fn) })
	}
}

// lockMethods are the two ways a transaction locks an order.
var lockMethods = []struct {
	name string
	fn   func(ctx context.Context, tx shop.Tx, id int64) (*shop.Order, error)
}{
	{"LockOrder", func(ctx context.Context, tx shop.Tx, id int64) (*shop.Order, error) { return tx.LockOrder(ctx, id) }},
	{"LockOrderHead", func(ctx context.Context, tx shop.Tx, id int64) (*shop.Order, error) { return tx.LockOrderHead(ctx, id) }},
}

func testLockOrderSerialises(t *testing.T, lock func(ctx context.Context, tx shop.Tx, id int64) (*shop.Order, error)) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		for _, ev := range []shop.OrderEvent{{Kind: shop.EventAuthorized, Amount: 10000}, {Kind: shop.EventCaptured, Amount: 10000}} {
			must(t, o.Apply(ev))
		}
		must(t, db.UpdateOrder(ctx, o))

		const n = 12 // 12 × 1000 > captured 10000 + margin 1500: the last ones must be refused
		var wg sync.WaitGroup
		var mu sync.Mutex
		var ok, refused int
		for range n {
			wg.Go(func() {
				err := db.WithTx(ctx, func(tx shop.Tx) error {
					locked, err := lock(ctx, tx, o.ID)
					if err != nil {
						return err
					}
					if err := locked.CanStart(shop.OpRefund, 1000); err != nil {
						return err
					}
					if err := locked.Apply(shop.OrderEvent{Kind: shop.EventRefunded, Amount: 1000}); err != nil {
						return err
					}
					return tx.UpdateOrder(ctx, locked)
				})
				mu.Lock()
				defer mu.Unlock()
				switch shop.ErrorCode(err) {
				case "":
					ok++
				case shop.EINVALID:
					refused++
				default:
					t.Errorf("unexpected error: %v", err)
				}
			})
		}
		wg.Wait()
		final, err := db.Order(ctx, o.ID)
		must(t, err)
		if ok != 11 || refused != 1 || final.Refunded != 11000 || final.Version != int64(2+ok) || final.Status != shop.StatusRefunded {
			t.Fatalf("ok=%d refused=%d final refunded=%d version=%d status=%s", ok, refused, final.Refunded, final.Version, final.Status)
		}
	})
}

func TestLockOrderNotFound(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		for _, lock := range lockMethods {
			err := db.WithTx(t.Context(), func(tx shop.Tx) error {
				_, err := lock.fn(t.Context(), tx, 4242)
				return err
			})
			wantCode(t, err, shop.ENOTFOUND)
			var se *shop.Error
			if !errors.As(err, &se) {
				t.Fatalf("%s: not a *shop.Error: %T", lock.name, err)
			}
		}
	})
}

// TestLockOrderHead: the order row as LockOrder reads it, without the
// lines; a money movement begun under the lock gets the same Amazon Pay
// key as one begun outside a transaction.
func TestLockOrderHead(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		if len(o.Items) == 0 {
			t.Fatal("the test order has no items")
		}
		m := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, ClientKey: "head", Amount: 100, Currency: o.Currency}
		must(t, db.WithTx(ctx, func(tx shop.Tx) error {
			head, err := tx.LockOrderHead(ctx, o.ID)
			if err != nil {
				return err
			}
			full := *o
			full.Items = nil
			if head.Items != nil || !reflect.DeepEqual(*head, full) {
				t.Errorf("LockOrderHead = %+v, want %+v without items", head, full)
			}
			_, err = tx.BeginMoneyMovement(ctx, m)
			return err
		}))
		if want := shop.AmazonIdempotencyKey(o.ID, o.Number, shop.OpCapture, "head"); m.AmazonKey != want {
			t.Fatalf("key %q, want %q", m.AmazonKey, want)
		}
	})
}
