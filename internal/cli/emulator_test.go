package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestEmulatorCommand starts apay emulator on free ports (HTTP and HTTPS),
// reads the listening lines, calls the health endpoint over both with the
// certificate from --cert-out, and shuts it down by canceling the context
// (what SIGINT does through main).
func TestEmulatorCommand(t *testing.T) {
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, Process{Args: []string{"emulator", "--addr", "127.0.0.1:0", "--tls-addr", "127.0.0.1:0", "--cert-out", certFile, "--state", filepath.Join(dir, "state.db")}, Stdout: pw, Stderr: io.Discard})
		_ = pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	line := regexp.MustCompile(`^emulator listening on (https?)://127\.0\.0\.1:(\d+)$`)
	urls := map[string]string{}
	for len(urls) < 2 && sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("unexpected output line %q", sc.Text())
		}
		urls[m[1]] = strings.TrimPrefix(m[0], "emulator listening on ")
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("certificate PEM does not parse")
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for scheme, u := range urls {
		res, err := client.Get(u + "/_emulator/health")
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) || res.Header.Get("x-amz-pay-request-id") == "" {
			t.Fatalf("%s health: %d %s", scheme, res.StatusCode, body)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulator did not shut down")
	}
}

func TestEmulatorCommand_BadKeyFlag(t *testing.T) {
	var stderr strings.Builder
	code := Execute(context.Background(), Process{Args: []string{"emulator", "--key", "nofile"}, Stderr: &stderr})
	if code != ExitUsage || !strings.Contains(stderr.String(), "ID=path/to/public.pem") {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}
