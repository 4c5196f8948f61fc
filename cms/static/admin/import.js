/* The import job page: follow the job over a WebSocket (or by polling its JSON), then show the report. */
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.getAttribute("data-status") !== "running") return;
  var id = box.getAttribute("data-job");
  var finished = false;
  var polling = null;

  function text(elementId, value) {
    var element = document.getElementById(elementId);
    if (element) element.textContent = String(value);
  }

  function show(job) {
    var counts = job.counts || {};
    var bar = document.getElementById("import-progress");
    bar.max = Math.max(job.total || 0, 1);
    bar.value = job.done || 0;
    text("import-done", job.done || 0);
    text("import-total", job.total || 0);
    ["imported", "skipped", "warnings", "failed"].forEach(function (name) { text("count-" + name, counts[name] || 0); });
    box.setAttribute("data-status", job.status);
    if (job.status === "running") {
      text("import-status", (job.phase || "starting") + "\u2026");
    } else if (!finished) {
      finished = true;
      text("import-status", job.status === "done" ? "Done." : job.status + ": " + (job.error || ""));
      if (polling) clearInterval(polling);
      // The report is rendered by the server: load the page again to show it.
      if (job.status === "done") location.reload();
    }
  }

  function poll() {
    if (polling) return;
    polling = setInterval(function () {
      fetch("/admin/import/" + id + ".json", {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) { if (job) show(job); })
        .catch(function () {});
    }, 1500);
  }

  if (!window.WebSocket) { poll(); return; }
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + location.host + "/admin/import/" + id + "/live");
  socket.onmessage = function (event) { show(JSON.parse(event.data)); };
  socket.onclose = function () { if (!finished) poll(); };
})();
