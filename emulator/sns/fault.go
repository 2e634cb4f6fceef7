package sns

import (
	"fmt"
	"time"
)

// FaultMode is a way the Sender misbehaves on purpose, as SNS sometimes
// does, so a merchant's handler can be tested against it.
type FaultMode string

// List of values that FaultMode can take.
const (
	// FaultDrop discards the notification: it is recorded as dropped and
	// never sent (the merchant must fall back to polling).
	FaultDrop FaultMode = "drop"
	// FaultDuplicate sends the notification twice, same MessageId.
	FaultDuplicate FaultMode = "duplicate"
	// FaultDelay waits Fault.Delay before sending (the queue waits too, so
	// order is kept).
	FaultDelay FaultMode = "delay"
	// FaultReorder holds the notification back and sends it right after the
	// next one (or at Flush), so two notifications arrive swapped.
	FaultReorder FaultMode = "reorder"
)

// Fault applies Mode to the next Count notifications the Sender processes
// (Count 0 means 1).
type Fault struct {
	Mode  FaultMode     `json:"mode"`
	Count int           `json:"count,omitempty"`
	Delay time.Duration `json:"delay,omitempty"`
}

func (f Fault) validate() error {
	switch f.Mode {
	case FaultDrop, FaultDuplicate, FaultReorder:
	case FaultDelay:
		if f.Delay <= 0 {
			return fmt.Errorf("sns: delay fault needs a positive Delay")
		}
	default:
		return fmt.Errorf("sns: unknown fault mode %q", f.Mode)
	}
	if f.Count < 0 {
		return fmt.Errorf("sns: fault Count %d is negative", f.Count)
	}
	return nil
}
