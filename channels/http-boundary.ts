/**
 * Where HTTP input enters the product, shared by every router (the web chat
 * API, the Telegram webhook, the admin area) and the app around them:
 *
 *   jsonBody / formBody     body parsers with a size limit. Keys a database
 *                           could read as operators ($gt, $ne, $where…) or
 *                           that reach an object's prototype (__proto__,
 *                           constructor, prototype) are dropped while parsing,
 *                           so `{"text": {"$ne": null}}` arrives as
 *                           `{"text": {}}` and no operator object can reach a
 *                           store query, whichever engine (SQLite, MongoDB).
 *   withoutOperatorKeys     the same for bodies parsed elsewhere (multipart
 *                           fields, where "text[$ne]" builds an object).
 *   clientErrorOf           what a parser's or router's error means for the
 *                           client (413 too large, 415 unsupported type or
 *                           encoding, 400 unreadable): each router answers it
 *                           with its own Indonesian message instead of a 500.
 *   notFound / lastResort   paths no router owns, and errors nobody answered.
 *   answerMalformedRequests requests Node's HTTP parser rejects itself
 *                           (garbage, headers over 16 KB) get a JSON message too.
 *
 * Query strings are parsed flat by express 5 (strings and arrays of strings,
 * never objects), and handlers read every field with a type check.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '../bot/log.js';

/** A key that is never data: a query operator or a way into an object's prototype. */
const OPERATOR_KEY = /^\$|^(?:__proto__|constructor|prototype)$/u;

export function isOperatorKey(key: string): boolean {
  return OPERATOR_KEY.test(key);
}

/** A copy of a parsed value without operator and prototype keys, at any depth. */
export function withoutOperatorKeys<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > 64 || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => withoutOperatorKeys(item, depth + 1)) as T;
  const clean: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (!isOperatorKey(key)) clean[key] = withoutOperatorKeys(item, depth + 1);
  }
  return clean as T;
}

/** JSON bodies up to `limit` (e.g. '16kb'); operator and prototype keys are dropped while parsing. */
export function jsonBody(limit: string): RequestHandler {
  return express.json({ limit, reviver: (key: string, value: unknown) => (isOperatorKey(key) ? undefined : value) });
}

/** Form bodies (flat, no nesting) up to `limit`; operator and prototype keys are dropped. */
export function formBody(limit: string, parameterLimit = 100): RequestHandler[] {
  return [
    express.urlencoded({ extended: false, limit, parameterLimit }),
    (req, _res, next) => {
      if (req.body && typeof req.body === 'object') req.body = withoutOperatorKeys(req.body as Record<string, unknown>);
      next();
    },
  ];
}

export type ClientErrorKind = 'too_large' | 'unsupported' | 'bad_request';

/**
 * The client's fault, by the error's HTTP status (body-parser and
 * http-errors set it; a path with a broken %-escape is a 400 from the
 * router): a body over the limit, a type, charset or encoding we do not
 * read, or a request that cannot be read at all. Undefined: our fault.
 */
export function clientErrorOf(error: unknown): ClientErrorKind | undefined {
  const { status, statusCode, type } = (error ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown };
  const code = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  if (type === 'entity.too.large' || type === 'parameters.too.many' || code === 413) return 'too_large';
  if (code === 415) return 'unsupported';
  if (code !== undefined && code >= 400 && code < 500) return 'bad_request';
  return undefined;
}

const MESSAGES = {
  not_found: 'Alamat tidak ditemukan. Periksa lagi alamatnya, atau buka halaman utama.',
  too_large: 'Kiriman terlalu besar. Persingkat isinya, lalu coba lagi.',
  unsupported: 'Jenis kiriman ini tidak didukung. Kirim dari halaman atau aplikasi resmi.',
  bad_request: 'Permintaan tidak bisa dibaca. Muat ulang halaman, lalu coba lagi.',
  header_too_large: 'Permintaan terlalu besar (alamat atau header terlalu panjang). Muat ulang halaman, lalu coba lagi.',
  timeout: 'Permintaan terlalu lama tidak selesai. Silakan coba lagi.',
  internal: 'Maaf, sedang ada gangguan di server. Silakan coba lagi sebentar lagi.',
} as const;
const STATUS = { not_found: 404, too_large: 413, unsupported: 415, bad_request: 400, header_too_large: 431, timeout: 408, internal: 500 } as const;
type Answer = keyof typeof MESSAGES;
const REASONS: Partial<Record<Answer, string>> = { bad_request: 'Bad Request', header_too_large: 'Request Header Fields Too Large', timeout: 'Request Timeout' };

/** Readable on a cheap phone without loading anything (the page may be all a citizen gets). */
const PAGE_STYLE =
  'body{margin:0;padding:0 16px;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;background:#f4f6f8}' +
  'main{max-width:32rem;margin:12vh auto;padding:24px;background:#fff;border:1px solid #d9dee5;border-radius:10px}' +
  'h1{font-size:1.4rem;margin:0 0 8px}a{color:#0b6e4f;font-weight:600}';

const escapeHtml = (text: string) => text.replace(/[&<>"']/gu, (char) => `&#${char.charCodeAt(0)};`);

/** A plain page for browsers; JSON {error, message} for programs (the same shape as the routers' errors). */
function answer(req: express.Request, res: express.Response, code: Answer): void {
  res.status(STATUS[code]).set('Cache-Control', 'no-store');
  const accept = req.get('accept') ?? '';
  if (accept.includes('text/html')) {
    const title = STATUS[code] === 404 ? 'Halaman tidak ditemukan' : 'Permintaan tidak bisa diproses';
    res.type('html').send(
      `<!doctype html>\n<html lang="id">\n<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>` +
        `<style>${PAGE_STYLE}</style></head>\n` +
        `<body><main><h1>${title}</h1><p>${escapeHtml(MESSAGES[code])}</p><p><a href="/">Ke halaman utama</a></p></main></body>\n</html>\n`,
    );
    return;
  }
  res.json({ error: code, message: MESSAGES[code] });
}

/** Mount last: a path no router answered. */
export function notFound(): RequestHandler {
  return (req, res) => answer(req, res, 'not_found');
}

/** Mount after `notFound`: an error no router answered (a broken %-escape in the path is the client's). */
export function lastResort(log: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const kind = clientErrorOf(error);
    if (!kind) log.error({ err: error, path: req.path }, 'request failed');
    answer(req, res, kind ?? 'internal');
  };
}

/**
 * Node answers requests its parser refuses (not HTTP, a broken header,
 * headers over 16 KB, too slow) with an empty 400/431/408 and closes. Here
 * they get the same JSON message as any other refused request.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const code: Answer = error.code === 'HPE_HEADER_OVERFLOW' ? 'header_too_large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'timeout' : 'bad_request';
    const body = JSON.stringify({ error: code, message: MESSAGES[code] });
    socket.end(`HTTP/1.1 ${STATUS[code]} ${REASONS[code] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
