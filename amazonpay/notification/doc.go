// Package notification receives Amazon Pay Instant Payment Notifications
// (IPNs) safely.
//
// Amazon Pay delivers IPNs as Amazon SNS HTTP notifications: a JSON
// envelope, POSTed as text/plain, whose Message field holds the Amazon Pay
// message (ids only — after a notification, GET the object to learn its
// state). Anyone can POST such a body to a public endpoint, so a
// [Verifier] checks, before anything acts on it:
//
//   - the envelope's shape (a single JSON object; the keys its Type signs);
//   - SigningCertURL: https only, a host SNS uses
//     (sns.<region>.amazonaws.com[.cn], see [IsSNSHost]) or one you allow
//     explicitly, and a .pem path;
//   - TopicArn, when you name the topics you expect ([WithTopicARNs]);
//   - Timestamp, at most an hour old and not in the future ([WithMaxAge]);
//   - the certificate: it must chain to a trusted root and be issued for
//     the host it came from; verified certificates are cached by URL;
//   - the signature: RSA PKCS #1 v1.5 with SHA-1 (SignatureVersion 1) or
//     SHA-256 (SignatureVersion 2) over SNS's string to sign.
//
// Every failure is an [*Error] matching one sentinel ([ErrMalformed],
// [ErrInvalidSignature], [ErrStale], [ErrCertURL], [ErrCertChain],
// [ErrCertFetch], [ErrTopic], [ErrSubscription]); [HTTPStatus] maps them to
// the answer SNS should get.
//
// The simplest endpoint:
//
//	v, err := notification.NewVerifier(notification.WithTopicARNs(topicARN))
//	if err != nil { … }
//	mux.Handle("POST /ipn", notification.Handler(v, func(ctx context.Context, n *notification.Notification) error {
//		switch n.ObjectType {
//		case notification.ObjectTypeCharge:
//			return refreshCharge(ctx, n.ObjectID) // GET the charge; idempotent
//		}
//		return nil
//	}))
//
// To test a handler, [github.com/apaykit/apaykit/amazonpay/notification/notificationtest]
// signs envelopes with a throwaway CA and returns a Verifier that trusts it.
package notification
