/* Who else has this post open, and their saves, told at once (issue 12).
 *
 * The editor of a saved post opens /admin/live (cms/live/admin.py) under a
 * name for this tab, beats every few seconds while open, and shows what the
 * server says: "Ana is also editing", and when someone saves, "Ana saved a
 * newer version" with a way to load it -- before a save of this tab would
 * meet the conflict view. The tab's name goes with its own saves
 * (form.dataset.tab, read by editor.js), so it is not told of those.
 * Where WebSockets are blocked (no WebSocket, or two tries that never said
 * hello), the tab beats by POST /admin/live/beat instead and is answered the
 * same news (EditorsPoll in cms/live/admin.py). */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var found = form.getAttribute("action").match(/\/admin\/(posts|pages)\/([0-9a-f]{24})$/);
  if (!found) return;  /* a new post: nobody else can have it open */
  var kind = found[1], postId = found[2];
  /* The page's own id, the one its autosaves carry (the form's "tab" field), else one of its own. */
  var tab = (form.elements.tab && form.elements.tab.value) ||
    Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  form.dataset.tab = tab;

  var editors = document.createElement("p");
  editors.id = "other-editors";
  editors.className = "presence muted small";
  editors.setAttribute("role", "status");
  editors.hidden = true;
  var newer = document.createElement("div");
  newer.id = "newer-version";
  newer.className = "alert warn";
  newer.setAttribute("role", "alert");
  newer.hidden = true;
  form.parentNode.insertBefore(editors, form);
  form.parentNode.insertBefore(newer, form);

  function names(list) {
    var others = list.filter(function (e) { return !e.you; }).map(function (e) { return e.name; });
    var text = "";
    if (others.length === 1) text = others[0] + " is also editing";
    else if (others.length > 1) text = others.slice(0, -1).join(", ") + " and " + others[others.length - 1] +
      " are also editing";
    if (list.some(function (e) { return e.you; })) {
      text += (text ? "; you" : "You") + " also have it open in another tab";
    }
    return text ? text + "." : "";
  }
  function showEditors(list) {
    var text = names(list);
    if (editors.textContent !== text) editors.textContent = text;
    editors.hidden = !text;
  }
  function showSaved(answer) {
    var who = answer.you ? "You saved a newer version in another tab" : answer.by + " saved a newer version";
    newer.textContent = who + " (version " + answer.version + ") \u2014 review it before you save. ";
    var load = document.createElement("a");
    load.className = "button";
    load.href = "/admin/" + kind + "/" + postId;
    load.textContent = "Load it";
    load.title = "Your text stays in this browser and is offered back";
    var review = document.createElement("a");
    review.href = "/admin/" + kind + "/" + postId + "/history";
    review.target = "_blank";
    review.rel = "noopener";
    review.textContent = " Compare in History";
    newer.appendChild(load);
    newer.appendChild(review);
    newer.hidden = false;
  }

  var socket = null, beat = null, backoff = 1000, greeted = false, refused = 0;
  var xsrf = form.querySelector("input[name=_xsrf]").value, since = "";
  function poll() {
    var data = new FormData();
    data.append("_xsrf", xsrf);
    data.append("post", postId);
    data.append("tab", tab);
    data.append("since", since);
    fetch("/admin/live/beat", {method: "POST", body: data, credentials: "same-origin",
                               headers: {"X-XSRFToken": xsrf, "Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 403 || response.status === 404) return null;  /* signed out: Save says so */
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (answer) {
        if (!answer) { form.dataset.presence = "closed"; return; }
        form.dataset.presence = "polling";
        since = String(answer.seq);
        showEditors(answer.editors);
        answer.saved.forEach(showSaved);
        setTimeout(poll, answer.beat * 1000);
      }).catch(function () { setTimeout(poll, 15000); });
  }
  function connect() {
    if (!window.WebSocket) { poll(); return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/admin/live?post=" + postId + "&tab=" + tab);
    socket.onmessage = function (event) {
      var answer = JSON.parse(event.data);
      if (answer.kind === "hello") {
        backoff = 1000;
        greeted = true;
        clearInterval(beat);
        beat = setInterval(function () {
          if (socket.readyState === WebSocket.OPEN) socket.send("beat");
        }, answer.beat * 1000);
        form.dataset.presence = "open";
      } else if (answer.kind === "editors") {
        showEditors(answer.editors);
      } else if (answer.kind === "saved") {
        showSaved(answer);
      }
    };
    socket.onclose = function (event) {
      clearInterval(beat);
      form.dataset.presence = "closed";
      if (event.code === 4003 || event.code === 1008) return;  /* signed out: Save says so */
      if (!greeted && ++refused >= 2) { poll(); return; }  /* blocked on the way: beat by POST */
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  window.addEventListener("pagehide", function () { if (socket) socket.close(1000, "left"); });
  connect();
})();
