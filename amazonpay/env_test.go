package amazonpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

func envFrom(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvConfig(t *testing.T) {
	pemText := string(testKeyPKCS8PEM(t))
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.pem")
	if err := os.WriteFile(keyFile, []byte(pemText), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		field string
		check func(t *testing.T, c *Client)
	}{
		{"PEM in variable", map[string]string{EnvPublicKeyID: "AKEY", EnvPrivateKey: pemText, EnvRegion: "eu", EnvSandbox: "true"}, "",
			func(t *testing.T, c *Client) {
				if !c.Sandbox() || c.pathPrefix != "/sandbox" || c.Region() != RegionEU || c.Algorithm() != signing.AlgorithmV2 {
					t.Errorf("client %+v", c)
				}
			}},
		{"PEM with literal \\n", map[string]string{EnvPublicKeyID: "AKEY", EnvPrivateKey: strings.ReplaceAll(pemText, "\n", `\n`), EnvRegion: "us"}, "", nil},
		{"key file, V1, endpoint", map[string]string{EnvPublicKeyID: "LIVE-K", EnvPrivateKeyFile: keyFile, EnvRegion: "JP",
			EnvAlgorithm: "AMZN-PAY-RSASSA-PSS", EnvEndpoint: "http://127.0.0.1:9", EnvSandbox: "true"}, "",
			func(t *testing.T, c *Client) {
				if c.Sandbox() || c.BaseURL() != "http://127.0.0.1:9" || c.Algorithm() != signing.AlgorithmV1 {
					t.Errorf("client %+v", c)
				}
			}},
		{"no key id", map[string]string{EnvPrivateKey: pemText, EnvRegion: "us"}, EnvPublicKeyID, nil},
		{"no key", map[string]string{EnvPublicKeyID: "K", EnvRegion: "us"}, EnvPrivateKey, nil},
		{"bad key", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----", EnvRegion: "us"}, EnvPrivateKey, nil},
		{"both keys", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: pemText, EnvPrivateKeyFile: keyFile, EnvRegion: "us"}, EnvPrivateKey, nil},
		{"bad region", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: pemText, EnvRegion: "moon"}, EnvRegion, nil},
		{"bad sandbox", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: pemText, EnvRegion: "us", EnvSandbox: "maybe"}, EnvSandbox, nil},
		{"bad algorithm", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: pemText, EnvRegion: "us", EnvAlgorithm: "x"}, EnvAlgorithm, nil},
		{"bad endpoint", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: pemText, EnvRegion: "us", EnvEndpoint: "127.0.0.1:9"}, EnvEndpoint, nil},
		{"missing CA file", map[string]string{EnvPublicKeyID: "K", EnvPrivateKey: pemText, EnvRegion: "us", EnvCAFile: filepath.Join(dir, "none")}, EnvCAFile, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := LoadEnvConfig(envFrom(tc.env))
			var c *Client
			if err == nil {
				c, err = e.NewClient()
			}
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.check != nil {
					tc.check(t, c)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want InputError on %s", err, tc.field)
			}
			if strings.Contains(err.Error(), "BEGIN") || strings.Contains(err.Error(), "QUJD") {
				t.Errorf("error shows key material: %v", err)
			}
		})
	}
}

func TestEnvConfigNeverShowsKey(t *testing.T) {
	e := EnvConfig{PublicKeyID: "K", PrivateKey: "-----BEGIN PRIVATE KEY-----\nSECRETBYTES\n-----END PRIVATE KEY-----", Region: "us"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", e)
	for _, s := range []string{fmt.Sprint(e), fmt.Sprintf("%v %+v %#v %s", e, e, e, e), logs.String(), fmt.Sprint(&e)} {
		if strings.Contains(s, "SECRETBYTES") || !strings.Contains(s, "[redacted]") {
			t.Errorf("leak or no redaction: %s", s)
		}
	}
	if b, err := json.Marshal(e); err != nil || bytes.Contains(b, []byte("SECRET")) {
		t.Errorf("JSON form: %s %v", b, err)
	}
}

func TestNewClientFromEnv(t *testing.T) {
	t.Setenv(EnvPublicKeyID, "SANDBOX-K")
	t.Setenv(EnvPrivateKey, string(testKeyPKCS1PEM()))
	t.Setenv(EnvRegion, "uk")
	t.Setenv(EnvStoreID, "amzn1.application-oa2-client.x")
	c, err := NewClientFromEnv(WithUserAgent("test/1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != RegionEU || !c.Sandbox() || c.userAgent != "test/1" {
		t.Errorf("client %+v", c)
	}
	e, _ := LoadEnvConfig(os.Getenv)
	if e.StoreID != "amzn1.application-oa2-client.x" {
		t.Errorf("store id %q", e.StoreID)
	}
}

// TestStandardLibraryOnly enforces that the SDK packages import nothing but
// the standard library and each other.
func TestStandardLibraryOnly(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...")
	cmd.Dir = "." // the amazonpay directory: ./... is ./amazonpay/...
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, path := range strings.Fields(string(out)) {
		if path != "github.com/apaykit/apaykit/amazonpay" && !strings.HasPrefix(path, "github.com/apaykit/apaykit/amazonpay/") {
			t.Errorf("non-standard import in the SDK: %s", path)
		}
	}
}
