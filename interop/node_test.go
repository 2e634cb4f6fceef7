package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// sdkPackage is the npm package the tests drive.
const sdkPackage = "@amazonpay/amazon-pay-api-sdk-nodejs"

// requireNode returns the path of node, or skips the test (fails it under
// APAY_REQUIRE_INTEROP=1) when node or the installed SDK is missing. It
// also fails when node_modules holds another SDK version than package.json
// pins, so a stale install never passes for the pinned one.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	msg := ""
	switch {
	case err != nil:
		msg = "node is not on PATH (Debian: apt-get install nodejs npm)"
	default:
		if _, err := os.Stat(filepath.Join("node_modules", sdkPackage, "package.json")); err != nil {
			msg = "interop/node_modules is missing (run: cd interop && npm ci)"
		}
	}
	if msg != "" {
		if os.Getenv("APAY_REQUIRE_INTEROP") == "1" {
			t.Fatalf("APAY_REQUIRE_INTEROP=1 but %s", msg)
		}
		t.Skipf("skipping the Node SDK interop test: %s; APAY_REQUIRE_INTEROP=1 makes this a failure", msg)
	}
	checkPinnedVersion(t)
	return node
}

func checkPinnedVersion(t *testing.T) {
	t.Helper()
	var pinned struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	var installed struct {
		Version string `json:"version"`
	}
	readJSON(t, "package.json", &pinned)
	readJSON(t, filepath.Join("node_modules", sdkPackage, "package.json"), &installed)
	if want := pinned.Dependencies[sdkPackage]; installed.Version != want {
		t.Fatalf("node_modules has %s %s but package.json pins %q: run npm ci in interop/", sdkPackage, installed.Version, want)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// runNode runs one of the scripts in this directory with in as JSON on
// stdin and decodes its stdout into out.
func runNode(t *testing.T, script string, in, out any) {
	t.Helper()
	node := requireNode(t)
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstderr:\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed no JSON: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
}

// testKey is one merchant key pair in the forms both sides need.
type testKey struct {
	key       *rsa.PrivateKey
	pkcs8PEM  string // what apay keygen writes
	pkcs1PEM  string // what `openssl genrsa` writes (the SDK READMEs' recipe)
	publicPEM string
}

// keys are generated once per test binary: RSA key generation is slow
// under -race.
var keys = sync.OnceValues(func() ([2]testKey, error) {
	var out [2]testKey
	for i := range out {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return out, err
		}
		p8, err := signing.EncodePrivateKey(k)
		if err != nil {
			return out, err
		}
		pub, err := signing.EncodePublicKey(&k.PublicKey)
		if err != nil {
			return out, err
		}
		p1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
		out[i] = testKey{key: k, pkcs8PEM: string(p8), pkcs1PEM: string(p1), publicPEM: string(pub)}
	}
	return out, nil
})

func testKeys(t *testing.T) [2]testKey {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyRing maps public key ids to keys, case-sensitively, as the emulator's
// registry does.
type keyRing map[string]*rsa.PublicKey

func (r keyRing) lookup(id string) (*rsa.PublicKey, error) {
	if k, ok := r[id]; ok {
		return k, nil
	}
	return nil, errors.New("unknown public key id")
}

// lowerKeys returns h with lower-cased names: apaykit always signs
// lower-case header names.
func lowerKeys(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}
