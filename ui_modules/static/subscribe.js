// The subscribe form in one step: a kept page cannot carry the visitor's XSRF token, so
// the script asks for it when the form is sent, then sends the form. Without the script
// (or if that request fails) the form still works: its answer is the form again, with
// the token, to send once more.
(function () {
  "use strict";
  if (!window.fetch) { return; }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form.subscribe-box") || form.elements._xsrf) { return; }
    event.preventDefault();
    fetch("/subscribe/form", {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error("no token"); } return r.json(); })
      .then(function (token) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.name = "_xsrf";
        field.value = token.xsrf;
        form.appendChild(field);
      })
      .catch(function () { /* the two-step form, as without a script */ })
      .then(function () { form.submit(); });  // submit() raises no submit event: sent once
  });
})();
