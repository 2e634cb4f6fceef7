package sqlstore_test

import (
	"testing"
	"time"

	"github.com/apaykit/apaykit/shop"
)

func TestIdempotencyRecords(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		hash := shop.HashRequest("POST", "/v1/orders/1/capture", []byte(`{"amount":"10.00"}`))
		rec := func() *shop.IdempotencyRecord {
			return &shop.IdempotencyRecord{APIKeyID: "k1", Key: "abc", Method: "POST", Path: "/v1/orders/1/capture", RequestHash: hash}
		}
		got, err := db.BeginIdempotentRequest(ctx, rec(), time.Minute)
		must(t, err)
		if got != nil {
			t.Fatalf("new key returned a stored record: %+v", got)
		}
		_, err = db.BeginIdempotentRequest(ctx, rec(), time.Minute)
		wantCode(t, err, shop.ECONFLICT) // still processing
		other := rec()
		other.RequestHash = shop.HashRequest("POST", "/v1/orders/2/capture", nil)
		_, err = db.BeginIdempotentRequest(ctx, other, time.Minute)
		wantCode(t, err, shop.EINVALID) // key reused for another request
		// Another API key may use the same key string.
		otherKey := rec()
		otherKey.APIKeyID = "k2"
		got, err = db.BeginIdempotentRequest(ctx, otherKey, time.Minute)
		must(t, err)
		if got != nil {
			t.Fatal("keys are not scoped per API key")
		}

		must(t, db.CompleteIdempotentRequest(ctx, "k1", "abc", 201, []byte(`{"status":"captured"}`)))
		wantCode(t, db.CompleteIdempotentRequest(ctx, "k1", "abc", 201, nil), shop.ENOTFOUND)
		got, err = db.BeginIdempotentRequest(ctx, rec(), time.Minute)
		must(t, err)
		if got == nil || got.Status != 201 || string(got.Body) != `{"status":"captured"}` || got.CompletedAt.IsZero() {
			t.Fatalf("replay = %+v", got)
		}

		// An abandoned claim (process died) is taken over after its lease.
		db.clock.Advance(2 * time.Minute)
		got, err = db.BeginIdempotentRequest(ctx, otherKey, time.Minute)
		must(t, err)
		if got != nil {
			t.Fatal("expired claim was not taken over")
		}
		must(t, db.AbandonIdempotentRequest(ctx, "k2", "abc"))
		got, err = db.BeginIdempotentRequest(ctx, otherKey, time.Minute)
		if err != nil || got != nil {
			t.Fatalf("after abandon: %v %v", got, err)
		}

		db.clock.Advance(48 * time.Hour)
		n, err := db.DeleteIdempotencyRecordsBefore(ctx, db.clock.Now().Add(-24*time.Hour))
		must(t, err)
		if n != 1 {
			t.Errorf("deleted %d records, want the 1 completed one", n)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		k, token, err := db.CreateAPIKey(ctx, "ops", []shop.Scope{shop.ScopeRead})
		must(t, err)
		got, err := db.AuthenticateAPIKey(ctx, token)
		must(t, err)
		if got.ID != k.ID || got.Allows(shop.ScopeWrite) || !got.Allows(shop.ScopeRead) || got.LastUsedAt.IsZero() {
			t.Fatalf("authenticated %+v", got)
		}
		var stored []byte
		must(t, db.SQLDB().QueryRowContext(ctx, `SELECT secret_hash FROM api_keys WHERE id = $1`, k.ID).Scan(&stored))
		if contains(string(stored), token[len(token)-20:]) {
			t.Fatal("secret stored in clear")
		}
		for _, bad := range []string{"", "apay_nope", token[:len(token)-1] + "x", "apay_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
			_, err := db.AuthenticateAPIKey(ctx, bad)
			wantCode(t, err, shop.EUNAUTHORIZED)
		}
		_, _, err = db.CreateAPIKey(ctx, "none", nil)
		wantCode(t, err, shop.EINVALID)

		_, envToken := shop.NewAPIKeyToken()
		imported, err := db.ImportAPIKey(ctx, "from env", envToken, []shop.Scope{shop.ScopeWrite})
		must(t, err)
		if _, err := db.ImportAPIKey(ctx, "from env", envToken, []shop.Scope{shop.ScopeWrite}); err != nil {
			t.Fatalf("re-import at restart: %v", err)
		}
		got, err = db.AuthenticateAPIKey(ctx, envToken)
		must(t, err)
		if !got.Allows(shop.ScopeWrite) {
			t.Fatal("imported scopes lost")
		}
		keys, err := db.APIKeys(ctx)
		must(t, err)
		if len(keys) != 2 || keys[0].SecretHash != nil {
			t.Fatalf("APIKeys = %+v", keys)
		}
		must(t, db.RevokeAPIKey(ctx, imported.ID))
		_, err = db.AuthenticateAPIKey(ctx, envToken)
		wantCode(t, err, shop.EUNAUTHORIZED)
		wantCode(t, db.RevokeAPIKey(ctx, "0000000000000000"), shop.ENOTFOUND)
	})
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		u, err := db.CreateAdminUser(ctx, "Alice", "correct horse battery")
		must(t, err)
		if u.Username != "alice" || contains(string(u.PasswordHash), "horse") {
			t.Fatalf("created %+v", u)
		}
		_, err = db.CreateAdminUser(ctx, "alice", "another long password")
		wantCode(t, err, shop.ECONFLICT)
		_, err = db.CreateAdminUser(ctx, "bob", "short")
		wantCode(t, err, shop.EINVALID)

		got, err := db.AuthenticateAdmin(ctx, "ALICE", "correct horse battery")
		must(t, err)
		if got.LastLoginAt.IsZero() {
			t.Error("login not recorded")
		}
		_, err = db.AuthenticateAdmin(ctx, "alice", "wrong password here")
		wantCode(t, err, shop.EUNAUTHORIZED)
		_, err = db.AuthenticateAdmin(ctx, "mallory", "correct horse battery")
		wantCode(t, err, shop.EUNAUTHORIZED)

		must(t, db.SetAdminPassword(ctx, "alice", "a new password 123"))
		_, err = db.AuthenticateAdmin(ctx, "alice", "correct horse battery")
		wantCode(t, err, shop.EUNAUTHORIZED)
		_, err = db.AuthenticateAdmin(ctx, "alice", "a new password 123")
		must(t, err)
		wantCode(t, db.SetAdminPassword(ctx, "nobody", "a new password 123"), shop.ENOTFOUND)
	})
}

func TestNotifications(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *testDB) {
		ctx := t.Context()
		n := &shop.Notification{ID: "n-1", Type: "STATE_CHANGE", ObjectType: "CHARGE", ObjectID: "C1", ChargePermissionID: "S01-1"}
		first, err := db.RecordNotification(ctx, n)
		must(t, err)
		dup, err := db.RecordNotification(ctx, &shop.Notification{ID: "n-1", Type: "STATE_CHANGE"})
		must(t, err)
		if !first || dup {
			t.Fatalf("first=%v dup=%v", first, dup)
		}
		_, err = db.RecordNotification(ctx, &shop.Notification{})
		wantCode(t, err, shop.EINVALID)
		db.clock.Advance(time.Minute)
		un, err := db.UnprocessedNotifications(ctx, db.clock.Now(), 0)
		must(t, err)
		if len(un) != 1 || un[0].ObjectID != "C1" {
			t.Fatalf("unprocessed = %+v", un)
		}
		must(t, db.MarkNotificationProcessed(ctx, "n-1"))
		wantCode(t, db.MarkNotificationProcessed(ctx, "n-2"), shop.ENOTFOUND)
		got, err := db.Notification(ctx, "n-1")
		must(t, err)
		if got.ProcessedAt.IsZero() {
			t.Fatal("not marked")
		}
		if un, _ := db.UnprocessedNotifications(ctx, db.clock.Now(), 0); len(un) != 0 {
			t.Fatalf("still unprocessed: %+v", un)
		}
	})
}
