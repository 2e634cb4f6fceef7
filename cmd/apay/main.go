// Command apay is apaykit's one binary; "apay --help" lists its commands.
// Exit codes: 0 success, 1 the operation or API call failed, 2 bad usage or input.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/apaykit/apaykit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Process{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
