// SIRATU inbox, one conversation: new messages appear live, the reply box sends
// with Enter (Shift+Enter: new line; Ctrl+Enter works too), files go as
// multipart with the CSRF token in a header, and "/" opens the canned
// responses (arrow keys, Enter or Tab to insert, Esc to close).
// Data only ever reaches the DOM through textContent.
'use strict';
(function () {
  var root = document.querySelector('[data-conversation]');
  if (!root || !window.SiratuInbox) return;
  var S = window.SiratuInbox;
  var el = S.el;
  var id = root.getAttribute('data-id');
  var csrf = root.getAttribute('data-csrf');
  var loginUrl = root.getAttribute('data-login-url');
  var apiUrl = root.getAttribute('data-api-url');
  var readUrl = root.getAttribute('data-read-url');
  var replyUrl = root.getAttribute('data-reply-url');
  var cannedUrl = root.getAttribute('data-canned-url');
  var after = root.getAttribute('data-after') || '';
  var readUpTo = after;
  var log = root.querySelector('[data-log]');
  var composer = root.querySelector('[data-composer]');
  var composerOff = root.querySelector('[data-composer-off]');
  var input = root.querySelector('[data-reply]');
  var errorBox = root.querySelector('[data-error]');
  var stateLabel = root.querySelector('[data-state-label]');
  var changed = root.querySelector('[data-changed]');
  var changedText = root.querySelector('[data-changed-text]');
  var shownState = root.getAttribute('data-state') + '|' + root.getAttribute('data-mine');
  var MAX_FILE = 5 * 1024 * 1024;
  var TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/pdf'];

  // ---- the history ------------------------------------------------------------------------------

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }
  function toBottom() {
    log.scrollTop = log.scrollHeight;
  }

  function messageNode(m) {
    var item = el('li', 'msg msg-' + m.side);
    item.setAttribute('data-id', m.id);
    var bubble = el('div', 'bubble');
    bubble.appendChild(el('div', 'msg-who', m.who));
    if (m.text) {
      var text = el('div', 'msg-text');
      m.segments.forEach(function (part) {
        text.appendChild(part.bold ? el('strong', '', part.text) : part.italic ? el('em', '', part.text) : document.createTextNode(part.text));
      });
      bubble.appendChild(text);
    }
    if (m.attachments.length) {
      var files = el('div', 'msg-files');
      m.attachments.forEach(function (a) {
        var link = el('a', a.image ? 'file-thumb' : 'file-link');
        link.href = a.url;
        link.target = '_blank';
        link.rel = 'noopener';
        if (a.image) {
          var img = document.createElement('img');
          img.src = a.url;
          img.alt = a.name;
          link.appendChild(img);
        } else {
          link.textContent = a.name + (a.size ? ' (' + a.size + ')' : '');
        }
        files.appendChild(link);
      });
      bubble.appendChild(files);
    }
    if (m.options.length) {
      var options = el('div', 'msg-options');
      options.setAttribute('aria-label', 'Pilihan yang ditawarkan');
      m.options.forEach(function (option) {
        options.appendChild(el('span', '', option));
      });
      bubble.appendChild(options);
    }
    m.flags.forEach(function (flag) {
      bubble.appendChild(el('div', 'msg-flag' + (flag.bad ? ' bad' : ''), flag.text));
    });
    var time = el('time', 'msg-time', m.time);
    time.title = m.timeTitle;
    bubble.appendChild(time);
    item.appendChild(bubble);
    return item;
  }

  /** Puts messages in id (= time) order, replacing ones already shown. `advance`: they came from the history feed. */
  function append(messages, advance) {
    var stick = nearBottom();
    messages.forEach(function (m) {
      var node = messageNode(m);
      var existing = log.querySelector('[data-id="' + CSS.escape(m.id) + '"]');
      if (existing) existing.replaceWith(node);
      else {
        var later = Array.prototype.find.call(log.children, function (child) {
          return child.getAttribute('data-id') > m.id;
        });
        log.insertBefore(node, later || null);
      }
      if (advance && m.id > after) after = m.id;
    });
    if (stick || messages.some(function (m) { return m.side === 'agent'; })) toBottom();
    markRead();
  }

  function markRead() {
    if (document.hidden || !after || after === readUpTo) return;
    var upTo = after;
    S.request(readUrl, { method: 'POST', csrf: csrf, body: { messageId: upTo }, loginUrl: loginUrl }).then(
      function () {
        if (upTo > readUpTo) readUpTo = upTo;
      },
      function () {},
    );
  }

  // ---- state and allowed actions ----------------------------------------------------------------

  function applyState(c) {
    stateLabel.textContent = c.label;
    stateLabel.className = 'state state-' + c.tone;
    ['claim', 'handBack', 'close', 'assign'].forEach(function (action) {
      var form = root.querySelector('[data-action="' + action + '"]');
      if (form) form.hidden = !c.can[action];
    });
    if (composer) composer.hidden = !c.can.reply;
    if (composerOff) {
      composerOff.hidden = c.can.reply;
      if (!c.can.reply) composerOff.textContent = c.state === 'closed' ? 'Percakapan ini sudah selesai. Jika warga menulis lagi, percakapan baru muncul di kotak masuk.' : 'Percakapan ini ditangani ' + c.owner + '. Hanya petugas itu atau supervisor yang bisa membalas.';
    }
    var key = c.state + '|' + (c.mine ? '1' : '');
    if (key !== shownState) {
      shownState = key;
      root.setAttribute('data-state', c.state);
      if (!c.mine) {
        changedText.textContent = c.state === 'agent' ? 'Percakapan ini sekarang ditangani ' + c.owner + '.' : 'Status percakapan berubah: ' + c.label + '.';
        changed.hidden = false;
      }
    }
  }

  var fetching = false;
  var fetchAgain = false;
  function fetchNew() {
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = true;
    S.request(apiUrl + (after ? '?after=' + encodeURIComponent(after) : ''), { loginUrl: loginUrl })
      .then(function (data) {
        append(data.messages, true);
        applyState(data.conversation);
      }, function () {})
      .then(function () {
        fetching = false;
        if (fetchAgain) {
          fetchAgain = false;
          fetchNew();
        }
      });
  }

  S.live(root.getAttribute('data-events-url'), { meUrl: root.getAttribute('data-me-url'), loginUrl: loginUrl }, {
    event: function (event) {
      if (event.conversationId !== id) return;
      if (event.type === 'ticket') {
        changedText.textContent = 'Ada perubahan pada tiket percakapan ini.';
        changed.hidden = false;
        return;
      }
      fetchNew();
    },
    resync: fetchNew,
    status: function () {},
  });
  document.addEventListener('visibilitychange', markRead);
  root.querySelector('[data-reload]').addEventListener('click', function (event) {
    event.preventDefault();
    window.location.reload();
  });
  toBottom();
  // Photos load after the page: a history read at its end stays at its end.
  var pinned = true;
  log.addEventListener('scroll', function () {
    pinned = nearBottom();
  });
  log.addEventListener(
    'load',
    function () {
      if (pinned) toBottom();
    },
    true,
  );
  // A confirmation ("Balasan terkirim") has done its job after a few seconds; the chat needs the room.
  var done = root.querySelector('.conv-main > .flash-ok');
  if (done) {
    window.setTimeout(function () {
      done.hidden = true;
    }, 8000);
  }

  if (!composer || !input) return;

  // The reply box grows with what is typed (up to 40% of the screen, see inbox.css).
  function grow() {
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + 2 + 'px';
  }
  input.addEventListener('input', grow);

  // ---- attachments ------------------------------------------------------------------------------

  var attach = root.querySelector('[data-attach]');
  var fileInput = root.querySelector('[data-file]');
  var chosen = root.querySelector('[data-file-chosen]');
  var chosenName = root.querySelector('[data-file-name]');
  var attachNote = root.querySelector('[data-attach-note]');
  if (attach && !attach.hasAttribute('data-disabled')) attach.hidden = false;
  if (attachNote) attachNote.hidden = false;

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  }
  function clearFile() {
    fileInput.value = '';
    chosen.hidden = true;
    chosenName.textContent = '';
  }
  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    showError('');
    if (!file) return clearFile();
    if (file.size > MAX_FILE) {
      clearFile();
      return showError('Berkas terlalu besar (paling besar 5 MB).');
    }
    if (file.type && TYPES.indexOf(file.type) < 0) {
      clearFile();
      return showError('Kirim foto (JPG, PNG, WebP, GIF) atau dokumen PDF.');
    }
    chosenName.textContent = file.name;
    chosen.hidden = false;
  });
  root.querySelector('[data-file-clear]').addEventListener('click', clearFile);

  // ---- sending ----------------------------------------------------------------------------------

  var sendButton = composer.querySelector('.send');
  var sending = false;
  function send() {
    if (sending) return;
    var text = input.value.trim();
    var file = fileInput.files && fileInput.files[0];
    if (!text && !file) return showError('Tulis balasan dulu.');
    var body;
    if (file) {
      body = new FormData();
      body.append('text', text);
      body.append('file', file, file.name);
    } else {
      body = { text: text };
    }
    sending = true;
    sendButton.disabled = true;
    sendButton.textContent = 'Mengirim…';
    showError('');
    S.request(replyUrl, { method: 'POST', csrf: csrf, body: body, loginUrl: loginUrl })
      .then(
        function (data) {
          input.value = '';
          grow();
          clearFile();
          append([data.message], false);
          applyState(data.conversation);
          toBottom();
          // What the server posted around it (e.g. "now served by…" when replying claimed the chat).
          fetchNew();
        },
        function (error) {
          showError(error.message || 'Balasan belum terkirim. Periksa koneksi, lalu coba lagi.');
        },
      )
      .then(function () {
        sending = false;
        sendButton.disabled = false;
        sendButton.textContent = 'Kirim';
        input.focus();
      });
  }
  composer.addEventListener('submit', function (event) {
    event.preventDefault();
    event.stopPropagation();
    send();
  });

  // ---- canned responses -------------------------------------------------------------------------

  var pop = root.querySelector('[data-canned-pop]');
  var responses = null;
  var loading = null;
  var matches = [];
  var active = 0;
  var token = null; // {start, end, query}

  function load() {
    if (responses) return Promise.resolve(responses);
    if (!loading) {
      loading = S.request(cannedUrl, { loginUrl: loginUrl }).then(
        function (data) {
          responses = data.responses;
          return responses;
        },
        function () {
          loading = null;
          return [];
        },
      );
    }
    return loading;
  }

  function currentToken() {
    var caret = input.selectionStart;
    if (caret !== input.selectionEnd) return null;
    var before = input.value.slice(0, caret);
    var match = /(^|\s)\/([^\s/]{0,30})$/u.exec(before);
    if (!match) return null;
    return { start: caret - match[2].length - 1, end: caret, query: match[2].toLowerCase() };
  }

  function close() {
    pop.hidden = true;
    pop.replaceChildren();
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    token = null;
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(pop.querySelectorAll('[role="option"]'), function (node, i) {
      node.setAttribute('aria-selected', i === index ? 'true' : 'false');
      if (i === index) {
        input.setAttribute('aria-activedescendant', node.id);
        node.scrollIntoView({ block: 'nearest' });
      }
    });
  }

  function show() {
    var query = token.query;
    matches = responses.filter(function (r) {
      return !query || r.shortcut.indexOf(query) === 0 || r.shortcut.indexOf(query) > 0 || r.title.toLowerCase().indexOf(query) >= 0;
    });
    matches.sort(function (a, b) {
      return (b.shortcut.indexOf(query) === 0) - (a.shortcut.indexOf(query) === 0);
    });
    pop.replaceChildren();
    var head = el('div', 'canned-pop-head', 'Jawaban cepat' + (query ? ' untuk “/' + query + '”' : '') + ' · ↑↓ pilih · Enter sisipkan · Esc tutup');
    head.setAttribute('role', 'presentation');
    pop.appendChild(head);
    if (!matches.length) {
      var none = el('div', 'canned-none', responses.length ? 'Tidak ada yang cocok.' : 'Belum ada jawaban cepat.');
      var manage = el('a', '', 'Kelola jawaban cepat');
      manage.href = root.getAttribute('data-canned-page-url');
      none.appendChild(document.createTextNode(' '));
      none.appendChild(manage);
      pop.appendChild(none);
    }
    matches.forEach(function (r, i) {
      var option = el('div', 'canned-option');
      option.id = 'canned-' + i;
      option.setAttribute('role', 'option');
      var line = el('div', 'canned-line');
      line.appendChild(el('code', 'shortcut', '/' + r.shortcut));
      line.appendChild(el('strong', '', r.title));
      line.appendChild(el('span', 'badge ' + (r.shared ? 'badge-shared' : 'badge-own'), r.shared ? 'Bersama' : 'Pribadi'));
      option.appendChild(line);
      option.appendChild(el('div', 'canned-preview', r.text.replace(/\s+/g, ' ')));
      option.addEventListener('mousedown', function (event) {
        event.preventDefault();
        choose(i);
      });
      pop.appendChild(option);
    });
    pop.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    highlight(0);
  }

  function choose(index) {
    var r = matches[index];
    if (!r || !token) return close();
    var value = input.value;
    input.value = value.slice(0, token.start) + r.text + value.slice(token.end);
    var caret = token.start + r.text.length;
    input.setSelectionRange(caret, caret);
    grow();
    close();
    input.focus();
  }

  function update() {
    var found = currentToken();
    if (!found) return close();
    token = found;
    load().then(function () {
      if (token) show();
    });
  }

  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('blur', function () {
    window.setTimeout(close, 150);
  });
  input.addEventListener('keydown', function (event) {
    if (event.isComposing) return;
    if (!pop.hidden && matches.length) {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        return highlight((active + 1) % matches.length);
      }
      if (event.key === 'ArrowUp') {
        event.preventDefault();
        return highlight((active - 1 + matches.length) % matches.length);
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        return choose(active);
      }
    }
    if (!pop.hidden && event.key === 'Escape') {
      event.preventDefault();
      return close();
    }
    if (event.key === 'Enter' && (!event.shiftKey || event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
})();
