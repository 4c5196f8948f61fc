/* The editor by keyboard and screen reader: Ctrl/Cmd+S saves, skip links
 * lead to the text and to the preview, and the save status is spoken only
 * when it changes in a way that matters.
 *
 * Ctrl/Cmd+S goes through form.requestSubmit(Save button), so it is the very
 * path a click on Save takes (validation, editor.js's own submit handling).
 *
 * #autosave-status changes at every autosave ("Editing…", "Saving draft…",
 * "kept at 14:02:07"); read out, that is a sentence every three seconds. It is
 * therefore not a live region: this script watches its data-state and writes
 * to #save-announcer (aria-live) only when the outcome moves between kept,
 * failed, offline and signed out — the first kept, a failure, the recovery. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var save = form.querySelector(".save-bar button[type=submit]");
  var body = form.elements.markdown;

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey || event.key.toLowerCase() !== "s") return;
    event.preventDefault();  /* not the browser's "Save page as" */
    if (form.requestSubmit) form.requestSubmit(save);
    else save.click();
  });

  /* The skip links put the keyboard focus in the text, or in the preview, which is out
   * of the Tab order (tabindex=-1) but scrolls with the arrow keys once focused. */
  Array.prototype.forEach.call(document.querySelectorAll(".skip-link"), function (skip) {
    var target = document.getElementById(skip.getAttribute("href").slice(1));
    if (!target) return;
    skip.addEventListener("click", function (event) {
      event.preventDefault();
      target.focus();
      if (target.contentWindow) target.contentWindow.focus();
    });
  });

  var status = document.getElementById("autosave-status");
  var announcer = document.getElementById("save-announcer");
  if (!status || !announcer || !window.MutationObserver) return;
  /* data-state (editor.js) -> the outcome it says; "dirty", "saving"... are not outcomes */
  var OUTCOMES = {saved: "kept", error: "failed", offline: "offline", "signed-out": "signed out", "signed-in": "signed in"};
  var spoken = null;
  function announce(outcome, text) {
    if (outcome === spoken) return;
    spoken = outcome;
    announcer.textContent = text;
  }
  new MutationObserver(function () {
    var outcome = OUTCOMES[status.dataset.state];
    if (outcome) announce(outcome, status.textContent);
  }).observe(status, {attributes: true, attributeFilter: ["data-state"], childList: true, characterData: true, subtree: true});
  window.addEventListener("offline", function () {
    announce("offline", "You are offline: what you type is kept in this browser until the server answers again.");
  });
})();
