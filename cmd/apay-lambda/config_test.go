package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestLoadSettings(t *testing.T) {
	aws, url := newFakeAWS(t)
	aws.set("secret", "apay/key", strings.ReplaceAll(privatePEM(t), "\n", `\n`)) // pasted on one line
	aws.set("parameter", "/apay/key", privatePEM(t))
	aws.set("secret", "apay/keys", `{"apiKeys":"a,b"}`)
	base := func() map[string]string {
		env := awsEnv(url)
		env["APAY_PUBLIC_KEY_ID"] = "SANDBOX-CONFIGTEST"
		env["APAY_REGION"] = "eu"
		return env
	}
	tests := []struct {
		name    string
		set     map[string]string
		wantErr string
		iam     bool
		keys    bool
	}{
		{name: "key in env", set: map[string]string{"APAY_PRIVATE_KEY": privatePEM(t), "APAY_API_KEYS": "k"}, keys: true},
		{name: "key in env on one line", set: map[string]string{"APAY_PRIVATE_KEY": strings.ReplaceAll(privatePEM(t), "\n", `\n`)}},
		{name: "key from secrets manager", set: map[string]string{"APAY_PRIVATE_KEY_SECRET": "apay/key"}},
		{name: "key from ssm", set: map[string]string{"APAY_PRIVATE_KEY_PARAMETER": "/apay/key", "APAY_ACTION_AUTH": "IAM"}, iam: true},
		{name: "api keys from a JSON secret", set: map[string]string{"APAY_PRIVATE_KEY_PARAMETER": "/apay/key", "APAY_API_KEYS_SECRET": "apay/keys#apiKeys"}, keys: true},
		{name: "two key sources", set: map[string]string{"APAY_PRIVATE_KEY": "x", "APAY_PRIVATE_KEY_PARAMETER": "/apay/key"}, wantErr: "set only one of APAY_PRIVATE_KEY, APAY_PRIVATE_KEY_PARAMETER"},
		{name: "no key", set: map[string]string{}, wantErr: "APAY_PRIVATE_KEY"},
		{name: "missing secret", set: map[string]string{"APAY_PRIVATE_KEY_SECRET": "nope"}, wantErr: "APAY_PRIVATE_KEY_SECRET: secret nope: AWS answered 400 ResourceNotFoundException"},
		{name: "bad auth mode", set: map[string]string{"APAY_PRIVATE_KEY_PARAMETER": "/apay/key", "APAY_ACTION_AUTH": "none"}, wantErr: `APAY_ACTION_AUTH="none"`},
		{name: "bad sandbox flag", set: map[string]string{"APAY_SANDBOX": "maybe"}, wantErr: "APAY_SANDBOX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := base()
			for k, v := range tt.set {
				env[k] = v
			}
			s, err := loadSettings(context.Background(), getenvFrom(env), http.DefaultClient)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "BEGIN") {
					t.Errorf("error shows key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.client == nil || s.trustIAM != tt.iam || s.keys.Configured() != tt.keys {
				t.Errorf("settings %+v", s)
			}
		})
	}
}
