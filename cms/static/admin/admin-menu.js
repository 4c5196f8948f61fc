// The admin's menu on a phone: behind a Menu button, a disclosure (aria-expanded) that
// Enter, Space and a tap open and Escape closes. Without this script the button stays
// hidden and the menu is simply shown; admin.css collapses it only under the class set here.
// Loaded in <head> without defer, so the class is there before the page is first drawn.
document.documentElement.classList.add('js-menu');

document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('admin-menu-button');
  const menu = document.getElementById('admin-menu');
  if (!button || !menu) return;
  const setOpen = open => {
    button.setAttribute('aria-expanded', String(open));
    menu.classList.toggle('open', open);
  };
  button.hidden = false;
  button.addEventListener('click', () => setOpen(button.getAttribute('aria-expanded') !== 'true'));
  menu.addEventListener('keydown', event => {
    if (event.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') {
      setOpen(false);
      button.focus();
    }
  });
});
