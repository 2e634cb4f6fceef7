package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
	"github.com/spf13/cobra"
)

// result is one run of apay through Execute.
type result struct {
	code           int
	stdout, stderr string
}

// run executes apay with args, env as the whole environment and stdin.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), Process{
		Args:   args,
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	})
	return result{code, out.String(), errb.String()}
}

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func testKeyPEM(t *testing.T) string {
	t.Helper()
	b, err := signing.EncodePrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command prints help", nil, ExitOK, ""},
		{"help", []string{"--help"}, ExitOK, ""},
		{"unknown command", []string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"version", "--frob"}, ExitUsage, "unknown flag: --frob"},
		{"extra argument", []string{"version", "extra"}, ExitUsage, `unknown command "extra"`},
		{"missing flag value", []string{"keygen", "--dir"}, ExitUsage, "flag needs an argument"},
		{"usage error from RunE", []string{"keygen"}, ExitUsage, "--dir is required"},
		{"bad enum", []string{"keygen", "--dir", "x", "--env", "prod"}, ExitUsage, `--env must be sandbox or live`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, "", tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if tt.wantErr != "" && !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.wantErr)
			}
			if tt.wantCode == ExitOK && r.stderr != "" {
				t.Errorf("unexpected stderr: %q", r.stderr)
			}
		})
	}
}

// runExtra runs a tree with one extra command whose RunE returns err.
func runExtra(err error) result {
	var out, errb bytes.Buffer
	root, started := newRoot(&App{Getenv: func(string) string { return "" }})
	x := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return err }}
	root.AddCommand(x)
	markStarted(x, started)
	code := runRoot(context.Background(), root, started, Process{Args: []string{"x"}, Stdout: &out, Stderr: &errb})
	return result{code, out.String(), errb.String()}
}

func TestRunEErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"plain error is a failure", errors.New("boom"), ExitFailure, "apay: boom\n"},
		{"usage error", Usagef("bad %s", "input"), ExitUsage, "apay: bad input\n"},
		{"wrapped usage error", fmt.Errorf("ctx: %w", UsageError(errors.New("bad"))), ExitUsage, "apay: ctx: bad\n"},
		{"quiet failure", &ExitError{Code: ExitFailure, Quiet: true}, ExitFailure, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runExtra(tt.err)
			if r.code != tt.wantCode || r.stderr != tt.wantStderr {
				t.Fatalf("exit %d stderr %q, want %d %q", r.code, r.stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "apay ") {
		t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
	}}
	got := describeVersion("", bi)
	if !strings.HasPrefix(got, "apay v1.2.3 (commit 0123456789ab+dirty, go1.26.8, ") {
		t.Errorf("describeVersion = %q", got)
	}
	if got := describeVersion("v9.9.9", bi); !strings.HasPrefix(got, "apay v9.9.9 ") {
		t.Errorf("ldflags version not preferred: %q", got)
	}
	if got := describeVersion("", nil); !strings.HasPrefix(got, "apay (devel) (") {
		t.Errorf("no build info: %q", got)
	}
}

// TestHelpNeverShowsSecrets runs every command's --help with a private key
// in the environment.
func TestHelpNeverShowsSecrets(t *testing.T) {
	pemText := testKeyPEM(t)
	env := map[string]string{"APAY_PRIVATE_KEY": pemText, "APAY_PUBLIC_KEY_ID": "SANDBOX-X", "APAY_REGION": "us"}
	root, _ := newRoot(&App{Getenv: func(k string) string { return env[k] }})
	cmds := [][]string{{"--help"}}
	for _, c := range root.Commands() {
		cmds = append(cmds, []string{c.Name(), "--help"})
	}
	body := secretLine(pemText)
	for _, args := range cmds {
		r := run(t, env, "", args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d", args, r.code)
		}
		if strings.Contains(r.stdout+r.stderr, body) || strings.Contains(r.stdout+r.stderr, "BEGIN PRIVATE KEY") {
			t.Errorf("%v: help output contains the private key", args)
		}
	}
}

// secretLine returns a line from the middle of a PEM, the part that must
// never leak.
func secretLine(pemText string) string {
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	return lines[len(lines)/2]
}
