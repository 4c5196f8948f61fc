/* Images in the editor: Insert image… (the picker of media-picker.js: a new file
 * with its alt text, or an image of the library), drag and drop or paste into
 * the Markdown, and the featured image. A new file goes to /admin/media
 * (CMSMedia.upload); its image's Markdown goes where the cursor was when the
 * upload began, whatever was typed meanwhile. Changing the text fires "input", so
 * editor.js previews and autosaves as for typing. Images without alt text are
 * pointed out (#alt-hint) rather than given the file name as a description.
 *
 * window.CMSMedia.pickAndInsert(): open the picker and put the image at the
 * text's cursor (or where the cursor was when it opened): the toolbar's image
 * button (editor-toolbar.js) and "Insert image…" call it. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var tools = form && form.querySelector(".image-tools");
  if (!form || !tools || !window.CMSMedia) return;
  var body = form.elements.markdown;
  var status = document.getElementById("image-status");
  var upload = window.CMSMedia.upload;
  var pending = 0;

  function setStatus(text, state) {
    status.textContent = text;
    status.dataset.state = state;
  }

  function changed() { body.dispatchEvent(new Event("input", {bubbles: true})); }

  /* Replace body[start, end) with text, leaving the writer's cursor where their
   * typing is (shifted by what changed before it). With the text area focused
   * this goes through execCommand("insertText"), so it is one step on the
   * browser's undo stack and Ctrl+Z keeps working; assigning .value would wipe
   * that stack and throw the cursor to the end. Not focused (typing in the
   * title meanwhile), setRangeText changes it without taking the focus. */
  function replaceRange(start, end, text) {
    var selStart = body.selectionStart, selEnd = body.selectionEnd, direction = body.selectionDirection;
    var delta = text.length - (end - start);
    function moved(pos) { return pos >= end ? pos + delta : pos > start ? start + text.length : pos; }
    var done = false;
    if (document.activeElement === body && document.execCommand) {
      body.setSelectionRange(start, end);
      done = text ? document.execCommand("insertText", false, text) : document.execCommand("delete");
    }
    if (!done) {
      body.setRangeText(text, start, end, "preserve");
      changed();
    }
    body.setSelectionRange(moved(selStart), moved(selEnd), direction);
  }

  /* Where each running upload's image will go: an offset in the text, moved by every
   * change made before it (typing, deleting, pasting, undo...). No placeholder text:
   * one would be saved, previewed and autosaved while the upload runs, and Ctrl+Z
   * after the upload would bring it back instead of taking the image out. */
  var spots = [], lastText = body.value, ours = false;

  /* The change from old to now as {start, removed, inserted}: what differs between
   * their common start and common end. A change inside a run of equal characters
   * could be placed anywhere in that run; the cursor (at the end of what was
   * typed) says where it was, so it is moved left as far as that while it fits. */
  function changeBetween(old, now) {
    var shortest = Math.min(old.length, now.length), start = 0, tail = 0;
    while (start < shortest && old.charCodeAt(start) === now.charCodeAt(start)) start += 1;
    while (tail < shortest - start &&
           old.charCodeAt(old.length - 1 - tail) === now.charCodeAt(now.length - 1 - tail)) tail += 1;
    var removed = old.length - start - tail, inserted = now.length - start - tail;
    var wanted = Math.max(0, body.selectionEnd - inserted);
    while (start > wanted && (!removed || old.charAt(start - 1) === old.charAt(start + removed - 1)) &&
           (!inserted || now.charAt(start - 1) === now.charAt(start + inserted - 1))) start -= 1;
    return {start: start, removed: removed, inserted: inserted};
  }

  body.addEventListener("input", function () {
    var now = body.value;
    if (spots.length && now !== lastText) {
      var change = changeBetween(lastText, now);
      spots.forEach(function (spot) {
        if (spot.at < change.start || (spot.at === change.start && !ours)) return;  /* typing at the spot goes after the image */
        spot.at = spot.at >= change.start + change.removed ? spot.at + change.inserted - change.removed
          : change.start;  /* its place was deleted: where the deletion was */
      });
    }
    lastText = now;
  });

  /* Start uploading file; its image goes, on a line of its own, where the cursor is
   * now, whatever is typed meanwhile (the cursor itself is never moved by it). */
  function uploadAtCursor(file, alt) {
    var name = file.name || "image";
    body.focus();
    var start = body.selectionStart;
    if (start > 0 && body.value.charAt(start - 1) !== "\n") {  /* the typing goes on below the image */
      replaceRange(start, body.selectionEnd, "\n");
      start += 1;
    }
    var spot = {at: start};
    spots.push(spot);
    pending += 1;
    setStatus("Uploading " + name + "… (it goes where the cursor was)", "uploading");
    function done() {
      spots.splice(spots.indexOf(spot), 1);
      pending -= 1;
    }
    return upload(file, alt).then(function (item) {
      var at = Math.min(spot.at, body.value.length);
      var lead = at > 0 && body.value.charAt(at - 1) !== "\n" ? "\n" : "";
      ours = true;
      try { replaceRange(at, at, lead + item.markdown + "\n"); } finally { ours = false; }
      done();
      setStatus(pending ? "Uploading…" : "Inserted " + item.filename, pending ? "uploading" : "done");
      return item;
    }).catch(function (error) {
      done();
      setStatus(error.message, "error");
    });
  }

  /* The Markdown of an image already in the library, on a line of its own at the cursor. */
  function insertMarkdown(markdown) {
    body.focus();
    var start = body.selectionStart, end = body.selectionEnd;
    var lead = start > 0 && body.value.charAt(start - 1) !== "\n" ? "\n" : "";
    replaceRange(start, end, lead + markdown + "\n");
    var at = start + lead.length + markdown.length + 1;
    body.setSelectionRange(at, at);
  }

  function pickAndInsert() {
    var start = body.selectionStart, end = body.selectionEnd;
    return window.CMSMedia.pick({title: "Insert an image", action: "Insert"}).then(function (choice) {
      body.focus();
      body.setSelectionRange(start, end);  /* where the cursor was when the picker opened */
      if (!choice) return null;
      if (choice.item) {
        insertMarkdown(choice.item.markdown);
        setStatus("Inserted " + choice.item.filename, "done");
        return choice.item;
      }
      return uploadAtCursor(choice.file, choice.alt);
    });
  }
  window.CMSMedia.pickAndInsert = pickAndInsert;

  function insertAtCursor(files) {
    Array.prototype.forEach.call(files, function (file) {
      if (!/^image\//.test(file.type || "image/")) return;
      uploadAtCursor(file);
    });
  }

  document.getElementById("insert-image").addEventListener("click", pickAndInsert);
  body.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
      event.preventDefault();
      body.classList.add("dropping");
    }
  });
  body.addEventListener("dragleave", function () { body.classList.remove("dropping"); });
  body.addEventListener("drop", function (event) {
    body.classList.remove("dropping");
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    body.focus();
    insertAtCursor(event.dataTransfer.files);
  });
  body.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      insertAtCursor(files);
    }
  });

  /* --- the featured image: chosen or uploaded through the picker --- */
  var featuredButton = document.getElementById("featured-choose");
  var featuredPreview = document.getElementById("featured-preview");
  var featuredUrl = form.elements.featured_image, featuredAlt = form.elements.featured_alt;
  function showFeatured(url) {
    featuredPreview.textContent = "";
    if (!url) return;
    var img = document.createElement("img");
    img.src = url;
    img.alt = "";
    featuredPreview.appendChild(img);
  }
  function useFeatured(item) {
    featuredUrl.value = item.url;
    if (!featuredAlt.value) featuredAlt.value = item.alt;
    showFeatured(item.url);
    setStatus("Featured image: " + item.filename, "done");
    changed();
    hints();
  }
  featuredUrl.addEventListener("change", function () { showFeatured(this.value); });
  if (featuredButton) {
    featuredButton.addEventListener("click", function () {
      window.CMSMedia.pick({title: "Choose the featured image", action: "Use"}).then(function (choice) {
        if (!choice) return;
        featuredButton.focus();
        if (choice.item) return useFeatured(choice.item);
        setStatus("Uploading the featured image…", "uploading");
        return upload(choice.file, choice.alt).then(useFeatured);
      }).catch(function (error) { setStatus(error.message, "error"); });
    });
  }

  /* --- images without alt text: said once per change of their number, never guessed --- */
  var altHint = document.createElement("p");
  altHint.id = "alt-hint";
  altHint.className = "alt-hint small";
  altHint.hidden = true;
  var altHintText = document.createElement("span");
  altHintText.setAttribute("aria-live", "polite");
  var describe = document.createElement("button");
  describe.type = "button";
  describe.className = "link";
  describe.id = "describe-image";
  describe.textContent = "Describe it";
  altHint.appendChild(altHintText);
  altHint.appendChild(document.createTextNode(" "));
  altHint.appendChild(describe);
  tools.appendChild(altHint);
  /* the cursor between the brackets of the first image without alt text: type its description */
  describe.addEventListener("click", function () {
    var found = /!\[\s*\]\(/.exec(body.value);
    if (!found) return;
    body.focus();
    body.setSelectionRange(found.index + 2, found.index + found[0].length - 2);
  });
  var featuredHint = document.createElement("span");
  featuredHint.id = "featured-alt-hint";
  featuredHint.className = "alt-hint small";
  featuredHint.hidden = true;
  featuredHint.textContent = "Missing alt text: describe the image for readers who cannot see it.";
  featuredAlt.parentNode.appendChild(featuredHint);
  var missing = -1, hintTimer = null;
  function hints() {
    hintTimer = null;
    var count = (body.value.match(/!\[\s*\]\(/g) || []).length;
    if (count !== missing) {
      missing = count;
      altHint.hidden = !count;
      altHintText.textContent = count === 1
        ? "Missing alt text: 1 image in the text has none (describe it between ![ and ])."
        : "Missing alt text: " + count + " images in the text have none (describe them between ![ and ]).";
      describe.textContent = count === 1 ? "Describe it" : "Describe the first";
    }
    featuredHint.hidden = !(featuredUrl.value.trim() && !featuredAlt.value.trim());
  }
  form.addEventListener("input", function () { if (!hintTimer) hintTimer = setTimeout(hints, 300); });
  hints();
})();
