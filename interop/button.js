'use strict';
// button.js — the checkout.js button signature both ways. For each payload
// the official SDK's generateButtonSignature signs it (the Go test verifies
// that with signing.VerifyButtonSignature), and the signature apaykit made
// with SignButtonPayload is checked with Node's crypto.verify over the
// string the SDK signs for the same payload.
//
// stdin:  {"cases": [{"name", "config", "payload", "publicKey", "goSignature"}]}
//         payload is a string (signed as is) or an object (the SDK stringifies it)
// stdout: {"results": [{"name", "payloadJSON", "nodeSignature", "stringToSign",
//                       "goVerified", "goVerifiedTampered"} | {"name", "error"}]}
const lib = require('./lib');

function check(c) {
  const client = lib.newClient(c.config);
  const watched = lib.watchCrypto(() => client.generateButtonSignature(c.payload));
  const stringToSign = watched.signed[0].toString('utf8');
  const alg = c.config.algorithm || 'AMZN-PAY-RSASSA-PSS';
  return {
    payloadJSON: typeof c.payload === 'string' ? c.payload : JSON.stringify(c.payload),
    nodeSignature: watched.result,
    stringToSign,
    goVerified: lib.verifyPSS(c.publicKey, alg, stringToSign, c.goSignature),
    goVerifiedTampered: lib.verifyPSS(c.publicKey, alg, stringToSign, lib.flip(c.goSignature)),
  };
}

async function main() {
  const input = await lib.readStdinJSON();
  const results = input.cases.map(c => {
    try {
      return { name: c.name, ...check(c) };
    } catch (e) {
      return { name: c.name, error: String(e && e.stack || e) };
    }
  });
  lib.writeJSON({ results });
}

main().catch(e => { console.error(e); process.exit(1); });
