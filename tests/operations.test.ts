/**
 * What operators and their machines see (scripts/operations.ts, admin/routes/queues.ts):
 * /healthz, /readyz with its checks (a private Redis is stopped and started again
 * to see readiness fall and come back by itself), Prometheus /metrics after real
 * web chat turns, who may read /metrics, and the admins' queue pages in both modes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, createUser, startAdminApp, until, type AdminTestApp } from './helpers/admin.js';
import { WebCitizen } from './helpers/inbox.js';
import { PrivateRedis } from './helpers/instances.js';
import { makeTempDir } from './helpers/tmp.js';

const PASSWORD = 'kata-sandi-operasi-9';

async function signedIn(app: AdminTestApp, username: string, role: 'agent' | 'admin'): Promise<Client> {
  await createUser(app.app, { username, password: PASSWORD, role });
  const client = new Client(app.base);
  expect((await client.login(username, PASSWORD)).status).toBe(303);
  return client;
}

/** One sample's value from the Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/u.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[3] ?? '').split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[4]);
  }
  return undefined;
}

describe('embedded mode', () => {
  let server: AdminTestApp;
  beforeAll(async () => {
    server = await startAdminApp();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('/healthz says the process serves; /readyz checks the store and reports WhatsApp as off', async () => {
    const health = await fetch(`${server.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', store: 'sqlite', queue: 'embedded' });
    const ready = await fetch(`${server.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { store: { ok: true, engine: 'sqlite' }, whatsapp: { enabled: false } } });
  });

  it('/metrics counts messages in and out by channel, times replies, and reports queues and open tickets', async () => {
    const citizen = await WebCitizen.start(server.base);
    for (const text of ['syarat ktp hilang', 'akte lahir gmn', 'makasih']) await citizen.say(text);
    // An open ticket, so the gauge has something to count.
    const conversation = await citizen.conversation(server.app);
    await server.app.store.tickets.create({
      contactId: conversation.contactId,
      conversationId: conversation.id,
      channel: 'web',
      category: 'lainnya',
      description: 'uji metrik',
    });

    const response = await fetch(`${server.base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/u);
    const text = await response.text();
    expect(sample(text, 'siratu_messages_in_total', { channel: 'web' })).toBe(3);
    expect(sample(text, 'siratu_messages_out_total', { channel: 'web', author: 'bot' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'siratu_reply_latency_seconds_count', { channel: 'web' })).toBe(3);
    expect(sample(text, 'siratu_reply_latency_seconds_bucket', { channel: 'web', le: '+Inf' })).toBe(3);
    expect(sample(text, 'siratu_tickets_open')).toBe(1);
    expect(sample(text, 'siratu_tickets', { status: 'baru' })).toBe(1);
    expect(sample(text, 'siratu_queue_jobs', { queue: 'sla', state: 'failed' })).toBe(0);
    expect(sample(text, 'siratu_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('/metrics refuses a client outside the private network (as seen through a trusted proxy)', async () => {
    const outside = await fetch(`${server.base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(outside.status).toBe(403);
    expect((await outside.json()) as { error: string }).toEqual({ error: 'forbidden', message: expect.stringMatching(/jaringan internal/u) });
    const inside = await fetch(`${server.base}/metrics`, { headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(inside.status).toBe(200);
  });

  it('the queue page lists the embedded queues for admins only; no bull board here', async () => {
    expect((await fetch(`${server.base}/admin/queues`, { redirect: 'manual' })).status).toBe(302);
    const agent = await signedIn(server, 'antrean-agen', 'agent');
    expect((await agent.get('/admin/queues')).status).toBe(403);
    const admin = await signedIn(server, 'antrean-admin', 'admin');
    const page = await admin.get('/admin/queues');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Antrean kerja');
    expect(html).toContain('Tenggat tiket (SLA) dan eskalasi');
    expect(html).toContain('Mode tertanam');
    expect((await admin.get('/admin/queues/board/')).status).toBe(404);
  });
});

describe('with METRICS_TOKEN', () => {
  let server: AdminTestApp;
  const token = 'token-metrik-uji-0123456789';
  beforeAll(async () => {
    server = await startAdminApp({ METRICS_TOKEN: token });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('needs the bearer token, even from this machine', async () => {
    expect((await fetch(`${server.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer salah-salah-salah-salah' } })).status).toBe(401);
    const ok = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('siratu_messages_in_total');
  });
});

describe('scale-out mode (bull on a private Redis)', () => {
  const dir = makeTempDir('siratu-operations-redis-');
  let redis: PrivateRedis;
  let server: AdminTestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start(dir.dir);
    server = await startAdminApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
    dir.remove();
  });

  it('/readyz fails while Redis is down and recovers by itself when it is back', async () => {
    const ready = await fetch(`${server.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { redis: { ok: true } } });

    await redis.kill();
    const down = await until(() => fetch(`${server.base}/readyz`), (response) => response.status === 503, 10_000);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'unavailable', checks: { store: { ok: true }, redis: { ok: false } } });
    // Liveness is not readiness: the process itself is fine.
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);

    await redis.startServer();
    const back = await until(() => fetch(`${server.base}/readyz`), (response) => response.status === 200, 15_000);
    expect(back.status).toBe(200);
  });

  it("admins get bull's dashboard, read-only, with its own CSP; the page links to it", async () => {
    expect((await fetch(`${server.base}/admin/queues/board/`, { redirect: 'manual' })).status).toBe(302);
    const agent = await signedIn(server, 'bull-agen', 'agent');
    expect((await agent.get('/admin/queues/board/')).status).toBe(403);
    const admin = await signedIn(server, 'bull-admin', 'admin');
    const page = await admin.get('/admin/queues');
    expect(await page.text()).toContain('/admin/queues/board/');
    const board = await admin.get('/admin/queues/board/');
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('__UI_CONFIG__');
    expect(board.headers.get('content-security-policy')).toContain("script-src 'self';");
    const api = await admin.get('/admin/queues/board/api/queues');
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((queue) => queue.name)).toEqual(expect.arrayContaining(['sla', 'unanswered']));
    expect(body.queues.every((queue) => queue.readOnlyMode)).toBe(true);
  });
});
