// SIRATU knowledge-base import: sends the chosen file (multipart, with the session's
// CSRF token in a header: the area's form parsers do not read file uploads) and
// shows the per-row report the server renders.
'use strict';
(function () {
  var form = document.getElementById('kb-import');
  if (!form) return;
  var report = document.getElementById('kb-import-report');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var button = form.querySelector('button[type="submit"]');
    button.setAttribute('aria-busy', 'true');
    report.textContent = 'Memeriksa berkas…';
    fetch(form.action, {
      method: 'POST',
      headers: { Accept: 'text/html', 'X-CSRF-Token': form.getAttribute('data-csrf') },
      body: new FormData(form),
      credentials: 'same-origin',
    })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) throw new Error('Sesi berakhir atau formulir kedaluwarsa. Muat ulang halaman, lalu coba lagi.');
        return response.text();
      })
      .then(function (html) {
        // Server-rendered and escaped by the page's own templates.
        report.innerHTML = html;
      })
      .catch(function (error) {
        report.textContent = error.message || 'Impor gagal. Coba lagi.';
      })
      .then(function () {
        button.removeAttribute('aria-busy');
        delete form.dataset.sent;
      });
  });
})();
