package jobs_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

func TestMetricsHandler(t *testing.T) {
	db := sqlstoretest.SQLite(t)
	r := newRunner(t, db, "m")
	r.Handle("ok", func(context.Context, *shop.Job) error { return nil })
	enqueue(t, db, "ok", 0)
	enqueue(t, db, "ok", 0)
	enqueue(t, db, "other", 0)
	db.Clock.Advance(0)
	if _, err := r.RunDue(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(jobs.MetricsHandler(db, r, func() []jobs.Gauge {
		return []jobs.Gauge{{Name: "apay_throttle_429_total", Help: "429s.", Type: "counter", Labels: map[string]string{"op": `Cre"ate`}, Value: 3}}
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
	for _, want := range []string{
		"# TYPE apay_job_runs_total counter\n",
		`apay_job_runs_total{outcome="succeeded"} 2` + "\n",
		`apay_job_runs_total{outcome="dead"} 1` + "\n",
		`apay_jobs{kind="ok",status="succeeded"} 2` + "\n",
		`apay_jobs{kind="other",status="dead"} 1` + "\n",
		`apay_throttle_429_total{op="Cre\"ate"} 3` + "\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	if n := strings.Count(string(body), "# HELP apay_jobs "); n != 1 {
		t.Errorf("HELP for apay_jobs %d times", n)
	}
}
