package notification

import (
	"container/list"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// maxCertBytes bounds a fetched certificate file; a PEM chain of a few
// certificates is well under this.
const maxCertBytes = 64 << 10

// snsHost is the host pattern SNS serves signing certificates from.
var snsHost = regexp.MustCompile(`^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$`)

// IsSNSHost reports whether host (lower case, optionally with port 443) is
// an SNS regional endpoint such as sns.us-east-1.amazonaws.com. It is the
// default certificate host rule. The legacy S3 endpoints (sns.s3-….
// amazonaws.com, where anyone can own a bucket named "sns") also fit the
// documented pattern and are refused.
func IsSNSHost(host string) bool {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if port != "" && port != "443" {
		return false
	}
	if !snsHost.MatchString(name) {
		return false
	}
	return !strings.HasPrefix(name, "sns.s3")
}

// checkCertURL applies the SigningCertURL rules and returns the URL to fetch.
func (v *Verifier) checkCertURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, newError(ErrCertURL, "SigningCertURL does not parse", nil)
	}
	reason := ""
	switch {
	case u.Scheme != "https":
		reason = "scheme must be https"
	case u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		reason = "URL must be https://host/path.pem"
	case !strings.HasSuffix(u.Path, ".pem"):
		reason = "path must end in .pem"
	}
	if reason != "" {
		return nil, newError(ErrCertURL, reason, nil)
	}
	u.Host = strings.ToLower(u.Host)
	if !v.cfg.extraHosts[u.Host] && !v.cfg.matchHost(u.Host) {
		return nil, newError(ErrCertURL, fmt.Sprintf("host %q not allowed", u.Host), nil)
	}
	return u, nil
}

// signingCert returns the verified signing certificate for u, from the
// cache or by fetching it.
func (v *Verifier) signingCert(ctx context.Context, u *url.URL) (*x509.Certificate, error) {
	return v.certs.get(ctx, u.String(), v.cfg.now(), func(ctx context.Context) (*cachedCert, error) {
		return v.fetchCert(ctx, u)
	})
}

// fetchCert downloads the PEM at u and checks it: it must chain to the
// roots at the current time, be issued for u's host and hold an RSA key.
func (v *Verifier) fetchCert(ctx context.Context, u *url.URL) (*cachedCert, error) {
	data, err := v.download(ctx, u.String())
	if err != nil {
		return nil, err
	}
	certs, err := parsePEMCertificates(data)
	if err != nil {
		return nil, newError(ErrCertChain, "SigningCertURL does not hold a certificate", err)
	}
	leaf := certs[0]
	intermediates := x509.NewCertPool()
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.cfg.roots,
		Intermediates: intermediates,
		CurrentTime:   v.cfg.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, newError(ErrCertChain, "chain does not verify", err)
	}
	if err := leafMatchesHost(leaf, u.Hostname()); err != nil {
		return nil, newError(ErrCertChain, "certificate not issued for the URL's host", err)
	}
	if _, ok := leaf.PublicKey.(*rsa.PublicKey); !ok {
		return nil, newError(ErrCertChain, "certificate key is not RSA", nil)
	}
	return newCachedCert(leaf, chains[0]), nil
}

// download GETs the certificate file, refusing redirects, non-200 answers
// and oversized bodies.
func (v *Verifier) download(ctx context.Context, target string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, newError(ErrCertFetch, "build request", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, newError(ErrCertFetch, "GET "+target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, newError(ErrCertFetch, fmt.Sprintf("GET %s: status %d", target, resp.StatusCode), nil)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBytes+1))
	if err != nil {
		return nil, newError(ErrCertFetch, "read "+target, err)
	}
	if len(data) > maxCertBytes {
		return nil, newError(ErrCertFetch, fmt.Sprintf("GET %s: more than %d bytes", target, maxCertBytes), nil)
	}
	return data, nil
}

// parsePEMCertificates returns every CERTIFICATE block, leaf first.
func parsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	return certs, nil
}

// leafMatchesHost requires the certificate to name the host it was fetched
// from. SNS certificates have been observed to name only sns.amazonaws.com
// while being served from regional hosts, so for SNS hosts that name is
// accepted too; a publicly trusted CA issues neither to anyone but AWS.
func leafMatchesHost(leaf *x509.Certificate, host string) error {
	err := leaf.VerifyHostname(host)
	if err == nil || !IsSNSHost(host) {
		return err
	}
	fallback := "sns.amazonaws.com"
	if strings.HasSuffix(host, ".cn") {
		fallback += ".cn"
	}
	if leaf.VerifyHostname(fallback) == nil {
		return nil
	}
	return err
}

// cachedCert is a verified signing certificate and the period in which its
// whole chain is valid; inside that period it needs no re-verification.
type cachedCert struct {
	leaf      *x509.Certificate
	notBefore time.Time
	notAfter  time.Time
}

func newCachedCert(leaf *x509.Certificate, chain []*x509.Certificate) *cachedCert {
	c := &cachedCert{leaf: leaf, notBefore: leaf.NotBefore, notAfter: leaf.NotAfter}
	for _, cert := range chain {
		if cert.NotBefore.After(c.notBefore) {
			c.notBefore = cert.NotBefore
		}
		if cert.NotAfter.Before(c.notAfter) {
			c.notAfter = cert.NotAfter
		}
	}
	return c
}

func (c *cachedCert) validAt(t time.Time) bool {
	return !t.Before(c.notBefore) && !t.After(c.notAfter)
}

// certCache is a bounded LRU of verified certificates keyed by URL. Callers
// asking for the same URL at once share one fetch.
type certCache struct {
	mu       sync.Mutex
	max      int
	order    *list.List // of *cachedEntry, most recently used first
	byURL    map[string]*list.Element
	inflight map[string]*fetchCall
}

type cachedEntry struct {
	url  string
	cert *cachedCert
}

type fetchCall struct {
	done chan struct{}
	cert *cachedCert
	err  error
}

func newCertCache(max int) *certCache {
	return &certCache{max: max, order: list.New(), byURL: map[string]*list.Element{}, inflight: map[string]*fetchCall{}}
}

// get returns the cached certificate for url if it is valid at now, or
// runs fetch (once for all concurrent callers) and caches its result.
func (c *certCache) get(ctx context.Context, url string, now time.Time, fetch func(context.Context) (*cachedCert, error)) (*x509.Certificate, error) {
	for {
		c.mu.Lock()
		if cert := c.lookup(url, now); cert != nil {
			c.mu.Unlock()
			return cert.leaf, nil
		}
		call, waiting := c.inflight[url]
		if !waiting {
			call = &fetchCall{done: make(chan struct{})}
			c.inflight[url] = call
		}
		c.mu.Unlock()

		if waiting {
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, newError(ErrCertFetch, "waiting for "+url, ctx.Err())
			}
		} else {
			call.cert, call.err = fetch(ctx)
			c.finish(url, call)
		}
		if call.err == nil {
			return call.cert.leaf, nil
		}
		// Another caller's cancellation is not ours: try again.
		if waiting && ctx.Err() == nil && (errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)) {
			continue
		}
		return nil, call.err
	}
}

// lookup returns a fresh entry and marks it used; an entry whose chain is
// no longer (or not yet) valid is dropped so it is fetched again. c.mu held.
func (c *certCache) lookup(url string, now time.Time) *cachedCert {
	el, ok := c.byURL[url]
	if !ok {
		return nil
	}
	e := el.Value.(*cachedEntry)
	if !e.cert.validAt(now) {
		c.order.Remove(el)
		delete(c.byURL, url)
		return nil
	}
	c.order.MoveToFront(el)
	return e.cert
}

// finish stores a successful fetch, evicts beyond the bound and releases
// the waiters.
func (c *certCache) finish(url string, call *fetchCall) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inflight, url)
	defer close(call.done)
	if call.err != nil {
		return
	}
	if el, ok := c.byURL[url]; ok {
		c.order.Remove(el)
	}
	c.byURL[url] = c.order.PushFront(&cachedEntry{url: url, cert: call.cert})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byURL, last.Value.(*cachedEntry).url)
	}
}

// size reports the number of cached certificates.
func (c *certCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
