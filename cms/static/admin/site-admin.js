/* Site administration pages: ask before a destructive form is sent
 * (forms with data-confirm), and copy an invitation link with one click. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;  /* the form being sent, also for a button outside it (form=) */
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  var copy = document.getElementById("copy-invite");
  if (copy) {
    copy.addEventListener("click", function () {
      var field = document.getElementById("invite-link");
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
      else document.execCommand("copy");
      copy.textContent = "Copied";
    });
  }
})();
