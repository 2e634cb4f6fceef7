package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newSubscriptionsCommand(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "Work on the shop's subscriptions",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newSubscriptionsRenewCommand(app))
	return cmd
}

func newSubscriptionsRenewCommand(app *App) *cobra.Command {
	var dsn string
	var due bool
	var concurrency, limit int
	var horizon time.Duration
	cmd := &cobra.Command{
		Use:   "renew --due [--db DSN] [--concurrency N]",
		Short: "Charge every subscription that is due now",
		Long: `renew --due makes sure every due subscription has its renewal job, then runs
the due jobs: each renewal is a Create Charge with captureNow on the
subscription's Recurring charge permission, spread over Amazon Pay's quota
(the bucket is shared with every shop instance through the database, so
running this beside "apay shop serve" never exceeds it). A renewal that
would pass the monthly recurring limit is not sent but flagged (a dead job).
A progress bar shows on a terminal, "n/m done" lines otherwise. The Amazon
Pay client comes from the APAY_* environment, the database from --db or
APAY_DB.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !due {
				return &ExitError{Code: ExitUsage, Err: errors.New("say which subscriptions: --due")}
			}
			w, err := openWorker(cmd.Context(), app, dsn, concurrency)
			if err != nil {
				return err
			}
			defer w.Close()
			n, created, err := w.subs.EnqueueDue(cmd.Context(), limit)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d subscriptions due (%d renewal jobs added)\n", n, created)
			return drainWithProgress(cmd, w, horizon, "renewals")
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "shop database (default $APAY_DB)")
	cmd.Flags().BoolVar(&due, "due", false, "renew the subscriptions due now")
	cmd.Flags().IntVar(&concurrency, "concurrency", 8, "renewals in flight at once (the quota, not this, sets the pace)")
	cmd.Flags().IntVar(&limit, "limit", 1000, "at most this many subscriptions")
	cmd.Flags().DurationVar(&horizon, "wait", time.Minute, "also wait for retries due within this")
	return cmd
}
