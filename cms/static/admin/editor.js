/* The post editor: slug from title, live preview over a WebSocket, autosave, saving.
 * Autosave posts the typed text (never the status) every few seconds while
 * typing and once more when the page is left; it carries the XSRF token both
 * as the _xsrf field and as the X-XSRFToken header. Save goes the same way
 * (fetch, a JSON answer, then the saved page is loaded): a server that cannot
 * be reached never replaces the editor with the browser's error page. Without
 * JavaScript the form posts as a plain form. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var xsrf = form.querySelector("input[name=_xsrf]").value;
  var title = form.elements.title, slug = form.elements.slug, body = form.elements.markdown;
  var autosaveStatus = document.getElementById("autosave-status");
  var previewStatus = document.getElementById("preview-status");
  var frame = document.getElementById("preview");
  var AUTOSAVE_MS = 3000, PREVIEW_MS = 250;
  var dirty = false, submitting = false, autosaveTimer = null, previewTimer = null;
  /* The XSRF token: the cookie's (a sign-in in another tab may have renewed it), else the form's. */
  function token() {
    var match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : xsrf;
  }
  /* The save status is spoken (aria-live): set only when what it says changes. */
  function tell(text, state) {
    if (autosaveStatus.textContent !== text) autosaveStatus.textContent = text;
    autosaveStatus.dataset.state = state;
  }

  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  }
  slug.addEventListener("input", function () { slug.dataset.touched = slug.value ? "yes" : ""; });
  title.addEventListener("input", function () {
    if (slug.dataset.touched !== "yes") slug.value = slugify(title.value);
  });

  /* Every field of the post but its status (an autosave never publishes): restoring
   * it must give back the featured image, author and schedule as well as the text. */
  var KEPT_FIELDS = ["title", "slug", "markdown", "tags", "custom_excerpt", "publish_at",
                     "featured_image", "featured_alt", "featured_caption", "author_id", "comments_closed"];
  function valueOf(name) {
    var field = form.elements[name];
    if (!field) return null;  /* not on this form (the author select is for editors) */
    return field.type === "checkbox" ? (field.checked ? "1" : "") : field.value;
  }
  function textFields(withText) {
    var data = new FormData();
    data.append("_xsrf", token());
    data.append("tab", form.elements.tab ? form.elements.tab.value : "");  /* this page's own copy (issue 16.12) */
    KEPT_FIELDS.forEach(function (name) {
      var value = valueOf(name);
      if (value !== null && (withText || name !== "markdown")) data.append(name, value);
    });
    return data;
  }

  /* The server's autosave copy as this page knows it: its rev and its text. The
   * text goes as a patch against it (a few bytes even in a 20,000-word post, so
   * the copy sent as the tab closes fits a beacon); whole when there is none,
   * or when the server says its copy is another (409). The saved post is the
   * first copy ("v<version>") when the editor shows its text. */
  var known = {rev: form.dataset.base || "", text: body.value}, pending = null;
  function newRev() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }
  function isHigh(code) { return code >= 0xD800 && code <= 0xDBFF; }
  function isLow(code) { return code >= 0xDC00 && code <= 0xDFFF; }
  function characters(text) {  /* code points, as the server (Python) counts */
    var n = 0;
    for (var i = 0; i < text.length; i++) if (!isLow(text.charCodeAt(i))) n++;
    return n;
  }
  function splice(before, after) {
    var start = 0, most = Math.min(before.length, after.length);
    while (start < most && before.charCodeAt(start) === after.charCodeAt(start)) start++;
    if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;  /* never half a character */
    var endBefore = before.length, endAfter = after.length;
    while (endBefore > start && endAfter > start &&
           before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) { endBefore--; endAfter--; }
    if (endBefore < before.length && isLow(before.charCodeAt(endBefore))) { endBefore++; endAfter++; }
    return JSON.stringify({at: characters(before.slice(0, start)), cut: characters(before.slice(start, endBefore)),
                           put: after.slice(start, endAfter), length: characters(after)});
  }
  /* The request that keeps ``text`` as ``rev``: a patch of ``from`` when it names a copy. */
  function copyOf(from, text, rev) {
    var data = textFields(!from.rev);
    if (from.rev) {
      data.append("base", from.rev);
      data.append("patch", splice(from.text, text));
    }
    data.append("rev", rev);
    return data;
  }

  function autosave() {
    autosaveTimer = null;
    if (!dirty || submitting || saving || signedOutNow) return;
    if (pending) { schedule(); return; }  /* one at a time: each patches the one before */
    dirty = false;
    var sent = {rev: newRev(), text: body.value};
    pending = sent;
    tell("Saving draft\u2026", "saving-draft");
    fetch(form.dataset.autosave, {
      method: "POST", body: copyOf(known, sent.text, sent.rev), credentials: "same-origin",
      headers: {"X-XSRFToken": token(), "Accept": "application/json"}
    }).then(function (response) {
      if (response.ok) {
        return response.json().then(function (answer) { known = sent; pending = null; return answer; });
      }
      pending = null;
      return refusal(response).then(function (answer) {
        if (isSignedOut(answer)) { dirty = true; signedOut(false, answer.error); return null; }
        if (answer.code === "stale") {  /* the server holds another copy: the text goes whole */
          known = {rev: "", text: ""};
          dirty = true;
          autosave();
          return null;
        }
        throw new Error("HTTP " + response.status);
      });
    }).then(function (answer) {
      if (!answer) return;
      tell("Unsaved changes kept at " + answer.saved_at, "saved");
    }).catch(function (error) {
      pending = null;
      dirty = true;
      tell("Could not keep your changes (" + error.message + "); retrying\u2026", "error");
      schedule();
    });
  }
  function refusal(response) { return response.json().catch(function () { return {}; }); }
  function isSignedOut(answer) { return answer.code === "signed_out" || answer.code === "xsrf"; }

  /* Signed out (elsewhere, or the session ran out): nothing is sent until the author
   * signs in again, in place (editor-signin.js answers "editor:signed-out" with a
   * dialog and sends "editor:signed-in"); the text stays here and in localStorage. */
  var signedOutNow = false, saveAfterSignIn = false;
  function signedOut(fromSave, message) {
    signedOutNow = true;
    if (fromSave) { saving = false; saveAfterSignIn = true; }
    tell("You are signed out \u2014 sign in to save. Your text is kept.", "signed-out");
    form.dispatchEvent(new CustomEvent("editor:signed-out", {detail: {save: fromSave, message: message || ""}}));
  }
  /* Back from signing in another way (a new tab): the autosave tries again. */
  window.addEventListener("focus", function () {
    if (signedOutNow) { signedOutNow = false; if (dirty) schedule(); }
  });
  form.addEventListener("editor:signed-in", function () {
    signedOutNow = false;
    if (saveAfterSignIn) {
      saveAfterSignIn = false;
      saving = true;
      saveDelay = SAVE_RETRY_FIRST;
      tell("Saving\u2026", "saving");
      saveNow();
    } else if (dirty) {
      autosave();
    } else {
      tell("Signed in again.", "signed-in");
    }
  });
  function schedule() { if (!autosaveTimer) autosaveTimer = setTimeout(autosave, AUTOSAVE_MS); }

  function leaving() {
    /* A save still retrying has not reached the server: the autosave copy goes, at least. */
    if ((dirty || saving) && !submitting && navigator.sendBeacon) {
      /* Against the copy last sent (it normally lands before this): a patch of the last words. */
      var from = pending || known, rev = newRev();
      if (navigator.sendBeacon(form.dataset.autosave, copyOf(from, body.value, rev))) {
        known = {rev: rev, text: body.value};
        pending = null;
        dirty = false;
      }
    }
  }
  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") leaving(); });

  /* --- Save: by fetch, retried with a growing pause while the server cannot be reached.
   * A conflict or a refusal (4xx) is the server's page to show: the form is then
   * posted as a plain form, which shows it as without JavaScript. */
  var RETRYING = "Not saved yet \u2014 retrying", SAVE_RETRY_FIRST = 1000, SAVE_RETRY_MAX = 15000;
  var saving = false, saveTimer = null, saveDelay = SAVE_RETRY_FIRST, typedWhileSaving = false;
  function postPlainly() {
    submitting = true;
    HTMLFormElement.prototype.submit.call(form);
  }
  /* Saved: load the saved page. What was typed while the save was on its way is not in
   * it: it is kept first (this browser's copy, offered back, and the server's autosave). */
  function savedThen(url) {
    submitting = true;
    if (!typedWhileSaving) { location.assign(url); return; }
    if (localTimer) clearTimeout(localTimer);
    keepLocal();
    try { sessionStorage.removeItem("cms-submitted"); } catch (e) { /* storage unavailable */ }
    fetch(form.dataset.autosave, {
      method: "POST", body: copyOf({rev: ""}, body.value, newRev()), credentials: "same-origin",
      headers: {"X-XSRFToken": token(), "Accept": "application/json"}
    }).catch(function () { /* the browser's copy is kept */ }).then(function () { location.assign(url); });
  }
  function saveNow() {
    saveTimer = null;
    var data = new FormData(form), sent = token();  /* every field, the status too */
    data.set("_xsrf", sent);
    if (form.dataset.tab) data.set("tab", form.dataset.tab);  /* not told of its own save (editor-presence.js) */
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-XSRFToken": sent, "Accept": "application/json"}
    }).then(function (response) {
      if (response.status >= 500) throw new Error("HTTP " + response.status);
      return refusal(response).then(function (answer) {
        if (response.ok && answer.url) {
          savedThen(answer.url);
        } else if (answer.code === "xsrf" && token() !== sent) {
          saveNow();  /* the token was renewed meanwhile (a sign-in in another tab) */
        } else if (isSignedOut(answer)) {
          signedOut(true, answer.error);
        } else {
          postPlainly();
        }
      });
    }).catch(function () {
      /* Unreachable or failing: keep the editor, say so once, try again a little later. */
      tell(RETRYING, "error");
      saveTimer = setTimeout(saveNow, saveDelay);
      saveDelay = Math.min(saveDelay * 2, SAVE_RETRY_MAX);
    });
  }
  form.addEventListener("submit", function (event) {
    if (submitting || !window.fetch || !window.FormData) { submitting = true; return; }
    event.preventDefault();
    if (saving) return;  /* one save at a time; the retry sends the text as it is then */
    saving = true;
    typedWhileSaving = false;
    saveDelay = SAVE_RETRY_FIRST;
    tell("Saving\u2026", "saving");
    saveNow();
  });
  window.addEventListener("online", function () {
    if (saveTimer) { clearTimeout(saveTimer); saveNow(); }
  });

  /* Enter in a one-line field (title, slug, tags, image fields) never submits the
   * form: with the status at Published it would publish a half-typed post. Only
   * the Save button (or Enter on it) saves. */
  form.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key === "Enter" && field.tagName === "INPUT" && field.type !== "submit" && field.type !== "button") {
      event.preventDefault();
    }
  });

  /* --- live preview --- */
  var socket = null, seq = 0, backoff = 500;
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/admin/preview");
    socket.onopen = function () { backoff = 500; previewStatus.textContent = "live"; sendPreview(); };
    socket.onmessage = function (event) {
      var answer = JSON.parse(event.data);
      if (answer.seq === seq) { frame.srcdoc = answer.html; previewStatus.textContent = "live"; }
    };
    socket.onclose = function () {
      previewStatus.textContent = "reconnecting…";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }
  function sendPreview() {
    previewTimer = null;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    seq += 1;
    socket.send(JSON.stringify({
      seq: seq, kind: form.dataset.kind, title: title.value, markdown: body.value,
      tags: form.elements.tags.value, custom_excerpt: form.elements.custom_excerpt.value,
      publish_at: form.elements.publish_at.value, post_id: form.action.split("/").pop(),
      author_id: form.elements.author_id ? form.elements.author_id.value : "",
      /* the featured image as typed, not as saved (issue 16.13) */
      featured_image: form.elements.featured_image.value, featured_alt: form.elements.featured_alt.value,
      featured_caption: form.elements.featured_caption.value
    }));
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "state") return;
    dirty = true;
    if (saving) typedWhileSaving = true;
    else tell("Editing…", "dirty");  /* a save retrying keeps saying so */
    schedule();
    if (!previewTimer) previewTimer = setTimeout(sendPreview, PREVIEW_MS);
  });
  if (window.WebSocket) connect();

  /* --- a copy in this browser (localStorage), on top of the server autosave:
   * if the server cannot be reached, the text typed is offered back the next
   * time this editor opens. Dropped once the text it holds has been saved. */
  var LOCAL_KEY = "cms-unsaved:" + location.host + form.dataset.autosave;
  var TEXT_FIELDS = KEPT_FIELDS.filter(function (name) { return valueOf(name) !== null; });
  var localTimer = null;
  function readLocal() {
    try { return JSON.parse(localStorage.getItem(LOCAL_KEY) || "null"); } catch (e) { return null; }
  }
  function dropLocal() { try { localStorage.removeItem(LOCAL_KEY); } catch (e) { /* private mode */ } }
  function keepLocal() {
    localTimer = null;
    var copy = {at: new Date().toLocaleString(), ts: Date.now()};  /* ts: editor-review.js says it in the site's clock */
    TEXT_FIELDS.forEach(function (name) { copy[name] = valueOf(name); });
    try { localStorage.setItem(LOCAL_KEY, JSON.stringify(copy)); } catch (e) { /* full or private mode */ }
  }
  function sameAsForm(copy) {
    /* a copy from before a field was kept leaves it out: that field is not a difference */
    return TEXT_FIELDS.every(function (name) { return !(name in copy) || (copy[name] || "") === valueOf(name); });
  }
  form.addEventListener("input", function (event) {
    if (event.target.name === "state") return;
    if (!localTimer) localTimer = setTimeout(keepLocal, 300);
  });
  form.addEventListener("submit", function () {
    if (localTimer) { clearTimeout(localTimer); keepLocal(); }
    try { sessionStorage.setItem("cms-submitted", LOCAL_KEY); } catch (e) { /* ignore */ }
  });
  try {
    if (/[?&]saved=1/.test(location.search) && sessionStorage.getItem("cms-submitted")) {
      localStorage.removeItem(sessionStorage.getItem("cms-submitted"));
      sessionStorage.removeItem("cms-submitted");
    }
  } catch (e) { /* storage unavailable */ }
  var copy = readLocal();
  if (copy && sameAsForm(copy)) dropLocal();
  else if (copy) {
    var offer = document.createElement("div");
    offer.className = "alert warn";
    offer.id = "local-copy";
    offer.setAttribute("role", "status");
    offer.textContent = "This browser kept text you typed at " + copy.at + " that was never saved. ";
    var restore = document.createElement("button");
    restore.type = "button"; restore.className = "button"; restore.textContent = "Restore it";
    var discard = document.createElement("button");
    discard.type = "button"; discard.className = "link"; discard.textContent = " Discard";
    offer.appendChild(restore); offer.appendChild(discard);
    form.parentNode.insertBefore(offer, form);
    restore.addEventListener("click", function () {
      TEXT_FIELDS.forEach(function (name) {
        if (!(name in copy)) return;
        var field = form.elements[name];
        if (field.type === "checkbox") field.checked = copy[name] === "1";
        else field.value = copy[name] || "";
      });
      if (copy.slug) slug.dataset.touched = "yes";
      offer.remove();
      body.dispatchEvent(new Event("input", {bubbles: true}));
    });
    discard.addEventListener("click", function () { dropLocal(); offer.remove(); });
  }
})();
