package emulator

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// Key is a merchant public key the emulator trusts.
type Key struct {
	// PublicKeyID as sent in the Authorization header: SANDBOX-…, LIVE-… or
	// a legacy id without an environment.
	PublicKeyID string `json:"publicKeyId"`
	// PublicKey is the PEM text (PKIX or PKCS#1).
	PublicKey string `json:"publicKey"`
	// MerchantID owns the objects made with this key. Empty means derived
	// from the key id without its environment prefix, so SANDBOX-X and LIVE-X
	// belong to one merchant.
	MerchantID string `json:"merchantId,omitempty"`

	pub *rsa.PublicKey
}

// Env is the environment the key id names, or "" for a legacy id.
func (k *Key) Env() Environment { return keyEnv(k.PublicKeyID) }

func keyEnv(id string) Environment {
	up := strings.ToUpper(id)
	switch {
	case strings.HasPrefix(up, "SANDBOX-"):
		return Sandbox
	case strings.HasPrefix(up, "LIVE-"):
		return Live
	}
	return ""
}

// deriveMerchantID makes a stable, Amazon-shaped merchant id (A + 13
// upper-case characters) from a key id without its environment prefix.
func deriveMerchantID(keyID string) string {
	id := keyID
	if i := strings.IndexByte(id, '-'); i >= 0 && keyEnv(id) != "" {
		id = id[i+1:]
	}
	sum := sha256.Sum256([]byte(strings.ToUpper(id)))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	return "A" + enc[:13]
}

// keyRegistry holds the trusted keys; it has its own lock so signature
// verification never waits for the state lock.
type keyRegistry struct {
	mu   sync.RWMutex
	keys map[string]*Key
}

func newKeyRegistry() *keyRegistry { return &keyRegistry{keys: map[string]*Key{}} }

// add parses and stores k, replacing a key with the same id.
func (kr *keyRegistry) add(k Key) (*Key, error) {
	k.PublicKeyID = strings.TrimSpace(k.PublicKeyID)
	if k.PublicKeyID == "" {
		return nil, errors.New("publicKeyId is empty")
	}
	if strings.ContainsAny(k.PublicKeyID, ", =;\r\n\t") {
		return nil, errors.New("publicKeyId contains characters that cannot appear in an Authorization header")
	}
	if k.pub == nil {
		pub, err := signing.LoadPublicKey([]byte(k.PublicKey))
		if err != nil {
			return nil, fmt.Errorf("publicKey: %w", err)
		}
		k.pub = pub
	}
	if k.MerchantID == "" {
		k.MerchantID = deriveMerchantID(k.PublicKeyID)
	}
	kr.mu.Lock()
	kr.keys[k.PublicKeyID] = &k
	kr.mu.Unlock()
	return &k, nil
}

// get returns the key for id, or nil.
func (kr *keyRegistry) get(id string) *Key {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.keys[id]
}

// lookup is the signing.KeyFunc.
func (kr *keyRegistry) lookup(id string) (*rsa.PublicKey, error) {
	if k := kr.get(id); k != nil {
		return k.pub, nil
	}
	return nil, errors.New("unknown key")
}

// list returns the keys for persistence.
func (kr *keyRegistry) list() []Key {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	out := make([]Key, 0, len(kr.keys))
	for _, k := range kr.keys {
		out = append(out, *k)
	}
	return out
}

// RegisterKey trusts a merchant public key given as PEM. merchantID may be
// empty (derived from the key id).
func (s *Server) RegisterKey(publicKeyID string, publicKeyPEM []byte, merchantID string) error {
	if _, err := s.keys.add(Key{PublicKeyID: publicKeyID, PublicKey: string(publicKeyPEM), MerchantID: merchantID}); err != nil {
		return err
	}
	s.markDirty()
	return nil
}

// RegisterPublicKey trusts an in-memory public key (amazonpaytest uses it).
func (s *Server) RegisterPublicKey(publicKeyID string, pub *rsa.PublicKey, merchantID string) error {
	if pub == nil {
		return errors.New("public key is nil")
	}
	pemBytes, err := signing.EncodePublicKey(pub)
	if err != nil {
		return err
	}
	if _, err := s.keys.add(Key{PublicKeyID: publicKeyID, PublicKey: string(pemBytes), MerchantID: merchantID, pub: pub}); err != nil {
		return err
	}
	s.markDirty()
	return nil
}

// MerchantID returns the merchant id a registered key belongs to, or "".
func (s *Server) MerchantID(publicKeyID string) string {
	if k := s.keys.get(publicKeyID); k != nil {
		return k.MerchantID
	}
	return ""
}
