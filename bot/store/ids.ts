/**
 * How records get their identity and first shape: ids, ticket numbers and the
 * initial fields of new records. Both store engines build records here, so
 * SQLite and MongoDB hand out exactly the same objects and only differ in how
 * they persist them.
 */
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { ChannelName } from '../types.js';
import type {
  AuditEvent,
  CannedResponse,
  Contact,
  Conversation,
  DeliveryState,
  Draft,
  Job,
  Message,
  NewJob,
  NewMessage,
  NewTicket,
  NewUser,
  Note,
  Rating,
  Ticket,
  TicketEvent,
  TicketStatus,
  UnansweredGroup,
  User,
} from './types.js';

/**
 * Cryptographic randomness for ULIDs, drawn from a pool: ulid's own source asks
 * the OS for one byte per character, a measurable share of a chat turn's CPU.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function pooledRandom(): number {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 0x100;
}

const nextUlid = monotonicFactory(pooledRandom);

/**
 * A new ULID. Monotonic within the process, so sorting ids sorts records by
 * creation order even when several are made in the same millisecond; the
 * stores rely on this to order messages and tickets by id.
 */
export function newId(): string {
  return nextUlid();
}

/** The year a ticket is numbered in: UTC for now (offices are UTC+7..+9, so only New Year's Eve differs). */
export function ticketYear(createdAt: Date): number {
  return createdAt.getUTCFullYear();
}

/** `ADU-2026-000042`: the tracking number quoted to citizens. */
export function formatTicketNumber(year: number, seq: number): string {
  return `ADU-${year}-${String(seq).padStart(6, '0')}`;
}

/** Drops keys whose value is undefined, so optional fields are absent (not `undefined`) in both engines. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A contact's new open conversation: the bot talks first. */
export function buildConversation(contact: Contact, now = new Date()): Conversation {
  return {
    id: newId(),
    contactId: contact.id,
    channel: contact.channel,
    externalId: contact.externalId,
    state: 'bot',
    flow: null,
    memory: {},
    assigneeId: null,
    assignedAt: null,
    handoffRequestedAt: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
    lastMessageAt: now,
    version: 1,
    lastTurn: null,
    labels: [],
    lastInboundAt: null,
  };
}

export function buildMessage(input: NewMessage): Message {
  return compact({ ...input, id: input.id ?? newId(), createdAt: input.createdAt ?? new Date() });
}

/** A new ticket with sequence number `seq` of its year; its history starts with the citizen filing it. */
export function buildTicket(input: NewTicket, seq: number, id = newId()): Ticket {
  const createdAt = input.createdAt ?? new Date();
  const year = ticketYear(createdAt);
  return compact({
    id,
    number: formatTicketNumber(year, seq),
    year,
    seq,
    contactId: input.contactId,
    conversationId: input.conversationId,
    channel: input.channel,
    category: input.category,
    description: input.description,
    kecamatan: input.kecamatan,
    kelurahan: input.kelurahan,
    reporterName: input.reporterName,
    reporterPhone: input.reporterPhone,
    attachments: input.attachments ?? [],
    status: 'baru' as const,
    priority: input.priority ?? 'normal',
    assigneeId: null,
    sourceMessageId: input.sourceMessageId,
    dueAt: input.dueAt ?? null,
    escalatedAt: null,
    events: [{ at: createdAt, actor: 'citizen', type: 'created' as const }],
    createdAt,
    updatedAt: createdAt,
  });
}

/**
 * The event appended by a ticket update. When the patch changes the status,
 * `from`/`to` come from the stored status, not from the caller, so the
 * history stays true even if two agents act at once.
 */
export function ticketEvent(
  event: Omit<TicketEvent, 'at'> & { at?: Date },
  now: Date,
  status?: { from: TicketStatus; to: TicketStatus },
): TicketEvent {
  return compact({ ...event, at: event.at ?? now, ...(status ?? {}) });
}

/** Defaults of a new job (the queue layer passes its own; these keep a bare `add` sensible). */
export function buildJob<T>(input: NewJob<T>, now = new Date()): Job<T> {
  return {
    id: input.id ?? newId(),
    queue: input.queue,
    data: input.data,
    status: 'waiting',
    attempts: 0,
    maxAttempts: input.maxAttempts ?? 5,
    backoffMs: input.backoffMs ?? 1000,
    runAt: input.runAt ?? now,
    leaseUntil: null,
    token: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** Usernames are compared case-insensitively: stored and looked up in lower case. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

export function buildUser(input: NewUser, now = new Date()): User {
  return {
    id: newId(),
    username: normalizeUsername(input.username),
    displayName: input.displayName,
    role: input.role,
    passwordHash: input.passwordHash,
    totpSecret: null,
    disabled: false,
    failedLogins: 0,
    lockedUntil: null,
    lastLoginAt: null,
    capacity: checkCapacity(input.capacity ?? DEFAULT_CAPACITY),
    createdAt: now,
    updatedAt: now,
  };
}

/** Conversations an agent takes at once unless an admin sets otherwise. */
export const DEFAULT_CAPACITY = 5;

/** A capacity is a whole number ≥ 0 (0: auto-assignment never picks the agent). */
export function checkCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a whole number ≥ 0, not ${capacity}`);
  return capacity;
}

/** A delivery state read back from JSON (SQLite) or a document (MongoDB): dates as Dates, absent optionals absent. */
export function reviveDelivery(value: DeliveryState | undefined | null): DeliveryState | undefined {
  if (!value) return undefined;
  return compact({
    status: value.status,
    attempts: value.attempts,
    sentParts: value.sentParts,
    platformMessageIds: [...value.platformMessageIds],
    lastError: value.lastError ?? undefined,
    sentAt: value.sentAt ? new Date(value.sentAt) : undefined,
    updatedAt: new Date(value.updatedAt),
  });
}

/** Ticket statuses in which a ticket is still being worked on (not `selesai`/`ditutup`): only these can be overdue. */
export const OPEN_TICKET_STATUSES: readonly TicketStatus[] = ['baru', 'diproses', 'menunggu_warga'];

/** How many results a search returns when the caller gives no limit. */
export const DEFAULT_SEARCH_LIMIT = 50;

/** One label as stored: trimmed, lower case, inner whitespace collapsed (`" Mendesak "` → `mendesak`). */
export function normalizeLabel(label: string): string {
  return label.trim().toLowerCase().replace(/\s+/gu, ' ');
}

/** Labels as stored: normalised, empty ones dropped, each once, in the order given. */
export function normalizeLabels(labels: readonly string[]): string[] {
  return [...new Set(labels.map(normalizeLabel).filter((label) => label !== ''))];
}

/*
 * Phone numbers. Citizens write them as 0812-3456-7890, +62 812 3456 7890 or
 * 6281234567890; WhatsApp ids carry the number as 6281234567890@s.whatsapp.net.
 * To compare them, the stores keep each contact's numbers in one canonical
 * form: digits only, with the Indonesian trunk prefix 0 replaced by the
 * country code 62 (0812… → 62812…). A search for digits matches a contact
 * whose canonical number contains them, or, when they start with 0, contains
 * them with that 0 replaced by 62: "0812345" finds 6281234567890; so do
 * "812345", "62812" and "4567" (any fragment). Fewer than 3 digits find nothing.
 */

/** Digits only, leading 0 → 62: the canonical form of an Indonesian number (`0812-345` → `62812345`). */
export function canonicalPhone(text: string): string {
  const digits = text.replace(/\D/gu, '');
  return digits.startsWith('0') ? `62${digits.slice(1)}` : digits;
}

/**
 * The canonical numbers a contact can be found by: the phone it gave and, on
 * WhatsApp, the number in its id (`6281234567890@s.whatsapp.net`, also with a
 * `:device` suffix; `@lid` ids are not numbers). Empty when it has none.
 */
export function contactPhoneKeys(channel: ChannelName, externalId: string, phone?: string | null): string[] {
  const keys: string[] = [];
  if (phone) keys.push(canonicalPhone(phone));
  const wa = channel === 'whatsapp' ? /^(\d+)(?::\d+)?@s\.whatsapp\.net$/u.exec(externalId) : null;
  if (wa) keys.push(canonicalPhone(wa[1]!));
  return [...new Set(keys.filter((key) => key.length > 0))];
}

/** What findByPhone looks for inside the canonical numbers: the digits as given and, if they start with 0, in 62 form. */
export function phoneFragments(digits: string): string[] {
  const raw = digits.replace(/\D/gu, '');
  if (raw.length < 3) return [];
  return [...new Set([raw, canonicalPhone(raw)])];
}

/**
 * The words of an inbox search: split on whitespace, punctuation trimmed from
 * their ends ("hilang," → "hilang"; "ADU-2026-000123" stays whole), each once.
 * A message matches when its text contains every word, anywhere and in any
 * case: "hilang" finds "KEHILANGAN", "4567" finds "081234567890".
 */
export function searchTerms(text: string): string[] {
  const words = text
    .split(/\s+/u)
    .map((word) => word.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, '').toLowerCase())
    .filter((word) => word !== '');
  return [...new Set(words)];
}

export function buildNote(input: Omit<Note, 'id' | 'createdAt'> & { createdAt?: Date }): Note {
  return { id: newId(), conversationId: input.conversationId, authorId: input.authorId, text: input.text, createdAt: input.createdAt ?? new Date() };
}

/** Shortcuts are stored as typed after "/": trimmed, without the slash, lower case (`/Salam` → `salam`). */
export function normalizeShortcut(shortcut: string): string {
  const normalized = shortcut.trim().replace(/^\/+/u, '').toLowerCase();
  if (normalized === '' || /\s/u.test(normalized)) throw new RangeError(`a shortcut is one word, not ${JSON.stringify(shortcut)}`);
  return normalized;
}

export function buildCannedResponse(
  input: Pick<CannedResponse, 'shortcut' | 'title' | 'text' | 'ownerId'>,
  now = new Date(),
): CannedResponse {
  return {
    id: newId(),
    shortcut: normalizeShortcut(input.shortcut),
    title: input.title,
    text: input.text,
    ownerId: input.ownerId ?? null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A rating's score is a whole number from 1 to 5. */
export function buildRating(input: Omit<Rating, 'id' | 'createdAt'> & { createdAt?: Date }): Rating {
  if (!Number.isInteger(input.score) || input.score < 1 || input.score > 5) throw new RangeError(`a rating is 1 to 5, not ${input.score}`);
  return compact({
    id: newId(),
    conversationId: input.conversationId,
    ticketId: input.ticketId,
    agentId: input.agentId,
    score: input.score,
    createdAt: input.createdAt ?? new Date(),
  });
}

/** A draft's statuses, in workflow order (draft → submitted → approved, or sent back: rejected). */
export const DRAFT_STATUSES: readonly Draft['status'][] = ['draft', 'submitted', 'rejected', 'approved'];

export function buildDraft(input: Pick<Draft, 'entryId' | 'baseVersion' | 'entry' | 'authorId'>, now = new Date()): Draft {
  return {
    id: newId(),
    entryId: input.entryId,
    baseVersion: input.baseVersion ?? null,
    entry: input.entry,
    status: 'draft',
    authorId: input.authorId,
    createdAt: now,
    updatedAt: now,
  };
}

export const UNANSWERED_STATUSES: readonly UnansweredGroup['status'][] = ['open', 'resolved', 'ignored'];
export const UNANSWERED_RESOLUTIONS: readonly NonNullable<UnansweredGroup['resolution']>['type'][] = ['phrases', 'draft', 'ignored'];

/** A group keeps this many example messages: the latest ones. */
export const MAX_UNANSWERED_SAMPLES = 20;

/** A new open group around its first message. */
export function buildUnansweredGroup(message: { text: string; stems: string[]; at: Date }): UnansweredGroup {
  return {
    id: newId(),
    stems: [...message.stems],
    samples: [message.text],
    count: 1,
    firstSeen: message.at,
    lastSeen: message.at,
    status: 'open',
  };
}

/** The samples after one more message: appended, the oldest dropped beyond MAX_UNANSWERED_SAMPLES. */
export function addSample(samples: readonly string[], text: string): string[] {
  return [...samples, text].slice(-MAX_UNANSWERED_SAMPLES);
}

/** The status a resolution leaves a group in. */
export function resolvedStatus(resolution: NonNullable<UnansweredGroup['resolution']>): UnansweredGroup['status'] {
  return resolution.type === 'ignored' ? 'ignored' : 'resolved';
}

/** A resolution read back from JSON (SQLite) or a document (MongoDB): its date a Date, absent optionals absent. */
export function reviveResolution(value: UnansweredGroup['resolution'] | null | undefined): UnansweredGroup['resolution'] {
  if (!value) return undefined;
  return compact({ type: value.type, entryId: value.entryId ?? undefined, draftId: value.draftId ?? undefined, by: value.by, at: new Date(value.at) });
}

export function buildAuditEvent(input: Omit<AuditEvent, 'id' | 'at'> & { at?: Date }): AuditEvent {
  return { id: newId(), at: input.at ?? new Date(), actorId: input.actorId, action: input.action, target: input.target, summary: input.summary };
}

/*
 * Dashboard days. Numbers are counted per day in the office's IANA time zone
 * (`YYYY-MM-DD`); a range is `from` inclusive, `to` exclusive.
 */

/**
 * The first bot reply of a turn: replies have ids `<inbound id>-NN` (see the
 * dispatcher) and the first is `-01`. Counting only these counts turns, so the
 * fallback rate is fallbacks ÷ turns. Bot messages outside turns (notices, a
 * hand-back menu) have plain ids and are not counted.
 */
export const FIRST_REPLY_SUFFIX = '-01';

const dayKeys = new Map<string, (at: number | Date) => string>();

/**
 * The calendar day (`YYYY-MM-DD`) of an instant in a time zone, from the
 * platform's time-zone data (Intl), so any zone is right, DST included.
 * Throws a RangeError for an unknown zone.
 */
export function dayKeyIn(timeZone: string): (at: number | Date) => string {
  let key = dayKeys.get(timeZone);
  if (key) return key;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  key = (at) => {
    // format() is ~3× faster than formatToParts(); its en-US shape is MM/DD/YYYY, checked, with formatToParts as the fallback.
    const match = /^(\d{2})\/(\d{2})\/(\d{4})$/u.exec(format.format(at));
    if (match) return `${match[3]}-${match[1]}-${match[2]}`;
    const parts = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
    return `${String(parts.year).padStart(4, '0')}-${parts.month}-${parts.day}`;
  };
  dayKeys.set(timeZone, key);
  return key;
}

/** Checks a stats range's time zone (both engines reject an unknown zone the same way: RangeError). */
export function checkTimeZone(timeZone: string): string {
  dayKeyIn(timeZone);
  return timeZone;
}

/**
 * Personal-data protection (issue 6, UU 27/2022). What anonymised records
 * read, identically in both engines: texts are replaced, never emptied, so
 * an agent reading an old conversation sees why it is blank.
 */
export const RETENTION_TEXT = '[dihapus sesuai retensi]';
/** The replacement text when a citizen asked for their data to be erased. */
export const ERASURE_TEXT = '[dihapus atas permintaan warga]';

/** A pseudonymised contact's channel id: unique (the contact's own id), and no longer the citizen's. */
export function pseudonymFor(contactId: string): string {
  return `anon:${contactId}`;
}

/** Whether a contact's channel id is a pseudonym (its data was anonymised or erased). */
export function isPseudonym(externalId: string): boolean {
  return externalId.startsWith('anon:');
}

/**
 * A ticket's history with the free-text notes dropped (they may name people, quote
 * numbers or list file names): who did what, when, and each status change remain,
 * so resolution times still count.
 */
export function withoutNotes<E extends { note?: string }>(events: readonly E[]): Omit<E, 'note'>[] {
  return events.map(({ note: _note, ...rest }) => rest);
}

/** The storage keys of the files behind some attachment lists, each once. */
export function attachmentKeys(lists: readonly (readonly { key: string }[] | null | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => (list ?? []).map((attachment) => attachment.key)))];
}

/** The spellings a phone number given at filing may be stored in (the complaint flow stores 08…). */
export function phoneSpellings(text: string): string[] {
  const canonical = canonicalPhone(text);
  if (!canonical.startsWith('62') || canonical.length < 9) return [];
  return [`0${canonical.slice(2)}`, canonical, `+${canonical}`];
}
