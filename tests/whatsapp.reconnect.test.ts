/**
 * The WhatsApp connection's life: the REAL Baileys socket (makeWASocket)
 * against a local WebSocket server standing in for web.whatsapp.com. The
 * protocol itself cannot be emulated, but the server can accept and drop
 * connections (Baileys then reports close 428), which is what reconnect
 * and backoff are about. A logout (401) or a ban (403) cannot be produced
 * by such a server: they are emitted on the real socket's event path, as
 * Baileys' own `end()` would emit them. The lease runs on the real local
 * Redis.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Boom } from '@hapi/boom';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { createLogger } from '../bot/log.js';
import { createEmbeddedQueue } from '../bot/queue/embedded.js';
import type { JobQueue } from '../bot/queue/types.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { SettingsRepository, Store } from '../bot/store/types.js';
import { CREDS_NAMESPACE, KEYS_NAMESPACE, useStoreAuthState } from '../channels/whatsapp/auth-state.js';
import { WhatsAppConnection } from '../channels/whatsapp/connection.js';
import { AuthCipher } from '../channels/whatsapp/crypto.js';
import { createWhatsAppChannel, type WhatsAppChannel } from '../channels/whatsapp/index.js';
import { RedisLease } from '../channels/whatsapp/lease.js';
import { STATUS_SETTING, type WhatsAppStatus } from '../channels/whatsapp/status.js';
import { makeTempDir } from './helpers/tmp.js';

const silent = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for web.whatsapp.com: counts connections; drops them after the first frame, or keeps them hanging. */
class FakeWhatsAppServer {
  readonly connections: number[] = [];
  readonly sockets = new Set<WebSocket>();
  mode: 'drop' | 'hang' = 'drop';
  private constructor(private readonly server: WebSocketServer) {
    server.on('connection', (ws) => {
      this.connections.push(Date.now());
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.once('message', () => {
        if (this.mode === 'drop') ws.close();
      });
    });
  }
  static async start(): Promise<FakeWhatsAppServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws/chat' });
    await new Promise((resolve) => server.once('listening', resolve));
    return new FakeWhatsAppServer(server);
  }
  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/ws/chat`;
  }
  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The store's settings, recording every status the connection publishes. */
function recording(store: Store): { store: Store; statuses: WhatsAppStatus[]; times: number[] } {
  const statuses: WhatsAppStatus[] = [];
  const times: number[] = [];
  const settings: SettingsRepository = {
    get: (key) => store.settings.get(key),
    put: async (key, value) => {
      if (key === STATUS_SETTING) {
        statuses.push(value as WhatsAppStatus);
        times.push(Date.now());
      }
      await store.settings.put(key, value);
    },
  };
  return { store: { ...store, settings }, statuses, times };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let temp: ReturnType<typeof makeTempDir>;
let store: Store;
let server: FakeWhatsAppServer;
const connections: WhatsAppConnection[] = [];

beforeEach(async () => {
  temp = makeTempDir('siratu-wa-reconnect-');
  store = openSqliteStore({ file: `${temp.dir}/s.db` });
  server = await FakeWhatsAppServer.start();
});
afterEach(async () => {
  for (const connection of connections.splice(0)) await connection.stop();
  await server.close();
  await store.close();
  temp.remove();
});

function connect(options: { backoff?: { initialMs?: number; maxMs?: number }; relinkAfterLogout?: boolean; key?: Buffer; random?: () => number } = {}) {
  const recorded = recording(store);
  const connection = new WhatsAppConnection({
    store: recorded.store,
    cipher: new AuthCipher(options.key ?? randomBytes(32)),
    log: silent,
    instance: 'test-1',
    socketConfig: { waWebSocketUrl: server.url },
    backoff: options.backoff,
    random: options.random,
    relinkAfterLogout: options.relinkAfterLogout,
  });
  connections.push(connection);
  return { connection, statuses: recorded.statuses, times: recorded.times };
}

describe('reconnecting against a local WebSocket endpoint', () => {
  it('the server drops the connection: status goes closed → connecting and it reconnects with growing delays', async () => {
    const { connection, statuses, times } = connect({ backoff: { initialMs: 60, maxMs: 10_000 }, random: () => 1 });
    await connection.start();
    await until(() => server.connections.length >= 6, 10_000, '6 connection attempts');
    await connection.stop();

    // The plan: each close schedules the next attempt after twice the previous delay (jitter pinned to its top here).
    const closes = statuses.map((status, i) => ({ status, at: times[i]! })).filter(({ status }) => status.state === 'closed' && status.retryAt);
    const planned = closes.map(({ status }) => Date.parse(status.retryAt!) - Date.parse(status.updatedAt));
    expect(planned.slice(0, 5)).toEqual([60, 120, 240, 480, 960]);
    expect(closes[0]!.status.lastError).toMatch(/\(428\)/u);
    // What happened: attempt n+1 reached the server no sooner than its delay after close n (and not much later).
    for (let n = 0; n < 4; n++) {
      const next = server.connections.find((at) => at >= closes[n]!.at)!;
      expect(next - closes[n]!.at).toBeGreaterThanOrEqual(planned[n]! - 5);
      expect(next - closes[n]!.at).toBeLessThan(planned[n]! + 400);
    }
    // Counted over time: 3 attempts in the first ~200 ms of backoff, then they thin out.
    const first = server.connections[0]!;
    expect(server.connections.filter((at) => at - first < 60 + 120 + 50).length).toBeLessThanOrEqual(3);
    expect(server.connections.at(-1)! - server.connections.at(-2)!).toBeGreaterThan(server.connections[1]! - server.connections[0]!);

    const states = statuses.map((s) => s.state);
    expect(states[0]).toBe('connecting');
    // closed and connecting alternate: every drop is followed by a new attempt
    const transitions = states.filter((state, i) => state !== states[i - 1]);
    expect(transitions.slice(0, 5)).toEqual(['connecting', 'closed', 'connecting', 'closed', 'connecting']);
    // The published status is in the store for every instance's admin page.
    expect((await store.settings.get<WhatsAppStatus>(STATUS_SETTING))!.instance).toBe('test-1');
  });

  it('with real jitter, delays never shrink and never exceed the cap', async () => {
    const { connection, statuses } = connect({ backoff: { initialMs: 20, maxMs: 200 } });
    await connection.start();
    await until(() => server.connections.length >= 8, 10_000, '8 connection attempts');
    await connection.stop();
    const planned = statuses.filter((s) => s.state === 'closed' && s.retryAt).map((s) => Date.parse(s.retryAt!) - Date.parse(s.updatedAt));
    expect(planned.length).toBeGreaterThanOrEqual(7);
    // Equal jitter: delay n lies in [step/2, step], so it is never below the previous step.
    for (let i = 1; i < planned.length; i++) expect(planned[i]!).toBeGreaterThanOrEqual(Math.min(planned[i - 1]!, 100) - 1);
    for (const delay of planned) expect(delay).toBeLessThanOrEqual(200);
    expect(planned.at(-1)!).toBeGreaterThanOrEqual(100);
  });

  it('a logged-out close (401): no reconnect, status logged_out, stored session deleted', async () => {
    server.mode = 'hang';
    const key = randomBytes(32);
    // A linked device's session in the store.
    const existing = await useStoreAuthState(store.keyValue, new AuthCipher(key));
    existing.state.creds.me = { id: '6281100000001:7@s.whatsapp.net' };
    await existing.saveCreds();
    await existing.state.keys.set({ session: { '6281234567890.0': randomBytes(16) } });

    const { connection, statuses } = connect({ backoff: { initialMs: 30 }, relinkAfterLogout: false, key });
    await connection.start();
    await until(() => server.connections.length === 1, 5000, 'the connection');
    const socket = connection.rawSocket!;
    expect(socket.authState.creds.me?.id).toBe('6281100000001:7@s.whatsapp.net'); // it did load the stored device
    // What Baileys' end() emits when WhatsApp says the device was logged out.
    socket.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom('Intentional Logout', { statusCode: 401 }), date: new Date() } });

    await connection.waitFor(['logged_out'], 2000);
    await sleep(400);
    expect(server.connections).toHaveLength(1); // not reconnected
    expect(connection.isRunning).toBe(false);
    expect(await store.keyValue.keys(CREDS_NAMESPACE)).toEqual([]);
    expect(await store.keyValue.keys(KEYS_NAMESPACE)).toEqual([]);
    const last = statuses.at(-1)!;
    expect(last.state).toBe('logged_out');
    expect(last.lastError).toMatch(/logout/iu);
    expect(last.me).toBeUndefined();
    await until(() => server.sockets.size === 0, 2000, 'the real socket to be closed');
  });

  it('after a logout the old session is never resumed; a fresh, unlinked one offers a new QR code', async () => {
    server.mode = 'hang';
    const key = randomBytes(32);
    const existing = await useStoreAuthState(store.keyValue, new AuthCipher(key));
    existing.state.creds.me = { id: '6281100000001:7@s.whatsapp.net' };
    await existing.saveCreds();
    const { connection, statuses } = connect({ backoff: { initialMs: 30 }, key });
    await connection.start();
    await until(() => server.connections.length === 1, 5000, 'the connection');
    const old = connection.rawSocket!;
    old.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom('Intentional Logout', { statusCode: 401 }), date: new Date() } });
    await until(() => server.connections.length === 2, 5000, 'a fresh session');
    const fresh = connection.rawSocket!;
    expect(fresh).not.toBe(old);
    expect(fresh.authState.creds.me).toBeUndefined();
    expect(Buffer.from(fresh.authState.creds.noiseKey.public).equals(Buffer.from(old.authState.creds.noiseKey.public))).toBe(false);
    expect(statuses.map((s) => s.state)).toContain('logged_out');
  });

  it('a forbidden close (403, banned): no reconnect, status banned, the session is kept', async () => {
    server.mode = 'hang';
    const key = randomBytes(32);
    const existing = await useStoreAuthState(store.keyValue, new AuthCipher(key));
    existing.state.creds.me = { id: '6281100000001:7@s.whatsapp.net' };
    await existing.saveCreds();
    const { connection } = connect({ backoff: { initialMs: 30 }, key });
    await connection.start();
    await until(() => server.connections.length === 1, 5000, 'the connection');
    connection.rawSocket!.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom('Connection Failure', { statusCode: 403 }), date: new Date() } });
    const status = await connection.waitFor(['banned'], 2000);
    expect(status.lastError).toMatch(/403/u);
    await sleep(300);
    expect(server.connections).toHaveLength(1);
    expect(await store.keyValue.keys(CREDS_NAMESPACE)).toEqual(['creds']);
  });

  it('restart required (515, right after pairing) reconnects at once, without backoff', async () => {
    server.mode = 'hang';
    const { connection } = connect({ backoff: { initialMs: 5000 } });
    await connection.start();
    await until(() => server.connections.length === 1, 5000, 'the connection');
    connection.rawSocket!.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom('restart required', { statusCode: 515 }), date: new Date() } });
    await until(() => server.connections.length === 2, 1500, 'the immediate reconnect');
  });

  it('a pairing code is only asked for while waiting to be linked, for a valid number', async () => {
    server.mode = 'hang';
    const { connection } = connect();
    await expect(connection.requestPairingCode('0812')).rejects.toThrow(/Nomor HP tidak valid/u);
    await connection.start();
    await expect(connection.requestPairingCode('0812 3456 7890')).rejects.toThrow(/Belum siap/u);
  });
});

describe('one holder across instances (Redis lease)', () => {
  let redis: Redis;
  const key = `siratu:test:whatsapp:lease:${process.pid}:${Date.now()}`;

  beforeAll(() => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    await redis.del(key);
    await redis.quit();
  });

  function lease(holder: string, events: string[]) {
    return new RedisLease({
      redis,
      holder,
      key,
      ttlMs: 600,
      renewMs: 100,
      log: silent,
      onAcquired: () => void events.push(`${holder}+`),
      onLost: () => void events.push(`${holder}-`),
    });
  }

  it('two instances compete: exactly one holds it; when the holder dies the other takes over within the lease time', async () => {
    const events: string[] = [];
    const a = lease('instance-a', events);
    const b = lease('instance-b', events);
    await Promise.all([a.start(), b.start()]);
    await sleep(500); // several renewals: still exactly one holder, nobody flapped
    expect([a.isHolder, b.isHolder].filter(Boolean)).toHaveLength(1);
    expect(events).toHaveLength(1);
    const [holder, other] = a.isHolder ? [a, b] : [b, a];
    expect(await redis.get(key)).toBe(a.isHolder ? 'instance-a' : 'instance-b');

    // The holder "dies": it stops renewing and does not release.
    const died = Date.now();
    await holder.stop({ release: false });
    await until(() => other.isHolder, 2000, 'the takeover');
    const takeover = Date.now() - died;
    expect(takeover).toBeLessThanOrEqual(600 + 100 + 150);
    expect(takeover).toBeGreaterThan(300); // not before the dead holder's lease expired
    expect(events.filter((e) => e.endsWith('+'))).toHaveLength(2);

    // A graceful stop releases at once: the next instance takes over on its next try.
    const c = lease('instance-c', events);
    await c.start();
    expect(c.isHolder).toBe(false);
    const released = Date.now();
    await other.stop();
    await until(() => c.isHolder, 1000, 'the takeover after release');
    expect(Date.now() - released).toBeLessThanOrEqual(100 + 80);
    await c.stop();
    expect(await redis.get(key)).toBeNull();
  });

  it('a holder whose lease was taken (e.g. after a long pause) gives the connection up', async () => {
    const events: string[] = [];
    const a = lease('instance-a', events);
    await a.start();
    expect(a.isHolder).toBe(true);
    await redis.set(key, 'intruder', 'PX', 5000); // as if a.renew had been missed and someone else acquired
    await until(() => !a.isHolder && events.includes('instance-a-'), 1000, 'the holder to notice');
    await a.stop();
    expect(await redis.get(key)).toBe('intruder'); // not released: it is not ours
    await redis.del(key);
  });

  describe('two channels (real Baileys sockets) sharing a store and a lease', () => {
    let queues: JobQueue[];
    let channels: WhatsAppChannel[];
    beforeEach(() => {
      queues = [];
      channels = [];
    });
    afterEach(async () => {
      for (const channel of channels) await channel.stop();
      for (const queue of queues) await queue.close();
      await redis.del(`${key}:channels`);
    });

    const channel = (name: string, authKey: Buffer) => {
      const queue = createEmbeddedQueue(store.jobs, { pollMs: 20 });
      queues.push(queue);
      const created = createWhatsAppChannel({
        store,
        dispatcher: { receive: async () => ({}) as never, events: { emit: () => true } as never, postTo: async () => ({}) as never },
        log: silent,
        authKey,
        oldMessageHours: 6,
        redis,
        queue,
        instance: name,
        lease: { key: `${key}:channels`, ttlMs: 600, renewMs: 100 },
        socketConfig: { waWebSocketUrl: server.url },
        backoff: { initialMs: 50 },
      });
      channels.push(created);
      return created;
    };

    it('exactly one instance connects; admin commands reach it through the queue; the other takes over when it dies', async () => {
      server.mode = 'hang';
      const authKey = randomBytes(32);
      const a = channel('instance-a', authKey);
      const b = channel('instance-b', authKey);
      await Promise.all([a.start(), b.start()]);
      await until(() => server.connections.length >= 1, 3000, 'a connection');
      await sleep(300);
      expect([a.holding, b.holding].filter(Boolean)).toHaveLength(1);
      expect(server.connections).toHaveLength(1); // one socket to WhatsApp, not two
      const [holder, standby] = a.holding ? [a, b] : [b, a];
      expect(holder.connection.isRunning).toBe(true);
      expect(standby.connection.isRunning).toBe(false);
      expect(standby.sender).toBeDefined();

      // The admin page is served by the standby: its logout goes to the holder through `whatsapp:command`.
      await store.keyValue.set(KEYS_NAMESPACE, { 'session:probe.0': 'x' });
      await standby.control.logout();
      await until(async () => (await store.keyValue.keys(KEYS_NAMESPACE)).length === 0, 3000, 'the holder to log out');
      const published = (await store.settings.get<WhatsAppStatus>(STATUS_SETTING))!;
      expect(published.instance).toBe(holder === a ? 'instance-a' : 'instance-b');

      // The holder dies without releasing: the standby takes over within the lease time and connects.
      const before = server.connections.length;
      const died = Date.now();
      await holder.lease!.stop({ release: false });
      await until(() => standby.holding && standby.connection.isRunning, 3000, 'the takeover');
      expect(Date.now() - died).toBeLessThanOrEqual(600 + 100 + 200);
      await until(() => server.connections.length > before, 3000, 'the new holder to connect');
      expect(holder.connection.isRunning).toBe(false);
    });
  });
});
