'use strict';
// node_sdk.js — the reference side of bench/nodecompare: the official Amazon
// Pay Node SDK (from interop/node_modules, pinned by interop/package-lock.json)
// makes signed Get Charge calls against the harness's local HTTPS server, at
// a fixed concurrency, and reports how long the measured calls took.
//
// stdin:  {"serviceUrl", "publicKeyId", "privateKey", "algorithm", "chargeId",
//          "warmup", "calls", "concurrency"}
// stdout: {"calls", "errors", "seconds"}
const { WebStoreClient } = require('@amazonpay/amazon-pay-api-sdk-nodejs');

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

// runCalls makes n calls with `concurrency` loops sharing one counter and
// returns how many failed.
async function runCalls(client, chargeId, n, concurrency) {
  let next = 0;
  let errors = 0;
  const loop = async () => {
    while (next < n) {
      next++;
      try {
        await client.getCharge(chargeId);
      } catch (e) {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return errors;
}

async function main() {
  const cfg = await readStdin();
  const client = new WebStoreClient({
    publicKeyId: cfg.publicKeyId, privateKey: cfg.privateKey, region: 'us',
    algorithm: cfg.algorithm, overrideServiceUrl: cfg.serviceUrl,
  });
  await runCalls(client, cfg.chargeId, cfg.warmup, cfg.concurrency);
  const start = process.hrtime.bigint();
  const errors = await runCalls(client, cfg.chargeId, cfg.calls, cfg.concurrency);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(JSON.stringify({ calls: cfg.calls, errors, seconds }) + '\n');
}

main().catch(e => { console.error(e); process.exit(1); });
