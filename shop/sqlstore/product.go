package sqlstore

import (
	"context"
	"database/sql"

	"github.com/apaykit/apaykit/shop"
)

const productColumns = `id, sku, name, price, currency, active, plan_unit, plan_count, plan_amount, plan_trial_days, created_at, updated_at`

// CreateProduct implements [shop.ProductStore].
func (c *conn) CreateProduct(ctx context.Context, p *shop.Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := c.now()
	unit, count, amount, trial := planColumns(p.Plan)
	err := c.q.QueryRowContext(ctx, `
		INSERT INTO products (sku, name, price, currency, active, plan_unit, plan_count, plan_amount, plan_trial_days, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		ON CONFLICT DO NOTHING
		RETURNING id`,
		p.SKU, p.Name, p.Price, p.Currency, boolInt(p.Active), unit, count, amount, trial, us(now),
	).Scan(&p.ID)
	if err == sql.ErrNoRows {
		return shop.Errorf(shop.ECONFLICT, "A product with SKU %q exists.", p.SKU)
	}
	if err != nil {
		return wrap("create product", err)
	}
	p.CreatedAt, p.UpdatedAt = now, now
	return nil
}

// UpdateProduct implements [shop.ProductStore].
func (c *conn) UpdateProduct(ctx context.Context, p *shop.Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := c.now()
	unit, count, amount, trial := planColumns(p.Plan)
	res, err := c.q.ExecContext(ctx, `
		UPDATE products SET name = $1, price = $2, currency = $3, active = $4,
			plan_unit = $5, plan_count = $6, plan_amount = $7, plan_trial_days = $8, updated_at = $9
		WHERE id = $10`,
		p.Name, p.Price, p.Currency, boolInt(p.Active), unit, count, amount, trial, us(now), p.ID)
	if err != nil {
		return wrap("update product", err)
	}
	if n, err := affected(res); err != nil || n == 0 {
		return notFound(sql.ErrNoRows, "Product %d not found.", p.ID)
	}
	p.UpdatedAt = now
	return nil
}

// Product implements [shop.ProductStore].
func (c *conn) Product(ctx context.Context, id int64) (*shop.Product, error) {
	p, err := scanProduct(c.q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE id = $1`, id))
	return p, wrap("product", notFound(err, "Product %d not found.", id))
}

// ProductBySKU implements [shop.ProductStore].
func (c *conn) ProductBySKU(ctx context.Context, sku string) (*shop.Product, error) {
	p, err := scanProduct(c.q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products WHERE sku = $1`, sku))
	return p, wrap("product", notFound(err, "Product %q not found.", sku))
}

// Products implements [shop.ProductStore].
func (c *conn) Products(ctx context.Context, f shop.ProductFilter) ([]*shop.Product, error) {
	rows, err := c.q.QueryContext(ctx, `
		SELECT `+productColumns+` FROM products
		WHERE id > $1 AND (active = 1 OR CAST($2 AS BIGINT) = 0)
		ORDER BY id LIMIT $3`, f.AfterID, boolInt(f.ActiveOnly), limit(f.Limit))
	if err != nil {
		return nil, wrap("products", err)
	}
	defer rows.Close()
	var out []*shop.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, wrap("products", err)
		}
		out = append(out, p)
	}
	return out, wrap("products", rows.Err())
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanProduct(s scanner) (*shop.Product, error) {
	var p shop.Product
	var active int64
	var plan shop.BillingPlan
	err := s.Scan(&p.ID, &p.SKU, &p.Name, &p.Price, &p.Currency, &active,
		&plan.Unit, &plan.Count, &plan.Amount, &plan.TrialDays, tm(&p.CreatedAt), tm(&p.UpdatedAt))
	if err != nil {
		return nil, err
	}
	p.Active = active != 0
	if plan.Unit != "" {
		p.Plan = &plan
	}
	return &p, nil
}

func planColumns(p *shop.BillingPlan) (unit string, count int, amount int64, trial int) {
	if p == nil {
		return "", 0, 0, 0
	}
	return string(p.Unit), p.Count, p.Amount, p.TrialDays
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
