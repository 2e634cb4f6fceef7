package restapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
)

// NotificationVerifier builds the verifier of POST /amazon-pay/notifications
// from the shop's Amazon Pay configuration: without a CA file, Amazon's
// (system roots, SNS certificate hosts only); with APAY_CA_FILE and
// APAY_ENDPOINT (an emulator), that CA, and signing certificates fetched
// from the endpoint's host only, over HTTPS trusting that CA.
func NotificationVerifier(caFile, endpoint string) (*notification.Verifier, error) {
	if caFile == "" {
		return notification.NewVerifier()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("restapi: notification CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("restapi: notification CA %s holds no PEM certificate", caFile)
	}
	opts := []notification.Option{notification.WithRoots(roots),
		notification.WithHTTPClient(&http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}})}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("restapi: endpoint %q is not a URL", endpoint)
		}
		opts = append(opts, notification.WithAllowedCertHost(u.Host))
	}
	return notification.NewVerifier(opts...)
}

// handleNotification has the payments service process n, then tells
// Config.AfterNotification.
func (a *API) handleNotification(ctx context.Context, n *notification.Notification) error {
	if err := a.pay.HandleNotification(ctx, n); err != nil {
		return err
	}
	if a.cfg.AfterNotification == nil {
		return nil
	}
	if err := a.cfg.AfterNotification(ctx, n); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "restapi: after a notification", slog.String("object_type", string(n.ObjectType)),
			slog.String("err", err.Error()))
	}
	return nil
}
