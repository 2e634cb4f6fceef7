package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/apaykit/apaykit/internal/money"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/checkout"
)

// maxFormBytes bounds every form and JSON body the storefront reads.
const maxFormBytes = 16 << 10

// cartLink is where the error pages of the checkout lead.
const cartLink = "/cart"

// productsPage is the home page: the products with "add to cart".
func (h *Handler) productsPage(w http.ResponseWriter, r *http.Request) {
	ps, err := h.co.Products(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	cart, err := h.co.Cart(r.Context(), h.cartID(r))
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "products", "Products", struct {
		Products []*shop.Product
		Cart     *checkout.CartView
	}{ps, cart})
}

// cartPage shows the cart and, when the cart can be paid, the Amazon Pay
// button with its payload signed on the server.
func (h *Handler) cartPage(w http.ResponseWriter, r *http.Request) {
	cart, err := h.co.Cart(r.Context(), h.cartID(r))
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, cartJSON(cart))
		return
	}
	data := struct {
		Cart      *checkout.CartView
		Button    *checkout.ButtonRender
		NoButton  string
		Sandbox   bool
		ZeroTotal bool
	}{Cart: cart, Sandbox: h.co.Client().Sandbox()}
	v := &view{Title: "Your cart"}
	if !cart.Empty() {
		b, err := h.co.Button(r.Context(), cart)
		switch {
		case err == nil:
			data.Button = b
			v.CheckoutJS, v.Scripts = h.checkoutJS, []string{"/static/storefront.js"}
		case shop.ErrorCode(err) == shop.EINVALID:
			data.NoButton = shop.ErrorMessage(err)
		default:
			h.Error(w, r, err)
			return
		}
	}
	v.Data = data
	h.renderView(w, r, http.StatusOK, "cart", v)
}

// itemForm is what the cart forms (or a JSON client) send: a product and a
// quantity, never a price.
type itemForm struct {
	ProductID int64 `json:"productId"`
	Quantity  int   `json:"quantity"`
	hasQty    bool
}

// readItemForm reads product_id and quantity from a form or a JSON body.
// Other fields (an "amount" or "price" someone added) are ignored.
func readItemForm(w http.ResponseWriter, r *http.Request, productFromPath bool) (itemForm, error) {
	var f itemForm
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var raw struct {
			ProductID *int64 `json:"productId"`
			Quantity  *int   `json:"quantity"`
		}
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return f, err
			}
			return f, shop.Errorf(shop.EINVALID, "The request body is not valid JSON.")
		}
		if raw.ProductID != nil {
			f.ProductID = *raw.ProductID
		}
		if raw.Quantity != nil {
			f.Quantity, f.hasQty = *raw.Quantity, true
		}
	} else {
		if err := r.ParseForm(); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return f, err
			}
			return f, shop.Errorf(shop.EINVALID, "The form could not be read.")
		}
		if s := strings.TrimSpace(r.PostForm.Get("product_id")); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return f, shop.Errorf(shop.ENOTFOUND, "There is no such product.")
			}
			f.ProductID = id
		}
		if s := strings.TrimSpace(r.PostForm.Get("quantity")); s != "" {
			q, err := strconv.Atoi(s)
			if err != nil {
				return f, shop.Errorf(shop.EINVALID, "Quantity must be a whole number between 1 and %d.", shop.MaxCartQuantity)
			}
			f.Quantity, f.hasQty = q, true
		}
	}
	if productFromPath {
		id, err := strconv.ParseInt(r.PathValue("product"), 10, 64)
		if err != nil {
			return f, shop.Errorf(shop.ENOTFOUND, "There is no such product.")
		}
		f.ProductID = id
	}
	return f, nil
}

// addToCart adds a product to the buyer's cart (creating the cart).
func (h *Handler) addToCart(w http.ResponseWriter, r *http.Request) {
	f, err := readItemForm(w, r, false)
	if err != nil {
		h.Error(w, r, withLink(err, "/", "Back to the products"))
		return
	}
	if !f.hasQty {
		f.Quantity = 1
	}
	cart, err := h.co.AddItem(r.Context(), h.cartID(r), f.ProductID, f.Quantity)
	if err != nil {
		h.Error(w, r, withLink(err, "/", "Back to the products"))
		return
	}
	h.setCartID(w, cart.ID)
	h.cartChanged(w, r, cart)
}

// setQuantity changes the quantity of a cart line (0 removes it).
func (h *Handler) setQuantity(w http.ResponseWriter, r *http.Request) {
	f, err := readItemForm(w, r, true)
	if err == nil && !f.hasQty {
		err = shop.Errorf(shop.EINVALID, "Quantity is missing.")
	}
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	cart, err := h.co.SetQuantity(r.Context(), h.cartID(r), f.ProductID, f.Quantity)
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	h.cartChanged(w, r, cart)
}

// removeFromCart removes a cart line.
func (h *Handler) removeFromCart(w http.ResponseWriter, r *http.Request) {
	f, err := readItemForm(w, r, true)
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	cart, err := h.co.RemoveItem(r.Context(), h.cartID(r), f.ProductID)
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	h.cartChanged(w, r, cart)
}

// cartChanged answers a cart change: the cart as JSON, or a redirect to the
// cart page.
func (h *Handler) cartChanged(w http.ResponseWriter, r *http.Request, cart *checkout.CartView) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, cartJSON(cart))
		return
	}
	http.Redirect(w, r, cartLink, http.StatusSeeOther)
}

// CartJSON is the cart as the storefront answers JSON clients. Amounts are
// decimal strings in the cart's currency.
type CartJSON struct {
	Items    []CartItemJSON `json:"items"`
	Total    string         `json:"total"`
	Currency string         `json:"currency"`
}

// CartItemJSON is one line of [CartJSON].
type CartItemJSON struct {
	ProductID int64  `json:"productId"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	UnitPrice string `json:"unitPrice"`
	Quantity  int    `json:"quantity"`
	LineTotal string `json:"lineTotal"`
}

func cartJSON(c *checkout.CartView) CartJSON {
	out := CartJSON{Items: []CartItemJSON{}, Currency: c.Currency}
	format := func(v int64) string {
		s, err := money.Format(v, c.Currency)
		if err != nil {
			return strconv.FormatInt(v, 10)
		}
		return s
	}
	for _, it := range c.Items {
		out.Items = append(out.Items, CartItemJSON{ProductID: it.ProductID, SKU: it.SKU, Name: it.Name,
			UnitPrice: format(it.UnitPrice), Quantity: it.Quantity, LineTotal: format(it.LineTotal())})
	}
	out.Total = format(c.Total)
	return out
}

// reviewPage is checkoutReviewReturnUrl: the order as it will be charged,
// the buyer's address and payment method from Amazon Pay, the change
// buttons and "place order".
func (h *Handler) reviewPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("amazonCheckoutSessionId")
	rev, err := h.co.Review(r.Context(), h.cartID(r), id)
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	h.renderView(w, r, http.StatusOK, "review", &view{Title: "Review your order", Data: rev,
		CheckoutJS: h.checkoutJS, Scripts: []string{"/static/storefront.js"}})
}

// placeOrder creates the order from the server's cart and sends the buyer
// to amazonPayRedirectUrl. The form carries only the checkout session id.
func (h *Handler) placeOrder(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	placed, err := h.co.PlaceOrder(r.Context(), h.cartID(r), strings.TrimSpace(r.PostForm.Get("amazonCheckoutSessionId")))
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]string{"orderNumber": placed.Order.Number, "redirectUrl": placed.RedirectURL})
		return
	}
	http.Redirect(w, r, placed.RedirectURL, http.StatusSeeOther)
}

// resultPage is checkoutResultReturnUrl: complete the checkout (once) and
// show the confirmation or what went wrong.
func (h *Handler) resultPage(w http.ResponseWriter, r *http.Request) {
	res, err := h.co.Result(r.Context(), h.cartID(r), r.URL.Query().Get("amazonCheckoutSessionId"))
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	h.showResult(w, r, res)
}

// cancelPage is checkoutCancelUrl: the buyer left Amazon Pay.
func (h *Handler) cancelPage(w http.ResponseWriter, r *http.Request) {
	res, err := h.co.Cancel(r.Context(), h.cartID(r), r.URL.Query().Get("amazonCheckoutSessionId"))
	if err != nil {
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	if res == nil {
		h.Error(w, r, withLink(&httpError{status: http.StatusOK, code: string(checkout.OutcomeCanceled),
			message: "You left Amazon Pay before paying. Nothing was charged; your cart is still here."}, cartLink, "Back to your cart"))
		return
	}
	h.showResult(w, r, res)
}

// resultMessages say what a failed checkout means for the buyer.
var resultMessages = map[checkout.Outcome]struct {
	status int
	text   string
}{
	checkout.OutcomeDeclined: {http.StatusPaymentRequired, "Your payment was declined. Nothing was charged. Please go back to your cart and pay with another payment method."},
	checkout.OutcomeCanceled: {http.StatusConflict, "You canceled the payment at Amazon Pay. Nothing was charged; your cart is still here."},
	checkout.OutcomeExpired:  {http.StatusGone, "This checkout expired before it was completed. Nothing was charged. Please check out again."},
	checkout.OutcomeFailed:   {http.StatusUnprocessableEntity, "Amazon Pay could not complete this checkout. Nothing was charged. Please check out again."},
}

// showResult renders the confirmation page (paid, confirmed, payment being
// confirmed, not yet confirmed) or the error page.
func (h *Handler) showResult(w http.ResponseWriter, r *http.Request, res *checkout.Result) {
	if m, failed := resultMessages[res.Outcome]; failed {
		msg := m.text
		if res.ReasonCode != "" && res.ReasonCode != "BuyerCanceled" {
			msg += " (Amazon Pay: " + res.ReasonCode + ")"
		}
		err := &httpError{status: m.status, code: string(res.Outcome), message: msg}
		h.Error(w, r, withLink(err, cartLink, "Back to your cart"))
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"orderNumber": res.Order.Number, "status": res.Order.Status,
			"outcome": res.Outcome, "chargeId": res.ChargeID, "chargePermissionId": res.Payment.ChargePermissionID})
		return
	}
	title := "Thank you for your order"
	switch res.Outcome {
	case checkout.OutcomePending:
		title = "Your payment is being confirmed"
	case checkout.OutcomeUnconfirmed:
		title = "We are confirming your payment"
	}
	h.render(w, r, http.StatusOK, "confirmation", title, res)
}
