/**
 * Ticket deadlines (SLA) on SP4N-LAPOR!'s clocks, counted in working days on
 * the office calendar (bot/calendar.ts), and what happens when one passes:
 *
 *   baru            3 working days to verify and start processing → escalate
 *   diproses        5 working days to post a follow-up           → escalate
 *   menunggu_warga 10 working days without the citizen's reply    → close (ditutup), citizen told
 *   selesai, ditutup: no deadline
 *
 * Each clock starts when the ticket entered its status (its creation for
 * `baru`) and ends at closing time of the n-th working day after.
 *
 * A deadline is a delayed job on the `sla` queue whose id names the ticket,
 * the status and the due instant (`sla:<ticketId>:<status>:<dueAt ISO>`), so
 * every instance may schedule the same deadline and the queue keeps ONE job;
 * a status change makes a new deadline (a new id) and the old job, when it
 * runs, finds the ticket moved on and does nothing. The queue runs a job once
 * (at least once after a crash, so the handler checks `escalatedAt` first).
 *
 * Jobs lost with a flushed Redis are found again by `sweepOverdue` (on start,
 * then periodically): it lists overdue, not yet escalated tickets and
 * schedules their deadline job again under the SAME id, due now. A job that
 * still exists (or already ran) is not added twice, so a sweep never
 * double-escalates, whether it races the original job or another instance's
 * sweep.
 *
 * Escalation is recorded three ways, all idempotent:
 * - on the ticket: `escalatedAt` and an event "Lewat tenggat, diteruskan ke
 *   supervisor" (the history shows it; `escalatedAt` marks it in lists);
 * - a notice for supervisors in store.keyValue, namespace `sla.escalations`,
 *   one key per ticket (per-key writes: two instances escalating different
 *   tickets at once cannot overwrite each other, as a read-modify-write list
 *   in settings could). `listEscalations(store)` is what the inbox shows;
 *   it drops notices whose ticket has moved on (new status or deadline), and
 *   `dismissEscalation` removes one a supervisor has dealt with. At most
 *   MAX_ESCALATION_NOTICES are kept (oldest dropped);
 * - a live `ticket` event on the dispatcher's event bus (every instance's
 *   inbox with Redis).
 *
 * Tickets get their deadline from the ticket service (bot/tickets.ts), which
 * applies `createTicketDeadlines(...)` when a ticket is created and on every
 * status change (storing `dueAt`, clearing `escalatedAt`, scheduling the job).
 * Wiring: `new Dispatcher({ ..., deadlines: createTicketDeadlines({ queue,
 * calendar }) })`, then `startSlaWorker({ store, queue, dispatcher, calendar })`,
 * where `calendar` is a CalendarSource: the app gives the stored, admin-edited
 * calendar (bot/office-editing.ts storedCalendar), so a holiday or new office
 * hours count for the next deadline on every instance without a restart.
 * Deadlines already stored on tickets stay as they were computed.
 */
import type { Calendar, CalendarSource } from './calendar.js';
import type { Dispatcher } from './dispatcher.js';
import type { Logger } from './log.js';
import type { JobQueue, QueueJob } from './queue/types.js';
import type { Store, Ticket, TicketStatus } from './store/types.js';
import type { TicketDeadlines } from './tickets.js';

export const SLA_QUEUE = 'sla';

export interface SlaRule {
  /** Working days the office has in this status. */
  workingDays: number;
  /** What happens when they pass. */
  action: 'escalate' | 'close';
}

/** SP4N-LAPOR!'s clocks per ticket status (adminduk-facts §18a). */
export const SLA_RULES: Record<TicketStatus, SlaRule | null> = {
  baru: { workingDays: 3, action: 'escalate' },
  diproses: { workingDays: 5, action: 'escalate' },
  menunggu_warga: { workingDays: 10, action: 'close' },
  selesai: null,
  ditutup: null,
};

/** The event note of an escalation (the inbox and tests look for it). */
export const ESCALATION_NOTE = 'Lewat tenggat, diteruskan ke supervisor';
/** Told to the citizen when a ticket waiting for them closes itself. */
export const AUTO_CLOSE_NOTE =
  'Pengaduan ditutup otomatis karena tidak ada tanggapan dalam 10 hari kerja. Jika masalahnya belum selesai, silakan kirim pesan di sini.';

/** store.keyValue namespace of the supervisors' escalation notices (key = ticket id). */
export const ESCALATIONS_NAMESPACE = 'sla.escalations';
export const MAX_ESCALATION_NOTICES = 200;

/** A job that runs this much before its due time (clocks of two hosts differ) still counts as due. */
const CLOCK_SKEW_MS = 60_000;
/** The queue retries a failed deadline job for about an hour and a half ((2^10 − 1) × 5 s) before giving up. */
const JOB_ATTEMPTS = 10;
const JOB_BACKOFF_MS = 5_000;
const SWEEP_BATCH = 500;
const OPEN_STATUSES: TicketStatus[] = ['baru', 'diproses', 'menunggu_warga'];

export interface SlaJob {
  ticketId: string;
  status: TicketStatus;
  /** ISO instant. */
  dueAt: string;
}

/** A supervisor's notice of an overdue ticket. */
export interface EscalationNotice {
  ticketId: string;
  number: string;
  status: TicketStatus;
  category: string;
  kecamatan?: string;
  assigneeId: string | null;
  dueAt: string;
  /** The deadline in words on the office's clock, e.g. "Rabu, 25 Maret 2026 pukul 15.00 WITA". */
  dueText: string;
  escalatedAt: string;
}

type Log = Pick<Logger, 'info' | 'warn' | 'error'>;
const silent: Log = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Log;

/** When the ticket entered its current status: the latest event that moved it there, else its creation (baru) or last update. */
export function statusSince(ticket: Pick<Ticket, 'status' | 'createdAt' | 'updatedAt' | 'events'>): Date {
  if (ticket.status === 'baru' && !ticket.events.some((event) => event.to === 'baru')) return ticket.createdAt;
  for (let i = ticket.events.length - 1; i >= 0; i--) {
    const event = ticket.events[i]!;
    if (event.to === ticket.status) return new Date(event.at);
  }
  return ticket.status === 'baru' ? ticket.createdAt : ticket.updatedAt;
}

/** The deadline of the ticket's current status, or null when it has none (selesai, ditutup). */
export function dueDateFor(ticket: Pick<Ticket, 'status' | 'createdAt' | 'updatedAt' | 'events'>, calendar: Calendar): Date | null {
  const rule = SLA_RULES[ticket.status];
  return rule ? calendar.addWorkingDays(statusSince(ticket), rule.workingDays) : null;
}

/** The id of a deadline's job: the same deadline always has the same id. */
export function slaJobId(ticket: Pick<Ticket, 'id' | 'status'> & { dueAt: Date }): string {
  return `sla:${ticket.id}:${ticket.status}:${ticket.dueAt.toISOString()}`;
}

/**
 * Queues the check of the ticket's stored deadline (`ticket.dueAt`) to run
 * when it is due. Safe to call any number of times from any instance.
 * Returns the job id, or null when the ticket has no deadline.
 */
export async function scheduleDeadline(queue: JobQueue, ticket: Pick<Ticket, 'id' | 'status' | 'dueAt'>, now: Date = new Date()): Promise<string | null> {
  if (!ticket.dueAt || !SLA_RULES[ticket.status]) return null;
  const jobId = slaJobId({ ...ticket, dueAt: ticket.dueAt });
  const data: SlaJob = { ticketId: ticket.id, status: ticket.status, dueAt: ticket.dueAt.toISOString() };
  await queue.add(SLA_QUEUE, data, {
    jobId,
    delayMs: Math.max(0, ticket.dueAt.getTime() - now.getTime()),
    attempts: JOB_ATTEMPTS,
    backoffMs: JOB_BACKOFF_MS,
  });
  return jobId;
}

/**
 * The deadlines the ticket service (bot/tickets.ts) applies on creation and
 * on every status change: it stores `dueDateFor` as `dueAt`, then calls
 * `schedule`. Each due date is computed on the calendar as it is now (admins
 * edit hours and holidays). Warns once per year when the holiday data does
 * not cover it.
 */
export function createTicketDeadlines(deps: { queue: JobQueue; calendar: CalendarSource; clock?: () => Date; log?: Log }): TicketDeadlines {
  const clock = deps.clock ?? (() => new Date());
  const warned = new Set<number>();
  return {
    async dueDateFor(ticket) {
      const calendar = await deps.calendar.current();
      const dueAt = dueDateFor(ticket, calendar);
      for (const at of dueAt ? [statusSince(ticket), dueAt] : []) {
        const year = Number(calendar.localDate(at).slice(0, 4));
        if (!calendar.covers(year) && !warned.has(year)) {
          warned.add(year);
          (deps.log ?? silent).warn({ year }, 'no holiday calendar for this year (add it under Profil kantor → Hari libur): deadlines skip weekends only');
        }
      }
      return dueAt;
    },
    async schedule(ticket) {
      await scheduleDeadline(deps.queue, ticket, clock());
    },
  };
}

/**
 * Schedules again, due now, the deadline job of every overdue ticket not yet
 * escalated (jobs lost with a flushed Redis). The job ids are the deadlines'
 * own, so tickets whose job exists or ran are not checked twice. Returns how
 * many tickets it looked at.
 */
export async function sweepOverdue(deps: { store: Store; queue: JobQueue; clock?: () => Date; log?: Log }): Promise<number> {
  const now = (deps.clock ?? (() => new Date()))();
  const overdue = await deps.store.tickets.list({ status: OPEN_STATUSES, overdueAt: now, limit: SWEEP_BATCH });
  let count = 0;
  for (const ticket of overdue) {
    if (!ticket.dueAt || ticket.escalatedAt || ticket.dueAt.getTime() > now.getTime()) continue;
    await scheduleDeadline(deps.queue, ticket, now);
    count++;
  }
  if (count > 0) (deps.log ?? silent).info({ count }, 'sla sweep: overdue tickets checked');
  return count;
}

export interface SlaWorkerOptions {
  store: Store;
  queue: JobQueue;
  /** Its ticket service closes tickets (telling the citizen); its events carry escalations to live inboxes. */
  dispatcher: Pick<Dispatcher, 'tickets' | 'events'>;
  /** Writes the deadline in words on the supervisors' notices. */
  calendar: CalendarSource;
  log?: Log;
  clock?: () => Date;
  /** Sweep for overdue tickets this often (default hourly; 0: only on start). */
  sweepEveryMs?: number;
  /** Sweep once on start (default true). */
  sweepOnStart?: boolean;
}

export interface SlaWorker {
  /** The sweep run on start (0 when disabled); rejects if it failed. */
  ready: Promise<number>;
  sweep(): Promise<number>;
  /** Stops the periodic sweep (the queue's own close() stops the jobs). */
  stop(): void;
}

export type SlaOutcome = 'escalated' | 'closed' | 'missing' | 'moved-on' | 'already-escalated' | 'early';

/** Works the `sla` queue in this process: escalates overdue tickets and closes unanswered ones. */
export function startSlaWorker(options: SlaWorkerOptions): SlaWorker {
  const { store, queue, dispatcher, calendar } = options;
  const log = options.log ?? silent;
  const clock = options.clock ?? (() => new Date());

  async function handle(job: QueueJob<SlaJob>): Promise<SlaOutcome> {
    const { ticketId, status, dueAt } = job.data;
    const ticket = await store.tickets.get(ticketId);
    if (!ticket) return 'missing';
    // A status change or a new deadline since this job was scheduled: that deadline has its own job.
    if (ticket.status !== status || ticket.dueAt?.getTime() !== Date.parse(dueAt)) return 'moved-on';
    const rule = SLA_RULES[status];
    if (!rule) return 'moved-on';
    const now = clock();
    if (ticket.dueAt.getTime() - now.getTime() > CLOCK_SKEW_MS) {
      // Ran early by this host's clock: check again at the due time under a new id (this one is taken).
      await queue.add(SLA_QUEUE, job.data, {
        jobId: `${job.id}@${now.getTime()}`,
        delayMs: ticket.dueAt.getTime() - now.getTime(),
        attempts: JOB_ATTEMPTS,
        backoffMs: JOB_BACKOFF_MS,
      });
      return 'early';
    }

    if (rule.action === 'close') {
      // The ticket service records the change, clears the deadline and tells the citizen on their channel.
      await dispatcher.tickets.changeStatus(ticket.id, 'ditutup', { actor: 'system', note: AUTO_CLOSE_NOTE });
      return 'closed';
    }

    if (ticket.escalatedAt) return 'already-escalated';
    const notice: EscalationNotice = {
      ticketId: ticket.id,
      number: ticket.number,
      status: ticket.status,
      category: ticket.category,
      kecamatan: ticket.kecamatan,
      assigneeId: ticket.assigneeId,
      dueAt,
      dueText: (await calendar.current()).format(ticket.dueAt),
      escalatedAt: now.toISOString(),
    };
    // The notice first: a crash before the ticket update leaves the job to run again and rewrite the same key.
    await store.keyValue.set(ESCALATIONS_NAMESPACE, { [ticket.id]: JSON.stringify(notice) });
    const escalated = await store.tickets.update(ticket.id, { escalatedAt: now }, { actor: 'system', type: 'updated', note: ESCALATION_NOTE, at: now });
    if (escalated) dispatcher.events.emit('ticket', escalated);
    await pruneEscalations(store);
    log.warn({ ticket: ticket.id, number: ticket.number, status, dueAt }, 'ticket overdue: escalated to supervisors');
    return 'escalated';
  }

  queue.process<SlaJob>(SLA_QUEUE, async (job) => {
    const outcome = await handle(job);
    log.info({ job: job.id, ticket: job.data.ticketId, outcome }, 'sla job');
  });
  queue.onFailed<SlaJob>(SLA_QUEUE, (job, error) =>
    log.error({ job: job.id, ticket: job.data.ticketId, err: error }, 'sla job failed for good: the deadline was not acted on'),
  );

  const sweep = () => sweepOverdue({ store, queue, clock, log });
  const ready = options.sweepOnStart === false ? Promise.resolve(0) : sweep();
  ready.catch((error: unknown) => log.error({ err: error }, 'sla sweep on start failed'));
  const every = options.sweepEveryMs ?? 60 * 60_000;
  const timer =
    every > 0
      ? setInterval(() => {
          sweep().catch((error: unknown) => log.error({ err: error }, 'sla sweep failed'));
        }, every)
      : undefined;
  timer?.unref();
  return { ready, sweep, stop: () => clearInterval(timer) };
}

/**
 * The supervisors' escalation notices, newest first. Notices whose ticket has
 * moved on (new status, closed, deadline reset) are dropped on the way.
 */
export async function listEscalations(store: Store): Promise<EscalationNotice[]> {
  const keys = await store.keyValue.keys(ESCALATIONS_NAMESPACE);
  if (keys.length === 0) return [];
  const values = await store.keyValue.get(ESCALATIONS_NAMESPACE, keys);
  const notices: EscalationNotice[] = [];
  const stale: Record<string, null> = {};
  for (const key of keys) {
    const raw = values[key];
    const notice = raw ? (JSON.parse(raw) as EscalationNotice) : undefined;
    const ticket = notice ? await store.tickets.get(notice.ticketId) : null;
    if (notice && ticket?.escalatedAt && ticket.status === notice.status && ticket.dueAt?.toISOString() === notice.dueAt) notices.push(notice);
    else stale[key] = null;
  }
  if (Object.keys(stale).length > 0) await store.keyValue.set(ESCALATIONS_NAMESPACE, stale);
  return notices.sort((a, b) => b.escalatedAt.localeCompare(a.escalatedAt));
}

/** Removes a ticket's notice (a supervisor acknowledged it, or the ticket got a new deadline). */
export async function dismissEscalation(store: Store, ticketId: string): Promise<void> {
  await store.keyValue.set(ESCALATIONS_NAMESPACE, { [ticketId]: null });
}

async function pruneEscalations(store: Store): Promise<void> {
  const keys = await store.keyValue.keys(ESCALATIONS_NAMESPACE);
  if (keys.length <= MAX_ESCALATION_NOTICES) return;
  const values = await store.keyValue.get(ESCALATIONS_NAMESPACE, keys);
  const byAge = [...keys].sort((a, b) => escalatedAt(values[a]).localeCompare(escalatedAt(values[b])));
  await store.keyValue.set(ESCALATIONS_NAMESPACE, Object.fromEntries(byAge.slice(0, keys.length - MAX_ESCALATION_NOTICES).map((key) => [key, null])));
}

function escalatedAt(raw: string | undefined): string {
  try {
    return raw ? ((JSON.parse(raw) as EscalationNotice).escalatedAt ?? '') : '';
  } catch {
    return '';
  }
}
