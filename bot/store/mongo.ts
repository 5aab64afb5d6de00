/**
 * The MongoDB engine (mongoose on its own connection). The guarantees of the
 * Store contract come from unique and partial indexes plus single-document
 * atomic writes, so they hold on a standalone server too (no transactions):
 * - one open conversation per contact: `openKey` (= contactId while open, unset
 *   when closed) under a unique partial index;
 * - inbound dedupe: unique partial index on (channel, platformMessageId);
 * - a turn's replies travel inside the conversation's atomic update
 *   (`lastTurn`), so a crash between the update and storing them is finished
 *   later, not lost;
 * - ticket numbers and entry versions: "last + 1" inserted under a unique
 *   index and retried on a duplicate key. Unlike a `$inc` counter followed by
 *   an insert, a failed or raced insert cannot burn a number, so there are
 *   never gaps (tickets are never deleted, so numbers are never reused).
 * Fields added after the first release are filled in on existing documents by
 * `migrate()` when the store opens (and defaulted when read, for the moments
 * before it has run).
 */
import mongoose, { Schema, type Connection, type PipelineStage } from 'mongoose';
import { CHANNELS } from '../types.js';
import type { Entry } from '../../knowledge/schema.js';
import { randomUUID } from 'node:crypto';
import {
  buildAuditEvent,
  buildCannedResponse,
  buildConversation,
  buildDraft,
  buildJob,
  buildMessage,
  buildNote,
  buildRating,
  buildTicket,
  buildUnansweredGroup,
  buildUser,
  checkCapacity,
  checkTimeZone,
  compact,
  contactPhoneKeys,
  DEFAULT_CAPACITY,
  DEFAULT_SEARCH_LIMIT,
  attachmentKeys,
  DRAFT_STATUSES,
  ERASURE_TEXT,
  FIRST_REPLY_SUFFIX,
  MAX_UNANSWERED_SAMPLES,
  newId,
  normalizeLabel,
  normalizeLabels,
  normalizeShortcut,
  normalizeUsername,
  OPEN_TICKET_STATUSES,
  phoneFragments,
  phoneSpellings,
  pseudonymFor,
  resolvedStatus,
  RETENTION_TEXT,
  reviveDelivery,
  reviveResolution,
  searchTerms,
  ticketEvent,
  ticketYear,
  UNANSWERED_RESOLUTIONS,
  UNANSWERED_STATUSES,
  withoutNotes,
} from './ids.js';
import {
  DuplicateError,
  ROLES,
  TICKET_STATUSES,
  type AnonymisationCounts,
  type AuditEvent,
  type AuditRepository,
  type Draft,
  type DraftRepository,
  type StatsRange,
  type UnansweredGroup,
  type CannedResponse,
  type Contact,
  type Conversation,
  type ConversationRepository,
  type EntryVersion,
  type Job,
  type Message,
  type Note,
  type Rating,
  type Session,
  type Store,
  type Ticket,
  type TicketRepository,
  type TicketStatus,
  type User,
} from './types.js';

/** A record as stored: the interface's `id` is the document `_id` (a ULID string, so `_id` order is creation order). */
type Doc<T extends { id: string }> = Omit<T, 'id'> & { _id: string };
/** `phoneKeys`: the contact's canonical numbers (see contactPhoneKeys), what findByPhone searches. */
type ContactDoc = Doc<Contact> & { phoneKeys?: string[]; anonymisedAt?: Date };
/** `lastHandoffAt`: the latest handoff request, kept when a hand-back clears `handoffRequestedAt` (first-response times). */
type ConversationDoc = Doc<Conversation> & { openKey?: string; lastHandoffAt?: Date; anonymisedAt?: Date };
type MessageDoc = Doc<Message>;
/** `resolvedAt`/`resolvedDueAt`: the latest change to `selesai` and the deadline in force just before it (resolutions). */
type TicketDoc = Doc<Ticket> & { resolvedAt?: Date; resolvedDueAt?: Date | null; anonymisedAt?: Date };
interface CounterDoc {
  _id: string;
  value: number;
}
interface SettingDoc {
  _id: string;
  value: unknown;
}
type JobDoc = Doc<Job>;
interface KeyValueDoc {
  namespace: string;
  key: string;
  value: string;
}
type UserDoc = Doc<User>;
type SessionDoc = Doc<Session>;
type NoteDoc = Doc<Note>;
type CannedResponseDoc = Doc<CannedResponse>;
interface ReadMarkerDoc {
  userId: string;
  conversationId: string;
  messageId: string;
  updatedAt: Date;
}
type RatingDoc = Doc<Rating>;
type DraftDoc = Doc<Draft>;
type UnansweredGroupDoc = Doc<UnansweredGroup>;
type AuditEventDoc = Doc<AuditEvent>;

const options = { versionKey: false, minimize: false } as const;
const channel = { type: String, enum: CHANNELS, required: true };
const nullableDate = { type: Date, default: null };
const nullableString = { type: String, default: null };

const attachmentSchema = new Schema(
  {
    kind: { type: String, enum: ['image', 'document', 'audio', 'video', 'other'], required: true },
    key: { type: String, required: true },
    fileName: String,
    mimeType: String,
    size: Number,
  },
  { _id: false },
);

const contact = new Schema<ContactDoc>(
  {
    _id: { type: String, required: true },
    channel,
    externalId: { type: String, required: true },
    name: String,
    phone: String,
    phoneKeys: { type: [String], default: undefined },
    createdAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    // When its data was anonymised (retention) or erased on request (issue 6).
    anonymisedAt: Date,
  },
  { ...options, collection: 'contacts' },
);
contact.index({ channel: 1, externalId: 1 }, { unique: true });
// findByPhone: an unanchored regex runs over these index keys (short strings), not over the documents.
contact.index({ phoneKeys: 1 });

const conversation = new Schema<ConversationDoc>(
  {
    _id: { type: String, required: true },
    contactId: { type: String, required: true },
    channel,
    externalId: { type: String, required: true },
    state: { type: String, enum: ['bot', 'waiting', 'agent', 'closed'], required: true },
    flow: { type: Schema.Types.Mixed, default: null },
    memory: { type: Schema.Types.Mixed, default: () => ({}) },
    assigneeId: nullableString,
    assignedAt: nullableDate,
    handoffRequestedAt: nullableDate,
    closedAt: nullableDate,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    lastMessageAt: { type: Date, required: true },
    version: { type: Number, required: true, min: 1 },
    lastTurn: { type: Schema.Types.Mixed, default: null },
    labels: { type: [String], default: () => [] },
    lastInboundAt: nullableDate,
    openKey: String,
    lastHandoffAt: Date,
    anonymisedAt: Date,
  },
  { ...options, collection: 'conversations' },
);
conversation.index({ openKey: 1 }, { unique: true, partialFilterExpression: { openKey: { $exists: true } } });
conversation.index({ contactId: 1 });
conversation.index({ state: 1, _id: 1 });
// The inbox views by state, latest activity first.
conversation.index({ state: 1, lastMessageAt: -1 });
// countByAssignee and "mine" (supersedes the former { assigneeId: 1 }, which a deployment may still have).
conversation.index({ assigneeId: 1, state: 1 });
// Multikey: one key per label.
conversation.index({ labels: 1, lastMessageAt: -1 });
// Dashboard: conversations started in a range (per day and channel); handoffs requested in a range.
conversation.index({ createdAt: 1, channel: 1 });
conversation.index({ lastHandoffAt: 1 });
// The retention job: conversations not yet anonymised (missing, indexed as null), least recently active first.
conversation.index({ anonymisedAt: 1, lastMessageAt: 1 });

const message = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    conversationId: { type: String, required: true },
    contactId: { type: String, required: true },
    channel,
    direction: { type: String, enum: ['in', 'out'], required: true },
    author: { type: String, enum: ['citizen', 'bot', 'agent', 'system'], required: true },
    authorId: String,
    // Not `required`: mongoose rejects '' for required strings, and an attachment-only message has empty text.
    text: { type: String, default: '' },
    kind: String,
    options: { type: [new Schema({ label: String, value: String }, { _id: false })], default: undefined },
    attachments: { type: [attachmentSchema], default: undefined },
    entry: String,
    confidence: Number,
    platformMessageId: String,
    replyTo: String,
    handledAt: Date,
    unreadable: { type: String, enum: ['voice', 'video', 'location', 'sticker', 'contact', 'fileType', 'fileTooLarge', 'downloadFailed', 'other'] },
    late: Boolean,
    delivery: {
      type: new Schema(
        {
          status: { type: String, enum: ['pending', 'sent', 'failed'], required: true },
          attempts: { type: Number, required: true, min: 0 },
          sentParts: { type: Number, required: true, min: 0 },
          platformMessageIds: { type: [String], default: () => [] },
          lastError: String,
          sentAt: Date,
          updatedAt: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
    createdAt: { type: Date, required: true },
  },
  { ...options, collection: 'messages' },
);
message.index(
  { channel: 1, platformMessageId: 1 },
  { unique: true, partialFilterExpression: { direction: 'in', platformMessageId: { $exists: true } } },
);
message.index({ conversationId: 1, _id: 1 });
message.index({ contactId: 1, _id: 1 });
// countInboundAfter: a count over index keys only.
message.index({ conversationId: 1, direction: 1, _id: 1 });
message.index({ direction: 1, handledAt: 1, _id: 1 });
// The admins' list of failed deliveries; only outbound messages on pushing channels have the field.
message.index({ 'delivery.status': 1, _id: -1 }, { partialFilterExpression: { 'delivery.status': { $exists: true } } });
// Dashboard: the bot's replies in a range (turns, answers per entry); an agent's first message after a handoff.
message.index({ author: 1, createdAt: 1 });
message.index({ conversationId: 1, author: 1, createdAt: 1 });

const ticketEventSchema = new Schema(
  {
    at: { type: Date, required: true },
    actor: { type: String, required: true },
    type: { type: String, enum: ['created', 'status', 'note', 'assigned', 'attachment', 'updated'], required: true },
    from: String,
    to: String,
    note: String,
  },
  { _id: false },
);

const ticket = new Schema<TicketDoc>(
  {
    _id: { type: String, required: true },
    number: { type: String, required: true, match: /^ADU-\d{4}-\d{6}$/ },
    year: { type: Number, required: true },
    seq: { type: Number, required: true, min: 1 },
    contactId: { type: String, required: true },
    conversationId: { type: String, required: true },
    channel,
    category: { type: String, required: true },
    description: { type: String, required: true },
    kecamatan: String,
    kelurahan: String,
    reporterName: String,
    reporterPhone: String,
    attachments: { type: [attachmentSchema], default: () => [] },
    status: { type: String, enum: TICKET_STATUSES, required: true },
    priority: { type: String, enum: ['rendah', 'normal', 'tinggi'], required: true },
    assigneeId: nullableString,
    sourceMessageId: String,
    dueAt: nullableDate,
    escalatedAt: nullableDate,
    events: { type: [ticketEventSchema], default: () => [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    resolvedAt: Date,
    resolvedDueAt: Date,
    anonymisedAt: Date,
  },
  { ...options, collection: 'tickets' },
);
ticket.index({ number: 1 }, { unique: true });
ticket.index({ year: 1, seq: 1 }, { unique: true });
ticket.index({ sourceMessageId: 1 }, { unique: true, partialFilterExpression: { sourceMessageId: { $type: 'string' } } });
ticket.index({ status: 1, _id: -1 });
ticket.index({ contactId: 1, _id: -1 });
ticket.index({ conversationId: 1, _id: -1 });
ticket.index({ assigneeId: 1, _id: -1 });
// Overdue tickets: not escalated (null) and due before a time. Not a partial index: a filter on
// null or on a list of statuses is not accepted by every server version; the status is checked
// on the few documents the range finds.
ticket.index({ escalatedAt: 1, dueAt: 1 });
// Dashboard: tickets created in a range; tickets resolved in a range (only resolved ones have the field).
ticket.index({ createdAt: 1 });
ticket.index({ resolvedAt: 1 }, { partialFilterExpression: { resolvedAt: { $exists: true } } });

const entryVersion = new Schema<EntryVersion>(
  {
    entryId: { type: String, required: true },
    version: { type: Number, required: true, min: 1 },
    entry: { type: Schema.Types.Mixed, required: true },
    by: { type: String, required: true },
    note: String,
    withdrawn: Boolean,
    at: { type: Date, required: true },
  },
  { ...options, collection: 'entry_versions' },
);
entryVersion.index({ entryId: 1, version: -1 }, { unique: true });

/** Named counters; today only 'knowledge:revision'. */
const counter = new Schema<CounterDoc>(
  { _id: { type: String, required: true }, value: { type: Number, required: true } },
  { ...options, collection: 'counters' },
);

const setting = new Schema<SettingDoc>(
  { _id: { type: String, required: true }, value: Schema.Types.Mixed },
  { ...options, collection: 'settings' },
);

const job = new Schema<JobDoc>(
  {
    _id: { type: String, required: true },
    queue: { type: String, required: true },
    data: Schema.Types.Mixed,
    status: { type: String, enum: ['waiting', 'active', 'completed', 'failed'], required: true },
    attempts: { type: Number, required: true, min: 0 },
    maxAttempts: { type: Number, required: true, min: 1 },
    backoffMs: { type: Number, required: true, min: 0 },
    runAt: { type: Date, required: true },
    leaseUntil: nullableDate,
    token: nullableString,
    lastError: String,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    finishedAt: Date,
  },
  { ...options, collection: 'jobs' },
);
// What claim() looks for: due waiting jobs and expired leases, per queue.
job.index({ queue: 1, status: 1, runAt: 1 });
job.index({ queue: 1, status: 1, leaseUntil: 1 });
job.index({ queue: 1, createdAt: -1 });

const keyValue = new Schema<KeyValueDoc>(
  { namespace: { type: String, required: true }, key: { type: String, required: true }, value: { type: String, required: true } },
  { ...options, collection: 'key_values' },
);
keyValue.index({ namespace: 1, key: 1 }, { unique: true });

const user = new Schema<UserDoc>(
  {
    _id: { type: String, required: true },
    username: { type: String, required: true, lowercase: true },
    displayName: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true },
    passwordHash: { type: String, required: true },
    totpSecret: nullableString,
    disabled: { type: Boolean, required: true },
    failedLogins: { type: Number, required: true, min: 0 },
    lockedUntil: nullableDate,
    lastLoginAt: nullableDate,
    capacity: { type: Number, required: true, min: 0, default: DEFAULT_CAPACITY, validate: { validator: Number.isInteger, message: 'capacity must be a whole number' } },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'users' },
);
user.index({ username: 1 }, { unique: true });

const session = new Schema<SessionDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    csrfToken: { type: String, required: true },
    pendingTotp: { type: Boolean, required: true },
    createdAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { ...options, collection: 'sessions' },
);
session.index({ userId: 1 });
// MongoDB deletes expired sessions by itself (the auth layer still checks expiresAt: the TTL monitor runs once a minute).
session.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

const note = new Schema<NoteDoc>(
  {
    _id: { type: String, required: true },
    conversationId: { type: String, required: true },
    authorId: { type: String, required: true },
    text: { type: String, default: '' }, // not `required`, which rejects '' (SQLite takes it)
    createdAt: { type: Date, required: true },
  },
  { ...options, collection: 'notes' },
);
note.index({ conversationId: 1, _id: 1 });

const cannedResponse = new Schema<CannedResponseDoc>(
  {
    _id: { type: String, required: true },
    shortcut: { type: String, required: true, lowercase: true, match: /^\S+$/u },
    title: { type: String, default: '' }, // not `required`, which rejects '' (SQLite takes it)
    text: { type: String, default: '' },
    ownerId: nullableString,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'canned_responses' },
);
// A shortcut is unique per owner; the shared set is the owner null (null is indexed like any value).
cannedResponse.index({ ownerId: 1, shortcut: 1 }, { unique: true });

const readMarker = new Schema<ReadMarkerDoc>(
  {
    userId: { type: String, required: true },
    conversationId: { type: String, required: true },
    messageId: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'read_markers' },
);
readMarker.index({ userId: 1, conversationId: 1 }, { unique: true });

const rating = new Schema<RatingDoc>(
  {
    _id: { type: String, required: true },
    conversationId: { type: String, required: true },
    ticketId: String,
    agentId: String,
    score: { type: Number, required: true, min: 1, max: 5 },
    createdAt: { type: Date, required: true },
  },
  { ...options, collection: 'ratings' },
);
// One rating per conversation and ticket; a missing ticketId is indexed as null, so also one per conversation without a ticket.
rating.index({ conversationId: 1, ticketId: 1 }, { unique: true });
rating.index({ createdAt: -1 });

const draft = new Schema<DraftDoc>(
  {
    _id: { type: String, required: true },
    entryId: { type: String, required: true },
    baseVersion: { type: Number, default: null },
    entry: { type: Schema.Types.Mixed, required: true },
    status: { type: String, enum: DRAFT_STATUSES, required: true },
    authorId: { type: String, required: true },
    reviewComment: String,
    reviewerId: String,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'drafts' },
);
// Lists, newest first: by status (the review queue), by entry, by author.
draft.index({ status: 1, _id: -1 });
draft.index({ entryId: 1, _id: -1 });
draft.index({ authorId: 1, _id: -1 });

const unansweredGroup = new Schema<UnansweredGroupDoc>(
  {
    _id: { type: String, required: true },
    stems: { type: [String], default: () => [] },
    samples: { type: [String], default: () => [] },
    count: { type: Number, required: true, min: 1 },
    firstSeen: { type: Date, required: true },
    lastSeen: { type: Date, required: true },
    status: { type: String, enum: UNANSWERED_STATUSES, required: true },
    resolution: {
      type: new Schema(
        {
          type: { type: String, enum: UNANSWERED_RESOLUTIONS, required: true },
          entryId: String,
          draftId: String,
          by: { type: String, required: true },
          at: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: undefined,
    },
  },
  { ...options, collection: 'unanswered_groups' },
);
// The open list, most often seen first, in index order.
unansweredGroup.index({ status: 1, count: -1, lastSeen: -1, _id: 1 });

const auditEvent = new Schema<AuditEventDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    actorId: { type: String, required: true },
    action: { type: String, required: true },
    target: { type: String, default: '' }, // not `required`, which rejects '' (SQLite takes it)
    summary: { type: String, default: '' },
  },
  { ...options, collection: 'audit_events' },
);
// Newest first, unfiltered or by one filter; keyset paging continues in the same order.
auditEvent.index({ at: -1, _id: -1 });
auditEvent.index({ actorId: 1, at: -1, _id: -1 });
auditEvent.index({ action: 1, at: -1, _id: -1 });
auditEvent.index({ target: 1, at: -1, _id: -1 });

export const schemas = {
  contact,
  conversation,
  message,
  ticket,
  entryVersion,
  counter,
  setting,
  job,
  keyValue,
  user,
  session,
  note,
  cannedResponse,
  readMarker,
  rating,
  draft,
  unansweredGroup,
  auditEvent,
};

/** Compiles the models on a connection (an unopened one is fine for validation and index inspection). */
export function buildModels(connection: Connection) {
  return {
    Contact: connection.model<ContactDoc>('Contact', contact),
    Conversation: connection.model<ConversationDoc>('Conversation', conversation),
    Message: connection.model<MessageDoc>('Message', message),
    Ticket: connection.model<TicketDoc>('Ticket', ticket),
    EntryVersion: connection.model<EntryVersion>('EntryVersion', entryVersion),
    Counter: connection.model<CounterDoc>('Counter', counter),
    Setting: connection.model<SettingDoc>('Setting', setting),
    Job: connection.model<JobDoc>('Job', job),
    KeyValue: connection.model<KeyValueDoc>('KeyValue', keyValue),
    User: connection.model<UserDoc>('User', user),
    Session: connection.model<SessionDoc>('Session', session),
    Note: connection.model<NoteDoc>('Note', note),
    CannedResponse: connection.model<CannedResponseDoc>('CannedResponse', cannedResponse),
    ReadMarker: connection.model<ReadMarkerDoc>('ReadMarker', readMarker),
    Rating: connection.model<RatingDoc>('Rating', rating),
    Draft: connection.model<DraftDoc>('Draft', draft),
    UnansweredGroup: connection.model<UnansweredGroupDoc>('UnansweredGroup', unansweredGroup),
    AuditEvent: connection.model<AuditEventDoc>('AuditEvent', auditEvent),
  };
}
export type Models = ReturnType<typeof buildModels>;

/** The engine's own bookkeeping fields, never part of an interface object. */
interface Internal {
  __v?: number;
  openKey?: string;
  phoneKeys?: string[];
  lastHandoffAt?: Date;
  resolvedAt?: Date;
  resolvedDueAt?: Date | null;
  anonymisedAt?: Date;
}

/** Stored document → interface object: `_id` becomes `id`, none of the engine's own fields (Internal), absent optionals stay absent. */
export function fromDoc<T extends { id: string }>(doc: Doc<T> & Internal): T {
  const { _id, __v, openKey, phoneKeys, lastHandoffAt, resolvedAt, resolvedDueAt, anonymisedAt, ...rest } = doc;
  return compact({ ...rest, id: _id }) as unknown as T;
}

/** Escapes a string for a literal match inside a regular expression. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');

/**
 * Inbox search (see searchTerms): what citizens and agents wrote, every word as a case-insensitive substring, so it behaves like
 * SQLite's trigram index ("hilang" finds "kehilangan"). MongoDB's text index cannot do that (it
 * matches whole words and has no Indonesian stemmer), so the query walks messages newest first
 * by _id and stops at the limit; a time limit bounds searches for rare words on large data.
 */
export function messageSearchFilter(text: string): Record<string, unknown> | null {
  const terms = searchTerms(text);
  if (terms.length === 0) return null;
  // Bot replies are knowledge-base text, not searched (as in the SQLite engine).
  return { author: { $ne: 'bot' }, $and: terms.map((term) => ({ text: { $regex: literal(term), $options: 'i' } })) };
}

/** Contacts whose canonical numbers contain the digits (see phoneFragments); digits need no escaping. */
export function contactPhoneFilter(digits: string): Record<string, unknown> | null {
  const fragments = phoneFragments(digits);
  return fragments.length ? { phoneKeys: { $regex: fragments.join('|') } } : null;
}

export function conversationListFilter(filter: Parameters<ConversationRepository['list']>[0]) {
  const query: Record<string, unknown> = compact({ assigneeId: filter.assigneeId, channel: filter.channel });
  if (filter.state) query.state = { $in: filter.state };
  if (filter.label !== undefined) query.labels = normalizeLabel(filter.label);
  if (filter.contactIds) query.contactId = { $in: filter.contactIds };
  const sort: Record<string, 1 | -1> = filter.order === 'recent' ? { lastMessageAt: -1, _id: -1 } : { _id: 1 };
  return { query, sort };
}

export function ticketListFilter(filter: Parameters<TicketRepository['list']>[0]): Record<string, unknown> {
  const query: Record<string, unknown> = compact({ contactId: filter.contactId, conversationId: filter.conversationId, assigneeId: filter.assigneeId });
  let statuses: readonly string[] | undefined = filter.status;
  if (filter.overdueAt !== undefined) {
    query.escalatedAt = null;
    query.dueAt = { $lt: filter.overdueAt };
    statuses = OPEN_TICKET_STATUSES.filter((status) => !statuses || statuses.includes(status));
  }
  if (statuses) query.status = { $in: statuses };
  return query;
}

export function draftListFilter(filter: Parameters<DraftRepository['list']>[0]): Record<string, unknown> {
  const query: Record<string, unknown> = compact({ entryId: filter.entryId, authorId: filter.authorId });
  if (filter.status) query.status = { $in: filter.status };
  return query;
}

/**
 * The audit log's filters; `before` (the event named by beforeId) continues after it in the
 * list's order, newest first by (at, _id): keyset paging, right while events are added.
 */
export function auditListFilter(
  filter: Parameters<AuditRepository['list']>[0],
  before?: { _id: string; at: Date },
): Record<string, unknown> {
  const query: Record<string, unknown> = compact({ actorId: filter.actorId, action: filter.action, target: filter.target });
  const at = compact({ $gte: filter.from, $lt: filter.to });
  if (Object.keys(at).length) query.at = at;
  if (before) query.$or = [{ at: { $lt: before.at } }, { at: before.at, _id: { $lt: before._id } }];
  return query;
}

/** The office's day of a date field (`YYYY-MM-DD` in the range's time zone). */
const dayOf = (field: string, timeZone: string) => ({ $dateToString: { format: '%Y-%m-%d', date: field, timezone: timeZone } });
/** A range: from inclusive, to exclusive. */
const within = (range: StatsRange) => ({ $gte: range.from, $lt: range.to });

/**
 * Dashboard aggregations (see STATS_SQL in sqlite.ts for the same numbers): each starts with a
 * range on an indexed date and counts per day in the office's zone with $dateToString.
 */
export const statsPipelines = {
  /** On conversations. */
  conversationsPerDay: (range: StatsRange) => [
    { $match: { createdAt: within(range) } },
    { $group: { _id: { day: dayOf('$createdAt', range.timeZone), channel: '$channel' }, count: { $sum: 1 } } },
    { $project: { _id: 0, day: '$_id.day', channel: '$_id.channel', count: 1 } },
    { $sort: { day: 1, channel: 1 } },
  ],
  /** On messages: the first bot reply of each turn (id `<inbound id>-01`, see FIRST_REPLY_SUFFIX). */
  repliesPerDay: (range: StatsRange) => [
    { $match: { author: 'bot', createdAt: within(range), _id: { $regex: `${FIRST_REPLY_SUFFIX}$` }, kind: { $type: 'string' } } },
    { $group: { _id: { day: dayOf('$createdAt', range.timeZone), kind: '$kind' }, count: { $sum: 1 } } },
    { $project: { _id: 0, day: '$_id.day', kind: '$_id.kind', count: 1 } },
    { $sort: { day: 1, kind: 1 } },
  ],
  /** On messages: the bot's answers, per entry, most often first. */
  answersPerEntry: (range: StatsRange) => [
    { $match: { author: 'bot', createdAt: within(range), kind: 'answer', entry: { $type: 'string' } } },
    { $group: { _id: '$entry', count: { $sum: 1 } } },
    { $project: { _id: 0, entry: '$_id', count: 1 } },
    { $sort: { count: -1, entry: 1 } },
  ],
  /** On tickets created in the range; no kecamatan counts as '-'. */
  ticketsBy: (range: StatsRange, field: 'status' | 'category' | 'kecamatan') => [
    { $match: { createdAt: within(range) } },
    { $group: { _id: field === 'kecamatan' ? { $ifNull: ['$kecamatan', '-'] } : `$${field}`, count: { $sum: 1 } } },
    { $project: { _id: 0, key: '$_id', count: 1 } },
    { $sort: { key: 1 } },
  ],
  /** On conversations: the first agent message at or after the latest handoff request (kept through a hand-back). */
  firstResponses: (range: StatsRange, messages = 'messages') => [
    { $match: { lastHandoffAt: within(range) } },
    {
      $lookup: {
        from: messages,
        let: { conversationId: '$_id', requestedAt: '$lastHandoffAt' },
        pipeline: [
          { $match: { author: 'agent', $expr: { $and: [{ $eq: ['$conversationId', '$$conversationId'] }, { $gte: ['$createdAt', '$$requestedAt'] }] } } },
          { $sort: { createdAt: 1 } },
          { $limit: 1 },
          { $project: { _id: 0, createdAt: 1 } },
        ],
        as: 'response',
      },
    },
    { $unwind: '$response' },
    { $sort: { lastHandoffAt: 1, _id: 1 } },
    { $project: { _id: 0, requestedAt: '$lastHandoffAt', respondedAt: '$response.createdAt' } },
  ],
};

/**
 * The retention job's batch (issue 6; see PRIVACY_SQL in sqlite.ts for the same question): conversations
 * not yet anonymised that ended before the cutoff (closed then, or left with the bot and idle since),
 * without a ticket still open or changed since, least recently active first. On conversations.
 */
export function retentionPipeline(cutoff: Date, limit: number, tickets = 'tickets') {
  return [
    {
      $match: {
        anonymisedAt: null,
        lastMessageAt: { $lt: cutoff },
        state: { $in: ['closed', 'bot'] },
        $or: [{ closedAt: null }, { closedAt: { $lt: cutoff } }],
      },
    },
    { $sort: { lastMessageAt: 1 } },
    {
      $lookup: {
        from: tickets,
        let: { conversationId: '$_id' },
        pipeline: [
          { $match: { $expr: { $eq: ['$conversationId', '$$conversationId'] } } },
          { $match: { $or: [{ status: { $in: [...OPEN_TICKET_STATUSES] } }, { updatedAt: { $gte: cutoff } }] } },
          { $limit: 1 },
          { $project: { _id: 1 } },
        ],
        as: 'blocking',
      },
    },
    { $match: { blocking: { $size: 0 } } },
    { $limit: limit },
    { $project: { _id: 1, contactId: 1, state: 1, closedAt: 1, lastMessageAt: 1 } },
  ];
}

/** How an anonymised ticket is written: the dashboard's fields stay, the personal ones go (see withoutNotes). */
export function anonymisedTicketUpdate(ticket: Pick<TicketDoc, 'events'>, text: string, now: Date) {
  return {
    $set: { description: text, attachments: [], events: withoutNotes(ticket.events), anonymisedAt: now },
    $unset: { reporterName: 1, reporterPhone: 1, kelurahan: 1 },
  };
}

/** How an anonymised conversation is written: closed under a pseudonym, without flow data, memory or last turn. */
export function anonymisedConversationUpdate(conversation: Pick<ConversationDoc, 'contactId' | 'closedAt'>, closedAt: Date, now: Date) {
  return {
    $set: {
      memory: {},
      flow: null,
      lastTurn: null,
      externalId: pseudonymFor(conversation.contactId),
      state: 'closed',
      closedAt: conversation.closedAt ?? closedAt,
      updatedAt: now,
      anonymisedAt: now,
    },
    $inc: { version: 1 },
    $unset: { openKey: 1 },
  };
}

/** Schema version of the data, kept in counters as 'schema:version'; migrate() brings older data up to it. */
const SCHEMA_VERSION = 2;

/**
 * Fills in the fields added since the data was written. Every step only touches documents that
 * lack the field, so it is safe to run twice (two instances starting at once) or to resume.
 */
export async function migrate(models: Models): Promise<void> {
  const { Counter, Contact, Conversation, Message, Ticket, User } = models;
  const current = (await Counter.findById('schema:version').lean<CounterDoc>())?.value ?? 0;
  if (current >= SCHEMA_VERSION) return;

  if (current < 1) {
    // Version 1, the agents' inbox (issue 4).
    await Conversation.updateMany({ labels: { $exists: false } }, { $set: { labels: [] } });
    await inBatches(Conversation.find({ lastInboundAt: { $exists: false } }).select('_id').lean<{ _id: string }[]>().cursor(), async (docs) => {
      const operations = await Promise.all(
        docs.map(async (doc) => {
          const last = await Message.findOne({ conversationId: doc._id, direction: 'in' }).sort({ _id: -1 }).select('createdAt').lean<{ createdAt: Date }>();
          // An inbound message stored meanwhile has set the field already ($max): leave it.
          return { updateOne: { filter: { _id: doc._id, lastInboundAt: { $exists: false } }, update: { $set: { lastInboundAt: last?.createdAt ?? null } } } };
        }),
      );
      await Conversation.bulkWrite(operations, { ordered: false });
    });
    await inBatches(
      Contact.find({ phoneKeys: { $exists: false } }).select('channel externalId phone').lean<Pick<ContactDoc, '_id' | 'channel' | 'externalId' | 'phone'>[]>().cursor(),
      async (docs) => {
        const operations = docs.map((doc) => ({
          updateOne: { filter: { _id: doc._id }, update: { $set: { phoneKeys: contactPhoneKeys(doc.channel, doc.externalId, doc.phone) } } },
        }));
        await Contact.bulkWrite(operations, { ordered: false });
      },
    );
    await Ticket.updateMany({ dueAt: { $exists: false } }, { $set: { dueAt: null } });
    await Ticket.updateMany({ escalatedAt: { $exists: false } }, { $set: { escalatedAt: null } });
    await User.updateMany({ capacity: { $exists: false } }, { $set: { capacity: DEFAULT_CAPACITY } });
  }

  if (current < 2) {
    // Version 2, the dashboard (issue 5): the latest handoff request, and when tickets were resolved.
    await Conversation.updateMany(
      { lastHandoffAt: { $exists: false }, handoffRequestedAt: { $type: 'date' } },
      [{ $set: { lastHandoffAt: '$handoffRequestedAt' } }],
      { updatePipeline: true },
    );
    await inBatches(
      Ticket.find({ resolvedAt: { $exists: false }, events: { $elemMatch: { type: 'status', to: 'selesai' } } })
        .select('status dueAt events')
        .lean<Pick<TicketDoc, '_id' | 'status' | 'dueAt' | 'events'>[]>()
        .cursor(),
      async (docs) => {
        const operations = docs.map((doc) => {
          const resolvedAt = new Date(Math.max(...doc.events.filter((e) => e.type === 'status' && e.to === 'selesai').map((e) => new Date(e.at).getTime())));
          // The deadline in force at the time is known only if the ticket is still selesai and kept one.
          const resolvedDueAt = doc.status === 'selesai' ? (doc.dueAt ?? null) : null;
          return { updateOne: { filter: { _id: doc._id, resolvedAt: { $exists: false } }, update: { $set: { resolvedAt, resolvedDueAt } } } };
        });
        await Ticket.bulkWrite(operations, { ordered: false });
      },
    );
  }

  await Counter.updateOne({ _id: 'schema:version' }, { $max: { value: SCHEMA_VERSION } }, { upsert: true }).catch((error) => {
    if (!isDuplicateKey(error)) throw error; // another instance recorded it first
  });
}

/** Feeds a cursor's documents to `work` 500 at a time. */
async function inBatches<T>(cursor: AsyncIterable<T>, work: (docs: T[]) => Promise<void>): Promise<void> {
  let batch: T[] = [];
  for await (const doc of cursor) {
    batch.push(doc);
    if (batch.length === 500) {
      await work(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await work(batch);
}

/** Interface object → document to insert. */
function toDoc<T extends { id: string }>(record: T): Doc<T> {
  const { id, ...rest } = record;
  return { ...rest, _id: id };
}

function fromEntryVersion(doc: EntryVersion & { _id?: unknown }): EntryVersion {
  const { _id, ...rest } = doc;
  return compact(rest);
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

/** Retries a "last + 1 under a unique index" insert; each round someone wins, so contention only costs retries. */
async function nextFree<T>(attempt: () => Promise<T | undefined>): Promise<T> {
  for (let round = 0; round < 1000; round++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw new Error('store: could not allocate a sequence number after 1000 attempts');
}

/** Options of every findOneAndUpdate: the new document, plain, with the schema's enums checked like SQLite's CHECKs. */
const after = { returnDocument: 'after', lean: true, runValidators: true } as const;

export async function openMongoStore(options: { uri: string; dbName?: string }): Promise<Store> {
  const connection = mongoose.createConnection(options.uri, {
    dbName: options.dbName,
    bufferCommands: false, // fail fast instead of queueing when the server is unreachable
    autoIndex: true,
    autoCreate: true,
    serverSelectionTimeoutMS: 10_000,
  });
  let models: Models;
  try {
    await connection.asPromise();
    models = buildModels(connection);
    // The unique indexes carry the guarantees: they must exist before the first write.
    const compiled: { init(): Promise<unknown> }[] = Object.values(models);
    await Promise.all(compiled.map((model) => model.init()));
    await migrate(models);
  } catch (error) {
    await connection.close().catch(() => {}); // no half-open connection keeping the process alive
    throw error;
  }
  const { Contact, Conversation, Message, Ticket, EntryVersion, Counter, Setting, Job, KeyValue, User, Session, Note, CannedResponse, ReadMarker, Rating } = models;
  const { Draft, UnansweredGroup, AuditEvent } = models;
  /** Attachments live in GridFS, so every instance can serve them. */
  const files = new mongoose.mongo.GridFSBucket(connection.db!, { bucketName: 'files' });

  const toContact = (doc: ContactDoc) => fromDoc<Contact>(doc);
  const toMessage = (doc: MessageDoc) => compact({ ...fromDoc<Message>(doc), delivery: reviveDelivery(doc.delivery) });
  const toJob = <T>(doc: JobDoc) => fromDoc<Job<T>>(doc as Doc<Job<T>>);
  // Defaults for documents written before migrate() added the field.
  const toUser = (doc: UserDoc) => ({ ...fromDoc<User>(doc), capacity: doc.capacity ?? DEFAULT_CAPACITY });
  const toSession = (doc: SessionDoc) => fromDoc<Session>(doc);
  /** Conditional update of a job the caller holds (matching token while active); true if it applied. */
  const held = async (id: string, token: string, update: Record<string, unknown>) =>
    (await Job.updateOne({ _id: id, token, status: 'active' }, update)).matchedCount > 0;
  const toTicket = (doc: TicketDoc) => ({ ...fromDoc<Ticket>(doc), dueAt: doc.dueAt ?? null, escalatedAt: doc.escalatedAt ?? null });
  const toConversation = (doc: ConversationDoc) => ({ ...fromDoc<Conversation>(doc), labels: doc.labels ?? [], lastInboundAt: doc.lastInboundAt ?? null });
  const toNote = (doc: NoteDoc) => fromDoc<Note>(doc);
  const toCannedResponse = (doc: CannedResponseDoc) => fromDoc<CannedResponse>({ ...doc, ownerId: doc.ownerId ?? null });
  const toRating = (doc: RatingDoc) => fromDoc<Rating>(doc);
  const toDraft = (doc: DraftDoc) => fromDoc<Draft>({ ...doc, baseVersion: doc.baseVersion ?? null });
  const toUnansweredGroup = (doc: UnansweredGroupDoc) => fromDoc<UnansweredGroup>({ ...doc, resolution: reviveResolution(doc.resolution) });
  const toAuditEvent = (doc: AuditEventDoc) => fromDoc<AuditEvent>(doc);
  /** A stats range with its zone checked first (an unknown zone is a RangeError, as in SQLite). */
  const checked = (range: StatsRange): StatsRange => ({ ...range, timeZone: checkTimeZone(range.timeZone) });
  const maybe = <D, T>(convert: (doc: D) => T) => (doc: D | null) => (doc ? convert(doc) : null);

  type DueConversation = Pick<ConversationDoc, '_id' | 'contactId' | 'state' | 'closedAt' | 'lastMessageAt'>;

  /**
   * Anonymises conversations and tickets (issue 6; the same result as SQLite's, see PrivacyRepository).
   * No transactions, so the order makes a crash harmless: files are deleted first (a missing file is
   * fine), then texts replaced, then tickets, and a conversation is marked anonymised last; a rerun
   * finds what is left. A ticket changed meanwhile (its updatedAt moved) is left alone, and so is its
   * conversation, until a later run.
   */
  async function anonymise(
    conversations: DueConversation[],
    ticketFilter: Record<string, unknown>,
    text: string,
    now: Date,
    closedAt: (conversation: DueConversation) => Date,
  ): Promise<AnonymisationCounts> {
    const counts: AnonymisationCounts = { conversations: 0, messages: 0, tickets: 0, contacts: 0, files: 0 };
    const ids = conversations.map((conversation) => conversation._id);
    const withFiles = await Message.find({ conversationId: { $in: ids }, 'attachments.0': { $exists: true } }).select('attachments').lean<Pick<MessageDoc, 'attachments'>[]>();
    const tickets = await Ticket.find({ ...ticketFilter, anonymisedAt: null }).select('conversationId attachments events updatedAt').lean<Pick<TicketDoc, '_id' | 'conversationId' | 'attachments' | 'events' | 'updatedAt'>[]>();
    for (const key of attachmentKeys([...withFiles.map((message) => message.attachments), ...tickets.map((ticket) => ticket.attachments)])) {
      try {
        await files.delete(key as never);
        counts.files++;
      } catch (error) {
        if (!/FileNotFound|not found/iu.test(String((error as Error).message))) throw error;
      }
    }
    if (ids.length > 0) {
      counts.messages = (await Message.updateMany({ conversationId: { $in: ids } }, { $set: { text }, $unset: { attachments: 1, 'delivery.lastError': 1 } })).modifiedCount;
      await Note.updateMany({ conversationId: { $in: ids } }, { $set: { text } });
    }
    const unfinished = new Set<string>();
    for (const ticket of tickets) {
      // updatedAt stays: anonymising is not a change anyone made to the complaint.
      const result = await Ticket.updateOne({ _id: ticket._id, anonymisedAt: null, updatedAt: ticket.updatedAt }, anonymisedTicketUpdate(ticket, text, now));
      if (result.modifiedCount > 0) counts.tickets++;
      else if (!(await Ticket.exists({ _id: ticket._id, anonymisedAt: { $type: 'date' } }))) unfinished.add(ticket.conversationId);
    }
    const operations = conversations
      .filter((conversation) => !unfinished.has(conversation._id))
      .map((conversation) => ({
        updateOne: { filter: { _id: conversation._id, anonymisedAt: null }, update: anonymisedConversationUpdate(conversation, closedAt(conversation), now) },
      }));
    if (operations.length > 0) counts.conversations = (await Conversation.bulkWrite(operations, { ordered: false })).modifiedCount;
    return counts;
  }

  /** Name, phone and channel id replaced (see PrivacyRepository), once nothing of the contact's is left to anonymise. */
  async function pseudonymise(contactId: string, now: Date, seenBefore?: Date): Promise<number> {
    if (await Conversation.exists({ contactId, anonymisedAt: null })) return 0;
    const filter: Record<string, unknown> = { _id: contactId, anonymisedAt: null };
    if (seenBefore) filter.lastSeenAt = { $lt: seenBefore };
    const result = await Contact.updateOne(filter, { $set: { externalId: pseudonymFor(contactId), phoneKeys: [], anonymisedAt: now }, $unset: { name: 1, phone: 1 } });
    return result.modifiedCount;
  }

  return {
    engine: 'mongo',

    contacts: {
      async upsert(channel, externalId, name) {
        const now = new Date();
        const upsert = () =>
          Contact.findOneAndUpdate(
            { channel, externalId },
            { $set: { lastSeenAt: now }, $setOnInsert: compact({ _id: newId(), createdAt: now, name, phoneKeys: contactPhoneKeys(channel, externalId) }) },
            { ...after, upsert: true },
          );
        // Two racing upserts can both try to insert; the loser's retry finds the winner's document.
        let doc = await upsert().catch((error) => (isDuplicateKey(error) ? upsert() : Promise.reject(error)));
        if (name && !doc!.name) {
          // Same rule as SQLite: a name we already have is kept over the platform's display name.
          doc = (await Contact.findOneAndUpdate({ _id: doc!._id, name: { $exists: false } }, { $set: { name } }, after)) ?? doc;
        }
        return toContact(doc!);
      },
      async get(id) {
        return maybe(toContact)(await Contact.findById(id).lean<ContactDoc>());
      },
      async update(id, patch) {
        const set: Record<string, unknown> = compact({ name: patch.name, phone: patch.phone });
        if (patch.phone !== undefined) {
          // channel and externalId never change, so reading them first is safe; phone and its keys are written together.
          const current = await Contact.findById(id).select('channel externalId').lean<Pick<ContactDoc, 'channel' | 'externalId'>>();
          if (!current) return null;
          set.phoneKeys = contactPhoneKeys(current.channel, current.externalId, patch.phone);
        }
        return maybe(toContact)(await Contact.findOneAndUpdate({ _id: id }, { $set: set }, after));
      },
      async findByPhone(digits, limit = DEFAULT_SEARCH_LIMIT) {
        const filter = contactPhoneFilter(digits);
        if (!filter) return [];
        return (await Contact.find(filter).sort({ lastSeenAt: -1, _id: -1 }).limit(limit).lean<ContactDoc[]>()).map(toContact);
      },
    },

    conversations: {
      async open(contact) {
        const fresh = toDoc(buildConversation(contact));
        const { _id, ...fields } = fresh;
        const upsert = () =>
          Conversation.findOneAndUpdate(
            { openKey: contact.id },
            { $setOnInsert: { ...fields, _id } },
            { ...after, upsert: true },
          );
        // A racing open() in another process may insert first: re-read and get its conversation.
        const doc = await upsert().catch((error) =>
          isDuplicateKey(error) ? Conversation.findOne({ openKey: contact.id }).lean<ConversationDoc>() : Promise.reject(error),
        );
        return toConversation(doc!);
      },
      async get(id) {
        return maybe(toConversation)(await Conversation.findById(id).lean<ConversationDoc>());
      },
      async update(id, patch, condition = {}) {
        const filter: Record<string, unknown> = { _id: id };
        if (condition.ifState) filter.state = { $in: condition.ifState };
        if (condition.ifVersion !== undefined) filter.version = condition.ifVersion;
        if (condition.ifAssignee !== undefined) filter.assigneeId = condition.ifAssignee; // null matches "nobody"
        const set: Record<string, unknown> = { ...compact(patch), updatedAt: new Date() };
        if (patch.labels) set.labels = normalizeLabels(patch.labels);
        if (patch.handoffRequestedAt) set.lastHandoffAt = patch.handoffRequestedAt; // kept when a hand-back clears the request
        const update: Record<string, unknown> = { $set: set, $inc: { version: 1 } };
        if (patch.state === 'closed') update.$unset = { openKey: 1 };
        else if (patch.state) {
          // contactId never changes, so reading it first is safe; reopening sets the open marker again.
          const current = await Conversation.findById(id).select('contactId').lean<Pick<ConversationDoc, 'contactId'>>();
          if (!current) return null;
          set.openKey = current.contactId;
        }
        try {
          return maybe(toConversation)(await Conversation.findOneAndUpdate(filter, update, after));
        } catch (error) {
          // Reopening a closed conversation while the contact has another open one.
          if (isDuplicateKey(error)) return null;
          throw error;
        }
      },
      async list(filter) {
        const { query, sort } = conversationListFilter(filter);
        const docs = await Conversation.find(query).sort(sort).limit(filter.limit ?? 0).lean<ConversationDoc[]>();
        return docs.map(toConversation);
      },
      async countByAssignee(assigneeId, states) {
        return Conversation.countDocuments({ assigneeId, state: { $in: states } });
      },
    },

    messages: {
      async add(input) {
        const built = buildMessage(input);
        try {
          const doc = await Message.create(toDoc(built));
          // When the citizen last wrote: only ever forward. A separate write (no transactions): a crash
          // in between leaves it behind until the conversation's next inbound message.
          if (built.direction === 'in') await Conversation.updateOne({ _id: built.conversationId }, { $max: { lastInboundAt: built.createdAt } });
          return { message: toMessage(doc.toObject()), duplicate: false };
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          // Same id stored before (a turn being finished a second time).
          const sameId = await Message.findById(built.id).lean<MessageDoc>();
          if (sameId) return { message: toMessage(sameId), duplicate: true };
          if (built.direction !== 'in' || !built.platformMessageId) throw error;
          const first = await Message.findOne({
            channel: built.channel,
            platformMessageId: built.platformMessageId,
            direction: 'in',
          }).lean<MessageDoc>();
          if (!first) throw error;
          return { message: toMessage(first), duplicate: true };
        }
      },
      async get(id) {
        return maybe(toMessage)(await Message.findById(id).lean<MessageDoc>());
      },
      async list(conversationId, { afterId, limit } = {}) {
        const query = afterId ? { conversationId, _id: { $gt: afterId } } : { conversationId };
        return (await Message.find(query).sort({ _id: 1 }).limit(limit ?? 0).lean<MessageDoc[]>()).map(toMessage);
      },
      async listForContact(contactId, { afterId, limit } = {}) {
        const query = afterId ? { contactId, _id: { $gt: afterId } } : { contactId };
        return (await Message.find(query).sort({ _id: 1 }).limit(limit ?? 0).lean<MessageDoc[]>()).map(toMessage);
      },
      async markHandled(id, at = new Date()) {
        await Message.updateOne({ _id: id }, { $set: { handledAt: at } });
      },
      async setDelivery(id, delivery) {
        await Message.updateOne({ _id: id }, { $set: { delivery: compact(delivery) } }, { runValidators: true });
      },
      async failedDeliveries(limit) {
        const docs = await Message.find({ 'delivery.status': 'failed' }).sort({ _id: -1 }).limit(limit ?? 0).lean<MessageDoc[]>();
        return docs.map(toMessage);
      },
      async unhandled(limit) {
        const docs = await Message.find({ direction: 'in', handledAt: null }).sort({ _id: 1 }).limit(limit ?? 0).lean<MessageDoc[]>();
        return docs.map(toMessage);
      },
      async search(text, limit = DEFAULT_SEARCH_LIMIT) {
        const filter = messageSearchFilter(text);
        if (!filter) return [];
        return (await Message.find(filter).sort({ _id: -1 }).limit(limit).maxTimeMS(10_000).lean<MessageDoc[]>()).map(toMessage);
      },
      async countInboundAfter(conversationId, afterId) {
        return Message.countDocuments(afterId ? { conversationId, direction: 'in', _id: { $gt: afterId } } : { conversationId, direction: 'in' });
      },
    },

    tickets: {
      async create(input) {
        const bySource = async () =>
          input.sourceMessageId ? await Ticket.findOne({ sourceMessageId: input.sourceMessageId }).lean<TicketDoc>() : null;
        const existing = await bySource();
        if (existing) return toTicket(existing);
        const createdAt = input.createdAt ?? new Date();
        const year = ticketYear(createdAt);
        const id = newId();
        return nextFree(async () => {
          const last = await Ticket.findOne({ year }).sort({ seq: -1 }).select('seq').lean<Pick<TicketDoc, 'seq'>>();
          const record = buildTicket({ ...input, createdAt }, (last?.seq ?? 0) + 1, id);
          try {
            return toTicket((await Ticket.create(toDoc(record))).toObject());
          } catch (error) {
            if (!isDuplicateKey(error)) throw error;
            const raced = await bySource(); // the same source message filed concurrently
            return raced ? toTicket(raced) : undefined; // otherwise the number was taken: try the next
          }
        });
      },
      async get(id) {
        return maybe(toTicket)(await Ticket.findById(id).lean<TicketDoc>());
      },
      async byNumber(number) {
        return maybe(toTicket)(await Ticket.findOne({ number }).lean<TicketDoc>());
      },
      async update(id, patch, event) {
        const set = compact({ ...patch });
        if (patch.status === undefined) {
          const now = new Date();
          const doc = await Ticket.findOneAndUpdate(
            { _id: id },
            { $set: { ...set, updatedAt: now }, $push: { events: ticketEvent(event, now) } },
            after,
          );
          return maybe(toTicket)(doc);
        }
        // A status change records from/to: apply it only if the status is still the one we read (else re-read).
        const to = patch.status;
        return nextFree(async () => {
          const current = await Ticket.findById(id).select('status dueAt').lean<Pick<TicketDoc, 'status' | 'dueAt'>>();
          if (!current) return null;
          const now = new Date();
          const recorded = ticketEvent(event, now, { from: current.status, to });
          const filter: Record<string, unknown> = { _id: id, status: current.status };
          const fields: Record<string, unknown> = { ...set, updatedAt: now };
          if (to === 'selesai' && current.status !== 'selesai') {
            // Resolved: when, and the deadline in force until now (the filter makes sure it still is).
            filter.dueAt = current.dueAt ?? null;
            Object.assign(fields, { resolvedAt: recorded.at, resolvedDueAt: current.dueAt ?? null });
          }
          const doc = await Ticket.findOneAndUpdate(filter, { $set: fields, $push: { events: recorded } }, after);
          return doc ? toTicket(doc) : undefined;
        });
      },
      async addAttachments(id, attachments, actor) {
        const now = new Date();
        const event = ticketEvent({ actor, type: 'attachment', note: attachments.map((a) => a.fileName ?? a.key).join(', ') }, now);
        const doc = await Ticket.findOneAndUpdate(
          { _id: id },
          { $push: { attachments: { $each: attachments }, events: event }, $set: { updatedAt: now } },
          after,
        );
        return maybe(toTicket)(doc);
      },
      async list(filter) {
        return (await Ticket.find(ticketListFilter(filter)).sort({ _id: -1 }).limit(filter.limit ?? 0).lean<TicketDoc[]>()).map(toTicket);
      },
      async countByStatus() {
        const counts = Object.fromEntries(TICKET_STATUSES.map((status) => [status, 0])) as Record<TicketStatus, number>;
        for (const row of await Ticket.aggregate<{ _id: TicketStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }])) counts[row._id] = row.n;
        return counts;
      },
    },

    knowledge: {
      async published() {
        const latest = await EntryVersion.aggregate<{ entry: Entry }>([
          { $sort: { entryId: 1, version: -1 } },
          { $group: { _id: '$entryId', entry: { $first: '$entry' }, withdrawn: { $first: '$withdrawn' } } },
          { $match: { withdrawn: { $ne: true } } },
          { $sort: { _id: 1 } },
        ]);
        return latest.map((doc) => doc.entry);
      },
      async get(id) {
        return maybe(fromEntryVersion)(await EntryVersion.findOne({ entryId: id }).sort({ version: -1 }).lean<EntryVersion>());
      },
      async publish(entry, by, note) {
        const published = await nextFree(async () => {
          const last = await EntryVersion.findOne({ entryId: entry.id }).sort({ version: -1 }).select('version').lean<{ version: number }>();
          const record: EntryVersion = compact({ entryId: entry.id, version: (last?.version ?? 0) + 1, entry, by, note, at: new Date() });
          try {
            await EntryVersion.create(record);
            return record;
          } catch (error) {
            if (isDuplicateKey(error)) return undefined;
            throw error;
          }
        });
        // After the insert: an instance that sees the new revision is sure to find the new version.
        await Counter.updateOne({ _id: 'knowledge:revision' }, { $inc: { value: 1 } }, { upsert: true });
        return published;
      },
      async versions(id) {
        return (await EntryVersion.find({ entryId: id }).sort({ version: -1 }).lean<EntryVersion[]>()).map(fromEntryVersion);
      },
      async revision() {
        return (await Counter.findById('knowledge:revision').lean<CounterDoc>())?.value ?? 0;
      },
      async withdraw(id, by, note) {
        // A withdrawn copy of the latest version as "last + 1" under the unique index; a raced insert retries.
        const withdrawn = await nextFree(async () => {
          const last = await EntryVersion.findOne({ entryId: id }).sort({ version: -1 }).lean<EntryVersion>();
          if (!last || last.withdrawn) return false;
          const record: EntryVersion = compact({ entryId: id, version: last.version + 1, entry: last.entry, by, note, withdrawn: true, at: new Date() });
          try {
            await EntryVersion.create(record);
            return true;
          } catch (error) {
            if (isDuplicateKey(error)) return undefined;
            throw error;
          }
        });
        if (withdrawn) await Counter.updateOne({ _id: 'knowledge:revision' }, { $inc: { value: 1 } }, { upsert: true });
        return withdrawn;
      },
    },

    drafts: {
      async create(input) {
        const record = buildDraft(input);
        await Draft.create(toDoc(record));
        return record;
      },
      async get(id) {
        return maybe(toDraft)(await Draft.findById(id).lean<DraftDoc>());
      },
      async update(id, patch, ifStatus) {
        // One conditional write: two reviewers cannot both approve.
        const set = compact({ entry: patch.entry, status: patch.status, reviewComment: patch.reviewComment, reviewerId: patch.reviewerId, baseVersion: patch.baseVersion });
        const doc = await Draft.findOneAndUpdate({ _id: id, status: { $in: ifStatus } }, { $set: { ...set, updatedAt: new Date() } }, after);
        return maybe(toDraft)(doc);
      },
      async list(filter) {
        return (await Draft.find(draftListFilter(filter)).sort({ _id: -1 }).limit(filter.limit ?? 0).lean<DraftDoc[]>()).map(toDraft);
      },
    },

    unanswered: {
      async record(message, groupId) {
        if (groupId !== undefined) {
          // One atomic write: count, the latest samples, first and last seen.
          const doc = await UnansweredGroup.findOneAndUpdate(
            { _id: groupId, status: 'open' },
            {
              $inc: { count: 1 },
              $push: { samples: { $each: [message.text], $slice: -MAX_UNANSWERED_SAMPLES } },
              $min: { firstSeen: message.at },
              $max: { lastSeen: message.at },
            },
            after,
          );
          if (doc) return toUnansweredGroup(doc);
        }
        // No group given, or it is gone or no longer open: the message starts a group of its own.
        const record = buildUnansweredGroup(message);
        await UnansweredGroup.create(toDoc(record));
        return record;
      },
      async open(limit) {
        const docs = await UnansweredGroup.find({ status: 'open' }).sort({ count: -1, lastSeen: -1, _id: 1 }).limit(limit ?? 0).lean<UnansweredGroupDoc[]>();
        return docs.map(toUnansweredGroup);
      },
      async get(id) {
        return maybe(toUnansweredGroup)(await UnansweredGroup.findById(id).lean<UnansweredGroupDoc>());
      },
      async resolve(id, resolution) {
        // Only an open group: a second admin acting on the same group gets null instead of overwriting the first.
        const doc = await UnansweredGroup.findOneAndUpdate(
          { _id: id, status: 'open' },
          { $set: { status: resolvedStatus(resolution), resolution: reviveResolution(resolution) } },
          after,
        );
        return maybe(toUnansweredGroup)(doc);
      },
    },

    audit: {
      async add(input) {
        const record = buildAuditEvent(input);
        await AuditEvent.create(toDoc(record));
        return record;
      },
      async list(filter) {
        let before: { _id: string; at: Date } | undefined;
        if (filter.beforeId !== undefined) {
          before = (await AuditEvent.findById(filter.beforeId).select('at').lean<{ _id: string; at: Date }>()) ?? undefined;
          if (!before) return [];
        }
        const docs = await AuditEvent.find(auditListFilter(filter, before)).sort({ at: -1, _id: -1 }).limit(filter.limit ?? 0).lean<AuditEventDoc[]>();
        return docs.map(toAuditEvent);
      },
    },

    stats: {
      async conversationsPerDay(range) {
        return Conversation.aggregate(statsPipelines.conversationsPerDay(checked(range)) as PipelineStage[]);
      },
      async repliesPerDay(range) {
        return Message.aggregate(statsPipelines.repliesPerDay(checked(range)) as PipelineStage[]);
      },
      async answersPerEntry(range) {
        return Message.aggregate(statsPipelines.answersPerEntry(checked(range)) as PipelineStage[]);
      },
      async ticketsBy(range, field) {
        return Ticket.aggregate(statsPipelines.ticketsBy(checked(range), field) as PipelineStage[]);
      },
      async firstResponses(range) {
        return Conversation.aggregate(statsPipelines.firstResponses(checked(range), Message.collection.collectionName) as PipelineStage[]);
      },
      async resolutions(range) {
        const { from, to } = checked(range);
        // $exists repeats the partial index's filter, so the planner can use it.
        const docs = await Ticket.find({ resolvedAt: { $exists: true, $gte: from, $lt: to } })
          .sort({ resolvedAt: 1, _id: 1 })
          .select('createdAt resolvedAt resolvedDueAt')
          .lean<Pick<TicketDoc, '_id' | 'createdAt' | 'resolvedAt' | 'resolvedDueAt'>[]>();
        return docs.map((doc) => ({
          createdAt: doc.createdAt,
          resolvedAt: doc.resolvedAt!,
          withinDue: doc.resolvedDueAt ? doc.resolvedAt!.getTime() <= doc.resolvedDueAt.getTime() : null,
        }));
      },
    },

    settings: {
      async get<T>(key: string) {
        const doc = await Setting.findById(key).lean<SettingDoc>();
        return doc ? (doc.value as T) : null;
      },
      async put<T>(key: string, value: T) {
        // Through JSON so both engines return the same thing (e.g. a Date comes back as its ISO string).
        const stored: unknown = JSON.parse(JSON.stringify(value ?? null));
        await Setting.updateOne({ _id: key }, { $set: { value: stored } }, { upsert: true });
      },
    },

    files: {
      async put(data, meta) {
        const key = newId();
        await new Promise<void>((resolve, reject) => {
          const upload = files.openUploadStreamWithId(key as never, meta.fileName ?? key, { metadata: { mimeType: meta.mimeType, fileName: meta.fileName } });
          upload.once('finish', () => resolve()).once('error', reject).end(data);
        });
        return key;
      },
      async get(key) {
        const [info] = await files.find({ _id: key } as never).toArray();
        if (!info) return null;
        const chunks: Buffer[] = [];
        for await (const chunk of files.openDownloadStream(key as never)) chunks.push(chunk as Buffer);
        const metadata = (info.metadata ?? {}) as { mimeType?: string; fileName?: string };
        return compact({ key, fileName: metadata.fileName, mimeType: metadata.mimeType ?? 'application/octet-stream', size: info.length, data: Buffer.concat(chunks), createdAt: info.uploadDate });
      },
    },

    jobs: {
      async add<T>(input: Parameters<Store['jobs']['add']>[0]) {
        const record = buildJob(input);
        // Insert-if-absent in one atomic upsert: a concurrent add of the same id finds the first one.
        const upsert = () => Job.findOneAndUpdate({ _id: record.id }, { $setOnInsert: toDoc(record) }, { ...after, upsert: true });
        const doc = await upsert().catch((error) => (isDuplicateKey(error) ? upsert() : Promise.reject(error)));
        return toJob<T>(doc!);
      },
      async claim<T>(queue: string, { now, leaseMs, limit }: { now: Date; leaseMs: number; limit: number }) {
        // No multi-document atomicity without transactions: each job is taken by its own atomic findOneAndUpdate.
        const claimed: Job<T>[] = [];
        while (claimed.length < limit) {
          const doc = await Job.findOneAndUpdate(
            { queue, $or: [{ status: 'waiting', runAt: { $lte: now } }, { status: 'active', leaseUntil: { $lte: now } }] },
            { $set: { status: 'active', token: randomUUID(), leaseUntil: new Date(now.getTime() + leaseMs), updatedAt: new Date() }, $inc: { attempts: 1 } },
            { ...after, sort: { runAt: 1, _id: 1 } },
          );
          if (!doc) break;
          claimed.push(toJob<T>(doc));
        }
        return claimed;
      },
      async extend(id, token, leaseUntil) {
        return held(id, token, { $set: { leaseUntil, updatedAt: new Date() } });
      },
      async complete(id, token, at = new Date()) {
        return held(id, token, { $set: { status: 'completed', token: null, leaseUntil: null, finishedAt: at, updatedAt: new Date() } });
      },
      async fail(id, token, error, retryAt) {
        const now = new Date();
        const set = retryAt ? { status: 'waiting', runAt: retryAt } : { status: 'failed', finishedAt: now };
        return held(id, token, { $set: { ...set, token: null, leaseUntil: null, lastError: error, updatedAt: now } });
      },
      async get<T>(id: string) {
        return maybe((doc: JobDoc) => toJob<T>(doc))(await Job.findById(id).lean<JobDoc>());
      },
      async list(filter) {
        const query: Record<string, unknown> = compact({ queue: filter.queue });
        if (filter.status) query.status = { $in: filter.status };
        return (await Job.find(query).sort({ createdAt: -1, _id: -1 }).limit(filter.limit ?? 0).lean<JobDoc[]>()).map((doc) => toJob(doc));
      },
      async counts(queue, now = new Date()) {
        const rows = await Job.aggregate<{ _id: Job['status'] | 'delayed'; n: number }>([
          { $match: { queue } },
          { $group: { _id: { $cond: [{ $and: [{ $eq: ['$status', 'waiting'] }, { $gt: ['$runAt', now] }] }, 'delayed', '$status'] }, n: { $sum: 1 } } },
        ]);
        return { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, ...Object.fromEntries(rows.map((r) => [r._id, r.n])) };
      },
      async retry(id, now = new Date()) {
        const result = await Job.updateOne(
          { _id: id, status: 'failed' },
          { $set: { status: 'waiting', attempts: 0, runAt: now, updatedAt: now }, $unset: { finishedAt: 1 } },
        );
        return result.matchedCount > 0;
      },
    },

    keyValue: {
      async get(namespace, keys) {
        const docs = await KeyValue.find({ namespace, key: { $in: keys } }).lean<KeyValueDoc[]>();
        return Object.fromEntries(docs.map((doc) => [doc.key, doc.value]));
      },
      async set(namespace, entries) {
        // Each key is its own atomic write; a batch is not all-or-nothing (the Signal key store does not need it to be).
        const operations = Object.entries(entries).map(([key, value]) =>
          value === null
            ? { deleteOne: { filter: { namespace, key } } }
            : { updateOne: { filter: { namespace, key }, update: { $set: { value } }, upsert: true } },
        );
        if (operations.length > 0) await KeyValue.bulkWrite(operations, { ordered: false });
      },
      async keys(namespace) {
        return (await KeyValue.find({ namespace }).sort({ key: 1 }).select('key').lean<Pick<KeyValueDoc, 'key'>[]>()).map((doc) => doc.key);
      },
      async clear(namespace) {
        await KeyValue.deleteMany({ namespace });
      },
    },

    users: {
      async create(input) {
        const record = buildUser(input);
        try {
          await User.create(toDoc(record));
        } catch (error) {
          if (isDuplicateKey(error)) throw new DuplicateError(`username ${record.username} is taken`);
          throw error;
        }
        return record;
      },
      async get(id) {
        return maybe(toUser)(await User.findById(id).lean<UserDoc>());
      },
      async byUsername(username) {
        return maybe(toUser)(await User.findOne({ username: normalizeUsername(username) }).lean<UserDoc>());
      },
      async update(id, patch) {
        if (patch.capacity !== undefined) checkCapacity(patch.capacity);
        return maybe(toUser)(await User.findOneAndUpdate({ _id: id }, { $set: { ...compact(patch), updatedAt: new Date() } }, after));
      },
      async list() {
        return (await User.find().sort({ _id: 1 }).lean<UserDoc[]>()).map(toUser);
      },
      async count() {
        return User.countDocuments();
      },
    },

    sessions: {
      async create(value) {
        await Session.create(toDoc(value));
        return { ...value };
      },
      async get(id) {
        return maybe(toSession)(await Session.findById(id).lean<SessionDoc>());
      },
      async update(id, patch) {
        const set = compact(patch);
        const doc = Object.keys(set).length
          ? await Session.findOneAndUpdate({ _id: id }, { $set: set }, after)
          : await Session.findById(id).lean<SessionDoc>();
        return maybe(toSession)(doc);
      },
      async delete(id) {
        await Session.deleteOne({ _id: id });
      },
      async deleteForUser(userId) {
        await Session.deleteMany({ userId });
      },
    },

    notes: {
      async add(input) {
        const record = buildNote(input);
        await Note.create(toDoc(record));
        return record;
      },
      async list(conversationId) {
        return (await Note.find({ conversationId }).sort({ _id: 1 }).lean<NoteDoc[]>()).map(toNote);
      },
    },

    cannedResponses: {
      async create(input) {
        const record = buildCannedResponse(input);
        try {
          await CannedResponse.create(toDoc(record));
        } catch (error) {
          if (isDuplicateKey(error)) throw new DuplicateError(`shortcut /${record.shortcut} is taken`);
          throw error;
        }
        return record;
      },
      async update(id, patch) {
        const set = compact({ title: patch.title, text: patch.text, shortcut: patch.shortcut === undefined ? undefined : normalizeShortcut(patch.shortcut) });
        try {
          return maybe(toCannedResponse)(await CannedResponse.findOneAndUpdate({ _id: id }, { $set: { ...set, updatedAt: new Date() } }, after));
        } catch (error) {
          if (isDuplicateKey(error)) throw new DuplicateError(`shortcut /${set.shortcut} is taken`);
          throw error;
        }
      },
      async delete(id) {
        return (await CannedResponse.deleteOne({ _id: id })).deletedCount > 0;
      },
      async get(id) {
        return maybe(toCannedResponse)(await CannedResponse.findById(id).lean<CannedResponseDoc>());
      },
      async listFor(userId) {
        // By shortcut; where the user's own and a shared one share a shortcut, the user's own (a string sorts after null) comes first.
        const docs = await CannedResponse.find({ ownerId: { $in: [null, userId] } }).sort({ shortcut: 1, ownerId: -1, _id: 1 }).lean<CannedResponseDoc[]>();
        return docs.map(toCannedResponse);
      },
    },

    readMarkers: {
      async mark(userId, conversationId, messageId) {
        // Message ids sort in creation order: the marker only ever moves to a later one.
        const forward = { userId, conversationId, messageId: { $lt: messageId } };
        const update = { $set: { messageId, updatedAt: new Date() } };
        try {
          await ReadMarker.updateOne(forward, update, { upsert: true });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          // A marker exists (at or past this message, or inserted by a racing call): move it only forward.
          await ReadMarker.updateOne(forward, update);
        }
      },
      async get(userId, conversationIds) {
        const docs = await ReadMarker.find({ userId, conversationId: { $in: conversationIds } }).lean<ReadMarkerDoc[]>();
        return Object.fromEntries(docs.map((doc) => [doc.conversationId, doc.messageId]));
      },
    },

    ratings: {
      async add(input) {
        const record = buildRating(input);
        // One atomic upsert: a second rating of the same conversation (and ticket) replaces the first in place.
        const filter = { conversationId: record.conversationId, ticketId: record.ticketId ?? { $exists: false } };
        const update: Record<string, unknown> = {
          $set: compact({ score: record.score, createdAt: record.createdAt, agentId: record.agentId }),
          $setOnInsert: { _id: record.id },
        };
        if (record.agentId === undefined) update.$unset = { agentId: 1 };
        const upsert = () => Rating.findOneAndUpdate(filter, update, { ...after, upsert: true });
        const doc = await upsert().catch((error) => (isDuplicateKey(error) ? upsert() : Promise.reject(error)));
        return toRating(doc!);
      },
      async list(filter) {
        const createdAt = compact({ $gte: filter.from, $lt: filter.to });
        const query = Object.keys(createdAt).length ? { createdAt } : {};
        return (await Rating.find(query).sort({ createdAt: -1, _id: -1 }).limit(filter.limit ?? 0).lean<RatingDoc[]>()).map(toRating);
      },
    },

    privacy: {
      async findContacts(query, limit = DEFAULT_SEARCH_LIMIT) {
        const ids = new Set<string>();
        if (query.externalId) {
          // Every channel, so the (channel, externalId) index is used.
          for (const doc of await Contact.find({ channel: { $in: [...CHANNELS] }, externalId: query.externalId }).select('_id').lean<{ _id: string }[]>()) ids.add(doc._id);
        }
        const spellings = query.phone ? phoneSpellings(query.phone) : [];
        if (spellings.length) {
          for (const doc of await Contact.find({ phoneKeys: spellings[1] }).select('_id').lean<{ _id: string }[]>()) ids.add(doc._id);
          // The complaint flow stores the number as 08…; the other spellings catch numbers written by other means.
          for (const id of await Ticket.distinct('contactId', { reporterPhone: { $in: spellings } })) ids.add(String(id));
        }
        if (ids.size === 0) return [];
        return (await Contact.find({ _id: { $in: [...ids] } }).sort({ lastSeenAt: -1, _id: -1 }).limit(limit).lean<ContactDoc[]>()).map(toContact);
      },
      async exportContact(contactId) {
        const contact = await Contact.findById(contactId).lean<ContactDoc>();
        if (!contact) return null;
        const conversations = await Conversation.find({ contactId }).sort({ _id: 1 }).lean<ConversationDoc[]>();
        const ids = conversations.map((conversation) => conversation._id);
        const [messages, tickets, ratings, notes] = await Promise.all([
          Message.find({ conversationId: { $in: ids } }).sort({ _id: 1 }).lean<MessageDoc[]>(),
          Ticket.find({ $or: [{ contactId }, { conversationId: { $in: ids } }] }).sort({ _id: 1 }).lean<TicketDoc[]>(),
          Rating.find({ conversationId: { $in: ids } }).sort({ _id: 1 }).lean<RatingDoc[]>(),
          Note.find({ conversationId: { $in: ids } }).sort({ _id: 1 }).lean<NoteDoc[]>(),
        ]);
        return {
          contact: toContact(contact),
          conversations: conversations.map(toConversation),
          messages: messages.map(toMessage),
          tickets: tickets.map(toTicket),
          ratings: ratings.map(toRating),
          notes: notes.map(toNote),
        };
      },
      async eraseContact(contactId, now = new Date()) {
        if (!(await Contact.exists({ _id: contactId }))) return { status: 'missing' };
        // Checked before anything changes (no transactions: a ticket opened in the same instant is not seen).
        const [openTickets, active] = await Promise.all([
          Ticket.find({ contactId, status: { $in: [...OPEN_TICKET_STATUSES] } }).sort({ _id: 1 }).lean<TicketDoc[]>(),
          Conversation.find({ contactId, state: { $in: ['waiting', 'agent'] } }).sort({ _id: 1 }).lean<ConversationDoc[]>(),
        ]);
        if (openTickets.length || active.length) return { status: 'blocked', openTickets: openTickets.map(toTicket), activeConversations: active.map(toConversation) };
        const conversations = await Conversation.find({ contactId, anonymisedAt: null })
          .select('contactId state closedAt lastMessageAt')
          .lean<DueConversation[]>();
        const all = await Conversation.find({ contactId }).select('_id').lean<{ _id: string }[]>();
        const counts = await anonymise(conversations, { $or: [{ contactId }, { conversationId: { $in: all.map((doc) => doc._id) } }] }, ERASURE_TEXT, now, () => now);
        counts.contacts += await pseudonymise(contactId, now);
        return { status: 'erased', ...counts };
      },
      async anonymiseBefore(cutoff, options = {}) {
        const limit = Math.max(1, Math.floor(options.limit ?? 100));
        const now = options.now ?? new Date();
        const due = await Conversation.aggregate<DueConversation>(retentionPipeline(cutoff, limit, Ticket.collection.collectionName) as PipelineStage[]);
        // An idle conversation with the bot ends when it went quiet.
        const counts = await anonymise(due, { conversationId: { $in: due.map((doc) => doc._id) } }, RETENTION_TEXT, now, (doc) => doc.lastMessageAt);
        for (const contactId of new Set(due.map((doc) => doc.contactId))) counts.contacts += await pseudonymise(contactId, now, cutoff);
        return { ...counts, more: due.length === limit };
      },
    },

    async close() {
      await connection.close();
    },
  };
}
