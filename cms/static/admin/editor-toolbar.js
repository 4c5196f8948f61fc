/* The Markdown toolbar over the post's text: heading, bold, italic, link, quote,
 * code, list and image buttons, Ctrl/Cmd+B, I and K, a live word count with
 * the reading time, and a distraction-free mode (the text fills the window,
 * Esc leaves it).
 *
 * Why hand-written and not an editor library: the text stays a plain
 * <textarea> (autosave, the browser's copy, uploads and the preview all read
 * and write it), and what the buttons do is a few string edits. Every edit
 * goes through document.execCommand("insertText"), which puts it on the
 * browser's own undo stack, so Ctrl+Z takes back a Bold as it takes back
 * typing; where that command is missing, setRangeText plus an "input" event
 * still changes the text (without undo). Either way the "input" event reaches
 * editor.js, which previews and autosaves as for typing.
 *
 * The toolbar is one Tab stop (roving tabindex: arrow keys, Home and End move
 * along it), as WAI-ARIA's toolbar pattern asks. The image button hands over to
 * media.js through its own "Insert image…" button (#insert-image). */
(function () {
  "use strict";
  var toolbar = document.querySelector(".md-toolbar[role=toolbar]");
  var body = document.getElementById("post-text");
  if (!toolbar || !body) return;
  var area = document.getElementById("body-editor");
  var counter = document.getElementById("word-count");
  var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
  var WORDS_PER_MINUTE = 230;  /* as the server's reading time (cms/text/markdown.py) */

  /* --- editing the text, undoably --- */
  function replace(start, end, text, selectStart, selectEnd) {
    body.focus();
    body.setSelectionRange(start, end);
    var done = false;
    try {
      done = text ? document.execCommand("insertText", false, text) : document.execCommand("delete");
    } catch (e) { done = false; }
    if (!done) {
      body.setRangeText(text, start, end, "end");
      body.dispatchEvent(new Event("input", {bubbles: true}));
    }
    body.setSelectionRange(selectStart, selectEnd);
  }

  /* Wrap the selection in a marker (** or _ or `), or unwrap it if it is wrapped already. */
  function wrap(marker, placeholder) {
    var value = body.value, start = body.selectionStart, end = body.selectionEnd;
    var chosen = value.slice(start, end), m = marker.length;
    if (chosen.length >= 2 * m && chosen.slice(0, m) === marker && chosen.slice(-m) === marker) {
      var inner = chosen.slice(m, -m);
      replace(start, end, inner, start, start + inner.length);
    } else if (value.slice(start - m, start) === marker && value.slice(end, end + m) === marker) {
      replace(start - m, end + m, chosen, start - m, end - m);
    } else {
      var words = chosen || placeholder;
      replace(start, end, marker + words + marker, start + m, start + m + words.length);
    }
  }

  function link() {
    var start = body.selectionStart, end = body.selectionEnd, chosen = body.value.slice(start, end);
    if (/^https?:\/\/\S+$/.test(chosen)) {  /* an address was selected: the words are to be typed */
      replace(start, end, "[link text](" + chosen + ")", start + 1, start + 10);
    } else {
      var words = chosen || "link text", at = start + words.length + 3;
      replace(start, end, "[" + words + "](https://)", at, at + "https://".length);
    }
  }

  /* The whole lines the selection touches: [start, end) of the text. */
  function lines() {
    var value = body.value, start = body.selectionStart, end = body.selectionEnd;
    if (end > start && value.charAt(end - 1) === "\n") end -= 1;
    var from = value.lastIndexOf("\n", start - 1) + 1, to = value.indexOf("\n", end);
    return [from, to < 0 ? value.length : to];
  }

  /* Start each selected line with prefix ("## ", "> ", "- "), or take it off if all have it. */
  function prefixLines(prefix) {
    var span = lines(), block = body.value.slice(span[0], span[1]).split("\n");
    var all = block.every(function (line) { return line.slice(0, prefix.length) === prefix; });
    var changed = block.map(function (line) {
      if (all) return line.slice(prefix.length);
      return prefix + (prefix === "## " ? line.replace(/^#{1,6} /, "") : line);  /* one heading level, not two */
    }).join("\n");
    replace(span[0], span[1], changed, span[0], span[0] + changed.length);
  }

  function code() {
    var start = body.selectionStart, end = body.selectionEnd, chosen = body.value.slice(start, end);
    if (chosen.indexOf("\n") < 0) { wrap("`", "code"); return; }
    var span = lines(), block = body.value.slice(span[0], span[1]);
    var fenced = "```\n" + block + "\n```";
    replace(span[0], span[1], fenced, span[0] + 4, span[0] + 4 + block.length);
  }

  /* --- distraction-free mode --- */
  var focusButton = toolbar.querySelector("[data-md=focus]");
  function setFocusMode(on) {
    document.body.classList.toggle("writing-focus", on);
    area.classList.toggle("focus-mode", on);
    focusButton.setAttribute("aria-pressed", on ? "true" : "false");
    body.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && area.classList.contains("focus-mode")) {
      event.preventDefault();
      setFocusMode(false);
    }
  });

  var actions = {
    heading: function () { prefixLines("## "); },
    bold: function () { wrap("**", "bold text"); },
    italic: function () { wrap("_", "italic text"); },
    link: link,
    quote: function () { prefixLines("> "); },
    code: code,
    list: function () { prefixLines("- "); },
    image: function () {
      var insert = document.getElementById("insert-image");  /* media.js: upload, then insert at the cursor */
      if (insert) { body.focus(); insert.click(); }
    },
    focus: function () { setFocusMode(!area.classList.contains("focus-mode")); }
  };

  /* --- the toolbar: one Tab stop, arrow keys along it --- */
  function rove(to) {
    buttons.forEach(function (button, i) { button.tabIndex = i === to ? 0 : -1; });
    buttons[to].focus();
  }
  buttons.forEach(function (button, i) {
    button.tabIndex = i === 0 ? 0 : -1;
    /* mousedown would take the focus, and with it the selection's look, from the text */
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () {
      buttons.forEach(function (other, j) { other.tabIndex = j === i ? 0 : -1; });
      actions[button.dataset.md]();
    });
  });
  toolbar.addEventListener("keydown", function (event) {
    var at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    var to = {ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1}[event.key];
    if (to === undefined) return;
    event.preventDefault();
    rove((to + buttons.length) % buttons.length);
  });

  /* --- shortcuts in the text --- */
  var SHORTCUTS = {b: "bold", i: "italic", k: "link"};
  body.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    var action = SHORTCUTS[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    actions[action]();
  });

  /* --- word count and reading time, counted as the server counts: words with a letter or digit --- */
  var counting = false;
  function count() {
    counting = false;
    var text = body.value.replace(/!\[[^\]]*\]\([^)]*\)/g, " ").replace(/\]\([^)]*\)/g, " ");
    var words = text.split(/\s+/).filter(function (word) { return /[\p{L}\p{N}]/u.test(word); }).length;
    var minutes = Math.max(1, Math.ceil(words / WORDS_PER_MINUTE));
    counter.textContent = words + (words === 1 ? " word" : " words") + (words ? " · " + minutes + " min read" : "");
  }
  body.addEventListener("input", function () {
    if (!counting) { counting = true; window.requestAnimationFrame(count); }
  });
  count();
  toolbar.hidden = false;
})();
