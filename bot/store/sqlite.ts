/**
 * The embedded engine: one SQLite file, safe for several processes on one
 * host (WAL, busy timeout, every multi-statement write in a BEGIN IMMEDIATE
 * transaction). Queried and unique fields are real indexed columns; nested
 * data is JSON text. Dates are stored as epoch milliseconds. Derived data (a
 * conversation's label rows and lastInboundAt, the text-search index) is kept
 * by triggers, inside the statement that changes its source.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Entry } from '../../knowledge/schema.js';
import { CHANNELS, type Attachment, type UnreadableKind } from '../types.js';
import {
  addSample,
  attachmentKeys,
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
  dayKeyIn,
  DEFAULT_SEARCH_LIMIT,
  DRAFT_STATUSES,
  ERASURE_TEXT,
  FIRST_REPLY_SUFFIX,
  newId,
  normalizeLabel,
  normalizeLabels,
  normalizeShortcut,
  normalizeUsername,
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
  type CommittedTurn,
  type DeliveryState,
  type ErasureResult,
  type Job,
  type Session,
  type User,
  type UserPatch,
  type Contact,
  type Conversation,
  type ConversationPatch,
  type EntryVersion,
  type Message,
  type NewMessage,
  type NewTicket,
  type CannedResponse,
  type ConversationRepository,
  type Note,
  type Rating,
  type Store,
  type Ticket,
  type TicketEvent,
  type TicketPatch,
  type TicketRepository,
  type TicketStatus,
} from './types.js';

/** SQL list of string literals, for CHECK constraints built from the TypeScript constants. */
const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** Schema versions, applied in order; `PRAGMA user_version` records how many ran. Append, never edit. */
export const MIGRATIONS = [
  `
  CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name TEXT,
    phone TEXT,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    UNIQUE (channel, external_id)
  );

  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('bot', 'waiting', 'agent', 'closed')),
    flow TEXT,
    memory TEXT NOT NULL,
    assignee_id TEXT,
    assigned_at INTEGER,
    handoff_requested_at INTEGER,
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    version INTEGER NOT NULL
  );
  -- At most one open conversation per contact, enforced by the database.
  CREATE UNIQUE INDEX conversations_one_open ON conversations (contact_id) WHERE state <> 'closed';
  CREATE INDEX conversations_contact ON conversations (contact_id);
  CREATE INDEX conversations_state ON conversations (state, id);
  CREATE INDEX conversations_assignee ON conversations (assignee_id) WHERE assignee_id IS NOT NULL;

  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    channel TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    author TEXT NOT NULL CHECK (author IN ('citizen', 'bot', 'agent', 'system')),
    author_id TEXT,
    text TEXT NOT NULL,
    kind TEXT,
    options TEXT,
    attachments TEXT,
    entry TEXT,
    confidence REAL,
    platform_message_id TEXT,
    reply_to TEXT,
    handled_at INTEGER,
    created_at INTEGER NOT NULL
  );
  -- Redelivered inbound messages are recognised by the platform's id.
  CREATE UNIQUE INDEX messages_platform_id ON messages (channel, platform_message_id)
    WHERE direction = 'in' AND platform_message_id IS NOT NULL;
  CREATE INDEX messages_conversation ON messages (conversation_id, id);
  CREATE INDEX messages_contact ON messages (contact_id, id);
  CREATE INDEX messages_unhandled ON messages (id) WHERE direction = 'in' AND handled_at IS NULL;

  CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    kecamatan TEXT,
    kelurahan TEXT,
    reporter_name TEXT,
    reporter_phone TEXT,
    attachments TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${sqlList(TICKET_STATUSES)})),
    priority TEXT NOT NULL CHECK (priority IN ('rendah', 'normal', 'tinggi')),
    assignee_id TEXT,
    source_message_id TEXT UNIQUE,
    events TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (year, seq)
  );
  CREATE INDEX tickets_status ON tickets (status, id);
  CREATE INDEX tickets_contact ON tickets (contact_id, id);

  -- Named counters: 'ticket:<year>' (last sequence number), 'knowledge:revision'.
  CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );

  CREATE TABLE entry_versions (
    entry_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    entry TEXT NOT NULL,
    published_by TEXT NOT NULL,
    note TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (entry_id, version)
  );

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  ALTER TABLE conversations ADD COLUMN last_turn TEXT;

  CREATE TABLE files (
    key TEXT PRIMARY KEY,
    file_name TEXT,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  `
  -- Outbound delivery state (JSON); its status is a column of its own so the admins' failed list is an index scan.
  ALTER TABLE messages ADD COLUMN delivery TEXT;
  ALTER TABLE messages ADD COLUMN delivery_status TEXT CHECK (delivery_status IN ('pending', 'sent', 'failed'));
  CREATE INDEX messages_delivery_failed ON messages (id) WHERE delivery_status = 'failed';

  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'completed', 'failed')),
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    backoff_ms INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    lease_until INTEGER,
    token TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  -- What claim() looks for: due waiting jobs and expired leases, per queue.
  CREATE INDEX jobs_waiting ON jobs (queue, run_at) WHERE status = 'waiting';
  CREATE INDEX jobs_leased ON jobs (queue, lease_until) WHERE status = 'active';
  CREATE INDEX jobs_list ON jobs (queue, status, created_at);

  CREATE TABLE key_values (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
  ) WITHOUT ROWID;

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN (${sqlList(ROLES)})),
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    disabled INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until INTEGER,
    last_login_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    pending_totp INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions (user_id);
  `,
  `
  ALTER TABLE messages ADD COLUMN unreadable TEXT;
  ALTER TABLE messages ADD COLUMN late INTEGER;
  `,
  `
  -- The agents' inbox (issue 4).

  -- Phone search: the contact's numbers in canonical form (see canonicalPhone in ids.ts), space-separated.
  -- siratu_phone_keys() is a JavaScript function registered on every connection; no schema object uses it.
  ALTER TABLE contacts ADD COLUMN phone_key TEXT;
  UPDATE contacts SET phone_key = siratu_phone_keys(channel, external_id, phone);

  ALTER TABLE conversations ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE conversations ADD COLUMN last_inbound_at INTEGER;
  -- countByAssignee and "mine"; the inbox views by state, latest activity first.
  DROP INDEX conversations_assignee;
  CREATE INDEX conversations_assignee ON conversations (assignee_id, state) WHERE assignee_id IS NOT NULL;
  CREATE INDEX conversations_recent ON conversations (state, last_message_at, id);

  -- The labels of every conversation as rows, kept in step with the JSON column by triggers:
  -- SQLite's counterpart of a multikey index, so a label filter is an index lookup.
  CREATE TABLE conversation_labels (
    label TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    PRIMARY KEY (label, conversation_id)
  ) WITHOUT ROWID;
  CREATE TRIGGER conversation_labels_insert AFTER INSERT ON conversations WHEN NEW.labels <> '[]' BEGIN
    INSERT OR IGNORE INTO conversation_labels (label, conversation_id) SELECT value, NEW.id FROM json_each(NEW.labels);
  END;
  CREATE TRIGGER conversation_labels_update AFTER UPDATE OF labels ON conversations WHEN NEW.labels IS NOT OLD.labels BEGIN
    DELETE FROM conversation_labels WHERE conversation_id = OLD.id AND label IN (SELECT value FROM json_each(OLD.labels));
    INSERT OR IGNORE INTO conversation_labels (label, conversation_id) SELECT value, NEW.id FROM json_each(NEW.labels);
  END;
  CREATE TRIGGER conversation_labels_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM conversation_labels WHERE conversation_id = OLD.id AND label IN (SELECT value FROM json_each(OLD.labels));
  END;

  -- Unread counts count a conversation's inbound messages after a marker.
  CREATE INDEX messages_inbound ON messages (conversation_id, id) WHERE direction = 'in';
  -- When the citizen last wrote: from the latest inbound message, then kept up by every inbound insert (never backwards).
  UPDATE conversations SET last_inbound_at =
    (SELECT created_at FROM messages WHERE messages.conversation_id = conversations.id AND direction = 'in' ORDER BY id DESC LIMIT 1);
  CREATE TRIGGER messages_last_inbound AFTER INSERT ON messages WHEN NEW.direction = 'in' BEGIN
    UPDATE conversations SET last_inbound_at = NEW.created_at
    WHERE id = NEW.conversation_id AND (last_inbound_at IS NULL OR last_inbound_at < NEW.created_at);
  END;

  -- Inbox text search: a trigram index finds any substring of 3+ characters, case-insensitively
  -- ("hilang" in "kehilangan", "4567" in "081234567890"). Contentless (the text stays in messages
  -- only); the message id rides along unindexed. Its rowid is insertion order: newest last.
  CREATE VIRTUAL TABLE messages_search USING fts5(
    text, message_id UNINDEXED, tokenize = 'trigram', content = '', contentless_delete = 1, contentless_unindexed = 1
  );
  INSERT INTO messages_search (text, message_id) SELECT text, id FROM messages ORDER BY id;
  CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_search (text, message_id) VALUES (NEW.text, NEW.id);
  END;
  CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages BEGIN
    UPDATE messages_search SET text = NEW.text, message_id = NEW.id WHERE message_id = OLD.id;
  END;
  CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_search WHERE message_id = OLD.id;
  END;

  ALTER TABLE tickets ADD COLUMN due_at INTEGER;
  ALTER TABLE tickets ADD COLUMN escalated_at INTEGER;
  CREATE INDEX tickets_conversation ON tickets (conversation_id, id);
  CREATE INDEX tickets_assignee ON tickets (assignee_id, id) WHERE assignee_id IS NOT NULL;
  -- The escalation job's question; queries must repeat this WHERE word for word (OVERDUE below).
  CREATE INDEX tickets_overdue ON tickets (due_at) WHERE status NOT IN ('selesai', 'ditutup') AND escalated_at IS NULL;

  ALTER TABLE users ADD COLUMN capacity INTEGER NOT NULL DEFAULT 5 CHECK (capacity >= 0);

  CREATE TABLE notes (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX notes_conversation ON notes (conversation_id, id);

  -- A shortcut is unique within the shared set (no owner) and within each agent's own.
  CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY,
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    owner_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX canned_responses_shared ON canned_responses (shortcut) WHERE owner_id IS NULL;
  CREATE UNIQUE INDEX canned_responses_personal ON canned_responses (owner_id, shortcut) WHERE owner_id IS NOT NULL;

  CREATE TABLE read_markers (
    user_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
  ) WITHOUT ROWID;

  -- One rating per conversation without a ticket, and one per (conversation, ticket).
  CREATE TABLE ratings (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    ticket_id TEXT REFERENCES tickets(id),
    agent_id TEXT,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    created_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX ratings_conversation ON ratings (conversation_id) WHERE ticket_id IS NULL;
  CREATE UNIQUE INDEX ratings_ticket ON ratings (conversation_id, ticket_id) WHERE ticket_id IS NOT NULL;
  CREATE INDEX ratings_created ON ratings (created_at);
  `,
  `
  -- The knowledge-base editor, the unanswered-questions loop, the dashboard and the audit log (issue 5).

  -- A withdrawn version takes its entry out of the published set until a later publish.
  ALTER TABLE entry_versions ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1));

  CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL,
    base_version INTEGER,
    entry TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${sqlList(DRAFT_STATUSES)})),
    author_id TEXT NOT NULL,
    review_comment TEXT,
    reviewer_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX drafts_status ON drafts (status, id);
  CREATE INDEX drafts_entry ON drafts (entry_id, id);
  CREATE INDEX drafts_author ON drafts (author_id, id);

  CREATE TABLE unanswered_groups (
    id TEXT PRIMARY KEY,
    stems TEXT NOT NULL,
    samples TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 1),
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN (${sqlList(UNANSWERED_STATUSES)})),
    resolution TEXT
  );
  -- The open list, most often seen first: read in index order, no sort.
  CREATE INDEX unanswered_open ON unanswered_groups (count DESC, last_seen DESC, id) WHERE status = 'open';

  CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    summary TEXT NOT NULL
  );
  -- Newest first, unfiltered or by one of the filters (keyset paging continues in the same order).
  CREATE INDEX audit_at ON audit_events (at, id);
  CREATE INDEX audit_actor ON audit_events (actor_id, at, id);
  CREATE INDEX audit_action ON audit_events (action, at, id);
  CREATE INDEX audit_target ON audit_events (target, at, id);

  -- Dashboard. Days are counted in the office's time zone by siratu_day() (a JavaScript function
  -- registered on every connection, used by queries only): the indexes give the rows of a range.
  CREATE INDEX conversations_created ON conversations (created_at, channel);
  -- The latest handoff request, kept when hand-back clears handoff_requested_at (first-response times).
  ALTER TABLE conversations ADD COLUMN last_handoff_at INTEGER;
  UPDATE conversations SET last_handoff_at = handoff_requested_at WHERE handoff_requested_at IS NOT NULL;
  CREATE INDEX conversations_handoff ON conversations (last_handoff_at) WHERE last_handoff_at IS NOT NULL;
  -- Turns: the first bot reply of each (id <inbound id>-01); queries must repeat this WHERE (STATS_SQL).
  CREATE INDEX messages_turns ON messages (created_at, kind) WHERE author = 'bot' AND substr(id, -3) = '-01';
  CREATE INDEX messages_answers ON messages (created_at, entry) WHERE author = 'bot' AND kind = 'answer' AND entry IS NOT NULL;
  CREATE INDEX messages_agent ON messages (conversation_id, created_at) WHERE author = 'agent';
  CREATE INDEX tickets_created ON tickets (created_at, status, category, kecamatan);
  -- The latest change to 'selesai' and the deadline in force just before it (the ticket service clears
  -- due_at once a ticket is done, so the ticket itself no longer says whether it was on time).
  ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
  ALTER TABLE tickets ADD COLUMN resolved_due_at INTEGER;
  UPDATE tickets SET resolved_at = (
    SELECT MAX(CAST(round(unixepoch(json_extract(e.value, '$.at'), 'subsec') * 1000) AS INTEGER)) FROM json_each(tickets.events) e
    WHERE json_extract(e.value, '$.type') = 'status' AND json_extract(e.value, '$.to') = 'selesai'
  );
  UPDATE tickets SET resolved_due_at = due_at WHERE resolved_at IS NOT NULL AND status = 'selesai';
  CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
  `,
  `
  -- Personal-data protection (issue 6): what the retention job and erasure requests have anonymised.
  ALTER TABLE contacts ADD COLUMN anonymised_at INTEGER;
  ALTER TABLE conversations ADD COLUMN anonymised_at INTEGER;
  ALTER TABLE tickets ADD COLUMN anonymised_at INTEGER;
  -- The retention job's question: conversations not yet anonymised, least recently active first
  -- (queries repeat the WHERE word for word: PRIVACY_SQL.due).
  CREATE INDEX conversations_retention ON conversations (last_message_at) WHERE anonymised_at IS NULL;
  `,
  `
  -- The inbox search covers what citizens and agents wrote, not the bot's replies: those are
  -- knowledge-base text (every KTP answer would match "ktp"), and indexing a long answer's
  -- trigrams cost ~0.5 ms per reply, the largest single cost of a turn.
  DROP TRIGGER messages_search_insert;
  CREATE TRIGGER messages_search_insert AFTER INSERT ON messages WHEN NEW.author <> 'bot' BEGIN
    INSERT INTO messages_search (text, message_id) VALUES (NEW.text, NEW.id);
  END;
  DELETE FROM messages_search WHERE message_id IN (SELECT id FROM messages WHERE author = 'bot');
  `,
];

type Nullable<T> = T | null;

interface ContactRow {
  id: string;
  channel: Contact['channel'];
  external_id: string;
  name: Nullable<string>;
  phone: Nullable<string>;
  created_at: number;
  last_seen_at: number;
}

interface ConversationRow {
  id: string;
  contact_id: string;
  channel: Conversation['channel'];
  external_id: string;
  state: Conversation['state'];
  flow: Nullable<string>;
  memory: string;
  assignee_id: Nullable<string>;
  assigned_at: Nullable<number>;
  handoff_requested_at: Nullable<number>;
  closed_at: Nullable<number>;
  created_at: number;
  updated_at: number;
  last_message_at: number;
  version: number;
  last_turn: Nullable<string>;
  labels: string;
  last_inbound_at: Nullable<number>;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  contact_id: string;
  channel: Message['channel'];
  direction: Message['direction'];
  author: Message['author'];
  author_id: Nullable<string>;
  text: string;
  kind: Nullable<NonNullable<Message['kind']>>;
  options: Nullable<string>;
  attachments: Nullable<string>;
  entry: Nullable<string>;
  confidence: Nullable<number>;
  platform_message_id: Nullable<string>;
  reply_to: Nullable<string>;
  handled_at: Nullable<number>;
  delivery: Nullable<string>;
  unreadable: Nullable<UnreadableKind>;
  late: Nullable<number>;
  created_at: number;
}

interface JobRow {
  id: string;
  queue: string;
  data: string;
  status: Job['status'];
  attempts: number;
  max_attempts: number;
  backoff_ms: number;
  run_at: number;
  lease_until: Nullable<number>;
  token: Nullable<string>;
  last_error: Nullable<string>;
  created_at: number;
  updated_at: number;
  finished_at: Nullable<number>;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: User['role'];
  password_hash: string;
  totp_secret: Nullable<string>;
  disabled: number;
  failed_logins: number;
  locked_until: Nullable<number>;
  last_login_at: Nullable<number>;
  capacity: number;
  created_at: number;
  updated_at: number;
}

interface SessionRow {
  id: string;
  user_id: string;
  csrf_token: string;
  pending_totp: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

interface TicketRow {
  id: string;
  number: string;
  year: number;
  seq: number;
  contact_id: string;
  conversation_id: string;
  channel: Ticket['channel'];
  category: string;
  description: string;
  kecamatan: Nullable<string>;
  kelurahan: Nullable<string>;
  reporter_name: Nullable<string>;
  reporter_phone: Nullable<string>;
  attachments: string;
  status: Ticket['status'];
  priority: Ticket['priority'];
  assignee_id: Nullable<string>;
  source_message_id: Nullable<string>;
  due_at: Nullable<number>;
  escalated_at: Nullable<number>;
  events: string;
  created_at: number;
  updated_at: number;
}

interface NoteRow {
  id: string;
  conversation_id: string;
  author_id: string;
  text: string;
  created_at: number;
}

interface CannedResponseRow {
  id: string;
  shortcut: string;
  title: string;
  text: string;
  owner_id: Nullable<string>;
  created_at: number;
  updated_at: number;
}

interface RatingRow {
  id: string;
  conversation_id: string;
  ticket_id: Nullable<string>;
  agent_id: Nullable<string>;
  score: number;
  created_at: number;
}

interface EntryVersionRow {
  entry_id: string;
  version: number;
  entry: string;
  published_by: string;
  note: Nullable<string>;
  withdrawn: number;
  at: number;
}

interface DraftRow {
  id: string;
  entry_id: string;
  base_version: Nullable<number>;
  entry: string;
  status: Draft['status'];
  author_id: string;
  review_comment: Nullable<string>;
  reviewer_id: Nullable<string>;
  created_at: number;
  updated_at: number;
}

interface UnansweredRow {
  id: string;
  stems: string;
  samples: string;
  count: number;
  first_seen: number;
  last_seen: number;
  status: UnansweredGroup['status'];
  resolution: Nullable<string>;
}

interface AuditRow {
  id: string;
  at: number;
  actor_id: string;
  action: string;
  target: string;
  summary: string;
}

const ms = (date: Date | null | undefined): number | null => (date ? date.getTime() : null);
const date = (value: number | null): Date | null => (value === null ? null : new Date(value));
const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const parse = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));

function toContact(row: ContactRow): Contact {
  return compact({
    id: row.id,
    channel: row.channel,
    externalId: row.external_id,
    name: row.name ?? undefined,
    phone: row.phone ?? undefined,
    createdAt: new Date(row.created_at),
    lastSeenAt: new Date(row.last_seen_at),
  });
}

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    contactId: row.contact_id,
    channel: row.channel,
    externalId: row.external_id,
    state: row.state,
    flow: parse(row.flow) ?? null,
    memory: JSON.parse(row.memory),
    assigneeId: row.assignee_id,
    assignedAt: date(row.assigned_at),
    handoffRequestedAt: date(row.handoff_requested_at),
    closedAt: date(row.closed_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastMessageAt: new Date(row.last_message_at),
    version: row.version,
    lastTurn: parseTurn(row.last_turn),
    labels: JSON.parse(row.labels) as string[],
    lastInboundAt: date(row.last_inbound_at),
  };
}

/** JSON has no dates: the replies' createdAt comes back as a string. */
function parseTurn(text: string | null): CommittedTurn | null {
  const turn = parse<CommittedTurn>(text);
  return turn ? { ...turn, replies: turn.replies.map((reply) => ({ ...reply, createdAt: new Date(reply.createdAt) })) } : null;
}

function toMessage(row: MessageRow): Message {
  return compact({
    id: row.id,
    conversationId: row.conversation_id,
    contactId: row.contact_id,
    channel: row.channel,
    direction: row.direction,
    author: row.author,
    authorId: row.author_id ?? undefined,
    text: row.text,
    kind: row.kind ?? undefined,
    options: parse(row.options),
    attachments: parse(row.attachments),
    entry: row.entry ?? undefined,
    confidence: row.confidence ?? undefined,
    platformMessageId: row.platform_message_id ?? undefined,
    replyTo: row.reply_to ?? undefined,
    handledAt: date(row.handled_at) ?? undefined,
    delivery: reviveDelivery(parse<DeliveryState>(row.delivery)),
    unreadable: row.unreadable ?? undefined,
    late: row.late ? true : undefined,
    createdAt: new Date(row.created_at),
  });
}

function toJob<T>(row: JobRow): Job<T> {
  return compact({
    id: row.id,
    queue: row.queue,
    data: JSON.parse(row.data) as T,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    backoffMs: row.backoff_ms,
    runAt: new Date(row.run_at),
    leaseUntil: date(row.lease_until),
    token: row.token,
    lastError: row.last_error ?? undefined,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: date(row.finished_at) ?? undefined,
  });
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    passwordHash: row.password_hash,
    totpSecret: row.totp_secret,
    disabled: row.disabled === 1,
    failedLogins: row.failed_logins,
    lockedUntil: date(row.locked_until),
    lastLoginAt: date(row.last_login_at),
    capacity: row.capacity,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    pendingTotp: row.pending_totp === 1,
    createdAt: new Date(row.created_at),
    lastSeenAt: new Date(row.last_seen_at),
    expiresAt: new Date(row.expires_at),
  };
}

function toTicket(row: TicketRow): Ticket {
  const events = JSON.parse(row.events) as (Omit<TicketEvent, 'at'> & { at: string })[];
  return compact({
    id: row.id,
    number: row.number,
    year: row.year,
    seq: row.seq,
    contactId: row.contact_id,
    conversationId: row.conversation_id,
    channel: row.channel,
    category: row.category,
    description: row.description,
    kecamatan: row.kecamatan ?? undefined,
    kelurahan: row.kelurahan ?? undefined,
    reporterName: row.reporter_name ?? undefined,
    reporterPhone: row.reporter_phone ?? undefined,
    attachments: JSON.parse(row.attachments) as Attachment[],
    status: row.status,
    priority: row.priority,
    assigneeId: row.assignee_id,
    sourceMessageId: row.source_message_id ?? undefined,
    dueAt: date(row.due_at),
    escalatedAt: date(row.escalated_at),
    events: events.map((event) => ({ ...event, at: new Date(event.at) })),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

function toNote(row: NoteRow): Note {
  return { id: row.id, conversationId: row.conversation_id, authorId: row.author_id, text: row.text, createdAt: new Date(row.created_at) };
}

function toCannedResponse(row: CannedResponseRow): CannedResponse {
  return {
    id: row.id,
    shortcut: row.shortcut,
    title: row.title,
    text: row.text,
    ownerId: row.owner_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toRating(row: RatingRow): Rating {
  return compact({
    id: row.id,
    conversationId: row.conversation_id,
    ticketId: row.ticket_id ?? undefined,
    agentId: row.agent_id ?? undefined,
    score: row.score,
    createdAt: new Date(row.created_at),
  });
}

function toEntryVersion(row: EntryVersionRow): EntryVersion {
  return compact({
    entryId: row.entry_id,
    version: row.version,
    entry: JSON.parse(row.entry) as Entry,
    by: row.published_by,
    note: row.note ?? undefined,
    withdrawn: row.withdrawn ? true : undefined,
    at: new Date(row.at),
  });
}

function toDraft(row: DraftRow): Draft {
  return compact({
    id: row.id,
    entryId: row.entry_id,
    baseVersion: row.base_version,
    entry: JSON.parse(row.entry) as Entry,
    status: row.status,
    authorId: row.author_id,
    reviewComment: row.review_comment ?? undefined,
    reviewerId: row.reviewer_id ?? undefined,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

function toUnansweredGroup(row: UnansweredRow): UnansweredGroup {
  return compact({
    id: row.id,
    stems: JSON.parse(row.stems) as string[],
    samples: JSON.parse(row.samples) as string[],
    count: row.count,
    firstSeen: new Date(row.first_seen),
    lastSeen: new Date(row.last_seen),
    status: row.status,
    resolution: reviveResolution(parse(row.resolution)),
  });
}

function toAuditEvent(row: AuditRow): AuditEvent {
  return { id: row.id, at: new Date(row.at), actorId: row.actor_id, action: row.action, target: row.target, summary: row.summary };
}

type Encode = (value: unknown) => unknown;
const same: Encode = (value) => value;
const epoch: Encode = (value) => ms(value as Date | null);

/** Patchable conversation fields → column and encoding. Only these names ever reach the SQL text. */
const CONVERSATION_COLUMNS: Record<keyof ConversationPatch, [string, Encode]> = {
  state: ['state', same],
  flow: ['flow', json],
  memory: ['memory', json],
  assigneeId: ['assignee_id', same],
  assignedAt: ['assigned_at', epoch],
  handoffRequestedAt: ['handoff_requested_at', epoch],
  closedAt: ['closed_at', epoch],
  lastMessageAt: ['last_message_at', epoch],
  lastTurn: ['last_turn', json],
  labels: ['labels', (value) => JSON.stringify(normalizeLabels(value as string[]))],
  lastInboundAt: ['last_inbound_at', epoch],
};

const bool: Encode = (value) => (value ? 1 : 0);

const USER_COLUMNS: Record<keyof UserPatch, [string, Encode]> = {
  displayName: ['display_name', same],
  role: ['role', same],
  passwordHash: ['password_hash', same],
  totpSecret: ['totp_secret', same],
  disabled: ['disabled', bool],
  failedLogins: ['failed_logins', same],
  lockedUntil: ['locked_until', epoch],
  lastLoginAt: ['last_login_at', epoch],
  capacity: ['capacity', (value) => checkCapacity(value as number)],
};

const SESSION_COLUMNS: Record<'lastSeenAt' | 'expiresAt' | 'pendingTotp' | 'csrfToken', [string, Encode]> = {
  lastSeenAt: ['last_seen_at', epoch],
  expiresAt: ['expires_at', epoch],
  pendingTotp: ['pending_totp', bool],
  csrfToken: ['csrf_token', same],
};

const TICKET_COLUMNS: Record<keyof TicketPatch, [string, Encode]> = {
  status: ['status', same],
  priority: ['priority', same],
  assigneeId: ['assignee_id', same],
  category: ['category', same],
  kecamatan: ['kecamatan', same],
  kelurahan: ['kelurahan', same],
  dueAt: ['due_at', epoch],
  escalatedAt: ['escalated_at', epoch],
};

const DRAFT_COLUMNS: Record<'entry' | 'status' | 'reviewComment' | 'reviewerId' | 'baseVersion', [string, Encode]> = {
  entry: ['entry', json],
  status: ['status', same],
  reviewComment: ['review_comment', same],
  reviewerId: ['reviewer_id', same],
  baseVersion: ['base_version', same],
};

/** `%text%` for LIKE … ESCAPE '\\': the user's % and _ are literal. */
const likeContaining = (text: string) => `%${text.replace(/[\\%_]/gu, (c) => `\\${c}`)}%`;
const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

/** A query and its parameters (exported builders let tests check the plans SQLite picks for them). */
export interface Query {
  text: string;
  params: unknown[];
}

/**
 * Overdue tickets: written exactly as the WHERE of the partial index tickets_overdue (migration 5),
 * which SQLite can use only when the query repeats it. The query names the index (INDEXED BY):
 * without statistics the planner would rather walk all tickets in id order to skip a small sort.
 */
const OVERDUE = "status NOT IN ('selesai', 'ditutup') AND escalated_at IS NULL";

export function conversationListQuery(filter: Parameters<ConversationRepository['list']>[0]): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.state) {
    where.push(`state IN (${placeholders(filter.state)})`);
    params.push(...filter.state);
  }
  if (filter.assigneeId !== undefined) {
    where.push('assignee_id = ?');
    params.push(filter.assigneeId);
  }
  if (filter.channel !== undefined) {
    where.push('channel = ?');
    params.push(filter.channel);
  }
  if (filter.label !== undefined) {
    where.push('id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?)');
    params.push(normalizeLabel(filter.label));
  }
  if (filter.contactIds !== undefined) {
    where.push('contact_id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.contactIds));
  }
  const order = filter.order === 'recent' ? 'last_message_at DESC, id DESC' : 'id';
  return {
    text: `SELECT * FROM conversations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`,
    params: [...params, filter.limit ?? -1],
  };
}

export function ticketListQuery(filter: Parameters<TicketRepository['list']>[0]): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.overdueAt !== undefined) {
    where.push(OVERDUE, 'due_at < ?');
    params.push(ms(filter.overdueAt));
  }
  if (filter.status) {
    where.push(`status IN (${placeholders(filter.status)})`);
    params.push(...filter.status);
  }
  for (const [key, column] of [['contactId', 'contact_id'], ['conversationId', 'conversation_id'], ['assigneeId', 'assignee_id']] as const) {
    if (filter[key] === undefined) continue;
    where.push(`${column} = ?`);
    params.push(filter[key]);
  }
  const from = filter.overdueAt === undefined ? 'tickets' : 'tickets INDEXED BY tickets_overdue';
  return {
    text: `SELECT * FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    params: [...params, filter.limit ?? -1],
  };
}

/**
 * Inbox search (see searchTerms): words of 3+ characters go to the trigram index, newest
 * (last inserted) first, so the scan stops at the limit; shorter words ("kk") cannot be
 * trigram-matched and filter those candidates with LIKE. A search of short words only
 * walks the messages newest first until the limit. Null when there is nothing to search.
 */
export function messageSearchQuery(text: string, limit: number): Query | null {
  const terms = searchTerms(text);
  if (terms.length === 0) return null;
  const indexed = terms.filter((term) => [...term].length >= 3);
  const short = terms.filter((term) => [...term].length < 3);
  const likes = short.map(() => "m.text LIKE ? ESCAPE '\\'");
  if (indexed.length === 0) {
    return { text: `SELECT m.* FROM messages m WHERE ${likes.join(' AND ')} ORDER BY m.id DESC LIMIT ?`, params: [...short.map(likeContaining), limit] };
  }
  const match = indexed.map((term) => `"${term.replaceAll('"', '""')}"`).join(' ');
  return {
    text: `SELECT m.* FROM messages_search s JOIN messages m ON m.id = s.message_id
           WHERE messages_search MATCH ?${likes.map((like) => ` AND ${like}`).join('')} ORDER BY s.rowid DESC LIMIT ?`,
    params: [match, ...short.map(likeContaining), limit],
  };
}

/** Fixed-shape inbox queries (exported, like the builders, for the query-plan test). */
export const INBOX_SQL = {
  countInboundAfter: "SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND direction = 'in' AND id > ?",
  countByAssignee: 'SELECT COUNT(*) AS n FROM conversations WHERE assignee_id = ? AND state IN (SELECT value FROM json_each(?))',
} as const;

/** Contacts whose canonical numbers contain the digits (see phoneFragments), most recently seen first. */
export function contactPhoneQuery(digits: string, limit: number): Query | null {
  const fragments = phoneFragments(digits);
  if (fragments.length === 0) return null;
  return {
    text: `SELECT * FROM contacts WHERE ${fragments.map(() => 'phone_key LIKE ?').join(' OR ')} ORDER BY last_seen_at DESC, id DESC LIMIT ?`,
    params: [...fragments.map((fragment) => `%${fragment}%`), limit],
  };
}

/**
 * Dashboard queries (issue 5). Each reads the range from an index holding the columns it needs
 * and counts per day in the office's zone with siratu_day(ms, zone) (see dayKeyIn in ids.ts):
 * SQLite has no time zones, and a fixed offset would be wrong for zones with DST.
 * Parameters: zone, from (inclusive), to (exclusive) for the per-day ones; from, to for the rest.
 * The partial indexes' WHERE terms are repeated word for word, as SQLite requires.
 */
export const STATS_SQL = {
  conversationsPerDay: `SELECT siratu_day(created_at, ?) AS day, channel, COUNT(*) AS count FROM conversations
    WHERE created_at >= ? AND created_at < ? GROUP BY day, channel ORDER BY day, channel`,
  repliesPerDay: `SELECT siratu_day(created_at, ?) AS day, kind, COUNT(*) AS count FROM messages INDEXED BY messages_turns
    WHERE author = 'bot' AND substr(id, -3) = '${FIRST_REPLY_SUFFIX}' AND created_at >= ? AND created_at < ? AND kind IS NOT NULL
    GROUP BY day, kind ORDER BY day, kind`,
  answersPerEntry: `SELECT entry, COUNT(*) AS count FROM messages INDEXED BY messages_answers
    WHERE author = 'bot' AND kind = 'answer' AND entry IS NOT NULL AND created_at >= ? AND created_at < ?
    GROUP BY entry ORDER BY count DESC, entry`,
  ticketsBy: {
    status: 'SELECT status AS key, COUNT(*) AS count FROM tickets WHERE created_at >= ? AND created_at < ? GROUP BY key ORDER BY key',
    category: 'SELECT category AS key, COUNT(*) AS count FROM tickets WHERE created_at >= ? AND created_at < ? GROUP BY key ORDER BY key',
    kecamatan: "SELECT COALESCE(kecamatan, '-') AS key, COUNT(*) AS count FROM tickets WHERE created_at >= ? AND created_at < ? GROUP BY key ORDER BY key",
  },
  /** The first agent message at or after the latest handoff request (kept through a hand-back: last_handoff_at). */
  /** Null responded_at (nobody answered yet) is left out by the caller: a WHERE on it would run the subquery twice. */
  firstResponses: `SELECT c.last_handoff_at AS requested_at,
      (SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = c.id AND m.author = 'agent' AND m.created_at >= c.last_handoff_at) AS responded_at
    FROM conversations c WHERE c.last_handoff_at >= ? AND c.last_handoff_at < ? ORDER BY c.last_handoff_at, c.id`,
  resolutions: `SELECT created_at, resolved_at, resolved_due_at FROM tickets
    WHERE resolved_at >= ? AND resolved_at < ? ORDER BY resolved_at, id`,
} as const;

/** The open unanswered groups, most often seen first, then most recently (index order of unanswered_open: no sort). */
export const UNANSWERED_SQL = {
  open: "SELECT * FROM unanswered_groups WHERE status = 'open' ORDER BY count DESC, last_seen DESC, id LIMIT ?",
} as const;

/**
 * The retention job's batch (issue 6): conversations not yet anonymised that ended before the cutoff
 * (closed then, or left with the bot and idle since), with no ticket still open or changed since.
 * Parameters: cutoff, cutoff, cutoff, limit. Read from conversations_retention in index order.
 */
export const PRIVACY_SQL = {
  due: `SELECT * FROM conversations INDEXED BY conversations_retention
    WHERE anonymised_at IS NULL AND last_message_at < ? AND state IN ('closed', 'bot') AND (closed_at IS NULL OR closed_at < ?)
      AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = conversations.id AND (t.status NOT IN ('selesai', 'ditutup') OR t.updated_at >= ?))
    ORDER BY last_message_at LIMIT ?`,
} as const;

/** Drafts, newest first, by the given filters. */
export function draftListQuery(filter: Parameters<DraftRepository['list']>[0]): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    where.push(`status IN (${placeholders(filter.status)})`);
    params.push(...filter.status);
  }
  for (const [key, column] of [['entryId', 'entry_id'], ['authorId', 'author_id']] as const) {
    if (filter[key] === undefined) continue;
    where.push(`${column} = ?`);
    params.push(filter[key]);
  }
  return {
    text: `SELECT * FROM drafts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    params: [...params, filter.limit ?? -1],
  };
}

/**
 * The audit log, newest first (at, then id), by the given filters. `beforeId` continues after
 * that event in the same order (keyset paging: pages stay right while events are added); an
 * unknown beforeId gives nothing.
 */
export function auditListQuery(filter: Parameters<AuditRepository['list']>[0]): Query {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [key, column] of [['actorId', 'actor_id'], ['action', 'action'], ['target', 'target']] as const) {
    if (filter[key] === undefined) continue;
    where.push(`${column} = ?`);
    params.push(filter[key]);
  }
  if (filter.from !== undefined) {
    where.push('at >= ?');
    params.push(ms(filter.from));
  }
  if (filter.to !== undefined) {
    where.push('at < ?');
    params.push(ms(filter.to));
  }
  if (filter.beforeId !== undefined) {
    where.push('(at, id) < (SELECT at, id FROM audit_events WHERE id = ?)');
    params.push(filter.beforeId);
  }
  return {
    text: `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`,
    params: [...params, filter.limit ?? -1],
  };
}

/** `col = ?` assignments for the defined keys of a patch; unknown keys are ignored. */
function assignments<K extends string>(patch: Partial<Record<K, unknown>>, columns: Record<K, [string, Encode]>) {
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const column = columns[key as K];
    if (value === undefined || !column) continue;
    sets.push(`${column[0]} = ?`);
    params.push(column[1](value));
  }
  return { sets, params };
}

/**
 * Copies the write-ahead log back into the database from a worker thread.
 * SQLite's automatic checkpoint runs inside whichever commit crosses the
 * threshold, stalling that reply for several milliseconds; a separate
 * connection on another thread does the same work without blocking the
 * event loop (a PASSIVE checkpoint never blocks writers). The automatic
 * checkpoint stays on with a high threshold, as a safety net should the
 * worker ever stop.
 */
function startCheckpointer(file: string, db: Database.Database): { stop(): Promise<void> } {
  db.pragma('wal_autocheckpoint = 20000');
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const Database = require(workerData.module);
     const db = new Database(workerData.file);
     db.pragma('busy_timeout = 5000');
     const checkpoint = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
     const timer = setInterval(() => checkpoint('PASSIVE'), 500);
     parentPort.on('message', () => { clearInterval(timer); checkpoint('PASSIVE'); db.close(); parentPort.close(); });`,
    { eval: true, workerData: { file, module: createRequire(import.meta.url).resolve('better-sqlite3') } },
  );
  worker.unref();
  return {
    async stop() {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref(); // keep the process alive until the last checkpoint is done
      worker.postMessage('stop');
      await exited;
    },
  };
}

/** The contacts.phone_key column: the contact's canonical numbers, space-separated, or null. */
function phoneKey(channel: Contact['channel'], externalId: string, phone: string | null): string | null {
  const keys = contactPhoneKeys(channel, externalId, phone);
  return keys.length ? keys.join(' ') : null;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function openSqliteStore(options: { file: string }): Store {
  const db = new Database(options.file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const checkpointer = options.file === ':memory:' ? undefined : startCheckpointer(options.file, db);
  db.pragma('foreign_keys = ON');
  // Used by migration 5 and contacts.update; registered on every connection, referenced by no schema object.
  db.function('siratu_phone_keys', { deterministic: true }, (channel: unknown, externalId: unknown, phone: unknown) =>
    phoneKey(channel as Contact['channel'], String(externalId), typeof phone === 'string' ? phone : null),
  );
  // The day of an epoch-ms instant in an IANA zone (dashboard queries, STATS_SQL); used by no schema object.
  db.function('siratu_day', { deterministic: true }, (at: unknown, timeZone: unknown) => dayKeyIn(String(timeZone))(Number(at)));

  // Immediate: two processes opening a fresh file at once migrate it once.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) throw new Error(`${options.file} has schema version ${current}, newer than this code (${MIGRATIONS.length})`);
    for (const migration of MIGRATIONS.slice(current)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();

  // Dynamic SQL (filters, patches) has few shapes: prepare each once.
  const statements = new Map<string, Database.Statement>();
  const sql = (text: string) => {
    let statement = statements.get(text);
    if (!statement) statements.set(text, (statement = db.prepare(text)));
    return statement;
  };
  const one = <T>(text: string, ...params: unknown[]) => sql(text).get(...params) as T | undefined;
  const all = <T>(text: string, ...params: unknown[]) => sql(text).all(...params) as T[];
  const limit = (n: number | undefined) => (n === undefined ? -1 : n);

  /** Increments a named counter and returns its new value (inside the caller's transaction). */
  const bump = (name: string) =>
    one<{ value: number }>(
      'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value',
      name,
    )!.value;

  const ticketById = (id: string) => one<TicketRow>('SELECT * FROM tickets WHERE id = ?', id);

  const openConversation = db.transaction((contact: Contact): Conversation => {
    const open = one<ConversationRow>("SELECT * FROM conversations WHERE contact_id = ? AND state <> 'closed'", contact.id);
    if (open) return toConversation(open);
    const c = buildConversation(contact);
    sql(
      `INSERT INTO conversations (id, contact_id, channel, external_id, state, flow, memory, assignee_id, assigned_at,
         handoff_requested_at, closed_at, created_at, updated_at, last_message_at, version, labels, last_inbound_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(c.id, c.contactId, c.channel, c.externalId, c.state, json(c.flow), json(c.memory), c.assigneeId, ms(c.assignedAt),
      ms(c.handoffRequestedAt), ms(c.closedAt), ms(c.createdAt), ms(c.updatedAt), ms(c.lastMessageAt), c.version,
      json(c.labels), ms(c.lastInboundAt));
    return c;
  });

  /** Counter bump and insert share one transaction: a failed insert rolls the number back, so no gaps. */
  const createTicket = db.transaction((input: NewTicket): Ticket => {
    if (input.sourceMessageId) {
      const existing = one<TicketRow>('SELECT * FROM tickets WHERE source_message_id = ?', input.sourceMessageId);
      if (existing) return toTicket(existing);
    }
    const createdAt = input.createdAt ?? new Date();
    const t = buildTicket({ ...input, createdAt }, bump(`ticket:${ticketYear(createdAt)}`));
    sql(
      `INSERT INTO tickets (id, number, year, seq, contact_id, conversation_id, channel, category, description, kecamatan,
         kelurahan, reporter_name, reporter_phone, attachments, status, priority, assignee_id, source_message_id, events,
         created_at, updated_at, due_at, escalated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(t.id, t.number, t.year, t.seq, t.contactId, t.conversationId, t.channel, t.category, t.description,
      t.kecamatan ?? null, t.kelurahan ?? null, t.reporterName ?? null, t.reporterPhone ?? null, json(t.attachments),
      t.status, t.priority, t.assigneeId, t.sourceMessageId ?? null, json(t.events), ms(t.createdAt), ms(t.updatedAt),
      ms(t.dueAt), ms(t.escalatedAt));
    return t;
  });

  /** Reads the old status and writes patch + event under one write lock. */
  const updateTicket = db.transaction(
    (id: string, patch: TicketPatch, event: Parameters<Store['tickets']['update']>[2]): Ticket | null => {
      const row = ticketById(id);
      if (!row) return null;
      const now = new Date();
      const status = patch.status === undefined ? undefined : { from: row.status, to: patch.status };
      const recorded = ticketEvent(event, now, status);
      const events = [...(JSON.parse(row.events) as unknown[]), recorded];
      const { sets, params } = assignments(patch, TICKET_COLUMNS);
      if (patch.status === 'selesai' && row.status !== 'selesai') {
        // Resolved: when, and the deadline in force until now (dashboard: resolutions).
        sets.push('resolved_at = ?', 'resolved_due_at = ?');
        params.push(ms(recorded.at), row.due_at);
      }
      sql(`UPDATE tickets SET ${[...sets, 'events = ?', 'updated_at = ?'].join(', ')} WHERE id = ?`).run(
        ...params, json(events), ms(now), id,
      );
      return toTicket(ticketById(id)!);
    },
  );

  const addAttachments = db.transaction((id: string, attachments: Attachment[], actor: string): Ticket | null => {
    const row = ticketById(id);
    if (!row) return null;
    const now = new Date();
    const event = ticketEvent({ actor, type: 'attachment', note: attachments.map((a) => a.fileName ?? a.key).join(', ') }, now);
    sql('UPDATE tickets SET attachments = ?, events = ?, updated_at = ? WHERE id = ?').run(
      json([...(JSON.parse(row.attachments) as Attachment[]), ...attachments]),
      json([...(JSON.parse(row.events) as unknown[]), event]),
      ms(now),
      id,
    );
    return toTicket(ticketById(id)!);
  });

  /** A withdrawn copy of the latest version as the next version, and the revision bump, under one write lock. */
  const withdraw = db.transaction((id: string, by: string, note: string | undefined): boolean => {
    const last = one<EntryVersionRow>('SELECT * FROM entry_versions WHERE entry_id = ? ORDER BY version DESC LIMIT 1', id);
    if (!last || last.withdrawn) return false;
    sql('INSERT INTO entry_versions (entry_id, version, entry, published_by, note, withdrawn, at) VALUES (?, ?, ?, ?, ?, 1, ?)').run(
      id, last.version + 1, last.entry, by, note ?? null, Date.now(),
    );
    bump('knowledge:revision');
    return true;
  });

  /** Adds a message to an open group (or starts a group) under one write lock: counts and samples stay exact across processes. */
  const recordUnanswered = db.transaction((message: { text: string; stems: string[]; at: Date }, groupId: string | undefined): UnansweredGroup => {
    const row = groupId === undefined ? undefined : one<UnansweredRow>("SELECT * FROM unanswered_groups WHERE id = ? AND status = 'open'", groupId);
    if (row) {
      const at = ms(message.at);
      return toUnansweredGroup(
        one<UnansweredRow>(
          `UPDATE unanswered_groups SET count = count + 1, samples = ?, first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?)
           WHERE id = ? RETURNING *`,
          json(addSample(JSON.parse(row.samples) as string[], message.text)), at, at, row.id,
        )!,
      );
    }
    const g = buildUnansweredGroup(message);
    sql('INSERT INTO unanswered_groups (id, stems, samples, count, first_seen, last_seen, status) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      g.id, json(g.stems), json(g.samples), g.count, ms(g.firstSeen), ms(g.lastSeen), g.status,
    );
    return g;
  });

  /** Next version of the entry and the revision bump, under one write lock. */
  const publish = db.transaction((entry: Entry, by: string, note: string | undefined): EntryVersion => {
    const { last } = one<{ last: number }>('SELECT COALESCE(MAX(version), 0) AS last FROM entry_versions WHERE entry_id = ?', entry.id)!;
    const version: EntryVersion = compact({ entryId: entry.id, version: last + 1, entry, by, note, at: new Date() });
    sql('INSERT INTO entry_versions (entry_id, version, entry, published_by, note, at) VALUES (?, ?, ?, ?, ?, ?)').run(
      version.entryId, version.version, json(entry), by, note ?? null, ms(version.at),
    );
    bump('knowledge:revision');
    return version;
  });

  const setKeyValues = db.transaction((namespace: string, entries: [string, string | null][]) => {
    for (const [key, value] of entries) {
      if (value === null) sql('DELETE FROM key_values WHERE namespace = ? AND key = ?').run(namespace, key);
      else
        sql('INSERT INTO key_values (namespace, key, value) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value').run(
          namespace, key, value,
        );
    }
  });

  /** Conditional update of a job the caller holds (matching token while active); true if it applied. */
  const held = (id: string, token: string, set: string, ...params: unknown[]) =>
    sql(`UPDATE jobs SET ${set}, updated_at = ? WHERE id = ? AND token = ? AND status = 'active'`).run(...params, Date.now(), id, token)
      .changes > 0;

  const latestVersions = `SELECT * FROM entry_versions v
    WHERE version = (SELECT MAX(version) FROM entry_versions WHERE entry_id = v.entry_id)`;

  /** A stats range as query parameters (the zone checked first: an unknown one is a RangeError, as in MongoDB). */
  const span = (range: StatsRange) => ({ zone: checkTimeZone(range.timeZone), from: ms(range.from), to: ms(range.to) });

  /**
   * Anonymises conversations and tickets inside the caller's transaction (issue 6): message and note
   * texts replaced, attachment files deleted, flow data, memory and the last turn dropped, the
   * conversation closed under a pseudonymous channel id; tickets keep what the dashboard counts and
   * lose reporter, description, kelurahan, attachments and event notes. Already anonymised records
   * are skipped, so running it twice changes nothing.
   */
  const anonymise = (
    conversations: (ConversationRow & { anonymised_at: number | null })[],
    ticketIds: string[],
    text: string,
    now: number,
    closedAt: (row: ConversationRow) => number,
  ): AnonymisationCounts => {
    const counts: AnonymisationCounts = { conversations: 0, messages: 0, tickets: 0, contacts: 0, files: 0 };
    const keys: string[] = [];
    for (const row of conversations) {
      if (row.anonymised_at !== null) continue;
      for (const message of all<{ attachments: string }>('SELECT attachments FROM messages WHERE conversation_id = ? AND attachments IS NOT NULL', row.id)) {
        keys.push(...attachmentKeys([JSON.parse(message.attachments) as Attachment[]]));
      }
      // The search index follows the text (trigger messages_search_update): the old words are no longer found.
      counts.messages += sql(
        `UPDATE messages SET text = ?, attachments = NULL,
           delivery = CASE WHEN delivery IS NULL THEN NULL ELSE json_remove(delivery, '$.lastError') END
         WHERE conversation_id = ?`,
      ).run(text, row.id).changes;
      sql('UPDATE notes SET text = ? WHERE conversation_id = ?').run(text, row.id);
      sql(
        `UPDATE conversations SET memory = '{}', flow = NULL, last_turn = NULL, external_id = ?, state = 'closed',
           closed_at = COALESCE(closed_at, ?), version = version + 1, updated_at = ?, anonymised_at = ?
         WHERE id = ?`,
      ).run(pseudonymFor(row.contact_id), closedAt(row), now, now, row.id);
      counts.conversations++;
    }
    for (const id of ticketIds) {
      const row = one<TicketRow & { anonymised_at: number | null }>('SELECT * FROM tickets WHERE id = ? AND anonymised_at IS NULL', id);
      if (!row) continue;
      keys.push(...attachmentKeys([JSON.parse(row.attachments) as Attachment[]]));
      // updated_at stays: anonymising is not a change anyone made to the complaint.
      sql(
        `UPDATE tickets SET description = ?, reporter_name = NULL, reporter_phone = NULL, kelurahan = NULL, attachments = '[]',
           events = ?, anonymised_at = ? WHERE id = ?`,
      ).run(text, json(withoutNotes(JSON.parse(row.events) as TicketEvent[])), now, id);
      counts.tickets++;
    }
    if (keys.length > 0) {
      counts.files = sql('DELETE FROM files WHERE key IN (SELECT value FROM json_each(?))').run(JSON.stringify([...new Set(keys)])).changes;
    }
    return counts;
  };

  /**
   * Name and phone removed, the channel id replaced by a pseudonym: the citizen can no longer be
   * found or told apart. Only once nothing of theirs is left to anonymise (and, for the retention
   * job, when they were last seen before the cutoff).
   */
  const pseudonymise = (contactId: string, now: number, seenBefore?: number): number =>
    sql(
      `UPDATE contacts SET name = NULL, phone = NULL, phone_key = NULL, external_id = ?, anonymised_at = ?
       WHERE id = ? AND anonymised_at IS NULL AND last_seen_at < ?
         AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = contacts.id AND c.anonymised_at IS NULL)`,
    ).run(pseudonymFor(contactId), now, contactId, seenBefore ?? Number.MAX_SAFE_INTEGER).changes;

  const anonymiseBefore = db.transaction((cutoff: number, limit: number, now: number) => {
    const due = all<ConversationRow & { anonymised_at: number | null }>(PRIVACY_SQL.due, cutoff, cutoff, cutoff, limit);
    const tickets = due.length
      ? all<{ id: string }>('SELECT id FROM tickets WHERE conversation_id IN (SELECT value FROM json_each(?)) ORDER BY id', JSON.stringify(due.map((row) => row.id)))
      : [];
    // An idle conversation with the bot ends when it went quiet.
    const counts = anonymise(due, tickets.map((row) => row.id), RETENTION_TEXT, now, (row) => row.last_message_at);
    for (const contactId of new Set(due.map((row) => row.contact_id))) counts.contacts += pseudonymise(contactId, now, cutoff);
    return { ...counts, more: due.length === limit };
  });

  const eraseContact = db.transaction((contactId: string, now: number): ErasureResult => {
    if (!one('SELECT 1 FROM contacts WHERE id = ?', contactId)) return { status: 'missing' };
    const openTickets = all<TicketRow>("SELECT * FROM tickets WHERE contact_id = ? AND status NOT IN ('selesai', 'ditutup') ORDER BY id", contactId);
    const active = all<ConversationRow>("SELECT * FROM conversations WHERE contact_id = ? AND state IN ('waiting', 'agent') ORDER BY id", contactId);
    if (openTickets.length || active.length) return { status: 'blocked', openTickets: openTickets.map(toTicket), activeConversations: active.map(toConversation) };
    const conversations = all<ConversationRow & { anonymised_at: number | null }>('SELECT * FROM conversations WHERE contact_id = ? ORDER BY id', contactId);
    const tickets = all<{ id: string }>(
      'SELECT id FROM tickets WHERE contact_id = ? OR conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?) ORDER BY id',
      contactId, contactId,
    );
    const counts = anonymise(conversations, tickets.map((row) => row.id), ERASURE_TEXT, now, () => now);
    counts.contacts += pseudonymise(contactId, now);
    return { status: 'erased', ...counts };
  });

  /** Privacy work overwrites what it deletes in the database file (secure_delete), not just unlinks it. */
  const securely = <T>(work: () => T): T => {
    db.pragma('secure_delete = ON');
    try {
      return work();
    } finally {
      db.pragma('secure_delete = OFF');
    }
  };

  return {
    engine: 'sqlite',

    contacts: {
      async upsert(channel, externalId, name) {
        const now = Date.now();
        // A name we already have (perhaps given by the citizen) is kept over the platform's display name.
        const row = one<ContactRow>(
          `INSERT INTO contacts (id, channel, external_id, name, phone_key, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (channel, external_id) DO UPDATE
             SET last_seen_at = excluded.last_seen_at, name = COALESCE(contacts.name, excluded.name)
           RETURNING *`,
          newId(), channel, externalId, name ?? null, phoneKey(channel, externalId, null), now, now,
        )!;
        return toContact(row);
      },
      async get(id) {
        const row = one<ContactRow>('SELECT * FROM contacts WHERE id = ?', id);
        return row ? toContact(row) : null;
      },
      async update(id, patch) {
        const { sets, params } = assignments(patch, { name: ['name', same], phone: ['phone', same] });
        if (patch.phone !== undefined) {
          sets.push('phone_key = siratu_phone_keys(channel, external_id, ?)');
          params.push(patch.phone);
        }
        const row = sets.length
          ? one<ContactRow>(`UPDATE contacts SET ${sets.join(', ')} WHERE id = ? RETURNING *`, ...params, id)
          : one<ContactRow>('SELECT * FROM contacts WHERE id = ?', id);
        return row ? toContact(row) : null;
      },
      async findByPhone(digits, n = DEFAULT_SEARCH_LIMIT) {
        const query = contactPhoneQuery(digits, n);
        return query ? all<ContactRow>(query.text, ...query.params).map(toContact) : [];
      },
    },

    conversations: {
      async open(contact) {
        return openConversation.immediate(contact);
      },
      async get(id) {
        const row = one<ConversationRow>('SELECT * FROM conversations WHERE id = ?', id);
        return row ? toConversation(row) : null;
      },
      async update(id, patch, condition = {}) {
        const { sets, params } = assignments(patch, CONVERSATION_COLUMNS);
        const where = ['id = ?'];
        const whereParams: unknown[] = [id];
        if (condition.ifState) {
          where.push(`state IN (${condition.ifState.map(() => '?').join(', ')})`);
          whereParams.push(...condition.ifState);
        }
        if (condition.ifVersion !== undefined) {
          where.push('version = ?');
          whereParams.push(condition.ifVersion);
        }
        if (condition.ifAssignee !== undefined) {
          where.push('assignee_id IS ?'); // IS matches NULL too: ifAssignee null = "nobody owns it"
          whereParams.push(condition.ifAssignee);
        }
        if (patch.handoffRequestedAt) {
          sets.push('last_handoff_at = ?'); // kept when a hand-back clears the request (first-response times)
          params.push(ms(patch.handoffRequestedAt));
        }
        try {
          const row = one<ConversationRow>(
            `UPDATE conversations SET ${[...sets, 'version = version + 1', 'updated_at = ?'].join(', ')}
             WHERE ${where.join(' AND ')} RETURNING *`,
            ...params, Date.now(), ...whereParams,
          );
          return row ? toConversation(row) : null;
        } catch (error) {
          // Reopening a closed conversation while the contact has another open one.
          if (isUniqueViolation(error)) return null;
          throw error;
        }
      },
      async list(filter) {
        const query = conversationListQuery(filter);
        return all<ConversationRow>(query.text, ...query.params).map(toConversation);
      },
      async countByAssignee(assigneeId, states) {
        return one<{ n: number }>(INBOX_SQL.countByAssignee, assigneeId, JSON.stringify(states))!.n;
      },
    },

    messages: {
      async add(input: NewMessage) {
        const m = buildMessage(input);
        try {
          const { changes } = sql(
            `INSERT INTO messages (id, conversation_id, contact_id, channel, direction, author, author_id, text, kind, options,
               attachments, entry, confidence, platform_message_id, reply_to, delivery, delivery_status, unreadable, late, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (channel, platform_message_id) WHERE direction = 'in' AND platform_message_id IS NOT NULL DO NOTHING`,
          ).run(m.id, m.conversationId, m.contactId, m.channel, m.direction, m.author, m.authorId ?? null, m.text, m.kind ?? null,
            json(m.options), json(m.attachments), m.entry ?? null, m.confidence ?? null, m.platformMessageId ?? null,
            m.replyTo ?? null, json(m.delivery), m.delivery?.status ?? null, m.unreadable ?? null, m.late ? 1 : null, ms(m.createdAt));
          if (changes > 0) return { message: m, duplicate: false };
          const first = one<MessageRow>(
            "SELECT * FROM messages WHERE channel = ? AND platform_message_id = ? AND direction = 'in'",
            m.channel, m.platformMessageId,
          )!;
          return { message: toMessage(first), duplicate: true };
        } catch (error) {
          // Same id stored before (a turn being finished a second time).
          if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
          return { message: toMessage(one<MessageRow>('SELECT * FROM messages WHERE id = ?', m.id)!), duplicate: true };
        }
      },
      async get(id) {
        const row = one<MessageRow>('SELECT * FROM messages WHERE id = ?', id);
        return row ? toMessage(row) : null;
      },
      async list(conversationId, options = {}) {
        return all<MessageRow>(
          'SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?',
          conversationId, options.afterId ?? '', limit(options.limit),
        ).map(toMessage);
      },
      async listForContact(contactId, options = {}) {
        return all<MessageRow>(
          'SELECT * FROM messages WHERE contact_id = ? AND id > ? ORDER BY id LIMIT ?',
          contactId, options.afterId ?? '', limit(options.limit),
        ).map(toMessage);
      },
      async markHandled(id, at = new Date()) {
        sql('UPDATE messages SET handled_at = ? WHERE id = ?').run(ms(at), id);
      },
      async setDelivery(id, delivery) {
        sql('UPDATE messages SET delivery = ?, delivery_status = ? WHERE id = ?').run(json(delivery), delivery.status, id);
      },
      async failedDeliveries(n) {
        return all<MessageRow>("SELECT * FROM messages WHERE delivery_status = 'failed' ORDER BY id DESC LIMIT ?", limit(n)).map(toMessage);
      },
      async search(text, n = DEFAULT_SEARCH_LIMIT) {
        const query = messageSearchQuery(text, n);
        return query ? all<MessageRow>(query.text, ...query.params).map(toMessage) : [];
      },
      async countInboundAfter(conversationId, afterId) {
        return one<{ n: number }>(INBOX_SQL.countInboundAfter, conversationId, afterId ?? '')!.n;
      },
      async unhandled(n) {
        return all<MessageRow>(
          "SELECT * FROM messages WHERE direction = 'in' AND handled_at IS NULL ORDER BY id LIMIT ?",
          limit(n),
        ).map(toMessage);
      },
    },

    tickets: {
      async create(input) {
        return createTicket.immediate(input);
      },
      async get(id) {
        const row = ticketById(id);
        return row ? toTicket(row) : null;
      },
      async byNumber(number) {
        const row = one<TicketRow>('SELECT * FROM tickets WHERE number = ?', number);
        return row ? toTicket(row) : null;
      },
      async update(id, patch, event) {
        return updateTicket.immediate(id, patch, event);
      },
      async addAttachments(id, attachments, actor) {
        return addAttachments.immediate(id, attachments, actor);
      },
      async list(filter) {
        const query = ticketListQuery(filter);
        return all<TicketRow>(query.text, ...query.params).map(toTicket);
      },
      async countByStatus() {
        const counts = Object.fromEntries(TICKET_STATUSES.map((status) => [status, 0])) as Record<TicketStatus, number>;
        for (const row of all<{ status: TicketStatus; n: number }>('SELECT status, COUNT(*) AS n FROM tickets GROUP BY status')) counts[row.status] = row.n;
        return counts;
      },
    },

    knowledge: {
      async published() {
        return all<EntryVersionRow>(`${latestVersions} AND NOT withdrawn ORDER BY entry_id`).map((row) => toEntryVersion(row).entry);
      },
      async get(id) {
        const row = one<EntryVersionRow>('SELECT * FROM entry_versions WHERE entry_id = ? ORDER BY version DESC LIMIT 1', id);
        return row ? toEntryVersion(row) : null;
      },
      async publish(entry, by, note) {
        return publish.immediate(entry, by, note);
      },
      async versions(id) {
        return all<EntryVersionRow>('SELECT * FROM entry_versions WHERE entry_id = ? ORDER BY version DESC', id).map(toEntryVersion);
      },
      async revision() {
        return one<{ value: number }>("SELECT value FROM counters WHERE name = 'knowledge:revision'")?.value ?? 0;
      },
      async withdraw(id, by, note) {
        return withdraw.immediate(id, by, note);
      },
    },

    drafts: {
      async create(input) {
        const d = buildDraft(input);
        sql(
          `INSERT INTO drafts (id, entry_id, base_version, entry, status, author_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(d.id, d.entryId, d.baseVersion, json(d.entry), d.status, d.authorId, ms(d.createdAt), ms(d.updatedAt));
        return d;
      },
      async get(id) {
        const row = one<DraftRow>('SELECT * FROM drafts WHERE id = ?', id);
        return row ? toDraft(row) : null;
      },
      async update(id, patch, ifStatus) {
        // One statement: the status check and the write are atomic (two reviewers cannot both approve).
        const { sets, params } = assignments(patch, DRAFT_COLUMNS);
        const row = one<DraftRow>(
          `UPDATE drafts SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ? AND status IN (${placeholders(ifStatus)}) RETURNING *`,
          ...params, Date.now(), id, ...ifStatus,
        );
        return row ? toDraft(row) : null;
      },
      async list(filter) {
        const query = draftListQuery(filter);
        return all<DraftRow>(query.text, ...query.params).map(toDraft);
      },
    },

    unanswered: {
      async record(message, groupId) {
        return recordUnanswered.immediate(message, groupId);
      },
      async open(n) {
        return all<UnansweredRow>(
          UNANSWERED_SQL.open, limit(n),
        ).map(toUnansweredGroup);
      },
      async get(id) {
        const row = one<UnansweredRow>('SELECT * FROM unanswered_groups WHERE id = ?', id);
        return row ? toUnansweredGroup(row) : null;
      },
      async resolve(id, resolution) {
        // Only an open group: a second admin acting on the same group gets null instead of overwriting the first.
        const row = one<UnansweredRow>(
          "UPDATE unanswered_groups SET status = ?, resolution = ? WHERE id = ? AND status = 'open' RETURNING *",
          resolvedStatus(resolution), json(reviveResolution(resolution)), id,
        );
        return row ? toUnansweredGroup(row) : null;
      },
    },

    audit: {
      async add(input) {
        const e = buildAuditEvent(input);
        sql('INSERT INTO audit_events (id, at, actor_id, action, target, summary) VALUES (?, ?, ?, ?, ?, ?)').run(
          e.id, ms(e.at), e.actorId, e.action, e.target, e.summary,
        );
        return e;
      },
      async list(filter) {
        const query = auditListQuery(filter);
        return all<AuditRow>(query.text, ...query.params).map(toAuditEvent);
      },
    },

    stats: {
      async conversationsPerDay(range) {
        const { zone, from, to } = span(range);
        return all<{ day: string; channel: Conversation['channel']; count: number }>(STATS_SQL.conversationsPerDay, zone, from, to);
      },
      async repliesPerDay(range) {
        const { zone, from, to } = span(range);
        return all<{ day: string; kind: NonNullable<Message['kind']>; count: number }>(STATS_SQL.repliesPerDay, zone, from, to);
      },
      async answersPerEntry(range) {
        const { from, to } = span(range);
        return all<{ entry: string; count: number }>(STATS_SQL.answersPerEntry, from, to);
      },
      async ticketsBy(range, field) {
        const { from, to } = span(range);
        return all<{ key: string; count: number }>(STATS_SQL.ticketsBy[field], from, to);
      },
      async firstResponses(range) {
        const { from, to } = span(range);
        return all<{ requested_at: number; responded_at: number | null }>(STATS_SQL.firstResponses, from, to).flatMap((row) =>
          row.responded_at === null ? [] : [{ requestedAt: new Date(row.requested_at), respondedAt: new Date(row.responded_at) }],
        );
      },
      async resolutions(range) {
        const { from, to } = span(range);
        return all<{ created_at: number; resolved_at: number; resolved_due_at: number | null }>(STATS_SQL.resolutions, from, to).map((row) => ({
          createdAt: new Date(row.created_at),
          resolvedAt: new Date(row.resolved_at),
          withinDue: row.resolved_due_at === null ? null : row.resolved_at <= row.resolved_due_at,
        }));
      },
    },

    settings: {
      async get<T>(key: string) {
        const row = one<{ value: string }>('SELECT value FROM settings WHERE key = ?', key);
        return row ? (JSON.parse(row.value) as T) : null;
      },
      async put<T>(key: string, value: T) {
        sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
          key, JSON.stringify(value ?? null),
        );
      },
    },

    files: {
      async put(data, meta) {
        const key = newId();
        sql('INSERT INTO files (key, file_name, mime_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          key, meta.fileName ?? null, meta.mimeType, data.length, data, Date.now(),
        );
        return key;
      },
      async get(key) {
        const row = one<{ key: string; file_name: string | null; mime_type: string; size: number; data: Buffer; created_at: number }>(
          'SELECT * FROM files WHERE key = ?', key,
        );
        return row
          ? compact({ key: row.key, fileName: row.file_name ?? undefined, mimeType: row.mime_type, size: row.size, data: row.data, createdAt: new Date(row.created_at) })
          : null;
      },
    },

    jobs: {
      async add<T>(input: Parameters<Store['jobs']['add']>[0]) {
        const j = buildJob(input);
        sql(
          `INSERT INTO jobs (id, queue, data, status, attempts, max_attempts, backoff_ms, run_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        ).run(j.id, j.queue, JSON.stringify(j.data ?? null), j.status, j.attempts, j.maxAttempts, j.backoffMs, ms(j.runAt), ms(j.createdAt), ms(j.updatedAt));
        return toJob<T>(one<JobRow>('SELECT * FROM jobs WHERE id = ?', j.id)!);
      },
      async claim<T>(queue: string, { now, leaseMs, limit: n }: { now: Date; leaseMs: number; limit: number }) {
        const due = `queue = ? AND ((status = 'waiting' AND run_at <= ?) OR (status = 'active' AND lease_until <= ?))`;
        // Idle polls only read: an UPDATE would take the write lock even when nothing matches.
        if (!one(`SELECT 1 FROM jobs WHERE ${due} LIMIT 1`, queue, ms(now), ms(now))) return [];
        // One statement, so one write lock: a job goes to exactly one claimer, whichever process it is in.
        const rows = all<JobRow>(
          `UPDATE jobs SET status = 'active', attempts = attempts + 1, token = lower(hex(randomblob(16))), lease_until = ?, updated_at = ?
           WHERE id IN (SELECT id FROM jobs WHERE ${due} ORDER BY run_at, id LIMIT ?) RETURNING *`,
          ms(now)! + leaseMs, ms(now), queue, ms(now), ms(now), n,
        );
        return rows.sort((a, b) => a.run_at - b.run_at || (a.id < b.id ? -1 : 1)).map((row) => toJob<T>(row));
      },
      async extend(id, token, leaseUntil) {
        return held(id, token, 'lease_until = ?', ms(leaseUntil));
      },
      async complete(id, token, at = new Date()) {
        return held(id, token, "status = 'completed', token = NULL, lease_until = NULL, finished_at = ?", ms(at));
      },
      async fail(id, token, error, retryAt) {
        return retryAt
          ? held(id, token, "status = 'waiting', token = NULL, lease_until = NULL, last_error = ?, run_at = ?", error, ms(retryAt))
          : held(id, token, "status = 'failed', token = NULL, lease_until = NULL, last_error = ?, finished_at = ?", error, Date.now());
      },
      async get<T>(id: string) {
        const row = one<JobRow>('SELECT * FROM jobs WHERE id = ?', id);
        return row ? toJob<T>(row) : null;
      },
      async list(filter) {
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.queue !== undefined) {
          where.push('queue = ?');
          params.push(filter.queue);
        }
        if (filter.status) {
          where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
          params.push(...filter.status);
        }
        return all<JobRow>(
          `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
          ...params, limit(filter.limit),
        ).map((row) => toJob(row));
      },
      async counts(queue, now = new Date()) {
        const rows = all<{ status: Job['status'] | 'delayed'; n: number }>(
          `SELECT CASE WHEN status = 'waiting' AND run_at > ? THEN 'delayed' ELSE status END AS status, COUNT(*) AS n
           FROM jobs WHERE queue = ? GROUP BY 1`,
          ms(now), queue,
        );
        return { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, ...Object.fromEntries(rows.map((r) => [r.status, r.n])) };
      },
      async retry(id, now = new Date()) {
        const { changes } = sql(
          "UPDATE jobs SET status = 'waiting', attempts = 0, run_at = ?, finished_at = NULL, updated_at = ? WHERE id = ? AND status = 'failed'",
        ).run(ms(now), ms(now), id);
        return changes > 0;
      },
    },

    keyValue: {
      async get(namespace, keys) {
        const rows = all<{ key: string; value: string }>(
          'SELECT key, value FROM key_values WHERE namespace = ? AND key IN (SELECT value FROM json_each(?))',
          namespace, JSON.stringify(keys),
        );
        return Object.fromEntries(rows.map((row) => [row.key, row.value]));
      },
      async set(namespace, entries) {
        setKeyValues.immediate(namespace, Object.entries(entries));
      },
      async keys(namespace) {
        return all<{ key: string }>('SELECT key FROM key_values WHERE namespace = ? ORDER BY key', namespace).map((row) => row.key);
      },
      async clear(namespace) {
        sql('DELETE FROM key_values WHERE namespace = ?').run(namespace);
      },
    },

    users: {
      async create(input) {
        const u = buildUser(input);
        try {
          sql(
            `INSERT INTO users (id, username, display_name, role, password_hash, totp_secret, disabled, failed_logins, locked_until,
               last_login_at, capacity, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(u.id, u.username, u.displayName, u.role, u.passwordHash, u.totpSecret, 0, u.failedLogins, null, null, u.capacity, ms(u.createdAt), ms(u.updatedAt));
        } catch (error) {
          if (isUniqueViolation(error)) throw new DuplicateError(`username ${u.username} is taken`);
          throw error;
        }
        return u;
      },
      async get(id) {
        const row = one<UserRow>('SELECT * FROM users WHERE id = ?', id);
        return row ? toUser(row) : null;
      },
      async byUsername(username) {
        const row = one<UserRow>('SELECT * FROM users WHERE username = ?', normalizeUsername(username));
        return row ? toUser(row) : null;
      },
      async update(id, patch) {
        const { sets, params } = assignments(patch, USER_COLUMNS);
        const row = one<UserRow>(`UPDATE users SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ? RETURNING *`, ...params, Date.now(), id);
        return row ? toUser(row) : null;
      },
      async list() {
        return all<UserRow>('SELECT * FROM users ORDER BY id').map(toUser);
      },
      async count() {
        return one<{ n: number }>('SELECT COUNT(*) AS n FROM users')!.n;
      },
    },

    sessions: {
      async create(session) {
        sql(
          'INSERT INTO sessions (id, user_id, csrf_token, pending_totp, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(session.id, session.userId, session.csrfToken, session.pendingTotp ? 1 : 0, ms(session.createdAt), ms(session.lastSeenAt), ms(session.expiresAt));
        return { ...session };
      },
      async get(id) {
        const row = one<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
        return row ? toSession(row) : null;
      },
      async update(id, patch) {
        const { sets, params } = assignments(patch, SESSION_COLUMNS);
        const row = sets.length
          ? one<SessionRow>(`UPDATE sessions SET ${sets.join(', ')} WHERE id = ? RETURNING *`, ...params, id)
          : one<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
        return row ? toSession(row) : null;
      },
      async delete(id) {
        sql('DELETE FROM sessions WHERE id = ?').run(id);
      },
      async deleteForUser(userId) {
        sql('DELETE FROM sessions WHERE user_id = ?').run(userId);
      },
    },

    notes: {
      async add(input) {
        const note = buildNote(input);
        sql('INSERT INTO notes (id, conversation_id, author_id, text, created_at) VALUES (?, ?, ?, ?, ?)').run(
          note.id, note.conversationId, note.authorId, note.text, ms(note.createdAt),
        );
        return note;
      },
      async list(conversationId) {
        return all<NoteRow>('SELECT * FROM notes WHERE conversation_id = ? ORDER BY id', conversationId).map(toNote);
      },
    },

    cannedResponses: {
      async create(input) {
        const r = buildCannedResponse(input);
        try {
          sql('INSERT INTO canned_responses (id, shortcut, title, text, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
            r.id, r.shortcut, r.title, r.text, r.ownerId, ms(r.createdAt), ms(r.updatedAt),
          );
        } catch (error) {
          if (isUniqueViolation(error)) throw new DuplicateError(`shortcut /${r.shortcut} is taken`);
          throw error;
        }
        return r;
      },
      async update(id, patch) {
        const { sets, params } = assignments(patch, {
          shortcut: ['shortcut', (value) => normalizeShortcut(value as string)],
          title: ['title', same],
          text: ['text', same],
        });
        try {
          const row = one<CannedResponseRow>(
            `UPDATE canned_responses SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ? RETURNING *`, ...params, Date.now(), id,
          );
          return row ? toCannedResponse(row) : null;
        } catch (error) {
          if (isUniqueViolation(error)) throw new DuplicateError(`shortcut /${patch.shortcut} is taken`);
          throw error;
        }
      },
      async delete(id) {
        return sql('DELETE FROM canned_responses WHERE id = ?').run(id).changes > 0;
      },
      async get(id) {
        const row = one<CannedResponseRow>('SELECT * FROM canned_responses WHERE id = ?', id);
        return row ? toCannedResponse(row) : null;
      },
      async listFor(userId) {
        // By shortcut; where the user's own and a shared one share a shortcut, the user's own comes first.
        return all<CannedResponseRow>(
          'SELECT * FROM canned_responses WHERE owner_id IS NULL OR owner_id = ? ORDER BY shortcut, owner_id IS NULL, id', userId,
        ).map(toCannedResponse);
      },
    },

    readMarkers: {
      async mark(userId, conversationId, messageId) {
        // Message ids sort in creation order: the marker only ever moves to a later one.
        sql(
          `INSERT INTO read_markers (user_id, conversation_id, message_id, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id, conversation_id) DO UPDATE SET message_id = excluded.message_id, updated_at = excluded.updated_at
           WHERE excluded.message_id > read_markers.message_id`,
        ).run(userId, conversationId, messageId, Date.now());
      },
      async get(userId, conversationIds) {
        const rows = all<{ conversation_id: string; message_id: string }>(
          'SELECT conversation_id, message_id FROM read_markers WHERE user_id = ? AND conversation_id IN (SELECT value FROM json_each(?))',
          userId, JSON.stringify(conversationIds),
        );
        return Object.fromEntries(rows.map((row) => [row.conversation_id, row.message_id]));
      },
    },

    ratings: {
      async add(input) {
        const r = buildRating(input);
        // One statement: a second rating of the same conversation (and ticket) replaces the first in place.
        const target = r.ticketId === undefined ? '(conversation_id) WHERE ticket_id IS NULL' : '(conversation_id, ticket_id) WHERE ticket_id IS NOT NULL';
        const row = one<RatingRow>(
          `INSERT INTO ratings (id, conversation_id, ticket_id, agent_id, score, created_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT ${target} DO UPDATE SET agent_id = excluded.agent_id, score = excluded.score, created_at = excluded.created_at
           RETURNING *`,
          r.id, r.conversationId, r.ticketId ?? null, r.agentId ?? null, r.score, ms(r.createdAt),
        )!;
        return toRating(row);
      },
      async list(filter) {
        return all<RatingRow>(
          'SELECT * FROM ratings WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?',
          ms(filter.from) ?? Number.MIN_SAFE_INTEGER, ms(filter.to) ?? Number.MAX_SAFE_INTEGER, limit(filter.limit),
        ).map(toRating);
      },
    },

    privacy: {
      async findContacts(query, n = DEFAULT_SEARCH_LIMIT) {
        const ids = new Set<string>();
        if (query.externalId) {
          for (const channel of CHANNELS) {
            const row = one<{ id: string }>('SELECT id FROM contacts WHERE channel = ? AND external_id = ?', channel, query.externalId);
            if (row) ids.add(row.id);
          }
        }
        const spellings = query.phone ? phoneSpellings(query.phone) : [];
        if (spellings.length) {
          const canonical = spellings[1]!;
          // phone_key holds the contact's canonical numbers separated by spaces: a whole-number match.
          for (const row of all<{ id: string }>("SELECT id FROM contacts WHERE ' ' || phone_key || ' ' LIKE ?", `% ${canonical} %`)) ids.add(row.id);
          for (const row of all<{ contact_id: string }>(
            `SELECT DISTINCT contact_id FROM tickets WHERE reporter_phone IN (${placeholders(spellings)})
               OR (reporter_phone IS NOT NULL AND siratu_phone_keys('web', '', reporter_phone) = ?)`,
            ...spellings, canonical,
          )) ids.add(row.contact_id);
        }
        if (ids.size === 0) return [];
        return all<ContactRow>(
          'SELECT * FROM contacts WHERE id IN (SELECT value FROM json_each(?)) ORDER BY last_seen_at DESC, id DESC LIMIT ?',
          JSON.stringify([...ids]), limit(n),
        ).map(toContact);
      },
      async exportContact(contactId) {
        const contact = one<ContactRow>('SELECT * FROM contacts WHERE id = ?', contactId);
        if (!contact) return null;
        const ofContact = 'conversation_id IN (SELECT id FROM conversations WHERE contact_id = ?)';
        return {
          contact: toContact(contact),
          conversations: all<ConversationRow>('SELECT * FROM conversations WHERE contact_id = ? ORDER BY id', contactId).map(toConversation),
          messages: all<MessageRow>(`SELECT * FROM messages WHERE ${ofContact} ORDER BY id`, contactId).map(toMessage),
          tickets: all<TicketRow>(`SELECT * FROM tickets WHERE contact_id = ? OR ${ofContact} ORDER BY id`, contactId, contactId).map(toTicket),
          ratings: all<RatingRow>(`SELECT * FROM ratings WHERE ${ofContact} ORDER BY id`, contactId).map(toRating),
          notes: all<NoteRow>(`SELECT * FROM notes WHERE ${ofContact} ORDER BY id`, contactId).map(toNote),
        };
      },
      async eraseContact(contactId, now = new Date()) {
        return securely(() => eraseContact.immediate(contactId, now.getTime()));
      },
      async anonymiseBefore(cutoff, options = {}) {
        const n = Math.max(1, Math.floor(options.limit ?? 100));
        return securely(() => anonymiseBefore.immediate(cutoff.getTime(), n, (options.now ?? new Date()).getTime()));
      },
    },

    async close() {
      await checkpointer?.stop();
      db.close();
    },
  };
}
