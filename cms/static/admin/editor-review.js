/* Review views of the editor (issue 16.12): one restore offer, and the conflict view's merge.
 *
 * Restore: the server's autosave offer (autosave_offer.html) and this browser's
 * own copy (editor.js, #local-copy) often hold the same text; then only the
 * server's is offered, with its one clock (the site's time zone and "N minutes
 * ago"). When they differ, this browser's offer says its time the same way.
 *
 * Merge: someone saved first: cms/templates/admin/conflict.html shows both versions
 * paragraph by paragraph, each differing one with a choice (theirs, mine, both).
 * "Use the merged text" builds the post from the choices and puts it in the
 * editor, as typed (an input event: autosave and preview follow); the form
 * already names their version, so the next Save is made against the newest. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;

  /* --- one restore offer --- */
  var LOCAL_KEY = "cms-unsaved:" + location.host + form.dataset.autosave;
  function oneKindOfNewline(text) { return (text || "").replace(/\r\n?/g, "\n"); }
  function ago(ms) {
    var minutes = Math.floor(Math.max(0, Date.now() - ms) / 60000);
    if (minutes < 1) return "less than a minute ago";
    var units = [[1440, "day"], [60, "hour"], [1, "minute"]];
    for (var i = 0; i < units.length; i++) {
      if (minutes >= units[i][0]) {
        var n = Math.floor(minutes / units[i][0]);
        return n + " " + units[i][1] + (n === 1 ? "" : "s") + " ago";
      }
    }
    return "";
  }
  function siteClock(ms) {
    var zone = form.dataset.timezone || "UTC";
    try {
      return new Intl.DateTimeFormat("en-GB", {day: "numeric", month: "short", year: "numeric", hour: "2-digit",
                                               minute: "2-digit", timeZone: zone}).format(new Date(ms)) + " (" + zone + ")";
    } catch (e) { return new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " (UTC)"; }
  }
  /* What restoring this browser's copy would change in the text: the stretch between what both
   * share at the start and at the end, with a little of each around it (a word diff is the server's,
   * autosave_offer.html; this copy never reached the server). */
  var AROUND = 40;
  function comeBack(now, kept) {
    now = oneKindOfNewline(now); kept = oneKindOfNewline(kept);
    var start = 0, most = Math.min(now.length, kept.length);
    while (start < most && now.charAt(start) === kept.charAt(start)) start++;
    var endNow = now.length, endKept = kept.length;
    while (endNow > start && endKept > start && now.charAt(endNow - 1) === kept.charAt(endKept - 1)) { endNow--; endKept--; }
    var details = document.createElement("details"), summary = document.createElement("summary");
    var shown = document.createElement("div");
    details.open = true;
    summary.textContent = "What would come back";
    shown.className = "diff";
    var row = document.createElement("div");
    row.className = "diff-change";
    function text(value) { row.appendChild(document.createTextNode(value)); }
    function marked(tag, value) { if (value) { var el = document.createElement(tag); el.textContent = value; row.appendChild(el); } }
    if (now === kept) text("The same text as in the editor.");
    else {
      text((start > AROUND ? "…" : "") + now.slice(Math.max(0, start - AROUND), start));
      marked("del", now.slice(start, endNow));
      marked("ins", kept.slice(start, endKept));
      text(now.slice(endNow, endNow + AROUND) + (now.length - endNow > AROUND ? "…" : ""));
    }
    shown.appendChild(row);
    details.appendChild(summary);
    details.appendChild(shown);
    return details;
  }
  var local = document.getElementById("local-copy");
  var serverOffer = document.getElementById("autosave-offer");
  var copy = null;
  try { copy = JSON.parse(localStorage.getItem(LOCAL_KEY) || "null"); } catch (e) { copy = null; }
  if (local && serverOffer && copy &&
      oneKindOfNewline(copy.markdown) === oneKindOfNewline(document.getElementById("autosave-text").value)) {
    local.remove();  /* the same text: the server's offer is the one */
    local = null;
  }
  if (local && copy && copy.ts && local.firstChild && local.firstChild.nodeType === Node.TEXT_NODE) {
    local.firstChild.textContent = "This browser kept text you typed at " + siteClock(copy.ts) + ", " + ago(copy.ts) +
      ", that was never saved. ";
  }
  if (local && copy && typeof copy.markdown === "string") local.appendChild(comeBack(form.elements.markdown.value, copy.markdown));
  var discard = document.getElementById("autosave-discard");
  if (discard) {  /* discarding the offer discards this browser's copy of it too */
    discard.addEventListener("submit", function () { try { localStorage.removeItem(LOCAL_KEY); } catch (e) { /* ignore */ } });
  }

  /* --- merge --- */
  var merge = document.getElementById("merge");
  if (!merge) return;
  var body = form.elements.markdown;
  var use = document.getElementById("merge-use");
  var status = document.getElementById("merge-status");

  function textOf(block, selector) {
    var element = block.querySelector(selector);
    return element ? element.textContent : "";
  }
  function merged() {
    var parts = [];
    Array.prototype.forEach.call(merge.querySelectorAll("[data-block]"), function (block) {
      if (block.dataset.block === "same") { parts.push(textOf(block, "pre.same")); return; }
      var chosen = block.querySelector("input[type=radio]:checked");
      var choice = chosen ? chosen.value : "mine";
      if (choice !== "mine") parts.push(textOf(block, "pre.theirs"));
      if (choice !== "theirs") parts.push(textOf(block, "pre.mine"));
    });
    return parts.filter(function (part) { return part !== ""; }).join("\n\n");
  }

  use.hidden = false;
  use.addEventListener("click", function () {
    body.value = merged();
    body.dispatchEvent(new Event("input", {bubbles: true}));
    status.textContent = "The merged text is in the editor: read it, then Save.";
    body.focus();
  });
  merge.addEventListener("change", function () { status.textContent = ""; });
})();
