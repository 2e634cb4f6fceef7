'use strict';
// vectors.js — signs a table of requests with the official Node SDK without
// sending them. For each case it reports the request as the SDK hands it to
// its HTTP layer, the canonical request the SDK hashed and the string it
// signed; the Go tests verify the signature with apaykit's signing package
// and compare the canonical request byte for byte.
//
// stdin:  {"cases": [{"name", "now", "config", "client"?, "call": {"fn", "args"}}]}
// stdout: {"results": [{"name", "request": {"method", "url", "headers", "body"},
//                       "canonicalRequest", "stringToSign"} | {"name", "error"}]}
const lib = require('./lib');

async function main() {
  const input = await lib.readStdinJSON();
  const results = [];
  for (const c of input.cases) {
    try {
      results.push({ name: c.name, ...(await lib.runCall(c)) });
    } catch (e) {
      results.push({ name: c.name, error: String(e && e.stack || e) });
    }
  }
  lib.writeJSON({ results });
}

main().catch(e => { console.error(e); process.exit(1); });
