package sns

import (
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
)

// Status is where a notification is in its delivery.
type Status string

// List of values that Status can take.
const (
	StatusPending Status = "pending" // queued, not yet tried
	StatusDelayed Status = "delayed" // waiting out a delay fault
	StatusHeld    Status = "held"    // held back by a reorder fault until the next one is sent
	StatusSending Status = "sending" // being POSTed or waiting between retries
	StatusSent    Status = "sent"    // the receiver answered 2xx
	StatusFailed  Status = "failed"  // attempts exhausted, a non-retryable answer, or the sender closed
	StatusDropped Status = "dropped" // discarded by a drop fault; never sent
)

// Record is one notification as the control API shows it: what was sent,
// where, and what happened. A duplicate (from a duplicate fault) is its own
// Record with the same MessageID.
type Record struct {
	ID             int64                 `json:"id"`
	MessageID      string                `json:"messageId"`
	URL            string                `json:"url"`
	Status         Status                `json:"status"`
	Fault          FaultMode             `json:"fault,omitempty"`
	Duplicate      bool                  `json:"duplicate,omitempty"`
	Attempts       int                   `json:"attempts"`
	LastStatusCode int                   `json:"lastStatusCode,omitempty"`
	Error          string                `json:"error,omitempty"`
	CreatedAt      time.Time             `json:"createdAt"`
	UpdatedAt      time.Time             `json:"updatedAt"`
	SentAt         time.Time             `json:"sentAt,omitzero"`
	Message        notification.Message  `json:"message"`
	Envelope       notification.Envelope `json:"envelope"`
}

func (r *Record) settled() bool {
	switch r.Status {
	case StatusSent, StatusFailed, StatusDropped, StatusHeld:
		return true
	}
	return false
}
