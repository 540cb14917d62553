// Passkeys on the hosted pages (issue #5): the one script they run, from our origin (CSP script-src 'self').
//
// A passkey form is <form data-passkey-mode="login|mfa|register" data-options-url="…/options" method="post" action="…">
// holding <input type="hidden" name="credential"> and the CSRF field; pressing its [data-passkey-button] (or submitting
// it) fetches the options, asks the browser (navigator.credentials.get or create), puts the answer in `credential` as
// JSON and submits the form, so the server answers as for any form: a redirect or the page with an error. Other
// fields of the form (a passkey name, "remember this browser") go with it. Problems in the browser are shown in the
// form's [data-passkey-error] element, or in one the script adds before the button, in the page's language: the form
// carries the texts as data-passkey-text-* attributes. A form the script has taken over carries data-passkey-ready.
// On a login form, where the browser supports it, passkeys are also offered in the autofill of the field marked
// autocomplete="… webauthn" (conditional mediation).
(function () {
  'use strict';

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = '';
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function fromBase64url(value) {
    var base64 = value.replace(/-/g, '+').replace(/_/g, '/');
    var text = atob(base64 + '===='.slice(base64.length % 4 || 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return { type: c.type, id: fromBase64url(c.id), transports: c.transports }; });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json, { challenge: fromBase64url(json.challenge), excludeCredentials: descriptors(json.excludeCredentials) });
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    return options;
  }

  function requestOptions(json) {
    return Object.assign({}, json, { challenge: fromBase64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) });
  }

  function credentialJson(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type, response: response,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    });
  }

  /** a message in the page's language: the form carries them, rendered from the catalogue (partials/passkey-texts.ejs) */
  function text(form, name) {
    return form.getAttribute('data-passkey-text-' + name) || form.getAttribute('data-passkey-text-failed') || '';
  }

  function messageFor(error, mode, form) {
    if (error && error.passkeyMessage) return error.passkeyMessage;
    var name = error && error.name;
    if (name === 'NotAllowedError') return text(form, 'cancelled');
    if (name === 'InvalidStateError' && mode === 'register') return text(form, 'already-held');
    if (name === 'SecurityError') return text(form, 'wrong-address');
    return text(form, 'failed');
  }

  function fetchOptions(url, form) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.ok) return body;
        var error = new Error('options');
        error.passkeyMessage = body.message || text(form, 'unavailable');
        throw error;
      });
    });
  }

  function setUp(form) {
    var mode = form.getAttribute('data-passkey-mode');
    var url = form.getAttribute('data-options-url');
    var field = form.querySelector('input[name="credential"]');
    var button = form.querySelector('[data-passkey-button]') || form.querySelector('button');
    if (!url || !field || (mode !== 'login' && mode !== 'mfa' && mode !== 'register')) return;
    var busy = false;
    var conditional = null;

    function showError(text) {
      var box = form.querySelector('[data-passkey-error]');
      if (!box) {
        box = document.createElement('p');
        box.className = 'error';
        box.setAttribute('role', 'alert');
        box.setAttribute('data-passkey-error', '');
        form.insertBefore(box, button);
      }
      box.textContent = text;
      box.hidden = false;
    }

    function send(credential) {
      field.value = credentialJson(credential);
      HTMLFormElement.prototype.submit.call(form);
    }

    function run() {
      if (busy) return;
      if (!window.PublicKeyCredential || !navigator.credentials) return showError(text(form, 'unsupported'));
      busy = true;
      if (button) button.disabled = true;
      if (conditional) conditional.abort();
      fetchOptions(url, form).then(function (json) {
        return mode === 'register'
          ? navigator.credentials.create({ publicKey: creationOptions(json) })
          : navigator.credentials.get({ publicKey: requestOptions(json) });
      }).then(function (credential) {
        if (!credential) throw new Error('no credential');
        send(credential);
      }).catch(function (error) {
        busy = false;
        if (button) button.disabled = false;
        showError(messageFor(error, mode, form));
      });
    }

    /** passkeys offered in the username field's autofill; a choice there signs in like the button */
    function offerInAutofill() {
      if (mode !== 'login' || !window.PublicKeyCredential || !PublicKeyCredential.isConditionalMediationAvailable) return;
      if (!document.querySelector('input[autocomplete$="webauthn"]')) return;
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available || busy) return;
        var controller = new AbortController();
        conditional = controller;
        return fetchOptions(url, form).then(function (json) {
          return navigator.credentials.get({ publicKey: requestOptions(json), mediation: 'conditional', signal: controller.signal });
        }).then(function (credential) {
          if (credential && !busy) {
            busy = true;
            send(credential);
          }
        });
      }).catch(function () { /* aborted for the button, or not offered: the button still works */ });
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      run();
    });
    if (button && button.type === 'button') button.addEventListener('click', run);
    offerInAutofill();
    form.setAttribute('data-passkey-ready', '');
  }

  function start() {
    var forms = document.querySelectorAll('form[data-passkey-mode]');
    for (var i = 0; i < forms.length; i++) setUp(forms[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
