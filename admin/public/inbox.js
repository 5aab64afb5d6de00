// SIRATU inbox, the conversation list: follows the live stream and refreshes the
// list and the unread counts in place (no reload). Rows are built with
// textContent only; they mirror views/inbox-row.eta.
'use strict';
(function () {
  var root = document.querySelector('[data-inbox]');
  if (!root || !window.SiratuInbox) return;
  var S = window.SiratuInbox;
  var el = S.el;
  var list = root.querySelector('[data-list]');
  var empty = root.querySelector('[data-empty]');
  var baseTitle = document.title;
  var params = new URLSearchParams();
  params.set('view', root.getAttribute('data-view'));
  if (root.getAttribute('data-label')) params.set('label', root.getAttribute('data-label'));
  if (root.getAttribute('data-query')) params.set('q', root.getAttribute('data-query'));
  var listUrl = root.getAttribute('data-list-url') + '?' + params.toString();
  var loginUrl = root.getAttribute('data-login-url');

  function rowNode(row, isNew) {
    var item = el('li', 'conv-item' + (row.unread ? ' is-unread' : '') + (row.restricted ? ' is-restricted' : '') + (isNew ? ' is-new' : ''));
    item.setAttribute('data-id', row.id);
    var link = el('a', 'conv-link');
    link.href = row.href;
    var channel = el('span', 'ch ch-' + row.channel, row.channelShort);
    channel.title = row.channelLabel;
    link.appendChild(channel);
    var body = el('span', 'conv-body');
    var top = el('span', 'conv-top');
    top.appendChild(el('span', 'conv-name', row.name));
    top.appendChild(el('span', 'conv-channel', row.channelLabel));
    var time = el('time', 'conv-time', row.time);
    time.title = row.timeTitle;
    top.appendChild(time);
    if (row.unread) {
      var unread = el('span', 'unread', row.unread);
      unread.title = row.unread + ' pesan belum dibaca';
      unread.appendChild(el('span', 'sr-only', ' pesan belum dibaca'));
      top.appendChild(unread);
    }
    body.appendChild(top);
    var preview = el('span', 'conv-preview');
    if (row.previewWho) {
      preview.appendChild(el('span', 'conv-who', row.previewWho + ':'));
      preview.appendChild(document.createTextNode(' '));
    }
    preview.appendChild(document.createTextNode(row.preview));
    body.appendChild(preview);
    var meta = el('span', 'conv-meta');
    meta.appendChild(el('span', 'state state-' + row.state.tone, row.state.label));
    row.tickets.forEach(function (ticket) {
      meta.appendChild(el('span', 'tk tk-' + ticket.status, ticket.number + ' · ' + ticket.statusLabel));
    });
    row.labels.forEach(function (label) {
      meta.appendChild(el('span', 'tag', label));
    });
    body.appendChild(meta);
    link.appendChild(body);
    item.appendChild(link);
    return item;
  }

  function render(data) {
    var before = {};
    Array.prototype.forEach.call(list.children, function (node) {
      before[node.getAttribute('data-id')] = true;
    });
    var fragment = document.createDocumentFragment();
    data.rows.forEach(function (row) {
      fragment.appendChild(rowNode(row, !before[row.id]));
    });
    // Keyboard users keep their place when the list is rebuilt under them.
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.closest('[data-id]').getAttribute('data-id') : null;
    list.replaceChildren(fragment);
    if (focused) {
      var target = list.querySelector('[data-id="' + CSS.escape(focused) + '"] a');
      if (target) target.focus();
    }
    empty.hidden = data.rows.length > 0;
    Object.keys(data.counts).forEach(function (view) {
      var badge = root.querySelector('[data-count="' + view + '"]');
      if (!badge) return;
      badge.textContent = String(data.counts[view]);
      badge.hidden = !data.counts[view];
    });
    var attention = (data.counts.waiting || 0) + (data.counts.mine || 0);
    document.title = (attention ? '(' + attention + ') ' : '') + baseTitle;
  }

  // At most one refresh in flight and one queued behind it, and at most one a second: a burst of events
  // costs two requests, and a busy office does not turn every open inbox into a stream of requests.
  var busy = false;
  var again = false;
  var timer = null;
  var lastRun = 0;
  var MIN_GAP = 1000;
  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    lastRun = Date.now();
    S.request(listUrl, { loginUrl: loginUrl })
      .then(render, function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }
  function schedule() {
    if (timer) return;
    var wait = Math.max(250, MIN_GAP - (Date.now() - lastRun));
    timer = window.setTimeout(function () {
      timer = null;
      refresh();
    }, wait);
  }

  /** The bot answering someone who is not on this list changes neither the list nor the unread counts. */
  function relevant(event) {
    if (event.type !== 'message' || event.author === 'citizen') return true;
    return Boolean(list.querySelector('[data-id="' + CSS.escape(event.conversationId) + '"]'));
  }

  S.live(root.getAttribute('data-events-url'), { meUrl: root.getAttribute('data-me-url'), loginUrl: loginUrl }, {
    event: function (event) {
      if (relevant(event)) schedule();
    },
    resync: schedule,
    status: S.statusLine(root),
  });
  // Waiting times ("Menunggu petugas · 12 mnt") age: refresh them every minute.
  window.setInterval(function () {
    if (!document.hidden) schedule();
  }, 60000);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) schedule();
  });
})();
