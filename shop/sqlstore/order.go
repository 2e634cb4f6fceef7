package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/apaykit/apaykit/shop"
)

const orderColumns = `id, number, total, currency, status, authorized, captured, refunded,
	buyer_email, buyer_name, shipping, cart_id, subscription_id, created_at, updated_at, version`

// numberAlphabet has no 0/O, 1/I/L, so a number read over the phone is
// unambiguous.
const numberAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newOrderNumber returns "XXXX-XXXX" from 31 symbols: about 40 bits, random,
// so order numbers reveal nothing and cannot be enumerated.
func newOrderNumber() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	for i, x := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(numberAlphabet[int(x)%len(numberAlphabet)])
	}
	return sb.String()
}

// CreateOrder implements [shop.OrderStore].
func (c *conn) CreateOrder(ctx context.Context, o *shop.Order) error {
	if err := o.Validate(); err != nil {
		return err
	}
	shipping, err := shippingJSON(o.Shipping)
	if err != nil {
		return err
	}
	now := c.now()
	err = c.atomic(ctx, func(c *conn) error {
		// A random number can collide; ON CONFLICT DO NOTHING lets us try
		// another without aborting the transaction.
		for range 5 {
			number := newOrderNumber()
			err := c.q.QueryRowContext(ctx, `
				INSERT INTO orders (number, total, currency, status, buyer_email, buyer_name, shipping, cart_id, subscription_id, created_at, updated_at, version)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1)
				ON CONFLICT DO NOTHING RETURNING id`,
				number, o.Total, o.Currency, string(shop.StatusPendingPayment), o.BuyerEmail, o.BuyerName, shipping, o.CartID,
				nullID(o.SubscriptionID), us(now)).Scan(&o.ID)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			o.Number = number
			break
		}
		if o.Number == "" {
			return shop.Errorf(shop.ECONFLICT, "Could not allocate an order number; try again.")
		}
		for i, it := range o.Items {
			if _, err := c.q.ExecContext(ctx, `
				INSERT INTO order_items (order_id, line, product_id, sku, name, unit_price, quantity)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				o.ID, i+1, it.ProductID, it.SKU, it.Name, it.UnitPrice, it.Quantity); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		o.ID, o.Number = 0, ""
		return wrap("create order", err)
	}
	o.Status, o.Authorized, o.Captured, o.Refunded = shop.StatusPendingPayment, 0, 0, 0
	o.CreatedAt, o.UpdatedAt, o.Version = now, now, 1
	return nil
}

// Order implements [shop.OrderStore].
func (c *conn) Order(ctx context.Context, id int64) (*shop.Order, error) {
	return c.orderWhere(ctx, "id = $1", "", id)
}

// OrderByNumber implements [shop.OrderStore].
func (c *conn) OrderByNumber(ctx context.Context, number string) (*shop.Order, error) {
	return c.orderWhere(ctx, "number = $1", "", number)
}

// LockOrder implements [shop.Tx].
func (t *Tx) LockOrder(ctx context.Context, id int64) (*shop.Order, error) {
	o, err := t.orderWhere(ctx, "id = $1", t.db.dialect.forUpdate(), id)
	t.remember(o)
	return o, err
}

// LockOrderHead implements [shop.Tx].
func (t *Tx) LockOrderHead(ctx context.Context, id int64) (*shop.Order, error) {
	o, err := scanOrder(t.q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`+t.db.dialect.forUpdate(), id))
	if err != nil {
		return nil, wrap("order", notFound(err, "Order %v not found.", id))
	}
	t.remember(o)
	return o, nil
}

// remember notes a locked order's number: it cannot change while the
// lock is held.
func (t *Tx) remember(o *shop.Order) {
	if o == nil {
		return
	}
	if t.locked == nil {
		t.locked = make(map[int64]string, 1)
	}
	t.locked[o.ID] = o.Number
}

func (c *conn) orderWhere(ctx context.Context, where, lock string, arg any) (*shop.Order, error) {
	o, err := scanOrder(c.q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE `+where+lock, arg))
	if err != nil {
		return nil, wrap("order", notFound(err, "Order %v not found.", arg))
	}
	if err := c.loadItems(ctx, []*shop.Order{o}); err != nil {
		return nil, wrap("order items", err)
	}
	return o, nil
}

// Orders implements [shop.OrderStore].
func (c *conn) Orders(ctx context.Context, f shop.OrderFilter) ([]*shop.Order, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if f.BuyerEmail != "" {
		add("buyer_email = ?", f.BuyerEmail)
	}
	// in renders "IN ($k, …)" for values, appending them to args.
	in := func(values []string) string {
		ph := make([]string, len(values))
		for i, v := range values {
			args = append(args, v)
			ph[i] = "$" + itoa(len(args))
		}
		return "IN (" + strings.Join(ph, ", ") + ")"
	}
	if len(f.Status) > 0 {
		st := make([]string, len(f.Status))
		for i, s := range f.Status {
			st[i] = string(s)
		}
		where = append(where, "status "+in(st))
	}
	if !f.CreatedFrom.IsZero() {
		add("created_at >= ?", us(f.CreatedFrom))
	}
	if !f.CreatedTo.IsZero() {
		add("created_at < ?", us(f.CreatedTo))
	}
	// Filters on the Amazon Pay side are correlated EXISTS, answered from
	// the order_id indexes of payments, charges and refunds.
	if f.Paid != nil {
		paid := `EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.charge_permission_id <> '')`
		if !*f.Paid {
			paid = "NOT " + paid
		}
		where = append(where, paid)
	}
	if len(f.ChargePermissionState) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.charge_permission_id <> '' AND p.cp_state `+in(f.ChargePermissionState)+`)`)
	}
	if len(f.ChargeState) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM charges c WHERE c.order_id = orders.id AND c.state `+in(f.ChargeState)+`)`)
	}
	if len(f.RefundState) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = orders.id AND r.state `+in(f.RefundState)+`)`)
	}
	query := `SELECT ` + orderColumns + ` FROM orders`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit(f.Limit))
	query += ` ORDER BY id DESC LIMIT $` + itoa(len(args))
	rows, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap("orders", err)
	}
	var out []*shop.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, wrap("orders", err)
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("orders", err)
	}
	return out, wrap("order items", c.loadItems(ctx, out))
}

// UpdateOrder implements [shop.OrderStore].
func (c *conn) UpdateOrder(ctx context.Context, o *shop.Order) error {
	if !o.Status.Valid() {
		return shop.Errorf(shop.EINVALID, "Unknown order status %q.", o.Status)
	}
	if o.Authorized < 0 || o.Captured < 0 || o.Refunded < 0 {
		return shop.Errorf(shop.EINVALID, "Order amounts must not be negative.")
	}
	shipping, err := shippingJSON(o.Shipping)
	if err != nil {
		return err
	}
	now := c.now()
	res, err := c.q.ExecContext(ctx, `
		UPDATE orders SET status = $1, authorized = $2, captured = $3, refunded = $4,
			buyer_email = $5, buyer_name = $6, shipping = $7, updated_at = $8, version = version + 1
		WHERE id = $9 AND version = $10`,
		string(o.Status), o.Authorized, o.Captured, o.Refunded, o.BuyerEmail, o.BuyerName, shipping, us(now), o.ID, o.Version)
	if err != nil {
		return wrap("update order", err)
	}
	if n, err := affected(res); err != nil {
		return wrap("update order", err)
	} else if n == 0 {
		var v int64
		err := c.q.QueryRowContext(ctx, `SELECT version FROM orders WHERE id = $1`, o.ID).Scan(&v)
		if err != nil {
			return wrap("update order", notFound(err, "Order %d not found.", o.ID))
		}
		return shop.Errorf(shop.ECONFLICT, "Order %s was changed by someone else (version %d, expected %d); reload and retry.", o.Number, v, o.Version)
	}
	o.Version++
	o.UpdatedAt = now
	return nil
}

func (c *conn) loadItems(ctx context.Context, orders []*shop.Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[int64]*shop.Order, len(orders))
	var ph []string
	var args []any
	for _, o := range orders {
		byID[o.ID] = o
		args = append(args, o.ID)
		ph = append(ph, "$"+itoa(len(args)))
	}
	rows, err := c.q.QueryContext(ctx, `
		SELECT order_id, product_id, sku, name, unit_price, quantity FROM order_items
		WHERE order_id IN (`+strings.Join(ph, ", ")+`) ORDER BY order_id, line`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var it shop.OrderItem
		if err := rows.Scan(&id, &it.ProductID, &it.SKU, &it.Name, &it.UnitPrice, &it.Quantity); err != nil {
			return err
		}
		byID[id].Items = append(byID[id].Items, it)
	}
	return rows.Err()
}

func scanOrder(s scanner) (*shop.Order, error) {
	var o shop.Order
	var shipping sql.NullString
	var subID sql.NullInt64
	err := s.Scan(&o.ID, &o.Number, &o.Total, &o.Currency, &o.Status, &o.Authorized, &o.Captured, &o.Refunded,
		&o.BuyerEmail, &o.BuyerName, &shipping, &o.CartID, &subID, tm(&o.CreatedAt), tm(&o.UpdatedAt), &o.Version)
	if err != nil {
		return nil, err
	}
	o.SubscriptionID = subID.Int64
	if shipping.Valid {
		o.Shipping = new(shop.Address)
		if err := json.Unmarshal([]byte(shipping.String), o.Shipping); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

func shippingJSON(a *shop.Address) (any, error) {
	if a == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func itoa(n int) string { return strconv.Itoa(n) }
