// Package signing implements Amazon Pay API v2 request signing: the canonical
// request, the string to sign, RSASSA-PSS signatures under both algorithm
// names, and verification of requests signed by any official SDK.
//
// It is the one piece the SDK (which signs) and the emulator (which verifies)
// share, so both sides agree byte for byte. It imports only the standard
// library and can be used on its own to sign requests for a caller's own HTTP
// stack.
//
// The canonical request follows the layout every official SDK produces:
//
//	METHOD \n PATH \n QUERY \n name:value\n... \n SIGNED;HEADERS \n hex(sha256(body))
//
// and the string to sign is ALGORITHM + "\n" + hex(sha256(canonical request)).
// AMZN-PAY-RSASSA-PSS uses a 20-byte PSS salt, AMZN-PAY-RSASSA-PSS-V2 a
// 32-byte salt; both use SHA-256 with MGF1-SHA-256.
//
// Verification ([VerifyRequest]) follows what the official SDKs actually
// send rather than what the documentation idealises: the SignedHeaders list
// is used verbatim (the Node SDK keeps a caller header's original case), the
// path and query are tried first as received and then normalised the way the
// Java and .NET SDKs sign them, and header values are tried trimmed and then
// with whitespace runs collapsed. Date windows and other policy belong to
// the caller.
package signing
