-- +goose Up
-- SQLite schema. Kept column-for-column identical to ../postgres; only
-- types that differ between the engines differ here (INTEGER PRIMARY KEY
-- AUTOINCREMENT vs identity columns, BLOB vs BYTEA, trigger syntax).
-- Times are INTEGER microseconds since the Unix epoch (UTC) in both.
-- Amounts are INTEGER minor units. Booleans are INTEGER 0/1.

CREATE TABLE products (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sku             TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    price           INTEGER NOT NULL CHECK (price >= 0),
    currency        TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    plan_unit       TEXT    NOT NULL DEFAULT '',
    plan_count      INTEGER NOT NULL DEFAULT 0,
    plan_amount     INTEGER NOT NULL DEFAULT 0,
    plan_trial_days INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE carts (
    id                  TEXT    PRIMARY KEY,
    currency            TEXT    NOT NULL DEFAULT '',
    checkout_session_id TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX carts_updated_at ON carts (updated_at);

CREATE TABLE cart_items (
    cart_id    TEXT    NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT    NOT NULL UNIQUE,
    total           INTEGER NOT NULL CHECK (total > 0),
    currency        TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending_payment', 'payment_pending', 'authorized',
                        'partially_captured', 'captured', 'partially_refunded', 'refunded', 'canceled',
                        'declined', 'expired')),
    authorized      INTEGER NOT NULL DEFAULT 0 CHECK (authorized >= 0),
    captured        INTEGER NOT NULL DEFAULT 0 CHECK (captured >= 0),
    refunded        INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    buyer_email     TEXT    NOT NULL DEFAULT '',
    buyer_name      TEXT    NOT NULL DEFAULT '',
    shipping        TEXT,
    cart_id         TEXT    NOT NULL DEFAULT '',
    subscription_id INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_buyer_email ON orders (buyer_email, id);

CREATE TABLE order_items (
    order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line       INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    sku        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    PRIMARY KEY (order_id, line)
);

CREATE TABLE payments (
    order_id             INTEGER PRIMARY KEY REFERENCES orders (id),
    checkout_session_id  TEXT UNIQUE,
    charge_permission_id TEXT,
    cp_type              TEXT    NOT NULL DEFAULT '',
    cp_state             TEXT    NOT NULL DEFAULT '',
    cp_reason            TEXT    NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX payments_charge_permission ON payments (charge_permission_id, order_id);

CREATE TABLE charges (
    id              TEXT    PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES payments (order_id),
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    captured_amount INTEGER NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
    state           TEXT    NOT NULL,
    reason_code     TEXT    NOT NULL DEFAULT '',
    expires_at      INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX charges_order ON charges (order_id);
CREATE INDEX charges_expiry ON charges (state, expires_at);

CREATE TABLE refunds (
    id          TEXT    PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES payments (order_id),
    charge_id   TEXT    NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    state       TEXT    NOT NULL,
    reason_code TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX refunds_order ON refunds (order_id);

CREATE TABLE amazon_calls (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        INTEGER,
    operation       TEXT    NOT NULL,
    resource_id     TEXT    NOT NULL DEFAULT '',
    idempotency_key TEXT    NOT NULL DEFAULT '',
    request_id      TEXT    NOT NULL DEFAULT '',
    http_status     INTEGER NOT NULL DEFAULT 0,
    reason_code     TEXT    NOT NULL DEFAULT '',
    error           TEXT    NOT NULL DEFAULT '',
    at              INTEGER NOT NULL,
    duration_us     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX amazon_calls_order ON amazon_calls (order_id, id);
-- +goose StatementBegin
CREATE TRIGGER amazon_calls_no_update BEFORE UPDATE ON amazon_calls
BEGIN
    SELECT RAISE(ABORT, 'amazon_calls is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER amazon_calls_no_delete BEFORE DELETE ON amazon_calls
BEGIN
    SELECT RAISE(ABORT, 'amazon_calls is append-only');
END;
-- +goose StatementEnd

CREATE TABLE money_movements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    operation   TEXT    NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    currency    TEXT    NOT NULL,
    client_key  TEXT    NOT NULL,
    amazon_key  TEXT    NOT NULL UNIQUE,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    charge_id   TEXT    NOT NULL DEFAULT '',
    refund_id   TEXT    NOT NULL DEFAULT '',
    reason_code TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- One order, one money movement at a time.
CREATE UNIQUE INDEX money_movements_one_pending ON money_movements (order_id) WHERE status = 'pending';
CREATE INDEX money_movements_order ON money_movements (order_id, id);
CREATE INDEX money_movements_pending ON money_movements (status, created_at);

CREATE TABLE idempotency_records (
    api_key_id   TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    locked_until INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    completed_at INTEGER,
    PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX idempotency_records_created ON idempotency_records (created_at);

CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL DEFAULT '',
    secret_hash  BLOB    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE admin_users (
    username      TEXT    PRIMARY KEY,
    password_hash BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
);

CREATE TABLE subscriptions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    buyer_email          TEXT    NOT NULL DEFAULT '',
    buyer_name           TEXT    NOT NULL DEFAULT '',
    product_id           INTEGER NOT NULL REFERENCES products (id),
    plan_unit            TEXT    NOT NULL,
    plan_count           INTEGER NOT NULL,
    plan_amount          INTEGER NOT NULL,
    plan_trial_days      INTEGER NOT NULL DEFAULT 0,
    currency             TEXT    NOT NULL,
    charge_permission_id TEXT    NOT NULL UNIQUE,
    status               TEXT    NOT NULL CHECK (status IN ('active', 'past_due', 'suspended', 'canceled')),
    anchor_at            INTEGER NOT NULL,
    periods_paid         INTEGER NOT NULL DEFAULT 0,
    current_period_start INTEGER NOT NULL,
    current_period_end   INTEGER NOT NULL,
    next_renewal_at      INTEGER,
    dunning_attempts     INTEGER NOT NULL DEFAULT 0,
    canceled_at          INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_due ON subscriptions (status, next_renewal_at);

CREATE TABLE recurring_usage (
    charge_permission_id TEXT    NOT NULL,
    month                TEXT    NOT NULL,
    currency             TEXT    NOT NULL,
    amount               INTEGER NOT NULL CHECK (amount >= 0),
    charges              INTEGER NOT NULL DEFAULT 0,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (charge_permission_id, month)
);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    run_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    locked_by       TEXT    NOT NULL DEFAULT '',
    locked_until    INTEGER,
    idempotency_key TEXT UNIQUE,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE INDEX jobs_lease ON jobs (status, locked_until);

CREATE TABLE throttle_buckets (
    account      TEXT    NOT NULL,
    op_class     TEXT    NOT NULL,
    tokens_milli INTEGER NOT NULL,
    burst        INTEGER NOT NULL,
    rate_milli   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (account, op_class)
);

CREATE TABLE notifications (
    id                   TEXT    PRIMARY KEY,
    type                 TEXT    NOT NULL DEFAULT '',
    object_type          TEXT    NOT NULL DEFAULT '',
    object_id            TEXT    NOT NULL DEFAULT '',
    charge_permission_id TEXT    NOT NULL DEFAULT '',
    received_at          INTEGER NOT NULL,
    processed_at         INTEGER
);
CREATE INDEX notifications_unprocessed ON notifications (received_at) WHERE processed_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE throttle_buckets;
DROP TABLE jobs;
DROP TABLE recurring_usage;
DROP TABLE subscriptions;
DROP TABLE admin_users;
DROP TABLE api_keys;
DROP TABLE idempotency_records;
DROP TABLE money_movements;
DROP TABLE amazon_calls;
DROP TABLE refunds;
DROP TABLE charges;
DROP TABLE payments;
DROP TABLE order_items;
DROP TABLE orders;
DROP TABLE cart_items;
DROP TABLE carts;
DROP TABLE products;
