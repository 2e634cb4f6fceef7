package main

import (
	"os"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/action"
	"github.com/apaykit/apaykit/amazonpay"
)

// TestTemplateMatchesTheBinary keeps template.yaml in step with what the
// bootstrap reads: the runtime, the handler name and every variable name.
func TestTemplateMatchesTheBinary(t *testing.T) {
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl := string(b)
	for _, want := range []string{
		"Runtime: provided.al2023", "Handler: bootstrap",
		amazonpay.EnvPublicKeyID + ":", amazonpay.EnvRegion + ":", amazonpay.EnvSandbox + ":",
		amazonpay.EnvStoreID + ":", amazonpay.EnvMerchantID + ":",
		envPrivateKeySecret + ":", envAPIKeysParameter + ":", envActionAuth + ":",
		"AWSSecretsManagerGetSecretValuePolicy", "SSMParameterReadPolicy", "FunctionUrlConfig",
	} {
		if !strings.Contains(tpl, want) {
			t.Errorf("template.yaml lacks %q", want)
		}
	}
	if strings.Contains(tpl, action.EnvAPIKeys+":") {
		t.Error("template.yaml puts API keys in a plain environment variable; use the SSM parameter")
	}
}
