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
