package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
)

// Environment variables the Lambda reads besides design.md §6 (APAY_*
// client configuration) and APAY_API_KEYS.
const (
	// envPrivateKeySecret names a Secrets Manager secret (name or ARN,
	// optionally "#field" of a JSON secret) holding the private key PEM.
	envPrivateKeySecret = "APAY_PRIVATE_KEY_SECRET"
	// envPrivateKeyParameter names an SSM parameter (SecureString)
	// holding the private key PEM.
	envPrivateKeyParameter = "APAY_PRIVATE_KEY_PARAMETER"
	// envAPIKeysSecret and envAPIKeysParameter do the same for
	// APAY_API_KEYS.
	envAPIKeysSecret    = "APAY_API_KEYS_SECRET"
	envAPIKeysParameter = "APAY_API_KEYS_PARAMETER"
	// envActionAuth is "apikey" (the default: HTTP events need
	// Authorization: Bearer <key>) or "iam" (HTTP events are trusted when
	// AWS authenticated them with IAM: a Function URL or HTTP API route
	// with AWS_IAM authorization).
	envActionAuth = "APAY_ACTION_AUTH"
)

// settings is what a cold start resolves from the environment.
type settings struct {
	client   *amazonpay.Client
	env      amazonpay.EnvConfig
	keys     action.Auth
	trustIAM bool
}

// loadSettings reads the configuration, fetching the private key and API
// keys from Secrets Manager or SSM when they are named there. It runs once
// per cold start; nothing is fetched per invocation.
func loadSettings(ctx context.Context, getenv func(string) string, hc *http.Client) (*settings, error) {
	env, err := amazonpay.LoadEnvConfig(getenv)
	if err != nil {
		return nil, err
	}
	var store *secretStore
	storeFor := func() (*secretStore, error) {
		if store == nil {
			var err error
			if store, err = newSecretStore(getenv, hc); err != nil {
				return nil, err
			}
		}
		return store, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	key, err := oneSource(ctx, getenv, storeFor, amazonpay.EnvPrivateKey, envPrivateKeySecret, envPrivateKeyParameter, amazonpay.EnvPrivateKeyFile)
	if err != nil {
		return nil, err
	}
	if key != "" {
		env.PrivateKey = normalizePEM(key)
	}
	apiKeys, err := oneSource(ctx, getenv, storeFor, action.EnvAPIKeys, envAPIKeysSecret, envAPIKeysParameter, "")
	if err != nil {
		return nil, err
	}
	s := &settings{env: env, keys: action.APIKeyAuth(action.ParseAPIKeys(apiKeys)...)}
	switch mode := strings.ToLower(strings.TrimSpace(getenv(envActionAuth))); mode {
	case "", "apikey":
	case "iam":
		s.trustIAM = true
	default:
		return nil, fmt.Errorf("%s=%q: use apikey or iam", envActionAuth, mode)
	}
	if s.client, err = env.NewClient(); err != nil {
		return nil, err
	}
	return s, nil
}

// oneSource reads a value that may come from the environment itself, from
// Secrets Manager or from SSM (or, with fileVar, from a file the SDK
// reads): at most one of them may be set.
func oneSource(ctx context.Context, getenv func(string) string, store func() (*secretStore, error), plainVar, secretVar, paramVar, fileVar string) (string, error) {
	var set []string
	for _, v := range []string{plainVar, secretVar, paramVar, fileVar} {
		if v != "" && strings.TrimSpace(getenv(v)) != "" {
			set = append(set, v)
		}
	}
	if len(set) > 1 {
		return "", fmt.Errorf("set only one of %s", strings.Join(set, ", "))
	}
	if len(set) == 0 || set[0] == fileVar {
		return "", nil
	}
	ref := strings.TrimSpace(getenv(set[0]))
	switch set[0] {
	case plainVar:
		return getenv(plainVar), nil
	case secretVar:
		st, err := store()
		if err != nil {
			return "", fmt.Errorf("%s: %w", secretVar, err)
		}
		v, err := st.secret(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("%s: %w", secretVar, err)
		}
		return v, nil
	default:
		st, err := store()
		if err != nil {
			return "", fmt.Errorf("%s: %w", paramVar, err)
		}
		v, err := st.parameter(ctx, ref)
		if err != nil {
			return "", fmt.Errorf("%s: %w", paramVar, err)
		}
		return v, nil
	}
}

// newHandler builds the invocation handler from resolved settings.
func newHandler(s *settings, logger *slog.Logger) *lambdaHandler {
	runner := action.NewRunner(s.client, action.WithLogger(logger),
		action.WithStoreID(s.env.StoreID), action.WithMerchantID(s.env.MerchantID))
	if !s.keys.Configured() && !s.trustIAM {
		logger.Warn("no API keys configured: HTTP events (API Gateway, Function URL, ALB) will get 401; direct invocations work",
			slog.String("set", action.EnvAPIKeys))
	}
	return &lambdaHandler{runner: runner, keys: s.keys, trustIAM: s.trustIAM, logger: logger}
}
