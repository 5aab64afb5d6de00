/**
 * How records get their identity and first shape: ids, ticket numbers and the
 * initial fields of new records. Both store engines build records here, so
 * SQLite and MongoDB hand out exactly the same objects and only differ in how
 * they persist them.
 */
import { monotonicFactory } from 'ulid';
import type { Contact, Conversation, Message, NewMessage, NewTicket, Ticket, TicketEvent, TicketStatus } from './types.js';

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
