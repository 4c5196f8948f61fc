/* The live preview stays where the writer is (issue 16.10).
 *
 * editor.js replaces the preview's page (srcdoc) at every pause in typing, and
 * a new page opens at its top: in a long post the preview jumped from the
 * paragraph being written to the title at every keystroke. Here, each new page
 * is put back where it should be once it has loaded: where the caret is, in
 * proportion, when the change was typed in the text; else (a title, a tag, the
 * featured image) where the writer left the preview. Moving the caret in the
 * text (arrows, clicks) moves the preview along too.
 *
 * Why proportional: the preview is HTML and the text is Markdown, with no map
 * from one to the other; the caret's share of the text, laid over the share of
 * the post's body in the page, lands on the paragraph being written or its
 * neighbour, which is what the writer looks for. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var frame = document.getElementById("preview");
  var body = document.getElementById("post-text");
  if (!form || !frame || !body) return;
  var kept = 0;        /* the preview's scroll position as last seen */
  var follow = false;  /* the last change was typed in the text */

  form.addEventListener("input", function (event) { follow = event.target === body; });

  /* Where the caret's share of the text falls in the page's body, centred in the preview's window. */
  function caretSpot(doc) {
    var win = doc.defaultView;
    var content = doc.querySelector("article [class$=__body]") || doc.querySelector("article") || doc.body;
    var box = content.getBoundingClientRect();
    var share = body.value.length ? body.selectionEnd / body.value.length : 0;
    return Math.max(0, box.top + win.scrollY + share * box.height - win.innerHeight / 2);
  }

  frame.addEventListener("load", function () {
    var win = frame.contentWindow, doc = frame.contentDocument;
    if (!win || !doc || !doc.body) return;
    win.scrollTo(0, follow && document.activeElement === body ? caretSpot(doc) : kept);
    kept = win.scrollY;
    win.addEventListener("scroll", function () { kept = win.scrollY; }, {passive: true});
  });

  /* The caret moved without a change (arrows, Page Down, a click): the preview follows it. */
  var caret = -1;
  function caretMoved() {
    if (body.selectionEnd === caret) return;
    caret = body.selectionEnd;
    var doc = frame.contentDocument;
    if (doc && doc.body) frame.contentWindow.scrollTo(0, caretSpot(doc));
  }
  body.addEventListener("keyup", caretMoved);
  body.addEventListener("mouseup", caretMoved);
})();
