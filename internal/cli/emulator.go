package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

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
picks a free port. The HTTPS listener's certificate (for 127.0.0.1, ::1 and
localhost; the official SDKs only speak HTTPS) comes from a CA made at start,
the same CA that signs the notifications sent to --notify: its PEM goes to
--cert-out, or to stderr. Trust keys with --key ID=public.pem
(repeatable) or POST /_emulator/keys. --state FILE keeps keys and objects in
SQLite across restarts. SIGINT or SIGTERM shuts down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEmulator(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:0", "HTTP listen address (\"\" for none)")
	fl.StringVar(&f.tlsAddr, "tls-addr", "", "HTTPS listen address (certificate from a CA made at start)")
	fl.StringVar(&f.certOut, "cert-out", "", "write the CA certificate (PEM) that vouches for the HTTPS listener and the notification signatures to this file instead of stderr")
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
	// One Issuer signs the notifications and serves HTTPS, so a merchant
	// trusts a single CA file (--cert-out) for both.
	issuer, err := sns.NewIssuer(sns.IssuerConfig{})
	if err != nil {
		return err
	}
	opts := emulator.Options{Logger: logger, StatePath: f.state, Keys: keys, NotifyURL: f.notify,
		Throttling:    emulator.Throttling{Enabled: f.throttle},
		Notifications: emulator.NotificationOptions{Issuer: issuer}}
	emu, err := emulator.New(opts)
	if err != nil {
		return err
	}
	defer emu.Close()

	srv := &http.Server{Handler: emu.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slogToLog(logger)}
	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}
	var plainListener, tlsListener net.Listener
	if f.addr != "" {
		l, err := net.Listen("tcp", f.addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", f.addr, err)
		}
		plainListener = l
		listeners = append(listeners, l)
	}
	if f.tlsAddr != "" {
		caPEM := issuer.Certificates().CA
		if f.certOut != "" {
			if err := os.WriteFile(f.certOut, caPEM, 0o644); err != nil {
				closeAll()
				return fmt.Errorf("write certificate: %w", err)
			}
		} else {
			_, _ = stderr.Write(caPEM)
		}
		l, err := net.Listen("tcp", f.tlsAddr)
		if err != nil {
			closeAll()
			return fmt.Errorf("listen %s: %w", f.tlsAddr, err)
		}
		tlsListener = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{issuer.TLSCertificate()}, MinVersion: tls.VersionTLS12})
		listeners = append(listeners, tlsListener)
	}
	// The public URL builds amazonPayRedirectUrl and the notifications'
	// SigningCertURL; verifiers fetch certificates over https only, so the
	// TLS listener wins when there is one.
	public := ""
	switch {
	case tlsListener != nil:
		public = "https://" + tlsListener.Addr().String()
	case plainListener != nil:
		public = "http://" + plainListener.Addr().String()
	}
	if err := emu.SetPublicURL(public); err != nil {
		closeAll()
		return err
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

// slogToLog routes net/http's server errors (TLS handshakes from clients
// that do not trust the certificate…) to the logger.
func slogToLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelDebug)
}
