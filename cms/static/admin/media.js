/* Images in the editor: upload by file picker, drag and drop or paste into
 * the Markdown, and the featured image. Each upload goes to /admin/media
 * (multipart, XSRF token as field and header); the server answers with the
 * image's Markdown, which replaces a placeholder at the cursor. Changing the
 * text fires "input", so editor.js previews and autosaves as for typing. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var tools = form && form.querySelector(".image-tools");
  if (!form || !tools) return;
  var xsrf = form.querySelector("input[name=_xsrf]").value;
  var body = form.elements.markdown;
  var status = document.getElementById("image-status");
  var uploadUrl = tools.dataset.upload;
  var pending = 0;

  function upload(file) {
    var data = new FormData();
    data.append("_xsrf", xsrf);
    data.append("file", file, file.name || "pasted-image.png");
    return fetch(uploadUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-XSRFToken": xsrf, "Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {error: "HTTP " + response.status}; })
        .then(function (answer) {
          if (!response.ok || answer.error) throw new Error(answer.error || "HTTP " + response.status);
          return answer.items[0];
        });
    });
  }

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

  /* The placeholder of one upload: unique in the text, so that it is found (and
   * replaced in place) wherever typing has moved it meanwhile. */
  var uploads = 0;
  function placeholderFor(name) {
    uploads += 1;
    var token = "![Uploading " + name.replace(/[\[\]]/g, "") + "…]()";
    return body.value.indexOf(token) < 0 ? token : token.replace("…]", " (" + uploads + ")…]");
  }

  /* Start uploading file with its placeholder at the cursor (on a line of its
   * own); the image's Markdown replaces the placeholder when the server answers. */
  function uploadAtCursor(file, alt) {
    var name = file.name || "image";
    var token = placeholderFor(name);
    body.focus();
    var start = body.selectionStart, end = body.selectionEnd;
    var lead = start > 0 && body.value.charAt(start - 1) !== "\n" ? "\n" : "";
    replaceRange(start, end, lead + token + "\n");
    var at = start + lead.length + token.length + 1;
    body.setSelectionRange(at, at);
    pending += 1;
    setStatus("Uploading " + name + "…", "uploading");
    function settle(text) {
      var found = body.value.indexOf(token);
      if (found >= 0) {
        var length = token.length + (!text && body.value.charAt(found + token.length) === "\n" ? 1 : 0);
        replaceRange(found, found + length, text);
      }
      pending -= 1;
      return found >= 0;
    }
    return upload(file, alt).then(function (item) {
      var placed = settle(item.markdown);
      setStatus(pending ? "Uploading…" : placed ? "Inserted " + item.filename
        : "Uploaded " + item.filename + " (its placeholder was deleted: it is in the Media library)",
        pending ? "uploading" : "done");
      return item;
    }).catch(function (error) {
      settle("");
      setStatus(error.message, "error");
    });
  }

  function insertAtCursor(files) {
    Array.prototype.forEach.call(files, function (file) {
      if (!/^image\//.test(file.type || "image/")) return;
      uploadAtCursor(file);
    });
  }

  var picker = document.getElementById("image-file");
  document.getElementById("insert-image").addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    insertAtCursor(picker.files);
    picker.value = "";
  });
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

  /* --- the featured image --- */
  var featuredButton = document.getElementById("featured-upload");
  var featuredFile = document.getElementById("featured-file");
  var featuredPreview = document.getElementById("featured-preview");
  function showFeatured(url) {
    featuredPreview.textContent = "";
    if (!url) return;
    var img = document.createElement("img");
    img.src = url;
    img.alt = "";
    featuredPreview.appendChild(img);
  }
  form.elements.featured_image.addEventListener("change", function () { showFeatured(this.value); });
  if (featuredButton) {
    featuredButton.addEventListener("click", function () { featuredFile.click(); });
    featuredFile.addEventListener("change", function () {
      if (!featuredFile.files.length) return;
      setStatus("Uploading the featured image…", "uploading");
      upload(featuredFile.files[0]).then(function (item) {
        form.elements.featured_image.value = item.url;
        if (!form.elements.featured_alt.value) form.elements.featured_alt.value = item.alt;
        showFeatured(item.url);
        setStatus("Featured image uploaded", "done");
        changed();
      }).catch(function (error) { setStatus(error.message, "error"); });
      featuredFile.value = "";
    });
  }
})();
