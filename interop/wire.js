'use strict';
// wire.js — sends a table of calls with the official Node SDK, for real,
// over HTTPS to host:port (the SDK's overrideServiceUrl; it switches off
// certificate checks itself). The Go test's server verifies each request
// and answers 200 or an Amazon Pay style error; this script reports what
// the SDK returned.
//
// stdin:  {"serviceUrl": "127.0.0.1:PORT", "cases": [{"name", "config", "client"?, "call"}]}
// stdout: {"results": [{"name", "status", "data"} | {"name", "status", "error"}]}
const lib = require('./lib');

async function send(serviceUrl, c) {
  const client = lib.newClient({ ...c.config, overrideServiceUrl: serviceUrl }, c.client);
  try {
    const res = await client[c.call.fn](...(c.call.args || []));
    return { status: res.status, data: res.data };
  } catch (e) {
    if (e && e.status) return { status: e.status, data: e.data };
    if (e && e.response) return { status: e.response.status, data: e.response.data };
    return { status: 0, error: String(e && e.message || e) };
  }
}

async function main() {
  const input = await lib.readStdinJSON();
  const results = [];
  for (const c of input.cases) {
    results.push({ name: c.name, ...(await send(input.serviceUrl, c)) });
  }
  lib.writeJSON({ results });
}

main().catch(e => { console.error(e); process.exit(1); });
