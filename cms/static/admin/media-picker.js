/* The media picker: one dialog to choose an image of the site's library (search
 * by file name or alt text) or upload a new one with its alt text, used by the
 * editor (media.js), the featured image and the theme's logo setting.
 *
 * window.CMSMedia.pick(options) opens it and resolves to
 *   {item: {...}}        an image of the library (as GET /admin/media answers in JSON),
 *   {file: File, alt: s} a file to upload (the caller uploads it: the editor puts a
 *                        placeholder at the cursor first), or
 *   null                 closed (Esc, Close).
 * options: {title, action ("Insert", "Use"), upload (offer a new file; default true)}.
 * window.CMSMedia.upload(file, alt) uploads and resolves to the library's item.
 * window.CMSMedia.pickAndInsert() (set by media.js on the editor) picks and puts
 * the image at the text's cursor: the toolbar's image button calls it.
 *
 * Any <button data-media-pick="ID"> fills the input #ID with the chosen image's URL
 * (the theme's logo). A modal <dialog>: the page behind is inert, Tab stays inside,
 * Esc closes, and the focus goes back where it was. */
(function () {
  "use strict";
  var TYPES = "image/jpeg,image/png,image/gif,image/webp";
  var LIBRARY = "/admin/media";
  var dialog = null, parts = {}, settle = null, searchTimer = null, asked = 0, found = [];

  function xsrf() {
    var field = document.querySelector("input[name=_xsrf]");
    return field ? field.value : "";
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) node.textContent = text;
    return node;
  }

  function upload(file, alt) {
    var data = new FormData();
    data.append("_xsrf", xsrf());
    data.append("alt", alt || "");
    data.append("file", file, file.name || "pasted-image.png");
    return fetch(LIBRARY, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-XSRFToken": xsrf(), "Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {error: "HTTP " + response.status}; })
        .then(function (answer) {
          if (!response.ok || answer.error) throw new Error(answer.error || "HTTP " + response.status);
          return answer.items[0];
        });
    });
  }

  function build() {
    dialog = element("dialog", {id: "media-picker", "class": "media-picker", "aria-labelledby": "media-picker-title"});
    var head = element("header", {"class": "media-picker-head"});
    parts.title = element("h2", {id: "media-picker-title"});
    var close = element("button", {type: "button", "class": "button", id: "media-picker-close"}, "Close");
    head.appendChild(parts.title);
    head.appendChild(close);
    dialog.appendChild(head);

    parts.uploading = element("section", {"class": "media-picker-upload", "aria-labelledby": "media-picker-new"});
    parts.uploading.appendChild(element("h3", {id: "media-picker-new"}, "Upload a new image"));
    var fileLabel = element("label", {}, "Image file ");
    parts.file = element("input", {type: "file", id: "media-picker-file", accept: TYPES});
    fileLabel.appendChild(parts.file);
    var altLabel = element("label", {}, "Alt text: what the image shows ");
    parts.alt = element("input", {type: "text", id: "media-picker-alt", maxlength: "300",
                                  "aria-describedby": "media-picker-alt-help"});
    altLabel.appendChild(parts.alt);
    parts.uploadButton = element("button", {type: "button", "class": "button primary", id: "media-picker-upload"});
    parts.uploading.appendChild(fileLabel);
    parts.uploading.appendChild(altLabel);
    parts.uploading.appendChild(element("p", {id: "media-picker-alt-help", "class": "muted small"},
      "For readers who cannot see it. Leave it empty only for decoration; the editor will remind you."));
    parts.uploading.appendChild(parts.uploadButton);
    parts.problem = element("p", {"class": "alert error", role: "alert", id: "media-picker-problem", hidden: ""});
    parts.uploading.appendChild(parts.problem);
    dialog.appendChild(parts.uploading);

    var library = element("section", {"class": "media-picker-library", "aria-labelledby": "media-picker-lib"});
    library.appendChild(element("h3", {id: "media-picker-lib"}, "Choose from the library"));
    parts.search = element("input", {type: "search", id: "media-picker-search", "aria-label": "Search the library",
                                     placeholder: "Search file names and alt text"});
    library.appendChild(parts.search);
    parts.status = element("p", {id: "media-picker-status", "class": "muted small", role: "status"});
    library.appendChild(parts.status);
    parts.results = element("ul", {id: "media-picker-results", "class": "media-picker-grid", "aria-label": "Images"});
    library.appendChild(parts.results);
    dialog.appendChild(library);
    document.body.appendChild(dialog);

    close.addEventListener("click", function () { finish(null); });
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); finish(null); });  /* Esc */
    dialog.addEventListener("keydown", trapTab);
    parts.uploadButton.addEventListener("click", chooseFile);
    parts.alt.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); chooseFile(); }
    });
    parts.search.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 250);
    });
    parts.search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); clearTimeout(searchTimer); search(); }
    });
    parts.results.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-index]");
      if (button) finish({item: found[Number(button.dataset.index)]});
    });
  }

  /* showModal makes the page inert; this keeps Tab from leaving for the browser's own bar too */
  function trapTab(event) {
    if (event.key !== "Tab") return;
    var stops = Array.prototype.filter.call(
      dialog.querySelectorAll("button, input, [tabindex]:not([tabindex='-1'])"),
      function (node) { return !node.disabled && !node.closest("[hidden]") && node.offsetParent !== null; });
    if (!stops.length) return;
    var first = stops[0], last = stops[stops.length - 1];
    if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  }

  function chooseFile() {
    var file = parts.file.files[0];
    if (!file) {
      parts.problem.textContent = "Choose an image file first.";
      parts.problem.hidden = false;
      parts.file.focus();
      return;
    }
    finish({file: file, alt: parts.alt.value.replace(/\s+/g, " ").trim()});
  }

  function search() {
    var query = parts.search.value.trim();
    var ticket = ++asked;
    parts.status.textContent = "Looking…";
    fetch(LIBRARY + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (answer) {
      if (ticket !== asked) return;  /* a newer search is on its way */
      show(answer, query);
    }).catch(function (error) {
      if (ticket === asked) parts.status.textContent = "The library could not be read (" + error.message + ").";
    });
  }

  function show(answer, query) {
    found = answer.items;
    parts.results.textContent = "";
    found.forEach(function (item, index) {
      var button = element("button", {type: "button", "class": "media-pick", "data-index": String(index)});
      button.appendChild(element("img", {src: item.thumbnail, alt: "", loading: "lazy"}));
      button.appendChild(element("span", {"class": "media-pick-name"}, item.filename));
      button.appendChild(element("span", {"class": "muted small"}, item.alt || "no alt text"));
      var entry = element("li");
      entry.appendChild(button);
      parts.results.appendChild(entry);
    });
    var shown = answer.total > found.length ? " (the newest " + found.length + "; search to find others)" : "";
    parts.status.textContent = !answer.total
      ? (query ? "No image matches “" + query + "”." : "No images yet: upload one above.")
      : answer.total + (answer.total === 1 ? " image" : " images") + shown + ".";
  }

  function finish(choice) {
    if (dialog.open) dialog.close();
    var done = settle;
    settle = null;
    if (done) done(choice);
  }

  function pick(options) {
    options = options || {};
    if (!dialog) build();
    if (settle) finish(null);
    var action = options.action || "Insert";
    parts.title.textContent = options.title || "Insert an image";
    parts.uploadButton.textContent = "Upload and " + action.toLowerCase();
    parts.uploading.hidden = options.upload === false;
    parts.file.value = "";
    parts.alt.value = "";
    parts.problem.hidden = true;
    parts.search.value = "";
    parts.results.textContent = "";
    return new Promise(function (resolve) {
      settle = resolve;
      dialog.showModal();
      (options.upload === false ? parts.search : parts.file).focus();
      search();
    });
  }

  window.CMSMedia = window.CMSMedia || {};
  window.CMSMedia.pick = pick;
  window.CMSMedia.upload = upload;

  /* <button data-media-pick="ID">: fill the input #ID (the theme's logo setting) */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-media-pick]");
    if (!button) return;
    var field = document.getElementById(button.dataset.mediaPick);
    var status = document.getElementById(button.dataset.mediaStatus || "");
    pick({title: button.dataset.mediaTitle || "Choose an image", action: "Use"}).then(function (choice) {
      if (!choice) return null;
      if (choice.item) return choice.item;
      if (status) status.textContent = "Uploading " + choice.file.name + "…";
      return upload(choice.file, choice.alt);
    }).then(function (item) {
      if (!item) return;
      field.value = item.url;
      field.dispatchEvent(new Event("input", {bubbles: true}));
      if (status) status.textContent = "Chosen: " + item.filename + " (save to keep it)";
      field.focus();
    }).catch(function (error) {
      if (status) status.textContent = error.message;
    });
  });
})();
