/**
 * Bad input, generated (fast-check, fixed seed: every run sends the same inputs).
 *
 * The REAL app (createApp: embedded SQLite store, web chat, Telegram webhook
 * against a local Bot API emulator, admin area) on 127.0.0.1, driven with
 * more than 10,000 generated inputs:
 *   - the engine itself: Dispatcher.receive on every channel with hostile
 *     text (control characters, lone surrogates, emoji only, huge, operator
 *     objects and other wrong types), odd sender names, ids and dates;
 *   - EVERY HTTP endpoint, enumerated from express's router stacks (a route
 *     added tomorrow is fuzzed without touching this file): huge bodies (over
 *     the limits too), invalid UTF-8 bytes, wrong JSON types, MongoDB operators
 *     ({"$gt": ""}, {"$ne": null}) in every field and in query strings, wrong
 *     content types and encodings, missing fields, odd path parameters. Admin
 *     and inbox routes are fuzzed anonymously and signed in as an admin with a
 *     valid CSRF token, so requests reach the handlers;
 *   - a few malformed HTTP requests on a raw socket.
 *
 * Asserted: no 5xx, no request left hanging, no uncaught error, no error in the
 * log, the server still serves afterwards; every 4xx explains itself in
 * Indonesian (JSON {error, message} for API calls, an HTML page for browsers);
 * no object with an operator key ever reaches the store (a pass-through
 * recorder on every store method); and the database is consistent afterwards
 * (integrity, references, one open conversation per contact, every accepted
 * message handled, no control characters or overlong texts stored).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import express from 'express';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { createLogger } from '../bot/log.js';
import type { Inbound } from '../bot/types.js';
import { formBody, jsonBody, withoutOperatorKeys } from '../channels/http-boundary.js';
import { SECRET_HEADER } from '../channels/telegram/channel.js';
import { createApp, type App } from '../scripts/app.js';
import { loadConfig } from '../scripts/config.js';
import { Client, createUser } from './helpers/admin.js';
import { openAroundTheClock } from './helpers/inbox.js';
import { routesOf, type FoundRoute } from './helpers/routes.js';
import { TOKEN } from './helpers/telegram.js';
import { makePng } from './helpers/webchat.js';
import { makeTempDir } from './helpers/tmp.js';

const SEED = 20_260_611;
const WEBHOOK_SECRET = 'fuzz_webhook_secret_0123456789';
const ADMIN_PASSWORD = 'fuzz admin kata sandi panjang';
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 15_000;
// One long file: generous limits, though the whole run stays well under a minute.
jest.setTimeout(180_000);

/** Inputs per target; the totals are asserted at the end (>= 10,000). */
const RUNS = { engine: 4300, webchat: 160, telegram: 300, otherPublic: 60, adminAnonymous: 20, adminSignedIn: 32, unknown: 250, parsers: 500 };

// ------------------------------------------------------------------ the app

const temp = makeTempDir('siratu-fuzz-');
const logLines: string[] = [];
const uncaught: string[] = [];
let emulator: TelegramServer;
let app: App;
let base: string;
let admin: Client;
let csrfToken: string;
let adminUserId: string;
const storeCalls = { total: 0, withOperatorKeys: [] as string[] };

const onUncaught = (error: unknown) => void uncaught.push(String((error as Error)?.stack ?? error));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when a value holds an object key a database could read as an operator ($gt, $ne, $where…), at any depth. */
function operatorKeyIn(value: unknown, depth = 0): string | undefined {
  if (depth > 20 || value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = operatorKeyIn(item, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) return key;
    const found = operatorKeyIn(item, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Records every call into the store (the real methods still run): what the
 * routes and the engine hand the store must never carry an operator object.
 */
function recordStoreCalls(store: App['store']): void {
  for (const [repoName, repo] of Object.entries(store as unknown as Record<string, unknown>)) {
    if (!repo || typeof repo !== 'object') continue;
    const names = new Set<string>();
    for (let proto: object | null = repo; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
    }
    for (const name of names) {
      const original = (repo as Record<string, unknown>)[name];
      if (typeof original !== 'function') continue;
      (repo as Record<string, unknown>)[name] = function recorded(this: unknown, ...args: unknown[]) {
        storeCalls.total++;
        const key = operatorKeyIn(args);
        if (key) storeCalls.withOperatorKeys.push(`${repoName}.${name}(${key})`);
        return (original as (...a: unknown[]) => unknown).apply(this ?? repo, args);
      };
    }
  }
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  emulator = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 600 });
  await emulator.start();
  const config = loadConfig(
    {
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: temp.dir,
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: emulator.config.apiURL,
      // The emulator accepts any address; updates are posted straight to our port below.
      TELEGRAM_WEBHOOK_URL: 'http://127.0.0.1:9/telegram/webhook',
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    { dotenvPath: '/nonexistent' },
  );
  const log = createLogger({ level: 'error', destination: { write: (line: string) => void logLines.push(line) } });
  app = await createApp(config, { log });
  recordStoreCalls(app.store);
  const port = await app.listen();
  base = `http://127.0.0.1:${port}`;
  await openAroundTheClock(app);
  adminUserId = (await createUser(app, { username: 'fuzz-admin', password: ADMIN_PASSWORD, role: 'admin' })).id;
  await createUser(app, { username: 'fuzz-agent', password: ADMIN_PASSWORD, role: 'agent' });
  admin = new Client(base);
  expect((await admin.login('fuzz-admin', ADMIN_PASSWORD)).status).toBe(303);
  csrfToken = await admin.csrf();
  // The Telegram channel starts in the background: wait until it knows who it is (getMe on the emulator).
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const probe = await fetch(`${base}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', [SECRET_HEADER]: WEBHOOK_SECRET }, body: '{"update_id":1}' });
    if (probe.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  await app?.close();
  await emulator?.stop();
  temp.remove();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

// ------------------------------------------------------------------ generated values

const ch = (code: number) => String.fromCharCode(code);
const EMOJI = ['😀', '🙏', '👍🏽', '🇮🇩', '❤️', '👨‍👩‍👧‍👦', '🤣', '🔥', '✅', '🥲', '🫠', '🧕🏾'];
const WORDS = [
  'syarat ktp hilang', 'gmn urus akte lahir', 'mau bicara dengan petugas', 'batal', 'menu', '0', '1', '9', '99', 'dua', 'ya', 'tidak',
  'petugas minta uang 50rb', 'ADU-2026-000001', 'adu 2026 1', '0812 3456 7890', '7271012345670001', '/start', '/menu@SiratuPaluBot', 'terima kasih',
];
const INJECTIONS = [
  '{"$gt": ""}', '{"$ne": null}', '{"$where": "sleep(1000)"}', '$where', '$gt', "'; DROP TABLE messages; --", '" OR 1=1 --', '../../../etc/passwd',
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '${7*7}', '<%= it.title %>', '{{7*7}}', '%00', '%s%s%s%n', '\u202eabc', '\uFEFF', 'null',
  'undefined', 'NaN', '1e309', '-0', '__proto__', 'constructor', '[object Object]', 'javascript:alert(1)', '\\\\server\\share', 'AAAA'.repeat(50),
];
const OPERATORS: unknown[] = [
  { $gt: '' }, { $ne: null }, { $ne: 1 }, { $regex: '.*' }, { $where: 'sleep(100)' }, { $in: ['a', 'b'] }, { $exists: true }, { $expr: { $eq: [1, 1] } },
  { $or: [{ a: 1 }] }, { nested: { $gt: '' } }, [{ $ne: null }], { __proto__: { polluted: true } }, JSON.parse('{"__proto__": {"polluted": true}}'), { constructor: { prototype: { polluted: true } } },
];

const controlText = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map(ch), minLength: 1, maxLength: 40 });
const c1Text = fc.string({ unit: fc.integer({ min: 0x7f, max: 0x9f }).map(ch), minLength: 1, maxLength: 20 });
const surrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map(ch), minLength: 1, maxLength: 20 });
const emojiOnly = fc.array(fc.constantFrom(...EMOJI), { minLength: 1, maxLength: 40 }).map((parts) => parts.join(''));
const huge = fc
  .tuple(fc.constantFrom(4_001, 5_000, 17_000, 40_000, 300_000), fc.constantFrom('a', 'ü', '😀', '\u0000', 'syarat ktp ', '{"$gt":""}'))
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));
const mixed = fc
  .array(fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom(...INJECTIONS), fc.constantFrom(...EMOJI), controlText, surrogates), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(' '));
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: controlText },
  { weight: 1, arbitrary: c1Text },
  { weight: 1, arbitrary: surrogates },
  { weight: 2, arbitrary: emojiOnly },
  { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 3, arbitrary: mixed },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constant('   \n\t ') },
  { weight: 1, arbitrary: huge },
);
const operator = fc.constantFrom(...OPERATORS);
/** Something where a string is expected: a wrong JSON type, an operator object, nesting. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  operator,
  fc.jsonValue({ maxDepth: 3 }),
);
const value: fc.Arbitrary<unknown> = fc.oneof({ weight: 5, arbitrary: text }, { weight: 3, arbitrary: wrongType }, { weight: 2, arbitrary: operator });

/** Any generated value as text (objects without a prototype cannot go through String()). */
const asText = (item: unknown) => (typeof item === 'string' ? item : (JSON.stringify(item) ?? ''));
/** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, as a browser sends them). */
const encode = (raw: string) => [...Buffer.from(raw, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/u.test(ch(byte)) ? ch(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
/** Ready-made URL fragments a string cannot produce: invalid UTF-8, broken escapes. */
const RAW_URL_BITS = ['%FF%FE', '%C0%AF', '%E0%A4%A', '%', '%%', '%ZZ', '%00', '%0A%0D', '%2e%2e', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '%2F', '..', '%20', '+', ';', '%24gt', '%7B%22%24ne%22%3Anull%7D'];
const urlBit = fc.oneof({ weight: 4, arbitrary: text.map((t) => encode(t.slice(0, 3000))) }, { weight: 2, arbitrary: fc.constantFrom(...RAW_URL_BITS) });

/** Field names the handlers read, collected from the sources (a new form field is fuzzed too). */
function fieldNames(): string[] {
  const names = new Set(['text', 'clientMessageId', 'session', 'after', 'check', 'file', 'update_id', 'message', 'entries', 'id', 'name', '_csrf']);
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });
  const patterns = [/field\(req, '(\w+)'\)/gu, /given\('(\w+)'\)/gu, /req\.query\.(\w+)/gu, /body\.(\w+)/gu, /body\[['"](\w+)['"]\]/gu, /query\[['"](\w+)['"]\]/gu];
  for (const file of [...files('admin'), ...files('channels')]) {
    const source = readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const match of source.matchAll(pattern)) names.add(match[1]!);
  }
  for (const builtin of ['toString', 'slice', 'append', 'appendChild', 'removeChild', 'length']) names.delete(builtin);
  return [...names].sort();
}
const FIELDS = fieldNames();
const fieldName = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...FIELDS) }, { weight: 1, arbitrary: fc.constantFrom('$where', '$gt', '__proto__', 'constructor', 'a.b', 'x[$ne]') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
/** A body: known fields with hostile values, sometimes not an object at all. */
const bodyObject = fc.dictionary(fieldName, value, { minKeys: 0, maxKeys: 8 });
const bodyValue: fc.Arbitrary<unknown> = fc.oneof({ weight: 8, arbitrary: bodyObject }, { weight: 1, arbitrary: wrongType }, { weight: 1, arbitrary: text });

// ------------------------------------------------------------------ requests

type Encoding = 'none' | 'json' | 'json-text-type' | 'form' | 'form-brackets' | 'multipart' | 'raw-bytes' | 'bad-charset' | 'bad-encoding' | 'xml' | 'over-limit' | 'empty-json' | 'no-type';

interface RequestCase {
  method: string;
  /** Values for the route's parameters: a real id (index into the pool) or an odd URL fragment. */
  params: ({ real: number } | { odd: string })[];
  query: [string, string][];
  encoding: Encoding;
  body: unknown;
  bytes: Uint8Array;
  accept: string | undefined;
  session: 'valid' | 'random' | 'odd' | 'none';
  csrf: 'valid' | 'wrong' | 'none';
  telegramSecret: 'valid' | 'wrong' | 'none';
  crossSite: boolean;
  ip: string;
  file: 'none' | 'png' | 'pdf' | 'bytes' | 'huge';
  overLimitKb: number;
}

const ENCODINGS: Encoding[] = ['json', 'json', 'json', 'form', 'form', 'form-brackets', 'multipart', 'raw-bytes', 'bad-charset', 'bad-encoding', 'xml', 'over-limit', 'empty-json', 'no-type', 'json-text-type'];

function requestCase(methods: string[], paramCount: number): fc.Arbitrary<RequestCase> {
  return fc.record({
    method: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...methods) }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST') }),
    params: fc.array(fc.oneof({ weight: 1, arbitrary: fc.nat(40).map((real) => ({ real })) }, { weight: 1, arbitrary: urlBit.map((odd) => ({ odd })) }), { minLength: paramCount, maxLength: paramCount }),
    query: fc.array(fc.tuple(fc.oneof(fieldName.map(encode), fc.constantFrom('q[$gt]', 'q[$ne]', 'view[]', 'after[$gt]', '$where', 'session[$ne]')), urlBit), { maxLength: 4 }),
    encoding: fc.constantFrom(...ENCODINGS),
    body: bodyValue,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', undefined, 'text/html,application/json', 'image/png', '\u00ff'),
    session: fc.constantFrom('valid', 'valid', 'valid', 'random', 'odd', 'none'),
    csrf: fc.constantFrom('valid', 'valid', 'valid', 'valid', 'wrong', 'none'),
    telegramSecret: fc.constantFrom('valid', 'valid', 'valid', 'wrong', 'none'),
    crossSite: fc.nat(16).map((n) => n === 5),
    ip: fc.ipV4(),
    file: fc.constantFrom('none', 'none', 'png', 'pdf', 'bytes', 'huge'),
    overLimitKb: fc.constantFrom(20, 40, 1100),
  }) as fc.Arbitrary<RequestCase>;
}

/** A stable seed per target, so adding a route does not change the inputs of the others. */
const seedOf = (key: string) => SEED ^ createHash('sha256').update(key).digest().readInt32BE(0);

// ------------------------------------------------------------------ sending and judging

interface Outcome {
  target: string;
  status: number;
  location?: string;
  problem?: string;
}

const outcomes: Outcome[] = [];

const counts: Record<string, number> = {};
/** Everyday Indonesian words: a message with none of them is not a sentence a citizen or an officer can read. */
const INDONESIAN = /(?:^|[^\p{L}])(tidak|tak|silakan|belum|terlalu|harus|wajib|mohon|coba|tulis|pilih|hanya|sudah|halaman|pesan|berkas|sesi|formulir|isian|anda|ditemukan|lagi|dulu|kosong|dikenal|sesuai|bisa|masuk|akses|permintaan|alamat|atau|dan|yang|untuk|dengan|dari|paling|huruf|angka|isi)(?![\p{L}])/iu;

/** A 4xx must say what is wrong, in Indonesian: JSON {error, message} for API calls, an HTML page for browsers. */
function clearMessage(status: number, method: string, contentType: string, body: string): string | undefined {
  if (status < 400 || status >= 500 || method === 'HEAD') return undefined;
  if (contentType.includes('application/json')) {
    let parsed: { error?: unknown; message?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return `${status} with JSON that does not parse: ${body.slice(0, 80)}`;
    }
    if (typeof parsed.error !== 'string' || typeof parsed.message !== 'string') return `${status} JSON without {error, message}: ${body.slice(0, 120)}`;
    if (!INDONESIAN.test(parsed.message) || parsed.message.length < 10) return `${status} message not a clear Indonesian sentence: ${parsed.message}`;
    return undefined;
  }
  if (contentType.includes('text/html')) {
    // A whole page declares its language; a fragment for a page script (e.g. the import report) is just its message.
    if (/<html/iu.test(body) && !/<html lang="id"/u.test(body)) return `${status} HTML page not in Indonesian: ${body.slice(0, 120)}`;
    const visible = body.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gu, '').replace(/<[^>]+>/gu, ' ');
    if (!INDONESIAN.test(visible)) return `${status} HTML page without an explanation`;
    return undefined;
  }
  return `${status} answered with "${contentType}" and no readable message: ${body.slice(0, 80)}`;
}

let retried = 0;
let unsendable = 0;

/**
 * fetch, tried again once when a reused keep-alive connection turns out to
 * be closed before the request was answered (a client-side race when the
 * event loop was busy past the server's keep-alive timeout).
 */
async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET') throw error;
    retried++;
    return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  }
}

async function send(target: string, url: string, init: RequestInit): Promise<void> {
  counts[target.split(' ')[0]!] = (counts[target.split(' ')[0]!] ?? 0) + 1;
  let response: Response;
  try {
    response = await request(url, init);
  } catch (error) {
    // fetch itself refuses some generated header values before sending: not an input the server ever saw, not counted.
    if (error instanceof TypeError && error.message !== 'fetch failed') return void (unsendable++, counts[target.split(' ')[0]!]!--);
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    outcomes.push({ target, status: 0, problem: `no answer (${cause})` });
    return;
  }
  const contentType = response.headers.get('content-type') ?? '';
  let body = '';
  if (contentType.includes('text/event-stream')) await response.body?.cancel();
  else body = await response.text().catch(() => '');
  const problem = response.status >= 500 ? `${response.status}: ${body.slice(0, 200)}` : clearMessage(response.status, init.method ?? 'GET', contentType, body);
  outcomes.push({ target, status: response.status, location: response.headers.get('location') ?? undefined, problem });
}

/** Runs tasks with a fixed number in flight. */
async function pool<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

function multipartBody(fields: Record<string, unknown>, file: RequestCase['file'], bytes: Uint8Array): FormData {
  const form = new FormData();
  for (const [name, item] of Object.entries(fields)) {
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      // Bracket keys ("text[$ne]") are how multipart and qs-style parsers build nested objects.
      for (const [key, inner] of Object.entries(item as Record<string, unknown>)) form.append(`${name}[${key}]`, String(JSON.stringify(inner) ?? ''));
    } else if (Array.isArray(item)) for (const inner of item) form.append(name, asText(inner));
    else form.append(name, asText(item));
  }
  const png = makePng(4, 4, (x, y) => [x * 60, y * 60, 120]);
  if (file === 'png') form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'foto ✓.png');
  if (file === 'pdf') form.append('file', new Blob([new Uint8Array(Buffer.from('%PDF-1.4\n%fuzz\n'))], { type: 'application/pdf' }), '../../dok.pdf');
  if (file === 'bytes') form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), '\u0000.exe');
  if (file === 'huge') form.append('file', new Blob([new Uint8Array(6 * 1024 * 1024).fill(0xff)], { type: 'image/jpeg' }), 'besar.jpg');
  return form;
}

function formText(body: unknown, brackets: boolean): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return encode(String(JSON.stringify(body) ?? ''));
  const pairs: string[] = [];
  for (const [name, item] of Object.entries(body as Record<string, unknown>)) {
    if (brackets && item !== null && typeof item === 'object' && !Array.isArray(item)) {
      for (const [key, inner] of Object.entries(item as Record<string, unknown>)) pairs.push(`${encode(`${name}[${key}]`)}=${encode(String(JSON.stringify(inner) ?? ''))}`);
    } else if (Array.isArray(item)) for (const inner of item) pairs.push(`${encode(name)}=${encode(asText(inner))}`);
    else pairs.push(`${encode(name)}=${encode(typeof item === 'string' ? item : String(JSON.stringify(item) ?? ''))}`);
  }
  return pairs.join('&');
}

/** The body and content headers of one case. */
function bodyOf(c: RequestCase): { body?: BodyInit; headers: Record<string, string> } {
  if (c.method === 'GET' || c.method === 'HEAD') return { headers: {} };
  const json = JSON.stringify(c.body) ?? 'null';
  switch (c.encoding) {
    case 'none':
      return { headers: {} };
    case 'json':
      return { body: json, headers: { 'content-type': 'application/json' } };
    case 'json-text-type':
      return { body: json, headers: { 'content-type': 'text/plain' } };
    case 'form':
      return { body: formText(c.body, false), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    case 'form-brackets':
      return { body: formText(c.body, true), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    case 'multipart':
      return { body: multipartBody(c.body !== null && typeof c.body === 'object' && !Array.isArray(c.body) ? (c.body as Record<string, unknown>) : { text: c.body }, c.file, c.bytes), headers: {} };
    case 'raw-bytes':
      // Invalid UTF-8 on purpose (lone continuation bytes, overlongs, 0xFF), labelled as JSON or a form.
      return { body: Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe]), Buffer.from(c.bytes), Buffer.from('"}')]), headers: { 'content-type': c.bytes[0]! % 2 ? 'application/json' : 'application/x-www-form-urlencoded' } };
    case 'bad-charset':
      return { body: json, headers: { 'content-type': c.bytes[0]! % 2 ? 'application/json; charset=latin-99' : 'application/x-www-form-urlencoded; charset=ebcdic' } };
    case 'bad-encoding':
      return { body: Buffer.from(c.bytes), headers: { 'content-type': 'application/json', 'content-encoding': c.bytes[0]! % 2 ? 'gzip' : 'compress' } };
    case 'xml':
      return { body: `<?xml version="1.0"?><text>${json}</text>`, headers: { 'content-type': 'application/xml' } };
    case 'over-limit': {
      const padding = 'x'.repeat(c.overLimitKb * 1024);
      return c.bytes[0]! % 2
        ? { body: JSON.stringify({ text: padding, clientMessageId: 'abcdefgh12' }), headers: { 'content-type': 'application/json' } }
        : { body: `text=${padding}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    case 'empty-json':
      return { body: '', headers: { 'content-type': 'application/json' } };
    case 'no-type':
      return { body: json, headers: {} };
  }
}

/** Fills a route pattern's parameters: a real id from the pool, or an odd fragment. */
function concretePath(pattern: string, c: RequestCase, pool: (param: string, path: string) => string[]): string {
  let index = 0;
  return pattern.replace(/\{[^}]*\}/gu, '').replace(/[:*]([A-Za-z0-9_]+)/gu, (_m, name: string) => {
    const choice = c.params[index++] ?? { odd: 'x0' };
    if ('odd' in choice) return choice.odd;
    const ids = pool(name, pattern);
    return ids.length ? encode(ids[choice.real % ids.length]!) : 'x0';
  });
}

const queryString = (c: RequestCase) => (c.query.length ? `?${c.query.map(([k, v]) => `${k}=${v}`).join('&')}` : '');

// ------------------------------------------------------------------ real ids, so requests reach the handlers

let sessions: string[] = [];
let ids: Record<string, string[]> = {};

function collectIds(): void {
  const db = new Database(join(temp.dir, 'siratu.db'), { readonly: true, fileMustExist: true });
  try {
    const column = (sql: string) => (db.prepare(sql).pluck().all() as string[]).filter(Boolean);
    ids = {
      conversation: column('SELECT id FROM conversations ORDER BY id DESC LIMIT 40'),
      contact: column('SELECT id FROM contacts ORDER BY id DESC LIMIT 40'),
      message: column("SELECT id FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 40"),
      ticket: column('SELECT id FROM tickets LIMIT 40'),
      // Never the fuzzing admin: disabling or signing themselves out would end the signed-in half early.
      user: column('SELECT id FROM users').filter((id) => id !== adminUserId),
      canned: column('SELECT id FROM canned_responses LIMIT 40'),
      entry: column('SELECT DISTINCT entry_id FROM entry_versions LIMIT 40'),
      draft: column('SELECT id FROM drafts LIMIT 40'),
      unanswered: column('SELECT id FROM unanswered_groups LIMIT 40'),
      file: column('SELECT key FROM files LIMIT 40'),
      asset: ['admin.css', 'admin.js', 'favicon.svg'],
    };
  } finally {
    db.close();
  }
}

function idPool(param: string, path: string): string[] {
  if (param === 'key') return ids.file ?? [];
  if (param === 'file') return ids.asset ?? [];
  const kinds: [RegExp, string][] = [
    [/\/inbox\/c\//u, 'conversation'], [/\/tickets\//u, 'ticket'], [/\/users\//u, 'user'], [/\/canned\//u, 'canned'], [/\/knowledge\/entries\//u, 'entry'],
    [/\/knowledge\/drafts\//u, 'draft'], [/\/unanswered\//u, 'unanswered'], [/\/privacy\/contacts\//u, 'contact'], [/\/deliveries\//u, 'message'],
  ];
  const kind = kinds.find(([pattern]) => pattern.test(path))?.[1];
  return kind ? (ids[kind] ?? []) : Object.values(ids).flat();
}

// ------------------------------------------------------------------ the tests

let routes: FoundRoute[] = [];
let stray: string[] = [];

describe('fuzzing the engine and every endpoint', () => {
  it('the engine: Dispatcher.receive on every channel with hostile messages', async () => {
    const senders = fc.oneof(
      { weight: 6, arbitrary: fc.nat(120).map((n) => `fuzz-${n}`) },
      { weight: 1, arbitrary: fc.constantFrom('0', '-1', '😀', '$gt', '{"$ne":null}', 'a'.repeat(300), '62812345678@s.whatsapp.net', ' ') },
    );
    const inbound = fc.record(
      {
        channel: fc.constantFrom('web', 'telegram', 'whatsapp'),
        senderId: senders,
        text: fc.oneof({ weight: 9, arbitrary: text }, { weight: 2, arbitrary: wrongType }),
        senderName: fc.oneof(text, wrongType, fc.constant(undefined)),
        platformMessageId: fc.oneof(fc.constant(undefined), fc.nat(400).map((n) => `p-${n}`), text, wrongType),
        sentAt: fc.oneof(fc.constant(undefined), fc.date({ noInvalidDate: false }), fc.constant(new Date(Number.NaN)), fc.constant(new Date(8.64e15))),
        unreadable: fc.oneof(fc.constant(undefined), fc.constantFrom('voice', 'video', 'location', 'sticker', 'contact', 'fileType', 'fileTooLarge', 'downloadFailed', 'other', 'nonsense')),
        late: fc.oneof(fc.constant(undefined), fc.boolean()),
        attachments: fc.oneof(
          fc.constant(undefined),
          fc.array(fc.record({ kind: fc.constantFrom('image', 'document', 'audio', 'x'), key: fc.oneof(text, wrongType), fileName: fc.oneof(text, wrongType), mimeType: text, size: fc.oneof(fc.integer(), wrongType) }), { maxLength: 2 }),
        ),
      },
      { requiredKeys: ['channel', 'senderId', 'text'] },
    );
    const inputs = fc.sample(inbound, { seed: seedOf('engine'), numRuns: RUNS.engine }) as unknown as Inbound[];
    const failures: string[] = [];
    await pool(inputs, async (input) => {
      counts.engine = (counts.engine ?? 0) + 1;
      try {
        const result = await app.dispatcher.receive(input);
        if (!result.message?.id) failures.push(`no stored message for ${JSON.stringify(input).slice(0, 120)}`);
        for (const reply of result.replies) if (typeof reply.text !== 'string' || reply.text.trim() === '') failures.push(`empty reply to ${JSON.stringify(input).slice(0, 120)}`);
      } catch (error) {
        failures.push(`${(error as Error).message} ← ${JSON.stringify(input, (_k, v: unknown) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…` : v)).slice(0, 300)}`);
      }
    });
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('every HTTP endpoint, found in the router stacks, with hostile requests (anonymous and signed in)', async () => {
    ({ routes, stray } = routesOf(app.http));
    expect(routes.length).toBeGreaterThan(60);
    expect(routes.some((route) => route.path === '/telegram/webhook')).toBe(true);

    // Seed what handlers look up: web chat sessions with history and a file, a ticket, a waiting conversation, a canned response.
    for (let i = 0; i < 24; i++) sessions.push(((await (await request(`${base}/webchat/api/session`, { method: 'POST', headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } })).json()) as { session: string }).session);
    const form = new FormData();
    form.append('clientMessageId', 'seedfile0001');
    form.append('file', new Blob([new Uint8Array(makePng(2, 2, () => [0, 0, 0]))], { type: 'image/png' }), 'seed.png');
    await request(`${base}/webchat/api/attachments`, { method: 'POST', headers: { 'x-siratu-session': sessions[0]! }, body: form });
    await fileComplaint();
    await app.dispatcher.receive({ channel: 'web', senderId: 'fuzz-waiting', text: 'mau bicara dengan petugas' });
    await admin.request('POST', '/admin/inbox/canned', { form: { _csrf: csrfToken, shortcut: 'fuzz', title: 'Fuzz', text: 'Jawaban cepat', scope: 'shared' } });
    collectIds();
    expect(ids.ticket!.length).toBeGreaterThan(0);
    expect(ids.file!.length).toBeGreaterThan(0);

    const cases: { target: string; run: () => Promise<void> }[] = [];
    const byPath = new Map<string, string[]>();
    for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
    // Stray mounted middleware (e.g. a dashboard with its own router) is fuzzed at its mount path.
    for (const entry of stray) byPath.set(entry.replace(/ \(.*\)$/u, ''), ['GET', 'POST']);

    for (const [path, methods] of byPath) {
      const paramCount = (path.match(/[:*][A-Za-z0-9_]+/gu) ?? []).length;
      const area = path.startsWith('/admin') ? 'admin' : path.startsWith('/webchat') ? 'webchat' : path.startsWith('/telegram') ? 'telegram' : 'otherPublic';
      const phases: ('anonymous' | 'signed' | 'public')[] = area === 'admin' ? ['anonymous', 'signed'] : ['public'];
      for (const phase of phases) {
        // Fewer inputs where each costs much: password checks (scrypt, ~0.2 s of CPU by design), and the inbox lists
        // and the unanswered page, which show every open conversation / question the engine fuzz left (hundreds).
        const costly = phase === 'signed' && /password|login|totp|reset-2fa|\/users$|\/inbox$|\/inbox\/list$|\/unanswered$/u.test(path) ? 4 : 1;
        const runs = Math.ceil((area === 'admin' ? (phase === 'signed' ? RUNS.adminSignedIn : RUNS.adminAnonymous) : RUNS[area]) / costly);
        const target = `${area === 'admin' ? `admin-${phase}` : area} ${methods.join('|')} ${path}`;
        const generated = fc.sample(requestCase(methods, paramCount), { seed: seedOf(target), numRuns: runs });
        generated.forEach((c, index) => {
          // Signing out would end the signed-in half: that route is fuzzed anonymously only.
          if (phase === 'signed' && path === '/admin/logout') return;
          cases.push({ target: `${target} #${index}`, run: () => sendCase(path, c, phase, target) });
        });
      }
    }
    // Paths no router owns.
    const unknown = fc.sample(fc.tuple(fc.constantFrom('/', '/webchat/', '/admin/', '/telegram/', '/api/'), urlBit, requestCase(['GET', 'POST'], 0)), { seed: seedOf('unknown'), numRuns: RUNS.unknown });
    for (const [prefix, bit, c] of unknown) cases.push({ target: `unknown ${prefix}${bit.slice(0, 40)}`, run: () => sendCase(`${prefix}${bit}`, c, 'public', 'unknown') });

    await pool(cases, (item) => item.run());
    const problems = outcomes.filter((outcome) => outcome.problem).map((outcome) => `${outcome.target} → ${outcome.problem}`);
    expect(problems.slice(0, 40)).toEqual([]);
    // The signed-in half really was signed in all along: nothing was turned away as anonymous, and many got through.
    // (Static files are served without reading the session, so an odd path under /admin/assets/ is answered as for a stranger.)
    const signed = outcomes.filter((outcome) => outcome.target.startsWith('admin-signed') && !outcome.target.includes('/admin/assets/'));
    expect(signed.filter((outcome) => outcome.status === 401 || outcome.location?.startsWith('/admin/login')).map((outcome) => outcome.target)).toEqual([]);
    // Accepted (2xx, or a redirect back after a form was handled) despite the hostile values and wrong tokens: about a third.
    expect(signed.filter((outcome) => outcome.status < 400).length).toBeGreaterThan(signed.length * 0.3);
    expect((await admin.get('/admin/api/me')).status).toBe(200);
  });

  it('the shared body parsers drop operator and prototype keys at any depth, and keep everything else', async () => {
    // The parsers every router uses (channels/http-boundary.ts), on a bare express app that echoes what a handler would get.
    const echo = express();
    echo.post('/json', jsonBody('64kb'), (req, res) => void res.json({ body: req.body as unknown, polluted: ({} as Record<string, unknown>).polluted ?? null }));
    echo.post('/form', ...formBody('64kb'), (req, res) => void res.json({ body: req.body as unknown }));
    const server = echo.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const hostileKey = fc.constantFrom('$gt', '$ne', '$where', '$regex', '__proto__', 'constructor', 'prototype');
    const nested: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), hostileKey), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    try {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), hostileKey), nested, { maxKeys: 6 }), async (body) => {
          counts.parsers = (counts.parsers ?? 0) + 1;
          const raw = JSON.stringify(body);
          const answer = (await (await fetch(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw })).json()) as { body: unknown; polluted: unknown };
          expect(operatorKeyIn(answer.body)).toBeUndefined();
          expect(JSON.stringify(answer.body)).not.toMatch(/"(__proto__|constructor|prototype)":/u);
          expect(answer.body).toEqual(withoutOperatorKeys(JSON.parse(raw) as unknown));
          expect(answer.polluted).toBeNull();
        }),
        { seed: seedOf('parsers'), numRuns: RUNS.parsers },
      );
      // Flat forms: "$where=1&text=a" keeps only text.
      const form = (await (await fetch(`${url}/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%24where=1&text=halo&__proto__=x&%24ne=&q%5B%24gt%5D=1' })).json()) as { body: unknown };
      expect(form.body).toEqual({ text: 'halo', 'q[$gt]': '1' });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('malformed HTTP on a raw socket gets an answer, and the server keeps serving', async () => {
    const port = Number(new URL(base).port);
    const raw = [
      // A body shorter than its Content-Length, then the client stops sending.
      `POST /webchat/api/messages HTTP/1.1\r\nHost: x\r\nX-Siratu-Session: ${sessions[1]}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"text":"ha`,
      `POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 999\r\n\r\nusername=a`,
      // Garbage instead of HTTP, a bad header, a huge header.
      '\u0000\u0001\u0002 HELLO\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      `GET /webchat/api/info HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      'POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
      'GET /admin/%FF%FE HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /webchat/api/files/%E0%A4%A HTTP/1.1\r\nHost: x\r\nX-Siratu-Session: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n',
    ];
    const failures: string[] = [];
    for (const request of raw) {
      counts.raw = (counts.raw ?? 0) + 1;
      const answer = await new Promise<Buffer>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        const timer = setTimeout(() => socket.destroy(), 5000);
        socket.on('error', () => resolve(Buffer.concat(chunks)));
        socket.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(chunks))));
        socket.write(request, 'latin1', () => socket.end());
      });
      const split = answer.indexOf('\r\n\r\n');
      const head = answer.subarray(0, split < 0 ? answer.length : split).toString('latin1');
      let body = split < 0 ? '' : answer.subarray(split + 4).toString('utf8');
      // A chunked body: "<hex size>\r\n<data>\r\n…0\r\n\r\n".
      if (/transfer-encoding: chunked/iu.test(head)) body = body.replace(/(?:^|\r\n)[0-9a-f]+\r\n/giu, '');
      // Only the first response: the unread rest of a short body may be answered as a request of its own.
      const length = Number(/content-length: (\d+)/iu.exec(head)?.[1] ?? Number.NaN);
      if (Number.isFinite(length)) body = answer.subarray(split + 4, split + 4 + length).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/u.exec(head)?.[1] ?? 0);
      const contentType = /content-type: ([^\r\n]+)/iu.exec(head)?.[1] ?? '';
      if (status === 0 || status >= 500) failures.push(`${JSON.stringify(request.slice(0, 60))} → ${head.slice(0, 120) || 'no answer'}`);
      else {
        const problem = clearMessage(status, 'GET', contentType, body);
        if (problem) failures.push(`${JSON.stringify(request.slice(0, 60))} → ${problem}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('afterwards: no crash, no error logged, nothing with an operator reached the store, the data is consistent', async () => {
    // Let queued turns and deliveries settle.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(uncaught).toEqual([]);
    expect(logLines.map((line) => (JSON.parse(line) as { msg: string; err?: { message?: string } })).map((l) => `${l.msg}: ${l.err?.message ?? ''}`)).toEqual([]);
    expect(storeCalls.total).toBeGreaterThan(10_000);
    expect(storeCalls.withOperatorKeys).toEqual([]);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await app.store.messages.unhandled(10)).toEqual([]);

    const db = new Database(join(temp.dir, 'siratu.db'), { readonly: true, fileMustExist: true });
    try {
      const one = (sql: string) => db.prepare(sql).pluck().get();
      expect(one('PRAGMA integrity_check')).toBe('ok');
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      expect(one('SELECT COUNT(*) FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id WHERE c.id IS NULL')).toBe(0);
      expect(one('SELECT COUNT(*) FROM conversations v LEFT JOIN contacts c ON c.id = v.contact_id WHERE c.id IS NULL')).toBe(0);
      expect(one("SELECT COUNT(*) FROM (SELECT contact_id FROM conversations WHERE state <> 'closed' GROUP BY contact_id HAVING COUNT(*) > 1)")).toBe(0);
      // Stored texts are clean: no control characters (but newline and tab), no lone surrogates, at most 4000 characters.
      const texts = db.prepare("SELECT text FROM messages WHERE direction = 'in'").pluck().all() as string[];
      expect(texts.length).toBeGreaterThan(2000);
      expect(texts.filter((t) => /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u.test(t) || t.length > 4000 || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u.test(t))).toEqual([]);
      // Ticket numbers have no gaps.
      const seqs = db.prepare('SELECT year, seq FROM tickets ORDER BY year, seq').all() as { year: number; seq: number }[];
      for (const [index, row] of seqs.entries()) if (index > 0 && seqs[index - 1]!.year === row.year) expect(row.seq).toBe(seqs[index - 1]!.seq + 1);
    } finally {
      db.close();
    }

    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    // Printed so a reader sees what ran: inputs per area and the endpoints covered.
    console.log(`fuzz: ${total} inputs ${JSON.stringify(counts)}; ${routes.length} routes (${new Set(routes.map((r) => r.path)).size} paths) + ${stray.length} mounted; statuses ${JSON.stringify(statusHistogram())}; ${retried} retried after a stale keep-alive connection, ${unsendable} refused by fetch before sending`);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});

function statusHistogram(): Record<string, number> {
  const histogram: Record<string, number> = {};
  for (const outcome of outcomes) histogram[outcome.status] = (histogram[outcome.status] ?? 0) + 1;
  return histogram;
}

async function sendCase(path: string, c: RequestCase, phase: 'anonymous' | 'signed' | 'public', target: string): Promise<void> {
  const url = `${base}${concretePath(path, c, idPool)}${queryString(c)}`;
  const { body, headers } = bodyOf(c);
  const all: Record<string, string> = { 'x-forwarded-for': c.ip, ...headers };
  if (c.accept !== undefined) all.accept = c.accept;
  if (c.crossSite) all['sec-fetch-site'] = 'cross-site';
  if (path.startsWith('/webchat')) {
    const session = { valid: sessions[c.bytes[0]! % sessions.length]!, random: Buffer.from(c.bytes).toString('base64url').padEnd(43, 'A').slice(0, 64), odd: encode(asText(c.body).slice(0, 50)) || '$ne', none: '' }[c.session];
    if (session) all['x-siratu-session'] = session;
    if (c.bytes[1]! % 5 === 0) all['last-event-id'] = c.query[0]?.[1] ?? '%';
    if (c.bytes[2]! % 7 === 0) all.origin = c.bytes[3]! % 2 ? 'https://situs-lain.example' : 'null';
  }
  if (path.startsWith('/telegram')) {
    if (c.telegramSecret !== 'none') all[SECRET_HEADER] = c.telegramSecret === 'valid' ? WEBHOOK_SECRET : 'salah_salah_salah_salah';
    // Most webhook calls carry an update shaped like Telegram's, with hostile values in it.
    if (c.encoding === 'json' || c.encoding === 'form') {
      all['content-type'] = 'application/json';
      return send(target, url, { method: c.method, headers: all, body: c.method === 'GET' || c.method === 'HEAD' ? undefined : JSON.stringify(telegramUpdate(c)) });
    }
  }
  if (phase === 'signed') {
    all.cookie = admin.cookieHeader();
    if (c.csrf !== 'none') all['x-csrf-token'] = c.csrf === 'valid' ? csrfToken : 'salah';
  }
  return send(target, url, { method: c.method, headers: all, body });
}

let updateId = 10_000;
/** A Telegram update with the fuzzed values in its message fields. */
function telegramUpdate(c: RequestCase): unknown {
  const fields = c.body !== null && typeof c.body === 'object' && !Array.isArray(c.body) ? Object.values(c.body as Record<string, unknown>) : [c.body];
  const pick = (i: number, fallback: unknown) => (fields.length > i && c.bytes[i % c.bytes.length]! % 3 === 0 ? fields[i] : fallback);
  const chatId = pick(0, 500_000 + (c.bytes[0]! % 40));
  return {
    update_id: pick(1, updateId++),
    message: pick(2, {
      message_id: pick(3, updateId),
      date: pick(4, Math.floor(Date.now() / 1000)),
      chat: pick(5, { id: chatId, type: pick(6, 'private'), first_name: pick(7, 'Warga') }),
      from: pick(8, { id: chatId, is_bot: pick(9, false), first_name: pick(10, 'Warga') }),
      text: fields.find((item) => typeof item === 'string') ?? pick(11, 'syarat ktp'),
      entities: pick(12, undefined),
      caption: pick(13, undefined),
    }),
  };
}

/** A real complaint through the engine, answering each question with its first option (or a sentence), so tickets exist. */
async function fileComplaint(): Promise<void> {
  let result = await app.dispatcher.receive({ channel: 'web', senderId: 'fuzz-complainer', text: 'petugas minta uang 50rb waktu urus ktp' });
  for (let turn = 0; turn < 12 && !result.replies.some((reply) => /ADU-\d{4}-\d{6}/u.test(reply.text)); turn++) {
    const options = result.replies.at(-1)?.options ?? [];
    const answer = options[0]?.value ?? (turn % 2 ? '081234567890' : 'Kemarin di loket tiga saya diminta uang lima puluh ribu.');
    result = await app.dispatcher.receive({ channel: 'web', senderId: 'fuzz-complainer', text: answer });
  }
}
