// SIRATU inbox: what the list and the conversation page share. The live stream
// (Server-Sent Events from /admin/inbox/events), JSON calls with the CSRF token,
// and building DOM from data. Text from citizens only ever goes into
// textContent (bold/italic runs arrive pre-split from the server as
// segments): never innerHTML.
'use strict';
(function () {
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function toLogin(loginUrl) {
    var next = window.location.pathname + window.location.search;
    window.location.href = loginUrl + '?next=' + encodeURIComponent(next);
  }

  function request(url, options) {
    options = options || {};
    var headers = { Accept: 'application/json' };
    var body = options.body;
    if (options.csrf) headers['X-CSRF-Token'] = options.csrf;
    if (body && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    return fetch(url, { method: options.method || 'GET', headers: headers, body: body, credentials: 'same-origin', cache: 'no-store' }).then(function (response) {
      if (response.status === 401 && options.loginUrl) {
        toLogin(options.loginUrl);
        throw new Error('Sesi berakhir');
      }
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          if (!response.ok) {
            var error = new Error(data.message || 'Server menjawab ' + response.status + '. Coba lagi.');
            error.status = response.status;
            error.data = data;
            throw error;
          }
          return data;
        });
    });
  }

  /**
   * Follows the inbox stream. handlers.event(data) for every notice,
   * handlers.resync() after a reconnect (events may have been missed),
   * handlers.status('live' | 'retry' | 'off').
   */
  function live(url, options, handlers) {
    var source = null;
    var everOpen = false;
    var retryTimer = null;

    function status(state) {
      if (handlers.status) handlers.status(state);
    }

    function checkSession() {
      return request(options.meUrl, { loginUrl: options.loginUrl });
    }

    function open() {
      window.clearTimeout(retryTimer);
      source = new EventSource(url, { withCredentials: true });
      source.addEventListener('hello', function () {
        status('live');
        if (everOpen && handlers.resync) handlers.resync();
        everOpen = true;
      });
      source.onmessage = function (event) {
        var data;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        handlers.event(data);
      };
      source.addEventListener('bye', function () {
        source.close();
        checkSession().then(reopenLater, function () {});
      });
      source.onerror = function () {
        status('retry');
        // EventSource retries by itself unless the server answered with something that is not a stream (a redirect to the login page).
        if (source.readyState === EventSource.CLOSED) checkSession().then(reopenLater, function () {});
      };
    }

    function reopenLater() {
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(open, 5000);
    }

    open();
    return {
      close: function () {
        if (source) source.close();
      },
    };
  }

  /** A live-status line: "Pembaruan langsung aktif" or "terputus, mencoba lagi". */
  function statusLine(root) {
    var box = root.querySelector('[data-live]');
    var text = root.querySelector('[data-live-text]');
    return function (state) {
      if (!box || !text) return;
      box.classList.toggle('is-live', state === 'live');
      box.classList.toggle('is-retry', state !== 'live');
      text.textContent = state === 'live' ? 'Pembaruan langsung aktif' : 'Koneksi terputus, mencoba menyambung lagi…';
    };
  }

  window.SiratuInbox = { el: el, request: request, live: live, statusLine: statusLine, toLogin: toLogin };
})();
