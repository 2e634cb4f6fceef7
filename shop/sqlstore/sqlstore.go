// Package sqlstore implements [shop.Store] with database/sql, on SQLite
// (modernc.org/sqlite, pure Go, the default) and PostgreSQL (pgx).
//
// One set of SQL serves both: statements use $N placeholders, which both
// drivers bind positionally, and only the few constructs SQLite lacks
// (row locks) differ, through [dialect]. Schemas live in per-dialect
// migration folders (migrations/sqlite, migrations/postgres) that differ
// only in types; [Open] applies them with goose.
//
// Conventions that keep the two engines behaving alike:
//   - times are int64 microseconds since the Unix epoch, UTC, so
//     comparisons and ordering are plain integer ones on both;
//   - money is int64 minor units; there are no floats, no NUMERIC;
//   - an expected duplicate is handled with INSERT … ON CONFLICT DO NOTHING
//     rather than by catching the error, because on PostgreSQL an error
//     aborts the whole transaction.
//
// Concurrency: on PostgreSQL, transactions run at READ COMMITTED and take
// row locks where a read-check-write must not interleave (LockOrder,
// ClaimJobs with SKIP LOCKED, TakeToken). On SQLite every write transaction
// starts with BEGIN IMMEDIATE (the _txlock=immediate DSN option), which
// takes the database's write lock up front, so writers are serialised and a
// transaction never has to be retried because another one wrote in between;
// readers are not blocked (WAL).
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/apaykit/apaykit/shop"
)

//go:embed migrations
var migrations embed.FS

// dialect is the database engine behind a DB.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// forUpdate is the row-lock suffix of a SELECT: nothing on SQLite, where the
// transaction already holds the write lock.
func (d dialect) forUpdate() string {
	if d == postgresDialect {
		return " FOR UPDATE"
	}
	return ""
}

// skipLocked is the suffix of a queue's SELECT: lock the rows, and skip
// rows another transaction has locked, so workers never wait on each other.
func (d dialect) skipLocked() string {
	if d == postgresDialect {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// jsonText is the SQL text of a top-level string field of a JSON column
// (NULL when absent).
func (d dialect) jsonText(column, field string) string {
	if d == postgresDialect {
		return "(" + column + "::jsonb ->> '" + field + "')"
	}
	return "json_extract(" + column + ", '$." + field + "')"
}

// DB is the shop's store. It implements [shop.Store]; all its methods are
// safe for concurrent use, also by several processes sharing the database.
type DB struct {
	conn
	sqlDB   *sql.DB
	dialect dialect
	// stmts caches prepared statements on SQLite; nil on PostgreSQL.
	stmts *stmtCache
	// Now returns the current time; tests replace it to move time without
	// sleeping. Set it before use, not concurrently with calls.
	Now func() time.Time
	// Logger receives migration messages.
	Logger *slog.Logger
	// PasswordCost is the bcrypt cost of new admin password hashes; 0
	// means DefaultPasswordCost. Tests lower it.
	PasswordCost int

	dummyOnce sync.Once
	dummy     []byte
}

// Tx is a transaction. It implements [shop.Tx].
type Tx struct {
	conn
	sqlTx *sql.Tx
	// locked maps the orders this transaction locked to their numbers,
	// which derive Amazon Pay idempotency keys (BeginMoneyMovement).
	locked map[int64]string
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn carries the methods of the store. Embedded in DB it runs each call
// on the pool; embedded in Tx it runs them in the transaction.
type conn struct {
	db *DB
	q  querier
	tx *Tx // nil outside a transaction
}

var (
	_ shop.Store = (*DB)(nil)
	_ shop.Tx    = (*Tx)(nil)
)

// DefaultMaxConns is the connection pool size [Open] sets, idle ones
// included; change it with SQLDB().SetMaxOpenConns and SetMaxIdleConns.
// Several shop instances share one PostgreSQL server, whose default
// max_connections is 100.
const DefaultMaxConns = 32

// Open opens (creating if needed) and migrates the database named by dsn:
//
//   - "postgres://…" or "postgresql://…": PostgreSQL through pgx. Any
//     query parameter pgx understands may be given, e.g. search_path.
//   - anything else: an SQLite file path, or a "file:" URI. The pragmas the
//     store depends on are added unless the DSN sets them: foreign_keys(1),
//     journal_mode(WAL), busy_timeout(10000), synchronous(NORMAL) and
//     _txlock=immediate.
//
// Migrations run under a PostgreSQL advisory lock, so several instances
// may start at once.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db := &DB{Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
	db.conn = conn{db: db}
	driver, source := "sqlite", ""
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, source, db.dialect = "pgx", dsn, postgresDialect
	} else {
		var err error
		if source, err = sqliteDSN(dsn); err != nil {
			return nil, err
		}
	}
	sqlDB, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", db.dialect, err)
	}
	db.sqlDB = sqlDB
	db.conn.q = sqlDB
	if db.dialect == sqliteDialect {
		db.stmts = newStmtCache(sqlDB)
		db.conn.q = cachedPool{db: sqlDB, cache: db.stmts}
	}
	// database/sql keeps 2 idle connections by default: with a few dozen
	// requests in flight every other query would open a connection — on
	// PostgreSQL a new backend process, on SQLite a file opened and
	// configured again — and close it straight after. Keep as many idle
	// as may be open.
	sqlDB.SetMaxOpenConns(DefaultMaxConns)
	sqlDB.SetMaxIdleConns(DefaultMaxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if db.dialect == sqliteDialect && strings.Contains(source, ":memory:") {
		// Every connection to :memory: is a different database.
		sqlDB.SetMaxOpenConns(1)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect to %s: %w", db.dialect, redactDSNError(err))
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN turns a path or file: URI into a modernc DSN with the pragmas
// the store relies on.
func sqliteDSN(dsn string) (string, error) {
	if dsn == "" {
		return "", shop.Errorf(shop.EINVALID, "Empty database DSN.")
	}
	path, rawQuery, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", shop.Errorf(shop.EINVALID, "Malformed SQLite DSN query.")
	}
	have := strings.Join(q["_pragma"], ",")
	for _, p := range []struct{ name, value string }{
		{"foreign_keys", "foreign_keys(1)"},
		{"journal_mode", "journal_mode(WAL)"},
		{"busy_timeout", "busy_timeout(10000)"},
		{"synchronous", "synchronous(NORMAL)"},
	} {
		if !strings.Contains(have, p.name) {
			q.Add("_pragma", p.value)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode(), nil
}

// redactDSNError keeps a connection error from echoing a DSN with a
// password in it.
func redactDSNError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		if j := strings.Index(msg[i:], "@"); j >= 0 {
			return errors.New(msg[:i+3] + "…" + msg[i+j:])
		}
	}
	return err
}

// migrate applies the embedded migrations of the dialect.
func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect.String())
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSlog(db.Logger)}
	if db.dialect == postgresDialect {
		gd = goose.DialectPostgres
		// The advisory lock is per database and schema: instances
		// migrating the same schema wait for each other, while separate
		// schemas (parallel test runs) do not.
		var scope string
		if err := db.sqlDB.QueryRowContext(ctx, `SELECT current_database() || '.' || coalesce(current_schema(), '')`).Scan(&scope); err != nil {
			return fmt.Errorf("sqlstore: migrations: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("apaykit-shop-migrations:" + scope))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, db.sqlDB, sub, opts...)
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate %s: %w", db.dialect, err)
	}
	return nil
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.String() }

// SQLDB returns the underlying pool, for health checks and tests.
func (db *DB) SQLDB() *sql.DB { return db.sqlDB }

// Close closes the database.
func (db *DB) Close() error {
	if db.stmts == nil {
		return db.sqlDB.Close()
	}
	db.stmts.close()
	err := db.sqlDB.Close()
	db.stmts.wait()
	return err
}

// WithTx implements [shop.Store.WithTx].
func (db *DB) WithTx(ctx context.Context, fn func(tx shop.Tx) error) error {
	return db.withTx(ctx, func(tx *Tx) error { return fn(tx) })
}

func (db *DB) withTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	tx := &Tx{sqlTx: sqlTx}
	tx.conn = conn{db: db, q: sqlTx, tx: tx}
	if db.stmts != nil {
		tx.conn.q = cachedTx{tx: sqlTx, cache: db.stmts}
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// atomic runs fn in the current transaction, or in a new one when called
// outside a transaction, so that multi-statement methods are all-or-nothing
// either way.
func (c *conn) atomic(ctx context.Context, fn func(c *conn) error) error {
	if c.tx != nil {
		return fn(c)
	}
	return c.db.withTx(ctx, func(tx *Tx) error { return fn(&tx.conn) })
}

// now is the store clock, truncated to the microseconds the columns hold,
// so a value written and read back compares equal.
func (c *conn) now() time.Time { return c.db.Now().UTC().Truncate(time.Microsecond) }

// us converts a time to its column value; the zero time is NULL.
func us(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// usTime is a nullable time column, scanned from microseconds.
type usTime struct{ t *time.Time }

func (u usTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*u.t = time.Time{}
	case int64:
		*u.t = time.UnixMicro(x).UTC()
	default:
		return fmt.Errorf("sqlstore: time column holds %T", v)
	}
	return nil
}

// tm scans a time column into t.
func tm(t *time.Time) usTime { return usTime{t} }

// limit applies a default of 100 and a cap of 1000.
func limit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// notFound maps sql.ErrNoRows to an ENOTFOUND error with msg.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return shop.Errorf(shop.ENOTFOUND, format, args...)
	}
	return err
}

// affected returns the rows affected by res.
func affected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, nil
}

// wrap prefixes internal errors with the operation, leaving *shop.Error
// values as they are so their code and message reach the caller.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *shop.Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}
