package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/spf13/cobra"
)

// keyBits is the RSA size Amazon Pay issues keys for (Seller Central and the
// SDK READMEs use 2048).
const keyBits = 2048

func newKeygenCommand(*App) *cobra.Command {
	var dir, env string
	cmd := &cobra.Command{
		Use:   "keygen --dir DIR [--env sandbox|live]",
		Short: "Generate a merchant key pair and its public key id",
		Long: `keygen writes a fresh 2048-bit RSA key pair: DIR/private.pem (PKCS#8, mode
0600) and DIR/public.pem (PKIX), and prints a public key id such as
SANDBOX-AB12CD34EF56GH78IJ90KL12 on stdout. The id is derived from the public
key, so the same key always gets the same id. Register public.pem under that
id with an emulator (apay emulator --key ID=DIR/public.pem); for Amazon Pay
itself, upload public.pem in Seller Central and use the id it gives you.

keygen never overwrites: it fails if either file already exists.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prefix, err := keyIDPrefix(env)
			if err != nil {
				return err
			}
			if dir == "" {
				return Usagef("--dir is required")
			}
			id, err := generateKeyPair(dir, prefix)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (secret: keep it out of logs and repositories) and %s\n",
				filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem"))
			_, err = fmt.Fprintln(cmd.OutOrStdout(), id)
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for private.pem and public.pem (created if missing)")
	cmd.Flags().StringVar(&env, "env", "sandbox", "environment the key id names: sandbox or live")
	return cmd
}

func keyIDPrefix(env string) (string, error) {
	switch strings.ToLower(env) {
	case "sandbox":
		return "SANDBOX-", nil
	case "live":
		return "LIVE-", nil
	}
	return "", Usagef("--env must be sandbox or live, not %q", env)
}

// PublicKeyID derives an Amazon-style public key id from pub: prefix
// ("SANDBOX-" or "LIVE-") followed by 24 upper-case letters and digits, the
// first 24 base32 characters of the SHA-256 of the PKIX encoding. Deriving it
// rather than drawing it at random lets anyone holding public.pem recompute
// the id.
func PublicKeyID(prefix string, pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:24], nil
}

// generateKeyPair writes the pair and returns its id. Both paths are
// checked before the (slow) key generation, and files are created with
// O_EXCL, so an existing key is never replaced, even by a concurrent run.
func generateKeyPair(dir, prefix string) (string, error) {
	privPath := filepath.Join(dir, "private.pem")
	pubPath := filepath.Join(dir, "public.pem")
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", Usagef("%s already exists; keygen never overwrites a key (choose another --dir)", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return "", fmt.Errorf("generating the RSA key: %w", err)
	}
	privPEM, err := signing.EncodePrivateKey(key)
	if err != nil {
		return "", err
	}
	pubPEM, err := signing.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return "", err
	}
	id, err := PublicKeyID(prefix, &key.PublicKey)
	if err != nil {
		return "", err
	}
	if err := writeNew(privPath, privPEM, 0o600); err != nil {
		return "", err
	}
	if err := writeNew(pubPath, pubPEM, 0o644); err != nil {
		os.Remove(privPath) // never leave half a pair behind
		return "", err
	}
	return id, nil
}

// writeNew creates path exclusively with perm (not widened by the umask's
// absence: the mode is set at creation) and writes data.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return Usagef("%s already exists; keygen never overwrites a key (choose another --dir)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
