package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/app"
	"github.com/apaykit/apaykit/shop/restapi"
	"github.com/apaykit/apaykit/shop/sqlstore"
)

// Environment variables the shop adds to design.md §6.
const (
	// EnvDB is the shop database: an SQLite file or a postgres:// DSN.
	EnvDB = "APAY_DB"
	// EnvShopSecret keys the shop's cookies and review tokens (64 hex
	// digits). Without it a random one is made per process, and admins
	// log in again after a restart.
	EnvShopSecret = "APAY_SHOP_SECRET"
)

func newShopCommand(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shop",
		Short: "Run the merchant shop (storefront, tester pages) against Amazon Pay",
		Long: `shop runs the merchant backend on its own, configured from the environment:
APAY_PUBLIC_KEY_ID, APAY_PRIVATE_KEY or APAY_PRIVATE_KEY_FILE, APAY_REGION,
APAY_SANDBOX, APAY_ALGORITHM, APAY_ENDPOINT (an emulator), APAY_CA_FILE,
APAY_STORE_ID, APAY_MERCHANT_ID, APAY_DB (an SQLite file or a postgres://
DSN), APAY_SHOP_SECRET (64 hex digits that key cookies; random per
process if unset) and APAY_API_KEYS (the REST API's keys, see
docs/rest-api.md).`,
	}
	cmd.AddCommand(newShopServeCommand(a), newShopMigrateCommand(a), newShopAdminCommand(a))
	return cmd
}

// shopServeFlags are the options of apay shop serve.
type shopServeFlags struct {
	addr, db, baseURL, currency, intent, checkoutJS, name string
	pending, verbose                                      bool
}

func newShopServeCommand(a *App) *cobra.Command {
	var f shopServeFlags
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--db DSN] [--base-url URL] [--currency C] …",
		Short: "Serve the shop",
		Long: `serve runs the storefront, the admin login and the tester pages against
Amazon Pay (or the emulator named by APAY_ENDPOINT), with the database
migrated at start. Amazon Pay sends buyers back to --base-url (default
http://ADDR), which must be https for Amazon Pay itself. Create an admin
with "apay shop admin NAME" first. SIGINT or SIGTERM shuts down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runShopServe(cmd.Context(), a, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address")
	fl.StringVar(&f.db, "db", "", "database (default $APAY_DB, else shop.db)")
	fl.StringVar(&f.baseURL, "base-url", "", "the shop's public URL (default http://ADDR)")
	fl.StringVar(&f.currency, "currency", "", "the shop's currency (default by region: USD, EUR, JPY)")
	fl.StringVar(&f.intent, "intent", "Authorize", "paymentIntent: Authorize, AuthorizeWithCapture or Confirm")
	fl.BoolVar(&f.pending, "pending", false, "canHandlePendingAuthorization")
	fl.StringVar(&f.checkoutJS, "checkout-js", "", "checkout.js URL (default Amazon's for the region, or APAY_ENDPOINT/checkout.js)")
	fl.StringVar(&f.name, "name", "", "shop name shown on the pages and sent as merchantStoreName")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log at debug level")
	return cmd
}

// shopDB is --db, else APAY_DB, else shop.db.
func shopDB(a *App, flag string) string {
	switch {
	case flag != "":
		return flag
	case a.Getenv(EnvDB) != "":
		return a.Getenv(EnvDB)
	}
	return "shop.db"
}

// shopConfig builds the shop's configuration from the environment and
// flags. Missing configuration is a usage error.
func shopConfig(a *App, f shopServeFlags, baseURL string) (app.Config, error) {
	env, err := amazonpay.LoadEnvConfig(a.Getenv)
	if err != nil {
		return app.Config{}, UsageError(err)
	}
	for _, req := range []struct{ name, v string }{
		{amazonpay.EnvStoreID, env.StoreID}, {amazonpay.EnvMerchantID, env.MerchantID}, {amazonpay.EnvPublicKeyID, env.PublicKeyID},
	} {
		if req.v == "" {
			return app.Config{}, Usagef("%s is not set", req.name)
		}
	}
	client, err := env.NewClient()
	if err != nil {
		return app.Config{}, UsageError(err)
	}
	cfg := app.Config{
		DB: shopDB(a, f.db), Client: client, BaseURL: baseURL, StoreID: env.StoreID, MerchantID: env.MerchantID,
		Currency: strings.ToUpper(f.currency), PaymentIntent: amazonpay.PaymentIntent(f.intent),
		CanHandlePendingAuthorization: f.pending, CheckoutJSURL: f.checkoutJS, ShopName: f.name,
	}
	// The REST API's keys, and the notification endpoint's trust:
	// Amazon's SNS, or the emulator's CA (APAY_CA_FILE) at APAY_ENDPOINT.
	cfg.APIKeys = a.Getenv(action.EnvAPIKeys)
	if cfg.Notifications, err = restapi.NotificationVerifier(env.CAFile, env.Endpoint); err != nil {
		return app.Config{}, UsageError(err)
	}
	if cfg.CheckoutJSURL == "" && env.Endpoint != "" {
		cfg.CheckoutJSURL = strings.TrimSuffix(env.Endpoint, "/") + "/checkout.js"
	}
	if s := strings.TrimSpace(a.Getenv(EnvShopSecret)); s != "" {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) < 32 {
			return app.Config{}, Usagef("%s must be at least 64 hex digits", EnvShopSecret)
		}
		cfg.Secret = b
	}
	return cfg, nil
}

func runShopServe(ctx context.Context, a *App, f shopServeFlags, stdout, stderr io.Writer) error {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", f.addr, err)
	}
	defer l.Close()
	base := f.baseURL
	if base == "" {
		base = "http://" + l.Addr().String()
	}
	cfg, err := shopConfig(a, f, base)
	if err != nil {
		return err
	}
	cfg.Logger = logger
	if len(cfg.Secret) == 0 {
		logger.Warn("shop: " + EnvShopSecret + " is not set; admin sessions end when the process does")
	}
	sh, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer sh.Close()
	fmt.Fprintf(stdout, "shop listening on http://%s (public URL %s)\n", l.Addr(), base)
	logger.Info("shop: serving", "addr", l.Addr().String(), "base_url", base, "currency", sh.Checkout.Currency(),
		"intent", string(sh.Checkout.PaymentIntent()), "amazon_pay", sh.Client.BaseURL())
	return sh.Serve(ctx, l)
}

func newShopMigrateCommand(a *App) *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "migrate [--db DSN]",
		Short: "Create or update the shop's database schema",
		Long: `migrate applies the shop's migrations to the database (--db, else APAY_DB, else
shop.db) and exits. serve migrates at start too; run migrate on its own to
update a database before deploying several instances.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			s, err := sqlstore.Open(ctx, shopDB(a, db))
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s database is up to date\n", s.Dialect())
			return err
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "database (default $APAY_DB, else shop.db)")
	return cmd
}

func newShopAdminCommand(a *App) *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "admin USERNAME [--db DSN] < password",
		Short: "Create an admin user, or set a new password",
		Long: `admin reads a password (12 to 72 bytes) from the first line of stdin and
creates the admin user with it, or sets it if the user exists. The store keeps
only a bcrypt hash. Reading stdin keeps the password out of the shell history
and the process list.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && line == "" {
				return Usagef("give the password on stdin")
			}
			pw := strings.TrimRight(line, "\r\n")
			s, err := sqlstore.Open(cmd.Context(), shopDB(a, db))
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = s.CreateAdminUser(cmd.Context(), args[0], pw)
			verb := "created"
			if shop.ErrorCode(err) == shop.ECONFLICT {
				err, verb = s.SetAdminPassword(cmd.Context(), args[0], pw), "updated"
			}
			if code := shop.ErrorCode(err); code == shop.EINVALID || code == shop.ENOTFOUND {
				return Usagef("%s", shop.ErrorMessage(err))
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "admin %s %s\n", strings.ToLower(args[0]), verb)
			return err
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "database (default $APAY_DB, else shop.db)")
	return cmd
}
