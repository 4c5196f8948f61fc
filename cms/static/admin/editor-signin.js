/* Signing in again without leaving the editor (issue 16.7).
 *
 * When a save finds the author signed out (elsewhere, or the session ran out),
 * editor.js sends "editor:signed-out" on the form; this shows a dialog with
 * the site's password form, posted to /login by fetch, so the editor and its
 * text stay on screen. Once signed in it sends "editor:signed-in" and
 * editor.js saves. Another way (Google, the platform account) opens the
 * sign-in page in a new tab; Save again afterwards. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !window.fetch || !window.DOMParser) return;
  var dialog = null, error = null, email = null, password = null, button = null;

  function cookieToken() {
    var match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) node.textContent = text;
    return node;
  }
  function label(text, input) {
    var node = element("label", {}, text + " ");
    node.appendChild(input);
    return node;
  }

  function build() {
    dialog = element("dialog", {id: "sign-in-again", "aria-labelledby": "sign-in-again-title", "class": "sign-in-again"});
    dialog.appendChild(element("h2", {id: "sign-in-again-title"}, "You are signed out"));
    dialog.appendChild(element("p", {}, "You were signed out, here or on another device. Your text is still in the " +
      "editor (and kept in this browser). Sign in to save it."));
    error = element("p", {"class": "alert error", role: "alert", hidden: ""});
    dialog.appendChild(error);
    var signIn = element("form", {method: "post", action: "/login", "class": "stack"});
    email = element("input", {type: "email", name: "email", autocomplete: "username", required: ""});
    password = element("input", {type: "password", name: "password", autocomplete: "current-password", required: ""});
    button = element("button", {type: "submit", "class": "button primary"}, "Sign in and save");
    var cancel = element("button", {type: "button", "class": "button"}, "Not now");
    signIn.appendChild(label("E-mail", email));
    signIn.appendChild(label("Password", password));
    signIn.appendChild(button);
    signIn.appendChild(cancel);
    dialog.appendChild(signIn);
    var elsewhere = element("p", {"class": "small"});
    elsewhere.appendChild(element("a", {href: "/login?next=" + encodeURIComponent("/admin/"), target: "_blank",
                                        rel: "noopener"}, "Sign in another way (in a new tab)"));
    elsewhere.appendChild(document.createTextNode(", then Save again."));
    dialog.appendChild(elsewhere);
    document.body.appendChild(dialog);
    signIn.addEventListener("submit", function (event) { event.preventDefault(); send(); });
    cancel.addEventListener("click", function () { dialog.close(); });
  }

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    button.disabled = false;
    password.focus();
  }

  function send() {
    button.disabled = true;
    error.hidden = true;
    /* The XSRF cookie may be gone with the others: the sign-in page sets a new one. */
    var ready = cookieToken() ? Promise.resolve() : fetch("/login", {credentials: "same-origin"});
    ready.then(function () {
      var data = new FormData();
      data.append("_xsrf", cookieToken());
      data.append("email", email.value);
      data.append("password", password.value);
      data.append("next", location.pathname);
      return fetch("/login", {method: "POST", body: data, credentials: "same-origin"});
    }).then(function (response) {
      var landed = new URL(response.url, location.href).pathname;
      if (response.ok && landed !== "/login") {
        password.value = "";
        button.disabled = false;
        dialog.close();
        form.dispatchEvent(new CustomEvent("editor:signed-in"));
        return null;
      }
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var said = page.querySelector(".alert.error");
        fail(said ? said.textContent.trim() : "Could not sign in (HTTP " + response.status + "). Try again.");
      });
    }).catch(function () {
      fail("The server cannot be reached just now. Try again in a moment.");
    });
  }

  form.addEventListener("editor:signed-out", function (event) {
    if (!event.detail || !event.detail.save) return;  /* an autosave only says so in the status */
    if (!dialog) build();
    if (dialog.open) return;
    error.hidden = true;
    dialog.showModal();
    (email.value ? password : email).focus();
  });
})();
