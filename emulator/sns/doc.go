// Package sns is how the emulator sends Amazon Pay Instant Payment
// Notifications the way Amazon does: as Amazon SNS HTTP notifications,
// signed with a certificate a receiver can fetch and check.
//
// An [Issuer] is a certificate authority made at start (in memory only)
// plus an RSA signing certificate issued by it; it serves that certificate
// (mount [Issuer.CertHandler] at [CertPath]) and builds signed Notification
// envelopes, SignatureVersion 1 or 2. Receivers trust it by adding the CA
// from [Issuer.Certificates] to their roots and allowing the emulator's
// host — with the SDK: notification.NewVerifier(issuer.VerifierOptions()...).
// The SigningCertURL must be https for the SDK's verifier to fetch it, so
// an emulator that sends notifications should listen with TLS (the
// Issuer's certificate can serve that too: [Issuer.TLSCertificate]).
//
// A [Sender] POSTs envelopes in order from one queue, retrying network
// errors, 429 and 5xx with backoff (bounded attempts; clock and sleeper
// injectable), and can be told to misbehave on purpose — drop, duplicate,
// delay, or reorder the next notifications — so merchants can test
// idempotent, order-independent handling. Every notification is recorded
// for the control API (GET /_emulator/notifications): [Sender.Records].
package sns
