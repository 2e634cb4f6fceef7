package restapi_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/payments/paymentstest"
	"github.com/apaykit/apaykit/shop/sqlstore"
	"github.com/apaykit/apaykit/shop/sqlstore/sqlstoretest"
)

// TestKillDuringCaptures builds apay, serves the shop as a real process,
// sends 200 captures, kills the process with SIGKILL in the middle, starts
// it again on the same database, and retries every capture with its
// Idempotency-Key, as a client would: every order is captured exactly once,
// at Amazon Pay and in the shop. The emulator runs in the test, so it
// outlives the shop; captures are slowed down at the emulator so that many
// are in flight (some committed at Amazon Pay, unanswered) when the shop
// dies.
func TestKillDuringCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds apay and runs it as a process")
	}
	bin := buildApay(t)
	t.Run("sqlite", func(t *testing.T) {
		killCase(t, bin, filepath.Join(t.TempDir(), "shop.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv(sqlstoretest.EnvPostgres)
		if dsn == "" {
			t.Skip(sqlstoretest.EnvPostgres + " not set")
		}
		killCase(t, bin, postgresSchema(t, dsn))
	})
}

func killCase(t *testing.T, bin, dsn string) {
	const orders = 200
	deadline := time.Now().Add(55 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	// The emulator, with a merchant key, outliving the shop.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Options{TickInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu.Handler())
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	keyID := "SANDBOX-KILLTEST" + strings.ToUpper(hex.EncodeToString(randomBytes(4)))
	if err := emu.RegisterPublicKey(keyID, &key.PublicKey, ""); err != nil {
		t.Fatal(err)
	}
	pemKey, err := signing.EncodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "private.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := amazonpay.NewClient(amazonpay.WithPublicKeyID(keyID), amazonpay.WithRSAPrivateKey(key),
		amazonpay.WithRegion("us"), amazonpay.WithBaseURL(emuSrv.URL))
	if err != nil {
		t.Fatal(err)
	}

	// 200 authorized orders in the shop's database, made by checkouts at
	// the emulator.
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := payments.New(payments.Config{Store: db, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, orders)
	parallel(t, orders, 4, func(i int) error {
		o := &shop.Order{Currency: "USD", Total: int64(1000 + i), BuyerEmail: "kill@example.com",
			Items: []shop.OrderItem{{ProductID: 1, SKU: "K", Name: "K", UnitPrice: int64(1000 + i), Quantity: 1}}}
		if err := db.CreateOrder(ctx, o); err != nil {
			return err
		}
		csID, err := paymentstest.Checkout(ctx, client, emu, o, paymentstest.OrderOptions{})
		if err != nil {
			return err
		}
		ids[i] = o.ID
		return svc.Attach(ctx, o.ID, csID)
	})
	_, token, err := db.CreateAPIKey(ctx, "killtest", []shop.Scope{shop.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}

	shopEnv := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"APAY_PUBLIC_KEY_ID=" + keyID, "APAY_PRIVATE_KEY_FILE=" + keyFile, "APAY_REGION=us",
		"APAY_ENDPOINT=" + emuSrv.URL, "APAY_STORE_ID=amzn1.application-oa2-client.killtest",
		"APAY_MERCHANT_ID=" + emu.MerchantID(keyID), "APAY_DB=" + dsn,
		"APAY_SHOP_SECRET=" + hex.EncodeToString(randomBytes(32)),
	}

	// The first 40 capture calls are carried out at the emulator but
	// their connections reset (the first 10 captures, 4 attempts each, end
	// with Amazon Pay having captured and the shop not knowing); after
	// that, every capture is held 150 ms before it runs, so that when the
	// shop dies many are in flight.
	fault(t, emuSrv.URL, `{"operation":"CaptureCharge","kind":"reset-after-commit","count":40}`)
	fault(t, emuSrv.URL, `{"operation":"CaptureCharge","kind":"delay","delay":"150ms","count":100000}`)
	shopURL, proc := startShop(t, ctx, bin, shopEnv)
	var answered atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= orders {
					return
				}
				// Status 0: the shop died under the request; 503: Amazon
				// Pay's answer was lost (the capture is pending).
				switch status, err := capture(ctx, shopURL, token, ids[i]); {
				case err != nil:
					return
				case status == 200:
					answered.Add(1)
				case status != 0 && status != 503:
					t.Errorf("before the kill, order %d: status %d", ids[i], status)
				}
			}
		})
	}
	// Kill once a quarter of the captures has been answered.
	for answered.Load() < orders/4 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	wg.Wait()
	before := answered.Load()
	t.Logf("killed after %d of %d captures were answered", before, orders)
	if before >= orders {
		t.Fatalf("the kill came too late: all %d captures were answered", orders)
	}

	// What the dead process left: movements recorded but unfinished, some
	// of them carried out at Amazon Pay all the same (the answer was lost),
	// once the emulator has finished the calls it was holding.
	time.Sleep(300 * time.Millisecond)
	pending, committed := 0, 0
	ms, err := db.PendingMoneyMovements(ctx, time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		pending++
		if ch, _, err := client.Charges.Get(ctx, m.ChargeID); err == nil && ch.State() == amazonpay.ChargeCaptured {
			committed++
		}
	}
	t.Logf("left pending: %d movements, %d of them captured at Amazon Pay", pending, committed)
	if pending == 0 {
		t.Fatal("the kill left no capture in flight")
	}

	// Restart on the same database; the client retries every capture
	// with its key (the answered ones get their stored answers).
	shopURL, proc = startShop(t, ctx, bin, shopEnv)
	defer func() { _ = proc.Process.Signal(syscall.SIGTERM); _ = proc.Wait() }()
	parallel(t, orders, 16, func(i int) error {
		for {
			status, err := capture(ctx, shopURL, token, ids[i])
			switch {
			case err != nil:
				return err
			case status == 200:
				return nil
			case status == 409 || status == 503 || status == 429:
				time.Sleep(100 * time.Millisecond) // a key still held by the dead process, until its lease ends
			default:
				return fmt.Errorf("order %d: retry answered %d", ids[i], status)
			}
		}
	})

	// Exactly once, in the shop and at Amazon Pay.
	for i, id := range ids {
		o, err := db.Order(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		total := int64(1000 + i)
		if o.Status != shop.StatusCaptured || o.Captured != total {
			t.Errorf("order %d: %s, captured %d of %d", id, o.Status, o.Captured, total)
		}
		ms, err := db.MoneyMovements(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		captures := 0
		for _, m := range ms {
			if m.Status == shop.MovementPending {
				t.Errorf("order %d: movement %d still pending", id, m.ID)
			}
			if m.Operation == shop.OpCapture && m.Status == shop.MovementSucceeded {
				captures++
			}
		}
		if captures != 1 {
			t.Errorf("order %d: %d captures recorded", id, captures)
		}
		p, err := db.Payment(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Charges) != 1 {
			t.Errorf("order %d: %d charges", id, len(p.Charges))
			continue
		}
		ch, _, err := client.Charges.Get(ctx, p.Charges[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := ch.CaptureAmount.MinorUnits(); ch.State() != amazonpay.ChargeCaptured || got != total {
			t.Errorf("order %d at Amazon Pay: %s, captured %s", id, ch.State(), ch.CaptureAmount.Amount)
		}
	}
}

// capture sends one capture with the order's Idempotency-Key.
func capture(ctx context.Context, base, token string, id int64) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/api/v1/orders/%d/amazon-pay/capture", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("kill-%d", id))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, nil // the shop died under this request; it is retried after the restart
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// startShop runs apay shop serve on a free port and returns its URL.
func startShop(t *testing.T, ctx context.Context, bin string, env []string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "shop", "serve", "--addr", "127.0.0.1:0")
	cmd.Env = env
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("apay shop serve printed no address: %v", err)
	}
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if m == "" {
		_ = cmd.Process.Kill()
		t.Fatalf("apay shop serve: %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return m, cmd
}

// buildApay builds the apay binary once per test binary.
func buildApay(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "apay")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/apaykit/apaykit/cmd/apay")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// postgresSchema makes a fresh schema and returns a DSN that uses it.
func postgresSchema(t *testing.T, dsn string) string {
	t.Helper()
	schema := "apay_kill_" + hex.EncodeToString(randomBytes(6))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func fault(t *testing.T, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/_emulator/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("fault: %d", resp.StatusCode)
	}
}

// parallel runs fn for i in [0, n) on workers goroutines and fails on the
// first error.
func parallel(t *testing.T, n, workers int, fn func(i int) error) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
