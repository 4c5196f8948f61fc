/* Review views of the editor (issue 16.12): the conflict view's merge.
 * Someone saved first: cms/templates/admin/conflict.html shows both versions
 * paragraph by paragraph, each differing one with a choice (theirs, mine, both).
 * "Use the merged text" builds the post from the choices and puts it in the
 * editor, as typed (an input event: autosave and preview follow); the form
 * already names their version, so the next Save is made against the newest. */
(function () {
  "use strict";
  var merge = document.getElementById("merge");
  var form = document.getElementById("editor");
  if (!merge || !form) return;
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
