package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestSchemaParity keeps the two migration folders in step: every table has
// the same columns, in the same order, on SQLite and PostgreSQL.
func TestSchemaParity(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv(sqlstoretest.EnvPostgres)
	if dsn == "" {
		t.Skip(sqlstoretest.EnvPostgres + " not set")
	}
	lite := sqlstoretest.SQLite(t)
	pg := sqlstoretest.Postgres(t, dsn)
	liteTables := queryStrings(t, lite.SQLDB(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	pgTables := queryStrings(t, pg.SQLDB(), `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`)
	if !slices.Equal(liteTables, pgTables) {
		t.Fatalf("tables differ:\nsqlite   %v\npostgres %v", liteTables, pgTables)
	}
	for _, table := range liteTables {
		liteCols := queryStrings(t, lite.SQLDB(), `SELECT name FROM pragma_table_info($1) ORDER BY cid`, table)
		pgCols := queryStrings(t, pg.SQLDB(), `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
		if !slices.Equal(liteCols, pgCols) {
			t.Errorf("table %s columns differ:\nsqlite   %v\npostgres %v", table, liteCols, pgCols)
		}
	}
}

func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkStore measures the hot store paths on each engine: a token
// take (every Amazon Pay call), a locked order update (every money
// movement) and a claim-and-complete of one job.
func BenchmarkStore(b *testing.B) {
	engines := map[string]func(testing.TB) *sqlstoretest.DB{"sqlite": sqlstoretest.SQLite}
	if dsn := os.Getenv(sqlstoretest.EnvPostgres); dsn != "" {
		engines["postgres"] = func(tb testing.TB) *sqlstoretest.DB { return sqlstoretest.Postgres(tb, dsn) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name+"/TakeToken", func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			if err := db.SetThrottleLimit(ctx, "live/M", "GetCharge", 1_000_000, 1_000_000_000); err != nil {
				b.Fatal(err)
			}
			now := sqlstoretest.Start
			for b.Loop() {
				now = now.Add(time.Millisecond)
				if _, _, err := db.TakeToken(ctx, "live/M", "GetCharge", now); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/LockAndUpdateOrder", func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			p := &shop.Product{SKU: "B", Name: "B", Price: 100, Currency: "USD", Active: true}
			if err := db.CreateProduct(ctx, p); err != nil {
				b.Fatal(err)
			}
			o := &shop.Order{Currency: "USD", Total: 100, Items: []shop.OrderItem{{ProductID: p.ID, SKU: "B", Name: "B", UnitPrice: 100, Quantity: 1}}}
			if err := db.CreateOrder(ctx, o); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				err := db.WithTx(ctx, func(tx shop.Tx) error {
					locked, err := tx.LockOrder(ctx, o.ID)
					if err != nil {
						return err
					}
					locked.BuyerName = fmt.Sprint(i)
					return tx.UpdateOrder(ctx, locked)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/EnqueueClaimComplete", func(b *testing.B) {
			db := open(b)
			ctx := context.Background()
			for b.Loop() {
				if _, err := db.Enqueue(ctx, &shop.Job{Kind: "bench"}); err != nil {
					b.Fatal(err)
				}
				jobs, err := db.ClaimJobs(ctx, "w", 1, time.Minute)
				if err != nil || len(jobs) != 1 {
					b.Fatal(err, len(jobs))
				}
				if err := db.CompleteJob(ctx, jobs[0].ID, "w"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
