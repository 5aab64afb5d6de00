/**
 * The endpoints machines ask, not people:
 *
 *   GET /healthz   the process is alive and serving (a liveness probe: restart it if this fails)
 *   GET /readyz    it can do its work: the store answers, Redis answers (scale-out mode), it is not
 *                  shutting down; also says how WhatsApp is doing. 503 when not ready (take it out of
 *                  the load balancer), so a dead Redis or database never receives traffic.
 *   GET /metrics   Prometheus metrics (bot/metrics.ts); only from a private network or with METRICS_TOKEN.
 *
 * WhatsApp does not make an instance unready: only one instance holds the
 * connection, and an unlinked phone is an admin's job (the admin page says so),
 * not a reason to stop answering the web chat.
 */
import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { BlockList, isIPv4 } from 'node:net';
import { Router, type Request } from 'express';
import { Redis } from 'ioredis';
import type { Logger } from '../bot/log.js';
import type { Metrics } from '../bot/metrics.js';
import type { JobQueue } from '../bot/queue/types.js';
import type { Store } from '../bot/store/types.js';
import { STATUS_SETTING, type WhatsAppStatus } from '../channels/whatsapp/status.js';

/** How long a dependency may take to answer a readiness check. */
const CHECK_TIMEOUT_MS = 2000;

export interface OperationsDeps {
  store: Store;
  queue: JobQueue;
  metrics: Metrics;
  log: Logger;
  redisUrl?: string;
  /** The WhatsApp channel, when enabled: whether this instance holds the connection. */
  whatsapp?: { readonly holding: boolean };
  /** With a token, /metrics needs `Authorization: Bearer <token>`; without, a private client address. */
  metricsToken?: string;
  /** True once shutdown began: readiness fails so load balancers stop sending work here. */
  draining(): boolean;
}

export interface Operations {
  router: Router;
  close(): Promise<void>;
}

type Check = { ok: true; ms: number } | { ok: false; ms: number; error: string };

async function timed(run: (signal: AbortSignal) => Promise<unknown>): Promise<Check> {
  const started = performance.now();
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  const aborted = new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`))));
  try {
    await Promise.race([run(signal), aborted]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: error instanceof Error ? error.message : String(error) };
  }
}

/** A ping that waits (within the check's time) for a connection still being made, e.g. just after start. */
async function ping(redis: Redis, signal: AbortSignal): Promise<void> {
  if (redis.status !== 'ready') await once(redis, 'ready', { signal });
  await redis.ping();
}

const privateNetworks = new BlockList();
privateNetworks.addSubnet('127.0.0.0', 8, 'ipv4');
privateNetworks.addSubnet('10.0.0.0', 8, 'ipv4');
privateNetworks.addSubnet('172.16.0.0', 12, 'ipv4');
privateNetworks.addSubnet('192.168.0.0', 16, 'ipv4');
privateNetworks.addAddress('::1', 'ipv6');
privateNetworks.addSubnet('fc00::', 7, 'ipv6');

/** The client's address as express sees it (through trusted proxies only, TRUST_PROXY), IPv4-mapped IPv6 unwrapped. */
function fromPrivateNetwork(req: Request): boolean {
  const address = (req.ip ?? '').replace(/^::ffff:/u, '');
  if (!address) return false;
  return privateNetworks.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function operations(deps: OperationsDeps): Operations {
  // Its own connection, failing fast: a health check must not wait in ioredis's offline queue.
  const redis = deps.redisUrl
    ? new Redis(deps.redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectionName: 'siratu-health' })
    : undefined;
  redis?.on('error', () => undefined); // reported by /readyz, not as log noise every reconnect
  void redis?.connect().catch(() => undefined);

  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', store: deps.store.engine, queue: deps.queue.engine, uptimeSeconds: Math.round(process.uptime()) });
  });

  router.get('/readyz', async (_req, res) => {
    const [store, queueRedis] = await Promise.all([
      timed(() => deps.store.settings.get('readyz')),
      redis ? timed((signal) => ping(redis, signal)) : Promise.resolve(undefined),
    ]);
    const status = deps.whatsapp ? await deps.store.settings.get<WhatsAppStatus>(STATUS_SETTING).catch(() => null) : undefined;
    const draining = deps.draining();
    const ready = store.ok && (queueRedis?.ok ?? true) && !draining;
    if (!ready) deps.log.warn({ store, redis: queueRedis, draining }, 'not ready');
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: ready ? 'ready' : draining ? 'draining' : 'unavailable',
        checks: {
          store: { engine: deps.store.engine, ...store },
          ...(queueRedis ? { redis: queueRedis } : {}),
          whatsapp: deps.whatsapp
            ? { enabled: true, holdsConnection: deps.whatsapp.holding, state: status?.state ?? 'connecting', since: status?.since ?? null }
            : { enabled: false },
        },
      });
  });

  router.get('/metrics', async (req, res) => {
    const authorization = req.get('authorization') ?? '';
    const allowed = deps.metricsToken
      ? authorization.startsWith('Bearer ') && sameSecret(authorization.slice(7), deps.metricsToken)
      : fromPrivateNetwork(req);
    if (!allowed) {
      // The app's one error shape: a code for programs, an Indonesian sentence for people.
      res.status(deps.metricsToken ? 401 : 403).json({
        error: deps.metricsToken ? 'unauthenticated' : 'forbidden',
        message: deps.metricsToken ? 'Perlu token: Authorization: Bearer <METRICS_TOKEN>.' : 'Metrik hanya untuk jaringan internal (atau atur METRICS_TOKEN).',
      });
      return;
    }
    try {
      res.set('Content-Type', deps.metrics.contentType).set('Cache-Control', 'no-store').send(await deps.metrics.render());
    } catch (error) {
      deps.log.error({ err: error }, 'metrics could not be collected');
      res.status(503).json({ error: 'unavailable', message: 'Metrik tidak dapat dikumpulkan saat ini (penyimpanan atau antrean tidak menjawab).' });
    }
  });

  return {
    router,
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
