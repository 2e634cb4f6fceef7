// Package sqlstoretest gives tests of packages built on the store (web,
// REST API, jobs) a real, migrated, throw-away database: SQLite in
// t.TempDir() always, and PostgreSQL when APAY_TEST_POSTGRES holds a DSN, in
// a fresh schema dropped at cleanup so parallel runs never collide. Each
// store gets a settable [Clock] so expiry, leases and throttling are tested
// without sleeping.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop/sqlstore"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "APAY_TEST_POSTGRES"

// Start is the time every test clock starts at.
var Start = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// Clock is a settable time source, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// DB is a store under test with its clock.
type DB struct {
	*sqlstore.DB
	Clock *Clock
}

// Each runs fn as the subtests "sqlite" and "postgres" (skipped when
// APAY_TEST_POSTGRES is unset), in parallel, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv(EnvPostgres)
		if dsn == "" {
			t.Skip(EnvPostgres + " not set")
		}
		t.Parallel()
		fn(t, Postgres(t, dsn))
	})
}

// SQLite returns a fresh SQLite store in t.TempDir().
func SQLite(t testing.TB) *DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "shop.db"))
}

// Postgres returns a store in a new schema apay_test_<random> of the
// database dsn names; the schema is dropped when the test ends.
func Postgres(t testing.TB, dsn string) *DB {
	t.Helper()
	return open(t, PostgresSchema(t, dsn))
}

// PostgresSchema creates a schema apay_test_<random> in the database dsn
// names, drops it when the test ends, and returns a DSN whose search_path
// is that schema: for tests that start shop processes of their own.
func PostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "apay_test_" + hex.EncodeToString(rnd[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s is not a URL", EnvPostgres)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	c := &Clock{t: Start}
	db.Now = c.Now
	db.PasswordCost = 4 // bcrypt's minimum: tests stay fast
	return &DB{DB: db, Clock: c}
}
