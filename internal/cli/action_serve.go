package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
	"github.com/spf13/cobra"
)

func newActionCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "action",
		Short: "Serve action documents over HTTP",
	}
	cmd.AddCommand(newActionServeCommand(app))
	return cmd
}

func newActionServeCommand(app *App) *cobra.Command {
	var addr string
	var iam bool
	cmd := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--iam-function-url]",
		Short: "Serve POST /action: one action document per request",
		Long: `serve answers POST /action with the result of the action document in the
body (see docs/actions.md): Amazon Pay's status and body, or
{"reasonCode","message","requestId"}. The Amazon Pay client is configured from
the environment like apay call.

Every request needs "Authorization: Bearer <key>" with a key from
APAY_API_KEYS (comma-separated); serve refuses to start without one. The
only exception is --iam-function-url, for running behind an AWS Lambda
Function URL whose AuthType is AWS_IAM (for example with the Lambda Web
Adapter): AWS then authenticates every caller, and serve only listens on a
loopback address.

The first line on stdout is "action server listening on http://HOST:PORT/action".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			auth := action.APIKeyAuth(action.ParseAPIKeys(app.Getenv(action.EnvAPIKeys))...)
			if iam {
				auth = action.TrustIAMFunctionURL()
				if err := requireLoopback(addr); err != nil {
					return err
				}
			}
			if !auth.Configured() {
				return Usagef("no API keys: set %s (comma-separated), or pass --iam-function-url when an IAM-protected Function URL is the only way in", action.EnvAPIKeys)
			}
			env, err := amazonpay.LoadEnvConfig(app.Getenv)
			if err != nil {
				return UsageError(err)
			}
			client, err := env.NewClient()
			if err != nil {
				return UsageError(fmt.Errorf("configuration: %w", err))
			}
			logger := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
			runner := action.NewRunner(client, action.WithLogger(logger),
				action.WithStoreID(env.StoreID), action.WithMerchantID(env.MerchantID))
			h, err := action.NewHandler(runner, auth)
			if err != nil {
				return UsageError(err)
			}
			mux := http.NewServeMux()
			mux.Handle("/action", h)
			return serveUntilDone(cmd, addr, mux, iam)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	cmd.Flags().BoolVar(&iam, "iam-function-url", false, "accept requests without an API key because an AWS_IAM Lambda Function URL authenticates them (loopback addresses only)")
	return cmd
}

// requireLoopback keeps the no-API-key mode off every interface but the
// loopback one, where only the local Function URL adapter can reach it.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return Usagef("--addr %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return Usagef("--iam-function-url serves without API keys, so --addr must be a loopback address (127.0.0.1:PORT), not %q", addr)
	}
	return nil
}

// serveUntilDone listens, prints the URL and serves until the command's
// context ends, then shuts down gracefully.
func serveUntilDone(cmd *cobra.Command, addr string, h http.Handler, iam bool) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(cmd.OutOrStdout(), "action server listening on http://%s/action\n", ln.Addr())
	if iam {
		fmt.Fprintln(cmd.ErrOrStderr(), "apay: --iam-function-url: no API key is checked; only an AWS_IAM Function URL may forward to this address")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-cmd.Context().Done():
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
