package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/apaykit/apaykit/amazonpaytest"
)

func TestShopMigrateAndAdmin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shop.db")
	env := map[string]string{EnvDB: db}
	if r := run(t, env, "", "shop", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "sqlite database is up to date") {
		t.Fatalf("migrate: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "a long enough password\n", "shop", "admin", "Alice"); r.code != 0 || r.stdout != "admin alice created\n" {
		t.Fatalf("admin: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "another long password\n", "shop", "admin", "alice"); r.code != 0 || r.stdout != "admin alice updated\n" {
		t.Fatalf("admin again: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, env, "short\n", "shop", "admin", "bob"); r.code != ExitUsage || !strings.Contains(r.stderr, "Password must be") {
		t.Fatalf("short password: %d %s", r.code, r.stderr)
	}
	if r := run(t, env, "", "shop", "admin", "bob"); r.code != ExitUsage {
		t.Fatalf("no password: %d %s", r.code, r.stderr)
	}
}

func TestShopServe_MissingConfiguration(t *testing.T) {
	r := run(t, map[string]string{EnvDB: filepath.Join(t.TempDir(), "shop.db")}, "", "shop", "serve", "--addr", "127.0.0.1:0")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "APAY_STORE_ID is not set") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// TestShopServe runs apay shop serve against an in-process emulator (what
// APAY_ENDPOINT points at) and checks the storefront and the admin login.
func TestShopServe(t *testing.T) {
	srv := amazonpaytest.NewServer(t)
	keyPEM, err := signing.EncodePrivateKey(srv.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "shop.db")
	env := map[string]string{
		"APAY_PUBLIC_KEY_ID": srv.PublicKeyID, "APAY_PRIVATE_KEY": string(keyPEM), "APAY_REGION": "jp",
		"APAY_ENDPOINT": srv.URL, "APAY_STORE_ID": "amzn1.application-oa2-client.test", "APAY_MERCHANT_ID": srv.MerchantID,
		EnvDB: db, EnvShopSecret: strings.Repeat("ab", 32),
	}
	if r := run(t, env, "a long enough password\n", "shop", "admin", "admin"); r.code != 0 {
		t.Fatalf("admin: %s", r.stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var logs strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, Process{Args: []string{"shop", "serve", "--addr", "127.0.0.1:0"}, Stdout: pw, Stderr: &logs,
			Getenv: func(k string) string { return env[k] }})
		_ = pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		cancel()
		t.Fatalf("no output; exit %d", <-done)
	}
	m := regexp.MustCompile(`^shop listening on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(sc.Text())
	if m == nil {
		cancel()
		t.Fatalf("output %q", sc.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base := m[1]
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	// A JPY shop (region jp): no products yet, but the page works.
	if code, body := get(t, c, base+"/"); code != 200 || !strings.Contains(body, "There are no products yet") {
		t.Fatalf("storefront: %d\n%s", code, body)
	}
	res, err := c.PostForm(base+"/admin/login", url.Values{"username": {"admin"}, "password": {"a long enough password"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("admin login: %d", res.StatusCode)
	}
	if code, body := get(t, c, base+"/admin/tester/button"); code != 200 || !strings.Contains(body, `<option selected>JPY</option>`) {
		t.Fatalf("tester: %d\n%s", code, body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\n%s", code, logs.String())
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") || strings.Contains(logs.String(), strings.Repeat("ab", 32)) {
		t.Fatal("a secret reached the log")
	}
}
