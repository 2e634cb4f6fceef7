// Package ctxsleep is the one sleep that a cancellation cuts short, for the
// throttle waits, job polls, delivery delays and retry backoffs of the
// emulator, the shop and the CLI: time.Sleep would keep a stopping program
// waiting for the whole delay. (The SDK keeps its own copy: amazonpay
// imports nothing outside the standard library and itself.)
package ctxsleep

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends, whichever comes first, and returns
// ctx's error if ctx ended first (or had already ended). A d of zero or
// less returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
