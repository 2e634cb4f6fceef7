package restapi_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

func TestZZStatements(t *testing.T) {
	dsn := os.Getenv("ZZ_DSN")
	if dsn == "" {
		t.Skip()
	}
	f := newFixture(t, sqlstoretest.Postgres(t, dsn))
	o, err := f.env.TryOrder(context.Background(), orderOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = http.Get(f.srv.URL + "/MARK-BEGIN")
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+opPath(o.ID, "capture"), nil)
	req.Header.Set("Authorization", bearer(f.write))
	req.Header.Set("Idempotency-Key", "zz-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Log(resp.StatusCode)
}
