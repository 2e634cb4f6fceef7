package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/sqlstore"
)

// TestJobsRetry: apay jobs retry requeues a dead job, refuses one that is
// not dead and a malformed id, and reports each id.
func TestJobsRetry(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.db")
	store, err := sqlstore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	dead := &shop.Job{Kind: "renew_subscription", Payload: []byte(`{}`), MaxAttempts: 1}
	queued := &shop.Job{Kind: "renew_subscription", Payload: []byte(`{}`), RunAt: time.Now().Add(time.Hour)}
	for _, j := range []*shop.Job{dead, queued} {
		if _, err := store.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.ClaimJobs(ctx, "w", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := store.FailJob(ctx, dead.ID, "w", "boom", time.Now()); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Execute(ctx, Process{Args: args, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		return code, out.String(), errb.String()
	}
	deadID, queuedID := strconv.FormatInt(dead.ID, 10), strconv.FormatInt(queued.ID, 10)

	if code, _, _ := run("jobs", "retry", "--db", path, "x1"); code != ExitUsage {
		t.Fatalf("malformed id: exit %d, want %d", code, ExitUsage)
	}
	code, out, errOut := run("jobs", "retry", "--db", path, deadID, queuedID)
	if code != ExitFailure || !strings.Contains(out, "job "+deadID+" queued") || !strings.Contains(errOut, "only dead jobs can be retried") {
		t.Fatalf("retry: exit %d, out %q, err %q", code, out, errOut)
	}
	j, err := store.Job(ctx, dead.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != shop.JobQueued || j.Attempts != 0 {
		t.Fatalf("retried job: %s, %d attempts", j.Status, j.Attempts)
	}
	if code, _, errOut := run("jobs", "retry", "--db", path, deadID); code != ExitFailure || !strings.Contains(errOut, "is queued") {
		t.Fatalf("second retry: exit %d, err %q", code, errOut)
	}
}
