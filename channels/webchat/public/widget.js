/*!
 * SIRATU web chat widget. Embed with one tag:
 *   <script src="https://HOST/webchat/widget.js" data-title="Tanya SIRATU" async></script>
 * Optional: data-open="true" opens the chat on load; data-subtitle="..." overrides the office name.
 * Hand-written, no dependencies, no build step. Renders inside a Shadow DOM so the host page's CSS
 * cannot break it, and never inserts message text as HTML (every text is a DOM text node).
 */
(function () {
  'use strict';
  if (window.__siratuWidget) return;
  window.__siratuWidget = true;

  var script = document.currentScript || document.querySelector('script[src*="/webchat/widget.js"]');
  if (!script) return;
  var BASE = new URL(script.src, location.href).href.replace(/\/widget\.js(\?.*)?$/, '');
  var API = BASE + '/api';
  var TITLE = script.getAttribute('data-title') || 'Tanya SIRATU';
  var SUBTITLE = script.getAttribute('data-subtitle') || '';
  var START_OPEN = script.getAttribute('data-open') === 'true';
  var STORE_KEY = 'siratu.session@' + BASE;
  var ACTIVE_KEY = 'siratu.active@' + BASE;
  var LIVE_AFTER_CLOSE_MS = 2 * 60 * 60 * 1000;
  var MAX_TEXT = 4000;
  var MAX_CAPTION = 1000;
  var MAX_FILE = 5 * 1024 * 1024;
  var FILE_TYPES = /^(image\/(jpeg|png|webp|gif)|application\/pdf)$/;

  var T = {
    open: 'Buka chat ' + TITLE,
    close: 'Tutup chat',
    subtitle: 'Layanan Disdukcapil',
    online: 'Asisten chat otomatis',
    placeholder: 'Tulis pesan…',
    input: 'Tulis pesan',
    send: 'Kirim pesan',
    menu: 'Menu',
    menuLabel: 'Tampilkan menu layanan',
    typing: 'mengetik…',
    agent: 'Petugas',
    you: 'Anda',
    sending: 'mengirim…',
    log: 'Percakapan',
    unread: 'pesan baru',
    welcome: function (office) {
      return 'Halo! Saya *SIRATU*, asisten chat ' + (office || 'Disdukcapil') + '.\n' +
        'Tanyakan syarat KTP, KK, akta, atau pindah domisili. Bisa juga membuat pengaduan.\n' +
        'Tulis pertanyaan Anda di bawah, atau ketuk salah satu pilihan ini:';
    },
    offline: 'Pesan belum terkirim: koneksi internet terputus. Periksa internet Anda, lalu tekan Kirim lagi.',
    offlineFile: 'Berkas belum terkirim: koneksi internet terputus. Periksa internet Anda, lalu lampirkan lagi.',
    server: 'Maaf, server sedang gangguan. Pesan Anda belum terkirim, coba lagi sebentar lagi.',
    historyFailed: 'Riwayat chat belum bisa dimuat. Periksa koneksi internet Anda.',
    tooLong: 'Pesan terlalu panjang (paling banyak 4000 huruf). Silakan persingkat.',
    copy: 'Salin nomor pengaduan',
    copied: 'Nomor sudah disalin ✓',
    copyFailed: 'Tekan lama nomornya untuk menyalin',
    attach: 'Lampirkan foto atau dokumen',
    openPhoto: 'Buka foto ukuran penuh',
    fileTooBig: 'Berkas terlalu besar (paling banyak 5 MB). Kirim foto dengan ukuran lebih kecil.',
    fileType: 'Jenis berkas ini tidak bisa dikirim. Kirim foto (JPG, PNG, WebP, GIF) atau dokumen PDF.',
    captionTooLong: 'Keterangan berkas terlalu panjang (paling banyak 1000 huruf). Silakan persingkat.'
  };
  var STARTERS = [
    { label: 'Lihat menu layanan', value: 'menu' },
    { label: 'Syarat akta kelahiran', value: 'syarat akta kelahiran' },
    { label: 'Buat pengaduan', value: 'saya mau buat pengaduan' }
  ];

  var CSS = [
    ':host{all:initial}',
    '.r{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:#1b1f24;-webkit-text-size-adjust:100%}',
    '.r *{box-sizing:border-box;font:inherit;color:inherit;margin:0}',
    '.r button{cursor:pointer;-webkit-tap-highlight-color:transparent}',
    '.r :focus-visible{outline:3px solid #f5b400;outline-offset:2px}',
    '.fab{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;background:#0a58a8;color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.3);display:flex;align-items:center;justify-content:center;padding:0}',
    '.fab svg{width:30px;height:30px}',
    '.fab:hover{background:#084a8e}',
    '.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d42a1c;color:#fff;font-size:13px;font-weight:700;line-height:22px;text-align:center}',
    '.panel{position:fixed;right:16px;bottom:88px;z-index:2147483001;width:380px;height:640px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 8px 32px rgba(0,0,0,.28);display:flex;flex-direction:column;overflow:hidden}',
    '.head{display:flex;align-items:center;gap:10px;padding:8px 6px 8px 12px;background:#0a58a8;color:#fff;flex:none}',
    '.ava{width:38px;height:38px;border-radius:50%;background:#fff;color:#0a58a8;font-weight:800;font-size:18px;display:flex;align-items:center;justify-content:center;flex:none}',
    '.titles{flex:1;min-width:0}',
    '.title{font-size:17px;font-weight:700;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.sub{font-size:13px;line-height:1.3;opacity:.92;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.x{width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:#fff;display:flex;align-items:center;justify-content:center;flex:none;padding:0}',
    '.x svg{width:26px;height:26px}',
    '.x:hover{background:rgba(255,255,255,.15)}',
    '.log{position:relative;flex:1;overflow-y:auto;overscroll-behavior:contain;-webkit-overflow-scrolling:touch;padding:12px 10px 4px;background:#f4f6f8}',
    '.m{display:flex;flex-direction:column;margin:0 0 10px}',
    '.m.me{align-items:flex-end}',
    '.m.bot,.m.agent,.m.typing{align-items:flex-start}',
    '.m.system{align-items:center}',
    '.b{max-width:88%;padding:9px 12px;border-radius:16px;overflow-wrap:anywhere;word-break:break-word}',
    '.bot .b,.typing .b{background:#fff;border:1px solid #dfe3e8;border-bottom-left-radius:4px}',
    '.agent .b{background:#fff6dc;border:1px solid #e9c46a;border-bottom-left-radius:4px}',
    '.me .b{background:#0a58a8;color:#fff;border-bottom-right-radius:4px}',
    '.me .b a{color:#fff}',
    '.system .b{background:transparent;color:#4a5560;font-size:14px;font-style:italic;text-align:center}',
    '.me.pending .b{opacity:.75}',
    '.who{font-size:12px;font-weight:700;color:#7a4a00;margin:0 0 2px 4px;text-transform:uppercase;letter-spacing:.04em}',
    '.t{font-size:12px;color:#5b6670;margin:3px 6px 0}',
    '.b strong{font-weight:700}',
    '.b em{font-style:italic}',
    '.b a{color:#0a58a8;text-decoration:underline;overflow-wrap:anywhere}',
    '.ln{min-height:1.45em}',
    '.nw{white-space:nowrap;-webkit-user-select:all;user-select:all}',
    '.bot .nw,.agent .nw{background:#e3eefa;border-radius:4px;padding:1px 4px}',
    '.copy{min-height:44px;margin:6px 0 0;padding:8px 14px;border:1px solid #0a58a8;border-radius:22px;background:#fff;color:#0a58a8;font-size:15px;font-weight:600}',
    '.copy:hover{background:#e8f1fb}',
    '.li{padding-left:1.35em;text-indent:-1.35em}',
    '.li.bu{padding-left:.95em;text-indent:-.95em}',
    '.gap{height:.6em}',
    '.opts{display:flex;flex-direction:column;align-items:stretch;gap:8px;width:88%;margin:-2px 0 12px}',
    '.opt{min-height:46px;width:100%;padding:9px 14px;border:2px solid #0a58a8;border-radius:12px;background:#fff;color:#0a58a8;font-weight:600;text-align:left;display:flex;align-items:center;gap:10px;line-height:1.3}',
    '.opt:hover{background:#e8f1fb}',
    '.opt:active{background:#d3e5f8}',
    '.opt:disabled{opacity:.5;cursor:default}',
    '.n{flex:none;min-width:26px;height:26px;border-radius:13px;background:#0a58a8;color:#fff;font-size:14px;font-weight:700;display:flex;align-items:center;justify-content:center}',
    '.typing .b{color:#4a5560;font-style:italic}',
    '.dots{display:inline-block;margin-right:6px}',
    '.dots i{display:inline-block;width:7px;height:7px;margin:0 2px;border-radius:50%;background:#7b8794;animation:sr-blink 1.2s infinite}',
    '.dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}',
    '@keyframes sr-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}',
    '@media (prefers-reduced-motion:reduce){.dots i{animation:none}}',
    '.alert{flex:none;padding:8px 12px;background:#fdecea;color:#8a1c12;font-size:14px;border-top:1px solid #f5c2bd}',
    '.form{flex:none;display:flex;align-items:flex-end;gap:6px;padding:8px;border-top:1px solid #dfe3e8;background:#fff}',
    '.menu{flex:none;height:44px;padding:0 10px;border:2px solid #0a58a8;border-radius:22px;background:#fff;color:#0a58a8;font-weight:700;font-size:15px;display:flex;align-items:center;gap:4px}',
    '.menu svg{width:18px;height:18px}',
    '.in{flex:1;min-width:0;min-height:44px;max-height:120px;padding:10px 14px;border:1px solid #8a949e;border-radius:22px;resize:none;background:#fff;font-size:16px;line-height:1.4;overflow-y:auto}',
    '.in::placeholder{color:#68737d;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.in:focus{border-color:#0a58a8;outline:0;box-shadow:0 0 0 1px #0a58a8}',
    '.clip{flex:none;width:44px;height:44px;border:0;border-radius:50%;background:transparent;color:#0a58a8;display:flex;align-items:center;justify-content:center;padding:0}',
    '.clip svg{width:26px;height:26px}',
    '.clip:hover{background:#e8f1fb}',
    '.clip:disabled{color:#9aa5b1;cursor:default}',
    '.ph{display:block;margin:1px 0 4px}',
    '.thumb{display:block;width:200px;max-width:100%;height:auto;min-height:60px;max-height:220px;object-fit:cover;border-radius:10px;background:#dfe3e8}',
    '.fn{display:flex;align-items:center;gap:4px;font-size:14px;line-height:1.35;margin:0 0 2px}',
    'a.fn{min-height:40px;font-size:15px;font-weight:600}',
    '.pc{flex:none;display:flex}.pc svg{width:17px;height:17px}',
    '.send{flex:none;width:44px;height:44px;border:0;border-radius:50%;background:#0a58a8;color:#fff;display:flex;align-items:center;justify-content:center;padding:0}',
    '.send svg{width:22px;height:22px}',
    '.send:disabled{background:#9aa5b1;cursor:default}',
    '[hidden]{display:none!important}',
    '@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:auto;width:100%;height:100%;max-height:none;border-radius:0}.open .fab{display:none}.typed .menu{display:none}.b,.opts{max-width:92%}.opts{width:92%}}'
  ].join('\n');

  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.6 2 11c0 2.1 1 4 2.7 5.4L4 21l4.6-2.4c1.1.3 2.2.4 3.4.4 5.5 0 10-3.6 10-8s-4.5-8-10-8z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';
  var ICON_SEND = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M3.4 20.4l17.45-7.48a1 1 0 000-1.84L3.4 3.6a.99.99 0 00-1.39.91L2 9.12c0 .5.37.93.87.99L17 12 2.87 13.88c-.5.07-.87.5-.87 1l.01 4.61c0 .71.73 1.2 1.39.91z"/></svg>';
  var ICON_CLIP = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" d="M20.5 11.2l-8.3 8.3a5.2 5.2 0 01-7.4-7.4l8.7-8.7a3.5 3.5 0 015 5l-8.7 8.7a1.7 1.7 0 01-2.5-2.5l8-8"/></svg>';
  var ICON_MENU = '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2.6" stroke-linecap="round" d="M4 6h16M4 12h16M4 18h16"/></svg>';

  // ---------------------------------------------------------------- helpers
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }
  function storage(action, key, value) {
    try {
      if (action === 'get') return window.localStorage.getItem(key);
      if (action === 'set') window.localStorage.setItem(key, value);
      if (action === 'del') window.localStorage.removeItem(key);
    } catch (e) { /* storage blocked: the session lasts until reload */ }
    return null;
  }
  function uuid() {
    var c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = '';
    for (var j = 0; j < 16; j++) h += (b[j] + 256).toString(16).slice(1) + (j === 3 || j === 5 || j === 7 || j === 9 ? '-' : '');
    return h;
  }
  function timeOf(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    var time = pad(d.getHours()) + '.' + pad(d.getMinutes());
    var now = new Date();
    if (d.toDateString() === now.toDateString()) return time;
    var months = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'];
    return d.getDate() + ' ' + months[d.getMonth()] + (d.getFullYear() !== now.getFullYear() ? ' ' + d.getFullYear() : '') + ', ' + time;
  }

  // ------------------------------------------------ WhatsApp-style markup → DOM
  // *bold*, _italic_, line breaks and http(s) links. Text only ever becomes text nodes.
  var MARK = /(^|[^\w*_])([*_])(?![\s*_])([^\n]*?[^\s])\2(?![\w*_])/;
  var URL_RE = /https?:\/\/[^\s<>"']+/g;
  var TICKET_RE = /\bADU-\d{4}-\d{6}\b/;

  /** Plain text; a ticket number is kept on one line and selected whole with one tap. */
  function textInto(text, parent) {
    var m;
    while ((m = TICKET_RE.exec(text))) {
      if (m.index) parent.appendChild(document.createTextNode(text.slice(0, m.index)));
      parent.appendChild(el('span', 'nw', m[0]));
      text = text.slice(m.index + m[0].length);
    }
    if (text) parent.appendChild(document.createTextNode(text));
  }

  function formatInto(text, parent) {
    while (text) {
      var m = MARK.exec(text);
      if (!m) { textInto(text, parent); return; }
      var start = m.index + m[1].length;
      if (start > 0) textInto(text.slice(0, start), parent);
      var node = document.createElement(m[2] === '*' ? 'strong' : 'em');
      formatInto(m[3], node);
      parent.appendChild(node);
      text = text.slice(m.index + m[0].length);
    }
  }
  function inlineInto(text, parent) {
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var url = m[0].replace(/[.,;:!?*_)\]}]+$/, '');
      var href = null;
      try { href = new URL(url); } catch (e) { href = null; }
      if (!href || (href.protocol !== 'http:' && href.protocol !== 'https:')) continue;
      formatInto(text.slice(last, m.index), parent);
      var a = el('a', '', url);
      a.href = href.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      parent.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    formatInto(text.slice(last), parent);
  }
  function renderText(text, parent) {
    var lines = String(text).split('\n');
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      if (!line.trim()) { if (i > 0 && i < lines.length - 1) parent.appendChild(el('div', 'gap')); continue; }
      var row = el('div', /^\s*\d{1,2}[.)]\s/.test(line) ? 'ln li' : /^\s*[•\-–]\s/.test(line) ? 'ln li bu' : 'ln');
      inlineInto(line, row);
      parent.appendChild(row);
    }
  }

  // ------------------------------------------------------------------- DOM
  var host = el('div');
  host.setAttribute('data-siratu', '');
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var style = el('style');
  style.textContent = host.attachShadow ? CSS : CSS.replace(/:host\{all:initial\}/, '');
  root.appendChild(style);
  var wrap = el('div', 'r');
  root.appendChild(wrap);

  var fab = el('button', 'fab');
  fab.type = 'button';
  fab.setAttribute('aria-label', T.open);
  fab.setAttribute('aria-expanded', 'false');
  fab.innerHTML = ICON_CHAT; // static icon markup, no data
  var badge = el('span', 'badge');
  badge.hidden = true;
  fab.appendChild(badge);

  var panel = el('section', 'panel');
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', TITLE);

  var head = el('div', 'head');
  var ava = el('div', 'ava', 'S');
  ava.setAttribute('aria-hidden', 'true');
  var titles = el('div', 'titles');
  var titleEl = el('h2', 'title', TITLE);
  var subEl = el('p', 'sub', SUBTITLE || T.subtitle);
  titles.appendChild(titleEl);
  titles.appendChild(subEl);
  var closeBtn = el('button', 'x');
  closeBtn.type = 'button';
  closeBtn.setAttribute('aria-label', T.close);
  closeBtn.innerHTML = ICON_CLOSE;
  head.appendChild(ava);
  head.appendChild(titles);
  head.appendChild(closeBtn);

  var log = el('div', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', T.log);
  log.tabIndex = 0;

  var typing = el('div', 'm typing');
  typing.hidden = true;
  var typingBubble = el('div', 'b');
  var dots = el('span', 'dots');
  dots.innerHTML = '<i></i><i></i><i></i>';
  dots.setAttribute('aria-hidden', 'true');
  typingBubble.appendChild(dots);
  typingBubble.appendChild(document.createTextNode(T.typing));
  typing.appendChild(typingBubble);

  var alertEl = el('div', 'alert');
  alertEl.setAttribute('role', 'alert');
  alertEl.hidden = true;

  var form = el('form', 'form');
  form.setAttribute('novalidate', '');
  var menuBtn = el('button', 'menu');
  menuBtn.type = 'button';
  menuBtn.setAttribute('aria-label', T.menuLabel);
  menuBtn.innerHTML = ICON_MENU;
  menuBtn.appendChild(document.createTextNode(T.menu));
  var clipBtn = el('button', 'clip');
  clipBtn.type = 'button';
  clipBtn.setAttribute('aria-label', T.attach);
  clipBtn.title = T.attach;
  clipBtn.innerHTML = ICON_CLIP;
  // No `capture`: on phones the picker offers the camera AND the gallery.
  var fileInput = el('input');
  fileInput.type = 'file';
  fileInput.accept = 'image/*,application/pdf';
  fileInput.hidden = true;
  fileInput.tabIndex = -1;
  var input = el('textarea', 'in');
  input.rows = 1;
  input.maxLength = MAX_TEXT;
  input.placeholder = T.placeholder;
  input.setAttribute('aria-label', T.input);
  input.setAttribute('enterkeyhint', 'send');
  input.setAttribute('autocomplete', 'off');
  var sendBtn = el('button', 'send');
  sendBtn.type = 'submit';
  sendBtn.setAttribute('aria-label', T.send);
  sendBtn.innerHTML = ICON_SEND;
  form.appendChild(menuBtn);
  form.appendChild(clipBtn);
  form.appendChild(fileInput);
  form.appendChild(input);
  form.appendChild(sendBtn);

  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(alertEl);
  panel.appendChild(form);
  wrap.appendChild(panel);
  wrap.appendChild(fab);

  // ------------------------------------------------------------------ state
  var session = storage('get', STORE_KEY);
  var info = null;
  var isOpen = false;
  var started = false; // history loaded and live stream started (once per page)
  var sending = false;
  var unread = 0;
  var byId = {}; // message id → {msg, node}
  var order = []; // message ids, ascending (ULIDs sort by time)
  var pending = {}; // clientMessageId → {node, label}
  var labels = {}; // clientMessageId → what the citizen tapped (shown instead of the value)
  var retry = null; // {text, cid}: the last message that failed, resent with the same id
  var revealFrom = null; // the first reply to the message being sent: the screen shows the answer from there
  var stream = null;
  var pollTimer = null;

  var welcome = el('div', 'm bot');
  var welcomeBubble = el('div', 'b');
  welcome.appendChild(welcomeBubble);
  function renderWelcome() {
    welcomeBubble.textContent = '';
    renderText(T.welcome(info && info.office && info.office.shortName), welcomeBubble);
  }
  renderWelcome();
  log.appendChild(welcome);
  log.appendChild(typing);

  // -------------------------------------------------------------- transport
  function request(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (session) headers['X-Siratu-Session'] = session;
    var isForm = body && window.FormData && body instanceof FormData; // the browser sets the multipart type
    if (body && !isForm) headers['Content-Type'] = 'application/json';
    var ctrl = window.AbortController ? new AbortController() : null;
    // A 5 MB photo over slow mobile data takes a while.
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, isForm ? 180000 : 20000) : null;
    return fetch(API + path, { method: method, headers: headers, body: isForm ? body : body ? JSON.stringify(body) : undefined, signal: ctrl ? ctrl.signal : undefined, mode: 'cors', credentials: 'omit' })
      .then(function (res) {
        if (timer) clearTimeout(timer);
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) { var err = new Error(data.message || 'HTTP ' + res.status); err.status = res.status; err.data = data; throw err; }
          return data;
        });
      }, function (error) {
        if (timer) clearTimeout(timer);
        error.offline = true;
        throw error;
      });
  }
  function ensureSession() {
    if (session) return Promise.resolve(session);
    return request('POST', '/session').then(function (data) {
      session = data.session;
      storage('set', STORE_KEY, session);
      return session;
    });
  }
  function forgetSession() {
    session = null;
    storage('del', STORE_KEY);
  }
  function lastId() {
    return order.length ? order[order.length - 1] : '';
  }
  function connect() {
    if (!session || stream || pollTimer) return;
    if (window.EventSource) {
      var after = lastId();
      stream = new EventSource(API + '/events?session=' + encodeURIComponent(session) + (after ? '&after=' + encodeURIComponent(after) : ''));
      stream.onmessage = function (event) {
        try { add([JSON.parse(event.data)], true); } catch (e) { /* ignore a malformed event */ }
      };
      stream.onerror = function () {
        // EventSource reconnects by itself (sending Last-Event-ID); when the server refused it for good, poll instead.
        if (stream && stream.readyState === 2) { stream = null; poll(); }
      };
    } else {
      poll();
    }
  }
  function poll() {
    if (pollTimer || !session) return;
    pollTimer = setTimeout(function () {
      pollTimer = null;
      var after = lastId();
      request('GET', '/messages' + (after ? '?after=' + encodeURIComponent(after) : ''))
        .then(function (data) { add(data.messages || [], true); return true; }, function (error) {
          if (error.status === 400) { forgetSession(); return false; } // the session is gone: stop
          return true; // offline for a moment: try again next time
        })
        .then(function (again) { if (again && (!window.EventSource || !stream)) poll(); });
    }, 5000);
  }
  function start() {
    if (started || !session) return;
    started = true;
    request('GET', '/messages').then(function (data) {
      add(data.messages || [], false);
      scrollToEnd();
      connect();
    }, function (error) {
      started = false;
      if (error.status === 400 && error.data && error.data.error === 'invalid_session') { forgetSession(); return; }
      showAlert(T.historyFailed);
    });
  }

  // --------------------------------------------------------------- rendering
  function authorClass(msg) {
    if (msg.author === 'citizen') return 'me';
    if (msg.author === 'agent') return 'agent';
    if (msg.author === 'system') return 'system';
    return 'bot';
  }
  function buildMessage(msg, label) {
    var cls = authorClass(msg);
    var node = el('div', 'm ' + cls);
    if (cls === 'agent') node.appendChild(el('div', 'who', T.agent));
    var bubble = el('div', 'b');
    if (msg.attachments && msg.attachments.length) attachmentsInto(msg.attachments, bubble);
    renderText(label || msg.text || '', bubble);
    node.appendChild(bubble);
    // A copy button for a real ticket number (not the "contoh: ADU-…" example the bot gives when asking for one).
    var ticket = cls !== 'me' && TICKET_RE.exec(msg.text || '');
    if (ticket && !/contoh\W*$/i.test(msg.text.slice(Math.max(0, ticket.index - 12), ticket.index))) node.appendChild(copyButton(ticket[0]));
    var time = el('div', 't', msg.createdAt ? timeOf(msg.createdAt) : T.sending);
    node.appendChild(time);
    return node;
  }
  /** Where an attachment is: `files/<key>` under the API, with the session (an <img> cannot send headers). */
  function fileUrl(att) {
    if (att.local) return att.local;
    if (!session || !/^files\/[A-Za-z0-9_%-]+$/.test(att.url || '')) return null;
    return API + '/' + att.url + '?session=' + encodeURIComponent(session);
  }
  function sizeOf(bytes) {
    if (!(bytes > 0)) return '';
    return ' (' + (bytes < 1024 * 1024 ? Math.max(1, Math.round(bytes / 1024)) + ' KB' : (bytes / 1048576).toFixed(1).replace('.', ',') + ' MB') + ')';
  }
  /** Photos as a thumbnail that opens full size in a new tab; other files as a link with their name. */
  function attachmentsInto(list, bubble) {
    for (var i = 0; i < list.length; i++) {
      var att = list[i];
      var url = fileUrl(att);
      var link = nameLine('a', att, true);
      if (att.kind === 'image' && /^image\//.test(att.mimeType || '') && url) {
        var ph = el('a', 'ph');
        var img = el('img', 'thumb');
        img.alt = att.fileName || 'Foto';
        img.decoding = 'async';
        img.addEventListener('load', keepBottom);
        img.addEventListener('error', hideBroken);
        img.src = url;
        ph.appendChild(img);
        ph.setAttribute('aria-label', T.openPhoto + ': ' + (att.fileName || ''));
        link = ph;
        bubble.appendChild(ph);
        bubble.appendChild(nameLine('div', att, false));
      } else {
        bubble.appendChild(link);
      }
      if (url) {
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
      }
      link.setAttribute('data-att', String(i));
    }
  }
  /** "📎 name": the paperclip is drawn (an emoji font is missing on some computers and old phones). */
  function nameLine(tag, att, withSize) {
    var line = el(tag, 'fn');
    var icon = el('span', 'pc');
    icon.innerHTML = ICON_CLIP; // static icon markup, no data
    line.appendChild(icon);
    line.appendChild(el('span', '', (att.fileName || 'berkas') + (withSize ? sizeOf(att.size) : '')));
    return line;
  }
  /** A photo that finished loading grew its bubble: stay at the end if we were there. */
  function keepBottom() {
    if (log.scrollHeight - log.scrollTop - log.clientHeight <= this.offsetHeight + 24) scrollToEnd();
  }
  function hideBroken() {
    this.parentNode.hidden = true;
  }
  function insertSorted(id, node) {
    var i = order.length;
    while (i > 0 && order[i - 1] > id) i--;
    var before = i < order.length ? byId[order[i]].node : firstPendingOrTyping();
    order.splice(i, 0, id);
    log.insertBefore(node, before);
  }
  function firstPendingOrTyping() {
    for (var cid in pending) if (pending[cid].node.parentNode === log) return pending[cid].node;
    return typing;
  }
  /** Adds stored messages (from the POST answer, the history or the live stream), each once; returns the first new reply. */
  function add(list, live, quiet) {
    var firstNew = null;
    for (var i = 0; i < list.length; i++) {
      var msg = list[i];
      if (!msg || !msg.id || byId[msg.id]) continue;
      var cid = msg.clientMessageId;
      var label = cid && labels[cid];
      var node;
      if (cid && pending[cid]) {
        node = pending[cid].node;
        delete pending[cid];
        log.removeChild(node);
        node.className = 'm me';
        node.lastChild.textContent = timeOf(msg.createdAt);
        // The preview shows the picked file itself; the links now open the stored copy.
        var links = node.querySelectorAll('a[data-att]');
        for (var j = 0; j < links.length; j++) {
          var url = msg.attachments && msg.attachments[+links[j].getAttribute('data-att')] && fileUrl(msg.attachments[+links[j].getAttribute('data-att')]);
          if (url) links[j].href = url;
        }
      } else {
        node = buildMessage(msg, label);
      }
      byId[msg.id] = { msg: msg, node: node };
      insertSorted(msg.id, node);
      if (msg.author !== 'citizen') {
        if (!firstNew) firstNew = node;
        if (live && !isOpen) unread++;
        if (sending === false) typing.hidden = true;
      }
    }
    updateBadge();
    renderOptions();
    if (firstNew && live && !quiet) {
      if (sending && !revealFrom) revealFrom = firstNew;
      reveal(sending ? revealFrom : firstNew);
    }
    return firstNew;
  }
  function renderOptions() {
    var old = log.querySelectorAll('.opts');
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
    if (sending || Object.keys(pending).length) return;
    var lastMsg = order.length ? byId[order[order.length - 1]] : null;
    var options, after;
    if (!lastMsg) { options = STARTERS; after = welcome; }
    else if (lastMsg.msg.author !== 'citizen' && lastMsg.msg.options && lastMsg.msg.options.length) { options = lastMsg.msg.options; after = lastMsg.node; }
    else return;
    var box = el('div', 'opts');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', 'Pilihan');
    options.forEach(function (option) {
      var button = el('button', 'opt');
      button.type = 'button';
      var parts = /^(\d{1,2})[.)]\s+(.+)$/.exec(option.label);
      var shown = parts ? parts[2] : option.label;
      if (parts) {
        var n = el('span', 'n', parts[1]);
        n.setAttribute('aria-hidden', 'true');
        button.appendChild(n);
      }
      button.appendChild(el('span', '', shown));
      button.addEventListener('click', function () { send(option.value, shown); });
      box.appendChild(button);
    });
    after.parentNode.insertBefore(box, after.nextSibling);
  }
  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }
  /**
   * Shows new replies: if everything from the citizen's question down fits, scroll to the end;
   * otherwise put the question (or the reply itself) at the top, so a long answer is read from its start.
   */
  function reveal(node) {
    if (!node || node.parentNode !== log) { scrollToEnd(); return; }
    var prev = node.previousElementSibling;
    // A citizen's photo stays in view too when it is not too tall: it shows the photo arrived.
    var mine = prev && / me( |$)/.test(prev.className);
    var anchor = mine && (prev.offsetHeight < 160 || (prev.querySelector('.thumb') && prev.offsetHeight < log.clientHeight * 0.6)) ? prev : node;
    var top = Math.max(0, anchor.offsetTop - 8);
    if (log.scrollHeight - top <= log.clientHeight) scrollToEnd();
    else log.scrollTop = top;
  }
  function copyButton(number) {
    var button = el('button', 'copy', T.copy);
    button.type = 'button';
    button.addEventListener('click', function () {
      var done = function () { button.textContent = T.copied; };
      var fallback = function () {
        var area = el('textarea');
        area.value = number;
        area.setAttribute('readonly', '');
        area.style.cssText = 'position:fixed;top:0;left:0;opacity:0';
        document.body.appendChild(area);
        area.select();
        var ok = false;
        try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
        document.body.removeChild(area);
        button.textContent = ok ? T.copied : T.copyFailed;
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(number).then(done, fallback);
      else fallback();
    });
    return button;
  }
  function updateBadge() {
    badge.hidden = isOpen || unread === 0;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    fab.setAttribute('aria-label', unread && !isOpen ? T.open + ' (' + unread + ' ' + T.unread + ')' : T.open);
  }
  function showAlert(text) {
    alertEl.textContent = text;
    alertEl.hidden = !text;
  }
  function setBusy(busy) {
    sending = busy;
    sendBtn.disabled = busy;
    menuBtn.disabled = busy;
    clipBtn.disabled = busy;
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
    typing.hidden = !busy;
    if (busy) scrollToEnd();
  }

  // ----------------------------------------------------------------- sending
  function send(text, label) {
    text = String(text || '').trim();
    if (!text || sending) return;
    if (text.length > MAX_TEXT) { showAlert(T.tooLong); return; }
    var cid = retry && retry.text === text ? retry.cid : uuid();
    if (label && label !== text) labels[cid] = label;
    post(cid, buildMessage({ author: 'citizen', text: text }, label), '/messages', { text: text, clientMessageId: cid }, function () {
      retry = { text: text, cid: cid };
      if (!input.value.trim()) input.value = text;
    });
  }
  /** Uploads a picked photo or PDF at once; what is typed in the input goes with it as its caption. */
  function sendFile(file) {
    if (!file || sending) return;
    var caption = input.value.trim();
    if (file.size > MAX_FILE) { showAlert(T.fileTooBig); return; }
    if (file.type && !FILE_TYPES.test(file.type)) { showAlert(T.fileType); return; }
    if (caption.length > MAX_CAPTION) { showAlert(T.captionTooLong); return; }
    var cid = uuid();
    var image = /^image\//.test(file.type);
    var att = { kind: image ? 'image' : 'document', fileName: file.name, mimeType: file.type, size: file.size, local: image && window.URL && URL.createObjectURL ? URL.createObjectURL(file) : null };
    var body = new FormData();
    body.append('clientMessageId', cid);
    if (caption) body.append('text', caption);
    body.append('file', file, file.name);
    input.value = '';
    grow();
    post(cid, buildMessage({ author: 'citizen', text: caption, attachments: [att] }), '/attachments', body, function () {
      retry = null;
      if (att.local) URL.revokeObjectURL(att.local);
      if (!input.value.trim()) input.value = caption;
    }, true);
  }
  /** Shows the citizen's bubble at once (pending), posts it, then shows the replies; on failure `failed` restores the input. */
  function post(cid, node, path, body, failed, isFile) {
    showAlert('');
    revealFrom = null;
    node.className += ' pending';
    pending[cid] = { node: node };
    log.insertBefore(node, typing);
    setBusy(true);
    renderOptions();
    scrollToEnd();
    var attempt = function (again) {
      return ensureSession().then(function () {
        return request('POST', path, body);
      }).catch(function (error) {
        if (!again && error.status === 400 && error.data && error.data.error === 'invalid_session') {
          forgetSession();
          return attempt(true);
        }
        throw error;
      });
    };
    attempt(false).then(function (data) {
      retry = null;
      storage('set', ACTIVE_KEY, String(Date.now()));
      setBusy(false);
      var first = add([data.message].concat(data.replies || []), true, true);
      renderOptions();
      reveal(revealFrom || first);
      revealFrom = null;
      if (!started) { started = true; connect(); }
    }, function (error) {
      setBusy(false);
      if (pending[cid]) {
        log.removeChild(pending[cid].node);
        delete pending[cid];
      }
      failed();
      grow();
      var data = error.data || {};
      var code = data.error;
      // A proxy in front of the server may refuse a big upload with its own page instead of our JSON.
      var fallback = isFile && error.status === 413 ? T.fileTooBig : isFile && error.status === 415 ? T.fileType : T.server;
      showAlert(error.offline ? (isFile ? T.offlineFile : T.offline) : error.status >= 500 || !data.message ? fallback : data.message);
      if (code === 'invalid_session') forgetSession();
      renderOptions();
    });
  }
  function submit() {
    if (sending) return;
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    input.value = '';
    grow();
    send(text);
  }
  function grow() {
    // On a phone the Menu button steps aside while there is text, so the text has room next to the paperclip.
    form.className = input.value ? 'form typed' : 'form';
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }

  // ------------------------------------------------------------ open / close
  function loadInfo() {
    if (info) return;
    request('GET', '/info').then(function (data) {
      info = data;
      if (!SUBTITLE && data.office && data.office.shortName) subEl.textContent = data.office.shortName;
      renderWelcome();
    }, function () { /* the default subtitle stays */ });
  }
  function fit() {
    var vv = window.visualViewport;
    if (!vv || !isOpen || window.innerWidth > 480) { panel.style.height = ''; panel.style.top = ''; return; }
    // On phones the keyboard shrinks the visual viewport: keep the input above it.
    panel.style.height = vv.height + 'px';
    panel.style.top = vv.offsetTop + 'px';
  }
  function open() {
    isOpen = true;
    panel.hidden = false;
    wrap.className = 'r open';
    fab.setAttribute('aria-expanded', 'true');
    unread = 0;
    updateBadge();
    loadInfo();
    start();
    fit();
    scrollToEnd();
    // Only where there is a real keyboard: on phones focusing would cover half the screen with the keyboard.
    if (window.matchMedia && window.matchMedia('(pointer: fine)').matches) input.focus();
  }
  function close() {
    isOpen = false;
    panel.hidden = true;
    wrap.className = 'r';
    fab.setAttribute('aria-expanded', 'false');
    fab.focus();
  }

  fab.addEventListener('click', function () { if (isOpen) close(); else open(); });
  closeBtn.addEventListener('click', close);
  menuBtn.addEventListener('click', function () { send('menu', T.menu); });
  clipBtn.addEventListener('click', function () { if (!sending) fileInput.click(); });
  fileInput.addEventListener('change', function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = ''; // the same file can be picked again
    sendFile(file);
  });
  form.addEventListener('submit', function (event) { event.preventDefault(); submit(); });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
  });
  input.addEventListener('input', function () { grow(); if (!alertEl.hidden && retry) showAlert(''); });
  panel.addEventListener('keydown', function (event) { if (event.key === 'Escape') close(); });
  window.addEventListener('online', function () { showAlert(''); if (isOpen) { start(); connect(); } });
  if (window.visualViewport) {
    window.visualViewport.addEventListener('resize', fit);
    window.visualViewport.addEventListener('scroll', fit);
  }

  function mount() {
    document.body.appendChild(host);
    renderOptions();
    if (START_OPEN) open();
    // Someone who chatted in the last hours (maybe waiting for an officer) stays live, so a reply shows as a badge.
    else if (session && Date.now() - Number(storage('get', ACTIVE_KEY) || 0) < LIVE_AFTER_CLOSE_MS) start();
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
