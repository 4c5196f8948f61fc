// The comment form, better with a script: it fetches the form's token and start
// time (the page itself is the same for every reader, and kept), sends the comment
// with fetch, and says what happened without a reload. Replies fill the parent field.
(function () {
  "use strict";
  var form = document.querySelector("form.comment-form[data-post]");
  if (!form || !window.fetch) { return; }
  var status = form.querySelector(".comment-form__status");
  var xsrf = null;

  // What the script says, in the site's language: the form carries the words (data-*).
  var words = {
    as: form.dataset.as || "Commenting as %(name)s.",
    sending: form.dataset.sending || "Sending…",
    refused: form.dataset.refused || "Your comment was not accepted.",
    failed: form.dataset.failed || "Your comment could not be sent: try again."
  };

  function say(text) { status.textContent = text; }

  fetch("/comments/form?post=" + encodeURIComponent(form.dataset.post), {credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (token) {
      if (!token) { return; }
      xsrf = token.xsrf;
      form.elements.started.value = token.started;
      if (token.member) {  // a signed-in member comments under their own name
        var guest = form.querySelector(".comment-form__guest");
        guest.hidden = true;
        guest.querySelectorAll("[required]").forEach(function (field) { field.required = false; });
        var as = form.querySelector(".comment-form__as");
        as.textContent = words.as.replace("%(name)s", token.member);
        as.hidden = false;
      }
    });

  document.querySelectorAll(".comment__reply[data-reply]").forEach(function (link) {
    link.addEventListener("click", function () {
      form.elements.parent.value = link.dataset.reply;
      var replying = form.querySelector(".comment-form__replying");
      replying.querySelector(".comment-form__to").textContent = link.dataset.name;
      replying.hidden = false;
    });
  });
  var cancel = form.querySelector(".comment-form__cancel");
  if (cancel) {
    cancel.addEventListener("click", function () {
      form.elements.parent.value = "";
      form.querySelector(".comment-form__replying").hidden = true;
    });
  }

  form.addEventListener("submit", function (event) {
    if (!xsrf) { return; }  // no token yet: the plain POST asks to confirm
    event.preventDefault();
    var data = new FormData(form);
    data.append("_xsrf", xsrf);
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(words.sending);
    fetch("/comments", {method: "POST", body: data, credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (answer) {
        button.disabled = false;
        if (!answer.ok) { say(answer.body.error || words.refused); return; }
        say(answer.body.message);
        form.elements.text.value = "";
        if (answer.body.status === "pending") {
          document.getElementById("comment-awaiting").classList.add("is-shown");
        }
      })
      .catch(function () { button.disabled = false; say(words.failed); });
  });
})();
