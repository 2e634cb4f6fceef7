'use strict';
// emulator_flow.js — a whole Checkout v2 payment through `apay emulator`
// over HTTPS, driven by the official Node SDK exactly as a merchant's
// backend would use it (overrideServiceUrl = the emulator's host:port; the
// SDK then accepts its self-signed certificate by itself). The buyer's part
// (sign in, pick address and payment, come back) goes through the
// emulator's control API, /_emulator/..., which is never signed.
//
// Every step is recorded as {step, status, reasonCode?, data}; the Go test
// (emulator_flow_test.go) holds the expectations.
//
// stdin:  {"serviceUrl": "127.0.0.1:PORT", "runs": [{"name", "config", "wrongPrivateKey"}]}
// stdout: {"runs": [{"name", "steps": [...], "error"?}]}
const https = require('https');
const crypto = require('crypto');
const lib = require('./lib');

// control calls the emulator's control API (JSON in, JSON out).
function control(serviceUrl, method, path, body) {
  const [host, port] = serviceUrl.split(':');
  const data = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host, port, method, path, rejectUnauthorized: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = null;
        try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = { raw: text }; }
        resolve({ status: res.statusCode, data: parsed });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

// outcome turns an SDK promise into {status, data}: the SDK resolves with
// the axios response for 2xx and rejects with the axios error otherwise.
async function outcome(promise) {
  try {
    const res = await promise;
    return { status: res.status, data: res.data };
  } catch (e) {
    if (e && e.response) return { status: e.response.status, data: e.response.data };
    throw e;
  }
}

const idem = () => crypto.randomUUID().replace(/-/g, '');

async function flow(serviceUrl, run) {
  const steps = [];
  const record = (step, r) => {
    steps.push({ step, status: r.status, reasonCode: r.data && r.data.reasonCode, data: r.data });
    return r.data || {};
  };
  const config = { ...run.config, overrideServiceUrl: serviceUrl };
  const client = new lib.sdk.WebStoreClient(config);
  const usd = amount => ({ amount, currencyCode: 'USD' });

  let cs = record('createCheckoutSession', await outcome(client.createCheckoutSession({
    webCheckoutDetails: { checkoutReviewReturnUrl: 'https://shop.example/review' },
    storeId: 'amzn1.application-oa2-client.0000000000000000000000000000000',
    merchantMetadata: { merchantReferenceId: 'order-' + run.name.replace(/\W+/g, '-'), merchantStoreName: 'Bäckerei Müller' },
  }, { 'x-amz-pay-idempotency-key': idem() })));
  const csId = cs.checkoutSessionId;
  record('getCheckoutSession', await outcome(client.getCheckoutSession(csId)));

  record('control buyer', await control(serviceUrl, 'POST', `/_emulator/checkoutSessions/${csId}/buyer`, {}));

  record('updateCheckoutSession JPY with decimals', await outcome(client.updateCheckoutSession(csId, {
    paymentDetails: { paymentIntent: 'Authorize', chargeAmount: { amount: '705.50', currencyCode: 'JPY' } },
  })));
  record('updateCheckoutSession', await outcome(client.updateCheckoutSession(csId, {
    webCheckoutDetails: { checkoutResultReturnUrl: 'https://shop.example/result' },
    paymentDetails: { paymentIntent: 'Authorize', chargeAmount: usd('20.00') },
  })));
  record('control confirm', await control(serviceUrl, 'POST', `/_emulator/checkoutSessions/${csId}/confirm`, {}));

  record('completeCheckoutSession wrong amount', await outcome(client.completeCheckoutSession(csId, { chargeAmount: usd('19.99') })));
  cs = record('completeCheckoutSession', await outcome(client.completeCheckoutSession(csId, { chargeAmount: usd('20.00') })));
  const cpId = cs.chargePermissionId;
  const chargeId = cs.chargeId;

  record('getChargePermission', await outcome(client.getChargePermission(cpId)));
  record('captureCharge', await outcome(client.captureCharge(chargeId, { captureAmount: usd('12.00'), softDescriptor: 'BAECKEREI' }, { 'x-amz-pay-idempotency-key': idem() })));
  const refund = record('createRefund', await outcome(client.createRefund({ chargeId, refundAmount: usd('5.00') }, { 'x-amz-pay-idempotency-key': idem() })));
  record('createRefund over the captured amount', await outcome(client.createRefund({ chargeId, refundAmount: usd('100.00') }, { 'x-amz-pay-idempotency-key': idem() })));
  record('control clock', await control(serviceUrl, 'POST', '/_emulator/clock', { advance: '1m' }));
  record('getRefund', await outcome(client.getRefund(refund.refundId)));

  const second = record('createCharge second authorization', await outcome(client.createCharge({
    chargePermissionId: cpId, chargeAmount: usd('5.00'), captureNow: false, canHandlePendingAuthorization: false,
  }, { 'x-amz-pay-idempotency-key': idem() })));
  record('cancelCharge', await outcome(client.cancelCharge(second.chargeId, { cancellationReason: 'Item out of stock' })));
  record('closeChargePermission', await outcome(client.closeChargePermission(cpId, { closureReason: 'Order complete', cancelPendingCharges: false })));
  record('getChargePermission after close', await outcome(client.getChargePermission(cpId)));

  // The same public key id with another private key: the signature cannot verify.
  const forger = new lib.sdk.WebStoreClient({ ...config, privateKey: run.wrongPrivateKey });
  record('getChargePermission bad signature', await outcome(forger.getChargePermission(cpId)));
  return steps;
}

async function main() {
  const input = await lib.readStdinJSON();
  const runs = [];
  for (const run of input.runs) {
    try {
      runs.push({ name: run.name, steps: await flow(input.serviceUrl, run) });
    } catch (e) {
      runs.push({ name: run.name, error: String(e && e.stack || e) });
    }
  }
  lib.writeJSON({ runs });
}

main().catch(e => { console.error(e); process.exit(1); });
