package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

func TestKeygen(t *testing.T) {
	tests := []struct {
		env    []string
		wantID *regexp.Regexp
	}{
		{nil, regexp.MustCompile(`^SANDBOX-[A-Z0-9]{24}$`)},
		{[]string{"--env", "LIVE"}, regexp.MustCompile(`^LIVE-[A-Z0-9]{24}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.wantID.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			r := run(t, nil, "", append([]string{"keygen", "--dir", dir}, tt.env...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			id := strings.TrimSpace(r.stdout)
			if !tt.wantID.MatchString(id) {
				t.Fatalf("key id %q does not match %s", id, tt.wantID)
			}
			privPEM, err := os.ReadFile(filepath.Join(dir, "private.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(privPEM), "-----BEGIN PRIVATE KEY-----\n") {
				t.Errorf("private.pem is not PKCS#8: %.30q", privPEM)
			}
			if strings.Contains(r.stdout+r.stderr, secretLine(string(privPEM))) {
				t.Error("keygen printed the private key")
			}
			st, err := os.Stat(filepath.Join(dir, "private.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("private.pem mode %v, want 0600", st.Mode().Perm())
			}
			key, err := signing.LoadPrivateKey(privPEM)
			if err != nil {
				t.Fatal(err)
			}
			if key.N.BitLen() != 2048 {
				t.Errorf("key has %d bits", key.N.BitLen())
			}
			pubPEM, err := os.ReadFile(filepath.Join(dir, "public.pem"))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := signing.LoadPublicKey(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(&key.PublicKey) {
				t.Error("public.pem is not the public half of private.pem")
			}
			prefix, _, _ := strings.Cut(id, "-")
			again, err := PublicKeyID(prefix+"-", pub)
			if err != nil || again != id {
				t.Errorf("id not derivable from public.pem: %q vs %q (%v)", again, id, err)
			}

			// A second run must refuse and leave both files untouched.
			r2 := run(t, nil, "", "keygen", "--dir", dir)
			if r2.code != ExitUsage || !strings.Contains(r2.stderr, "already exists") {
				t.Fatalf("second keygen: exit %d stderr %q", r2.code, r2.stderr)
			}
			after, _ := os.ReadFile(filepath.Join(dir, "private.pem"))
			if string(after) != string(privPEM) {
				t.Error("second keygen changed private.pem")
			}
		})
	}
}

func TestKeygenRefusesWhenOnlyPublicExists(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "public.pem"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "keygen", "--dir", dir)
	if r.code != ExitUsage {
		t.Fatalf("exit %d, want %d: %s", r.code, ExitUsage, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "private.pem")); !os.IsNotExist(err) {
		t.Errorf("private.pem was written next to an existing public.pem (%v)", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "public.pem")); string(b) != "keep me" {
		t.Error("public.pem was overwritten")
	}
}

func TestPublicKeyIDIsStable(t *testing.T) {
	a, err := PublicKeyID("SANDBOX-", &testKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := PublicKeyID("SANDBOX-", &testKey().PublicKey)
	if a != b || len(a) != len("SANDBOX-")+24 {
		t.Fatalf("ids %q %q", a, b)
	}
}
