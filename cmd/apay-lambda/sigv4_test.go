package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// AWS's published Signature Version 4 test suite example credentials and
// time (get-vanilla and get-vanilla-query-order-key-case).
var (
	suiteCreds = awsCredentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	suiteTime  = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
)

func TestSignV4_SuiteVectors(t *testing.T) {
	tests := []struct {
		name, url, signature string
	}{
		{"get-vanilla", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"get-vanilla-query-order-key-case", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			signV4(req, nil, suiteCreds, "us-east-1", "service", suiteTime)
			want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + tt.signature
			if got := req.Header.Get("Authorization"); got != want {
				t.Fatalf("Authorization\n got %s\nwant %s", got, want)
			}
			if req.Header.Get("X-Amz-Date") != "20150830T123600Z" {
				t.Errorf("X-Amz-Date %q", req.Header.Get("X-Amz-Date"))
			}
		})
	}
}

func TestSignV4_SessionTokenIsSigned(t *testing.T) {
	req, _ := http.NewRequest("POST", "https://ssm.eu-west-1.amazonaws.com/", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	creds := suiteCreds
	creds.SessionToken = "session-token"
	signV4(req, []byte("{}"), creds, "eu-west-1", "ssm", suiteTime)
	auth := req.Header.Get("Authorization")
	if !strings.Contains(auth, "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,") {
		t.Fatalf("Authorization %s", auth)
	}
	if req.Header.Get("X-Amz-Security-Token") != "session-token" {
		t.Error("no security token header")
	}
	if strings.Contains(auth, "session-token") || strings.Contains(auth, creds.SecretAccessKey) {
		t.Error("the Authorization header carries a secret")
	}
	if s := creds.String(); strings.Contains(s, "session-token") || strings.Contains(s, creds.SecretAccessKey) {
		t.Errorf("String() leaks: %s", s)
	}
}
