/*
 * checkout.js of the apaykit Amazon Pay emulator: a drop-in for Amazon's
 * https://static-*.payments-amazon.com/checkout.js (Checkout v2). Load it
 * from the emulator instead of Amazon and nothing else on the page changes.
 *
 *   amazon.Pay.renderButton(selector, config)  → button {onClick, initCheckout, updateButtonInfo}
 *   amazon.Pay.initCheckout(config)            → start checkout without a button
 *   amazon.Pay.bindChangeAction(selector, {amazonCheckoutSessionId, changeAction})
 *   amazon.Pay.signout()
 *
 * The merchant's page never calls the Amazon Pay API: a signed button is
 * posted as a form to the emulator, which verifies the signature, creates
 * the checkout session and shows its hosted pages.
 */
(function (window, document) {
  'use strict';

  var BASE = (function () {
    var script = document.currentScript;
    var src = script && script.src;
    if (!src) {
      var all = document.getElementsByTagName('script');
      for (var i = all.length - 1; i >= 0; i--) {
        if (/\/checkout\.js(\?|#|$)/.test(all[i].src)) { src = all[i].src; break; }
      }
    }
    try { return new URL(src, window.location.href).origin; } catch (e) { return ''; }
  })();

  var PRODUCT_TYPES = ['PayAndShip', 'PayOnly', 'SignIn', 'PayAndShipMultiAddress'];
  var PLACEMENTS = ['Home', 'Product', 'Cart', 'Checkout', 'Other'];
  var LEDGER_CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'];
  var LANGUAGES = ['en_US', 'en_GB', 'de_DE', 'fr_FR', 'it_IT', 'es_ES', 'ja_JP'];
  var COLORS = {
    Gold: { background: '#FFD814', border: '#FCD200', color: '#0F1111' },
    LightGray: { background: '#E7E9EC', border: '#ADB1B8', color: '#0F1111' },
    DarkGray: { background: '#232F3E', border: '#232F3E', color: '#FFFFFF' }
  };
  var CHANGE_PAGES = { changeAddress: '/checkout/change-address', changePayment: '/checkout/change-payment' };

  function AmazonPayError(message) {
    var e = new Error('amazon.Pay: ' + message);
    e.name = 'AmazonPayError';
    return e;
  }

  function report(err) {
    if (window.console && window.console.error) { window.console.error(err); }
  }

  function oneOf(value, list, name) {
    if (value !== undefined && value !== null && list.indexOf(value) < 0) {
      throw AmazonPayError(name + ' must be one of ' + list.join(', ') + ', not ' + JSON.stringify(value));
    }
  }

  function checkAmount(a, name) {
    if (a === undefined || a === null) { return; }
    if (typeof a !== 'object' || !/^\d+(\.\d+)?$/.test(String(a.amount)) || !/^[A-Z]{3}$/.test(String(a.currencyCode))) {
      throw AmazonPayError(name + ' must look like {amount: "14.00", currencyCode: "USD"}');
    }
  }

  // signedConfig checks createCheckoutSessionConfig / signInConfig.
  function signedConfig(c, name, topKeyId) {
    if (c === undefined || c === null) { return null; }
    if (typeof c !== 'object') { throw AmazonPayError(name + ' must be an object'); }
    var payload = c.payloadJSON;
    if (payload && typeof payload === 'object') { payload = JSON.stringify(payload); }
    if (typeof payload !== 'string' || payload === '') { throw AmazonPayError(name + '.payloadJSON is required'); }
    if (typeof c.signature !== 'string' || c.signature === '') { throw AmazonPayError(name + '.signature is required'); }
    var keyId = c.publicKeyId || topKeyId;
    if (!keyId) { throw AmazonPayError('publicKeyId is required (in the config or in ' + name + ')'); }
    return { payloadJSON: payload, signature: c.signature, publicKeyId: keyId, algorithm: c.algorithm || '' };
  }

  // normalize validates a button or initCheckout config and returns a copy.
  function normalize(config, forButton) {
    if (!config || typeof config !== 'object') { throw AmazonPayError('a config object is required'); }
    if (!config.merchantId) { throw AmazonPayError('merchantId is required'); }
    var c = {
      merchantId: String(config.merchantId),
      publicKeyId: config.publicKeyId || '',
      ledgerCurrency: config.ledgerCurrency,
      checkoutLanguage: config.checkoutLanguage,
      productType: config.productType || 'PayAndShip',
      placement: config.placement,
      buttonColor: config.buttonColor || 'Gold',
      estimatedOrderAmount: config.estimatedOrderAmount,
      sandbox: config.sandbox === true,
      createCheckoutSession: config.createCheckoutSession,
      signed: null
    };
    oneOf(c.productType, PRODUCT_TYPES, 'productType');
    oneOf(c.placement, PLACEMENTS, 'placement');
    oneOf(c.ledgerCurrency, LEDGER_CURRENCIES, 'ledgerCurrency');
    oneOf(c.checkoutLanguage, LANGUAGES, 'checkoutLanguage');
    if (!COLORS[c.buttonColor]) { throw AmazonPayError('buttonColor must be one of Gold, LightGray, DarkGray'); }
    checkAmount(c.estimatedOrderAmount, 'estimatedOrderAmount');
    if (c.productType === 'SignIn') {
      c.signed = signedConfig(config.signInConfig, 'signInConfig', c.publicKeyId);
    } else {
      c.signed = signedConfig(config.createCheckoutSessionConfig, 'createCheckoutSessionConfig', c.publicKeyId);
    }
    if (c.signed || (forButton && !c.createCheckoutSession)) {
      // Checkout v2: ledgerCurrency and placement are required.
      if (!c.ledgerCurrency) { throw AmazonPayError('ledgerCurrency is required'); }
      if (!c.placement) { throw AmazonPayError('placement is required'); }
    }
    var pilot = c.createCheckoutSession;
    if (pilot !== undefined && typeof pilot !== 'string' && typeof pilot !== 'function' && !(pilot && typeof pilot === 'object' && pilot.url)) {
      throw AmazonPayError('createCheckoutSession must be a session id, a function returning one, or {url: …}');
    }
    return c;
  }

  function postForm(action, fields) {
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = action;
    form.acceptCharset = 'UTF-8';
    form.style.display = 'none';
    Object.keys(fields).forEach(function (name) {
      var v = fields[name];
      if (v === undefined || v === null || v === '') { return; }
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = String(v);
      form.appendChild(input);
    });
    (document.body || document.documentElement).appendChild(form);
    form.submit();
  }

  // sessionIdFrom finds a checkout session id in what the merchant's
  // function or URL gave: an id, {checkoutSessionId}, or the sample's
  // {status, response: {checkoutSessionId}} (response possibly a string).
  function sessionIdFrom(v) {
    if (typeof v === 'string') {
      var t = v.trim();
      if (t.charAt(0) === '{') { try { return sessionIdFrom(JSON.parse(t)); } catch (e) { return ''; } }
      return t;
    }
    if (v && typeof v === 'object') {
      if (typeof v.checkoutSessionId === 'string') { return v.checkoutSessionId; }
      if (v.response !== undefined) { return sessionIdFrom(v.response); }
    }
    return '';
  }

  function resolvePilotSession(pilot) {
    if (typeof pilot === 'string') { return Promise.resolve(pilot); }
    if (typeof pilot === 'function') {
      return new Promise(function (resolve) { resolve(pilot()); }).then(sessionIdFrom);
    }
    return window.fetch(pilot.url, {
      method: pilot.method || 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }).then(function (res) {
      if (!res.ok) { throw AmazonPayError('createCheckoutSession url answered ' + res.status); }
      return res.text();
    }).then(sessionIdFrom);
  }

  // start sends the buyer to the emulator's hosted pages.
  function start(c) {
    if (c.signed) {
      postForm(BASE + '/checkout/start', {
        merchantId: c.merchantId,
        publicKeyId: c.signed.publicKeyId,
        algorithm: c.signed.algorithm,
        payloadJSON: c.signed.payloadJSON,
        signature: c.signed.signature,
        productType: c.productType,
        ledgerCurrency: c.ledgerCurrency,
        checkoutLanguage: c.checkoutLanguage,
        placement: c.placement,
        sandbox: c.sandbox ? 'true' : '',
        estimatedOrderAmount: c.estimatedOrderAmount ? c.estimatedOrderAmount.amount + ' ' + c.estimatedOrderAmount.currencyCode : ''
      });
      return Promise.resolve();
    }
    if (c.createCheckoutSession !== undefined) {
      return resolvePilotSession(c.createCheckoutSession).then(function (id) {
        if (!id) { throw AmazonPayError('createCheckoutSession gave no checkout session id'); }
        var q = '?amazonCheckoutSessionId=' + encodeURIComponent(id) + '&merchantId=' + encodeURIComponent(c.merchantId);
        if (c.ledgerCurrency) { q += '&ledgerCurrency=' + encodeURIComponent(c.ledgerCurrency); }
        window.location.assign(BASE + '/checkout/signin' + q);
      });
    }
    return Promise.reject(AmazonPayError('no createCheckoutSessionConfig: call initCheckout from onClick'));
  }

  function label(c) {
    if (c.productType === 'SignIn') { return 'Sign in with Amazon'; }
    return 'Amazon Pay';
  }

  function renderButton(selector, config) {
    var host = typeof selector === 'string' ? document.querySelector(selector) : selector;
    if (!host) { throw AmazonPayError('no element matches ' + selector); }
    var c = normalize(config, true);
    var colors = COLORS[c.buttonColor];
    var btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'amazonpay-button';
    btn.setAttribute('data-product-type', c.productType);
    btn.setAttribute('data-emulator', BASE);
    btn.setAttribute('aria-label', label(c) + (c.sandbox || /^SANDBOX-/i.test(c.publicKeyId || (c.signed && c.signed.publicKeyId) || '') ? ' (sandbox)' : ''));
    btn.style.cssText = 'display:inline-flex;align-items:center;justify-content:center;gap:.35em;min-width:200px;min-height:45px;' +
      'padding:0 1em;border-radius:6px;border:1px solid ' + colors.border + ';background:' + colors.background + ';color:' + colors.color +
      ';font:600 16px/1 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;cursor:pointer;';
    var word = document.createElement('span');
    word.textContent = c.productType === 'SignIn' ? 'Sign in with' : 'amazon';
    word.style.fontWeight = '700';
    var rest = document.createElement('span');
    rest.textContent = c.productType === 'SignIn' ? 'Amazon' : 'pay';
    btn.appendChild(word);
    btn.appendChild(rest);
    if (c.estimatedOrderAmount) {
      btn.setAttribute('data-estimated-order-amount', c.estimatedOrderAmount.amount + ' ' + c.estimatedOrderAmount.currencyCode);
    }
    while (host.firstChild) { host.removeChild(host.firstChild); }
    host.appendChild(btn);

    var clickHandler = null;
    var busy = false;
    function go(cfg) {
      if (busy) { return Promise.resolve(); }
      busy = true;
      btn.setAttribute('aria-busy', 'true');
      return start(cfg).catch(function (err) {
        busy = false;
        btn.removeAttribute('aria-busy');
        report(err);
      });
    }
    btn.addEventListener('click', function (ev) {
      ev.preventDefault();
      if (clickHandler) {
        try { clickHandler(ev); } catch (err) { report(err); }
        return;
      }
      go(c);
    });

    return {
      // onClick replaces the default click: the merchant calls initCheckout.
      onClick: function (fn) {
        if (typeof fn !== 'function') { throw AmazonPayError('onClick needs a function'); }
        clickHandler = fn;
      },
      // initCheckout starts checkout with (more) config, e.g. a
      // createCheckoutSessionConfig signed at click time.
      initCheckout: function (more) {
        var merged = {};
        Object.keys(config).forEach(function (k) { merged[k] = config[k]; });
        Object.keys(more || {}).forEach(function (k) { merged[k] = more[k]; });
        if (!merged.estimatedOrderAmount && c.estimatedOrderAmount) { merged.estimatedOrderAmount = c.estimatedOrderAmount; }
        return go(normalize(merged, false));
      },
      // updateButtonInfo changes the estimated order amount.
      updateButtonInfo: function (amount) {
        checkAmount(amount, 'estimatedOrderAmount');
        if (!amount) { throw AmazonPayError('updateButtonInfo needs {amount, currencyCode}'); }
        c.estimatedOrderAmount = { amount: String(amount.amount), currencyCode: String(amount.currencyCode) };
        btn.setAttribute('data-estimated-order-amount', c.estimatedOrderAmount.amount + ' ' + c.estimatedOrderAmount.currencyCode);
      }
    };
  }

  function initCheckout(config) {
    return start(normalize(config, false)).catch(report);
  }

  function bindChangeAction(selector, opts) {
    if (!opts || !opts.amazonCheckoutSessionId) { throw AmazonPayError('bindChangeAction needs amazonCheckoutSessionId'); }
    var path = CHANGE_PAGES[opts.changeAction];
    if (!path) { throw AmazonPayError('changeAction must be changeAddress or changePayment'); }
    var els = typeof selector === 'string' ? document.querySelectorAll(selector) : [selector];
    if (!els.length || !els[0]) { throw AmazonPayError('no element matches ' + selector); }
    var target = BASE + path + '?amazonCheckoutSessionId=' + encodeURIComponent(opts.amazonCheckoutSessionId);
    Array.prototype.forEach.call(els, function (el) {
      var tag = el.tagName;
      if (tag !== 'BUTTON' && tag !== 'A' && tag !== 'INPUT') {
        el.setAttribute('role', 'button');
        if (!el.hasAttribute('tabindex')) { el.setAttribute('tabindex', '0'); }
        el.addEventListener('keydown', function (ev) {
          if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); window.location.assign(target); }
        });
      }
      el.addEventListener('click', function (ev) {
        ev.preventDefault();
        window.location.assign(target);
      });
    });
  }

  function signout() {
    if (!window.fetch) { return Promise.resolve(); }
    return window.fetch(BASE + '/checkout/signout', { method: 'POST', mode: 'no-cors', credentials: 'include', keepalive: true })
      .then(function () {}, report);
  }

  window.amazon = window.amazon || {};
  window.amazon.Pay = {
    renderButton: renderButton,
    initCheckout: initCheckout,
    bindChangeAction: bindChangeAction,
    signout: signout
  };
})(window, document);
