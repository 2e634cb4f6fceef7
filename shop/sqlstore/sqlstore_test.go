package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// testDB is a store under test with its clock.
type testDB struct {
	*sqlstore.DB
	clock *sqlstoretest.Clock
}

// eachDB runs fn against a fresh SQLite database and, when
// APAY_TEST_POSTGRES is set, against a fresh PostgreSQL schema.
func eachDB(t *testing.T, fn func(t *testing.T, db *testDB)) {
	t.Helper()
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		fn(t, &testDB{DB: db.DB, clock: db.Clock})
	})
}

func newTestDB(t *testing.T, dsn string) *testDB {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	c := &sqlstoretest.Clock{}
	c.Set(sqlstoretest.Start)
	db.Now = c.Now
	db.PasswordCost = 4
	return &testDB{DB: db, clock: c}
}

// wantCode fails the test unless err has the shop error code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := shop.ErrorCode(err); got != want {
		t.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mustProduct creates a product.
func mustProduct(t *testing.T, db shop.Repository, sku string, price int64, currency string) *shop.Product {
	t.Helper()
	p := &shop.Product{SKU: sku, Name: "Product " + sku, Price: price, Currency: currency, Active: true}
	must(t, db.CreateProduct(t.Context(), p))
	return p
}

// mustOrder creates a USD order of total 10000 (two lines) with a payment
// record.
func mustOrder(t *testing.T, db shop.Repository) *shop.Order {
	t.Helper()
	p, err := db.ProductBySKU(t.Context(), "WIDGET")
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		p = mustProduct(t, db, "WIDGET", 2500, "USD")
	} else {
		must(t, err)
	}
	o := &shop.Order{
		Currency: "USD", Total: 10000, BuyerEmail: "buyer@example.com", BuyerName: "Test Buyer",
		Items: []shop.OrderItem{
			{ProductID: p.ID, SKU: p.SKU, Name: p.Name, UnitPrice: 2500, Quantity: 2},
			{ProductID: p.ID, SKU: p.SKU, Name: p.Name, UnitPrice: 5000, Quantity: 1},
		},
		Shipping: &shop.Address{Name: "Test Buyer", AddressLine1: "1 Main St", City: "Seattle", PostalCode: "98101", CountryCode: "US"},
	}
	must(t, db.CreateOrder(t.Context(), o))
	must(t, db.SavePayment(t.Context(), &shop.Payment{OrderID: o.ID}))
	return o
}

func TestOpen(t *testing.T) {
	t.Parallel()
	t.Run("reopen keeps data and migrations are idempotent", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "shop.db")
		db1 := newTestDB(t, path)
		mustProduct(t, db1, "A", 100, "USD")
		must(t, db1.Close())
		db2 := newTestDB(t, "file:"+path+"?_pragma=busy_timeout(2000)")
		if _, err := db2.ProductBySKU(t.Context(), "A"); err != nil {
			t.Fatal(err)
		}
		var fk, timeout int
		must(t, db2.SQLDB().QueryRowContext(t.Context(), `PRAGMA foreign_keys`).Scan(&fk))
		must(t, db2.SQLDB().QueryRowContext(t.Context(), `PRAGMA busy_timeout`).Scan(&timeout))
		if fk != 1 || timeout != 2000 {
			t.Errorf("foreign_keys=%d busy_timeout=%d; want 1 and the DSN's 2000", fk, timeout)
		}
		var mode string
		must(t, db2.SQLDB().QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode))
		if mode != "wal" {
			t.Errorf("journal_mode=%s, want wal", mode)
		}
	})
	t.Run("bad postgres DSN does not leak the password", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_, err := sqlstore.Open(ctx, "postgres://user:s3cr3tpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
		if err == nil {
			t.Fatal("connected to port 1")
		}
		if contains(err.Error(), "s3cr3tpw") {
			t.Errorf("error leaks the password: %v", err)
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestWithTxRollsBack(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		boom := shop.Errorf(shop.EINVALID, "boom")
		err := db.WithTx(ctx, func(tx shop.Tx) error {
			mustProduct(t, tx, "ROLLBACK", 100, "USD")
			if _, err := tx.Enqueue(ctx, &shop.Job{Kind: "x"}); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("WithTx returned %v", err)
		}
		if _, err := db.ProductBySKU(ctx, "ROLLBACK"); shop.ErrorCode(err) != shop.ENOTFOUND {
			t.Errorf("product survived rollback: %v", err)
		}
		if jobs, _ := db.Jobs(ctx, shop.JobFilter{}); len(jobs) != 0 {
			t.Errorf("job survived rollback: %d", len(jobs))
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic not propagated")
				}
			}()
			_ = db.WithTx(ctx, func(tx shop.Tx) error {
				mustProduct(t, tx, "PANIC", 100, "USD")
				panic("boom")
			})
		}()
		if _, err := db.ProductBySKU(ctx, "PANIC"); shop.ErrorCode(err) != shop.ENOTFOUND {
			t.Errorf("product survived panic: %v", err)
		}
	})
}
