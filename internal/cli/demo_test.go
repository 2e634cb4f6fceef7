package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore"
)

// demoRun is apay demo started through Execute.
type demoRun struct {
	storefront, emulator, password string
	cancel                         context.CancelFunc
	done                           chan int
}

// startDemoCommand runs "apay demo" on free ports in dir and reads the
// lines it prints.
func startDemoCommand(t *testing.T, dir string, extra ...string) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	d := &demoRun{cancel: cancel, done: make(chan int, 1)}
	args := append([]string{"demo", "--addr", "127.0.0.1:0", "--dir", dir}, extra...)
	go func() {
		d.done <- Execute(ctx, Process{Args: args, Stdout: pw, Stderr: io.Discard, Getenv: func(string) string { return "" }})
		_ = pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var lines []string
	for len(lines) < 4 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(lines) < 4 {
		cancel()
		t.Fatalf("apay demo printed %q (exit %d)", lines, <-d.done)
	}
	m := regexp.MustCompile(`^storefront  (http://127\.0\.0\.1:\d+)/$`).FindStringSubmatch(lines[0])
	e := regexp.MustCompile(`^emulator    (http://127\.0\.0\.1:\d+)$`).FindStringSubmatch(lines[1])
	a := regexp.MustCompile(`^admin       http://127\.0\.0\.1:\d+/admin/  user admin  password (\S+)$`).FindStringSubmatch(lines[2])
	if m == nil || e == nil || a == nil || !strings.HasPrefix(lines[3], "data        ") {
		cancel()
		t.Fatalf("output lines %q", lines)
	}
	d.storefront, d.emulator, d.password = m[1], e[1], a[1]
	return d
}

func (d *demoRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		if code != 0 {
			t.Fatalf("apay demo exited %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("apay demo did not stop")
	}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestDemoCommand starts apay demo, uses the storefront, the emulator's
// checkout.js and the printed admin login, stops it, and starts it again on
// the same directory: the data is still there and nothing is duplicated.
func TestDemoCommand(t *testing.T) {
	dir := t.TempDir()
	d := startDemoCommand(t, dir)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if code, body := get(t, c, d.storefront+"/"); code != 200 || !strings.Contains(body, "Coffee beans") || strings.Contains(body, "コーヒー") {
		t.Fatalf("storefront: %d\n%s", code, body)
	}
	if code, body := get(t, c, d.emulator+"/checkout.js"); code != 200 || !strings.Contains(body, "amazon.Pay") {
		t.Fatalf("checkout.js: %d", code)
	}
	res, err := c.PostForm(d.storefront+"/cart/items", url.Values{"product_id": {"1"}, "quantity": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if code, body := get(t, c, d.storefront+"/cart"); code != 200 || !strings.Contains(body, "data-amazon-pay-button") || !strings.Contains(body, d.emulator+"/checkout.js") {
		t.Fatalf("cart: %d\n%s", code, body)
	}
	res, err = c.PostForm(d.storefront+"/admin/login", url.Values{"username": {"admin"}, "password": {d.password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Tester pages") {
		t.Fatalf("admin login: %d\n%s", res.StatusCode, body)
	}
	first := d.password
	d.stop(t)

	for _, f := range []string{"private.pem", "public.pem", "secret", "shop.db", "emulator.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "private.pem")); fi.Mode().Perm() != 0o600 {
		t.Errorf("private.pem mode %v", fi.Mode().Perm())
	}

	d = startDemoCommand(t, dir)
	defer d.stop(t)
	if d.password == first {
		t.Error("the admin password did not change on restart")
	}
	// Same cookie: the cart survived the restart.
	if code, body := get(t, c, d.storefront+"/cart"); code != 200 || !strings.Contains(body, "$28.00") {
		t.Fatalf("cart after restart: %d", code)
	}
	db, err := sqlstore.Open(context.Background(), filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ps, err := db.Products(context.Background(), shop.ProductFilter{})
	if err != nil || len(ps) != 8 {
		t.Fatalf("%d products after two starts, %v", len(ps), err)
	}
}

func TestDemoCommand_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--currency", "XYZ", "--dir", t.TempDir()},
		{"demo", "--intent", "Sell", "--dir", t.TempDir()},
	} {
		r := run(t, nil, "", args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, stderr %s", args, r.code, r.stderr)
		}
	}
}
