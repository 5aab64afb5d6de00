/**
 * The composition root: builds the store, the knowledge base, the engine's
 * dispatcher and the HTTP server, and mounts the channels and the admin
 * area. Everything else receives what it needs from here; nothing below
 * reads the environment.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { adminArea } from '../admin/router.js';
import { resolveSecretKey } from '../admin/secret-key.js';
import type { WhatsappControl } from '../admin/whatsapp.js';
import type { EngineServices } from '../bot/context.js';
import { createLocalBus, createRedisBus } from '../bot/bus.js';
import { Dispatcher } from '../bot/dispatcher.js';
import { Helpdesk } from '../bot/helpdesk.js';
import { createTicketDeadlines, startSlaWorker, type SlaWorker } from '../bot/sla.js';
import { startRetentionWorker, type RetentionWorker } from '../bot/privacy.js';
import { UnansweredLog } from '../bot/unanswered.js';
import { KnowledgeBase, seedKnowledge } from '../bot/knowledge-base.js';
import { seedHolidays, storedCalendar } from '../bot/office-editing.js';
import { KnowledgeEditor } from '../bot/knowledge-editing.js';
import { createLogger, type Logger } from '../bot/log.js';
import { createMetrics } from '../bot/metrics.js';
import { createOutbox, type RunningOutbox } from '../bot/outbox.js';
import { createSenderRateLimit } from '../bot/rate-limit.js';
import { openQueue, type JobQueue } from '../bot/queue/index.js';
import { openStore } from '../bot/store/index.js';
import type { Store } from '../bot/store/types.js';
import { createTelegramChannel } from '../channels/telegram/channel.js';
import { parseAuthKey } from '../channels/whatsapp/crypto.js';
import { answerMalformedRequests, lastResort, notFound } from '../channels/http-boundary.js';
import { webchatChannel, webchatDemoPage } from '../channels/webchat/router.js';
import { loadEntries, loadHolidays, loadLanguage, loadOffice } from '../knowledge/load.js';
import type { Config } from './config.js';
import { operations } from './operations.js';
import { httpDrain } from './http-drain.js';

/** How long a shutdown waits for requests in progress (below docker compose's 30 s stop_grace_period). */
const DRAIN_TIMEOUT_MS = 15_000;

export interface App {
  config: Config;
  log: Logger;
  store: Store;
  knowledge: KnowledgeBase;
  /** Drafts → approval → publishing of knowledge-base entries. */
  editor: KnowledgeEditor;
  dispatcher: Dispatcher;
  /** The agents' side: claiming, replying, handing back, closing, auto-assignment. */
  helpdesk: Helpdesk;
  /** Background work: bull with REDIS_URL, else the embedded queue on the store. */
  queue: JobQueue;
  /** Delivery of outbound messages on channels that push; channel adapters register their sender here. */
  outbox: RunningOutbox;
  http: express.Express;
  /** Starts listening; resolves with the bound port (use PORT=0 in tests for a free one). */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export async function createApp(
  config: Config,
  options: {
    log?: Logger;
    whatsappControl?: WhatsappControl;
    outbox?: { retry?(messageId: string): Promise<unknown> };
    /** The per-sender rate limit's window (default 60 s, RATE_LIMIT_PER_MINUTE per minute); tests use a short one. */
    rateLimitWindowSeconds?: number;
  } = {},
): Promise<App> {
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL });
  const store = await openStore({ mongoUri: config.MONGODB_URI, dataDir: config.DATA_DIR });
  const { seeded } = await seedKnowledge(store, loadEntries(), loadOffice(config.OFFICE_PROFILE));
  if (seeded > 0) log.info({ seeded }, 'knowledge base seeded from knowledge/entries');
  const knowledge = new KnowledgeBase(store, loadLanguage());
  const { office } = await knowledge.current();
  // Ticket deadlines in working days on the office hours and holidays as admins keep them (seeded from knowledge/calendar).
  await seedHolidays(store, loadHolidays({ office: office.id }));
  const calendar = storedCalendar({ knowledge, settings: store.settings });
  const queue = await openQueue({ redisUrl: config.REDIS_URL, store, log });
  const outbox = createOutbox({ store, queue, log });
  // Live events: shared through Redis when several instances run, so every inbox and web chat sees every change.
  const events = config.REDIS_URL ? await createRedisBus(config.REDIS_URL, log) : createLocalBus();
  knowledge.follow(events);
  // Drafts, approval and publishing of knowledge-base entries (the admin area's editor and unanswered list use it).
  const editor = new KnowledgeEditor({ store, knowledge, events });
  // Filled in below once the channels that provide them exist (they need the dispatcher themselves).
  const services: EngineServices = {};
  // Messages the knowledge base could not answer, grouped for the admin area's unanswered list (recorded by a queue worker).
  const unanswered = new UnansweredLog({ store, queue, knowledge, log });
  // Prometheus counters and gauges of this instance, scraped at /metrics.
  const metrics = createMetrics({ store, queue });
  // RATE_LIMIT_PER_MINUTE per citizen and chat, shared by all instances through Redis (bot/rate-limit.ts).
  const rateLimit = await createSenderRateLimit({ perWindow: config.RATE_LIMIT_PER_MINUTE, windowSeconds: options.rateLimitWindowSeconds, redisUrl: config.REDIS_URL, log });
  const dispatcher = new Dispatcher({ store, knowledge, log, outbox, services, events, deadlines: createTicketDeadlines({ queue, calendar, log }), unanswered, metrics, rateLimit });
  const helpdesk = new Helpdesk({ store, dispatcher, queue, log, handoffTimeoutMinutes: config.HANDOFF_TIMEOUT_MINUTES });
  // Telegram channel, when a bot token is configured: its replies go out through the outbox.
  const telegram = config.TELEGRAM_BOT_TOKEN
    ? createTelegramChannel({
        token: config.TELEGRAM_BOT_TOKEN,
        apiRoot: config.TELEGRAM_API_ROOT,
        webhook: config.TELEGRAM_WEBHOOK_URL ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET! } : undefined,
        dispatcher,
        store,
        log,
      })
    : undefined;
  if (telegram) outbox.register(telegram.sender);
  // WhatsApp channel (Baileys), when enabled: exactly one instance holds the connection (a Redis lease with REDIS_URL).
  const whatsappKey = config.WHATSAPP_ENABLED && config.WHATSAPP_AUTH_KEY ? parseAuthKey(config.WHATSAPP_AUTH_KEY) : undefined;
  const whatsapp = whatsappKey?.ok
    ? // Loaded on demand: Baileys is only needed where WhatsApp is switched on.
      (await import('../channels/whatsapp/index.js')).createWhatsAppChannel({
        store,
        dispatcher,
        log,
        authKey: whatsappKey.key,
        oldMessageHours: config.WHATSAPP_OLD_MESSAGE_HOURS,
        redisUrl: config.REDIS_URL,
        queue,
        socketConfig: config.WHATSAPP_SOCKET_URL ? { waWebSocketUrl: config.WHATSAPP_SOCKET_URL } : undefined,
      })
    : undefined;
  if (whatsapp) services.oneTimeCodes = whatsapp.oneTimeCodes;
  if (whatsapp) outbox.register(whatsapp.sender);

  const http = express();
  http.disable('x-powered-by');
  http.set('trust proxy', config.TRUST_PROXY);
  // /healthz, /readyz and /metrics for load balancers, orchestrators and Prometheus (scripts/operations.ts).
  let draining = false;
  const ops = operations({
    store,
    queue,
    metrics,
    log,
    redisUrl: config.REDIS_URL,
    whatsapp,
    metricsToken: config.METRICS_TOKEN,
    draining: () => draining,
  });
  http.use(ops.router);
  // Graceful shutdown: while closing, new requests get 503 and the ones in progress finish (scripts/http-drain.ts).
  const drain = httpDrain();
  http.use(drain.middleware);
  // Web chat channel: the widget's API and script under /webchat, the demo page at /.
  // The web chat's own 429 flood guard stays above RATE_LIMIT_PER_MINUTE, so a fast citizen meets the polite notice first.
  const messagesPerSession = { max: Math.max(30, config.RATE_LIMIT_PER_MINUTE + 10), windowMs: 60_000 };
  http.use('/webchat', webchatChannel({ dispatcher, store, allowedOrigins: config.WEBCHAT_ALLOWED_ORIGINS, log, limits: { messagesPerSession } }));
  http.get('/', webchatDemoPage());
  // Telegram webhook (webhook mode only): POST /telegram/webhook, verified by its secret header.
  if (telegram?.router) http.use('/telegram', telegram.router);
  // Admin and agent area: login, users, WhatsApp pairing, failed deliveries (admin/router.ts).
  const secretKey = resolveSecretKey({ configured: config.SECRET_KEY, dataDir: config.DATA_DIR, scaleOut: Boolean(config.MONGODB_URI), log });
  http.use(
    '/admin',
    adminArea({
      store,
      log,
      config,
      secretKey,
      whatsappControl: options.whatsappControl ?? whatsapp?.control,
      outbox: options.outbox ?? outbox,
      inbox: { helpdesk, dispatcher },
      knowledge: { knowledge, editor },
      events,
      queue,
    }),
  );
  // Keep these last: a path no router owns, and an error nobody answered, get an Indonesian message (channels/http-boundary.ts).
  http.use(notFound());
  http.use(lastResort(log));

  let server: Server | undefined;
  let sla: SlaWorker | undefined;
  let retention: RetentionWorker | undefined;
  return {
    config,
    log,
    store,
    knowledge,
    editor,
    dispatcher,
    helpdesk,
    queue,
    outbox,
    http,
    async listen() {
      server = http.listen(config.PORT, config.HOST);
      answerMalformedRequests(server); // garbage or oversized headers get a JSON message, not Node's empty 400/431
      await once(server, 'listening');
      const port = (server.address() as AddressInfo).port;
      log.info({ port, store: store.engine }, 'siratu is listening');
      await dispatcher.recover();
      outbox.start();
      helpdesk.start();
      sla = startSlaWorker({ store, queue, dispatcher, calendar, log });
      // Nightly anonymisation of conversations older than RETENTION_DAYS (UU 27/2022); one run per day across instances.
      retention = startRetentionWorker({ store, queue, days: config.RETENTION_DAYS, log });
      unanswered.start();
      // Not awaited: an unreachable Bot API server is retried in the background and must not hold up the web chat.
      telegram?.start().catch((error: unknown) => log.error({ err: error }, 'telegram channel did not start'));
      whatsapp?.start().catch((error: unknown) => log.error({ err: error }, 'whatsapp channel did not start'));
      return port;
    },
    async close() {
      draining = true; // /readyz answers 503 from now on
      // Closing every connection at once cut citizens' messages off mid-turn: finish the requests in hand first.
      const { unfinished } = await drain.drain(server, DRAIN_TIMEOUT_MS);
      if (unfinished > 0) log.warn({ unfinished }, 'shutdown: requests still running after the drain timeout were cut off');
      await telegram?.stop(); // no new updates; the one in hand is finished
      await whatsapp?.stop(); // closes the socket and releases the lease, so another instance takes over at once
      sla?.stop();
      retention?.stop(); // a run in progress stops after its current batch
      await queue.close(); // lets running deliveries finish and record their progress first
      await events.close();
      await rateLimit.close();
      await ops.close();
      await store.close();
    },
  };
}
