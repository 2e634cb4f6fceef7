package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/jobs"
	"github.com/apaykit/apaykit/shop/sqlstore"
	"github.com/apaykit/apaykit/shop/subscriptions"
	"github.com/apaykit/apaykit/shop/throttle"
)

// worker is a shop job runner assembled from the environment: the store
// (APAY_DB or --db), the Amazon Pay client (APAY_*), the shared throttle
// (account from APAY_MERCHANT_ID) and every registered job handler.
type worker struct {
	store  *sqlstore.DB
	runner *jobs.Runner
	subs   *subscriptions.Service
	lim    *throttle.Limiter
}

func (w *worker) Close() error { return w.store.Close() }

// openStore opens the shop database named by --db or APAY_DB.
func openStore(ctx context.Context, app *App, dsn string) (*sqlstore.DB, error) {
	if dsn == "" {
		dsn = app.Getenv("APAY_DB")
	}
	if dsn == "" {
		return nil, &ExitError{Code: ExitUsage, Err: errors.New("no database: set APAY_DB or pass --db")}
	}
	return sqlstore.Open(ctx, dsn)
}

func openWorker(ctx context.Context, app *App, dsn string, concurrency int) (*worker, error) {
	store, err := openStore(ctx, app, dsn)
	if err != nil {
		return nil, err
	}
	w, err := newWorker(ctx, app, store, concurrency)
	if err != nil {
		store.Close()
		return nil, err
	}
	return w, nil
}

func newWorker(ctx context.Context, app *App, store *sqlstore.DB, concurrency int) (*worker, error) {
	env, err := amazonpay.LoadEnvConfig(app.Getenv)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	client, err := env.NewClient(amazonpay.WithRetry(amazonpay.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	merchant := env.MerchantID
	if merchant == "" {
		merchant = "default"
	}
	sandbox := env.Sandbox || strings.HasPrefix(env.PublicKeyID, "SANDBOX-")
	lim, err := throttle.New(throttle.Config{Store: store, Account: shop.ThrottleAccount(merchant, sandbox)})
	if err != nil {
		return nil, err
	}
	storeID := env.StoreID
	if storeID == "" {
		storeID = "unset-store-id" // renewals and closes do not need it; checkouts do
	}
	subs, err := subscriptions.New(subscriptions.Config{Store: store, Client: client, Limiter: lim, StoreID: storeID})
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	r, err := jobs.New(jobs.Config{Store: store, Concurrency: concurrency,
		WorkerID: fmt.Sprintf("apay-%s-%d", host, os.Getpid())})
	if err != nil {
		return nil, err
	}
	subs.Register(r)
	_ = ctx
	return &worker{store: store, runner: r, subs: subs, lim: lim}, nil
}

func newJobsCommand(app *App) *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Inspect and run the shop's background jobs",
		Long: `jobs shows the shop's job outbox (renewals, charge-permission closes,
upgrade charges, …) by kind and status. "apay jobs list" lists jobs,
"apay jobs run" runs the due ones, "apay jobs retry" puts dead ones back in
the queue. The database is --db or APAY_DB.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openStore(cmd.Context(), app, dsn)
			if err != nil {
				return err
			}
			defer store.Close()
			counts, err := jobs.JobCounts(cmd.Context(), store)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tSTATUS\tJOBS")
			for _, c := range counts {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", c.Kind, c.Status, c.N)
			}
			return tw.Flush()
		},
	}
	cmd.PersistentFlags().StringVar(&dsn, "db", "", "shop database (default $APAY_DB)")
	cmd.AddCommand(newJobsListCommand(app, &dsn), newJobsRunCommand(app, &dsn), newJobsRetryCommand(app, &dsn), newJobsQuotaCommand(app, &dsn))
	return cmd
}

func newJobsListCommand(app *App, dsn *string) *cobra.Command {
	var status, kind string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--status queued|running|succeeded|dead] [--kind KIND] [--limit N]",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openStore(cmd.Context(), app, *dsn)
			if err != nil {
				return err
			}
			defer store.Close()
			f := shop.JobFilter{Kind: kind, Limit: limit}
			if status != "" {
				f.Status = []shop.JobStatus{shop.JobStatus(status)}
			}
			js, err := store.Jobs(cmd.Context(), f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tATTEMPTS\tRUN_AT\tLAST_ERROR")
			for _, j := range js {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Kind, j.Status, j.Attempts, j.MaxAttempts,
					j.RunAt.UTC().Format(time.RFC3339), oneLine(j.LastError, 100))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only jobs in this status")
	cmd.Flags().StringVar(&kind, "kind", "", "only jobs of this kind")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many (≤ 1000)")
	return cmd
}

func newJobsRetryCommand(app *App, dsn *string) *cobra.Command {
	return &cobra.Command{
		Use:   "retry ID...",
		Short: "Put dead jobs back in the queue",
		Long: `retry requeues dead jobs (see "apay jobs list --status dead") to run now,
with their attempts counted from zero. Handlers are idempotent — a renewal or
capture that Amazon Pay already made is not made again — so retrying after
fixing the cause (a closed charge permission, a wrong key) is safe. Every ID
is tried; the exit status is non-zero if any could not be retried.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids := make([]int64, len(args))
			for i, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil || id <= 0 {
					return &ExitError{Code: ExitUsage, Err: fmt.Errorf("job id %q: want a positive integer", a)}
				}
				ids[i] = id
			}
			store, err := openStore(cmd.Context(), app, *dsn)
			if err != nil {
				return err
			}
			defer store.Close()
			var failed int
			for _, id := range ids {
				if err := store.RetryJob(cmd.Context(), id, time.Time{}); err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "job %d: %s\n", id, shop.ErrorMessage(err))
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "job %d queued\n", id)
			}
			if failed > 0 {
				return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d of %d jobs not retried", failed, len(ids))}
			}
			return nil
		},
	}
}

func newJobsRunCommand(app *App, dsn *string) *cobra.Command {
	var concurrency int
	var horizon time.Duration
	cmd := &cobra.Command{
		Use:   "run [--concurrency N] [--wait 1m]",
		Short: "Run the due jobs, then exit",
		Long: `run claims and runs every due job (several "apay jobs run" or shop instances
may run at once; each job goes to one of them), also waiting for jobs put back
for less than --wait (a throttled call's retry). A progress bar shows on a
terminal, "n/m done" lines otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := openWorker(cmd.Context(), app, *dsn, concurrency)
			if err != nil {
				return err
			}
			defer w.Close()
			return drainWithProgress(cmd, w, horizon, "jobs")
		},
	}
	cmd.Flags().IntVar(&concurrency, "concurrency", jobs.DefaultConcurrency, "jobs run at once")
	cmd.Flags().DurationVar(&horizon, "wait", time.Minute, "also wait for jobs due within this")
	return cmd
}

// drainWithProgress runs the due jobs with a progress display and prints a
// summary.
func drainWithProgress(cmd *cobra.Command, w *worker, horizon time.Duration, what string) error {
	ctx := cmd.Context()
	due, err := w.store.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{shop.JobQueued}, Limit: 1000})
	if err != nil {
		return err
	}
	total := 0
	now := time.Now()
	for _, j := range due {
		if !j.RunAt.After(now) {
			total++
		}
	}
	p := newProgress(cmd.OutOrStdout(), total, what)
	start := time.Now()
	n, err := w.runner.Drain(ctx, horizon, p.update)
	p.finish(n)
	m := w.runner.Metrics()
	fmt.Fprintf(cmd.OutOrStdout(), "%d job runs in %v: %d succeeded, %d retried, %d dead; %d throttled (429)\n",
		n, time.Since(start).Round(time.Millisecond), m.Succeeded.Load(), m.Retried.Load(), m.Dead.Load(), w.lim.Stats().Throttled)
	if err != nil {
		return err
	}
	if m.Dead.Load() > 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d jobs dead; see apay jobs list --status dead", m.Dead.Load())}
	}
	return nil
}

// progress is a bar on a terminal and "n/m done" lines elsewhere.
type progress struct {
	out   io.Writer
	bar   *progressbar.ProgressBar
	total int
	last  time.Time
}

func newProgress(out io.Writer, total int, what string) *progress {
	p := &progress{out: out, total: total}
	if f, ok := out.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("runs"),
			progressbar.OptionClearOnFinish())
	}
	return p
}

func (p *progress) update(done int) {
	if p.bar != nil {
		if done > p.bar.GetMax() {
			p.bar.ChangeMax(done)
		}
		_ = p.bar.Set(done)
		return
	}
	if time.Since(p.last) < time.Second && done < p.total {
		return // at most a line a second
	}
	p.last = time.Now()
	fmt.Fprintf(p.out, "%d/%d done\n", done, max(p.total, done))
}

func (p *progress) finish(done int) {
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	if done > 0 && !p.last.IsZero() && done == p.total {
		return
	}
	fmt.Fprintf(p.out, "%d/%d done\n", done, max(p.total, done))
}

func oneLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func newJobsQuotaCommand(app *App, dsn *string) *cobra.Command {
	return &cobra.Command{
		Use:   "quota OPERATION [BURST RATE]",
		Short: "Show or set an Amazon Pay quota in the shared bucket",
		Long: `quota shows the bucket of an Amazon Pay operation (e.g. CreateCharge) for the
seller account (APAY_MERCHANT_ID, sandbox or live from the key), or sets its
burst (requests) and restore rate (requests per second, decimals allowed,
e.g. 0.5). Every shop instance takes its tokens from this bucket, so a quota
raised by Amazon is configured once, here. Without a setting the published
quotas apply (api-objects.md §15).`,
		Args: cobra.RangeArgs(1, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				return &ExitError{Code: ExitUsage, Err: errors.New("give both BURST and RATE, or neither")}
			}
			store, err := openStore(cmd.Context(), app, *dsn)
			if err != nil {
				return err
			}
			defer store.Close()
			env, err := amazonpay.LoadEnvConfig(app.Getenv)
			if err != nil {
				return &ExitError{Code: ExitUsage, Err: err}
			}
			merchant := env.MerchantID
			if merchant == "" {
				merchant = "default"
			}
			account := shop.ThrottleAccount(merchant, env.Sandbox || strings.HasPrefix(env.PublicKeyID, "SANDBOX-"))
			op := args[0]
			if len(args) == 3 {
				burst, err1 := strconv.ParseInt(args[1], 10, 64)
				rate, err2 := parseMilli(args[2])
				if err1 != nil || err2 != nil {
					return &ExitError{Code: ExitUsage, Err: errors.New("BURST is a whole number and RATE a decimal with at most three decimals")}
				}
				if err := store.SetThrottleLimit(cmd.Context(), account, op, burst, rate); err != nil {
					return &ExitError{Code: ExitUsage, Err: errors.New(shop.ErrorMessage(err))}
				}
			}
			burst, rate := shop.DefaultThrottleLimit(account, op)
			source := "published default"
			if b, err := store.ThrottleBucket(cmd.Context(), account, op); err == nil {
				burst, rate, source = b.Burst, b.RateMilli, "shared bucket"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: burst %d, restore %d.%03d/s (%s)\n", account, op, burst, rate/1000, rate%1000, source)
			return nil
		},
	}
}

// parseMilli parses a non-negative decimal with at most three decimals
// into thousandths ("0.5" → 500).
func parseMilli(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 3 || strings.ContainsAny(whole+frac, "+-") {
		return 0, errors.New("bad decimal")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1_000_000 {
		return 0, errors.New("bad decimal")
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64); err != nil {
			return 0, errors.New("bad decimal")
		}
	}
	return w*1000 + f, nil
}
