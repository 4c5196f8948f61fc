/* Navigation (magazine): on narrow screens the menu collapses behind a button.
   Without JavaScript the links simply stay visible. */
(function () {
  "use strict";
  document.querySelectorAll(".site-nav").forEach(function (nav, index) {
    var list = nav.querySelector(".site-nav__list");
    if (!list) { return; }
    list.id = list.id || "site-nav-list-" + index;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "site-nav__toggle";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", list.id);
    button.textContent = list.dataset.menu || "Menu";  // the site's language (the module's markup says it)
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("site-nav--open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    nav.insertBefore(button, list);
    nav.classList.add("js-nav");
  });
})();
