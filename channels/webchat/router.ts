/**
 * The web chat channel: a JSON + Server-Sent-Events API for the embeddable
 * widget (public/widget.js), the widget itself, and a demo page.
 *
 * Like every channel adapter it does three separate things:
 *   decode   an HTTP request becomes the engine's `Inbound` (decode.ts)
 *   hand     the dispatcher stores it and runs the engine (`dispatcher.receive`)
 *   encode   stored `Message`s become JSON for the widget (encode.ts), in the
 *            POST response, in the history and on the live stream (live.ts)
 *
 * Endpoints, mounted under /webchat:
 *   POST /api/session            → 201 {session}: a new random session id
 *   POST /api/messages           {text, clientMessageId} → {message, replies, duplicate}
 *   POST /api/attachments        multipart: file (JPEG/PNG/WebP/GIF/PDF, ≤ 5 MB), clientMessageId,
 *                                optional text (caption, ≤ 1000) → like POST /messages
 *   GET  /api/files/:key         a file, only to the session whose chat sent or received it
 *   GET  /api/messages?after=ID  → {messages}: the contact's history, oldest first (max 200)
 *   GET  /api/events             → text/event-stream of every new message of the contact
 *   GET  /api/info               → {botName, office}: what the widget header shows
 *   GET  /widget.js              → the widget (one script tag embeds it)
 * Every /api call except session and info names the session in the
 * X-Siratu-Session header (or ?session= for EventSource and <img src>).
 */
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { clientErrorOf, jsonBody } from '../http-boundary.js';
import type { Dispatcher } from '../../bot/dispatcher.js';
import { OFFICE_SETTING } from '../../bot/knowledge-base.js';
import type { Logger } from '../../bot/log.js';
import type { Message, Store } from '../../bot/store/types.js';
import { BOT_NAME } from '../../bot/texts.js';
import type { OfficeProfile } from '../../knowledge/schema.js';
import { FILE_KEY, fileHeaders, readUpload } from './attachments.js';
import { corsPolicy } from './cors.js';
import { decodeAfter, decodeMessage, decodeUpload, uploadInbound } from './decode.js';
import { encodeMessage } from './encode.js';
import { BODY_LIMIT, sendError } from './errors.js';
import { RateLimiter, type Limit } from './limits.js';
import { LiveHub, streamMessages } from './live.js';
import { newSessionId, readSession, senderIdOf } from './session.js';
import { demoPage, widgetScript } from './static.js';

export const HISTORY_LIMIT = 200;

export interface WebchatDeps {
  dispatcher: Pick<Dispatcher, 'receive' | 'events'>;
  store: Store;
  /** "*" or a comma-separated list of origins allowed to call the API (WEBCHAT_ALLOWED_ORIGINS). */
  allowedOrigins: string;
  log: Logger;
  limits?: Partial<{ messagesPerSession: Limit; sessionsPerIp: Limit }>;
}

const DEFAULT_LIMITS = {
  /** A person types a few messages a minute; 30 leaves room for fast tapping. */
  messagesPerSession: { max: 30, windowMs: 60_000 },
  sessionsPerIp: { max: 60, windowMs: 10 * 60_000 },
};

export function webchatChannel(deps: WebchatDeps): Router {
  const { dispatcher, store } = deps;
  const log = deps.log.child({ channel: 'web' });
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const messageLimiter = new RateLimiter(limits.messagesPerSession);
  const sessionLimiter = new RateLimiter(limits.sessionsPerIp);
  const hub = new LiveHub(dispatcher.events);

  const router = Router();
  router.get('/widget.js', widgetScript());

  const api = Router();
  router.use('/api', api);
  api.use(corsPolicy(deps.allowedOrigins));
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  /** The contact behind the request's session; answers 400 itself when there is none. */
  const contactOf = async (req: express.Request, res: express.Response) => {
    const session = readSession(req);
    if (!session) {
      sendError(res, 'invalid_session');
      return undefined;
    }
    return { session, contact: await store.contacts.upsert('web', senderIdOf(session)) };
  };

  api.post('/session', (req, res) => {
    const wait = sessionLimiter.hit(req.ip ?? 'unknown');
    if (wait > 0) return sendError(res, 'rate_limited', { retryAfterSeconds: wait });
    res.status(201).json({ session: newSessionId() });
  });

  api.get('/info', async (_req, res) => {
    const office = await store.settings.get<OfficeProfile>(OFFICE_SETTING);
    res.json({ botName: BOT_NAME, office: office ? { name: office.name, shortName: office.shortName, hoursText: office.hoursText } : null });
  });

  const parseJson = jsonBody(BODY_LIMIT);
  const requireSession: RequestHandler = (req, res, next) => (readSession(req) ? next() : sendError(res, 'invalid_session'));

  api.post('/messages', requireSession, parseJson, async (req, res) => {
    if (!req.is('application/json')) return sendError(res, 'not_json');
    const session = readSession(req)!;
    // 1. decode
    const decoded = decodeMessage(session, req.body);
    if (!decoded.ok) return sendError(res, decoded.error);
    const wait = messageLimiter.hit(session);
    if (wait > 0) return sendError(res, 'rate_limited', { retryAfterSeconds: wait });
    // 2. hand to the dispatcher
    const result = await dispatcher.receive(decoded.inbound);
    // A retried POST (same clientMessageId) produced no new turn: answer with the replies the first one got.
    const replies = result.duplicate ? await repliesTo(store, result.message) : result.replies;
    // 3. encode
    res.json({ message: encodeMessage(result.message), replies: replies.map(encodeMessage), duplicate: result.duplicate });
  });

  api.post('/attachments', requireSession, async (req, res) => {
    const session = readSession(req)!;
    // Counted before the body is read: up to 5 MB each, a flood must stop at the door.
    const wait = messageLimiter.hit(session);
    if (wait > 0) return sendError(res, 'rate_limited', { retryAfterSeconds: wait });
    // 1. decode
    const parsed = await readUpload(req, res);
    if (!parsed.ok) return sendError(res, parsed.error);
    const decoded = decodeUpload(session, parsed.body, parsed.file);
    if (!decoded.ok) return sendError(res, decoded.error);
    const { upload } = decoded;
    // A retried upload (same clientMessageId) is answered from what the first one stored, without storing the file again.
    const contact = await store.contacts.upsert('web', upload.inbound.senderId);
    const earlier = await findInHistory(store, contact.id, (message) => message.platformMessageId === upload.inbound.platformMessageId);
    if (earlier) {
      const replies = await repliesTo(store, earlier);
      return void res.json({ message: encodeMessage(earlier), replies: replies.map(encodeMessage), duplicate: true });
    }
    // 2. store the bytes, hand the message to the dispatcher
    const key = await store.files.put(upload.data, upload.meta);
    const result = await dispatcher.receive(uploadInbound(upload, key));
    const replies = result.duplicate ? await repliesTo(store, result.message) : result.replies;
    // 3. encode
    res.json({ message: encodeMessage(result.message), replies: replies.map(encodeMessage), duplicate: result.duplicate });
  });

  api.get('/files/:key', async (req, res) => {
    const key = req.params.key;
    const found = await contactOf(req, res);
    if (!found) return;
    // Unknown key and someone else's key get the same answer, so keys cannot be probed.
    if (!FILE_KEY.test(key)) return sendError(res, 'file_not_found');
    const carrier = await findInHistory(store, found.contact.id, (message) => (message.attachments ?? []).some((attachment) => attachment.key === key));
    const file = carrier ? await store.files.get(key) : null;
    if (!file) return sendError(res, 'file_not_found');
    res.set(fileHeaders(file));
    res.send(file.data);
  });

  api.get('/messages', async (req, res) => {
    const after = decodeAfter(req.query.after);
    if (after === null) return sendError(res, 'invalid_after');
    const found = await contactOf(req, res);
    if (!found) return;
    const messages = await history(store, found.contact.id, after);
    res.json({ messages: messages.map(encodeMessage) });
  });

  api.get('/events', async (req, res) => {
    const after = decodeAfter(req.get('last-event-id') ?? req.query.after);
    if (after === null) return sendError(res, 'invalid_after');
    const found = await contactOf(req, res);
    if (!found) return;
    try {
      await streamMessages({ res, hub, store, contactId: found.contact.id, after });
    } catch (error) {
      log.error({ err: error }, 'web chat stream failed');
      res.end();
    }
  });

  api.use((_req, res) => sendError(res, 'not_found'));

  const onError: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed') return sendError(res, 'invalid_json');
    // Over the size limit, a charset or encoding we do not read, a broken %-escape in the path: the client's doing.
    const kind = clientErrorOf(error);
    if (kind) return sendError(res, kind === 'too_large' ? 'too_large' : kind === 'unsupported' ? 'not_json' : 'bad_request');
    log.error({ err: error }, 'web chat request failed');
    sendError(res, 'internal');
  };
  api.use(onError);
  return router;
}

/** The demo page for `/`: what SIRATU is, with the widget embedded by its one script tag. */
export function webchatDemoPage(): RequestHandler {
  return demoPage();
}

/** Replies already stored for an inbound message (they follow it in the contact's history). */
async function repliesTo(store: Store, message: Message): Promise<Message[]> {
  const after = await store.messages.listForContact(message.contactId, { afterId: message.id, limit: 50 });
  return after.filter((reply) => reply.replyTo === message.id);
}

/** The first message of the contact's history (oldest first, at most 10,000 looked at) that matches. */
async function findInHistory(store: Store, contactId: string, match: (message: Message) => boolean): Promise<Message | undefined> {
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await store.messages.listForContact(contactId, { afterId: cursor, limit: HISTORY_LIMIT });
    const hit = page.find(match);
    if (hit) return hit;
    if (page.length < HISTORY_LIMIT) return undefined;
    cursor = page.at(-1)!.id;
  }
  return undefined;
}

/**
 * With `after`: up to 200 messages after it. Without: the latest 200 of the
 * contact's history. The store lists oldest first from a cursor, so this
 * pages forward and keeps the tail (a citizen's history is short).
 */
async function history(store: Store, contactId: string, after: string | undefined): Promise<Message[]> {
  if (after) return store.messages.listForContact(contactId, { afterId: after, limit: HISTORY_LIMIT });
  let tail: Message[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await store.messages.listForContact(contactId, { afterId: cursor, limit: HISTORY_LIMIT });
    tail = [...tail, ...page].slice(-HISTORY_LIMIT);
    if (page.length < HISTORY_LIMIT) break;
    cursor = page.at(-1)!.id;
  }
  return tail;
}
