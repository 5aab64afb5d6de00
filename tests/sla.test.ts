/**
 * Ticket deadlines and escalation (bot/sla.ts) on both queue engines: the
 * embedded queue on a temporary SQLite store, and bull on the real local
 * Redis under a prefix of its own, obliterated afterwards. Every test runs
 * two "instances" (two queues, two dispatchers, two SLA workers) on the same
 * data, with a fake clock: the queue's delays are real, so a deadline is
 * scheduled a moment before the fake clock passes it.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import Bull from 'bull';
import { createCalendar, fixedCalendar } from '../bot/calendar.js';
import { Dispatcher } from '../bot/dispatcher.js';
import { KnowledgeBase } from '../bot/knowledge-base.js';
import { createLogger, type Logger } from '../bot/log.js';
import { createBullQueue } from '../bot/queue/bull.js';
import { createEmbeddedQueue } from '../bot/queue/embedded.js';
import type { JobQueue } from '../bot/queue/types.js';
import {
  AUTO_CLOSE_NOTE,
  createTicketDeadlines,
  ESCALATION_NOTE,
  listEscalations,
  scheduleDeadline,
  SLA_QUEUE,
  slaJobId,
  startSlaWorker,
  type SlaWorker,
} from '../bot/sla.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Store, Ticket } from '../bot/store/types.js';
import { loadHolidays, loadLanguage, loadOffice } from '../knowledge/load.js';
import { makeTempDir } from './helpers/tmp.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const calendar = createCalendar({ office: loadOffice('palu'), holidays: loadHolidays({ office: 'palu' }) });
const wita = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Env {
  store: Store;
  queues: JobQueue[];
  dispatchers: Dispatcher[];
  /** Log lines of both instances, parsed. */
  logs: Record<string, unknown>[];
  /** `ticket` events seen by the live views of both instances. */
  ticketEvents: Ticket[];
  setNow(at: Date): void;
  now(): Date;
  /** Starts one SLA worker per instance (each sweeps on start). */
  start(): Promise<SlaWorker[]>;
  close(): Promise<void>;
}

let seq = 0;

async function openEnv(engine: 'embedded' | 'bull'): Promise<Env> {
  const temp = makeTempDir('siratu-sla-');
  const store = openSqliteStore({ file: `${temp.dir}/siratu.db` });
  const prefix = `siratu-sla-test-${process.pid}-${Date.now()}-${++seq}`;
  const queues = [0, 1].map(() =>
    engine === 'embedded'
      ? createEmbeddedQueue(store.jobs, { pollMs: 20, leaseMs: 1000 })
      : createBullQueue(REDIS_URL, { prefix, lockMs: 1000, stalledIntervalMs: 500 }),
  );
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  });
  let now = new Date();
  const clock = () => now;
  const instanceLogs: Logger[] = [log.child({ instance: 'a' }), log.child({ instance: 'b' })];
  const dispatchers = queues.map(
    (queue, i) =>
      new Dispatcher({
        store,
        knowledge: new KnowledgeBase(store, loadLanguage()),
        log: instanceLogs[i]!,
        clock,
        deadlines: createTicketDeadlines({ queue, calendar: fixedCalendar(calendar), clock, log: instanceLogs[i]! }),
      }),
  );
  const ticketEvents: Ticket[] = [];
  for (const dispatcher of dispatchers) dispatcher.events.on('ticket', (ticket) => ticketEvents.push(ticket));
  const workers: SlaWorker[] = [];
  return {
    store,
    queues,
    dispatchers,
    logs,
    ticketEvents,
    setNow: (at) => {
      now = at;
    },
    now: clock,
    async start() {
      for (const [i, queue] of queues.entries()) {
        workers.push(startSlaWorker({ store, queue, dispatcher: dispatchers[i]!, calendar: fixedCalendar(calendar), log: instanceLogs[i]!, clock, sweepEveryMs: 0 }));
      }
      await Promise.all(workers.map((worker) => worker.ready));
      return workers;
    },
    async close() {
      for (const worker of workers) worker.stop();
      await Promise.all(queues.map((queue) => queue.close()));
      if (engine === 'bull') {
        const queue = new Bull(SLA_QUEUE, REDIS_URL, { prefix });
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await store.close();
      temp.remove();
    },
  };
}

async function newConversation(store: Store, citizen: string) {
  const contact = await store.contacts.upsert('web', citizen);
  const conversation = await store.conversations.open(contact);
  return { contactId: contact.id, conversationId: conversation.id, channel: 'web' as const };
}

const complaint = { category: 'pelayanan', description: 'KTP-el saya belum jadi sejak dua bulan lalu' };

/** Outcomes the SLA workers logged for a job. */
const outcomes = (env: Env, jobId: string) => env.logs.filter((line) => line.msg === 'sla job' && line.job === jobId).map((line) => line.outcome);

describe.each(['embedded', 'bull'] as const)('%s queue', (engine) => {
  let env: Env;
  afterEach(async () => {
    await env?.close();
  });

  test('an overdue ticket escalates exactly once: two instances work the queue and both scheduled the deadline', async () => {
    env = await openEnv(engine);
    await env.start();
    const origin = await newConversation(env.store, `warga-${engine}-1`);
    // Filed Friday 13 March 2026 14:00 WITA: 3 working days skip cuti bersama Nyepi, Nyepi and the Idul Fitri block.
    const due = wita('2026-03-25 15:00');
    env.setNow(new Date(due.getTime() - 400));
    const ticket = await env.dispatchers[0]!.tickets.create({ ...origin, ...complaint, createdAt: wita('2026-03-13 14:00') });
    expect(ticket.dueAt?.toISOString()).toBe(due.toISOString());
    // The other instance schedules the same deadline too (say it handled the same event).
    await scheduleDeadline(env.queues[1]!, ticket, env.now());
    env.setNow(new Date(due.getTime() + 60_000));

    await waitFor(async () => Boolean((await env.store.tickets.get(ticket.id))?.escalatedAt), 'the escalation');
    await sleep(1500); // time for a second run, if there were one
    const after = (await env.store.tickets.get(ticket.id))!;
    expect(after.escalatedAt?.toISOString()).toBe(new Date(due.getTime() + 60_000).toISOString());
    expect(after.events.filter((event) => event.note === ESCALATION_NOTE)).toHaveLength(1);
    expect(after.events.find((event) => event.note === ESCALATION_NOTE)).toMatchObject({ actor: 'system', type: 'updated' });
    expect(outcomes(env, slaJobId({ ...ticket, dueAt: due }))).toEqual(['escalated']);
    expect(await env.queues[0]!.counts(SLA_QUEUE)).toMatchObject({ completed: 1, waiting: 0, delayed: 0, active: 0, failed: 0 });

    const notices = await listEscalations(env.store);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ ticketId: ticket.id, number: ticket.number, status: 'baru', dueText: 'Rabu, 25 Maret 2026 pukul 15.00 WITA' });
    expect(env.ticketEvents.filter((event) => event.escalatedAt)).toHaveLength(1);
  });

  test('a status change before the deadline prevents the escalation', async () => {
    env = await openEnv(engine);
    await env.start();
    const origin = await newConversation(env.store, `warga-${engine}-2`);
    const due = wita('2026-03-25 15:00');
    env.setNow(new Date(due.getTime() - 1000));
    const ticket = await env.dispatchers[0]!.tickets.create({ ...origin, ...complaint, createdAt: wita('2026-03-13 14:00') });
    const oldJob = slaJobId({ ...ticket, dueAt: due });
    // An agent starts on it in time: a new clock (5 working days) and a new job.
    const processing = await env.dispatchers[1]!.tickets.changeStatus(ticket.id, 'diproses', { actor: 'agent-1' });
    expect(processing?.dueAt).not.toBeNull();
    expect(processing!.dueAt!.getTime()).not.toBe(due.getTime());
    env.setNow(new Date(due.getTime() + 60_000));

    await waitFor(() => outcomes(env, oldJob).length > 0, 'the old deadline job');
    await sleep(500);
    expect(outcomes(env, oldJob)).toEqual(['moved-on']);
    const after = (await env.store.tickets.get(ticket.id))!;
    expect(after.status).toBe('diproses');
    expect(after.escalatedAt).toBeNull();
    expect(after.events.some((event) => event.note === ESCALATION_NOTE)).toBe(false);
    expect(await listEscalations(env.store)).toEqual([]);
  });

  test('a job that runs early by this host\'s clock checks again at the due time instead of escalating', async () => {
    env = await openEnv(engine);
    await env.start();
    const origin = await newConversation(env.store, `warga-${engine}-5`);
    const due = wita('2026-03-25 15:00');
    env.setNow(new Date(due.getTime() - 400));
    const ticket = await env.dispatchers[0]!.tickets.create({ ...origin, ...complaint, createdAt: wita('2026-03-13 14:00') });
    env.setNow(new Date(due.getTime() - 3_600_000)); // this host's clock is an hour behind

    const job = slaJobId({ ...ticket, dueAt: due });
    await waitFor(() => outcomes(env, job).length > 0, 'the deadline job');
    expect(outcomes(env, job)).toEqual(['early']);
    expect((await env.store.tickets.get(ticket.id))?.escalatedAt).toBeNull();
    expect(await env.queues[0]!.counts(SLA_QUEUE)).toMatchObject({ completed: 1, delayed: 1 });
  });

  test('a ticket waiting for the citizen closes itself 10 working days later, and the citizen is told', async () => {
    env = await openEnv(engine);
    await env.start();
    const origin = await newConversation(env.store, `warga-${engine}-3`);
    const ticket = await env.dispatchers[0]!.tickets.create({ ...origin, ...complaint });
    await env.dispatchers[0]!.tickets.changeStatus(ticket.id, 'diproses', { actor: 'agent-1' });
    // The clock starts when the ticket enters menunggu_warga (now); schedule it a moment before it runs out.
    let expected = calendar.addWorkingDays(new Date(), 10);
    if (calendar.addWorkingDays(new Date(Date.now() + 5000), 10).getTime() !== expected.getTime()) {
      await sleep(5000); // right at a closing time: let the boundary pass
      expected = calendar.addWorkingDays(new Date(), 10);
    }
    env.setNow(new Date(expected.getTime() - 1000));
    const waiting = (await env.dispatchers[0]!.tickets.changeStatus(ticket.id, 'menunggu_warga', { actor: 'agent-1', note: 'Mohon kirim foto KK' }))!;
    expect(waiting.dueAt?.toISOString()).toBe(expected.toISOString());
    const enteredAt = waiting.events.filter((event) => event.to === 'menunggu_warga').at(-1)!.at;
    expect(calendar.workingDaysBetween(calendar.nextWorkingTime(new Date(enteredAt)), waiting.dueAt!)).toBe(10);
    env.setNow(new Date(expected.getTime() + 60_000));

    await waitFor(async () => (await env.store.tickets.get(ticket.id))?.status === 'ditutup', 'the auto-close');
    await sleep(1000);
    const closed = (await env.store.tickets.get(ticket.id))!;
    expect(closed.dueAt).toBeNull();
    expect(closed.escalatedAt).toBeNull();
    expect(closed.events.filter((event) => event.to === 'ditutup')).toEqual([expect.objectContaining({ actor: 'system', from: 'menunggu_warga', note: AUTO_CLOSE_NOTE })]);
    expect(outcomes(env, slaJobId({ ...waiting, dueAt: expected }))).toEqual(['closed']);

    const messages = await env.store.messages.list(origin.conversationId);
    const told = messages.filter((message) => message.direction === 'out' && message.text.includes(AUTO_CLOSE_NOTE));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ author: 'system', kind: 'status' });
    expect(told[0]!.text).toContain(ticket.number);
    expect(told[0]!.text).toContain('Ditutup');
  });

  test('the sweep catches an overdue ticket that has no job, once, even with two instances sweeping', async () => {
    env = await openEnv(engine);
    const origin = await newConversation(env.store, `warga-${engine}-4`);
    // A deadline whose job was lost (Redis flushed): stored directly, nothing scheduled.
    const dueAt = wita('2026-11-20 15:30');
    const lost = await env.store.tickets.create({ ...origin, ...complaint, createdAt: wita('2026-11-17 10:00'), dueAt });
    const handled = await env.store.tickets.create({ ...origin, ...complaint, description: 'Sudah dieskalasi sebelumnya', createdAt: wita('2026-11-17 10:00'), dueAt });
    await env.store.tickets.update(handled.id, { escalatedAt: wita('2026-11-20 15:31') }, { actor: 'system', type: 'updated', note: ESCALATION_NOTE });
    expect(await env.queues[0]!.counts(SLA_QUEUE)).toMatchObject({ waiting: 0, delayed: 0, completed: 0 });
    env.setNow(wita('2026-11-23 09:00'));

    const workers = await env.start(); // both instances sweep on start
    await waitFor(async () => Boolean((await env.store.tickets.get(lost.id))?.escalatedAt), 'the sweep to escalate');
    await sleep(1000);
    // Sweeping again (another restart, the hourly sweep) finds nothing left to do.
    expect(await workers[0]!.sweep()).toBe(0);
    expect(await workers[1]!.sweep()).toBe(0);
    await sleep(500);

    const after = (await env.store.tickets.get(lost.id))!;
    expect(after.events.filter((event) => event.note === ESCALATION_NOTE)).toHaveLength(1);
    expect(outcomes(env, slaJobId({ ...lost, dueAt }))).toEqual(['escalated']);
    const untouched = (await env.store.tickets.get(handled.id))!;
    expect(untouched.events.filter((event) => event.note === ESCALATION_NOTE)).toHaveLength(1);
    expect(await env.queues[1]!.counts(SLA_QUEUE)).toMatchObject({ completed: 1, waiting: 0, delayed: 0, failed: 0 });
    expect((await listEscalations(env.store)).map((notice) => notice.ticketId)).toEqual([lost.id]);
  });
});
