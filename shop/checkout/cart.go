package checkout

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// CartView is a cart with its total, as the pages show it. An unknown or
// absent cart is an empty view (ID "").
type CartView struct {
	ID       string
	Items    []shop.CartItem
	Total    int64
	Currency string
	// CheckoutSessionID is the Amazon Pay checkout session bound at the
	// review page, "" before (and after any change to the cart).
	CheckoutSessionID string
}

// Empty reports whether the cart has no items.
func (v *CartView) Empty() bool { return len(v.Items) == 0 }

// Count is the number of pieces in the cart.
func (v *CartView) Count() int {
	n := 0
	for _, it := range v.Items {
		n += it.Quantity
	}
	return n
}

func (s *Service) view(c *shop.Cart) (*CartView, error) {
	total, err := c.Total()
	if err != nil {
		return nil, err
	}
	ccy := c.Currency
	if ccy == "" {
		ccy = s.currency
	}
	return &CartView{ID: c.ID, Items: c.Items, Total: total, Currency: ccy, CheckoutSessionID: c.CheckoutSessionID}, nil
}

// ProductsTTL is how long Products serves its list from memory. The list
// is what the product page shows; carts and orders always read the
// product itself, so a price change reaches the cart at once and the
// listing within ProductsTTL.
const ProductsTTL = 2 * time.Second

// productList is a cached Products answer.
type productList struct {
	at   time.Time
	list []*shop.Product
}

// Products lists what the storefront sells: active one-time products in the
// shop's currency, by id (at most 1000). Subscription products are sold
// elsewhere. The list is cached for ProductsTTL; callers must not modify it.
func (s *Service) Products(ctx context.Context) ([]*shop.Product, error) {
	if c := s.products.Load(); c != nil && time.Since(c.at) < ProductsTTL {
		return c.list, nil
	}
	var out []*shop.Product
	var after int64
	for range 10 {
		page, err := s.store.Products(ctx, shop.ProductFilter{ActiveOnly: true, Limit: 100, AfterID: after})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if p.Currency == s.currency && p.Plan == nil {
				out = append(out, p)
			}
		}
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1].ID
	}
	s.products.Store(&productList{at: time.Now(), list: out})
	return out, nil
}

// Cart returns the cart with its total; an empty id or an unknown cart (an
// old cookie) is an empty cart, not an error.
func (s *Service) Cart(ctx context.Context, cartID string) (*CartView, error) {
	if cartID == "" {
		return &CartView{Currency: s.currency}, nil
	}
	c, err := s.store.Cart(ctx, cartID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return &CartView{Currency: s.currency}, nil
	}
	if err != nil {
		return nil, err
	}
	return s.view(c)
}

// sellable checks that the storefront may put a product in a cart. It
// returns ENOTFOUND for an unknown product and EINVALID for one that is
// inactive, a subscription, or priced in a foreign currency.
func (s *Service) sellable(ctx context.Context, productID int64) (*shop.Product, error) {
	if productID <= 0 {
		return nil, shop.Errorf(shop.ENOTFOUND, "There is no such product.")
	}
	p, err := s.store.Product(ctx, productID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, shop.Errorf(shop.ENOTFOUND, "There is no such product.")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !p.Active:
		return nil, shop.Errorf(shop.EINVALID, "%s is no longer available.", p.Name)
	case p.Plan != nil:
		return nil, shop.Errorf(shop.EINVALID, "%s is a subscription and cannot be bought from the cart.", p.Name)
	case p.Currency != s.currency:
		return nil, shop.Errorf(shop.EINVALID, "This shop sells in %s; %s is priced in %s.", s.currency, p.Name, p.Currency)
	}
	return p, nil
}

// openCart returns the cart cartID, or a new one when cartID is empty or
// unknown. created reports a new cart (its id goes into the cookie).
func (s *Service) openCart(ctx context.Context, cartID string) (c *shop.Cart, created bool, err error) {
	if cartID != "" {
		c, err = s.store.Cart(ctx, cartID)
		if err == nil {
			return c, false, nil
		}
		if shop.ErrorCode(err) != shop.ENOTFOUND {
			return nil, false, err
		}
	}
	c, err = s.store.CreateCart(ctx)
	return c, true, err
}

// AddItem adds quantity pieces of a product to the cart, creating the cart
// when cartID is empty or unknown; the returned view's ID is the cart to
// remember. Returns ENOTFOUND for an unknown product and EINVALID for a bad
// quantity (the line may hold 1 to 99), an unavailable product or one in a
// foreign currency. Any change unbinds the cart's checkout session, so the
// buyer reviews the new total before placing the order.
func (s *Service) AddItem(ctx context.Context, cartID string, productID int64, quantity int) (*CartView, error) {
	if err := shop.ValidateQuantity(quantity); err != nil {
		return nil, err
	}
	if _, err := s.sellable(ctx, productID); err != nil {
		return nil, err
	}
	c, _, err := s.openCart(ctx, cartID)
	if err != nil {
		return nil, err
	}
	for _, it := range c.Items {
		if it.ProductID == productID {
			quantity += it.Quantity
		}
	}
	if quantity > shop.MaxCartQuantity {
		return nil, shop.Errorf(shop.EINVALID, "A cart holds at most %d of one product.", shop.MaxCartQuantity)
	}
	return s.setItem(ctx, c, productID, quantity)
}

// SetQuantity sets the quantity of a product in the cart; 0 removes it.
// Errors as AddItem, plus ENOTFOUND for an unknown cart.
func (s *Service) SetQuantity(ctx context.Context, cartID string, productID int64, quantity int) (*CartView, error) {
	if quantity == 0 {
		return s.RemoveItem(ctx, cartID, productID)
	}
	if err := shop.ValidateQuantity(quantity); err != nil {
		return nil, err
	}
	if _, err := s.sellable(ctx, productID); err != nil {
		return nil, err
	}
	c, err := s.existingCart(ctx, cartID)
	if err != nil {
		return nil, err
	}
	return s.setItem(ctx, c, productID, quantity)
}

// RemoveItem removes a product from the cart (nothing happens if it is not
// there). Returns ENOTFOUND for an unknown cart.
func (s *Service) RemoveItem(ctx context.Context, cartID string, productID int64) (*CartView, error) {
	c, err := s.existingCart(ctx, cartID)
	if err != nil {
		return nil, err
	}
	c, err = s.store.RemoveCartItem(ctx, c.ID, productID)
	if err != nil {
		return nil, err
	}
	if err := s.unbind(ctx, c); err != nil {
		return nil, err
	}
	return s.view(c)
}

func (s *Service) existingCart(ctx context.Context, cartID string) (*shop.Cart, error) {
	if cartID == "" {
		return nil, shop.Errorf(shop.ENOTFOUND, "Your cart is empty.")
	}
	c, err := s.store.Cart(ctx, cartID)
	if shop.ErrorCode(err) == shop.ENOTFOUND {
		return nil, shop.Errorf(shop.ENOTFOUND, "Your cart is empty.")
	}
	return c, err
}

func (s *Service) setItem(ctx context.Context, c *shop.Cart, productID int64, quantity int) (*CartView, error) {
	c, err := s.store.SetCartItem(ctx, c.ID, productID, quantity)
	if err != nil {
		return nil, err
	}
	if err := s.unbind(ctx, c); err != nil {
		return nil, err
	}
	return s.view(c)
}

// unbind forgets the cart's checkout session after a change.
func (s *Service) unbind(ctx context.Context, c *shop.Cart) error {
	if c.CheckoutSessionID == "" {
		return nil
	}
	if err := s.store.SetCartCheckoutSession(ctx, c.ID, ""); err != nil {
		return err
	}
	c.CheckoutSessionID = ""
	return nil
}
