/**
 * The retention job (bot/privacy.ts) on a real SQLite store and the real
 * embedded queue: two "instances" (two queues and two workers on one
 * database, as two processes on one host) schedule the same day's run and
 * it runs once; a day's run is found again under the same id; the work goes
 * in batches and stops between batches on shutdown; RETENTION_DAYS=0 does
 * nothing. The anonymisation itself is held to the store contract
 * (tests/store.contract.test.ts, both engines).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import {
  RETENTION_QUEUE,
  RETENTION_SETTING,
  retentionCutoff,
  retentionJobId,
  retentionSlot,
  runRetention,
  startRetentionWorker,
  type RetentionStatus,
} from '../bot/privacy.js';
import { createEmbeddedQueue } from '../bot/queue/embedded.js';
import type { JobQueue } from '../bot/queue/types.js';
import { RETENTION_TEXT } from '../bot/store/ids.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Store } from '../bot/store/types.js';
import { ConfigError, loadConfig } from '../scripts/config.js';
import { makeTempDir } from './helpers/tmp.js';

const DAY = 24 * 60 * 60 * 1000;
const tmp = makeTempDir('siratu-retention-');
const stores: Store[] = [];
/** Each group of tests has a database of its own: one group's old conversations are not another's. */
let store: Store;
let seq = 0;
const freshStore = () => {
  store = openSqliteStore({ file: join(tmp.dir, `retention-${stores.length}.db`) });
  stores.push(store);
};

afterAll(async () => {
  for (const opened of stores) await opened.close();
  tmp.remove();
});

/** A citizen who wrote `text` and whose conversation was closed `daysAgo` days before `now`. */
async function oldConversation(now: Date, daysAgo: number, text = 'NIK saya 7271011208900001') {
  const at = new Date(now.getTime() - daysAgo * DAY);
  const contact = await store.contacts.upsert('web', `retention-${++seq}`);
  const conversation = await store.conversations.open(contact);
  await store.messages.add({ conversationId: conversation.id, contactId: contact.id, channel: 'web', direction: 'in', author: 'citizen', text, createdAt: at });
  await store.conversations.update(conversation.id, { state: 'closed', closedAt: at, lastMessageAt: at });
  return { contact, conversation };
}

const textsOf = async (conversationId: string) => (await store.messages.list(conversationId)).map((message) => message.text);

async function until(ok: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RETENTION_DAYS', () => {
  const days = (value?: string) => loadConfig(value === undefined ? {} : { RETENTION_DAYS: value }, { dotenvPath: '/nonexistent' }).RETENTION_DAYS;
  it('defaults to 365; empty is the default (switching off is written out: 0); bad values name the variable', () => {
    expect(days()).toBe(365);
    expect(days('')).toBe(365);
    expect(days('0')).toBe(0);
    expect(days('730')).toBe(730);
    expect(() => days('7')).toThrow(/RETENTION_DAYS="7": minimal 30 hari \(atau 0 = mati\)/u);
    expect(() => days('satu tahun')).toThrow(/RETENTION_DAYS="satu tahun": harus berupa angka/u);
    expect(() => days('99999')).toThrow(ConfigError);
  });
});

describe('the schedule', () => {
  it('each day has one run, due at 18:00 UTC (01:00 WIB, 02:00 WITA, 03:00 WIT), named by the day', () => {
    const morning = new Date('2026-05-03T01:00:00Z');
    expect(retentionSlot(morning).toISOString()).toBe('2026-05-03T18:00:00.000Z');
    expect(retentionJobId(morning)).toBe('retention:2026-05-03');
    expect(retentionJobId(new Date('2026-05-03T23:59:59Z'))).toBe('retention:2026-05-03');
    expect(retentionCutoff(morning, 365).toISOString()).toBe('2025-05-03T01:00:00.000Z');
  });
});

describe('runRetention', () => {
  beforeAll(freshStore);

  it('anonymises what ended before the cutoff, in batches, and stops between batches when asked', async () => {
    const now = new Date('2031-06-01T19:00:00Z');
    const due = [];
    for (let i = 0; i < 5; i++) due.push(await oldConversation(now, 400 + i));
    const kept = await oldConversation(now, 300);

    const stopped = await runRetention(store, { days: 365, now, batchSize: 2, shouldStop: () => true });
    expect(stopped).toMatchObject({ conversations: 2, batches: 1, complete: false });

    const rest = await runRetention(store, { days: 365, now, batchSize: 2 });
    expect(rest).toMatchObject({ conversations: 3, contacts: 3, batches: 2, complete: true, cutoff: new Date(now.getTime() - 365 * DAY) });
    for (const { conversation } of due) expect(await textsOf(conversation.id)).toEqual([RETENTION_TEXT]);
    expect(await textsOf(kept.conversation.id)).toEqual(['NIK saya 7271011208900001']);

    expect(await runRetention(store, { days: 365, now, batchSize: 2 })).toMatchObject({ conversations: 0, batches: 1, complete: true });
  });
});

describe('the worker', () => {
  beforeAll(freshStore);
  const queues: JobQueue[] = [];
  afterAll(async () => {
    for (const queue of queues) await queue.close();
  });

  it('two instances schedule the same day: the run happens once, is recorded, and the next check of the day adds nothing', async () => {
    const now = new Date('2032-02-10T20:30:00Z'); // after the day's slot: it runs now (no catch-up delay here)
    const old = await oldConversation(now, 500);
    const logs: { msg: string; fields: Record<string, unknown> }[] = [];
    const log = {
      info: (fields: Record<string, unknown>, msg: string) => logs.push({ fields, msg }),
      warn: () => undefined,
      error: (fields: Record<string, unknown>, msg: string) => logs.push({ fields, msg }),
    } as never;
    const workers = [0, 1].map(() => {
      const queue = createEmbeddedQueue(store.jobs, { pollMs: 20 });
      queues.push(queue);
      return startRetentionWorker({ store, queue, days: 365, log, clock: () => now, catchUpDelayMs: 0, checkEveryMs: 60_000 });
    });
    await Promise.all(workers.map((worker) => worker.ready));
    const jobId = retentionJobId(now);
    await until(async () => (await store.jobs.get(jobId))?.status === 'completed');

    expect(await store.jobs.list({ queue: RETENTION_QUEUE })).toEqual([expect.objectContaining({ id: jobId, status: 'completed', attempts: 1 })]);
    expect(logs.filter((line) => line.msg.startsWith('retention:'))).toHaveLength(1);
    expect(await textsOf(old.conversation.id)).toEqual([RETENTION_TEXT]);
    const status = await store.settings.get<RetentionStatus>(RETENTION_SETTING);
    expect(status).toEqual({
      days: 365,
      lastRun: {
        at: now.toISOString(),
        cutoff: new Date(now.getTime() - 365 * DAY).toISOString(),
        counts: { conversations: 1, messages: 1, tickets: 0, contacts: 1, files: 0 },
        complete: true,
      },
    });

    // The hourly check, on either instance: the day's run exists (it ran), nothing is added.
    expect(await workers[1]!.schedule()).toBe(jobId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.jobs.list({ queue: RETENTION_QUEUE })).toHaveLength(1);
    expect(logs.filter((line) => line.msg.startsWith('retention:'))).toHaveLength(1);
    for (const worker of workers) worker.stop();
  });

  it('before the slot, the run waits for it; after a late start, it catches up after a delay', async () => {
    const queue = () => {
      const created = createEmbeddedQueue(store.jobs, { pollMs: 20 });
      queues.push(created);
      return created;
    };
    const morning = new Date('2033-03-01T06:00:00Z');
    const early = startRetentionWorker({ store, queue: queue(), days: 90, clock: () => morning, checkEveryMs: 60_000 });
    await early.ready;
    const job = (await store.jobs.get(retentionJobId(morning)))!;
    expect(job.status).toBe('waiting');
    expect(Math.abs(job.runAt.getTime() - (Date.now() + (retentionSlot(morning).getTime() - morning.getTime())))).toBeLessThan(5_000);
    early.stop();

    const evening = new Date('2033-03-02T21:00:00Z');
    const late = startRetentionWorker({ store, queue: queue(), days: 90, clock: () => evening, catchUpDelayMs: 15 * 60_000, checkEveryMs: 60_000 });
    await late.ready;
    const catchUp = (await store.jobs.get(retentionJobId(evening)))!;
    expect(Math.abs(catchUp.runAt.getTime() - (Date.now() + 15 * 60_000))).toBeLessThan(5_000);
    late.stop();
  });

  it('RETENTION_DAYS=0: nothing is scheduled or anonymised, and the admin page can say it is off', async () => {
    const queue = createEmbeddedQueue(store.jobs, { pollMs: 20 });
    queues.push(queue);
    const now = new Date('2034-01-01T20:00:00Z');
    const old = await oldConversation(now, 5000);
    const off = startRetentionWorker({ store, queue, days: 0, clock: () => now, catchUpDelayMs: 0 });
    await off.ready;
    expect(await off.schedule()).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.jobs.get(retentionJobId(now))).toBeNull();
    expect(await textsOf(old.conversation.id)).toEqual(['NIK saya 7271011208900001']);
    expect((await store.settings.get<RetentionStatus>(RETENTION_SETTING))!.days).toBe(0);
    off.stop();
  });
});
