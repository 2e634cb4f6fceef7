package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/emulator"
	"github.com/apaykit/apaykit/emulator/sns"
	"github.com/spf13/cobra"
)

// emulatorFlags are the options of apay emulator.
type emulatorFlags struct {
	addr     string
	tlsAddr  string
	certOut  string
	keys     []string
	notify   string
	state    string
	throttle bool
	verbose  bool
}

func newEmulatorCommand(*App) *cobra.Command {
	var f emulatorFlags
	cmd := &cobra.Command{
		Use:   "emulator [--addr HOST:PORT] [--tls-addr HOST:PORT] [--key ID=public.pem]… [--notify URL] [--state FILE] [--throttle]",
		Short: "Run the Amazon Pay emulator",
		Long: `emulator serves a stateful, signature-checking Amazon Pay API v2 under /v2,
/sandbox/v2 and /live/v2, plus its control API under /_emulator/ (docs/emulator.md).

It prints one line per listener, "emulator listening on http://127.0.0.1:PORT"
and, with --tls-addr, "emulator listening on https://127.0.0.1:PORT"; port 0
picks a free port. The HTTPS listener uses a self-signed certificate made at
start for 127.0.0.1, ::1 and localhost (the official SDKs only speak HTTPS): its
PEM goes to --cert-out, or to stderr. Trust keys with --key ID=public.pem
(repeatable) or POST /_emulator/keys. --state FILE keeps keys and objects in
SQLite across restarts. SIGINT or SIGTERM shuts down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEmulator(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:0", "HTTP listen address (\"\" for none)")
	fl.StringVar(&f.tlsAddr, "tls-addr", "", "HTTPS listen address with a self-signed certificate")
	fl.StringVar(&f.certOut, "cert-out", "", "write the self-signed certificate (PEM) to this file instead of stderr")
	fl.StringArrayVar(&f.keys, "key", nil, "trust a merchant key: ID=path/to/public.pem (repeatable)")
	fl.StringVar(&f.notify, "notify", "", "URL that receives the notifications (IPN)")
	fl.StringVar(&f.state, "state", "", "keep the state in this SQLite file across restarts")
	fl.BoolVar(&f.throttle, "throttle", false, "answer 429 TooManyRequests at Amazon's burst and restore rates")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log every request on stderr")
	return cmd
}

// runEmulator starts the emulator and its listeners and blocks until ctx
// ends, then shuts down gracefully.
func runEmulator(ctx context.Context, f emulatorFlags, stdout, stderr io.Writer) error {
	if f.addr == "" && f.tlsAddr == "" {
		return Usagef("give --addr or --tls-addr")
	}
	keys, err := parseKeyFlags(f.keys)
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	if f.verbose {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	opts := emulator.Options{Logger: logger, StatePath: f.state, Keys: keys, NotifyURL: f.notify,
		Throttling: emulator.Throttling{Enabled: f.throttle}}
	issuer, err := sns.NewIssuer(sns.IssuerConfig{})
	if err != nil {
		return err
	}
	notifier := &snsNotifier{client: &http.Client{Timeout: 10 * time.Second}, issuer: issuer}
	if f.notify != "" {
		opts.Notifier = notifier
	}
	emu, err := emulator.New(opts)
	if err != nil {
		return err
	}
	defer emu.Close()

	mux := http.NewServeMux()
	mux.Handle("GET "+sns.CertPath, issuer.CertHandler())
	mux.Handle("/", emu.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slogToLog(logger)}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}
	if f.addr != "" {
		l, err := net.Listen("tcp", f.addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", f.addr, err)
		}
		listeners = append(listeners, l)
	}
	var tlsListener net.Listener
	if f.tlsAddr != "" {
		cert, certPEM, err := selfSignedCert(time.Now())
		if err != nil {
			closeAll()
			return err
		}
		if f.certOut != "" {
			if err := os.WriteFile(f.certOut, certPEM, 0o644); err != nil {
				closeAll()
				return fmt.Errorf("write certificate: %w", err)
			}
		} else {
			_, _ = stderr.Write(certPEM)
		}
		l, err := net.Listen("tcp", f.tlsAddr)
		if err != nil {
			closeAll()
			return fmt.Errorf("listen %s: %w", f.tlsAddr, err)
		}
		tlsListener = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		listeners = append(listeners, tlsListener)
		if err := issuer.SetCertURL("https://" + l.Addr().String() + sns.CertPath); err == nil {
			notifier.signed = true
		}
	}

	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		scheme := "http"
		if l == tlsListener {
			scheme = "https"
		}
		fmt.Fprintf(stdout, "emulator listening on %s://%s\n", scheme, l.Addr().String())
		go func(l net.Listener) { errc <- srv.Serve(l) }(l)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = srv.Close()
			return err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	return emu.Close()
}

// parseKeyFlags reads --key ID=public.pem values.
func parseKeyFlags(vals []string) ([]emulator.Key, error) {
	var keys []emulator.Key
	for _, v := range vals {
		id, file, ok := strings.Cut(v, "=")
		if !ok || id == "" || file == "" {
			return nil, Usagef("--key %q: want ID=path/to/public.pem", v)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, Usagef("--key %s: %v", id, err)
		}
		keys = append(keys, emulator.Key{PublicKeyID: id, PublicKey: string(b)})
	}
	return keys, nil
}

// selfSignedCert makes an ECDSA certificate for 127.0.0.1, ::1 and
// localhost, valid for a year, and returns it with its PEM.
func selfSignedCert(now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "apay emulator", Organization: []string{"apaykit"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}

// snsNotifier delivers the emulator's notifications as Amazon does: an SNS
// HTTP notification (text/plain JSON envelope) signed by an in-memory
// certificate the emulator serves at sns.CertPath. Without an HTTPS
// listener the certificate URL cannot be https, so envelopes go unsigned
// (Signature empty) and a verifying receiver rejects them; use --tls-addr.
type snsNotifier struct {
	client *http.Client
	issuer *sns.Issuer
	signed bool
}

func (n *snsNotifier) Deliver(ctx context.Context, in emulator.Notification) error {
	msg := notification.Message{MerchantID: in.MerchantID, ObjectType: notification.ObjectType(in.ObjectType), ObjectID: in.ObjectID,
		ChargePermissionID: in.ChargePermissionID, NotificationType: notification.NotificationType(in.NotificationType),
		NotificationID: in.NotificationID, NotificationVersion: "V2"}
	var env *notification.Envelope
	if n.signed {
		e, err := n.issuer.Notification(msg, "2")
		if err != nil {
			return err
		}
		env = e
	} else {
		body, err := json.Marshal(msg)
		if err != nil {
			return err
		}
		env = &notification.Envelope{Type: notification.TypeNotification, MessageID: in.NotificationID, TopicARN: sns.DefaultTopicARN,
			Message: string(body), Timestamp: time.Now().UTC().Format(notification.TimestampFormat), SignatureVersion: "2"}
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("x-amz-sns-message-type", env.Type)
	req.Header.Set("x-amz-sns-message-id", env.MessageID)
	req.Header.Set("x-amz-sns-topic-arn", env.TopicARN)
	res, err := n.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	_ = res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("notification endpoint answered %s", res.Status)
	}
	return nil
}

// slogToLog routes net/http's server errors (TLS handshakes from clients
// that do not trust the certificate…) to the logger.
func slogToLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelDebug)
}
