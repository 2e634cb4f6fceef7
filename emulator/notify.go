package emulator

import (
	"context"
	"time"
)

// Notification is one IPN the emulator queued: the Amazon Pay message
// (api-objects.md §14.1) plus delivery bookkeeping.
type Notification struct {
	NotificationID     string      `json:"notificationId"`
	MerchantID         string      `json:"merchantId"`
	Env                Environment `json:"releaseEnvironment"`
	ObjectType         string      `json:"objectType"` // CHARGE_PERMISSION, CHARGE, REFUND, CHARGEBACK
	ObjectID           string      `json:"objectId"`
	ChargePermissionID string      `json:"chargePermissionId"`
	NotificationType   string      `json:"notificationType"` // STATE_CHANGE, ATTRIBUTE_CHANGE
	// State is the object's state the notification reports (for tests; not
	// part of Amazon's message).
	State string    `json:"state"`
	Time  time.Time `json:"time"`
	// URL is the endpoint it goes to ("" when none is configured).
	URL string `json:"url"`
	// Status is queued, sent, failed or unsent (no endpoint or notifier).
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
}

// Message is the IPN body Amazon sends inside the SNS envelope's Message.
func (n Notification) Message() map[string]string {
	return map[string]string{
		"MerchantID":          n.MerchantID,
		"ObjectType":          n.ObjectType,
		"ObjectId":            n.ObjectID,
		"ChargePermissionId":  n.ChargePermissionID,
		"NotificationType":    n.NotificationType,
		"NotificationId":      n.NotificationID,
		"NotificationVersion": "V2",
	}
}

// Notifier delivers a notification to its URL (emulator/sns wraps it in a
// signed SNS envelope). Deliver runs outside the state lock.
type Notifier interface {
	Deliver(ctx context.Context, n Notification) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n Notification) error

// Deliver calls f.
func (f NotifierFunc) Deliver(ctx context.Context, n Notification) error { return f(ctx, n) }

// notify queues a STATE_CHANGE notification for an object. The caller holds
// s.mu; delivery happens on another goroutine.
func (s *Server) notify(o Owner, objectType, objectID, chargePermissionID, state string, at time.Time) {
	n := &Notification{
		NotificationID:     newUUID(),
		MerchantID:         o.MerchantID,
		Env:                o.Env,
		ObjectType:         objectType,
		ObjectID:           objectID,
		ChargePermissionID: chargePermissionID,
		NotificationType:   "STATE_CHANGE",
		State:              state,
		Time:               at,
		URL:                s.notifyURL,
		Status:             "unsent",
	}
	s.st.Notifications = append(s.st.Notifications, n)
	s.dispatch(n)
}

// dispatch hands n to its delivery path: the SNS Sender, the embedding
// program's Notifier, or none. The caller holds s.mu.
func (s *Server) dispatch(n *Notification) {
	if s.notifier == nil && n.URL != "" {
		s.dispatchSNS(n) // notify_sns.go: a signed SNS envelope through the Sender
		return
	}
	if s.notifier == nil || n.URL == "" {
		return
	}
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	if s.deliverClosed {
		return
	}
	n.Status = "queued"
	msg := *n
	s.deliveries.Add(1)
	go s.deliver(n, msg)
}

// resendSaved dispatches again the notifications a saved state left
// queued: the process that queued them stopped before their delivery
// finished (or before the state was saved after it — a receiver may then
// get one twice, as from SNS, and deduplicates by NotificationId). SNS
// delivery needs the SigningCertURL, so until the emulator's public URL is
// known (Options.PublicURL or SetPublicURL) they wait.
func (s *Server) resendSaved() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unsent) == 0 {
		return
	}
	if s.notifier == nil {
		// The emulator's own address must be known: an Issuer handed over
		// by the caller may still name the previous process's address.
		if s.PublicURL() == "" {
			return
		}
		iss, _, err := s.snsParts(false)
		if err != nil || iss.CertURL() == "" {
			return
		}
	}
	for _, n := range s.unsent {
		s.dispatch(n)
	}
	s.unsent = nil
	s.markDirty()
}

// deliver sends one notification with a few retries, like SNS does for 5xx
// and network errors (spaced seconds apart rather than hours).
func (s *Server) deliver(n *Notification, msg Notification) {
	defer s.deliveries.Done()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = s.notifier.Deliver(ctx, msg)
		cancel()
		s.mu.Lock()
		n.Attempts = attempt
		if err == nil {
			n.Status, n.Error = "sent", ""
		} else {
			n.Status, n.Error = "failed", err.Error()
		}
		s.mu.Unlock()
		if err == nil {
			return
		}
		select {
		case <-s.stop:
			return
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
	s.log.Warn("emulator: notification not delivered", "notificationId", msg.NotificationID, "error", err)
}
