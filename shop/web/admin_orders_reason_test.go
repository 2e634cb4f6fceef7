package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestAdminOrderReasonsAndReauthorize: the merchant's reasons show in the
// order's history, escaped; after "Cancel authorization" the order offers
// "Authorize" again (the charge permission is Chargeable), and after the
// charge permission is closed it does not.
func TestAdminOrderReasonsAndReauthorize(t *testing.T) {
	sqlstoretest.Each(t, func(t *testing.T, db *sqlstoretest.DB) {
		ctx := context.Background()
		b := newBackOffice(t, db)
		o := b.pay.Order(ctx, paymentstest.OrderOptions{Total: 6000})
		b.login()
		path := fmt.Sprintf("/admin/orders/%d", o.ID)

		_, body, _ := b.get(path)
		evil := `<script>alert("x")</script> out of stock`
		page := b.act(o.ID, "cancel", url.Values{"key": {formKey(t, body, "cancel")}, "reason": {evil}})
		if !strings.Contains(page, "cancel done: order canceled") {
			t.Fatalf("cancel: %s", page)
		}
		_, raw, _ := b.get(path)
		if strings.Contains(raw, "<script>alert") {
			t.Fatal("the reason is rendered unescaped")
		}
		if !strings.Contains(raw, `<td class="merchant-reason">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; out of stock</td>`) {
			t.Fatalf("the history lacks the escaped reason:\n%s", raw)
		}
		if !strings.Contains(raw, `id="action-authorize"`) || !strings.Contains(raw, "Chargeable again") {
			t.Fatalf("no Authorize action on the canceled order:\n%s", raw)
		}

		page = b.act(o.ID, "authorize", url.Values{"key": {formKey(t, raw, "authorize")}, "amount": {"60.00"}, "reason": {"stock arrived"}})
		if !strings.Contains(page, "authorize done: order authorized") || !strings.Contains(page, "stock arrived") {
			t.Fatalf("authorize: %s", page)
		}
		if got, _ := db.Order(ctx, o.ID); got.Status != shop.StatusAuthorized || got.Authorized != 6000 {
			t.Fatalf("order %s authorized %d", got.Status, got.Authorized)
		}

		// Cancel again, close: canceled for good, no Authorize offered.
		_, body, _ = b.get(path)
		b.act(o.ID, "cancel", url.Values{"key": {formKey(t, body, "cancel")}})
		_, body, _ = b.get(path)
		page = b.act(o.ID, "close", url.Values{"key": {formKey(t, body, "close")}, "reason": {"buyer withdrew"}})
		if !strings.Contains(page, "close done: order canceled") {
			t.Fatalf("close: %s", page)
		}
		if _, body, _ = b.get(path); strings.Contains(body, `id="action-authorize"`) {
			t.Fatal("Authorize offered after the charge permission was closed")
		}
	})
}
