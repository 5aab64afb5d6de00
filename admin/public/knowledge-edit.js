// SIRATU knowledge-base edit form: special-case rows added and removed in place,
// and a live preview (the answer on WhatsApp and web chat, plus "try a question"
// before/after) fetched from the server as it is rendered there. The form works
// without this file: "Perbarui pratinjau" posts it and the page comes back.
'use strict';
(function () {
  var form = document.getElementById('kb-form');
  if (!form) return;
  var cases = document.getElementById('kb-cases');
  var template = document.getElementById('kb-case-template');
  var addButton = document.getElementById('kb-add-case');
  var live = document.getElementById('kb-live');
  var refresh = document.getElementById('kb-refresh');
  var question = document.getElementById('f-tanya');
  var counter = cases.children.length;

  // Rows: every row gets its remove button; the spare empty row of the no-script page stays.
  Array.prototype.forEach.call(document.querySelectorAll('.kb-remove-case'), function (button) {
    button.hidden = false;
  });
  Array.prototype.forEach.call(document.querySelectorAll('.kb-nojs'), function (node) {
    node.hidden = true;
  });
  addButton.hidden = false;

  function label(row) {
    counter += 1;
    var labels = row.querySelectorAll('label');
    var fields = row.querySelectorAll('input, textarea');
    for (var i = 0; i < fields.length; i++) {
      fields[i].id = 'case-new-' + counter + '-' + i;
      labels[i].setAttribute('for', fields[i].id);
    }
  }

  addButton.addEventListener('click', function () {
    var row = template.content.firstElementChild.cloneNode(true);
    label(row);
    cases.appendChild(row);
    row.querySelector('input').focus();
  });

  cases.addEventListener('click', function (event) {
    var button = event.target.closest('.kb-remove-case');
    if (!button) return;
    var row = button.closest('.kb-case');
    if (cases.children.length > 1) row.remove();
    else Array.prototype.forEach.call(row.querySelectorAll('input, textarea'), function (field) { field.value = ''; });
    schedule();
    addButton.focus();
  });

  // Empty rows are not sent: fewer form fields, nothing to trip the server's field limit.
  // Enter in a text field "submits" with the hidden preview button: here that only refreshes the preview.
  form.addEventListener('submit', function (event) {
    if (event.submitter && event.submitter.value === 'preview') {
      event.preventDefault();
      event.stopPropagation();
      window.clearTimeout(timer);
      update();
      return;
    }
    Array.prototype.forEach.call(cases.querySelectorAll('.kb-case'), function (row) {
      var fields = row.querySelectorAll('input, textarea');
      var empty = Array.prototype.every.call(fields, function (field) { return !field.value.trim(); });
      Array.prototype.forEach.call(fields, function (field) { field.disabled = empty; });
    });
    window.setTimeout(function () {
      Array.prototype.forEach.call(cases.querySelectorAll('[disabled]'), function (field) { field.disabled = false; });
    }, 0);
  }, true);

  // Live preview.
  var timer = null;
  var pending = null;
  function update() {
    var body = new URLSearchParams(new FormData(form));
    body.delete('action');
    if (pending) pending.abort();
    pending = new AbortController();
    live.setAttribute('aria-busy', 'true');
    fetch(form.getAttribute('data-preview-url'), {
      method: 'POST',
      headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      credentials: 'same-origin',
      signal: pending.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error('preview ' + response.status);
        return response.text();
      })
      .then(function (html) {
        // Server-rendered and escaped by the same templates as the page itself.
        live.innerHTML = html;
        live.removeAttribute('aria-busy');
      })
      .catch(function (error) {
        if (error.name !== 'AbortError') live.removeAttribute('aria-busy');
      });
  }
  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 600);
  }
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
  question.addEventListener('input', schedule);
  question.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    window.clearTimeout(timer);
    update();
  });
  // The preview follows the typing; the no-script button is not needed.
  refresh.hidden = true;
})();
