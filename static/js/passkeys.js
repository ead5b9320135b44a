// taskgate passkey buttons (WebAuthn). The only script on any page: served from /static/,
// no inline script, no eval. Markup it understands:
//
//   <meta name="csrf-token" content="…">  (or a form's hidden <input name="csrf_token">)
//   <input id="passkey-name" name="name" maxlength="100">
//   <button type="button" data-passkey="register" data-name-input="#passkey-name">Add a passkey</button>
//   <button type="button" data-passkey="login" data-next="/tasks">Sign in with a passkey</button>
//   <p data-passkey-error role="alert" hidden></p>
//
// Optional on a button: data-error="<selector>" (where its errors go; default: the first
// [data-passkey-error]), data-next (login only; else the form's hidden `next` input, else
// the page's ?next=; only a local path counts, else /tasks), data-redirect (register;
// default /account/passkeys).
//
// Wire format (JSON, cookie session + X-CSRF-Token header):
//   POST /api/auth/passkeys/register/start  {}  -> {"ceremony_id", "publicKey": {…}}
//   POST /api/auth/passkeys/register/finish {"ceremony_id", "name", "credential": {…}}
//   POST /api/auth/passkeys/login/start     {}  -> {"ceremony_id", "publicKey": {…}}
//   POST /api/auth/passkeys/login/finish    {"ceremony_id", "credential": {…}}
// Binary fields travel as base64url without padding. Errors: {"error": {"code", "message"}}.
(function () {
  "use strict";

  var API = "/api/auth/passkeys/";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }

  function csrfToken(button) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var scope = (button.form || button.closest("form")) || document;
    var input = scope.querySelector('input[name="csrf_token"]') ||
      document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function errorBox(button) {
    var sel = button.getAttribute("data-error");
    return (sel && document.querySelector(sel)) || document.querySelector("[data-passkey-error]");
  }

  function showError(button, message) {
    var box = errorBox(button);
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  function localPath(path) {
    return typeof path === "string" && path.charAt(0) === "/" &&
      path.charAt(1) !== "/" && path.charAt(1) !== "\\" ? path : null;
  }

  function nextPath(button) {
    var scope = button.form || button.closest("form") || document;
    var hidden = scope.querySelector('input[name="next"]');
    return localPath(button.getAttribute("data-next")) ||
      localPath(hidden && hidden.value) ||
      localPath(new URLSearchParams(window.location.search).get("next")) || "/tasks";
  }

  function post(button, path, body) {
    return fetch(API + path, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRF-Token": csrfToken(button)
      },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) return data;
        var message = data && data.error && data.error.message;
        if (res.status === 401 && path === "login/finish") {
          message = "This passkey was not accepted here. It may have been removed from your account.";
        }
        throw new Error(message || "The server refused the passkey (" + res.status + ").");
      });
    });
  }

  function explain(err, ceremony) {
    switch (err && err.name) {
      case "NotAllowedError":
        return ceremony === "register"
          ? "No passkey was created: the request was cancelled, timed out, or this device cannot keep a passkey."
          : "No passkey was used: the request was cancelled, timed out, or this device has no passkey for this site.";
      case "InvalidStateError":
        return ceremony === "register"
          ? "This authenticator already holds a passkey for your account."
          : "The passkey could not be used.";
      case "SecurityError":
        return "Passkeys are not available at this address.";
      case "NotSupportedError":
        return "This device cannot create a passkey that works without a username.";
      default:
        return (err && err.message) || "Something went wrong with the passkey.";
    }
  }

  function register(button) {
    var sel = button.getAttribute("data-name-input");
    var input = sel ? document.querySelector(sel) : null;
    var name = input ? input.value.trim() : "";
    if (!name) {
      showError(button, "Give the passkey a name first.");
      if (input) input.focus();
      return Promise.resolve();
    }
    return post(button, "register/start", {}).then(function (start) {
      var options = Object.assign({}, start.publicKey);
      options.challenge = toBuffer(options.challenge);
      options.user = Object.assign({}, options.user, { id: toBuffer(options.user.id) });
      options.excludeCredentials = withIds(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options }).then(function (cred) {
        var transports = cred.response.getTransports ? cred.response.getTransports() : [];
        return post(button, "register/finish", {
          ceremony_id: start.ceremony_id,
          name: name,
          credential: {
            id: cred.id,
            rawId: toText(cred.rawId),
            type: cred.type,
            response: {
              attestationObject: toText(cred.response.attestationObject),
              clientDataJSON: toText(cred.response.clientDataJSON),
              transports: transports
            },
            extensions: cred.getClientExtensionResults()
          }
        });
      });
    }).then(function () {
      window.location.assign(localPath(button.getAttribute("data-redirect")) || "/account/passkeys");
    });
  }

  function login(button) {
    return post(button, "login/start", {}).then(function (start) {
      var options = Object.assign({}, start.publicKey);
      options.challenge = toBuffer(options.challenge);
      options.allowCredentials = withIds(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options }).then(function (cred) {
        return post(button, "login/finish", {
          ceremony_id: start.ceremony_id,
          credential: {
            id: cred.id,
            rawId: toText(cred.rawId),
            type: cred.type,
            response: {
              authenticatorData: toText(cred.response.authenticatorData),
              clientDataJSON: toText(cred.response.clientDataJSON),
              signature: toText(cred.response.signature),
              userHandle: toText(cred.response.userHandle)
            },
            extensions: cred.getClientExtensionResults()
          }
        });
      });
    }).then(function () {
      window.location.assign(nextPath(button));
    });
  }

  var supported = !!(window.PublicKeyCredential && navigator.credentials &&
    window.isSecureContext);

  function onClick(event) {
    var button = event.currentTarget;
    var ceremony = button.getAttribute("data-passkey");
    event.preventDefault();
    if (!supported) {
      showError(button, "This browser cannot use passkeys here.");
      return;
    }
    if (button.disabled) return;
    showError(button, "");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    (ceremony === "register" ? register(button) : login(button))
      .catch(function (err) { showError(button, explain(err, ceremony)); })
      .then(function () {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  }

  function init() {
    var buttons = document.querySelectorAll('[data-passkey="register"], [data-passkey="login"]');
    for (var i = 0; i < buttons.length; i++) buttons[i].addEventListener("click", onClick);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
