package emulator

import (
	"strings"
	"testing"
	"time"
)

func TestValidateUploadFile(t *testing.T) {
	tests := []struct {
		typ, purpose *string
		code         string
	}{
		{sp("jpg"), sp("disputeEvidence"), ""},
		{sp("pdf"), sp("disputeEvidence"), ""},
		{nil, sp("disputeEvidence"), codeMissingParameterValue},
		{sp("exe"), sp("disputeEvidence"), codeInvalidParameterValue},
		{sp("JPG"), sp("disputeEvidence"), codeInvalidParameterValue},
		{sp("png"), nil, codeMissingParameterValue},
		{sp("png"), sp("avatar"), codeInvalidParameterValue},
	}
	for _, tt := range tests {
		_, _, err := validateUploadFile(&uploadFileIn{Type: tt.typ, Purpose: tt.purpose})
		if tt.code == "" && err != nil || tt.code != "" && (err == nil || err.ReasonCode != tt.code) {
			t.Errorf("%v/%v: got %v; want %q", deref(tt.typ), deref(tt.purpose), err, tt.code)
		}
	}
}

func TestFileWire(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := &File{FileID: newFileID(), Type: "pdf", Purpose: "disputeEvidence", Token: newURLToken(), Created: now, URLExpires: now.Add(fileURLLifetime)}
	if !strings.HasPrefix(f.FileID, "file_") || len(f.FileID) != 25 {
		t.Fatalf("id %q", f.FileID)
	}
	w := f.wire("http://127.0.0.1:1")
	if w.Size != nil || w.URL == nil || !strings.Contains(*w.URL, "/_emulator/files/"+f.FileID+"/contents?token=") || *w.URLExpirationTimestamp != "20260301T001500Z" {
		t.Fatalf("%+v", w)
	}
	f.Content, f.Uploaded = []byte("%PDF"), true
	if w := f.wire("http://x"); w.Size == nil || *w.Size != 4 {
		t.Fatalf("%+v", w)
	}
	if tokenEqual("", "") || !tokenEqual("abc", "abc") || tokenEqual("abc", "abd") {
		t.Fatal("tokenEqual")
	}
}

func TestServer_UploadFile(t *testing.T) {
	e := newTestEnv(t)
	f := wantStatus(t, e.post("/v2/files", `{"type":"jpg","purpose":"disputeEvidence"}`), 200)
	if !strings.HasPrefix(str(f, "id"), "file_") || f["size"] != nil || str(f, "urlExpirationTimestamp") == "" {
		t.Fatalf("file %v", f)
	}
	u := str(f, "url")
	wantError(t, e.fetch("PUT", strings.Replace(u, "token=", "token=0", 1), "image/jpeg", []byte{1}), 403, codeInvalidAuthentication)
	wantError(t, e.fetch("PUT", u, "image/jpeg", nil), 400, codeInvalidRequestFormat)
	wantError(t, e.fetch("GET", u, "", nil), 404, codeResourceNotFound)
	wantError(t, e.fetch("PUT", u, "image/jpeg", make([]byte, maxFileBytes+1)), 413, codeRequestEntityTooLarge)
	if res := e.fetch("PUT", u, "image/jpeg; charset=binary", []byte{0xff, 0xd8}); res.Code != 200 {
		t.Fatalf("upload %d %s", res.Code, res.Body)
	}
	e.advance(fileURLLifetime)
	wantError(t, e.fetch("GET", u, "", nil), 403, codeInvalidAuthentication)
	wantError(t, e.fetch("PUT", u, "image/jpeg", []byte{1}), 403, codeInvalidAuthentication)

	post := func(b string) req {
		return req{method: "POST", path: "/v2/files", body: b, header: map[string]string{"x-amz-pay-idempotency-key": idem()}}
	}
	e.rejects(post(`{"type":"gif","purpose":"disputeEvidence"}`), 400, codeInvalidParameterValue)
	e.rejects(post(`{"purpose":"disputeEvidence"}`), 400, codeMissingParameterValue)
	e.rejects(post(`{"type":"jpg","purpose":"disputeEvidence","name":"a.jpg"}`), 400, codeUnrecognizedField)
	e.rejects(post(`{"type":["jpg"],"purpose":"disputeEvidence"}`), 400, codeInvalidParameterValue)
}
