package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/apaykit/apaykit/internal/ctxsleep"
	"github.com/apaykit/apaykit/shop/restapi"
)

// Environment of apay orders.
const (
	// EnvShopURL is the shop's base URL (default http://127.0.0.1:8080).
	EnvShopURL = "APAY_SHOP_URL"
	// EnvShopAPIKey is the REST API token (apay_<id>_<secret>). It is read
	// from the environment only, never from a flag, so it stays out of the
	// shell history and the process list.
	EnvShopAPIKey = "APAY_SHOP_API_KEY"
)

// ordersFlags are the options every orders subcommand shares.
type ordersFlags struct {
	shop    string
	output  string
	retries int
	timeout time.Duration
}

func newOrdersCommand(a *App) *cobra.Command {
	var f ordersFlags
	cmd := &cobra.Command{
		Use:   "orders",
		Short: "Look at and act on a shop's orders through its REST API",
		Long: `orders talks to a running shop's REST API (docs/rest-api.md) for support staff
and scripts: list and show orders with their Amazon Pay state, and capture,
refund, cancel (close the authorization), authorize or close their payments.
The shop is --shop or APAY_SHOP_URL (default http://127.0.0.1:8080); the API
key is APAY_SHOP_API_KEY (apay_<id>_<secret>; read from the environment only).
--output json prints the API's JSON; table (the default) prints columns.
Every operation carries an Idempotency-Key (--idempotency-key, or a random
one), and is retried with the same key while the shop answers 429, 503 or
"in progress", so a retry never moves money twice. Exit status: 0 done, 1
refused or failed (the error is printed), 2 bad usage.`,
		Args: cobra.NoArgs,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.shop, "shop", "", "shop base URL (default $APAY_SHOP_URL, else http://127.0.0.1:8080)")
	pf.StringVarP(&f.output, "output", "o", "table", "output: table or json")
	pf.IntVar(&f.retries, "retries", 3, "retries of an operation the shop could not finish yet (same Idempotency-Key)")
	pf.DurationVar(&f.timeout, "timeout", time.Minute, "time limit of the whole command")
	cmd.AddCommand(newOrdersListCommand(a, &f), newOrdersShowCommand(a, &f))
	for _, op := range ordersOperations {
		cmd.AddCommand(newOrdersOperationCommand(a, &f, op))
	}
	return cmd
}

// ordersClient calls one shop's REST API.
type ordersClient struct {
	base, token string
	http        *http.Client
	retries     int
}

// client checks the flags and the environment.
func (f *ordersFlags) client(a *App) (*ordersClient, error) {
	if f.output != "table" && f.output != "json" {
		return nil, Usagef("--output must be table or json")
	}
	base := f.shop
	if base == "" {
		base = a.Getenv(EnvShopURL)
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Usagef("shop URL %q: want http(s)://host[:port]", base)
	}
	token := strings.TrimSpace(a.Getenv(EnvShopAPIKey))
	if token == "" {
		return nil, Usagef("%s is not set (a REST API key of the shop, apay_<id>_<secret>)", EnvShopAPIKey)
	}
	return &ordersClient{base: strings.TrimSuffix(base, "/"), token: token, retries: max(f.retries, 0),
		http: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// ordersAPIError is an error answer of the API.
type ordersAPIError struct {
	status int
	body   []byte
	Code   string `json:"code"`
	Msg    string `json:"message"`
}

func (e *ordersAPIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("shop answered %d", e.status)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code, e.status, e.Msg)
}

// do sends one request; POSTs are retried with the same Idempotency-Key
// while the answer says "try again".
func (c *ordersClient) do(ctx context.Context, method, path string, body []byte, key string) ([]byte, int, error) {
	data, status, _, err := c.doReplay(ctx, method, path, body, key)
	return data, status, err
}

// doReplay is do, also telling whether the shop replayed a stored answer
// (Idempotent-Replayed: true).
func (c *ordersClient) doReplay(ctx context.Context, method, path string, body []byte, key string) ([]byte, int, bool, error) {
	for attempt := 0; ; attempt++ {
		var rdr io.Reader
		if body != nil {
			rdr = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, rdr)
		if err != nil {
			return nil, 0, false, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if method == http.MethodPost && attempt < c.retries && ctx.Err() == nil {
				if werr := ctxsleep.Sleep(ctx, ordersBackoff(attempt)); werr == nil {
					continue
				}
			}
			return nil, 0, false, fmt.Errorf("shop unreachable: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			return nil, 0, false, err
		}
		if resp.StatusCode < 400 {
			return data, resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", nil
		}
		e := &ordersAPIError{status: resp.StatusCode, body: data}
		_ = json.Unmarshal(data, e)
		retry := resp.StatusCode == 429 || resp.StatusCode == 503 || e.Code == "request_in_progress" || e.Code == "operation_in_progress"
		if method == http.MethodPost && retry && attempt < c.retries {
			wait := ordersBackoff(attempt)
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = min(time.Duration(s)*time.Second, 30*time.Second)
			}
			if werr := ctxsleep.Sleep(ctx, wait); werr == nil {
				continue
			}
		}
		return data, resp.StatusCode, false, e
	}
}

func ordersBackoff(attempt int) time.Duration { return time.Duration(500<<attempt) * time.Millisecond }

// ordersReport prints an API error: its JSON on stdout with --output json (as
// apay call does), the message on stderr otherwise; exit 1.
func ordersReport(cmd *cobra.Command, f *ordersFlags, body []byte, err error) error {
	var e *ordersAPIError
	if errors.As(err, &e) && f.output == "json" && len(e.body) > 0 {
		_, _ = cmd.OutOrStdout().Write(e.body)
		return &ExitError{Code: ExitFailure, Err: err, Quiet: true}
	}
	return &ExitError{Code: ExitFailure, Err: err}
}

func newOrdersListCommand(a *App, f *ordersFlags) *cobra.Command {
	var status, chargeState, refundState, cpState []string
	var method, after, before, cursor string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--status S]… [--charge-state S]… [--refund-state S]… [--created-after T] [--all]",
		Short: "List orders, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(a)
			if err != nil {
				return err
			}
			q := url.Values{}
			for name, vs := range map[string][]string{"status": status, "charge_state": chargeState, "refund_state": refundState,
				"charge_permission_state": cpState} {
				if len(vs) > 0 {
					q.Set(name, strings.Join(vs, ","))
				}
			}
			for name, v := range map[string]string{"payment_method": method, "created_after": after, "created_before": before, "cursor": cursor} {
				if v != "" {
					q.Set(name, v)
				}
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			var list restapi.OrderList
			for {
				body, _, err := c.do(ctx, http.MethodGet, restapi.Prefix+"/orders?"+q.Encode(), nil, "")
				if err != nil {
					return ordersReport(cmd, f, body, err)
				}
				var page restapi.OrderList
				if err := json.Unmarshal(body, &page); err != nil {
					return fmt.Errorf("shop answered unreadable JSON: %w", err)
				}
				list.Orders = append(list.Orders, page.Orders...)
				list.NextCursor = page.NextCursor
				if !all || page.NextCursor == nil {
					break
				}
				q.Set("cursor", *page.NextCursor)
			}
			if list.Orders == nil {
				list.Orders = []restapi.Order{}
			}
			if f.output == "json" {
				return ordersJSON(cmd.OutOrStdout(), list)
			}
			return printOrderTable(cmd.OutOrStdout(), list)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&status, "status", nil, "order status (repeatable): pending_payment, authorized, captured, refunded, …")
	fl.StringVar(&method, "payment-method", "", "amazon_pay or none")
	fl.StringSliceVar(&cpState, "charge-permission-state", nil, "Chargeable, NonChargeable or Closed (repeatable)")
	fl.StringSliceVar(&chargeState, "charge-state", nil, "orders with a charge in this state: Authorized, Captured, … (repeatable)")
	fl.StringSliceVar(&refundState, "refund-state", nil, "orders with a refund in this state: RefundInitiated, Refunded, Declined (repeatable)")
	fl.StringVar(&after, "created-after", "", "created at or after (RFC 3339)")
	fl.StringVar(&before, "created-before", "", "created before (RFC 3339)")
	fl.IntVar(&limit, "limit", 0, "page size (1–200, default 50)")
	fl.StringVar(&cursor, "cursor", "", "continue after a previous page (its next_cursor)")
	fl.BoolVar(&all, "all", false, "follow next_cursor to the end")
	return cmd
}

func newOrdersShowCommand(a *App, f *ordersFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ORDER",
		Short: "Show an order (id or number) with its Amazon Pay state and payment history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(a)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			body, _, err := c.do(ctx, http.MethodGet, restapi.Prefix+"/orders/"+url.PathEscape(args[0]), nil, "")
			if err != nil {
				return ordersReport(cmd, f, body, err)
			}
			var o restapi.Order
			if err := json.Unmarshal(body, &o); err != nil {
				return fmt.Errorf("shop answered unreadable JSON: %w", err)
			}
			if f.output == "json" {
				return ordersJSON(cmd.OutOrStdout(), o)
			}
			return printOrder(cmd.OutOrStdout(), &o)
		},
	}
}

// ordersOperation is one payment operation subcommand.
type ordersOperation struct {
	name, path, short string
	amount            bool
}

var ordersOperations = []ordersOperation{
	{"capture", "capture", "Capture an order's authorization (all, or --amount)", true},
	{"refund", "refund", "Refund an order (all that was captured, or --amount)", true},
	{"cancel", "close-authorization", "Cancel an order's open authorization", false},
	{"authorize", "authorize", "Authorize an order (again) on its charge permission", true},
	{"close", "close", "Close an order's charge permission", false},
}

func newOrdersOperationCommand(a *App, f *ordersFlags, op ordersOperation) *cobra.Command {
	var amount, reason, key string
	var cancelPending bool
	use := op.name + " ORDER [--reason TEXT] [--idempotency-key K]"
	if op.amount {
		use = op.name + " ORDER [--amount 12.34] [--reason TEXT] [--idempotency-key K]"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: op.short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(a)
			if err != nil {
				return err
			}
			in := restapi.OperationRequest{Reason: reason, CancelPendingCharges: cancelPending}
			if amount != "" {
				in.Amount, _ = json.Marshal(amount)
			}
			body, _ := json.Marshal(in)
			if key == "" {
				var b [16]byte
				_, _ = rand.Read(b[:])
				key = "apay-cli-" + hex.EncodeToString(b[:])
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			data, status, replayed, err := c.doReplay(ctx, http.MethodPost, restapi.Prefix+"/orders/"+url.PathEscape(args[0])+"/amazon-pay/"+op.path, body, key)
			if err != nil {
				return ordersReport(cmd, f, data, err)
			}
			var res restapi.OperationResult
			if err := json.Unmarshal(data, &res); err != nil {
				return fmt.Errorf("shop answered unreadable JSON: %w", err)
			}
			// A stored answer replayed by the shop is the first request's
			// outcome: say so.
			res.Replayed = res.Replayed || replayed
			if f.output == "json" {
				return ordersJSON(cmd.OutOrStdout(), res)
			}
			return printOperation(cmd.OutOrStdout(), &res, status)
		},
	}
	if op.amount {
		cmd.Flags().StringVar(&amount, "amount", "", "amount in the order's currency, e.g. 12.34 (default: all)")
	}
	cmd.Flags().StringVar(&reason, "reason", "", "the merchant's note, stored with the payment operation and shown in the history (sent to Amazon Pay for cancel and close)")
	cmd.Flags().StringVar(&key, "idempotency-key", "", "Idempotency-Key: the same key repeats nothing (default random)")
	if op.name == "close" {
		cmd.Flags().BoolVar(&cancelPending, "cancel-pending-charges", false, "also cancel open authorizations")
	}
	return cmd
}

func ordersJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func printOrderTable(w io.Writer, list restapi.OrderList) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNUMBER\tSTATUS\tTOTAL\tCAPTURED\tREFUNDED\tCHARGE PERMISSION\tCREATED")
	for _, o := range list.Orders {
		cp := "-"
		if r := o.AmazonReference; r != nil && r.ChargePermissionID != "" {
			cp = r.ChargePermissionID + " " + r.ChargePermissionState
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\n", o.ID, o.Number, o.Status, o.Total, o.Currency, o.Captured, o.Refunded,
			cp, o.CreatedAt.UTC().Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if list.NextCursor != nil {
		_, err := fmt.Fprintf(w, "more: --cursor %s\n", *list.NextCursor)
		return err
	}
	return nil
}

func printOrder(w io.Writer, o *restapi.Order) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Order\t%d (%s)\n", o.ID, o.Number)
	fmt.Fprintf(tw, "Status\t%s\n", o.Status)
	fmt.Fprintf(tw, "Total\t%s %s\n", o.Total, o.Currency)
	fmt.Fprintf(tw, "Authorized / captured / refunded\t%s / %s / %s\n", o.Authorized, o.Captured, o.Refunded)
	fmt.Fprintf(tw, "Buyer\t%s <%s>\n", o.BuyerName, o.BuyerEmail)
	fmt.Fprintf(tw, "Created\t%s\n", o.CreatedAt.UTC().Format(time.RFC3339))
	if r := o.AmazonReference; r != nil {
		fmt.Fprintf(tw, "Charge permission\t%s %s %s %s\n", r.ChargePermissionID, r.ChargePermissionType, r.ChargePermissionState, r.ChargePermissionReason)
		for _, c := range r.Charges {
			fmt.Fprintf(tw, "Charge\t%s %s %s amount %s captured %s\n", c.ID, c.State, c.ReasonCode, c.Amount, c.CapturedAmount)
		}
		for _, rf := range r.Refunds {
			fmt.Fprintf(tw, "Refund\t%s %s %s amount %s (charge %s)\n", rf.ID, rf.State, rf.ReasonCode, rf.Amount, rf.ChargeID)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(o.History) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nHistory")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tKIND\tOPERATION\tSTATUS\tAMOUNT\tOBJECT\tREASONCODE\tMERCHANT REASON\tNOTE")
	for _, h := range o.History {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.At.UTC().Format("2006-01-02 15:04:05"), h.Kind, h.Operation, h.Status,
			orDash(h.Amount), orDash(h.ObjectID), orDash(h.ReasonCode), orDash(cellText(h.Reason)), h.Note)
	}
	return tw.Flush()
}

func printOperation(w io.Writer, r *restapi.OperationResult, status int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	outcome := "done"
	switch {
	case r.Replayed:
		outcome = "done earlier (replayed)"
	case status == http.StatusAccepted:
		outcome = "accepted, pending at Amazon Pay"
	}
	fmt.Fprintf(tw, "Order\t%d (%s)\n", r.OrderID, r.OrderNumber)
	fmt.Fprintf(tw, "Operation\t%s: %s\n", r.Operation, outcome)
	if r.Amount != "" {
		fmt.Fprintf(tw, "Amount\t%s %s\n", r.Amount, r.Currency)
	}
	fmt.Fprintf(tw, "Order status\t%s\n", r.OrderStatus)
	if r.ChargeID != "" {
		fmt.Fprintf(tw, "Charge\t%s %s %s\n", r.ChargeID, r.ChargeState, r.ChargeReasonCode)
	}
	if r.RefundID != "" {
		fmt.Fprintf(tw, "Refund\t%s %s\n", r.RefundID, r.RefundState)
	}
	if r.Reason != "" {
		fmt.Fprintf(tw, "Reason\t%s\n", cellText(r.Reason))
	}
	if re := r.Reauthorization; re != nil {
		fmt.Fprintf(tw, "Re-authorized\treplaced %s (%s %s)\n", re.ReplacedChargeID, re.ReplacedChargeState, re.ReplacedReasonCode)
	}
	fmt.Fprintf(tw, "Charge permission\t%s %s\n", r.ChargePermissionID, r.ChargePermissionState)
	return tw.Flush()
}

// cellText makes merchant text safe for a table cell and a terminal:
// control characters (tabs, newlines, escape sequences) become spaces.
func cellText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
