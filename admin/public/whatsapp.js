// SIRATU admin, WhatsApp page: polls the connection status every 2 seconds and updates the page in place.
'use strict';
(function () {
  var root = document.querySelector('[data-wa-status]');
  if (!root) return;
  var url = root.getAttribute('data-url');
  var loginUrl = root.getAttribute('data-login');
  var live = root.querySelector('[data-field="live"]');
  var INTERVAL = 2000;
  var timer = null;
  var failures = 0;

  function setField(name, value) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-field="' + name + '"]'), function (node) {
      if (node.tagName === 'IMG') {
        if (value && node.getAttribute('src') !== value) node.setAttribute('src', value);
      } else if (node.textContent !== (value || '')) {
        node.textContent = value || '';
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-when-field="' + name + '"]'), function (node) {
      node.hidden = !value;
    });
  }

  var shownState = root.getAttribute('data-state');

  function render(status) {
    // A notice about the last action ("code requested") is stale once the connection moved on.
    if (status.state !== shownState) {
      Array.prototype.forEach.call(document.querySelectorAll('main > .flash'), function (node) {
        node.hidden = true;
      });
    }
    ['ok', 'wait', 'bad', 'off'].forEach(function (tone) {
      root.classList.toggle('wa-' + tone, tone === status.tone);
    });
    ['label', 'hint', 'me', 'sinceText', 'retryAtText', 'lastError', 'qrImage', 'pairingCode'].forEach(function (name) {
      setField(name, status[name]);
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-when]'), function (node) {
      node.hidden = node.getAttribute('data-when').split(' ').indexOf(status.state) < 0;
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    if (!document.hidden) timer = window.setTimeout(poll, INTERVAL);
  }

  function poll() {
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401) {
          window.location.href = loginUrl;
          return null;
        }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (status) {
        if (!status) return;
        failures = 0;
        live.textContent = 'Status diperbarui otomatis setiap 2 detik.';
        render(status);
        schedule();
      })
      .catch(function () {
        failures += 1;
        if (failures >= 2) live.textContent = 'Server tidak terjangkau; status di atas mungkin sudah lama. Mencoba lagi…';
        schedule();
      });
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) poll();
    else window.clearTimeout(timer);
  });
  schedule();
})();
