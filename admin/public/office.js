// SIRATU admin: the office profile and holiday forms (admin/views/office*.eta).
// Rows are added from a <template> and removed in place; the form is sent as
// JSON (more fields than a form post may carry), and the server's answer puts
// each message next to its field.
'use strict';
(function () {
  var form = document.querySelector('form[data-json-form]');
  if (!form) return;
  var summary = form.querySelector('[data-form-error]');
  var status = form.querySelector('[data-form-status]');
  var submit = form.querySelector('button[type="submit"]');
  var DAYS = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'];
  var dirty = false;

  // ---- rows ----------------------------------------------------------------------------------
  function list(name) {
    return form.querySelector('[data-list="' + name + '"]');
  }
  form.addEventListener('click', function (event) {
    var add = event.target.closest('[data-add]');
    if (add) {
      var name = add.getAttribute('data-add');
      var template = form.querySelector('template[data-template="' + name + '"]');
      var row = template.content.firstElementChild.cloneNode(true);
      list(name).appendChild(row);
      var first = row.querySelector('input, select, textarea');
      if (first) first.focus();
      dirty = true;
      return;
    }
    var remove = event.target.closest('[data-remove]');
    if (remove) {
      var gone = remove.closest('[data-row]');
      var next = gone.nextElementSibling || gone.previousElementSibling;
      gone.remove();
      var focus = next ? next.querySelector('input, select, textarea') : form.querySelector('[data-add]');
      if (focus) focus.focus();
      dirty = true;
    }
  });

  // The weekday next to a holiday's date, so a typo in the date shows at once.
  function showWeekday(input) {
    var label = input.closest('[data-row]').querySelector('[data-weekday]');
    if (!label) return;
    var day = /^\d{4}-\d{2}-\d{2}$/.test(input.value) ? new Date(input.value + 'T00:00:00Z').getUTCDay() : NaN;
    label.textContent = isNaN(day) ? '' : DAYS[day];
  }
  form.addEventListener('input', function (event) {
    dirty = true;
    if (event.target.matches('[data-weekday-source]')) showWeekday(event.target);
  });
  window.addEventListener('beforeunload', function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = '';
  });

  // ---- the form as JSON --------------------------------------------------------------------
  function setPath(target, path, value) {
    var keys = path.split('.');
    var node = target;
    for (var i = 0; i < keys.length - 1; i++) node = node[keys[i]] = node[keys[i]] || {};
    node[keys[keys.length - 1]] = value;
  }
  function collect() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !el.closest('[data-row]')) setPath(data, el.name, el.value);
    });
    Array.prototype.forEach.call(form.querySelectorAll('[data-list]'), function (container) {
      var rows = [];
      Array.prototype.forEach.call(container.querySelectorAll(':scope > [data-row]'), function (row) {
        var item = {};
        Array.prototype.forEach.call(row.querySelectorAll('[data-key]'), function (el) {
          item[el.getAttribute('data-key')] = el.value;
        });
        rows.push(item);
      });
      setPath(data, container.getAttribute('data-list'), rows);
    });
    return data;
  }

  // ---- messages next to fields --------------------------------------------------------------
  var counter = 0;
  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll('.field-error'), function (el) {
      el.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (el) {
      el.removeAttribute('aria-invalid');
      var described = (el.getAttribute('aria-describedby') || '').split(' ').filter(function (id) {
        return id.indexOf('fe-') !== 0;
      });
      if (described.length) el.setAttribute('aria-describedby', described.join(' '));
      else el.removeAttribute('aria-describedby');
    });
    summary.hidden = true;
    summary.textContent = '';
  }
  /** The field (or the list, or the row) a server path like "kecamatan.2.kelurahan" names. */
  function fieldFor(path) {
    var keys = path.split('.');
    var container = list(keys[0]);
    if (container) {
      var row = keys.length > 1 ? container.querySelectorAll(':scope > [data-row]')[Number(keys[1])] : null;
      if (!row) return container;
      return (keys[2] && row.querySelector('[data-key="' + keys[2] + '"]')) || row;
    }
    for (var n = keys.length; n > 0; n--) {
      var name = keys.slice(0, n).join('.');
      var el = form.querySelector('[name="' + name + '"]') || form.querySelector('[data-list-error="' + name + '"]');
      if (el) return el;
    }
    return null;
  }
  function showError(path, message) {
    var field = fieldFor(path);
    if (!field) return null;
    var note = document.createElement('p');
    note.className = 'field-error';
    note.id = 'fe-' + ++counter;
    note.textContent = message;
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName)) {
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', ((field.getAttribute('aria-describedby') || '') + ' ' + note.id).trim());
      // In a row (a weekday's hours, a phone, a kecamatan) the message goes under the whole row, not between its fields.
      var row = field.closest('[data-row], [data-errors-here]');
      if (row) row.appendChild(note);
      else (field.closest('label') || field).insertAdjacentElement('afterend', note);
    } else if (field.hasAttribute('data-row')) {
      field.appendChild(note);
    } else {
      field.insertAdjacentElement('afterend', note);
    }
    return field;
  }
  function fail(message, fields) {
    summary.textContent = message + (fields && fields.length ? ' (' + fields.length + ' isian)' : '');
    summary.hidden = false;
    var first = null;
    (fields || []).forEach(function (problem) {
      var field = showError(problem.path, problem.message);
      if (!first && field) first = field;
    });
    var target = first && /^(INPUT|SELECT|TEXTAREA)$/.test(first.tagName) ? first : summary;
    if (target === summary) summary.setAttribute('tabindex', '-1');
    target.focus();
    if (target.scrollIntoView) target.scrollIntoView({ block: 'center' });
  }

  form.addEventListener('submit', function (event) {
    // This form is sent here, not by the browser: admin.js's once-only guard for plain forms stays out of it.
    event.preventDefault();
    event.stopPropagation();
    if (submit.getAttribute('aria-busy') === 'true') return;
    clearErrors();
    submit.setAttribute('aria-busy', 'true');
    status.textContent = 'Menyimpan…';
    var token = form.querySelector('input[name="_csrf"]').value;
    fetch(form.getAttribute('action'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': token },
      body: JSON.stringify(collect()),
    })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return { ok: false, body: { message: 'Server tidak menjawab dengan benar. Coba lagi sebentar lagi.' } };
          },
        );
      })
      .then(function (result) {
        if (result.ok && result.body.redirect) {
          dirty = false;
          status.textContent = 'Tersimpan.';
          window.location.assign(result.body.redirect);
          return;
        }
        status.textContent = '';
        fail(result.body.message || 'Gagal menyimpan.', result.body.fields);
      })
      .catch(function () {
        status.textContent = '';
        fail('Tidak tersambung ke server. Periksa koneksi, lalu simpan lagi.', []);
      })
      .then(function () {
        submit.removeAttribute('aria-busy');
      });
  });
})();
