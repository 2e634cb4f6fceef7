package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache: the store's SQL is a fixed set
// of texts plus a few built from filters (IN lists of varying length), and
// those beyond the bound are simply run unprepared.
const maxCachedStmts = 256

// stmtCache prepares each SQL text once per pool and reuses it, on SQLite.
// modernc.org/sqlite compiles every statement it is given from scratch —
// tokenizer, parser, code generator — and a money movement runs about
// twenty of them, so compiling was a tenth of a capture's CPU. database/sql
// keeps one prepared copy per connection behind each *sql.Stmt, and
// Tx.StmtContext reuses the transaction's connection's copy. pgx caches
// prepared statements per connection by itself, so PostgreSQL does not use
// this.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
	// preparing holds the texts being prepared in the background.
	preparing map[string]bool
	closed    bool
	wg        sync.WaitGroup
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt), preparing: make(map[string]bool)}
}

// lookup returns the prepared statement for query, if there is one yet.
// A text not seen before is prepared in the background: preparing needs a
// connection of the pool, and the caller may be a transaction holding the
// last one (a pool of one connection, as :memory: databases have), which
// would wait for itself. Until it is ready the text runs unprepared.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.preparing[query] || len(c.m)+len(c.preparing) >= maxCachedStmts {
		return c.m[query]
	}
	c.preparing[query] = true
	c.wg.Go(func() { c.prepare(query) })
	return nil
}

// prepare prepares query and adds it to the cache; a text that does not
// prepare stays unprepared (running it reports the error).
func (c *stmtCache) prepare(query string) {
	st, err := c.db.PrepareContext(context.Background(), query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.preparing, query)
	if err != nil {
		c.preparing[query] = true // never again
		return
	}
	if c.closed {
		_ = st.Close()
		return
	}
	c.m[query] = st
}

// close closes the prepared statements.
// Background prepares still waiting for a connection end when the pool
// closes; wait waits for them.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// wait waits for the background prepares.
func (c *stmtCache) wait() { c.wg.Wait() }

// cachedPool runs statements on the pool through the cache.
type cachedPool struct {
	db    *sql.DB
	cache *stmtCache
}

func (p cachedPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.cache.lookup(query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

func (p cachedPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.cache.lookup(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

func (p cachedPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.cache.lookup(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

// cachedTx runs statements in a transaction through the cache.
type cachedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.cache.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.cache.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.cache.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
