'use strict';
// verify.js — checks signatures made by apaykit (Go) with Node's own
// crypto.verify, over the string to sign the official SDK computes from the
// same inputs. For each case the SDK signs the same call (same clock, same
// headers) so that its string to sign is known; the Go Authorization header
// must name the same SignedHeaders and its signature must verify over that
// string with RSA_PKCS1_PSS_PADDING and the algorithm's salt length. Two
// negative controls (the other salt length, one flipped bit) must fail.
//
// stdin:  {"cases": [{"name", "now", "config", "client"?, "call", "publicKey", "goAuthorization"}]}
// stdout: {"results": [{"name", "algorithm", "nodeSignedHeaders", "goSignedHeaders",
//                       "stringToSign", "verified", "verifiedOtherSalt", "verifiedTampered"} | {"name", "error"}]}
const lib = require('./lib');

async function check(c) {
  const node = await lib.runCall(c);
  const nodeAuth = lib.parseAuthorization(node.request.headers.authorization);
  const goAuth = lib.parseAuthorization(c.goAuthorization);
  const other = lib.SALT[goAuth.algorithm] === 20 ? 32 : 20;
  return {
    algorithm: goAuth.algorithm,
    nodeSignedHeaders: nodeAuth.SignedHeaders,
    goSignedHeaders: goAuth.SignedHeaders,
    stringToSign: node.stringToSign,
    verified: lib.verifyPSS(c.publicKey, goAuth.algorithm, node.stringToSign, goAuth.Signature),
    verifiedOtherSalt: lib.verifyPSS(c.publicKey, goAuth.algorithm, node.stringToSign, goAuth.Signature, other),
    verifiedTampered: lib.verifyPSS(c.publicKey, goAuth.algorithm, node.stringToSign, lib.flip(goAuth.Signature)),
  };
}

async function main() {
  const input = await lib.readStdinJSON();
  const results = [];
  for (const c of input.cases) {
    try {
      results.push({ name: c.name, ...(await check(c)) });
    } catch (e) {
      results.push({ name: c.name, error: String(e && e.stack || e) });
    }
  }
  lib.writeJSON({ results });
}

main().catch(e => { console.error(e); process.exit(1); });
