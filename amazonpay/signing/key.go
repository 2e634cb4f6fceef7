package signing

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MinKeyBits is the smallest RSA key Amazon Pay issues keys for; smaller
// keys are refused so a test key never slips into production by accident.
const MinKeyBits = 2048

// LoadPrivateKey parses an RSA private key in PEM, PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY"). A key pasted into an environment
// variable with literal "\n" sequences is accepted too. Errors never quote
// the input.
func LoadPrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, err := decodePEM(pemBytes)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("signing: PEM block %q is not a private key (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	if err != nil {
		return nil, errors.New("signing: private key does not parse as PKCS#1 or PKCS#8")
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("signing: private key is not an RSA key")
	}
	if rk.N.BitLen() < MinKeyBits {
		return nil, fmt.Errorf("signing: RSA key has %d bits, want at least %d", rk.N.BitLen(), MinKeyBits)
	}
	return rk, nil
}

// LoadPublicKey parses an RSA public key in PEM: PKIX ("PUBLIC KEY", what
// Seller Central and `openssl rsa -pubout` produce), PKCS#1 ("RSA PUBLIC
// KEY") or a certificate.
func LoadPublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	block, err := decodePEM(pemBytes)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("signing: PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: public key does not parse: %w", err)
	}
	rk, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("signing: public key is not an RSA key")
	}
	return rk, nil
}

// EncodePublicKey renders pub as a PKIX "PUBLIC KEY" PEM block, the form the
// emulator's key registry and Seller Central take.
func EncodePublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// EncodePrivateKey renders key as a PKCS#8 "PRIVATE KEY" PEM block, the one
// form every official SDK (Java included) reads.
func EncodePrivateKey(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func decodePEM(b []byte) (*pem.Block, error) {
	block, _ := pem.Decode(b)
	if block == nil && strings.Contains(string(b), `\n`) {
		block, _ = pem.Decode([]byte(strings.ReplaceAll(string(b), `\n`, "\n")))
	}
	if block == nil {
		return nil, errors.New("signing: no PEM block found in key")
	}
	return block, nil
}
