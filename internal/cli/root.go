// Package cli implements the apay command line: one cobra command tree whose
// subcommands each live in their own file and register with one line in
// [subcommands].
//
// Commands never touch os.Stdout, os.Stderr, os.Stdin or os.Getenv directly:
// they write to cmd.OutOrStdout()/cmd.ErrOrStderr(), read cmd.InOrStdin() and
// look up configuration through [App.Getenv], so tests run the whole tree
// with buffers and a fake environment through [Execute].
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes of apay. They are part of the command-line contract
// (design.md §3): scripts tell "the call failed" from "I called it wrong".
const (
	// ExitOK: the command did what was asked.
	ExitOK = 0
	// ExitFailure: the operation failed — an API error answer, a server
	// that could not start, a file that could not be written.
	ExitFailure = 1
	// ExitUsage: bad usage or input — an unknown command or flag, a missing
	// argument, an unparseable key or document, missing configuration.
	ExitUsage = 2
)

// Process is the outside world one run of apay sees. main passes the real
// one; tests pass buffers and a map-backed Getenv.
type Process struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up an environment variable ("" when unset).
	Getenv func(string) string
}

// App is what every subcommand constructor receives: the process-wide
// inputs that cobra does not carry.
type App struct {
	// Getenv looks up configuration (design.md §6) so commands never read
	// os.Getenv and tests can fake the environment.
	Getenv func(string) string
}

// subcommands lists the constructors of apay's commands. A new command is
// one file with a constructor and one line here.
func subcommands() []func(*App) *cobra.Command {
	return []func(*App) *cobra.Command{
		newVersionCommand,
		newKeygenCommand,
		newSignCommand,
		newCallCommand,
		newActionCommand,
		newEmulatorCommand,
		newDemoCommand,
		newShopCommand,
		newSubscriptionsCommand,
		newJobsCommand,
		newOrdersCommand,
	}
}

// ExitError makes a command exit with Code. Quiet suppresses the "apay:
// message" line on stderr, for commands that already reported the failure
// themselves (apay call prints the API error JSON on stdout).
type ExitError struct {
	Code  int
	Err   error
	Quiet bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *ExitError) Unwrap() error { return e.Err }

// Usagef reports bad usage or input: apay prints the message and exits 2.
func Usagef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// UsageError marks err as bad usage or input (exit 2).
func UsageError(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: err}
}

// Execute runs apay with p and returns the exit code. Errors are printed
// once, as "apay: message", on p.Stderr. An error raised before a command's
// RunE started (unknown command or flag, wrong number of arguments) is a
// usage error; an error returned by RunE is a failure unless it is an
// *ExitError saying otherwise.
func Execute(ctx context.Context, p Process) int {
	app := &App{Getenv: p.Getenv}
	if app.Getenv == nil {
		app.Getenv = func(string) string { return "" }
	}
	root, started := newRoot(app)
	return runRoot(ctx, root, started, p)
}

// runRoot executes a built tree with p's arguments and streams.
func runRoot(ctx context.Context, root *cobra.Command, started *bool, p Process) int {
	root.SetArgs(p.Args)
	if p.Stdin != nil {
		root.SetIn(p.Stdin)
	}
	stdout, stderr := p.Stdout, p.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	return finish(root.ExecuteContext(ctx), *started, stderr)
}

// finish turns the tree's error into an exit code and prints it.
func finish(err error, started bool, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	code := ExitFailure
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case !started:
		code = ExitUsage
	}
	if ee == nil || !ee.Quiet {
		fmt.Fprintf(stderr, "apay: %v\n", err)
		if code == ExitUsage && !started {
			fmt.Fprintln(stderr, `Run "apay --help" for usage.`)
		}
	}
	return code
}

// newRoot builds the command tree. started becomes true once a command's
// RunE begins, which is how Execute tells cobra's own usage errors from the
// command's.
func newRoot(app *App) (*cobra.Command, *bool) {
	root := &cobra.Command{
		Use:   "apay",
		Short: "Amazon Pay Checkout v2 toolkit: emulator, shop, keys, signing",
		Long: `apay is apaykit's command line: an Amazon Pay emulator, a demo shop,
key generation, request signing and single API calls.

Configuration comes from the environment: APAY_PUBLIC_KEY_ID, APAY_PRIVATE_KEY
(PEM text) or APAY_PRIVATE_KEY_FILE, APAY_REGION, APAY_SANDBOX, APAY_ALGORITHM,
APAY_ENDPOINT, APAY_CA_FILE, APAY_STORE_ID, APAY_MERCHANT_ID.

Exit codes: 0 success, 1 the operation or API call failed, 2 bad usage or input.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	for _, newCmd := range subcommands() {
		root.AddCommand(newCmd(app))
	}
	started := new(bool)
	markStarted(root, started)
	return root, started
}

// markStarted wraps every RunE in the tree so that *started is set when
// the command's own code begins.
func markStarted(c *cobra.Command, started *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markStarted(sub, started)
	}
}
