/**
 * Personal-data protection (UU 27/2022 Pelindungan Data Pribadi; see
 * ../shared/domain/adminduk-facts.md §19): what the office keeps about a
 * citizen, for how long, and how a citizen's request is answered.
 *
 * - Retention (Pasal 16: delete once the retention period ends; Pasal 42–44:
 *   end processing, delete, destroy): a daily job anonymises conversations
 *   that ended more than RETENTION_DAYS days ago (store.privacy.anonymiseBefore):
 *   texts replaced, attachment files deleted, the citizen's identity
 *   pseudonymised. Tickets stay, without their personal fields, so the
 *   dashboard still counts them. Open tickets and conversations waiting for
 *   or owned by an agent are never touched.
 * - A citizen's request (the admin page "Data warga", admin/routes/privacy.ts):
 *   find them by phone number, WhatsApp/Telegram id or ticket number, show
 *   what is held, hand over everything as JSON, or erase it. Both actions
 *   are written to the audit log with the identity masked.
 *
 * The job runs ONCE across any number of instances, like the SLA deadlines
 * (bot/sla.ts): each day's run is a delayed job whose id names the day
 * (`retention:2026-05-03`), so every instance may schedule it and the queue
 * keeps one; a run interrupted by a crash is run again by the queue, and
 * picks up where the last one stopped (anonymising is idempotent). The work
 * goes in batches of a hundred conversations, handing the event loop back
 * between batches, so chats keep being answered while a large backlog is
 * worked off.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { OFFICE_SETTING } from './knowledge-base.js';
import type { Logger } from './log.js';
import { maskPersonalData, normalizePhone } from './personal-data.js';
import type { JobQueue } from './queue/types.js';
import { attachmentKeys, isPseudonym } from './store/ids.js';
import type { AnonymisationCounts, Contact, ContactData, Store, Ticket } from './store/types.js';
import { findTicketNumber, STATUS_LABELS } from './tickets.js';
import type { Attachment, ChannelName } from './types.js';
import type { OfficeProfile } from '../knowledge/schema.js';

export const RETENTION_QUEUE = 'privacy-retention';
/** store.settings key: the retention period in force and the last run (the admin page shows it). */
export const RETENTION_SETTING = 'privacy.retention';
/** 18:00 UTC is 01:00 WIB, 02:00 WITA, 03:00 WIT: the quietest hour in every Indonesian time zone. */
export const RETENTION_HOUR_UTC = 18;
export const RETENTION_BATCH = 100;

const DAY_MS = 24 * 60 * 60 * 1000;
const OPEN_STATUSES = new Set<Ticket['status']>(['baru', 'diproses', 'menunggu_warga']);

export const CHANNEL_LABELS: Record<ChannelName, string> = { web: 'Web chat', telegram: 'Telegram', whatsapp: 'WhatsApp' };

type Log = Pick<Logger, 'info' | 'warn' | 'error'>;
const silent: Log = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Log;

const zero = (): AnonymisationCounts => ({ conversations: 0, messages: 0, tickets: 0, contacts: 0, files: 0 });
const add = (total: AnonymisationCounts, part: AnonymisationCounts) => {
  for (const key of Object.keys(total) as (keyof AnonymisationCounts)[]) total[key] += part[key];
};

/* ------------------------------------------------------------------ retention */

export interface RetentionStatus {
  /** The period in force (0 = off). */
  days: number;
  lastRun?: {
    /** ISO instants. */
    at: string;
    cutoff: string;
    counts: AnonymisationCounts;
    /** False when the run was stopped (shutdown) before everything due was done; the next run continues. */
    complete: boolean;
  };
}

/** Conversations that ended before this instant are due. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

export interface RetentionRun extends AnonymisationCounts {
  cutoff: Date;
  batches: number;
  complete: boolean;
}

/**
 * Anonymises everything due, batch after batch, handing the event loop back
 * in between. `shouldStop` is asked between batches (a shutdown): what is
 * left waits for the next run.
 */
export async function runRetention(
  store: Store,
  options: { days: number; now?: Date; batchSize?: number; shouldStop?: () => boolean },
): Promise<RetentionRun> {
  const now = options.now ?? new Date();
  const cutoff = retentionCutoff(now, options.days);
  const total = zero();
  let batches = 0;
  for (;;) {
    const batch = await store.privacy.anonymiseBefore(cutoff, { limit: options.batchSize ?? RETENTION_BATCH, now });
    batches++;
    add(total, batch);
    if (!batch.more) return { ...total, cutoff, batches, complete: true };
    if (options.shouldStop?.()) return { ...total, cutoff, batches, complete: false };
    await nextTurn();
  }
}

/** The id of a day's run: the same day always has the same id, whichever instance schedules it. */
export function retentionJobId(now: Date): string {
  return `retention:${now.toISOString().slice(0, 10)}`;
}

/** When the day's run is due: that UTC day at RETENTION_HOUR_UTC. */
export function retentionSlot(now: Date): Date {
  const slot = new Date(now);
  slot.setUTCHours(RETENTION_HOUR_UTC, 0, 0, 0);
  return slot;
}

export interface RetentionWorkerOptions {
  store: Store;
  queue: JobQueue;
  /** RETENTION_DAYS; 0 switches the job off (nothing is scheduled or run here). */
  days: number;
  log?: Log;
  clock?: () => Date;
  /** How often to make sure the day's run is scheduled (default hourly). */
  checkEveryMs?: number;
  /**
   * When an instance starts after the day's slot and the day has not run yet (the server was down
   * at night), the run starts this long after (default 15 minutes), not in the middle of start-up.
   */
  catchUpDelayMs?: number;
  batchSize?: number;
}

export interface RetentionWorker {
  /** The first scheduling (and the recorded setting); rejects if it failed. */
  ready: Promise<void>;
  /** Schedules the current day's run (a no-op when it exists or ran). Returns its job id, or null when off. */
  schedule(): Promise<string | null>;
  /** Stops scheduling, and a running job after its current batch (the queue's close() waits for it). */
  stop(): void;
}

interface RetentionJob {
  /** ISO instant of the day's slot. */
  slot: string;
}

/** Works the retention queue in this process and keeps each day's run scheduled (see the top of this file). */
export function startRetentionWorker(options: RetentionWorkerOptions): RetentionWorker {
  const { store, queue, days } = options;
  const log = options.log ?? silent;
  const clock = options.clock ?? (() => new Date());
  let stopped = false;

  const record = async (patch: Partial<RetentionStatus>) => {
    const current = (await store.settings.get<RetentionStatus>(RETENTION_SETTING)) ?? { days };
    await store.settings.put<RetentionStatus>(RETENTION_SETTING, { ...current, days, ...patch });
  };

  if (days <= 0) {
    return { ready: record({}), schedule: async () => null, stop: () => undefined };
  }

  queue.process<RetentionJob>(RETENTION_QUEUE, async (job) => {
    const now = clock();
    const run = await runRetention(store, { days, now, batchSize: options.batchSize, shouldStop: () => stopped });
    const { cutoff, batches, complete, ...counts } = run;
    await record({ lastRun: { at: now.toISOString(), cutoff: cutoff.toISOString(), counts, complete } });
    log.info({ job: job.id, days, cutoff: cutoff.toISOString(), batches, complete, ...counts }, 'retention: old conversations anonymised');
  });
  queue.onFailed<RetentionJob>(RETENTION_QUEUE, (job, error) =>
    log.error({ job: job.id, err: error }, 'retention run failed for good: old conversations were not anonymised today'),
  );

  const schedule = async (): Promise<string | null> => {
    if (stopped) return null;
    const now = clock();
    const slot = retentionSlot(now);
    const jobId = retentionJobId(now);
    await queue.add<RetentionJob>(RETENTION_QUEUE, { slot: slot.toISOString() }, {
      jobId,
      // Today's slot already passed (the server was down at night): catch up a little later, unless it ran.
      delayMs: slot.getTime() > now.getTime() ? slot.getTime() - now.getTime() : (options.catchUpDelayMs ?? 15 * 60_000),
      attempts: 5,
      backoffMs: 60_000,
    });
    return jobId;
  };

  const ready = (async () => {
    await record({});
    await schedule();
  })();
  ready.catch((error: unknown) => log.error({ err: error }, 'retention: could not schedule the daily run'));
  const timer = setInterval(() => {
    schedule().catch((error: unknown) => log.error({ err: error }, 'retention: could not schedule the daily run'));
  }, options.checkEveryMs ?? 60 * 60_000);
  timer.unref();
  return {
    ready,
    schedule,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/* -------------------------------------------------------- citizens' requests */

/** What the admin typed, understood. */
export type SubjectQuery =
  | { kind: 'ticket'; number: string }
  | { kind: 'phone'; phone: string; externalId: string }
  | { kind: 'id'; externalId: string };

/**
 * A ticket number in any spelling (ADU-2026-000123, adu 2026 123), a phone
 * number (0812…, +62 812…, also a WhatsApp id 62812…@s.whatsapp.net), or a
 * channel id as it is stored (a Telegram chat id). Null for nothing usable.
 */
export function parseSubjectQuery(text: string): SubjectQuery | null {
  const trimmed = text.trim().slice(0, 200);
  if (!trimmed) return null;
  const number = findTicketNumber(trimmed);
  if (number) return { kind: 'ticket', number };
  const beforeAt = trimmed.split('@')[0]!.split(':')[0]!;
  const phone = normalizePhone(beforeAt);
  if (phone) return { kind: 'phone', phone, externalId: trimmed };
  return { kind: 'id', externalId: trimmed };
}

/** The contacts a query points at (several when one person wrote on several channels, or gave the same number). */
export async function findSubjects(store: Store, query: SubjectQuery): Promise<Contact[]> {
  if (query.kind === 'ticket') {
    const ticket = await store.tickets.byNumber(query.number);
    const contact = ticket ? await store.contacts.get(ticket.contactId) : null;
    return contact ? [contact] : [];
  }
  if (query.kind === 'phone') return store.privacy.findContacts({ phone: query.phone, externalId: query.externalId });
  return store.privacy.findContacts({ externalId: query.externalId });
}

/** A channel id shown in the audit log: phone numbers masked, other ids cut to their ends. */
export function maskIdentity(contact: Pick<Contact, 'channel' | 'externalId' | 'phone'>): string {
  const label = CHANNEL_LABELS[contact.channel];
  if (isPseudonym(contact.externalId)) return `${label} (sudah dianonimkan)`;
  const id = contact.externalId.replace(/@.*$/u, ''); // a WhatsApp id's number, without @s.whatsapp.net
  const masked = maskPersonalData(id);
  return `${label} ${masked !== id ? masked : maskMiddle(id)}${contact.phone ? `, HP ${maskPersonalData(contact.phone)}` : ''}`;
}

function maskMiddle(text: string): string {
  if (text.length <= 4) return '****';
  const keep = text.length <= 8 ? 1 : 2;
  return `${text.slice(0, keep)}****${text.slice(-keep)}`;
}

/** What the admin page shows about one contact. */
export interface SubjectSummary {
  contact: Contact;
  channelLabel: string;
  /** The data was anonymised already (retention or an earlier erasure). */
  pseudonymised: boolean;
  counts: { conversations: number; messages: number; tickets: number; ratings: number; notes: number; attachments: number };
  /** Tickets still being handled: they block erasure. */
  openTickets: { number: string; status: string }[];
  /** A conversation waiting for or owned by an agent: blocks erasure too. */
  withAgent: boolean;
  firstActivity: Date;
  lastActivity: Date;
  /** Phone numbers typed to confirm erasure are compared with these. */
  phones: string[];
}

export function summarise(data: ContactData): SubjectSummary {
  const { contact } = data;
  const dates = [contact.createdAt, contact.lastSeenAt, ...data.messages.map((m) => m.createdAt)].map((d) => d.getTime());
  return {
    contact,
    channelLabel: CHANNEL_LABELS[contact.channel],
    pseudonymised: isPseudonym(contact.externalId),
    counts: {
      conversations: data.conversations.length,
      messages: data.messages.length,
      tickets: data.tickets.length,
      ratings: data.ratings.length,
      notes: data.notes.length,
      attachments: attachmentKeys([...data.messages.map((m) => m.attachments), ...data.tickets.map((t) => t.attachments)]).length,
    },
    openTickets: data.tickets.filter((t) => OPEN_STATUSES.has(t.status)).map((t) => ({ number: t.number, status: STATUS_LABELS[t.status] })),
    withAgent: data.conversations.some((c) => c.state === 'waiting' || c.state === 'agent'),
    firstActivity: new Date(Math.min(...dates)),
    lastActivity: new Date(Math.max(...dates)),
    phones: phonesOf(contact),
  };
}

function phonesOf(contact: Contact): string[] {
  const phones = new Set<string>();
  if (contact.phone) phones.add(contact.phone);
  if (contact.channel === 'whatsapp') {
    const number = /^(\d+)(?::\d+)?@s\.whatsapp\.net$/u.exec(contact.externalId)?.[1];
    if (number) phones.add(number);
  }
  return [...phones].map((phone) => normalizePhone(phone)).filter((phone): phone is string => Boolean(phone));
}

export async function describeSubjects(store: Store, contacts: Contact[]): Promise<SubjectSummary[]> {
  const summaries: SubjectSummary[] = [];
  for (const contact of contacts) {
    const data = await store.privacy.exportContact(contact.id);
    if (data) summaries.push(summarise(data));
  }
  return summaries;
}

/** The erasure confirmation: the word HAPUS, or one of the citizen's phone numbers in any spelling. */
export function confirmsErasure(summary: Pick<SubjectSummary, 'phones'>, typed: string): boolean {
  const text = typed.trim();
  if (text.toUpperCase() === 'HAPUS') return true;
  const phone = normalizePhone(text);
  return phone !== undefined && summary.phones.includes(phone);
}

const FROM: Record<string, string> = { citizen: 'warga', bot: 'bot', agent: 'petugas', system: 'sistem' };
const actorName = (actor: string) => (actor === 'citizen' || actor === 'bot' || actor === 'system' ? FROM[actor]! : 'petugas');
const files = (list: Attachment[] | undefined) =>
  (list ?? []).map((a) => ({ kind: a.kind, fileName: a.fileName ?? null, mimeType: a.mimeType ?? null, size: a.size ?? null }));

/**
 * The citizen's copy of their data: every conversation with its messages,
 * their complaints with their history, ratings, agents' notes on their
 * conversations, and what files they sent (names, types, sizes; the files
 * themselves can be sent separately from the inbox). Staff are named by
 * role only; the engine's internal state (flow data, delivery attempts) is
 * left out.
 */
export function exportDocument(data: ContactData, options: { office?: Pick<OfficeProfile, 'name'> | null; now?: Date } = {}) {
  const { contact } = data;
  const ticketNumbers = new Map(data.tickets.map((t) => [t.id, t.number]));
  return {
    format: 'siratu-data-warga/1',
    generatedAt: (options.now ?? new Date()).toISOString(),
    controller: options.office?.name ?? null,
    about:
      'Salinan data pribadi Anda yang disimpan layanan chat ini (UU 27/2022 tentang Pelindungan Data Pribadi): ' +
      'identitas di kanal chat, percakapan, pengaduan beserta riwayatnya, penilaian, catatan petugas, dan daftar berkas yang Anda kirim.',
    contact: {
      channel: contact.channel,
      channelId: contact.externalId,
      name: contact.name ?? null,
      phone: contact.phone ?? null,
      firstContact: contact.createdAt.toISOString(),
      lastSeen: contact.lastSeenAt.toISOString(),
    },
    conversations: data.conversations.map((c) => ({
      id: c.id,
      channel: c.channel,
      state: c.state,
      startedAt: c.createdAt.toISOString(),
      lastMessageAt: c.lastMessageAt.toISOString(),
      closedAt: c.closedAt?.toISOString() ?? null,
      handoffRequestedAt: c.handoffRequestedAt?.toISOString() ?? null,
      labels: c.labels,
      messages: data.messages
        .filter((m) => m.conversationId === c.id)
        .map((m) => ({ at: m.createdAt.toISOString(), from: FROM[m.author] ?? m.author, text: m.text, attachments: files(m.attachments) })),
    })),
    tickets: data.tickets.map((t) => ({
      number: t.number,
      category: t.category,
      status: t.status,
      priority: t.priority,
      description: t.description,
      kecamatan: t.kecamatan ?? null,
      kelurahan: t.kelurahan ?? null,
      reporterName: t.reporterName ?? null,
      reporterPhone: t.reporterPhone ?? null,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
      attachments: files(t.attachments),
      history: t.events.map((e) => ({ at: e.at.toISOString(), by: actorName(e.actor), type: e.type, from: e.from ?? null, to: e.to ?? null, note: e.note ?? null })),
    })),
    ratings: data.ratings.map((r) => ({ conversationId: r.conversationId, ticket: r.ticketId ? (ticketNumbers.get(r.ticketId) ?? null) : null, score: r.score, at: r.createdAt.toISOString() })),
    notes: data.notes.map((n) => ({ conversationId: n.conversationId, at: n.createdAt.toISOString(), text: n.text })),
  };
}

/** `data-warga-whatsapp-2026-05-03.json`: never the number itself (file names end up in download folders and logs). */
export function exportFileName(contact: Pick<Contact, 'channel'>, now = new Date()): string {
  return `data-warga-${contact.channel}-${now.toISOString().slice(0, 10)}.json`;
}

export interface RequestContext {
  /** The admin acting (audit log). */
  actorId: string;
  log?: Log;
  now?: Date;
}

const countsText = (c: Pick<AnonymisationCounts, 'conversations' | 'messages' | 'tickets' | 'files'>) =>
  `${c.conversations} percakapan, ${c.messages} pesan, ${c.tickets} pengaduan, ${c.files} berkas`;

/** The citizen's data as a JSON download; the export is written to the audit log. Null when there is no such contact. */
export async function exportSubject(store: Store, contactId: string, context: RequestContext): Promise<{ fileName: string; json: string } | null> {
  const data = await store.privacy.exportContact(contactId);
  if (!data) return null;
  const now = context.now ?? new Date();
  const office = await store.settings.get<OfficeProfile>(OFFICE_SETTING);
  const document = exportDocument(data, { office, now });
  const summary = summarise(data);
  await store.audit.add({
    actorId: context.actorId,
    action: 'privacy.export',
    target: contactId,
    summary: maskPersonalData(
      `Data warga diunduh (permintaan akses): ${maskIdentity(data.contact)}; ` +
        countsText({ ...summary.counts, files: summary.counts.attachments }),
    ),
  });
  context.log?.info({ contact: contactId, by: context.actorId }, 'privacy: a citizen’s data was exported');
  return { fileName: exportFileName(data.contact, now), json: `${JSON.stringify(document, null, 2)}\n` };
}

export type EraseOutcome =
  | { status: 'erased'; counts: AnonymisationCounts }
  | { status: 'unconfirmed' }
  | { status: 'blocked'; openTickets: string[]; withAgent: boolean }
  | { status: 'missing' };

/**
 * Erases the citizen's data on request (anonymised as the retention job does,
 * at once): refused until the confirmation is typed, and while complaints are
 * still being handled or an agent is in the conversation.
 */
export async function eraseSubject(store: Store, contactId: string, confirmation: string, context: RequestContext): Promise<EraseOutcome> {
  const data = await store.privacy.exportContact(contactId);
  if (!data) return { status: 'missing' };
  const summary = summarise(data);
  if (!confirmsErasure(summary, confirmation)) return { status: 'unconfirmed' };
  const result = await store.privacy.eraseContact(contactId, context.now);
  if (result.status === 'missing') return result;
  if (result.status === 'blocked') {
    return { status: 'blocked', openTickets: result.openTickets.map((t) => t.number), withAgent: result.activeConversations.length > 0 };
  }
  const { status: _status, ...counts } = result;
  const numbers = data.tickets.map((t) => t.number);
  await store.audit.add({
    actorId: context.actorId,
    action: 'privacy.erase',
    target: contactId,
    summary: maskPersonalData(
      `Data warga dihapus atas permintaan: ${maskIdentity(data.contact)}; ${countsText(counts)}` +
        (numbers.length ? ` (${numbers.join(', ')}, disimpan tanpa data pribadi)` : ''),
    ),
  });
  context.log?.info({ contact: contactId, by: context.actorId, ...counts }, 'privacy: a citizen’s data was erased on request');
  return { status: 'erased', counts };
}
