package ctxsleep_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apaykit/apaykit/internal/ctxsleep"
)

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := ctxsleep.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: %v", err)
	}
	if err := ctxsleep.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx, zero wait: %v", err)
	}
	if err := ctxsleep.Sleep(t.Context(), 0); err != nil {
		t.Errorf("zero wait: %v", err)
	}
	if err := ctxsleep.Sleep(t.Context(), time.Microsecond); err != nil {
		t.Errorf("short wait: %v", err)
	}
	// Cancelled while sleeping: returns before the hour is up.
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ctxsleep.Sleep(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during the sleep: %v", err)
	}
}
