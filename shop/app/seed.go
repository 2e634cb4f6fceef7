package app

import (
	"context"

	"github.com/apaykit/apaykit/shop"
)

// DemoProducts are the products apay demo starts with: the same small
// coffee shop priced in USD and in JPY, so either store configuration has
// something to sell (and the other currency's products show the
// foreign-currency error).
func DemoProducts() []shop.Product {
	return []shop.Product{
		{SKU: "coffee-250g", Name: "Coffee beans, 250 g", Price: 1400, Currency: "USD", Active: true},
		{SKU: "mug", Name: "Stoneware mug", Price: 950, Currency: "USD", Active: true},
		{SKU: "kettle", Name: "Pour-over kettle", Price: 4200, Currency: "USD", Active: true},
		{SKU: "filters-100", Name: "Paper filters (100)", Price: 425, Currency: "USD", Active: true},
		{SKU: "coffee-250g-jp", Name: "コーヒー豆 250 g", Price: 1800, Currency: "JPY", Active: true},
		{SKU: "mug-jp", Name: "マグカップ", Price: 1200, Currency: "JPY", Active: true},
		{SKU: "kettle-jp", Name: "ドリップケトル", Price: 5500, Currency: "JPY", Active: true},
		{SKU: "filters-100-jp", Name: "ペーパーフィルター (100枚)", Price: 500, Currency: "JPY", Active: true},
	}
}

// SeedProducts creates the DemoProducts that do not exist yet (by SKU) and
// returns how many it created. Running it again changes nothing.
func SeedProducts(ctx context.Context, s shop.ProductStore) (int, error) {
	n := 0
	for _, p := range DemoProducts() {
		_, err := s.ProductBySKU(ctx, p.SKU)
		if err == nil {
			continue
		}
		if shop.ErrorCode(err) != shop.ENOTFOUND {
			return n, err
		}
		if err := s.CreateProduct(ctx, &p); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
