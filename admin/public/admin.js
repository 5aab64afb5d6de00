// SIRATU admin: behaviour shared by every page (no inline scripts: the CSP forbids them).
'use strict';
(function () {
  // Forms with data-confirm ask before doing something hard to undo.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one request: a slow server must not get the same form twice.
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = '1';
    Array.prototype.forEach.call(form.querySelectorAll('button[type="submit"]'), function (button) {
      button.setAttribute('aria-busy', 'true');
    });
    window.setTimeout(function () {
      delete form.dataset.sent;
      Array.prototype.forEach.call(form.querySelectorAll('button[aria-busy]'), function (button) {
        button.removeAttribute('aria-busy');
      });
    }, 8000);
  });
})();
