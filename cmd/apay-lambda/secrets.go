package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// secretStore reads a secret from AWS Secrets Manager (GetSecretValue) or
// SSM Parameter Store (GetParameter with decryption): two small signed JSON
// calls, made once per cold start.
type secretStore struct {
	httpClient *http.Client
	creds      awsCredentials
	region     string
	// endpoint returns the base URL for a service ("secretsmanager",
	// "ssm"); tests point it at a local server.
	endpoint func(service string) string
	now      func() time.Time
}

// newSecretStore configures the store from the Lambda environment. AWS's
// own endpoint override variables (AWS_ENDPOINT_URL_SECRETS_MANAGER,
// AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL) are honoured, so it also works
// against a local stand-in.
func newSecretStore(getenv func(string) string, hc *http.Client) (*secretStore, error) {
	s := &secretStore{
		httpClient: hc,
		creds: awsCredentials{
			AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    getenv("AWS_SESSION_TOKEN"),
		},
		region: getenv("AWS_REGION"),
		now:    time.Now,
	}
	if s.region == "" {
		s.region = getenv("AWS_DEFAULT_REGION")
	}
	switch {
	case s.creds.AccessKeyID == "" || s.creds.SecretAccessKey == "":
		return nil, fmt.Errorf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the Lambda runtime sets them from the execution role)")
	case s.region == "":
		return nil, fmt.Errorf("AWS_REGION is not set")
	}
	overrides := map[string]string{
		"secretsmanager": getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"),
		"ssm":            getenv("AWS_ENDPOINT_URL_SSM"),
	}
	global := getenv("AWS_ENDPOINT_URL")
	s.endpoint = func(service string) string {
		if u := overrides[service]; u != "" {
			return strings.TrimSuffix(u, "/")
		}
		if global != "" {
			return strings.TrimSuffix(global, "/")
		}
		return "https://" + service + "." + s.region + ".amazonaws.com"
	}
	return s, nil
}

// maxSecretResponse bounds what a secret lookup reads; secrets are at most
// 64 KiB, parameters 8 KiB.
const maxSecretResponse = 1 << 20

// secret fetches a Secrets Manager secret by name or ARN. "name#field"
// picks one field of a secret stored as a JSON object.
func (s *secretStore) secret(ctx context.Context, ref string) (string, error) {
	id, field, _ := strings.Cut(ref, "#")
	var out struct {
		SecretString *string `json:"SecretString"`
		SecretBinary []byte  `json:"SecretBinary"`
	}
	if err := s.call(ctx, "secretsmanager", "secretsmanager.GetSecretValue", map[string]any{"SecretId": id}, &out); err != nil {
		return "", fmt.Errorf("secret %s: %w", id, err)
	}
	value := string(out.SecretBinary)
	if out.SecretString != nil {
		value = *out.SecretString
	}
	if field == "" {
		return value, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(value), &obj); err != nil {
		return "", fmt.Errorf("secret %s: #%s needs a secret stored as a JSON object", id, field)
	}
	v, ok := obj[field].(string)
	if !ok {
		return "", fmt.Errorf("secret %s has no string field %q", id, field)
	}
	return v, nil
}

// parameter fetches an SSM parameter, decrypting a SecureString.
func (s *secretStore) parameter(ctx context.Context, name string) (string, error) {
	var out struct {
		Parameter struct {
			Value string `json:"Value"`
		} `json:"Parameter"`
	}
	if err := s.call(ctx, "ssm", "AmazonSSM.GetParameter", map[string]any{"Name": name, "WithDecryption": true}, &out); err != nil {
		return "", fmt.Errorf("parameter %s: %w", name, err)
	}
	return out.Parameter.Value, nil
}

// call makes one signed AWS JSON 1.1 call.
func (s *secretStore) call(ctx context.Context, service, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint(service)+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	signV4(req, body, s.creds, s.region, service, s.now())
	resp, err := s.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSecretResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return awsError(resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// awsError renders an AWS JSON error ({"__type": "…", "message": "…"}); the
// body of an error never contains the secret.
func awsError(status int, data []byte) error {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(data, &e)
	typ := e.Type
	if i := strings.LastIndexByte(typ, '#'); i >= 0 {
		typ = typ[i+1:]
	}
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	if typ == "" {
		typ = http.StatusText(status)
	}
	return fmt.Errorf("AWS answered %d %s: %s", status, typ, msg)
}

// normalizePEM turns a PEM pasted into a one-line environment variable or
// parameter ("-----BEGIN…-----\nMIIE…") back into real lines, and decodes
// a base64-wrapped PEM, the two forms consoles tend to produce.
func normalizePEM(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "\n") && strings.Contains(s, `\n`) {
		s = strings.ReplaceAll(s, `\n`, "\n")
	}
	if !strings.HasPrefix(s, "-----") {
		if b, err := base64.StdEncoding.DecodeString(s); err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
			return string(b)
		}
	}
	return s
}
