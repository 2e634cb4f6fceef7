'use strict';
// Helpers shared by apaykit's interop scripts. Every script reads one JSON
// document on stdin and writes one JSON document on stdout; the Go tests in
// this directory build the input and check the output.
//
// The official SDK is used unmodified. To see exactly what it signs, these
// helpers (1) freeze the global clock the SDK reads for x-amz-pay-date and
// (2) watch node:crypto while a call runs, recording every buffer hashed and
// every string signed. Nothing of the SDK's code is copied here.

const crypto = require('crypto');
const axios = require('axios');
const sdk = require('@amazonpay/amazon-pay-api-sdk-nodejs');

const SALT = { 'AMZN-PAY-RSASSA-PSS': 20, 'AMZN-PAY-RSASSA-PSS-V2': 32 };

async function readStdinJSON() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function writeJSON(v) {
  process.stdout.write(JSON.stringify(v) + '\n');
}

// withFrozenClock runs fn with `new Date()` and Date.now() returning iso.
function withFrozenClock(iso, fn) {
  if (!iso) return fn();
  const Real = Date;
  const fixed = new Real(iso).getTime();
  class Frozen extends Real {
    constructor(...args) {
      if (args.length === 0) super(fixed); else super(...args);
    }
    static now() { return fixed; }
  }
  global.Date = Frozen;
  try { return fn(); } finally { global.Date = Real; }
}

// watchCrypto runs fn and returns what the SDK hashed and signed meanwhile:
// hashed is a list of the inputs to createHash(...).update, signed the
// inputs to createSign(...).update.
function watchCrypto(fn) {
  const hashed = [];
  const signed = [];
  const origHash = crypto.createHash;
  const origSign = crypto.createSign;
  const tap = (obj, into) => {
    const update = obj.update;
    obj.update = function (data, enc) {
      into.push(typeof data === 'string' ? Buffer.from(data, enc || 'utf8') : Buffer.from(data));
      return update.call(this, data, enc);
    };
    return obj;
  };
  crypto.createHash = function (...args) { return tap(origHash.apply(crypto, args), hashed); };
  crypto.createSign = function (...args) { return tap(origSign.apply(crypto, args), signed); };
  try {
    return { result: fn(), hashed, signed };
  } finally {
    crypto.createHash = origHash;
    crypto.createSign = origSign;
  }
}

// signature details of one SDK signing: the string to sign and the
// canonical request it hashes (the hashed input whose SHA-256 the string to
// sign carries).
function signingDetails(watched) {
  if (watched.signed.length !== 1) {
    throw new Error(`expected one signature, saw ${watched.signed.length}`);
  }
  const stringToSign = watched.signed[0].toString('utf8');
  const digest = stringToSign.split('\n')[1];
  const canonical = watched.hashed.find(b => crypto.createHash('sha256').update(b).digest('hex') === digest);
  return { stringToSign, canonicalRequest: canonical === undefined ? null : canonical.toString('utf8') };
}

function newClient(config, kind) {
  const Client = kind === 'instore' ? sdk.InStoreClient : sdk.WebStoreClient;
  return new Client(config);
}

// verifyPSS checks a base64 signature over text the way the SDK signs:
// RSA-SHA256 with PSS padding and the algorithm's salt length.
function verifyPSS(publicKeyPEM, algorithm, text, signatureB64, saltLength) {
  const v = crypto.createVerify('RSA-SHA256');
  v.update(text);
  return v.verify({
    key: publicKeyPEM,
    padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
    saltLength: saltLength === undefined ? SALT[algorithm] : saltLength,
  }, signatureB64, 'base64');
}

// parseAuthorization splits "ALG PublicKeyId=..., SignedHeaders=..., Signature=...".
function parseAuthorization(v) {
  const sp = v.indexOf(' ');
  const out = { algorithm: v.slice(0, sp) };
  for (const part of v.slice(sp + 1).split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

// flip returns the base64 signature with one bit of its first byte changed.
function flip(signatureB64) {
  const b = Buffer.from(signatureB64, 'base64');
  b[0] ^= 1;
  return b.toString('base64');
}

// runCall makes one SDK call with the clock frozen at c.now and the HTTP
// layer replaced by a recorder, so nothing is sent. c is
// {"config", "client"?: "webstore"|"instore", "now", "call": {"fn", "args"}};
// fn is any client method (createCheckoutSession, apiCall, ...) or
// getSignedHeaders. It resolves to the request as the SDK hands it to axios
// ({method, url, headers, body}) plus the canonical request and string to
// sign the SDK computed.
async function runCall(c) {
  let sent = null;
  const realRequest = axios.request;
  axios.request = async (options) => { sent = options; return { status: 200, data: {}, headers: {} }; };
  try {
    const client = newClient(c.config, c.client);
    const args = c.call.args || [];
    const watched = withFrozenClock(c.now, () => watchCrypto(() => client[c.call.fn](...args)));
    let request;
    if (c.call.fn === 'getSignedHeaders') {
      // Manual signing returns headers only; the caller sends them to
      // https://<x-amz-pay-host>/<urlFragment>, the fragment as the SDK
      // prepared it (prepareOptions updates the options object in place).
      const opts = args[0];
      request = {
        method: opts.method,
        url: `https://${watched.result['x-amz-pay-host']}/${opts.urlFragment}`,
        headers: watched.result,
        body: opts.payload === undefined ? null : opts.payload,
      };
    } else {
      await watched.result;
      request = { method: sent.method, url: sent.url, headers: sent.headers, body: sent.data === undefined ? null : sent.data };
    }
    return { request, ...signingDetails(watched) };
  } finally {
    axios.request = realRequest;
  }
}

module.exports = {
  sdk, runCall,
  SALT, readStdinJSON, writeJSON, withFrozenClock, watchCrypto, signingDetails,
  newClient, verifyPSS, parseAuthorization, flip,
};
