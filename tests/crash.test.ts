/**
 * Nothing is lost when an instance dies, when Redis restarts, or when an
 * instance is stopped: THREE `npm start` processes (tests/helpers/instances.ts)
 * share one data directory and a Redis of the test's own (durable: an
 * append-only file written before every answer, as docker-compose.yml's
 * Redis has one). Citizens write on the web chat and on Telegram (webhook
 * mode; "Telegram" is a Bot API server of the test's own, so every message
 * the product pushes out is counted at the boundary), some of them running a
 * complaint intake to its ticket number. A client whose request fails tries
 * another instance (the widget resends with the same clientMessageId;
 * Telegram redelivers an update until it gets a 2xx).
 *
 *   a. SIGKILL one instance in the middle of the load, start it again;
 *   b. SIGKILL Redis in the middle of the load, start it again (same port,
 *      same append-only file): the instances find their way back by themselves;
 *   c. SIGTERM one instance while requests are in progress: they finish, new
 *      ones get 503 at once, live streams end, the process exits 0.
 *
 * After each: every accepted message (2xx) has its replies, stored once;
 * every reply pushed to Telegram reached it exactly once (each message_id the
 * fake Bot API handed out is recorded on exactly one stored reply, and every
 * reply is recorded as sent); every complaint gave one ticket, numbered
 * without gaps.
 *
 * The one window no platform without idempotency keys can close (a process
 * killed after Telegram accepted a part and before it was recorded, README
 * "Delivery") is not what this test is about: the SIGKILL is sent at a moment
 * when the victim has no Bot API call in flight (the fake server knows).
 * Everything else can be cut: a turn, a database write, a delivery job, an
 * HTTP request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Message, Store } from '../bot/store/types.js';
import { senderIdOf, sessionTag } from '../channels/webchat/session.js';
import {
  Balancer,
  bytesInTransit,
  COMPLAINT_SCRIPT,
  FakeBotApi,
  LiveStream,
  PrivateRedis,
  QUESTIONS,
  TelegramCitizen,
  WEBHOOK_SECRET,
  WebChatCitizen,
  sleep,
  slowPost,
  startInstances,
  telegramEnv,
  until,
  type Instance,
} from './helpers/instances.js';
import { makeTempDir } from './helpers/tmp.js';

const temp = makeTempDir('siratu-crash-');
const dataDir = join(temp.dir, 'data');
let redis: PrivateRedis;
let botApi: FakeBotApi;
let store: Store;
let instances: Instance[];
let balancer: Balancer;
const web: { citizen: WebChatCitizen; complaint: boolean }[] = [];
const telegram: { citizen: TelegramCitizen; complaint: boolean }[] = [];
let nextChatId = 880_000_001;
/** When the SIGKILL of scenario a was sent (for the diagnostics of a failed check). */
let killedAt: number | undefined;

beforeAll(async () => {
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(temp.dir, 'redis'));
  redis = await PrivateRedis.start(join(temp.dir, 'redis'), { durable: true });
  botApi = await FakeBotApi.start();
  store = openSqliteStore({ file: join(dataDir, 'siratu.db') });
  instances = await startInstances('crash', 3, (i) => ({ DATA_DIR: dataDir, REDIS_URL: redis.url, ...telegramEnv(botApi, `i${i + 1}`) }));
  balancer = new Balancer(instances);
  // Webhook mode: every instance registered the webhook with "Telegram" on start.
  await until(() => botApi.calls.filter((call) => call.method === 'setWebhook').length >= 3, 20_000, 'the webhooks to be set');
}, 120_000);

afterAll(async () => {
  await Promise.all((instances ?? []).map((instance) => instance.stop()));
  await botApi?.close();
  await redis?.stop();
  await store?.close();
  temp.remove();
}, 60_000);

// ---------------------------------------------------------------- the load

interface Progress {
  accepted: number;
  sent: number;
}

/**
 * `count` web chat and `count` Telegram citizens write at once, each at a person's pace; every fifth of them
 * files a complaint (5 messages), the others ask 4 questions. Resolves when all are done.
 */
async function wave(count: number, progress: Progress): Promise<void> {
  const runs: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const complaint = i % 5 === 0;
    const script = complaint ? COMPLAINT_SCRIPT : [0, 1, 2, 3].map((k) => QUESTIONS[(i + k) % QUESTIONS.length]!);
    const pause = (k: number) => sleep(60 + ((i * 37 + k * 53) % 140));
    runs.push(
      (async () => {
        await sleep((i * 29) % 400);
        const citizen = await WebChatCitizen.start(balancer);
        web.push({ citizen, complaint });
        for (const [k, text] of script.entries()) {
          const sent = await citizen.say(balancer, text);
          progress.sent++;
          if (sent.accepted) progress.accepted++;
          await pause(k);
        }
      })(),
      (async () => {
        await sleep((i * 31) % 400);
        const citizen = new TelegramCitizen(nextChatId++);
        telegram.push({ citizen, complaint });
        for (const [k, text] of script.entries()) {
          const sent = await citizen.say(balancer, text);
          progress.sent++;
          if (sent.accepted) progress.accepted++;
          await pause(k);
        }
      })(),
    );
  }
  await Promise.all(runs);
}

// ---------------------------------------------------------------- what the store and "Telegram" say

const contactIds = new Map<string, string>();

async function historyOf(channel: 'web' | 'telegram', externalId: string): Promise<Message[]> {
  let id = contactIds.get(`${channel}:${externalId}`);
  if (!id) contactIds.set(`${channel}:${externalId}`, (id = (await store.contacts.upsert(channel, externalId)).id));
  return store.messages.listForContact(id, { limit: 1000 });
}

/**
 * SIGKILL, outside the one window the README names (a part Telegram accepted, not yet recorded): the process
 * is frozen (SIGSTOP) so what it has sent reaches "Telegram" and nothing new starts; if the store then records
 * every message "Telegram" accepted from it, it is killed; otherwise it is thawed and tried again a moment later.
 * Whatever else it was doing (a turn, a database write, a delivery job, an HTTP request) is cut off.
 */
async function killOutsideTheWindow(instance: Instance): Promise<number> {
  const confirmed = new Set<string>();
  const unconfirmed = () => botApi.sent().filter((call) => call.instance === instance.name).map((call) => `${Number(call.payload.chat_id)}:${call.messageId}`).filter((key) => !confirmed.has(key));
  const chats = () => new Set(unconfirmed().map((key) => key.split(':')[0]!));
  for (let tries = 1; tries <= 100; tries++) {
    // Contacts looked up while it runs: a frozen process may hold the database's write lock, reads still work.
    for (const chat of chats()) await historyOf('telegram', chat);
    instance.signal('SIGSTOP');
    // Whatever it wrote before it froze has been read and answered by "Telegram" (nothing left in TCP queues).
    await until(() => bytesInTransit(botApi.port) === 0 && botApi.inFlight(instance.name) === 0, 5000, `no Bot API call of ${instance.name} in flight`, 5);
    const known = [...chats()].every((chat) => contactIds.has(`telegram:${chat}`));
    for (const chat of known ? chats() : []) {
      for (const message of await historyOf('telegram', chat)) for (const id of message.delivery?.platformMessageIds ?? []) confirmed.add(id);
    }
    if (known && unconfirmed().length === 0) {
      instance.signal('SIGKILL');
      return tries;
    }
    instance.signal('SIGCONT');
    await sleep(15 + tries * 7);
  }
  throw new Error(`${instance.name} never stood outside the window`);
}

/** Every reply to Telegram is sent; the ids "Telegram" handed out, each on exactly one stored reply. */
async function telegramDelivered(): Promise<{ pending: number; stored: string[]; received: string[] }> {
  const stored: string[] = [];
  let pending = 0;
  for (const { citizen } of telegram) {
    for (const message of await historyOf('telegram', String(citizen.chatId))) {
      if (message.direction !== 'out') continue;
      if (message.delivery?.status !== 'sent') pending++;
      stored.push(...(message.delivery?.platformMessageIds ?? []));
    }
  }
  const chats = new Set(telegram.map(({ citizen }) => citizen.chatId));
  const received = botApi.sent().filter((call) => chats.has(Number(call.payload.chat_id))).map((call) => `${Number(call.payload.chat_id)}:${call.messageId}`);
  return { pending, stored: stored.sort(), received: received.sort() };
}

interface Tally {
  messages: number;
  accepted: number;
  retried: number;
  replies: number;
  telegramSends: number;
  tickets: number;
}

/** The checks after each scenario, over every citizen so far. */
async function checkNothingLost(what: string): Promise<Tally> {
  // Deliveries still queued (e.g. a job the killed instance held) go out by themselves.
  const waited = await until(async () => (await telegramDelivered()).pending === 0, 60_000, `every Telegram reply to be sent (${what})`, 250);
  const tally: Tally = { messages: 0, accepted: 0, retried: 0, replies: 0, telegramSends: 0, tickets: 0 };
  const unanswered: string[] = [];
  const complaintContacts: string[] = [];

  const check = (history: Message[], sent: { accepted: boolean; attempts: unknown[] }[], platformId: (index: number) => string, label: string) => {
    const inbound = history.filter((message) => message.direction === 'in');
    // Nothing stored twice, nothing stored that no client sent.
    expect(new Set(inbound.map((message) => message.platformMessageId)).size).toBe(inbound.length);
    for (const [index, message] of sent.entries()) {
      tally.messages++;
      if (message.attempts.length > 1) tally.retried++;
      // With a retry on another instance, every message got in.
      if (!message.accepted) unanswered.push(`${label} #${index}: never accepted (${JSON.stringify(message.attempts)})`);
      else tally.accepted++;
      const stored = inbound.find((m) => m.platformMessageId === platformId(index));
      const replies = history.filter((m) => m.direction === 'out' && stored && m.replyTo === stored.id);
      if (!stored?.handledAt || replies.length === 0) unanswered.push(`${label} #${index}: ${stored ? 'stored, no reply' : 'not stored'}`);
      tally.replies += replies.length;
    }
    // Whatever else was stored (a request that died before its answer, then was sent again) was answered too.
    for (const message of inbound) if (!message.handledAt) unanswered.push(`${label}: ${message.id} never handled`);
  };

  for (const { citizen, complaint } of web) {
    const history = await historyOf('web', senderIdOf(citizen.session));
    check(history, citizen.sent, (index) => `${sessionTag(citizen.session)}:${citizen.sent[index]!.clientMessageId}`, `web ${citizen.ip}`);
    // What the widget was answered is what the store holds.
    for (const sent of citizen.sent) {
      const replies = history.filter((m) => m.replyTo === sent.body?.message.id).map((m) => m.id);
      const answered = sent.body?.replies.map((reply) => reply.id) ?? [];
      if (answered.join() !== replies.join()) unanswered.push(`web ${citizen.ip} "${sent.text}": answered [${answered}] but stored [${replies}] (${JSON.stringify(sent.attempts)})`);
    }
    if (complaint) complaintContacts.push(history[0]!.contactId);
  }
  for (const { citizen, complaint } of telegram) {
    const history = await historyOf('telegram', String(citizen.chatId));
    check(history, citizen.sent, (index) => `${citizen.chatId}:${citizen.sent[index]!.messageId}`, `telegram ${citizen.chatId}`);
    if (complaint) complaintContacts.push(history[0]!.contactId);
  }
  expect(unanswered).toEqual([]);

  // "Telegram" got every reply exactly once: each message_id it gave out is recorded on one reply, no more, no less.
  const { pending, stored, received } = await telegramDelivered();
  expect(pending).toBe(0);
  expect(new Set(received).size).toBe(received.length);
  if (stored.join() !== received.join()) {
    // What "Telegram" got that the store does not record, with the chat's story, for whoever reads a failure.
    const missing = received.filter((id) => !stored.includes(id));
    for (const id of missing) {
      const [chat, messageId] = id.split(':').map(Number);
      const call = botApi.sent(chat).find((c) => c.messageId === messageId)!;
      const calls = botApi.sent(chat).map((c) => ({ id: c.messageId, instance: c.instance, at: c.at, text: String(c.payload.text).slice(0, 40) }));
      const outs = (await historyOf('telegram', String(chat))).filter((m) => m.direction === 'out').map((m) => ({ id: m.id, text: m.text.slice(0, 40), delivery: m.delivery }));
      console.log(JSON.stringify({ missing: id, killedAt, call: { instance: call.instance, at: call.at }, calls, outs }, null, 1));
    }
  }
  expect(stored).toEqual(received);
  tally.telegramSends = received.length;

  // One ticket per complaint, numbered 1..N without gaps or repeats.
  const tickets = await store.tickets.list({ limit: 10_000 });
  for (const contactId of complaintContacts) expect(tickets.filter((ticket) => ticket.contactId === contactId)).toHaveLength(1);
  expect(tickets).toHaveLength(complaintContacts.length);
  expect(tickets.map((ticket) => ticket.seq).sort((a, b) => a - b)).toEqual(tickets.map((_, i) => i + 1));
  expect(new Set(tickets.map((ticket) => ticket.number)).size).toBe(tickets.length);
  tally.tickets = tickets.length;
  console.log(`${what}: ${JSON.stringify(tally)}; deliveries settled ${(waited / 1000).toFixed(1)} s after the load`);
  return tally;
}

// ---------------------------------------------------------------- the scenarios

describe('nothing is lost', () => {
  it('a. SIGKILL of one instance in the middle of the load, then a restart', async () => {
    const progress: Progress = { accepted: 0, sent: 0 };
    const victim = instances[1]!;
    const load = wave(30, progress);
    await until(() => progress.accepted >= 80, 30_000, '80 accepted messages');
    const killedAfter = progress.sent;
    killedAt = Date.now();
    const tries = await killOutsideTheWindow(victim);
    expect(await victim.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    await sleep(1000);
    await victim.start();
    await load;
    const tally = await checkNothingLost('a. SIGKILL');
    expect(tally.messages).toBeGreaterThanOrEqual(240);
    console.log(`a. killed after ${killedAfter} messages (frozen ${tries}×); restarted in ${victim.startedInMs} ms`);
  }, 120_000);

  it('b. SIGKILL of Redis in the middle of the load, then a restart: the instances recover by themselves', async () => {
    const progress: Progress = { accepted: 0, sent: 0 };
    // A citizen whose widget is connected to instance 3 while writing through instance 1: replies cross over Redis.
    const watcher = await WebChatCitizen.start(new Balancer([instances[0]!]));
    const live = await LiveStream.open(`${instances[2]!.base}/webchat/api/events?session=${watcher.session}`);
    const load = wave(20, progress);
    await until(() => progress.accepted >= 50, 30_000, '50 accepted messages');
    expect((await redis.kill('SIGKILL')).signal).toBe('SIGKILL');
    const downAt = Date.now();
    await sleep(1000);
    await redis.startServer();
    const downMs = Date.now() - downAt;
    await load;
    // Live updates between instances work again (the bus resubscribed after the restart).
    const after = await watcher.say(new Balancer([instances[0]!]), 'syarat akta kelahiran');
    await live.waitFor((data) => data.includes(after.body!.replies[0]!.id), 10_000, 'the reply on the stream of another instance after the Redis restart');
    await live.close();
    web.push({ citizen: watcher, complaint: false });
    await checkNothingLost(`b. Redis down ${downMs} ms`);
  }, 120_000);

  it('c. SIGTERM: requests in progress finish, new ones get 503 at once, the process exits 0', async () => {
    const victim = instances[2]!;
    const others = new Balancer(instances.filter((instance) => instance !== victim));
    // In progress when the signal comes: two web chat messages and a Telegram update whose bodies are half sent.
    const slowWeb = await Promise.all([0, 1].map(() => WebChatCitizen.start(others)));
    const slowTelegram = new TelegramCitizen(nextChatId++);
    const clientIds = slowWeb.map(() => crypto.randomUUID());
    const inProgress = await Promise.all([
      ...slowWeb.map((citizen, i) =>
        slowPost(`${victim.base}/webchat/api/messages`, { 'content-type': 'application/json', 'x-siratu-session': citizen.session }, JSON.stringify({ text: 'syarat bikin kk baru', clientMessageId: clientIds[i] })),
      ),
      slowPost(
        `${victim.base}/telegram/webhook`,
        { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
        JSON.stringify({
          update_id: 990_001,
          message: { message_id: 1, from: { id: slowTelegram.chatId, is_bot: false, first_name: 'Lambat' }, chat: { id: slowTelegram.chatId, type: 'private' }, date: Math.floor(Date.now() / 1000), text: 'syarat akta kematian' },
        }),
      ),
    ]);
    const stream = await LiveStream.open(`${victim.base}/webchat/api/events?session=${slowWeb[0]!.session}`);
    // And a burst of ordinary messages to the instance, sent as the signal comes.
    const burst = await Promise.all(Array.from({ length: 10 }, () => WebChatCitizen.start(others)));
    // The half-sent requests have reached their handlers: the instance has read everything sent to it so far.
    await until(() => bytesInTransit(victim.port) === 0, 5000, 'the instance to read the half-sent requests', 5);

    const burstAnswers = burst.map((citizen) => citizen.say(new Balancer([victim]), 'syarat kia anak', { attempts: 1 }));
    await Promise.race(burstAnswers); // the first is answered: the others are on their way or being handled
    const signalled = Date.now();
    const exit = victim.kill('SIGTERM');
    // New requests are turned away at once with a 503 while the requests in progress keep the drain open.
    let refusal: { status: number; body: { error: string }; ms: number } | undefined;
    await until(
      async () => {
        const started = Date.now();
        const response = await fetch(`${victim.base}/webchat/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-siratu-session': slowWeb[1]!.session },
          body: JSON.stringify({ text: 'halo', clientMessageId: crypto.randomUUID() }),
          signal: AbortSignal.timeout(5000),
        });
        if (response.status !== 503) {
          await response.body?.cancel();
          return false;
        }
        refusal = { status: response.status, body: (await response.json()) as { error: string }, ms: Date.now() - started };
        return true;
      },
      5000,
      'a 503 from the draining instance',
      20,
    );
    expect(refusal!.body.error).toBe('unavailable');
    expect(refusal!.ms).toBeLessThan(1000);
    await until(() => stream.ended, 5000, 'the live stream to be ended by the server');
    expect(victim.running).toBe(true); // still draining: the half-sent requests hold it

    // The requests in progress are answered in full.
    const answers = await Promise.all(inProgress.map((request) => request.finish()));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    for (const answer of answers.slice(0, 2)) expect((JSON.parse(answer.body) as { replies: unknown[] }).replies.length).toBeGreaterThan(0);
    expect(await exit).toEqual({ code: 0, signal: null });
    const stoppedMs = Date.now() - signalled;
    expect(victim.lines((line) => line.msg === 'shut down cleanly')).toHaveLength(1);

    // The burst: each request was answered 200 or 503 (never cut off, never left hanging).
    const outcomes = (await Promise.all(burstAnswers)).map((sent) => sent.attempts[0]!.outcome);
    for (const outcome of outcomes) expect([200, 503]).toContain(outcome);
    // The ones turned away are sent again, as the widget does, and another instance answers.
    for (const citizen of burst) {
      const first = citizen.sent[0]!;
      if (!first.accepted) {
        citizen.sent.splice(0, 1);
        await citizen.say(others, first.text, { clientMessageId: first.clientMessageId });
      }
      web.push({ citizen, complaint: false });
    }
    for (const [i, citizen] of slowWeb.entries()) {
      citizen.sent.push({ text: 'syarat bikin kk baru', attempts: [{ instance: victim.name, outcome: 200, ms: 0 }], accepted: true, clientMessageId: clientIds[i]!, body: JSON.parse(answers[i]!.body) as never });
      web.push({ citizen, complaint: false });
    }
    slowTelegram.sent.push({ text: 'syarat akta kematian', attempts: [{ instance: victim.name, outcome: 200, ms: 0 }], accepted: true, messageId: 1 });
    telegram.push({ citizen: slowTelegram, complaint: false });
    await stream.close();
    console.log(`c. SIGTERM → exit 0 in ${stoppedMs} ms (held open by requests in progress); burst ${JSON.stringify(outcomes)}; 503 in ${refusal!.ms} ms`);
    await checkNothingLost('c. SIGTERM');
  }, 90_000);
});
