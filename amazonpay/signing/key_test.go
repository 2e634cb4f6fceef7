package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

func TestLoadKeys(t *testing.T) {
	k := key(t)
	pkcs8, err := EncodePrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	escaped := []byte(strings.ReplaceAll(string(pkcs8), "\n", `\n`))
	for name, in := range map[string][]byte{"pkcs8": pkcs8, "pkcs1": pkcs1, "escaped newlines": escaped} {
		got, err := LoadPrivateKey(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(k) {
			t.Fatalf("%s: different key", name)
		}
	}
	pub, err := EncodePublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1pub := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})
	for _, in := range [][]byte{pub, pkcs1pub} {
		got, err := LoadPublicKey(in)
		if err != nil || !got.Equal(&k.PublicKey) {
			t.Fatalf("public key: %v", err)
		}
	}
}

func TestLoadPrivateKey_Rejects(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallPEM, _ := EncodePrivateKey(small)
	secret := "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n"
	pub, _ := EncodePublicKey(&key(t).PublicKey)
	for name, in := range map[string][]byte{"empty": nil, "garbage": []byte("hello"), "small": smallPEM, "corrupt": []byte(secret), "public": pub} {
		_, err := LoadPrivateKey(in)
		if err == nil {
			t.Fatalf("%s accepted", name)
		}
		if strings.Contains(err.Error(), "TOPSECRET") {
			t.Fatalf("%s: error quotes the key: %v", name, err)
		}
	}
}
