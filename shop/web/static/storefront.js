// storefront.js renders the Amazon Pay buttons and binds the change actions
// of the page from data attributes the server wrote (no inline script, so the
// Content-Security-Policy can forbid it). It needs checkout.js loaded first.
(function () {
  'use strict';
  var pay = window.amazon && window.amazon.Pay;
  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }
  each('[data-amazon-pay-button]', function (el) {
    if (!pay) {
      el.textContent = 'Amazon Pay could not be loaded. Please reload the page.';
      return;
    }
    try {
      pay.renderButton('#' + el.id, JSON.parse(el.getAttribute('data-amazon-pay-button')));
    } catch (err) {
      el.textContent = 'Amazon Pay could not be shown: ' + err.message;
    }
  });
  each('[data-amazon-pay-change]', function (el) {
    if (!pay) {
      el.disabled = true;
      return;
    }
    pay.bindChangeAction('#' + el.id, {
      amazonCheckoutSessionId: el.getAttribute('data-checkout-session-id'),
      changeAction: el.getAttribute('data-amazon-pay-change')
    });
  });
})();
