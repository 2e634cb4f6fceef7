package emulator

import (
	"sync"
	"time"
)

// Clock tells the emulator the time. The zero Options use the system clock;
// tests inject a fixed or stepping clock.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// clock is the emulator clock: the base Clock plus an offset that the control
// API moves forward. Object time (expiries, pending outcomes, timestamps)
// reads now(); signature dates are checked against base() so that an SDK
// signing with the real time keeps working after /_emulator/clock advanced
// business time by 30 days.
type clock struct {
	mu     sync.Mutex
	base   Clock
	offset time.Duration
	// last is the latest time handed out, so business time never runs
	// backwards even if the base clock does.
	last time.Time
}

func newClock(base Clock) *clock {
	if base == nil {
		base = systemClock{}
	}
	return &clock{base: base}
}

// now is business time, in UTC, never earlier than a previous reading.
func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.base.Now().Add(c.offset).UTC()
	if t.Before(c.last) {
		t = c.last
	}
	c.last = t
	return t
}

// baseNow is the underlying clock, used for the x-amz-pay-date window.
func (c *clock) baseNow() time.Time { return c.base.Now().UTC() }

// advance moves business time forward by d (d ≥ 0) and returns the new time.
func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
	return c.now()
}

// set moves business time to t; it returns false if t is in the past of
// the emulator clock (the clock only moves forward).
func (c *clock) set(t time.Time) (time.Time, bool) {
	c.mu.Lock()
	cur := c.base.Now().Add(c.offset)
	if cur.Before(c.last) {
		cur = c.last
	}
	if t.Before(cur) {
		c.mu.Unlock()
		return cur.UTC(), false
	}
	c.offset += t.Sub(cur)
	c.mu.Unlock()
	return c.now(), true
}

// Offset reports how far business time is ahead of the base clock.
func (c *clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}
