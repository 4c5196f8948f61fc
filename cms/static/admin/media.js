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

  function insertAtCursor(files) {
    Array.prototype.forEach.call(files, function (file) {
      if (!/^image\//.test(file.type || "image/")) return;
      var token = "![Uploading " + (file.name || "image").replace(/[\[\]]/g, "") + "…]()";
      var start = body.selectionStart, end = body.selectionEnd;
      var before = body.value.slice(0, start), after = body.value.slice(end);
      var lead = before && !/\n$/.test(before) ? "\n" : "";
      body.value = before + lead + token + "\n" + after;
      body.selectionStart = body.selectionEnd = (before + lead + token + "\n").length;
      pending += 1;
      setStatus("Uploading " + (file.name || "image") + "…", "uploading");
      upload(file).then(function (item) {
        body.value = body.value.replace(token, item.markdown);
        pending -= 1;
        setStatus(pending ? "Uploading…" : "Inserted " + item.filename, pending ? "uploading" : "done");
        changed();
      }).catch(function (error) {
        body.value = body.value.replace(token + "\n", "").replace(token, "");
        pending -= 1;
        setStatus(error.message, "error");
        changed();
      });
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
