// Command apay-lambda is the AWS Lambda bootstrap that runs action
// documents (docs/actions.md): invoke it directly with the document as the
// event, or put it behind API Gateway (REST or HTTP API), a Function URL or
// an Application Load Balancer and POST the document.
//
// Build it for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/apay-lambda
//
// Configuration comes from the environment (design.md §6): APAY_PUBLIC_KEY_ID,
// APAY_REGION, APAY_SANDBOX, …, and the private key from APAY_PRIVATE_KEY,
// APAY_PRIVATE_KEY_FILE, APAY_PRIVATE_KEY_SECRET (Secrets Manager) or
// APAY_PRIVATE_KEY_PARAMETER (SSM Parameter Store). HTTP events need an API
// key from APAY_API_KEYS (or APAY_API_KEYS_SECRET/_PARAMETER) unless
// APAY_ACTION_AUTH=iam and AWS authenticated the caller. Everything is read
// once, at cold start.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	hc := &http.Client{Timeout: 10 * time.Second}
	s, err := loadSettings(context.Background(), os.Getenv, hc)
	if err != nil {
		// The message names the variable at fault, never a secret's value.
		logger.Error("apay-lambda: configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(newHandler(s, logger))
}
