/* Tag suggestions for the editor's comma-separated tags field.
 * The field is an ARIA combobox: as the tag after the last comma is typed,
 * the site's existing tags that match it (GET data-suggest?q=..., this site's
 * tags, drafts' included) are listed in a role=listbox below. Arrow keys move
 * through them, Enter (or a click) puts the highlighted one in place of what
 * was typed (the first, best match when none is highlighted yet; when Enter
 * comes before the suggestions, the first to arrive), Escape or leaving the
 * field closes the list. Enter never submits the form. */
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  var list = input && document.getElementById(input.getAttribute("aria-controls"));
  if (!input || !list) return;
  var status = document.getElementById("tag-suggestions-status");
  var DELAY_MS = 120;
  var options = [], active = -1, timer = null, asked = 0, pending = false, pickFirst = false;

  function segments() { return input.value.split(","); }
  function typed() { var all = segments(); return all[all.length - 1].trim(); }
  function alreadyChosen() {
    return segments().slice(0, -1).map(function (s) { return s.trim().toLowerCase(); });
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    options = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    if (!options.length) return;
    active = (index + options.length) % options.length;
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({block: "nearest"});
  }

  function pick(index) {
    var all = segments();
    all[all.length - 1] = options[index].dataset.name;
    input.value = all.map(function (s) { return s.trim(); }).filter(Boolean).join(", ") + ", ";
    close();
    if (status) status.textContent = "Tag added.";
    input.dispatchEvent(new Event("input", {bubbles: true}));  // autosave and preview notice it
  }

  function show(tags) {
    var taken = alreadyChosen();
    tags = tags.filter(function (tag) { return taken.indexOf(tag.name.toLowerCase()) < 0; });
    close();
    if (!tags.length) { pickFirst = false; if (status) status.textContent = "No matching tags."; return; }
    tags.forEach(function (tag, i) {
      var option = document.createElement("li");
      option.id = "tag-suggestion-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.name = tag.name;
      option.textContent = tag.name;
      var count = document.createElement("span");
      count.className = "count";
      count.textContent = " " + tag.count;
      count.setAttribute("aria-label", tag.count === 1 ? "used once" : "used " + tag.count + " times");
      option.appendChild(count);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
      list.appendChild(option);
      options.push(option);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    if (pickFirst) { pickFirst = false; pick(0); return; }
    if (status) status.textContent = tags.length === 1 ? "1 tag suggested." : tags.length + " tags suggested.";
  }

  function suggest() {
    timer = null;
    var query = typed();
    if (!query) { pickFirst = false; close(); return; }
    var mine = ++asked;
    pending = true;
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (answer) {
      if (mine !== asked) return;
      pending = false;
      if (document.activeElement === input) show(answer.tags || []);
    }).catch(function () { if (mine === asked) { pending = false; pickFirst = false; close(); } });
  }

  input.addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(suggest, DELAY_MS);
  });
  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && options.length > 0;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) highlight(active + 1); else suggest();
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();  // a tag field never submits the form
      if (open) pick(active >= 0 ? active : 0);
      else if (timer || pending) pickFirst = true;  // typed faster than the suggestions came
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      asked++;
      pending = pickFirst = false;
      close();
    }
  });
  input.addEventListener("blur", function () { asked++; pending = pickFirst = false; close(); });
})();
