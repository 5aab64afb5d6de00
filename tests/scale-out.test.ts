/**
 * Scale-out on one host, with real processes: THREE `npm start` instances
 * (tests/helpers/instances.ts) started side by side on one empty data
 * directory (the embedded SQLite store, shared) and one Redis of the test's
 * own (queues, live updates, the WhatsApp lease), as behind a load balancer:
 *
 *   a. a web chat conversation started on instance 1 continues on 2 and 3
 *      (same session), and the widget's live stream on any instance shows the
 *      replies of messages sent to any other;
 *   b. an agent's live inbox on instance 2 sees a handoff made on instance 1;
 *      her reply typed on instance 3 reaches the citizen's stream on 1;
 *   c. WhatsApp on (all three, same key): exactly one instance holds the
 *      connection, seen at the boundary (a local WebSocket server standing in
 *      for web.whatsapp.com counts the sockets); SIGKILL the holder and
 *      another takes over within 30 s;
 *   d. scheduled work runs once, not once per instance: an overdue ticket's
 *      SLA escalation (each instance's start-up sweep schedules it) and a
 *      handoff's "nobody answered" timeout (each instance hears of the
 *      handoff and schedules the check).
 *
 * The processes' logs are in tests/artifacts/scale-out-i<n>.log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { hashPassword } from '../admin/passwords.js';
import { OFFICE_SETTING } from '../bot/knowledge-base.js';
import { ESCALATION_NOTE } from '../bot/sla.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Store, Ticket } from '../bot/store/types.js';
import { senderIdOf } from '../channels/webchat/session.js';
import { LEASE_KEY } from '../channels/whatsapp/lease.js';
import { STATUS_SETTING, type WhatsAppStatus } from '../channels/whatsapp/status.js';
import { loadOffice } from '../knowledge/load.js';
import type { OfficeProfile } from '../knowledge/schema.js';
import { PASSWORD, StaffClient } from './helpers/inbox.js';
import { Balancer, FakeWhatsAppServer, LiveStream, PrivateRedis, WebChatCitizen, startInstances, until, type Instance } from './helpers/instances.js';
import { makeTempDir } from './helpers/tmp.js';

const HANDOFF_TIMEOUT_MINUTES = 1;

const temp = makeTempDir('siratu-scale-out-');
const dataDir = join(temp.dir, 'data');
let redis: PrivateRedis;
let whatsapp: FakeWhatsAppServer;
let store: Store;
let instances: Instance[];
let overdue: Ticket;
const streams: LiveStream[] = [];

/** Which instance (i1, i2, i3) a process id belongs to. */
const byPid = (pid: string | undefined) => instances.find((instance) => pid === String(instance.pid))?.name;

beforeAll(async () => {
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(temp.dir, 'redis'));
  redis = await PrivateRedis.start(join(temp.dir, 'redis'));
  whatsapp = await FakeWhatsAppServer.start();

  // Before the first start, straight into the store file the instances will share: the office staffed around
  // the clock (so a handoff waits for an agent whatever the time), an agent, and a ticket already overdue.
  store = openSqliteStore({ file: join(dataDir, 'siratu.db') });
  const office = loadOffice('palu');
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as OfficeProfile['hours'][number]['days'];
  await store.settings.put(OFFICE_SETTING, { ...office, hours: [{ days, open: '00:00', close: '23:59' }] });
  await store.settings.put(`${OFFICE_SETTING}.revision`, 1);
  // Capacity 0: online in the inbox but never assigned automatically, so handoffs wait for her click.
  await store.users.create({ username: 'yanti', displayName: 'Yanti', role: 'agent', passwordHash: await hashPassword(PASSWORD), capacity: 0 });
  const contact = await store.contacts.upsert('web', senderIdOf('seeded-citizen-session-000000000000000000'));
  const conversation = await store.conversations.open(contact);
  overdue = await store.tickets.create({
    contactId: contact.id,
    conversationId: conversation.id,
    channel: 'web',
    category: 'lambat',
    description: 'KTP belum jadi sejak tiga bulan',
    createdAt: new Date(Date.now() - 10 * 86_400_000),
    dueAt: new Date(Date.now() - 3_600_000),
  });

  const authKey = randomBytes(32).toString('base64');
  instances = await startInstances('scale-out', 3, (i) => ({
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    HANDOFF_TIMEOUT_MINUTES: String(HANDOFF_TIMEOUT_MINUTES),
    WHATSAPP_ENABLED: 'true',
    WHATSAPP_AUTH_KEY: authKey,
    WHATSAPP_SOCKET_URL: whatsapp.url(`i${i + 1}`),
  }));
}, 120_000);

afterAll(async () => {
  for (const stream of streams) await stream.close();
  await Promise.all((instances ?? []).map((instance) => instance.stop()));
  await whatsapp?.close();
  await redis?.stop();
  await store?.close();
  temp.remove();
}, 60_000);

const open = async (url: string, headers?: Record<string, string>) => {
  const stream = await LiveStream.open(url, headers);
  streams.push(stream);
  return stream;
};

/** A balancer that always picks one instance: the citizen's next request goes exactly there. */
const only = (instance: Instance) => new Balancer([instance]);

describe('three instances on one data directory and one Redis', () => {
  it('all three started side by side on an empty data directory', async () => {
    expect(instances.every((instance) => instance.running)).toBe(true);
    expect((await store.knowledge.published()).length).toBeGreaterThanOrEqual(24);
    console.log(`started in ${instances.map((i) => `${i.name} ${i.startedInMs} ms`).join(', ')}`);
  });

  it('a. web chat: a conversation started on instance 1 continues on 2 and 3; the live stream on any instance shows every reply', async () => {
    const [i1, i2, i3] = instances as [Instance, Instance, Instance];
    const citizen = await WebChatCitizen.start(only(i1));
    // The widget's live channel, connected to instances 2 and 3 (the page was loaded through another instance).
    const live2 = await open(`${i2.base}/webchat/api/events?session=${citizen.session}`);
    const live3 = await open(`${i3.base}/webchat/api/events?session=${citizen.session}`);

    const first = await citizen.say(only(i1), 'syarat bikin ktp');
    const second = await citizen.say(only(i2), 'kalau hilang?');
    const third = await citizen.say(only(i3), 'biayanya berapa?');
    for (const sent of [first, second, third]) {
      expect(sent.accepted).toBe(true);
      expect(sent.body!.replies.length).toBeGreaterThan(0);
    }
    // The conversation went on across instances: the follow-ups were understood in the context the first set.
    const entryOf = async (sent: typeof first) => (await store.messages.get(sent.body!.replies[0]!.id))!.entry;
    expect(await entryOf(first)).toBe('ktp-baru');
    expect(await entryOf(second)).toBe('ktp-hilang-rusak');
    expect(await entryOf(third)).toBe('ktp-hilang-rusak');
    expect(third.body!.replies[0]!.text).toMatch(/^\*Biaya/u);

    // Every message and reply reached both streams live, whichever instance stored it.
    const ids = [first, second, third].flatMap((sent) => [sent.body!.message.id, ...sent.body!.replies.map((reply) => reply.id)]);
    for (const live of [live2, live3]) {
      await until(() => ids.every((id) => live.events.some((event) => event.id === id)), 5000, `all ${ids.length} messages on ${live.url}`);
      expect(live.events.map((event) => event.id)).toEqual(ids); // in order, each once
    }
    // And the history is the same whichever instance is asked.
    const histories = await Promise.all(
      instances.map(async (instance) => {
        const response = await fetch(`${instance.base}/webchat/api/messages`, { headers: { 'x-siratu-session': citizen.session } });
        return ((await response.json()) as { messages: { id: string }[] }).messages.map((message) => message.id);
      }),
    );
    for (const history of histories) expect(history).toEqual(ids);
  });

  let waitingForNobody: { conversationId: string; requestedAt: number } | undefined;

  it('b. the inbox on instance 2 sees, live, a handoff made on instance 1; the agent answers from instance 3 and the citizen on 1 reads it live', async () => {
    const [i1, i2, i3] = instances as [Instance, Instance, Instance];
    const yanti = await StaffClient.signIn(i2.base, 'yanti');
    const inbox = await open(`${i2.base}/admin/inbox/events`, { cookie: yanti.http.cookieHeader(), 'x-forwarded-for': yanti.http.ip });
    const citizen = await WebChatCitizen.start(only(i1));
    const widget = await open(`${i1.base}/webchat/api/events?session=${citizen.session}`);

    const handoff = await citizen.say(only(i1), 'mau bicara dengan petugas');
    expect(handoff.accepted).toBe(true);
    const conversationId = (await store.messages.get(handoff.body!.message.id))!.conversationId;
    await inbox.waitFor((data) => data.includes(conversationId) && data.includes('"type":"message"'), 8000, 'the message in the inbox on instance 2');
    await inbox.waitFor((data) => data.includes(conversationId) && data.includes('"state":"waiting"'), 8000, 'the waiting conversation in the inbox on instance 2');

    // She takes it and answers on instance 3 (another tab, another instance behind the balancer).
    const onThree = new StaffClient(i3.base);
    for (const [name, cookie] of yanti.http.cookies) onThree.http.cookies.set(name, cookie);
    expect((await onThree.post(`/admin/inbox/c/${conversationId}/claim`)).status).toBe(200);
    expect((await onThree.post(`/admin/inbox/c/${conversationId}/reply`, { text: 'Halo, saya Yanti. Ada yang bisa dibantu?' })).status).toBe(200);
    await widget.waitFor((data) => data.includes('saya Yanti') && data.includes('"author":"agent"'), 8000, "the agent's reply on the citizen's stream on instance 1");
    await inbox.waitFor((data) => data.includes(conversationId) && data.includes('"state":"agent"'), 8000, 'the claim in the inbox on instance 2');

    // d (set up here, checked last): a second citizen asks for an agent on instance 3 and nobody takes it.
    const lonely = await WebChatCitizen.start(only(i3));
    const asked = await lonely.say(only(i3), 'tolong sambungkan ke petugas');
    expect(asked.accepted).toBe(true);
    const waiting = (await store.conversations.get((await store.messages.get(asked.body!.message.id))!.conversationId))!;
    expect(waiting.state).toBe('waiting');
    waitingForNobody = { conversationId: waiting.id, requestedAt: Date.now() };
  });

  it('c. WhatsApp: exactly one instance holds the connection; after SIGKILL of the holder another takes over within 30 s', async () => {
    await until(() => whatsapp.open().length === 1, 20_000, 'one instance to connect to the WhatsApp endpoint');
    const holderName = whatsapp.open()[0]!;
    const holder = instances.find((instance) => instance.name === holderName)!;
    // The lease in Redis names the same process.
    const client = new Redis(redis.url);
    const lease = await client.get(LEASE_KEY);
    expect(byPid(lease?.split(':')[1])).toBe(holderName);
    // A while later: still one socket, never two at once, and only the holder ever connected.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(whatsapp.maxOpen).toBe(1);
    expect(new Set(whatsapp.connections.map((c) => c.instance))).toEqual(new Set([holderName]));
    // Every instance's admin page reads the status the holder published.
    const status = (await store.settings.get<WhatsAppStatus>(STATUS_SETTING))!;
    expect(byPid(status.instance.split(':')[1])).toBe(holderName);

    const before = whatsapp.connections.length;
    const killedAt = Date.now();
    expect(await holder.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const takeoverMs = await until(() => whatsapp.connections.length > before && whatsapp.open().length === 1, 30_000, 'another instance to take the connection over', 25);
    const newHolder = whatsapp.connections.at(-1)!.instance;
    expect(newHolder).not.toBe(holderName);
    console.log(`WhatsApp take-over after SIGKILL of the holder: ${(takeoverMs / 1000).toFixed(1)} s`);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(30_000);
    expect(byPid((await client.get(LEASE_KEY))?.split(':')[1])).toBe(newHolder);

    // The killed instance comes back as a standby: it does not open a second socket.
    await holder.start();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(whatsapp.maxOpen).toBe(1);
    expect(new Set(whatsapp.connections.filter((c) => c.openedAt > killedAt).map((c) => c.instance))).toEqual(new Set([newHolder]));
    await client.quit();
  }, 60_000);

  it('d. scheduled work runs once across the three instances: an SLA escalation and a handoff timeout', async () => {
    // The overdue ticket: every instance's start-up sweep scheduled its deadline job; it ran once.
    const ticket = (await store.tickets.get(overdue.id))!;
    expect(ticket.escalatedAt).not.toBeNull();
    expect(ticket.events.filter((event) => event.note === ESCALATION_NOTE)).toHaveLength(1);
    const slaRuns = instances.flatMap((instance) => instance.lines((line) => line.msg === 'sla job' && line.ticket === overdue.id));
    expect(slaRuns.map((line) => line.outcome)).toEqual(['escalated']);

    // The handoff nobody took: each instance heard of it and scheduled the check; the citizen is told once.
    const { conversationId, requestedAt } = waitingForNobody!;
    const due = requestedAt + HANDOFF_TIMEOUT_MINUTES * 60_000;
    const told = async () => (await store.messages.list(conversationId, { limit: 100 })).filter((m) => m.author === 'system' && m.kind === 'handoff');
    await until(async () => (await told()).length > 0, due - Date.now() + 20_000, 'the "nobody answered" message');
    await new Promise((resolve) => setTimeout(resolve, 3000)); // room for a second run, if there were one
    const notices = await told();
    expect(notices).toHaveLength(1);
    const tickets = (await store.tickets.list({ conversationId })).filter((t) => t.sourceMessageId?.startsWith('handoff-timeout:'));
    expect(tickets).toHaveLength(1);
    expect(notices[0]!.text).toContain(tickets[0]!.number);
  }, 120_000);
});
