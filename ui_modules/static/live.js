// Live updates on a reader page (cms/live): a list page shows "N new posts" when
// posts are published and loads them in place on a click; a post page adds newly
// approved comments. Events come over a WebSocket to /live; where that fails, the
// page polls /live.json every 30 s. The page itself is the same for every reader.
(function () {
  "use strict";
  var box = document.querySelector("[data-live]");
  if (!box || !window.fetch || !window.JSON) { return; }
  var channel = box.dataset.live;
  var list = channel === "posts";
  var params = new URLSearchParams(location.search);
  if (list && Number(params.get("page") || 1) > 1) { return; }  // new posts land on page 1
  var tag = (location.pathname.match(/^\/tags\/([^\/]+)\/?$/) || [])[1];
  var author = (location.pathname.match(/^\/authors\/([^\/]+)\/?$/) || [])[1];
  tag = tag && decodeURIComponent(tag);
  author = author && decodeURIComponent(author);
  var since = null;    // the seq of the last event heard
  var fresh = {};      // ids of posts announced and not yet loaded
  var count = 0;
  var failures = 0;
  var polling = false;

  function banner() { return document.querySelector("[data-live]"); }

  function wanted(event) {
    if (event.channel !== channel) { return false; }
    if (event.kind !== "published") { return event.kind === "comment"; }
    if (fresh[event.id] || document.querySelector('a[href$="' + CSS.escape(event.url) + '"]')) { return false; }
    if (tag && (event.tags || []).indexOf(tag) < 0) { return false; }
    if (author && event.author !== author) { return false; }
    return true;
  }

  function heard(event) {
    if (typeof event.seq === "number") { since = since === null ? event.seq : Math.max(since, event.seq); }
    if (!wanted(event)) { return; }
    if (event.kind === "comment") { refreshComments(); return; }
    fresh[event.id] = true;
    count += event.count || 1;  // an import: one event for all its posts
    var shown = banner();
    shown.querySelector("button").textContent = newPosts(shown, count);
    shown.hidden = false;
  }

  // "N new posts" in the site's language: the page carries the words for each plural
  // category of that language (data-text-one, data-text-few, data-text-other...).
  function newPosts(shown, n) {
    var category = "other";
    try { category = new Intl.PluralRules(document.documentElement.lang || "en").select(n); } catch (e) {}
    var key = "text" + category.charAt(0).toUpperCase() + category.slice(1);
    var text = shown.dataset[key] || shown.dataset.textOther || "%(count)d";
    return text.replace("%(count)d", String(n));
  }

  function page() {
    return fetch(location.pathname + location.search, {cache: "no-store", credentials: "omit"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  // The list, swapped for the page as it is now; the banner comes back empty and hidden.
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-live] button");
    if (!button || !list) { return; }
    page().then(function (doc) {
      var now = doc.getElementById("content"), main = document.getElementById("content");
      if (!now || !main) { location.reload(); return; }
      main.innerHTML = now.innerHTML;
      fresh = {};
      count = 0;
      main.focus();
    }).catch(function () { location.reload(); });
  });

  // New comments, without touching the form a reader may be typing in.
  function refreshComments() {
    page().then(function (doc) {
      var here = document.getElementById("comments"), now = doc.getElementById("comments");
      if (!here || !now) { return; }
      ["#comments-title", ".comments__list"].forEach(function (selector) {
        var old = here.querySelector(selector), replacement = now.querySelector(selector);
        if (!replacement) { return; }
        if (old) { old.replaceWith(replacement); return; }
        var notice = here.querySelector(".comments__notice") || here.firstElementChild;
        notice.after(replacement);
      });
    });
  }

  function address(path) {
    return path + "?channel=" + encodeURIComponent(channel) + (since === null ? "" : "&since=" + since);
  }

  function poll() {
    if (polling) { return; }
    polling = true;
    banner().dataset.liveState = "polling";
    (function again() {
      fetch(address("/live.json"), {credentials: "omit"})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (answer) {
          var first = since === null;
          answer.events.forEach(heard);
          if (first || answer.seq > since) { since = answer.seq; }
          setTimeout(again, (answer.poll || 30) * 1000);
        })
        .catch(function () { setTimeout(again, 30000); });
    })();
  }

  function connect() {
    if (!window.WebSocket) { poll(); return; }
    var opened = false, socket;
    try {
      socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host +
                             "/live?channel=" + encodeURIComponent(channel));
    } catch (e) { poll(); return; }
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      if (data.subscribed) {
        opened = true;
        failures = 0;
        banner().dataset.liveState = "open";  // for styles and tests: following
        // Back after a drop: what was published meanwhile comes from the fallback, once.
        if (since !== null && data.seq > since) {
          fetch(address("/live.json")).then(function (r) { return r.json(); })
            .then(function (answer) { answer.events.forEach(heard); });
        }
        if (since === null) { since = data.seq; }
        return;
      }
      heard(data);
    };
    socket.onclose = function () {
      banner().dataset.liveState = "closed";
      if (!opened) { failures += 1; }
      if (failures >= 2) { poll(); return; }  // blocked here: poll instead
      setTimeout(connect, 2000 + Math.random() * 3000);
    };
  }

  connect();
}());
