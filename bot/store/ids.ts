/**
 * How records get their identity and first shape: ids, ticket numbers and the
 * initial fields of new records. Both store engines build records here, so
 * SQLite and MongoDB hand out exactly the same objects and only differ in how
 * they persist them.
 */
import { monotonicFactory } from 'ulid';
import type {
  Contact,
  Conversation,
  DeliveryState,
  Job,
  Message,
  NewJob,
  NewMessage,
  NewTicket,
  NewUser,
  Ticket,
  TicketEvent,
  TicketStatus,
  User,
} from './types.js';

const nextUlid = monotonicFactory();

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
    createdAt: now,
    updatedAt: now,
  };
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
