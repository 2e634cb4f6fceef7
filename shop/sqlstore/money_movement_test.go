package sqlstore_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestMoneyMovements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		m := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, Amount: 10000, Currency: "USD", ClientKey: "idem-1", ChargeID: "C1"}
		created, err := db.BeginMoneyMovement(ctx, m)
		must(t, err)
		if !created || m.ID == 0 || m.Status != shop.MovementPending {
			t.Fatalf("begin: created=%v %+v", created, m)
		}
		if want := shop.AmazonIdempotencyKey(o.ID, o.Number, shop.OpCapture, "idem-1"); m.AmazonKey != want {
			t.Fatalf("AmazonKey %q, want %q", m.AmazonKey, want)
		}

		// A retry with the same client key gets the same movement and key.
		retry := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, Amount: 10000, Currency: "USD", ClientKey: "idem-1", ChargeID: "C1"}
		created, err = db.BeginMoneyMovement(ctx, retry)
		must(t, err)
		if created || retry.ID != m.ID || retry.AmazonKey != m.AmazonKey {
			t.Fatalf("replay: created=%v %+v", created, retry)
		}
		// Same key, different amount: refused.
		_, err = db.BeginMoneyMovement(ctx, &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, Amount: 5000, Currency: "USD", ClientKey: "idem-1", ChargeID: "C1"})
		wantCode(t, err, shop.EINVALID)
		// Another key while one is pending: one money movement at a time.
		_, err = db.BeginMoneyMovement(ctx, &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpRefund, Amount: 100, Currency: "USD", ClientKey: "idem-2", ChargeID: "C1"})
		wantCode(t, err, shop.ECONFLICT)
		// Other orders are not blocked.
		o2 := mustOrder(t, db)
		_, err = db.BeginMoneyMovement(ctx, &shop.MoneyMovement{OrderID: o2.ID, Operation: shop.OpCapture, Amount: 100, Currency: "USD", ClientKey: "idem-1"})
		must(t, err)

		_, err = db.BeginMoneyMovement(ctx, &shop.MoneyMovement{OrderID: 999, Operation: shop.OpCapture, ClientKey: "k"})
		wantCode(t, err, shop.ENOTFOUND)
		_, err = db.BeginMoneyMovement(ctx, &shop.MoneyMovement{OrderID: o.ID, Operation: "steal", ClientKey: "k"})
		wantCode(t, err, shop.EINVALID)
		_, err = db.BeginMoneyMovement(ctx, &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture})
		wantCode(t, err, shop.EINVALID)

		db.clock.Advance(time.Minute)
		pending, err := db.PendingMoneyMovements(ctx, db.clock.Now(), 0)
		must(t, err)
		if len(pending) != 2 || pending[0].ID != m.ID {
			t.Fatalf("pending = %+v", pending)
		}

		must(t, db.FinishMoneyMovement(ctx, m.ID, shop.MovementSucceeded, "", "", ""))
		wantCode(t, db.FinishMoneyMovement(ctx, m.ID, shop.MovementFailed, "", "", "x"), shop.ECONFLICT)
		wantCode(t, db.FinishMoneyMovement(ctx, 999, shop.MovementFailed, "", "", "x"), shop.ENOTFOUND)
		wantCode(t, db.FinishMoneyMovement(ctx, m.ID, shop.MovementPending, "", "", ""), shop.EINVALID)
		done, err := db.MoneyMovement(ctx, m.ID)
		must(t, err)
		if done.Status != shop.MovementSucceeded || done.ChargeID != "C1" {
			t.Fatalf("finished = %+v", done)
		}
		// The replay of a finished movement returns its result.
		created, err = db.BeginMoneyMovement(ctx, retry)
		must(t, err)
		if created || retry.Status != shop.MovementSucceeded {
			t.Fatalf("replay after finish: %v %+v", created, retry)
		}
		// Now a refund may start.
		ref := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpRefund, Amount: 100, Currency: "USD", ClientKey: "idem-2", ChargeID: "C1"}
		_, err = db.BeginMoneyMovement(ctx, ref)
		must(t, err)
		must(t, db.FinishMoneyMovement(ctx, ref.ID, shop.MovementFailed, "", "", "TransactionAmountExceeded"))
		list, err := db.MoneyMovements(ctx, o.ID)
		must(t, err)
		if len(list) != 2 || list[1].ReasonCode != "TransactionAmountExceeded" || list[1].Status != shop.MovementFailed {
			t.Fatalf("MoneyMovements = %+v", list)
		}
	})
}

// TestMoneyMovementReason: the merchant's reason is stored with the intent
// (before any outcome), survives a replay that brings another reason (the
// first is kept, the replay is not refused), is unaffected by finishing the
// movement, and is bounded.
func TestMoneyMovementReason(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		reason := `first parcel <b>"&'</b> — ünïcode`
		m := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, Amount: 4000, Currency: "USD", ClientKey: "r-1", ChargeID: "C1", Reason: reason}
		created, err := db.BeginMoneyMovement(ctx, m)
		must(t, err)
		if !created || m.Reason != reason {
			t.Fatalf("begin: created=%v %+v", created, m)
		}
		// Pending (as after a crash before the call): the reason is there.
		got, err := db.MoneyMovement(ctx, m.ID)
		must(t, err)
		if got.Reason != reason || got.Status != shop.MovementPending {
			t.Fatalf("pending movement = %+v", got)
		}
		// A replay with another reason (or none) gets the first one back.
		for _, other := range []string{"second thoughts", ""} {
			replay := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, Amount: 4000, Currency: "USD", ClientKey: "r-1", ChargeID: "C1", Reason: other}
			created, err = db.BeginMoneyMovement(ctx, replay)
			must(t, err)
			if created || replay.ID != m.ID || replay.Reason != reason {
				t.Fatalf("replay with reason %q: created=%v %+v", other, created, replay)
			}
		}
		must(t, db.FinishMoneyMovement(ctx, m.ID, shop.MovementSucceeded, "C1", "", ""))
		list, err := db.MoneyMovements(ctx, o.ID)
		must(t, err)
		if len(list) != 1 || list[0].Reason != reason || list[0].Status != shop.MovementSucceeded {
			t.Fatalf("MoneyMovements = %+v", list)
		}
		// Without a reason the column is empty, not NULL.
		plain := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpRefund, Amount: 100, Currency: "USD", ClientKey: "r-2", ChargeID: "C1"}
		_, err = db.BeginMoneyMovement(ctx, plain)
		must(t, err)
		pending, err := db.PendingMoneyMovements(ctx, db.clock.Now().Add(time.Minute), 0)
		must(t, err)
		if len(pending) != 1 || pending[0].ID != plain.ID || pending[0].Reason != "" {
			t.Fatalf("pending = %+v", pending)
		}
		must(t, db.FinishMoneyMovement(ctx, plain.ID, shop.MovementFailed, "", "", "InvalidChargeStatus"))
		// 255 bytes is the limit.
		long := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCancel, Currency: "USD", ClientKey: "r-3", ChargeID: "C1", Reason: strings.Repeat("x", shop.MaxReasonLen+1)}
		_, err = db.BeginMoneyMovement(ctx, long)
		wantCode(t, err, shop.EINVALID)
		long.Reason = long.Reason[:shop.MaxReasonLen]
		_, err = db.BeginMoneyMovement(ctx, long)
		must(t, err)
	})
}

// TestMoneyMovementOneAtATime: concurrent requests with different keys on
// one order; exactly one may start.
func TestMoneyMovementOneAtATime(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		const n = 8
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				m := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpCapture, Amount: 100, Currency: "USD", ClientKey: "key-" + string(rune('a'+i))}
				results[i] = db.WithTx(ctx, func(tx shop.Tx) error {
					if _, err := tx.LockOrder(ctx, o.ID); err != nil {
						return err
					}
					_, err := tx.BeginMoneyMovement(ctx, m)
					return err
				})
			})
		}
		wg.Wait()
		codes := map[string]int{}
		for _, err := range results {
			codes[shop.ErrorCode(err)]++
		}
		if codes[""] != 1 || codes[shop.ECONFLICT] != n-1 {
			t.Fatalf("results %v: want 1 started, %d ECONFLICT", results, n-1)
		}
	})
}

// TestCrashBetweenCompleteAndCommit models issue 7's crash: the intent was
// committed, CompleteCheckoutSession succeeded at Amazon, and the process
// died before the transaction recording the result committed. Recovery finds
// the pending movement and replays the call with the same Amazon key; the
// result is then recorded exactly once.
func TestCrashBetweenCompleteAndCommit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		o := mustOrder(t, db)
		intent := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpComplete, Amount: o.Total, Currency: "USD", ClientKey: "checkout:cs-1"}
		must(t, db.WithTx(ctx, func(tx shop.Tx) error {
			locked, err := tx.LockOrder(ctx, o.ID)
			if err != nil {
				return err
			}
			if err := locked.CanStart(shop.OpComplete, intent.Amount); err != nil {
				return err
			}
			if _, err := tx.BeginMoneyMovement(ctx, intent); err != nil {
				return err
			}
			_, err = tx.Enqueue(ctx, &shop.Job{Kind: "recover_movement", RunAt: db.clock.Now().Add(time.Minute),
				IdempotencyKey: "recover:checkout:cs-1", Payload: []byte(`{"orderId":1}`)})
			return err
		}))
		sentKey := intent.AmazonKey // … Amazon completes the checkout with this key …

		// The result transaction dies before commit.
		crash := shop.Errorf(shop.EINTERNAL, "process killed")
		err := db.WithTx(ctx, func(tx shop.Tx) error {
			locked, err := tx.LockOrder(ctx, o.ID)
			if err != nil {
				return err
			}
			must(t, locked.Apply(shop.OrderEvent{Kind: shop.EventAuthorized, Amount: 10000}))
			must(t, tx.UpdateOrder(ctx, locked))
			must(t, tx.FinishMoneyMovement(ctx, intent.ID, shop.MovementSucceeded, "C1", "", ""))
			return crash
		})
		if err != crash {
			t.Fatal(err)
		}

		// Recovery: the job becomes due and finds the movement still pending.
		db.clock.Advance(2 * time.Minute)
		jobs, err := db.ClaimJobs(ctx, "recovery", 10, time.Minute)
		must(t, err)
		if len(jobs) != 1 || jobs[0].Kind != "recover_movement" {
			t.Fatalf("recovery job not found: %+v", jobs)
		}
		pending, err := db.PendingMoneyMovements(ctx, db.clock.Now(), 10)
		must(t, err)
		if len(pending) != 1 || pending[0].AmazonKey != sentKey {
			t.Fatalf("pending = %+v", pending)
		}
		replay := &shop.MoneyMovement{OrderID: o.ID, Operation: shop.OpComplete, Amount: o.Total, Currency: "USD", ClientKey: "checkout:cs-1"}
		created, err := db.BeginMoneyMovement(ctx, replay)
		must(t, err)
		if created || replay.AmazonKey != sentKey {
			t.Fatalf("replay would use a new key: created=%v key=%q", created, replay.AmazonKey)
		}
		// … Amazon answers the replay with the stored result; record it.
		must(t, db.WithTx(ctx, func(tx shop.Tx) error {
			locked, err := tx.LockOrder(ctx, o.ID)
			if err != nil {
				return err
			}
			if err := locked.Apply(shop.OrderEvent{Kind: shop.EventAuthorized, Amount: 10000}); err != nil {
				return err
			}
			if err := tx.UpdateOrder(ctx, locked); err != nil {
				return err
			}
			if err := tx.FinishMoneyMovement(ctx, replay.ID, shop.MovementSucceeded, "C1", "", ""); err != nil {
				return err
			}
			return tx.CompleteJob(ctx, jobs[0].ID, "recovery")
		}))
		final, err := db.Order(ctx, o.ID)
		must(t, err)
		if final.Status != shop.StatusAuthorized || final.Authorized != 10000 || final.Version != 2 {
			t.Fatalf("recovered order %s authorized=%d v%d", final.Status, final.Authorized, final.Version)
		}
	})
}
