/**
 * The outbox on both queue engines (embedded on SQLite, bull on the local
 * Redis), with a fake ChannelSender that can fail on chosen sends: retries
 * with backoff, resuming a multi-part message after the last accepted part,
 * permanent failures visible to admins, the channel's rate limit, and the
 * dispatcher handing replies to it.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import Bull from 'bull';
import type { ChannelCapabilities, ChannelSender, OutboundPart } from '../bot/delivery.js';
import { Dispatcher } from '../bot/dispatcher.js';
import { KnowledgeBase, seedKnowledge } from '../bot/knowledge-base.js';
import { createLogger } from '../bot/log.js';
import { createOutbox, deliveryQueue, type RunningOutbox } from '../bot/outbox.js';
import { createBullQueue } from '../bot/queue/bull.js';
import { createEmbeddedQueue } from '../bot/queue/embedded.js';
import { backoffDelay, type JobQueue, PermanentJobError } from '../bot/queue/types.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Message, Store } from '../bot/store/types.js';
import type { ChannelName } from '../bot/types.js';
import { encodeForChannel } from '../channels/encode.js';
import { loadEntries, loadLanguage, loadOffice } from '../knowledge/load.js';
import { makeTempDir } from './helpers/tmp.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Send {
  to: string;
  text: string;
  key: string;
  at: number;
  ok: boolean;
}

/** A platform that accepts or rejects each send as the test decides (`fail` sees the key and how often it was tried). */
class FakeSender implements ChannelSender {
  readonly capabilities: ChannelCapabilities = { buttons: false, maxTextLength: 60, markup: 'plain' };
  readonly calls: Send[] = [];
  fail: (key: string, tries: number) => Error | undefined = () => undefined;
  constructor(
    readonly channel: ChannelName = 'telegram',
    readonly ratePerSecond = 1000,
  ) {}
  encode(message: Message): OutboundPart[] {
    return encodeForChannel(message, this.capabilities);
  }
  async send(to: string, part: OutboundPart, key: string) {
    const error = this.fail(key, this.calls.filter((c) => c.key === key).length + 1);
    this.calls.push({ to, text: part.text, key, at: Date.now(), ok: !error });
    if (error) throw error;
    return { platformMessageId: `tg-${this.calls.filter((c) => c.ok).length}` };
  }
  /** Accepted sends only: what the citizen saw. */
  get accepted() {
    return this.calls.filter((c) => c.ok);
  }
}

interface Engine {
  name: 'embedded' | 'bull';
  queue(store: Store, prefix: string): JobQueue;
  cleanup(prefix: string): Promise<void>;
}
const engines: Engine[] = [
  { name: 'embedded', queue: (store) => createEmbeddedQueue(store.jobs, { pollMs: 20, leaseMs: 1000 }), cleanup: async () => undefined },
  {
    name: 'bull',
    queue: (_store, prefix) => createBullQueue(REDIS_URL, { prefix, lockMs: 1000, stalledIntervalMs: 500 }),
    async cleanup(prefix) {
      for (const channel of ['telegram', 'whatsapp'] as const) {
        const queue = new Bull(deliveryQueue(channel), REDIS_URL, { prefix });
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  },
];

describe.each(engines)('outbox on the $name queue', (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** A fresh store, queue and outbox per test, with a started fake sender. */
  async function setup(options: { sender?: FakeSender; attempts?: number; backoffMs?: number } = {}) {
    const dir = makeTempDir('siratu-outbox-');
    const store = openSqliteStore({ file: `${dir.dir}/siratu.db` });
    const prefix = `siratu-outbox-test-${process.pid}-${Date.now()}-${cleanups.length}`;
    const queue = engine.queue(store, prefix);
    const logs: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    });
    const outbox: RunningOutbox = createOutbox({ store, queue, log, attempts: options.attempts ?? 6, backoffMs: options.backoffMs ?? 100 });
    const sender = options.sender ?? new FakeSender();
    outbox.register(sender);
    outbox.start();
    const contact = await store.contacts.upsert(sender.channel, '123456789', 'Siti');
    const conversation = await store.conversations.open(contact);
    /** Stores an outbound bot message, as the dispatcher does. */
    const reply = async (text: string) =>
      (await store.messages.add({ conversationId: conversation.id, contactId: contact.id, channel: sender.channel, direction: 'out', author: 'bot', text })).message;
    const delivery = async (id: string) => (await store.messages.get(id))!.delivery;
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await queue.close();
      await store.close();
      dir.remove();
    };
    cleanups.push(close, () => engine.cleanup(prefix));
    return { store, queue, outbox, sender, logs, reply, delivery, close, contact, conversation };
  }

  test('deliver() marks the message pending and sends it once, even if called twice', async () => {
    const t = await setup();
    const message = await t.reply('Syarat KTP-el: fotokopi KK.');
    await t.outbox.deliver(message, '123456789');
    await t.outbox.deliver(message, '123456789');
    await waitFor(async () => (await t.delivery(message.id))?.status === 'sent');
    await t.outbox.deliver(message, '123456789'); // already sent: nothing happens
    await sleep(200);
    expect(t.sender.calls).toEqual([{ to: '123456789', text: 'Syarat KTP-el: fotokopi KK.', key: `${message.id}:0`, at: expect.any(Number), ok: true }]);
    expect(await t.delivery(message.id)).toEqual({
      status: 'sent',
      attempts: 1,
      sentParts: 1,
      platformMessageIds: ['tg-1'],
      sentAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
    expect(t.outbox.pushes('telegram')).toBe(true);
    expect(t.outbox.pushes('web')).toBe(false);
    await expect(t.outbox.deliver({ ...message, channel: 'web' }, 'x')).rejects.toThrow(/no sender/);
    await t.close();
  });

  test('a channel that cannot send in this process (no WhatsApp connection here) keeps its deliveries waiting, attempts unused', async () => {
    const sender = new FakeSender('whatsapp');
    let available = false;
    const listeners: ((available: boolean) => void)[] = [];
    Object.assign(sender, {
      available: () => available,
      onAvailabilityChange: (listener: (available: boolean) => void) => listeners.push(listener),
    });
    const t = await setup({ sender, attempts: 2, backoffMs: 20 });
    const message = await t.reply('Syarat KK hilang: surat kehilangan dari polisi.');
    await t.outbox.deliver(message, '6281234567890@s.whatsapp.net');
    await sleep(400); // far longer than two attempts with this backoff would take
    expect(t.sender.calls).toHaveLength(0);
    expect(await t.delivery(message.id)).toMatchObject({ status: 'pending', attempts: 0 });
    available = true;
    for (const listener of listeners) listener(true);
    await waitFor(async () => (await t.delivery(message.id))?.status === 'sent');
    expect(t.sender.accepted).toHaveLength(1);
    await t.close();
  });

  test('a failing platform is retried with backoff and the message is delivered once', async () => {
    const t = await setup({ backoffMs: 100 });
    t.sender.fail = (_key, tries) => (tries <= 2 ? new Error('ETIMEDOUT') : undefined);
    const message = await t.reply('Jam layanan 08.00–15.00.');
    await t.outbox.deliver(message, '123456789');
    await waitFor(async () => (await t.delivery(message.id))?.status === 'sent');
    expect(t.sender.calls.map((c) => c.ok)).toEqual([false, false, true]);
    expect(t.sender.accepted).toHaveLength(1);
    const gaps = t.sender.calls.slice(1).map((c, i) => c.at - t.sender.calls[i]!.at);
    console.log(`[${engine.name}] outbox retry gaps: ${gaps.join(', ')} ms (expected ${backoffDelay(1, 100)}, ${backoffDelay(2, 100)})`);
    expect(gaps[0]).toBeGreaterThanOrEqual(backoffDelay(1, 100) - 5);
    expect(gaps[1]).toBeGreaterThanOrEqual(backoffDelay(2, 100) - 5);
    expect(await t.delivery(message.id)).toMatchObject({ status: 'sent', attempts: 3, sentParts: 1, platformMessageIds: ['tg-1'], lastError: 'ETIMEDOUT' });
    await t.close();
  });

  test('a message whose second part failed resumes at the second part: the first is not sent again', async () => {
    const t = await setup({ backoffMs: 50 });
    const text = 'Bagian pertama dari jawaban yang cukup panjang ini.\n\nBagian kedua berisi syarat yang harus dibawa.\n\nBagian ketiga: biayanya gratis.';
    const message = await t.reply(text);
    expect(t.sender.encode(message)).toHaveLength(3);
    t.sender.fail = (key, tries) => (key === `${message.id}:1` && tries === 1 ? new Error('502 Bad Gateway') : undefined);
    await t.outbox.deliver(message, '123456789');
    await waitFor(async () => (await t.delivery(message.id))?.status === 'sent');
    expect(t.sender.calls.map((c) => [c.key.split(':')[1], c.ok])).toEqual([['0', true], ['1', false], ['1', true], ['2', true]]);
    expect(t.sender.accepted.map((c) => c.text)).toEqual(text.split('\n\n'));
    expect(await t.delivery(message.id)).toMatchObject({ status: 'sent', attempts: 2, sentParts: 3, platformMessageIds: ['tg-1', 'tg-2', 'tg-3'] });
    await t.close();
  });

  test('a permanent error fails the message at once; it is listed for admins and logged (masked) at warn', async () => {
    const t = await setup();
    t.sender.fail = () => new PermanentJobError('Forbidden: bot was blocked by the user 081234567890');
    const message = await t.reply('Tiket Anda ADU-2026-000001 sudah diproses.');
    await t.outbox.deliver(message, '123456789');
    await waitFor(async () => (await t.delivery(message.id))?.status === 'failed');
    await sleep(300);
    expect(t.sender.calls).toHaveLength(1);
    const failed = await t.store.messages.failedDeliveries();
    expect(failed.map((m) => m.id)).toEqual([message.id]);
    expect(failed[0]!.delivery).toMatchObject({ status: 'failed', attempts: 1, sentParts: 0, lastError: 'Forbidden: bot was blocked by the user 0812****890' });
    await waitFor(() => t.logs.some((line) => line.msg === 'delivery failed for good'));
    const line = t.logs.find((l) => l.msg === 'delivery failed for good')!;
    expect(line).toMatchObject({ level: 40, channel: 'telegram', messageId: message.id, error: 'Forbidden: bot was blocked by the user 0812****890' });

    // The citizen unblocked the bot; an admin sends it again (twice, as a double click would).
    t.sender.fail = () => undefined;
    expect(await Promise.all([t.outbox.retry(message.id), t.outbox.retry(message.id)])).toContain(true);
    await waitFor(async () => (await t.delivery(message.id))?.status === 'sent');
    await sleep(200);
    expect(t.sender.accepted.map((c) => c.to)).toEqual(['123456789']);
    expect(await t.delivery(message.id)).toMatchObject({ status: 'sent', attempts: 2, sentParts: 1 });
    expect(await t.store.messages.failedDeliveries()).toEqual([]);
    expect(await t.outbox.retry(message.id)).toBe(false); // not failed any more
    await t.close();
  });

  test('when every attempt fails, the message ends up failed after the configured attempts', async () => {
    const t = await setup({ attempts: 3, backoffMs: 30 });
    t.sender.fail = () => new Error('ECONNREFUSED');
    const message = await t.reply('Halo');
    await t.outbox.deliver(message, '123456789');
    await waitFor(async () => (await t.delivery(message.id))?.status === 'failed', 5000);
    await sleep(200);
    expect(t.sender.calls).toHaveLength(3);
    expect(await t.delivery(message.id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'ECONNREFUSED' });
    await t.close();
  });

  test("the channel's rate limit holds per platform message: 5 per second, 6 messages of 2 parts", async () => {
    const t = await setup({ sender: new FakeSender('whatsapp', 5) });
    const messages = [];
    for (let i = 1; i <= 6; i++) messages.push(await t.reply(`Bagian pertama pesan nomor ${i}, cukup panjang untuk dipecah.\n\nBagian kedua pesan ${i}.`));
    expect(messages.every((m) => t.sender.encode(m).length === 2)).toBe(true);
    for (const message of messages) await t.outbox.deliver(message, '628123@s.whatsapp.net');
    await waitFor(() => t.sender.accepted.length === 12, 15_000);
    const starts = t.sender.calls.map((c) => c.at).sort((a, b) => a - b);
    const busiest = Math.max(...starts.map((s) => starts.filter((x) => x >= s && x < s + 1000).length));
    console.log(`[${engine.name}] outbox 5/s: 12 sends over ${starts.at(-1)! - starts[0]!} ms, busiest 1000 ms window ${busiest}; starts ${starts.map((x) => x - starts[0]!).join(', ')}`);
    expect(busiest).toBeLessThanOrEqual(5);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(1990);
    // One at a time per channel: the citizen sees them in order.
    expect(t.sender.accepted.map((c) => c.text)).toEqual(messages.flatMap((m) => m.text.split('\n\n')));
    await t.close();
  }, 20_000);

  test('the dispatcher queues Telegram replies before marking the message handled; web replies are not pushed', async () => {
    const t = await setup();
    await seedKnowledge(t.store, loadEntries(), loadOffice('palu'));
    const dispatcher = new Dispatcher({ store: t.store, knowledge: new KnowledgeBase(t.store, loadLanguage()), log: createLogger({ level: 'silent' }), outbox: t.outbox });
    const { replies, message } = await dispatcher.receive({ channel: 'telegram', senderId: '555', text: 'syarat akta kelahiran', platformMessageId: 'tg-upd-1' });
    expect(replies.length).toBeGreaterThan(0);
    expect((await t.store.messages.get(message.id))!.handledAt).toBeInstanceOf(Date);
    await waitFor(async () => (await Promise.all(replies.map((r) => t.delivery(r.id)))).every((d) => d?.status === 'sent'));
    expect(new Set(t.sender.accepted.map((c) => c.to))).toEqual(new Set(['555']));
    expect(t.sender.accepted.map((c) => c.key.split(':')[0])).toEqual(expect.arrayContaining(replies.map((r) => r.id)));

    const web = await dispatcher.receive({ channel: 'web', senderId: 'browser-1', text: 'halo' });
    expect(web.replies.length).toBeGreaterThan(0);
    expect((await t.store.messages.get(web.replies[0]!.id))!.delivery).toBeUndefined();
    await t.close();
  });
});
