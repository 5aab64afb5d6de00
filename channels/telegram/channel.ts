/**
 * The Telegram channel (grammY). Like every adapter it does three separate
 * things:
 *
 *   decode   a Telegram message → the engine's Inbound (./decode.ts; photos
 *            and documents are fetched and stored first, ./files.ts)
 *   hand on  dispatcher.receive(inbound): stored (a redelivered update is a
 *            duplicate and produces nothing), then answered by the engine
 *   encode   the replies are NOT sent from here: they are stored outbound
 *            messages that the outbox delivers through `sender` (./sender.ts)
 *
 * Updates arrive by webhook when `webhook` is given (production: Telegram
 * POSTs to /telegram/webhook with the secret header; anything else is 401)
 * or by long polling otherwise (development, or an office without a public
 * HTTPS address). Only private chats are served; groups and channels are
 * ignored.
 */
import { timingSafeEqual } from 'node:crypto';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { Bot, webhookCallback, type Context } from 'grammy';
import type { Message, UserFromGetMe } from 'grammy/types';
import type { ChannelSender } from '../../bot/delivery.js';
import type { Dispatcher } from '../../bot/dispatcher.js';
import type { Logger } from '../../bot/log.js';
import type { Store } from '../../bot/store/types.js';
import type { Inbound, UnreadableKind } from '../../bot/types.js';
import { clientErrorOf, jsonBody } from '../http-boundary.js';
import { COMMAND_LIST, COMMAND_TEXT, decodeMessage, inboundBase, isWellFormed, type IncomingFile } from './decode.js';
import { createFileDownloader, DEFAULT_API_ROOT, type FetchFile, type Refused, type Saved } from './files.js';
import { createTelegramSender } from './sender.js';

/** The header Telegram sends with every webhook call when setWebhook was given a secret. */
export const SECRET_HEADER = 'X-Telegram-Bot-Api-Secret-Token';
/** Only messages: we use no inline keyboards, so there are no callback queries to receive. */
const ALLOWED_UPDATES = ['message'] as const;
/** getUpdates waits this long for news (long polling). */
const POLL_TIMEOUT_S = 30;
/** Telegram gives up on a webhook call after about a minute and redelivers; we answer well before. */
const WEBHOOK_TIMEOUT_MS = 25_000;
/** Telegram's updates are small; a photo arrives as a file id, not bytes. */
const WEBHOOK_BODY_LIMIT = '1mb';
const CLIENT_ERRORS = {
  too_large: { status: 413, message: 'Update terlalu besar (paling banyak 1 MB).' },
  unsupported: { status: 415, message: 'Update harus dikirim sebagai JSON (UTF-8).' },
  bad_request: { status: 400, message: 'Update tidak bisa dibaca: kirim objek JSON dari Telegram (dengan update_id).' },
} as const;
/** How many recent platform message ids are remembered to skip work on redeliveries (downloads, notices). */
const RECENT_IDS = 1000;

export interface TelegramChannelOptions {
  token: string;
  /** A self-hosted Bot API server (https://github.com/tdlib/telegram-bot-api); default api.telegram.org. */
  apiRoot?: string;
  /** Webhook mode: the public URL Telegram calls (it must reach /telegram/webhook) and the secret it sends. */
  webhook?: { url: string; secret: string };
  dispatcher: Dispatcher;
  store: Store;
  log: Logger;
  /** Known bot identity: skips getMe (tests always set it). */
  botInfo?: UserFromGetMe;
  /** Downloads a file URL (the network boundary for photos and documents; tests stub it). */
  fetchFile?: FetchFile;
}

export interface TelegramChannel {
  readonly bot: Bot;
  /** Register with the outbox: it delivers the engine's replies to Telegram. */
  readonly sender: ChannelSender;
  /** Webhook mode only: mount at /telegram (it serves POST /telegram/webhook). */
  readonly router?: Router;
  /** Webhook mode: setWebhook with the secret. Polling mode: starts long polling. Resolves once updates flow. */
  start(): Promise<void>;
  /** Stops polling (the update offset is confirmed, so nothing is fetched twice) and waits for the update in hand. */
  stop(): Promise<void>;
}

/** Files we refuse are answered like other content the engine cannot read. */
const FILE_REFUSED: Record<'too_large' | 'unsupported_type', UnreadableKind> = { too_large: 'fileTooLarge', unsupported_type: 'fileType' };
/** A download that failed (network, Bot API server) is tried this many times before the update fails. */
const DOWNLOAD_ATTEMPTS = 3;

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A small set that forgets its oldest entries. */
class RecentIds {
  private readonly ids = new Set<string>();
  has(id: string) {
    return this.ids.has(id);
  }
  add(id: string) {
    this.ids.add(id);
    if (this.ids.size > RECENT_IDS) this.ids.delete(this.ids.values().next().value!);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Resolves with the promise's value, or undefined after `ms` (shutdown must not hang on a dead network). */
const within = async <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
  const timeout = new AbortController();
  try {
    return await Promise.race([promise, sleep(ms, timeout.signal).then(() => undefined)]);
  } finally {
    timeout.abort();
  }
};

export function createTelegramChannel(options: TelegramChannelOptions): TelegramChannel {
  const { dispatcher, store, webhook } = options;
  const log = options.log.child({ channel: 'telegram' });
  const apiRoot = (options.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/u, '');
  // getUpdates holds the connection for up to POLL_TIMEOUT_S; any other call gets the same generous bound.
  const bot = new Bot(options.token, { botInfo: options.botInfo, client: { apiRoot, timeoutSeconds: POLL_TIMEOUT_S + 30 } });
  const sender = createTelegramSender(bot.api, { files: store.files });
  const downloader = createFileDownloader({ api: bot.api, token: options.token, apiRoot, files: store.files, fetch: options.fetchFile });
  const recent = new RecentIds();
  const lifetime = new AbortController();
  let polling: Promise<void> | undefined;


  /** Fetches and stores a photo or document; a failed download is retried, then fails the update (a webhook redelivers it). */
  const saveFile = async (file: IncomingFile): Promise<Saved | Refused> => {
    for (let attempt = 1; ; attempt++) {
      const saved = await downloader.save(file);
      if (saved.ok || saved.reason !== 'unavailable') return saved;
      if (attempt >= DOWNLOAD_ATTEMPTS) throw new Error(`telegram file download failed: ${saved.detail ?? 'unknown'}`);
      log.warn({ detail: saved.detail, attempt }, 'telegram file download failed, retrying');
      await sleep(500 * attempt, lifetime.signal);
    }
  };

  /** decode → hand to the dispatcher. The replies go out through the outbox, not from here. */
  const handleMessage = async (message: Message, botUsername: string) => {
    // Only Telegram knows the secret, but a malformed update must be dropped, not fail (and be redelivered) forever.
    if (!isWellFormed(message)) return void log.warn({ fields: Object.keys(message ?? {}) }, 'telegram update with a malformed message ignored');
    const decoded = decodeMessage(message, botUsername);
    if (decoded.type === 'ignore') {
      log.debug({ chatType: message.chat.type, reason: decoded.reason }, 'telegram update ignored');
      return;
    }
    const base = inboundBase(message);
    const id = base.platformMessageId!;
    if (decoded.type === 'unsupported') {
      // Stored for the agents and answered with "please type it"; the engine never guesses at it.
      await dispatcher.receive({ ...base, text: decoded.text, unreadable: decoded.kind });
      log.info({ kind: decoded.kind }, 'telegram message the engine cannot read');
      return;
    }

    let inbound: Inbound;
    if (decoded.type === 'file') {
      // A redelivery of a photo we already stored is not downloaded again (the dispatcher would drop it anyway).
      if (recent.has(id)) return void log.info({ platformMessageId: id }, 'duplicate delivery ignored');
      const saved = await saveFile(decoded.file);
      if (!saved.ok) {
        log.info({ reason: saved.reason, declared: decoded.file.mimeType, size: decoded.file.size }, 'telegram file refused');
        await dispatcher.receive({ ...base, text: decoded.caption ? `[berkas ditolak] ${decoded.caption}` : '[berkas ditolak]', unreadable: FILE_REFUSED[saved.reason] });
        recent.add(id);
        return;
      }
      inbound = { ...base, text: decoded.caption, attachments: [saved.attachment] };
    } else {
      // A pressed keyboard button arrives as its label; the engine maps labels of the options it offered.
      inbound = { ...base, text: decoded.type === 'command' ? COMMAND_TEXT[decoded.command] : decoded.text };
    }
    const result = await dispatcher.receive(inbound);
    recent.add(id);
    log.debug({ messageId: result.message.id, duplicate: result.duplicate, replies: result.replies.length }, 'telegram message handled');
  };

  bot.on('message', (ctx: Context) => handleMessage(ctx.message!, ctx.me.username));

  // Long polling: an error must not stop the loop (grammY's default handler would). The update is lost to
  // polling, but a message the dispatcher had stored is resumed by dispatcher.recover() at the next start.
  bot.catch((error) => {
    log.error({ err: error.error, updateId: error.ctx?.update.update_id }, 'telegram update failed');
  });

  let router: Router | undefined;
  if (webhook) {
    router = Router();
    const requireSecret: RequestHandler = (req, res, next) => {
      if (sameSecret(req.get(SECRET_HEADER), webhook.secret)) return next();
      log.warn({ ip: req.ip }, 'telegram webhook call with a wrong or missing secret');
      res.status(401).json({ error: 'unauthorized', message: 'Akses ditolak: kode rahasia webhook Telegram salah atau tidak ada.' });
    };
    // A failed update answers 500: Telegram delivers it again, and the dispatcher drops it if it was stored after all.
    const callback = webhookCallback(bot, 'express', { secretToken: webhook.secret, onTimeout: 'throw', timeoutMilliseconds: WEBHOOK_TIMEOUT_MS });
    // grammY expects an object with an update_id; anything else is refused here rather than failing inside it.
    const requireUpdate: RequestHandler = (req, res, next) => {
      const update = req.body as { update_id?: unknown } | undefined;
      if (typeof update === 'object' && update !== null && !Array.isArray(update) && Number.isSafeInteger(update.update_id)) return next();
      res.status(400).json({ error: 'bad_request', message: CLIENT_ERRORS.bad_request.message });
    };
    router.post('/webhook', requireSecret, jsonBody(WEBHOOK_BODY_LIMIT), requireUpdate, callback);
    const onError: ErrorRequestHandler = (error, _req, res, next) => {
      if (res.headersSent) return next(error);
      // The caller's doing (not JSON, over 1 MB, a charset we do not read): answered 4xx, Telegram does not retry those.
      const kind = clientErrorOf(error);
      if (kind) return void res.status(CLIENT_ERRORS[kind].status).json({ error: kind, message: CLIENT_ERRORS[kind].message });
      log.error({ err: error }, 'telegram webhook update failed');
      res.status(500).json({ error: 'internal' });
    };
    router.use(onError);
  }

  /** getMe until it answers: a wrong token fails at once, an unreachable server is retried with backoff. */
  const identify = async () => {
    if (bot.isInited()) return;
    for (let attempt = 1; !lifetime.signal.aborted; attempt++) {
      try {
        // grammY types its signal with its own AbortSignal shim; Node's is what it gets at runtime.
        bot.botInfo = await bot.api.getMe(lifetime.signal as unknown as Parameters<typeof bot.api.getMe>[0]);
        log.info({ username: bot.botInfo.username }, 'telegram bot identified');
        return;
      } catch (error) {
        const code = (error as { error_code?: number }).error_code;
        if (code === 401 || code === 404) throw new Error('TELEGRAM_BOT_TOKEN ditolak oleh server Bot API (token salah atau dicabut).');
        const wait = Math.min(60_000, 500 * 2 ** attempt);
        log.warn({ err: error, retryInMs: wait }, 'telegram Bot API not reachable yet');
        await sleep(wait, lifetime.signal);
      }
    }
  };

  return {
    bot,
    sender,
    router,
    async start() {
      await identify();
      if (lifetime.signal.aborted) return;
      // The "/" menu in the Telegram app. Not essential (and not every Bot API server knows it).
      await bot.api.setMyCommands(COMMAND_LIST).catch((error: unknown) => log.info({ err: error }, 'telegram commands not registered'));
      if (lifetime.signal.aborted) return; // stopped while starting
      if (webhook) {
        await bot.api.setWebhook(webhook.url, { secret_token: webhook.secret, allowed_updates: [...ALLOWED_UPDATES], drop_pending_updates: false });
        log.info({ url: webhook.url }, 'telegram webhook set');
        return;
      }
      await new Promise<void>((resolve, reject) => {
        polling = bot.start({
          drop_pending_updates: false,
          allowed_updates: [...ALLOWED_UPDATES],
          timeout: POLL_TIMEOUT_S,
          onStart: () => {
            log.info({ apiRoot: apiRoot === DEFAULT_API_ROOT ? undefined : apiRoot }, 'telegram long polling started');
            resolve();
          },
        });
        polling.then(resolve, (error: unknown) => {
          // 401: token revoked; 409: another instance polls with the same token (use the webhook when scaling out).
          log.error({ err: error }, 'telegram long polling stopped');
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      });
    },
    async stop() {
      lifetime.abort();
      if (!polling) return;
      const running = polling.catch(() => undefined);
      if (bot.isRunning()) await within(bot.stop().catch((error: unknown) => log.warn({ err: error }, 'telegram offset not confirmed')), 5_000);
      await within(running, 10_000);
      polling = undefined;
    },
  };
}
