package amazonpay

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// Environment variable names (design.md §6), shared by the apay CLI, the
// Lambda handler and the shop.
const (
	EnvPublicKeyID    = "APAY_PUBLIC_KEY_ID"
	EnvPrivateKey     = "APAY_PRIVATE_KEY"
	EnvPrivateKeyFile = "APAY_PRIVATE_KEY_FILE"
	EnvRegion         = "APAY_REGION"
	EnvSandbox        = "APAY_SANDBOX"
	EnvAlgorithm      = "APAY_ALGORITHM"
	EnvEndpoint       = "APAY_ENDPOINT"
	EnvCAFile         = "APAY_CA_FILE"
	EnvStoreID        = "APAY_STORE_ID"
	EnvMerchantID     = "APAY_MERCHANT_ID"
)

// EnvConfig is the client configuration read from APAY_* variables. Its
// String, GoString and LogValue methods and its JSON form never show the
// private key.
type EnvConfig struct {
	PublicKeyID    string
	PrivateKey     string `json:"-"` // PEM text; a secret, never encoded or printed
	PrivateKeyFile string
	Region         string
	Sandbox        bool // ignored for LIVE-/SANDBOX- key ids
	Algorithm      string
	Endpoint       string // base URL of an emulator
	CAFile         string // extra CA to trust, for an emulator's certificate
	StoreID        string // for Create Checkout Session and button payloads
	MerchantID     string // for checkout.js and Get Authorization Token
}

// LoadEnvConfig reads the APAY_* variables through getenv (os.Getenv in
// production, a map in tests). Only APAY_SANDBOX can fail here; the rest
// is validated when the client is built.
func LoadEnvConfig(getenv func(string) string) (EnvConfig, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	e := EnvConfig{
		PublicKeyID:    get(EnvPublicKeyID),
		PrivateKey:     getenv(EnvPrivateKey),
		PrivateKeyFile: get(EnvPrivateKeyFile),
		Region:         get(EnvRegion),
		Algorithm:      get(EnvAlgorithm),
		Endpoint:       get(EnvEndpoint),
		CAFile:         get(EnvCAFile),
		StoreID:        get(EnvStoreID),
		MerchantID:     get(EnvMerchantID),
	}
	if s := get(EnvSandbox); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return EnvConfig{}, &InputError{Field: EnvSandbox, Reason: fmt.Sprintf("%q is not true or false", truncate(s, 20))}
		}
		e.Sandbox = b
	}
	return e, nil
}

// Options turns the configuration into client options.
func (e EnvConfig) Options() []Option {
	opts := []Option{WithPublicKeyID(e.PublicKeyID), WithRegion(e.Region), WithSandbox(e.Sandbox)}
	if strings.TrimSpace(e.PrivateKey) != "" {
		opts = append(opts, WithPrivateKey([]byte(e.PrivateKey)))
	}
	if e.PrivateKeyFile != "" {
		opts = append(opts, WithPrivateKeyFile(e.PrivateKeyFile))
	}
	if e.Algorithm != "" {
		opts = append(opts, WithAlgorithm(e.Algorithm))
	}
	if e.Endpoint != "" {
		opts = append(opts, WithBaseURL(e.Endpoint))
	}
	if e.CAFile != "" {
		opts = append(opts, WithCAFile(e.CAFile))
	}
	return opts
}

// NewClient builds a client from the configuration plus extra options
// (applied after it, so they win for single-valued settings). Errors name
// the environment variable at fault.
func (e EnvConfig) NewClient(extra ...Option) (*Client, error) {
	c, err := NewClient(append(e.Options(), extra...)...)
	if err != nil {
		return nil, envFieldError(err)
	}
	return c, nil
}

// NewClientFromEnv builds a client from the process environment.
func NewClientFromEnv(extra ...Option) (*Client, error) {
	e, err := LoadEnvConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	return e.NewClient(extra...)
}

// String describes the configuration with the private key redacted.
func (e EnvConfig) String() string {
	return fmt.Sprintf("EnvConfig{PublicKeyID:%s PrivateKey:%s PrivateKeyFile:%s Region:%s Sandbox:%t Algorithm:%s Endpoint:%s CAFile:%s StoreID:%s MerchantID:%s}",
		e.PublicKeyID, redacted(e.PrivateKey), e.PrivateKeyFile, e.Region, e.Sandbox, e.Algorithm, e.Endpoint, e.CAFile, e.StoreID, e.MerchantID)
}

// GoString keeps %#v from printing the key either.
func (e EnvConfig) GoString() string { return e.String() }

// LogValue keeps slog from printing the key.
func (e EnvConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("public_key_id", e.PublicKeyID),
		slog.String("private_key", redacted(e.PrivateKey)),
		slog.String("private_key_file", e.PrivateKeyFile),
		slog.String("region", e.Region),
		slog.Bool("sandbox", e.Sandbox),
		slog.String("algorithm", e.Algorithm),
		slog.String("endpoint", e.Endpoint),
		slog.String("ca_file", e.CAFile),
		slog.String("store_id", e.StoreID),
		slog.String("merchant_id", e.MerchantID),
	)
}

func redacted(secret string) string {
	if strings.TrimSpace(secret) == "" {
		return ""
	}
	return "[redacted]"
}

// envFieldError renames an option field to the variable that set it.
func envFieldError(err error) error {
	var ie *InputError
	if !errors.As(err, &ie) {
		return err
	}
	names := map[string]string{
		"publicKeyId": EnvPublicKeyID, "privateKey": EnvPrivateKey, "privateKeyFile": EnvPrivateKeyFile,
		"region": EnvRegion, "algorithm": EnvAlgorithm, "baseURL": EnvEndpoint, "caFile": EnvCAFile, "caCert": EnvCAFile,
	}
	if n, ok := names[ie.Field]; ok {
		return &InputError{Field: n, Reason: ie.Reason}
	}
	return err
}
