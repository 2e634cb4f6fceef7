package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
	"github.com/spf13/cobra"
)

func newCallCommand(app *App) *cobra.Command {
	var file string
	var pretty, verbose bool
	cmd := &cobra.Command{
		Use:   "call [--file F|-]",
		Short: "Run one action document against Amazon Pay",
		Long: `call runs one action document, the JSON body of the v2handlerjs Lambda
({"action":"GetCharge","chargeId":"…"}, see docs/actions.md), with a client
configured from the environment (APAY_PUBLIC_KEY_ID, APAY_PRIVATE_KEY or
APAY_PRIVATE_KEY_FILE, APAY_REGION, …; APAY_ENDPOINT for an emulator).

The document comes from --file, or from standard input with --file - or no
flag. The result JSON goes to standard output: Amazon Pay's response body,
or {"reasonCode","message","requestId"} for an error.

Exit codes: 0 on a 2xx answer; 1 on an API error (or when Amazon Pay could
not be reached), its JSON on stdout; 2 on bad usage or input, including a
document refused before anything was sent (its JSON on stdout too).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := readDocument(cmd, file)
			if err != nil {
				return err
			}
			// Refuse a malformed document before asking for configuration,
			// so the user fixes the document first.
			if _, derr := action.Decode(doc); derr != nil {
				res := action.ErrorResult(derr)
				return printResult(cmd, res, pretty)
			}
			env, err := amazonpay.LoadEnvConfig(app.Getenv)
			if err != nil {
				return UsageError(err)
			}
			client, err := env.NewClient()
			if err != nil {
				return UsageError(fmt.Errorf("configuration: %w", err))
			}
			logger := slog.New(slog.DiscardHandler)
			if verbose {
				logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			}
			runner := action.NewRunner(client, action.WithLogger(logger),
				action.WithStoreID(env.StoreID), action.WithMerchantID(env.MerchantID))
			return printResult(cmd, runner.Run(cmd.Context(), doc), pretty)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "-", "the action document; - reads standard input")
	cmd.Flags().BoolVar(&pretty, "pretty", false, "indent the result JSON")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "log the action line (action, status, reasonCode, requestId, duration) on stderr")
	return cmd
}

// readDocument reads the document from a file or standard input, at most
// action.MaxDocumentSize bytes.
func readDocument(cmd *cobra.Command, file string) ([]byte, error) {
	var r io.Reader
	if file == "-" || file == "" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, Usagef("reading the document: %v", err)
		}
		defer f.Close()
		r = f
	}
	doc, err := io.ReadAll(io.LimitReader(r, action.MaxDocumentSize+1))
	if err != nil {
		return nil, Usagef("reading the document: %v", err)
	}
	return doc, nil
}

// printResult writes the result JSON and turns its status into the exit
// code: 0 for 2xx/3xx, 2 for input refused before sending, 1 otherwise.
func printResult(cmd *cobra.Command, res *action.Result, pretty bool) error {
	body := []byte(res.Body)
	if pretty {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", body); err != nil {
		return err
	}
	switch {
	case res.OK():
		return nil
	case res.Status < 500 && res.RequestID == "":
		return &ExitError{Code: ExitUsage, Err: errors.New(res.ReasonCode), Quiet: true}
	}
	return &ExitError{Code: ExitFailure, Err: errors.New(res.ReasonCode), Quiet: true}
}
