package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// newCartID returns 128 random bits, URL-safe: the cart cookie value and the
// cart's only credential.
func newCartID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateCart implements [shop.CartStore].
func (c *conn) CreateCart(ctx context.Context) (*shop.Cart, error) {
	now := c.now()
	cart := &shop.Cart{ID: newCartID(), CreatedAt: now, UpdatedAt: now}
	_, err := c.q.ExecContext(ctx, `INSERT INTO carts (id, created_at, updated_at) VALUES ($1, $2, $2)`, cart.ID, us(now))
	if err != nil {
		return nil, wrap("create cart", err)
	}
	return cart, nil
}

// Cart implements [shop.CartStore].
func (c *conn) Cart(ctx context.Context, id string) (*shop.Cart, error) {
	var cart shop.Cart
	err := c.q.QueryRowContext(ctx, `SELECT id, currency, checkout_session_id, created_at, updated_at FROM carts WHERE id = $1`, id).
		Scan(&cart.ID, &cart.Currency, &cart.CheckoutSessionID, tm(&cart.CreatedAt), tm(&cart.UpdatedAt))
	if err != nil {
		return nil, wrap("cart", notFound(err, "Cart not found."))
	}
	rows, err := c.q.QueryContext(ctx, `
		SELECT p.id, p.sku, p.name, p.price, i.quantity, p.plan_unit, p.plan_count, p.plan_amount, p.plan_trial_days
		FROM cart_items i JOIN products p ON p.id = i.product_id
		WHERE i.cart_id = $1 ORDER BY i.added_at, p.id`, id)
	if err != nil {
		return nil, wrap("cart items", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it shop.CartItem
		var plan shop.BillingPlan
		if err := rows.Scan(&it.ProductID, &it.SKU, &it.Name, &it.UnitPrice, &it.Quantity, &plan.Unit, &plan.Count, &plan.Amount, &plan.TrialDays); err != nil {
			return nil, wrap("cart items", err)
		}
		if plan.Unit != "" {
			it.Recurring = &plan
		}
		cart.Items = append(cart.Items, it)
	}
	return &cart, wrap("cart items", rows.Err())
}

// SetCartItem implements [shop.CartStore].
func (c *conn) SetCartItem(ctx context.Context, cartID string, productID int64, quantity int) (*shop.Cart, error) {
	if err := shop.ValidateQuantity(quantity); err != nil {
		return nil, err
	}
	var out *shop.Cart
	err := c.atomic(ctx, func(c *conn) error {
		cart, err := c.Cart(ctx, cartID)
		if err != nil {
			return err
		}
		p, err := c.Product(ctx, productID)
		if err != nil {
			return err
		}
		if !p.Active {
			return shop.Errorf(shop.EINVALID, "%s is no longer available.", p.Name)
		}
		if cart.Currency != "" && cart.Currency != p.Currency && !onlyItem(cart, productID) {
			return shop.Errorf(shop.EINVALID, "The cart is in %s; %s is priced in %s.", cart.Currency, p.Name, p.Currency)
		}
		if len(cart.Items) >= shop.MaxCartLines && !onlyItem(cart, productID) && !hasItem(cart, productID) {
			return shop.Errorf(shop.EINVALID, "A cart holds at most %d different products.", shop.MaxCartLines)
		}
		now := c.now()
		if _, err := c.q.ExecContext(ctx, `
			INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity`,
			cartID, productID, quantity, us(now)); err != nil {
			return err
		}
		if _, err := c.q.ExecContext(ctx, `UPDATE carts SET currency = $1, updated_at = $2 WHERE id = $3`, p.Currency, us(now), cartID); err != nil {
			return err
		}
		out, err = c.Cart(ctx, cartID)
		if err != nil {
			return err
		}
		_, err = out.Total()
		return err
	})
	return out, wrap("set cart item", err)
}

func hasItem(cart *shop.Cart, productID int64) bool {
	for _, it := range cart.Items {
		if it.ProductID == productID {
			return true
		}
	}
	return false
}

// onlyItem reports whether productID is the cart's only line (then its
// currency may change with the product's).
func onlyItem(cart *shop.Cart, productID int64) bool {
	return len(cart.Items) == 1 && cart.Items[0].ProductID == productID
}

// RemoveCartItem implements [shop.CartStore].
func (c *conn) RemoveCartItem(ctx context.Context, cartID string, productID int64) (*shop.Cart, error) {
	var out *shop.Cart
	err := c.atomic(ctx, func(c *conn) error {
		if _, err := c.q.ExecContext(ctx, `DELETE FROM cart_items WHERE cart_id = $1 AND product_id = $2`, cartID, productID); err != nil {
			return err
		}
		res, err := c.q.ExecContext(ctx, `
			UPDATE carts SET updated_at = $1,
				currency = CASE WHEN EXISTS (SELECT 1 FROM cart_items WHERE cart_id = $2) THEN currency ELSE '' END
			WHERE id = $2`, us(c.now()), cartID)
		if err != nil {
			return err
		}
		if n, _ := affected(res); n == 0 {
			return shop.Errorf(shop.ENOTFOUND, "Cart not found.")
		}
		out, err = c.Cart(ctx, cartID)
		return err
	})
	return out, wrap("remove cart item", err)
}

// SetCartCheckoutSession implements [shop.CartStore].
func (c *conn) SetCartCheckoutSession(ctx context.Context, cartID, checkoutSessionID string) error {
	res, err := c.q.ExecContext(ctx, `UPDATE carts SET checkout_session_id = $1, updated_at = $2 WHERE id = $3`, checkoutSessionID, us(c.now()), cartID)
	if err != nil {
		return wrap("set cart checkout session", err)
	}
	if n, _ := affected(res); n == 0 {
		return notFound(sql.ErrNoRows, "Cart not found.")
	}
	return nil
}

// DeleteCart implements [shop.CartStore].
func (c *conn) DeleteCart(ctx context.Context, id string) error {
	_, err := c.q.ExecContext(ctx, `DELETE FROM carts WHERE id = $1`, id)
	return wrap("delete cart", err)
}

// DeleteCartsBefore implements [shop.CartStore].
func (c *conn) DeleteCartsBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := c.q.ExecContext(ctx, `DELETE FROM carts WHERE updated_at < $1`, us(before))
	if err != nil {
		return 0, wrap("delete carts", err)
	}
	return affected(res)
}
