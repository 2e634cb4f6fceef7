// Package action runs Amazon Pay action documents: one JSON object whose
// "action" field names an API operation and whose other fields are that
// operation's request, as in the v2handlerjs Lambda project:
//
//	{"action": "GetCharge", "chargeId": "S01-5105180-3221187-C056351"}
//
// The same document works on AWS Lambda (cmd/apay-lambda), over HTTP
// (POST /action, see [NewHandler]) and from the command line (apay call),
// because all three hand the bytes to one [Runner].
//
// Decoding is strict where a mistake could move money and lenient where the
// seed documents need it: the action name matches case-insensitively, the
// pre-v2 singular names webCheckoutDetail and paymentDetail are renamed to
// the API's webCheckoutDetails and paymentDetails, and idempotencyKey
// becomes the x-amz-pay-idempotency-key header. Malformed JSON is refused
// with its line and column; required ids and amounts are checked, naming the
// field, before anything is sent to Amazon Pay.
//
// Every run ends in a [Result]: Amazon Pay's own response body and HTTP
// status on success and on API errors, or {"reasonCode", "message",
// "requestId"} with a 4xx/5xx status that says what went wrong. See
// docs/actions.md for the result shape and one example per action.
package action
