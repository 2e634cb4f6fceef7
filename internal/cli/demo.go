package cli

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/emulator/sns"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/app"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore"
)

// demoFlags are the options of apay demo.
type demoFlags struct {
	addr         string
	emulatorAddr string
	db           string
	dir          string
	currency     string
	intent       string
	pending      bool
	verbose      bool

	// store replaces --db (tests run the demo on an isolated PostgreSQL
	// schema).
	store shop.Store
	// passwordCost lowers the admin password's bcrypt cost (tests).
	passwordCost int
}

// demoAdmin is the admin account apay demo prints.
const demoAdmin = "admin"

func newDemoCommand(*App) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo [--addr 127.0.0.1:8080] [--db DSN] [--dir DIR] [--currency USD|JPY]",
		Short: "Run the emulator, the shop and its storefront in one process",
		Long: `demo runs an Amazon Pay emulator and a shop that pays through it, in one
process, with everything it needs made on first start: a merchant key
(registered with the emulator), a few products, and an admin login for the
tester pages. It prints the storefront URL, then the emulator URL, then the
admin login (a new password on every start).

Open the storefront, add something to the cart, click the Amazon Pay button,
sign in on the emulator's pages and choose a simulated card: …1111 succeeds,
…3434 is declined, …3064 cancels, …0701 authorizes after 30 seconds (with
--pending).

Data survives restarts in --dir (default .apay/demo): the shop's SQLite
database shop.db (or the --db DSN, e.g. postgres://…), the emulator's state
emulator.db, the key pair and a secret for cookies. Nothing is opened or
downloaded: only the two listeners on --addr and --emulator-addr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "storefront listen address (port 0 picks a free port)")
	fl.StringVar(&f.emulatorAddr, "emulator-addr", "127.0.0.1:0", "emulator listen address")
	fl.StringVar(&f.db, "db", "", "shop database: an SQLite file or a postgres:// DSN (default DIR/shop.db)")
	fl.StringVar(&f.dir, "dir", filepath.Join(".apay", "demo"), "directory for the demo's data and key")
	fl.StringVar(&f.currency, "currency", "USD", "the shop's currency: USD (a US store) or JPY (a Japanese one); EUR and GBP work too")
	fl.StringVar(&f.intent, "intent", "Authorize", "paymentIntent at checkout: Authorize, AuthorizeWithCapture or Confirm")
	fl.BoolVar(&f.pending, "pending", false, "canHandlePendingAuthorization: let Amazon Pay decide later (the …0701 card)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the shop's and the emulator's requests on stderr")
	return cmd
}

// demo is a running demo.
type demo struct {
	StorefrontURL string
	EmulatorURL   string
	AdminUser     string
	AdminPassword string
	Dir           string
	App           *app.App
	Emulator      *emulator.Server

	shopL, emuL net.Listener
	// emuTLS serves the emulator over HTTPS too, only so that the
	// notifications' SigningCertURL is https: amazonpay/notification
	// fetches signing certificates over https alone.
	emuTLS net.Listener
	logger *slog.Logger
	store  *sqlstore.DB // opened here (nil when the caller gave one)
}

// runDemo starts the demo, prints its URLs and serves until ctx ends.
func runDemo(ctx context.Context, f demoFlags, stdout, stderr io.Writer) error {
	start := time.Now()
	logger := slog.New(slog.DiscardHandler)
	if f.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	d, err := startDemo(ctx, f, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "storefront  %s/\n", d.StorefrontURL)
	fmt.Fprintf(stdout, "emulator    %s\n", d.EmulatorURL)
	fmt.Fprintf(stdout, "admin       %s/admin/  user %s  password %s\n", d.StorefrontURL, d.AdminUser, d.AdminPassword)
	fmt.Fprintf(stdout, "data        %s\n", d.Dir)
	fmt.Fprintf(stderr, "apay demo ready in %s; Ctrl-C stops it\n", time.Since(start).Round(time.Millisecond))
	return d.serve(ctx)
}

// startDemo builds and starts everything; the listeners accept connections
// when it returns. serve (or close) must follow.
func startDemo(ctx context.Context, f demoFlags, logger *slog.Logger) (d *demo, err error) {
	ccy := strings.ToUpper(f.currency)
	region := map[string]string{"USD": "us", "JPY": "jp", "EUR": "eu", "GBP": "eu"}[ccy]
	if region == "" {
		return nil, Usagef("--currency must be USD, JPY, EUR or GBP, not %q", f.currency)
	}
	intent := amazonpay.PaymentIntent(f.intent)
	switch intent {
	case amazonpay.PaymentIntentAuthorize, amazonpay.PaymentIntentAuthorizeWithCapture, amazonpay.PaymentIntentConfirm:
	default:
		return nil, Usagef("--intent must be Authorize, AuthorizeWithCapture or Confirm, not %q", f.intent)
	}
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo directory: %w", err)
	}
	d = &demo{Dir: dir, AdminUser: demoAdmin, logger: logger}
	defer func() {
		if err != nil {
			d.close()
		}
	}()

	// The key pair and the secret are made once and kept in the
	// directory. The two slow steps — generating the key on a first start
	// and hashing the admin password — run side by side.
	type keyResult struct {
		key *rsa.PrivateKey
		id  string
		err error
	}
	keyc := make(chan keyResult, 1)
	go func() {
		k, id, err := demoKey(dir)
		keyc <- keyResult{k, id, err}
	}()
	secret, err := demoSecret(dir)
	if err != nil {
		return d, err
	}
	store := f.store
	if store == nil {
		dsn := f.db
		if dsn == "" {
			dsn = filepath.Join(dir, "shop.db")
		}
		db, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			return d, err
		}
		db.Logger = logger
		db.PasswordCost = demoPasswordCost
		if f.passwordCost > 0 {
			db.PasswordCost = f.passwordCost
		}
		store, d.store = db, db
	}
	type adminResult struct {
		pw  string
		err error
	}
	adminc := make(chan adminResult, 1)
	go func() {
		pw, err := demoAdminPassword(ctx, store)
		adminc <- adminResult{pw, err}
	}()
	admin := func() error { // waited for on every path, so the goroutine never outlives the store
		r := <-adminc
		d.AdminPassword = r.pw
		return r.err
	}
	if d.shopL, err = net.Listen("tcp", f.addr); err != nil {
		return d, errors.Join(fmt.Errorf("listen %s: %w", f.addr, err), admin())
	}
	if d.emuL, err = net.Listen("tcp", f.emulatorAddr); err != nil {
		return d, errors.Join(fmt.Errorf("listen %s: %w", f.emulatorAddr, err), admin())
	}
	d.StorefrontURL = "http://" + d.shopL.Addr().String()
	d.EmulatorURL = "http://" + d.emuL.Addr().String()

	kr := <-keyc
	if kr.err != nil {
		return d, errors.Join(kr.err, admin())
	}
	pubPEM, err := signing.EncodePublicKey(&kr.key.PublicKey)
	if err != nil {
		return d, errors.Join(err, admin())
	}
	// Notifications travel as Amazon sends them: SNS envelopes signed by
	// the emulator's CA, POSTed to the shop, which verifies them with that
	// CA and the emulator's HTTPS address.
	issuer, err := sns.NewIssuer(sns.IssuerConfig{})
	if err != nil {
		return d, errors.Join(err, admin())
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return d, errors.Join(err, admin())
	}
	d.emuTLS = tls.NewListener(tl, &tls.Config{Certificates: []tls.Certificate{issuer.TLSCertificate()}, MinVersion: tls.VersionTLS12})
	// The certificate URL is set before New, which keeps it: notifications
	// a saved state left queued are signed with it and resent at start.
	if err := issuer.SetCertURL("https://" + tl.Addr().String() + sns.CertPath); err != nil {
		return d, errors.Join(err, admin())
	}
	d.Emulator, err = emulator.New(emulator.Options{
		Logger: logger, StatePath: filepath.Join(dir, "emulator.db"), PublicURL: d.EmulatorURL,
		Keys:          []emulator.Key{{PublicKeyID: kr.id, PublicKey: string(pubPEM)}},
		Notifications: emulator.NotificationOptions{Issuer: issuer},
		NotifyURL:     d.StorefrontURL + restapi.NotificationPath,
	})
	if err != nil {
		return d, errors.Join(fmt.Errorf("emulator: %w", err), admin())
	}
	roots := issuer.CertPool()
	verifier, err := notification.NewVerifier(notification.WithRoots(roots), notification.WithAllowedCertHost(tl.Addr().String()),
		notification.WithHTTPClient(&http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}))
	if err != nil {
		return d, errors.Join(err, admin())
	}
	client, err := amazonpay.NewClient(
		amazonpay.WithPublicKeyID(kr.id), amazonpay.WithRSAPrivateKey(kr.key), amazonpay.WithRegion(region),
		amazonpay.WithBaseURL(d.EmulatorURL), amazonpay.WithLogger(logger))
	if err != nil {
		return d, errors.Join(err, admin())
	}
	d.App, err = app.New(ctx, app.Config{
		Store: store, Client: client, BaseURL: d.StorefrontURL,
		StoreID: "amzn1.application-oa2-client.apaydemo", MerchantID: d.Emulator.MerchantID(kr.id),
		Currency: ccy, PaymentIntent: intent, CanHandlePendingAuthorization: f.pending,
		CheckoutJSURL: d.EmulatorURL + "/checkout.js", Secret: secret, ShopName: "apaykit demo shop", Logger: logger,
		Notifications: verifier,
	})
	if err != nil {
		return d, errors.Join(err, admin())
	}
	if _, err := app.SeedProducts(ctx, store); err != nil {
		return d, errors.Join(fmt.Errorf("seeding products: %w", err), admin())
	}
	return d, admin()
}

// serve serves the storefront and the emulator until ctx ends, then shuts
// both down and closes the data files.
func (d *demo) serve(ctx context.Context) error {
	var wg sync.WaitGroup
	var emuErr error
	var emuTLSErr error
	wg.Go(func() { emuErr = app.Serve(ctx, d.emuL, d.Emulator.Handler(), d.logger) })
	wg.Go(func() { emuTLSErr = app.Serve(ctx, d.emuTLS, d.Emulator.Handler(), d.logger) })
	err := d.App.Serve(ctx, d.shopL)
	wg.Wait()
	d.shopL, d.emuL, d.emuTLS = nil, nil, nil
	err = errors.Join(err, emuTLSErr)
	return errors.Join(err, emuErr, d.close())
}

// close releases what startDemo opened.
func (d *demo) close() error {
	var errs []error
	for _, l := range []net.Listener{d.shopL, d.emuL, d.emuTLS} {
		if l != nil {
			_ = l.Close()
		}
	}
	if d.App != nil {
		errs = append(errs, d.App.Close())
		d.App = nil
	}
	if d.Emulator != nil {
		errs = append(errs, d.Emulator.Close())
		d.Emulator = nil
	}
	if d.store != nil {
		errs = append(errs, d.store.Close())
		d.store = nil
	}
	return errors.Join(errs...)
}

// demoKey loads DIR/private.pem, or generates the pair on first start.
func demoKey(dir string) (*rsa.PrivateKey, string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "private.pem"))
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := generateKeyPair(dir, "SANDBOX-"); err != nil {
			return nil, "", err
		}
		b, err = os.ReadFile(filepath.Join(dir, "private.pem"))
	}
	if err != nil {
		return nil, "", err
	}
	key, err := signing.LoadPrivateKey(b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", filepath.Join(dir, "private.pem"), err)
	}
	id, err := PublicKeyID("SANDBOX-", &key.PublicKey)
	return key, id, err
}

// demoSecret loads DIR/secret (32 random bytes, hex), making it on first
// start, so sessions and checkouts in flight survive a restart.
func demoSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "secret")
	b, err := os.ReadFile(path)
	if err == nil {
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err == nil && len(s) >= 32 {
			return s, nil
		}
		return nil, fmt.Errorf("%s is not 64 hex digits; delete it to make a new one", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	s := make([]byte, 32)
	_, _ = rand.Read(s)
	if err := writeNew(path, []byte(hex.EncodeToString(s)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return s, nil
}

// demoPasswordCost is the bcrypt cost of the demo admin's password. The
// password is 80 random bits, far beyond guessing however fast the hash,
// so the demo does not pay the interactive cost (12) at every start.
const demoPasswordCost = 10

// demoAdminPassword gives the demo admin a new random password (printed
// once, stored only as a bcrypt hash). It hashes once: a set on a demo
// database that has its products (a restart), a create on a new one.
func demoAdminPassword(ctx context.Context, s shop.Store) (string, error) {
	var b [10]byte
	_, _ = rand.Read(b[:])
	pw := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	set := func() error { return s.SetAdminPassword(ctx, demoAdmin, pw) }
	create := func() error { _, err := s.CreateAdminUser(ctx, demoAdmin, pw); return err }
	if _, err := s.ProductBySKU(ctx, app.DemoProducts()[0].SKU); err == nil {
		if err := set(); shop.ErrorCode(err) != shop.ENOTFOUND {
			return pw, err
		}
		return pw, create()
	}
	if err := create(); shop.ErrorCode(err) != shop.ECONFLICT {
		return pw, err
	}
	return pw, set()
}
