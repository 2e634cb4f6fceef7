package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestStmtCacheOneConnection runs cached statements in transactions on a
// pool of one connection (an in-memory database): a statement first seen
// inside a transaction must not wait for a second connection, and once
// prepared it is reused, inside and outside transactions.
func TestStmtCacheOneConnection(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.stmts == nil {
		t.Fatal("SQLite store has no statement cache")
	}
	const q = `SELECT count(*) FROM orders WHERE id > $1`
	done := make(chan error, 1)
	go func() {
		done <- db.withTx(ctx, func(tx *Tx) error {
			var n int
			return tx.q.QueryRowContext(ctx, q, 0).Scan(&n)
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a transaction on a one-connection pool waited for a connection to prepare a statement")
	}
	// The background prepare runs once the transaction has let the
	// connection go.
	deadline := time.Now().Add(10 * time.Second)
	for db.stmts.lookup(q) == nil {
		if time.Now().After(deadline) {
			t.Fatal("statement never prepared")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range 3 {
		err := db.withTx(ctx, func(tx *Tx) error {
			var n int
			return tx.q.QueryRowContext(ctx, q, 0).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.q.QueryRowContext(ctx, q, 0).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStmtCacheBadSQLAndBound: a text that does not prepare reports its
// error when run, every time, and the cache stops growing at its bound
// while uncached texts still run.
func TestStmtCacheBadSQLAndBound(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir()+"/s.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 3 {
		if _, err := db.q.ExecContext(ctx, `SELEC nonsense`); err == nil {
			t.Fatal("bad SQL ran")
		}
	}
	for i := range maxCachedStmts + 20 {
		var n int
		if err := db.q.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d: %d, %v", i, n, err)
		}
	}
	db.stmts.wait()
	db.stmts.mu.RLock()
	size := len(db.stmts.m) + len(db.stmts.preparing)
	db.stmts.mu.RUnlock()
	if size > maxCachedStmts {
		t.Fatalf("cache holds %d texts, bound %d", size, maxCachedStmts)
	}
}
