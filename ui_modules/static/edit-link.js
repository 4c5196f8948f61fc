/* The reader page's "Edit" link (issue 12), for a signed-in member who may edit it.
 * The page is shared and cached, so it holds no link: only a browser with the
 * admin's hint cookie (cms_member) asks the server, uncached, and adds the link
 * when the answer names one. Anyone else makes no request at all. When done,
 * <html data-edit-link> says "shown" or "none" (tests wait on it). */
(function () {
  "use strict";
  var root = document.documentElement;
  function done(state) { root.setAttribute("data-edit-link", state); }
  if (!/(?:^|;\s*)cms_member=1(?:;|$)/.test(document.cookie) || !window.fetch) { done("none"); return; }
  function forget() { document.cookie = "cms_member=; max-age=0; path=/; samesite=lax"; }
  fetch("/admin/edit-link.json?path=" + encodeURIComponent(location.pathname),
        {credentials: "same-origin", redirect: "manual", cache: "no-store", headers: {"Accept": "application/json"}})
    .then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 403) { forget(); return {}; }  // signed out
      return response.ok ? response.json() : {};
    })
    .then(function (answer) {
      if (!answer.edit || answer.edit.indexOf("/admin/") !== 0) { done("none"); return; }
      var link = document.createElement("a");
      link.href = answer.edit;
      link.className = "edit-link";
      link.id = "edit-link";
      link.textContent = "Edit";
      /* Styled here (CSSOM, allowed by the CSP): no stylesheet for readers who never see it. */
      var style = link.style;
      style.position = "fixed"; style.right = "1rem"; style.bottom = "1rem"; style.zIndex = "1000";
      style.padding = ".5rem 1rem"; style.borderRadius = "999px"; style.background = "#1f2937";
      style.color = "#fff"; style.font = "600 0.95rem/1.2 system-ui, sans-serif"; style.textDecoration = "none";
      style.boxShadow = "0 2px 8px rgba(0,0,0,.3)";
      document.body.appendChild(link);
      done("shown");
    })
    .catch(function () { done("none"); });
})();
