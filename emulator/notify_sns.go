package emulator

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/emulator/sns"
)

// Notifications the way Amazon sends them (api-objects.md §14): when no
// custom Options.Notifier is given and a notification URL is set (Options.
// NotifyURL, apay emulator --notify, or POST /_emulator/notifications/config),
// every notification the state machines queue (notify.go) becomes a v2
// message in an SNS envelope, signed (SignatureVersion 1 or 2) by a
// certificate from the emulator's own CA, and goes out through one ordered
// sns.Sender that retries 429, 5xx and network errors with backoff and can
// be told to drop, duplicate, delay or reorder on purpose.
//
// The signing certificate is served at /_emulator/sns/cert.pem (the
// envelopes' SigningCertURL, built from the public URL) and the CA at
// /_emulator/sns/ca.pem. A receiver verifies with amazonpay/notification
// given that CA (WithRoots) and the emulator's host (WithAllowedCertHost);
// the verifier only fetches https certificate URLs, so an emulator whose
// notifications must verify is reached over HTTPS (Issuer.TLSCertificate
// serves it with a certificate from the same CA).
//
// Control API (docs/emulator.md):
//
//	GET  /_emulator/notifications          the queued notifications, each with its delivery
//	                                       status, and "deliveries": every delivery record
//	                                       (duplicates included) with its signed envelope
//	GET  /_emulator/notifications/config   {"url","signatureVersion","signingCertUrl","topicArn"}
//	POST /_emulator/notifications/config   {"url"?: "https://…" or "", "signatureVersion"?: "1"|"2"}
//	POST /_emulator/notifications/faults   {"mode": "drop"|"duplicate"|"delay"|"reorder",
//	                                        "count"?: n (default 1), "delay"?: "2s" (mode delay)}
//	GET  /_emulator/notifications/faults   the faults still to be applied
//	POST /_emulator/notifications/flush    waits until everything queued was delivered, failed or
//	                                       dropped (held reorders are sent), then answers the deliveries

// NotificationOptions configure how notifications are delivered when
// Options.Notifier is nil. The zero value is usable.
type NotificationOptions struct {
	// Issuer signs the envelopes. Nil makes one (a fresh in-memory CA) on
	// first use; pass one to share its CA with an HTTPS listener
	// (Issuer.TLSCertificate), so receivers need a single CA file.
	Issuer *sns.Issuer
	// SignatureVersion is "1" (SHA1withRSA, SNS's default and the default
	// here) or "2" (SHA256withRSA).
	SignatureVersion string
	// Client POSTs to the merchant (default: 10 s timeout). Give it the
	// merchant's CA when the endpoint is HTTPS with a private certificate.
	Client *http.Client
	// MaxAttempts bounds the tries per notification (default 3).
	MaxAttempts int
	// Backoff is the wait after failed attempt n (default 1 s, 2 s, 4 s, …
	// capped at 20 s; Amazon retries hourly).
	Backoff func(attempt int) time.Duration
}

// buyerSide is the Server's state for checkout.js, the hosted pages and SNS
// delivery (hosted.go, checkoutjs.go and this file). It has its own locks:
// it is never held together with Server.mu except Server.mu → snsMu.
type buyerSide struct {
	publicMu  sync.RWMutex
	publicURL string // scheme://host[:port], "" when unset

	notifyOpts NotificationOptions

	snsMu      sync.Mutex
	issuer     *sns.Issuer
	sender     *sns.Sender
	sigVersion string
	closed     bool
}

// initBuyerSide takes the options; nothing expensive happens until the
// first notification or certificate request.
func (s *Server) initBuyerSide(opts Options) error {
	s.buyerSide.notifyOpts = opts.Notifications
	s.buyerSide.issuer = opts.Notifications.Issuer
	v, err := checkSignatureVersion(opts.Notifications.SignatureVersion)
	if err != nil {
		return err
	}
	s.buyerSide.sigVersion = v
	if opts.PublicURL != "" {
		// A caller's Issuer that already has its certificate URL (served
		// elsewhere, e.g. the demo's HTTPS listener) keeps it.
		keep := opts.Notifications.Issuer != nil && opts.Notifications.Issuer.CertURL() != ""
		if err := s.setPublicURL(opts.PublicURL, !keep); err != nil {
			return err
		}
	}
	return nil
}

// closeBuyerSide stops the sender: queued notifications are recorded as
// failed.
func (s *Server) closeBuyerSide() {
	b := &s.buyerSide
	b.snsMu.Lock()
	snd := b.sender
	b.closed = true
	b.snsMu.Unlock()
	if snd != nil {
		_ = snd.Close()
	}
}

func checkSignatureVersion(v string) (string, error) {
	switch v {
	case "":
		return notification.SignatureVersion1, nil
	case notification.SignatureVersion1, notification.SignatureVersion2:
		return v, nil
	}
	return "", fmt.Errorf("emulator: notification SignatureVersion %q: want \"1\" or \"2\"", v)
}

// SetPublicURL sets the emulator's external base URL (scheme://host[:port])
// once it is known, e.g. after the listener started on port 0. It builds
// amazonPayRedirectUrl and the SigningCertURL of later notifications. The
// host must be one the SNS signing certificate names (127.0.0.1, ::1,
// localhost, or the host of Options.PublicURL or of this call if the
// certificate was not made yet). Unlike Options.PublicURL, it also moves
// the certificate URL of an Issuer given in Options.
func (s *Server) SetPublicURL(raw string) error { return s.setPublicURL(raw, true) }

// setPublicURL is SetPublicURL; certURL says whether the Issuer's
// certificate URL follows the public URL.
func (s *Server) setPublicURL(raw string, certURL bool) error {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("emulator: public URL %q: want scheme://host[:port]", raw)
	}
	base := u.Scheme + "://" + u.Host
	b := &s.buyerSide
	b.snsMu.Lock()
	iss := b.issuer
	b.snsMu.Unlock()
	if iss != nil && certURL {
		if err := iss.SetCertURL(base + sns.CertPath); err != nil {
			return fmt.Errorf("emulator: public URL: %w", err)
		}
	}
	b.publicMu.Lock()
	b.publicURL = base
	b.publicMu.Unlock()
	s.resendSaved() // notifications a saved state left queued can be signed now
	return nil
}

// PublicURL returns the base URL set by Options.PublicURL or SetPublicURL
// ("" when unset).
func (s *Server) PublicURL() string {
	s.buyerSide.publicMu.RLock()
	defer s.buyerSide.publicMu.RUnlock()
	return s.buyerSide.publicURL
}

// publicBase is the base URL for links back to the emulator: the public
// URL when set, else the address the request came in on.
func (s *Server) publicBase(r *http.Request) string {
	if u := s.PublicURL(); u != "" {
		return u
	}
	return baseURL(r)
}

// NotificationIssuer returns the Issuer that signs notifications, making it
// on first use. Receivers trust it with its VerifierOptions (its CA and the
// certificate URL's host); an HTTPS listener can serve its TLSCertificate.
func (s *Server) NotificationIssuer() (*sns.Issuer, error) {
	iss, _, err := s.snsParts(false)
	return iss, err
}

// snsParts returns the Issuer, making it on first use with the public URL's
// host in its certificate, and, with sender set, the Sender.
func (s *Server) snsParts(sender bool) (*sns.Issuer, *sns.Sender, error) {
	b := &s.buyerSide
	public := s.PublicURL()
	b.snsMu.Lock()
	defer b.snsMu.Unlock()
	if b.issuer == nil {
		hosts := []string{"127.0.0.1", "::1", "localhost"}
		if public != "" {
			if h := hostOnly(strings.TrimPrefix(strings.TrimPrefix(public, "https://"), "http://")); h != "" && !contains(hosts, h) {
				hosts = append([]string{h}, hosts...)
			}
		}
		iss, err := sns.NewIssuer(sns.IssuerConfig{Hosts: hosts})
		if err != nil {
			return nil, nil, err
		}
		b.issuer = iss
	}
	if public != "" && b.issuer.CertURL() == "" {
		if err := b.issuer.SetCertURL(public + sns.CertPath); err != nil {
			return nil, nil, err
		}
	}
	if sender && b.sender == nil {
		if b.closed {
			return nil, nil, sns.ErrClosed
		}
		o := b.notifyOpts
		b.sender = sns.NewSender(sns.SenderConfig{Client: o.Client, MaxAttempts: o.MaxAttempts, Backoff: o.Backoff, Logger: s.log})
	}
	return b.issuer, b.sender, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// dispatchSNS signs n and queues it on the Sender. The caller holds s.mu;
// signing takes about a millisecond and queueing never blocks.
func (s *Server) dispatchSNS(n *Notification) {
	iss, snd, err := s.snsParts(true)
	if err == nil && iss.CertURL() == "" {
		err = fmt.Errorf("no SigningCertURL: give the emulator its public URL (Options.PublicURL, SetPublicURL, or an HTTPS listener in apay emulator)")
	}
	var env *notification.Envelope
	if err == nil {
		s.buyerSide.snsMu.Lock()
		version := s.buyerSide.sigVersion
		s.buyerSide.snsMu.Unlock()
		env, err = iss.Notification(notification.Message{
			MerchantID:          n.MerchantID,
			ObjectType:          notification.ObjectType(n.ObjectType),
			ObjectID:            n.ObjectID,
			ChargePermissionID:  n.ChargePermissionID,
			NotificationType:    notification.NotificationType(n.NotificationType),
			NotificationID:      n.NotificationID,
			NotificationVersion: notification.NotificationVersion2,
		}, version)
	}
	if err != nil {
		n.Status, n.Error = "failed", err.Error()
		s.log.Warn("emulator: notification not sent", "notificationId", n.NotificationID, "error", err)
		return
	}
	n.Status = "queued"
	snd.Dispatch(n.URL, env)
}

// withDeliveries overlays the Sender's view (sent, failed, dropped,
// attempts) on notifications that went through it. The caller holds s.mu.
func (s *Server) withDeliveries(list []Notification) []Notification {
	latest := s.latestDeliveries()
	for i := range list {
		if r, ok := latest[list[i].NotificationID]; ok {
			overlayDelivery(&list[i], r)
		}
	}
	return list
}

// settleDeliveries writes the Sender's view into the state's notifications,
// so that a saved state knows which were delivered and which are still to
// send (resendSaved). The caller holds s.mu.
func (s *Server) settleDeliveries() {
	latest := s.latestDeliveries()
	for _, n := range s.st.Notifications {
		r, ok := latest[n.NotificationID]
		if !ok {
			continue
		}
		if r.Status == sns.StatusFailed && r.Error == sns.ErrClosed.Error() {
			continue // cut short by Close, not refused: still to send
		}
		overlayDelivery(n, r)
	}
}

// latestDeliveries maps each notification id to the Sender's record of it
// (not of its injected duplicates).
func (s *Server) latestDeliveries() map[string]sns.Record {
	recs := s.snsRecords()
	latest := make(map[string]sns.Record, len(recs))
	for _, r := range recs {
		if !r.Duplicate {
			latest[r.Message.NotificationID] = r
		}
	}
	return latest
}

// overlayDelivery sets n's delivery fields from the Sender's record.
func overlayDelivery(n *Notification, r sns.Record) {
	if n.Status == "unsent" {
		return
	}
	n.Attempts, n.Error = r.Attempts, r.Error
	switch r.Status {
	case sns.StatusSent:
		n.Status = "sent"
	case sns.StatusFailed:
		n.Status = "failed"
	case sns.StatusDropped:
		n.Status = "dropped"
	default:
		n.Status = "queued"
	}
}

// snsRecords returns the Sender's records, oldest first (none before the
// first notification).
func (s *Server) snsRecords() []sns.Record {
	s.buyerSide.snsMu.Lock()
	snd := s.buyerSide.sender
	s.buyerSide.snsMu.Unlock()
	if snd == nil {
		return []sns.Record{}
	}
	return snd.Records()
}

// --- control API ------------------------------------------------------------------

func (s *Server) registerNotificationControl(mux *http.ServeMux) {
	mux.HandleFunc("GET "+sns.CertPath, s.serveSNSCert)
	mux.HandleFunc("GET /_emulator/sns/ca.pem", s.serveSNSCA)
	mux.HandleFunc("GET /_emulator/sns/unsubscribe", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("The emulator keeps no subscriptions; set the notification URL with POST /_emulator/notifications/config.\n"))
	})
	mux.HandleFunc("GET /_emulator/notifications/config", s.control(s.ctlGetNotifyConfig))
	mux.HandleFunc("POST /_emulator/notifications/config", s.control(s.ctlSetNotifyConfig))
	mux.HandleFunc("POST /_emulator/notifications/faults", s.control(s.ctlAddNotifyFault))
	mux.HandleFunc("GET /_emulator/notifications/faults", s.control(s.ctlListNotifyFaults))
	mux.HandleFunc("POST /_emulator/notifications/flush", s.control(s.ctlFlushNotifications))
}

func (s *Server) serveSNSCert(w http.ResponseWriter, r *http.Request) {
	iss, err := s.NotificationIssuer()
	if err != nil {
		http.Error(w, "the signing certificate could not be made", http.StatusInternalServerError)
		return
	}
	iss.CertHandler().ServeHTTP(w, r)
}

func (s *Server) serveSNSCA(w http.ResponseWriter, _ *http.Request) {
	iss, err := s.NotificationIssuer()
	if err != nil {
		http.Error(w, "the CA could not be made", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(iss.Certificates().CA)
}

type notifyConfigIn struct {
	URL              *string `json:"url"`
	SignatureVersion *string `json:"signatureVersion"`
}

func (s *Server) ctlGetNotifyConfig(*http.Request, []byte) response {
	s.mu.Lock()
	target := s.notifyURL
	s.mu.Unlock()
	b := &s.buyerSide
	b.snsMu.Lock()
	version, iss := b.sigVersion, b.issuer
	b.snsMu.Unlock()
	var certURL, topic any
	if iss != nil {
		certURL, topic = strp(iss.CertURL()), iss.TopicARN()
	} else {
		topic = sns.DefaultTopicARN
	}
	if certURL == nil && s.PublicURL() != "" {
		certURL = s.PublicURL() + sns.CertPath
	}
	return ok(http.StatusOK, map[string]any{"url": strp(target), "signatureVersion": version, "signingCertUrl": certURL, "topicArn": topic})
}

func (s *Server) ctlSetNotifyConfig(_ *http.Request, body []byte) response {
	var in notifyConfigIn
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	var version string
	if in.SignatureVersion != nil {
		v, err := checkSignatureVersion(*in.SignatureVersion)
		if err != nil || *in.SignatureVersion == "" {
			return fail(errInvalidValue("signatureVersion", *in.SignatureVersion))
		}
		version = v
	}
	if in.URL != nil && *in.URL != "" {
		u, err := url.Parse(*in.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail(errInvalidValue("url", truncate(*in.URL, 64)))
		}
	}
	if in.URL != nil {
		s.mu.Lock()
		s.notifyURL = *in.URL
		s.mu.Unlock()
	}
	if version != "" {
		s.buyerSide.snsMu.Lock()
		s.buyerSide.sigVersion = version
		s.buyerSide.snsMu.Unlock()
	}
	return s.ctlGetNotifyConfig(nil, nil)
}

type notifyFaultIn struct {
	Mode  string `json:"mode"`
	Count *int   `json:"count"`
	Delay string `json:"delay"`
}

func (s *Server) ctlAddNotifyFault(_ *http.Request, body []byte) response {
	var in notifyFaultIn
	if err := decodeStrict(body, &in); err != nil {
		return fail(err)
	}
	f := sns.Fault{Mode: sns.FaultMode(in.Mode), Count: 1}
	switch f.Mode {
	case sns.FaultDrop, sns.FaultDuplicate, sns.FaultDelay, sns.FaultReorder:
	case "":
		return fail(errMissing("mode"))
	default:
		return fail(errInvalidValue("mode", truncate(in.Mode, 32)))
	}
	if in.Count != nil {
		if *in.Count < 1 || *in.Count > 1000 {
			return fail(errInvalidValue("count", *in.Count))
		}
		f.Count = *in.Count
	}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil || d <= 0 || d > 5*time.Minute || f.Mode != sns.FaultDelay {
			return fail(errInvalidValue("delay", truncate(in.Delay, 32)))
		}
		f.Delay = d
	}
	if f.Mode == sns.FaultDelay && f.Delay == 0 {
		return fail(errMissing("delay"))
	}
	_, snd, err := s.snsParts(true)
	if err != nil {
		return fail(errorf(http.StatusServiceUnavailable, codeServiceUnavailable, "Notifications are unavailable: %s.", err))
	}
	if err := snd.InjectFault(f); err != nil {
		return fail(errorf(http.StatusBadRequest, codeInvalidParameterValue, "%s", err))
	}
	return s.ctlListNotifyFaults(nil, nil).withStatus(http.StatusCreated)
}

func (s *Server) ctlListNotifyFaults(*http.Request, []byte) response {
	out := []map[string]any{}
	s.buyerSide.snsMu.Lock()
	snd := s.buyerSide.sender
	s.buyerSide.snsMu.Unlock()
	if snd != nil {
		for _, f := range snd.Faults() {
			v := map[string]any{"mode": f.Mode, "count": f.Count, "delay": nil}
			if f.Delay > 0 {
				v["delay"] = f.Delay.String()
			}
			out = append(out, v)
		}
	}
	return ok(http.StatusOK, map[string]any{"faults": out})
}

func (s *Server) ctlFlushNotifications(r *http.Request, _ []byte) response {
	s.buyerSide.snsMu.Lock()
	snd := s.buyerSide.sender
	s.buyerSide.snsMu.Unlock()
	if snd != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
		defer cancel()
		if err := snd.Flush(ctx); err != nil {
			return fail(errorf(http.StatusServiceUnavailable, codeServiceUnavailable, "The notifications were not flushed: %s.", err))
		}
	}
	return ok(http.StatusOK, map[string]any{"deliveries": s.snsRecords()})
}

// withStatus returns the response with another status.
func (r response) withStatus(status int) response {
	r.status = status
	return r
}
