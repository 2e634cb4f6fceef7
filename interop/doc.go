// Package interop proves that apaykit and the official Amazon Pay Node SDK
// (@amazonpay/amazon-pay-api-sdk-nodejs, the exact version pinned in
// package.json and package-lock.json) agree on the wire.
//
// The package has no code of its own: its tests drive the small Node
// scripts beside them (lib.js, vectors.js, verify.js, button.js, wire.js,
// emulator_flow.js)
// with `node`, feeding JSON on stdin and reading JSON from stdout, and
// check that
//
//   - requests the Node SDK signs verify with signing.VerifyRequest,
//   - requests apaykit signs verify with Node's crypto.verify over the
//     string to sign the Node SDK computes from the same inputs,
//   - both sides build byte-identical canonical requests,
//   - checkout.js button signatures verify in both directions,
//   - the Node SDK's real HTTPS requests verify at a Go server,
//   - the Node SDK runs a whole payment against `apay emulator` over HTTPS
//     (checkout session, buyer, complete, capture, refund, cancel, close,
//     and the error answers), with both algorithms and every key kind.
//
// The scripts need `npm ci` in this directory. Without node_modules the
// tests skip with a message, unless APAY_REQUIRE_INTEROP=1 (scripts/test
// sets it), in which case they fail.
package interop
