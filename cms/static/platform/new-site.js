// "Start a site": says whether the typed name is free and allowed, as the person
// types (a pause of 300 ms, then one request to /new/name; answers that arrive
// after a newer question are dropped).
(function () {
  "use strict";
  var input = document.getElementById("site-name");
  var status = document.getElementById("name-status");
  if (!input || !status) { return; }
  var timer = null;
  var asked = 0;

  function show(text, ok) {
    status.textContent = text;
    status.className = "name-status " + (ok === null ? "" : ok ? "ok" : "no");
  }

  function check() {
    var name = input.value.trim().toLowerCase();
    if (!name) { show("", null); return; }
    var mine = ++asked;
    fetch(input.getAttribute("data-check") + "?name=" + encodeURIComponent(name), {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine === asked) { show(answer.message, answer.available); }
      })
      .catch(function () {
        if (mine === asked) { show("", null); }  // the server will say so when the form is sent
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  if (input.value) { check(); }
})();
