package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay/signing"
)

// TestHarnessRuns keeps the harness from rotting: a tiny run in which both
// clients' requests verify at the server and no call fails. It asserts no
// speed; the figures come from `go run ./bench/nodecompare`.
func TestHarnessRuns(t *testing.T) {
	modules := filepath.Join("..", "..", "interop", "node_modules")
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(modules, "@amazonpay", "amazon-pay-api-sdk-nodejs"))
	if nodeErr != nil || modErr != nil {
		msg := "node or interop/node_modules is missing (run: cd interop && npm ci)"
		if os.Getenv("APAY_REQUIRE_INTEROP") == "1" {
			t.Fatalf("APAY_REQUIRE_INTEROP=1 but %s", msg)
		}
		t.Skip(msg)
	}
	cfg := config{Calls: 24, Warmup: 16, Concurrency: 4, Rounds: 1, Algorithm: signing.AlgorithmV2,
		Node: "node", Script: "node_sdk.js", NodeModules: modules}
	var progress bytes.Buffer
	rep, err := run(context.Background(), cfg, &progress)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, progress.String())
	}
	if len(rep.Phases) != 2 || rep.Phases[0].Client != "Go SDK" || rep.Phases[1].Client != "Node SDK" {
		t.Fatalf("phases %+v", rep.Phases)
	}
	if want := int64(2 * verifyFirstN); rep.Verified != want {
		t.Errorf("server verified %d requests in full, want %d", rep.Verified, want)
	}
	for _, p := range rep.Phases {
		if p.Requests != int64(cfg.Calls+cfg.Warmup) || p.Errors != 0 || p.Connections == 0 {
			t.Errorf("%s: %d requests, %d errors, %d connections", p.Client, p.Requests, p.Errors, p.Connections)
		}
	}
	var out bytes.Buffer
	rep.print(&out)
	if !strings.Contains(out.String(), "Go/Node = ") {
		t.Errorf("report:\n%s", out.String())
	}
}
