/**
 * The repository layer: the one place the rest of the product reads and
 * writes data. Two engines implement it (embedded SQLite and MongoDB), and
 * one contract test suite (tests/store.contract.test.ts) holds them to the
 * same behaviour. Every method is safe under concurrent callers in several
 * processes: conditional updates and counters are atomic in the engine, never
 * read-modify-write in JavaScript.
 */
import type { Entry } from '../../knowledge/schema.js';
import type { Attachment, ChannelName, ReplyKind, ReplyOption, UnreadableKind } from '../types.js';

/** Who is talking to the citizen: the bot, nobody yet (waiting for an agent), an agent, or nobody (closed). */
export type ConversationState = 'bot' | 'waiting' | 'agent' | 'closed';

export interface Contact {
  id: string;
  channel: ChannelName;
  /** The citizen's id on that channel. (channel, externalId) is unique. */
  externalId: string;
  name?: string;
  /** Phone number the citizen gave us (or the WhatsApp number). Personal data: mask in logs. */
  phone?: string;
  createdAt: Date;
  lastSeenAt: Date;
}

/** A multi-step dialogue in progress (complaint intake, status lookup...). */
export interface FlowState {
  name: string;
  step: string;
  data: Record<string, unknown>;
}

/** What the engine remembers between turns, for follow-ups like "kalau hilang?". */
export interface DialogueMemory {
  /** Entry id of the last answer. */
  lastEntry?: string;
  /** Document concept of the last answer (`ktp`, `kk`...). */
  lastDocument?: string;
  /** Id of the menu shown last, so its labels and "0" (back) work. */
  menu?: string;
  /** The options the last reply offered: "2", or a button's label, means that option on any channel. */
  choices?: ReplyOption[];
  /** The privacy notice was shown in this conversation. */
  noticeShown?: boolean;
  /** The ticket filed last in this conversation: later photos join it. */
  lastTicketId?: string;
  /** Failed attempts to prove ownership of a ticket (limits guessing). */
  statusFailures?: number;
}

export interface Conversation {
  id: string;
  contactId: string;
  channel: ChannelName;
  externalId: string;
  state: ConversationState;
  flow: FlowState | null;
  memory: DialogueMemory;
  /** The agent who owns the conversation while state is `agent`. */
  assigneeId: string | null;
  assignedAt: Date | null;
  /** When the citizen asked for a human (state became `waiting`). */
  handoffRequestedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastMessageAt: Date;
  /** Bumped on every update; `ifVersion` makes an update conditional on it. */
  version: number;
  /**
   * The last turn the engine committed: the inbound message it answered and
   * the replies it decided. Written in the same atomic update as the
   * conversation's new state, so a crash before the replies are stored
   * loses nothing: the dispatcher finishes the turn from here.
   */
  lastTurn: CommittedTurn | null;
  /** Labels agents put on the conversation ("pindah", "mendesak"), lower case. */
  labels: string[];
  /** When the citizen last wrote: an agent's unread marker is compared with it. */
  lastInboundAt: Date | null;
}

export interface CommittedTurn {
  inboundId: string;
  /** Replies with their ids already assigned (storing them again is a no-op). */
  replies: (NewMessage & { id: string; createdAt: Date })[];
}

export type ConversationPatch = Partial<
  Pick<
    Conversation,
    | 'state'
    | 'flow'
    | 'memory'
    | 'assigneeId'
    | 'assignedAt'
    | 'handoffRequestedAt'
    | 'closedAt'
    | 'lastMessageAt'
    | 'lastTurn'
    | 'labels'
    | 'lastInboundAt'
  >
>;

/** Conditions for an atomic update: it applies only if all of them hold. */
export interface UpdateCondition {
  ifState?: ConversationState[];
  ifVersion?: number;
  /** `null` means "only if nobody owns it". */
  ifAssignee?: string | null;
}

export type MessageAuthor = 'citizen' | 'bot' | 'agent' | 'system';

export interface Message {
  id: string;
  conversationId: string;
  contactId: string;
  channel: ChannelName;
  direction: 'in' | 'out';
  author: MessageAuthor;
  /** The agent who wrote it, for author `agent`. */
  authorId?: string;
  text: string;
  kind?: ReplyKind;
  options?: ReplyOption[];
  attachments?: Attachment[];
  entry?: string;
  confidence?: number;
  /** Inbound: the platform's message id; (channel, platformMessageId) is unique. */
  platformMessageId?: string;
  /** Outbound: the inbound message this replies to. */
  replyTo?: string;
  /** Inbound: when the engine finished with it. Unhandled messages are resumed after a crash. */
  handledAt?: Date;
  /** Inbound: what the citizen sent that the engine cannot read (see Inbound.unreadable). */
  unreadable?: UnreadableKind;
  /** Inbound: arrived hours after it was sent (see Inbound.late). */
  late?: boolean;
  /** Outbound on channels that push (Telegram, WhatsApp): how its delivery went. */
  delivery?: DeliveryState;
  createdAt: Date;
}

/** Where an outbound message stands on its way to the citizen's platform. */
export interface DeliveryState {
  status: 'pending' | 'sent' | 'failed';
  /** Send attempts started so far. */
  attempts: number;
  /** Parts already accepted by the platform (a long message is sent in parts; a retry resumes after these). */
  sentParts: number;
  /** The platform's ids of the parts sent. */
  platformMessageIds: string[];
  lastError?: string;
  sentAt?: Date;
  updatedAt: Date;
}

export type NewMessage = Omit<Message, 'id' | 'createdAt' | 'handledAt'> & { id?: string; createdAt?: Date };

/** Ticket statuses, in the order a complaint usually moves through them (they map onto SP4N-LAPOR!'s phases). */
export const TICKET_STATUSES = ['baru', 'diproses', 'menunggu_warga', 'selesai', 'ditutup'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export interface TicketEvent {
  at: Date;
  /** `citizen`, `bot`, `system` or a user id. */
  actor: string;
  type: 'created' | 'status' | 'note' | 'assigned' | 'attachment' | 'updated';
  from?: string;
  to?: string;
  note?: string;
}

export interface Ticket {
  id: string;
  /** Tracking number quoted to the citizen: ADU-YYYY-NNNNNN. */
  number: string;
  year: number;
  seq: number;
  contactId: string;
  conversationId: string;
  channel: ChannelName;
  category: string;
  description: string;
  kecamatan?: string;
  kelurahan?: string;
  /** Optional name and phone the citizen gave at filing (personal data). */
  reporterName?: string;
  reporterPhone?: string;
  attachments: Attachment[];
  status: TicketStatus;
  priority: 'rendah' | 'normal' | 'tinggi';
  assigneeId: string | null;
  /** The inbound message that confirmed the complaint: makes creation idempotent. */
  sourceMessageId?: string;
  /** When the next step is due (working days on the office calendar); null once done. */
  dueAt: Date | null;
  /** When it was escalated to supervisors for being overdue. */
  escalatedAt: Date | null;
  events: TicketEvent[];
  createdAt: Date;
  updatedAt: Date;
}

export type NewTicket = Pick<
  Ticket,
  'contactId' | 'conversationId' | 'channel' | 'category' | 'description' | 'kecamatan' | 'kelurahan' | 'reporterName' | 'reporterPhone' | 'sourceMessageId'
> & { attachments?: Attachment[]; priority?: Ticket['priority']; createdAt?: Date; dueAt?: Date | null };

export type TicketPatch = Partial<Pick<Ticket, 'status' | 'priority' | 'assigneeId' | 'category' | 'kecamatan' | 'kelurahan' | 'dueAt' | 'escalatedAt'>>;

/** One published (or historical) version of a knowledge-base entry. */
export interface EntryVersion {
  entryId: string;
  version: number;
  entry: Entry;
  /** User id, or `seed` for the shipped data files. */
  by: string;
  note?: string;
  /** This version takes the entry out of the published set (published() skips it). */
  withdrawn?: boolean;
  at: Date;
}

export interface ContactRepository {
  /**
   * Finds the contact for a channel identity or creates it; touches `lastSeenAt`.
   * `name` is stored only if the contact has none yet: a name we already have
   * (perhaps one the citizen gave) is not overwritten by the platform's display name.
   */
  upsert(channel: ChannelName, externalId: string, name?: string): Promise<Contact>;
  get(id: string): Promise<Contact | null>;
  update(id: string, patch: Partial<Pick<Contact, 'name' | 'phone'>>): Promise<Contact | null>;
  /** Contacts whose phone, or whose channel id (a WhatsApp number), contains these digits (search). */
  findByPhone(digits: string, limit?: number): Promise<Contact[]>;
}

export interface ConversationRepository {
  /** The contact's open (not closed) conversation, created if there is none. At most one is open per contact. */
  open(contact: Contact): Promise<Conversation>;
  get(id: string): Promise<Conversation | null>;
  /**
   * Applies the patch atomically if the condition holds; returns the updated conversation or null.
   * Also null when the patch would reopen a closed conversation while the contact has another open one.
   */
  update(id: string, patch: ConversationPatch, condition?: UpdateCondition): Promise<Conversation | null>;
  /**
   * Conversations matching every given filter. Default order: oldest first (creation order),
   * so a `waiting` list is a first-come queue; `recent`: latest activity (lastMessageAt) first.
   */
  list(filter: {
    state?: ConversationState[];
    assigneeId?: string;
    channel?: ChannelName;
    label?: string;
    contactIds?: string[];
    order?: 'oldest' | 'recent';
    limit?: number;
  }): Promise<Conversation[]>;
  /** How many conversations an agent owns in the given states (capacity checks). */
  countByAssignee(assigneeId: string, states: ConversationState[]): Promise<number>;
}

export interface MessageRepository {
  /**
   * Stores a message. An inbound message whose (channel, platformMessageId)
   * was already stored, or any message whose `id` was already stored, is not
   * stored again: `duplicate` is true and the stored copy is returned.
   */
  add(message: NewMessage): Promise<{ message: Message; duplicate: boolean }>;
  get(id: string): Promise<Message | null>;
  /** Messages of a conversation, oldest first. */
  list(conversationId: string, options?: { afterId?: string; limit?: number }): Promise<Message[]>;
  /** Messages of all conversations of a contact, oldest first (a citizen's history across closed conversations). */
  listForContact(contactId: string, options?: { afterId?: string; limit?: number }): Promise<Message[]>;
  markHandled(id: string, at?: Date): Promise<void>;
  /** Replaces an outbound message's delivery state. */
  setDelivery(id: string, delivery: DeliveryState): Promise<void>;
  /** Outbound messages whose delivery finally failed, newest first (shown to admins). */
  failedDeliveries(limit?: number): Promise<Message[]>;
  /** Citizens' and agents' messages whose text contains the words (case-insensitive), newest first (inbox search; bot replies are not searched). */
  search(text: string, limit?: number): Promise<Message[]>;
  /** Inbound (citizen) messages of a conversation after a message id (unread counts). */
  countInboundAfter(conversationId: string, afterId: string | undefined): Promise<number>;
  /** Inbound messages accepted but not yet handled (to resume after a crash), oldest first. */
  unhandled(limit?: number): Promise<Message[]>;
}

export interface TicketRepository {
  /**
   * Creates a ticket with the next number of its year. Numbers are never
   * reused and have no gaps. With a `sourceMessageId` seen before, returns
   * the ticket created then instead of a second one.
   */
  create(ticket: NewTicket): Promise<Ticket>;
  get(id: string): Promise<Ticket | null>;
  /** Finds a ticket by its tracking number (already normalised to ADU-YYYY-NNNNNN). */
  byNumber(number: string): Promise<Ticket | null>;
  /** Applies the patch and appends the event in one atomic write. */
  update(id: string, patch: TicketPatch, event: Omit<TicketEvent, 'at'> & { at?: Date }): Promise<Ticket | null>;
  addAttachments(id: string, attachments: Attachment[], actor: string): Promise<Ticket | null>;
  /** Newest first (creation order). `overdueAt`: only tickets due before then and not yet escalated. */
  list(filter: { status?: TicketStatus[]; contactId?: string; conversationId?: string; assigneeId?: string; overdueAt?: Date; limit?: number }): Promise<Ticket[]>;
  /** How many tickets are in each status now (every status present, zeros included): for metrics. */
  countByStatus(): Promise<Record<TicketStatus, number>>;
}

export interface KnowledgeRepository {
  /** The current published version of every entry. */
  published(): Promise<Entry[]>;
  get(id: string): Promise<EntryVersion | null>;
  /** Publishes a new version of an entry (version = previous + 1) and bumps the revision. */
  publish(entry: Entry, by: string, note?: string): Promise<EntryVersion>;
  /** All versions of an entry, newest first. */
  versions(id: string): Promise<EntryVersion[]>;
  /** Increases on every publish: instances compare it to know when to reload. */
  revision(): Promise<number>;
  /** Takes an entry out of the published set (a new version marked withdrawn); false if it was not published. */
  withdraw(id: string, by: string, note?: string): Promise<boolean>;
}

/**
 * A proposed change to a knowledge-base entry, on its way to publication:
 * an editor writes a draft, submits it, a supervisor or admin approves
 * (which publishes it) or sends it back with a comment.
 */
export interface Draft {
  id: string;
  /** The entry it changes (or creates, when no entry has this id yet). */
  entryId: string;
  /** The published version it was based on (null for a new entry): approving a stale draft is refused. */
  baseVersion: number | null;
  entry: Entry;
  status: 'draft' | 'submitted' | 'rejected' | 'approved';
  authorId: string;
  /** The reviewer's comment when sent back, or the approval note. */
  reviewComment?: string;
  reviewerId?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface DraftRepository {
  create(draft: Pick<Draft, 'entryId' | 'baseVersion' | 'entry' | 'authorId'>): Promise<Draft>;
  get(id: string): Promise<Draft | null>;
  /** Applies the patch only if the draft is in one of `ifStatus` (atomic: two reviewers cannot both approve). */
  update(id: string, patch: Partial<Pick<Draft, 'entry' | 'status' | 'reviewComment' | 'reviewerId' | 'baseVersion'>>, ifStatus: Draft['status'][]): Promise<Draft | null>;
  /** Newest first. */
  list(filter: { status?: Draft['status'][]; entryId?: string; authorId?: string; limit?: number }): Promise<Draft[]>;
}

/** Citizen messages the bot could not answer, grouped by similarity (the unanswered-questions loop). */
export interface UnansweredGroup {
  id: string;
  /** Informative stems of the first message, the group's centre for similarity. */
  stems: string[];
  /** Up to 20 example messages, personal data masked. */
  samples: string[];
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  status: 'open' | 'resolved' | 'ignored';
  /** How it was resolved: its messages became phrases of an entry, or a new entry draft. */
  resolution?: { type: 'phrases' | 'draft' | 'ignored'; entryId?: string; draftId?: string; by: string; at: Date };
}

export interface UnansweredRepository {
  /** Adds a message to the group `groupId` (or a new group when undefined) and returns the group. */
  record(message: { text: string; stems: string[]; at: Date }, groupId?: string): Promise<UnansweredGroup>;
  /** Open groups, the ones seen most often first. */
  open(limit?: number): Promise<UnansweredGroup[]>;
  get(id: string): Promise<UnansweredGroup | null>;
  resolve(id: string, resolution: NonNullable<UnansweredGroup['resolution']>): Promise<UnansweredGroup | null>;
}

/** Who changed what, and when: entries, settings, users, tickets (admins browse it). */
export interface AuditEvent {
  id: string;
  at: Date;
  actorId: string;
  /** e.g. `entry.publish`, `user.create`, `ticket.status`, `settings.office`. */
  action: string;
  /** What it was done to, e.g. the entry id, user id, ticket number. */
  target: string;
  /** A short readable summary (personal data masked). */
  summary: string;
}

export interface AuditRepository {
  add(event: Omit<AuditEvent, 'id' | 'at'> & { at?: Date }): Promise<AuditEvent>;
  /** Newest first; every filter optional. */
  list(filter: { actorId?: string; action?: string; target?: string; from?: Date; to?: Date; limit?: number; beforeId?: string }): Promise<AuditEvent[]>;
}

/** Numbers for the dashboard, per day in the office's time zone (`day` = YYYY-MM-DD). */
export interface StatsRepository {
  /** Conversations started per day and channel. */
  conversationsPerDay(range: StatsRange): Promise<{ day: string; channel: ChannelName; count: number }[]>;
  /** Bot replies per day and kind (fallback rate = fallback / all first replies). */
  repliesPerDay(range: StatsRange): Promise<{ day: string; kind: ReplyKind; count: number }[]>;
  /** Answers per knowledge-base entry (top topics). */
  answersPerEntry(range: StatsRange): Promise<{ entry: string; count: number }[]>;
  /** Tickets created in the range, grouped by status, category and kecamatan. */
  ticketsBy(range: StatsRange, field: 'status' | 'category' | 'kecamatan'): Promise<{ key: string; count: number }[]>;
  /** Per conversation handled by an agent: when the citizen asked for a human and when an agent first wrote (first-response time). */
  firstResponses(range: StatsRange): Promise<{ requestedAt: Date; respondedAt: Date }[]>;
  /** Per ticket finished in the range: created, resolved (status selesai), and whether it was within its due date. */
  resolutions(range: StatsRange): Promise<{ createdAt: Date; resolvedAt: Date; withinDue: boolean | null }[]>;
}

export interface StatsRange {
  from: Date;
  to: Date;
  /** IANA time zone the days are counted in. */
  timeZone: string;
}

/** A unit of background work in the embedded queue (bull keeps its own in Redis). */
export interface Job<T = unknown> {
  id: string;
  queue: string;
  data: T;
  status: 'waiting' | 'active' | 'completed' | 'failed';
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  /** Base delay of the exponential backoff: retry n waits (2^n − 1) × backoffMs, as bull does. */
  backoffMs: number;
  /** Not to be run before this. */
  runAt: Date;
  /** While active: the holder's claim; after it expires another worker may take the job (crash recovery). */
  leaseUntil: Date | null;
  /** Identifies the current holder: complete/fail/extend only work with it, so a worker that lost its lease cannot finish a job someone else now runs. */
  token: string | null;
  lastError?: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

export interface NewJob<T = unknown> {
  /** A job with the same id is added only once (idempotent enqueue). */
  id?: string;
  queue: string;
  data: T;
  runAt?: Date;
  maxAttempts?: number;
  backoffMs?: number;
}

export interface JobRepository {
  /** Adds a job, or returns the existing job with the same id. */
  add<T>(job: NewJob<T>): Promise<Job<T>>;
  /**
   * Atomically takes up to `limit` due jobs of a queue (waiting with runAt ≤ now, or active
   * with an expired lease), oldest runAt first: each becomes active, gets a new token, a
   * lease until now + leaseMs, and attempts + 1. Several processes may claim at once; each
   * job goes to exactly one of them.
   */
  claim<T>(queue: string, options: { now: Date; leaseMs: number; limit: number }): Promise<Job<T>[]>;
  /** Extends the lease of a job the caller still holds; false if it no longer does. */
  extend(id: string, token: string, leaseUntil: Date): Promise<boolean>;
  /** Marks a held job completed; false if the caller no longer holds it. */
  complete(id: string, token: string, at?: Date): Promise<boolean>;
  /** Records a failed attempt of a held job: waiting again at `retryAt`, or failed for good when `retryAt` is null. */
  fail(id: string, token: string, error: string, retryAt: Date | null): Promise<boolean>;
  get<T>(id: string): Promise<Job<T> | null>;
  /** Jobs of a queue and/or status, newest first. */
  list(filter: { queue?: string; status?: Job['status'][]; limit?: number }): Promise<Job[]>;
  /**
   * Counts per status, for health checks and metrics. As in bull, `waiting` counts only jobs
   * due at `now`; waiting jobs scheduled later are `delayed`.
   */
  counts(queue: string, now?: Date): Promise<Record<Job['status'] | 'delayed', number>>;
  /** Puts a failed job back in its queue (an admin's "retry"); false if it was not failed. */
  retry(id: string, now?: Date): Promise<boolean>;
}

/**
 * Small opaque values by namespace and key, written often and read in
 * batches: WhatsApp's Signal keys, one-time codes.
 */
export interface KeyValueRepository {
  get(namespace: string, keys: string[]): Promise<Record<string, string>>;
  /** Sets the given keys; a null value deletes the key. */
  set(namespace: string, entries: Record<string, string | null>): Promise<void>;
  /** All keys of a namespace (for small namespaces). */
  keys(namespace: string): Promise<string[]>;
  clear(namespace: string): Promise<void>;
}

export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Someone who works in the inbox or the admin area. */
export interface User {
  id: string;
  /** Login name, lower case, unique. */
  username: string;
  displayName: string;
  role: Role;
  /** scrypt hash, in the form produced by admin/passwords.ts. */
  passwordHash: string;
  /** TOTP secret (encrypted), once two-factor is set up. */
  totpSecret: string | null;
  disabled: boolean;
  failedLogins: number;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  /** Conversations an agent takes at once before auto-assignment skips them. */
  capacity: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewUser = Pick<User, 'username' | 'displayName' | 'role' | 'passwordHash'> & { capacity?: number };
export type UserPatch = Partial<
  Pick<User, 'displayName' | 'role' | 'passwordHash' | 'totpSecret' | 'disabled' | 'failedLogins' | 'lockedUntil' | 'lastLoginAt' | 'capacity'>
>;

/** Thrown when a unique field (a username) is already taken. */
export class DuplicateError extends Error {}

export interface UserRepository {
  /** Throws DuplicateError when the username is taken. */
  create(user: NewUser): Promise<User>;
  get(id: string): Promise<User | null>;
  byUsername(username: string): Promise<User | null>;
  update(id: string, patch: UserPatch): Promise<User | null>;
  /** Oldest first. */
  list(): Promise<User[]>;
  count(): Promise<number>;
}

/** A signed-in browser. The id is the SHA-256 of the cookie's secret, so a database leak gives no usable cookie. */
export interface Session {
  id: string;
  userId: string;
  /** Sent with every state-changing request (CSRF protection). */
  csrfToken: string;
  /** Password checked, waiting for the TOTP code. */
  pendingTotp: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

export interface SessionRepository {
  create(session: Session): Promise<Session>;
  get(id: string): Promise<Session | null>;
  update(id: string, patch: Partial<Pick<Session, 'lastSeenAt' | 'expiresAt' | 'pendingTotp' | 'csrfToken'>>): Promise<Session | null>;
  delete(id: string): Promise<void>;
  deleteForUser(userId: string): Promise<void>;
}

/** An agent's private note on a conversation: never shown to the citizen, never delivered. */
export interface Note {
  id: string;
  conversationId: string;
  authorId: string;
  text: string;
  createdAt: Date;
}

export interface NoteRepository {
  add(note: Omit<Note, 'id' | 'createdAt'> & { createdAt?: Date }): Promise<Note>;
  /** Oldest first. */
  list(conversationId: string): Promise<Note[]>;
}

/** A prepared answer agents insert with "/shortcut": shared (ownerId null) or personal. */
export interface CannedResponse {
  id: string;
  /** Typed after "/" in the reply box, lower case, unique per owner. */
  shortcut: string;
  title: string;
  text: string;
  ownerId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CannedResponseRepository {
  /** Throws DuplicateError when the owner (or the shared set) already has the shortcut. */
  create(response: Pick<CannedResponse, 'shortcut' | 'title' | 'text' | 'ownerId'>): Promise<CannedResponse>;
  update(id: string, patch: Partial<Pick<CannedResponse, 'shortcut' | 'title' | 'text'>>): Promise<CannedResponse | null>;
  delete(id: string): Promise<boolean>;
  get(id: string): Promise<CannedResponse | null>;
  /** The shared ones and the user's own, by shortcut. */
  listFor(userId: string): Promise<CannedResponse[]>;
}

/** How far an agent has read a conversation (unread counts in the inbox). */
export interface ReadMarkerRepository {
  /** Moves the user's marker forward to `messageId` (never backwards). */
  mark(userId: string, conversationId: string, messageId: string): Promise<void>;
  get(userId: string, conversationIds: string[]): Promise<Record<string, string>>;
}

/** A citizen's 1–5 rating after a conversation with an agent or a resolved ticket. */
export interface Rating {
  id: string;
  conversationId: string;
  ticketId?: string;
  /** The agent who handled it, if any. */
  agentId?: string;
  score: number;
  createdAt: Date;
}

export interface RatingRepository {
  /** One rating per conversation (and ticket): a second one replaces the first. */
  add(rating: Omit<Rating, 'id' | 'createdAt'> & { createdAt?: Date }): Promise<Rating>;
  list(filter: { from?: Date; to?: Date; limit?: number }): Promise<Rating[]>;
}

/** A file a citizen or agent sent (photo, PDF), kept with the data so every instance can serve it. */
export interface StoredFile {
  key: string;
  fileName?: string;
  mimeType: string;
  size: number;
  data: Buffer;
  createdAt: Date;
}

export interface FileRepository {
  /** Stores the bytes and returns the new file's key. */
  put(data: Buffer, meta: { fileName?: string; mimeType: string }): Promise<string>;
  get(key: string): Promise<StoredFile | null>;
}

/** Values are stored as JSON: what comes back is what `JSON.parse(JSON.stringify(value))` gives (a Date becomes its ISO string). */
export interface SettingsRepository {
  get<T>(key: string): Promise<T | null>;
  put<T>(key: string, value: T): Promise<void>;
}

/** What anonymising conversations changed (the retention job, or one citizen's erasure). */
export interface AnonymisationCounts {
  /** Conversations whose texts, files and flow data were removed (they stay, closed, for statistics). */
  conversations: number;
  /** Messages whose text was replaced. */
  messages: number;
  /** Tickets whose personal fields (reporter, description, attachments, kelurahan, event notes) were cleared. */
  tickets: number;
  /** Contacts pseudonymised: name and phone removed, channel id replaced, so the citizen can no longer be identified. */
  contacts: number;
  /** Stored files (attachments) deleted. */
  files: number;
}

/** One batch of the retention job. */
export interface RetentionBatch extends AnonymisationCounts {
  /** The batch was full: more conversations may be due, call again. */
  more: boolean;
}

/** Everything the store holds about one contact (a citizen's identity on one channel), for a data-access request. */
export interface ContactData {
  contact: Contact;
  /** Oldest first. */
  conversations: Conversation[];
  /** Messages of all its conversations, oldest first. */
  messages: Message[];
  /** Tickets it filed, oldest first. */
  tickets: Ticket[];
  /** Ratings given in its conversations. */
  ratings: Rating[];
  /** Agents' internal notes on its conversations. */
  notes: Note[];
}

/** The outcome of erasing one contact's data on request. */
export type ErasureResult =
  | ({ status: 'erased' } & AnonymisationCounts)
  /** Refused: complaints still being handled, or a conversation waiting for or owned by an agent. Nothing was changed. */
  | { status: 'blocked'; openTickets: Ticket[]; activeConversations: Conversation[] }
  | { status: 'missing' };

/**
 * Personal-data protection (UU 27/2022): the retention job and citizens' requests.
 * "Anonymised" means: message and note texts replaced, attachment files deleted,
 * flow data and dialogue memory dropped, tickets' personal fields cleared; what
 * the dashboard counts (dates, channels, kinds, entries, categories, kecamatan,
 * statuses, ratings) stays. Never touched: open tickets, conversations waiting
 * for or owned by an agent. Every method is idempotent.
 */
export interface PrivacyRepository {
  /**
   * Contacts matching exactly (not a substring search): `phone` = the number the contact gave, its
   * WhatsApp number, or the phone given on one of its tickets (any spelling: 0812…, +62 812…);
   * `externalId` = its id on a channel (Telegram chat id, WhatsApp id, web session id). Most recently seen first.
   */
  findContacts(query: { phone?: string; externalId?: string }, limit?: number): Promise<Contact[]>;
  /** Everything held about the contact, or null when there is no such contact. */
  exportContact(contactId: string): Promise<ContactData | null>;
  /**
   * Anonymises all of the contact's conversations and tickets and pseudonymises the contact, whatever
   * their age; an open conversation with the bot is closed. Refused (nothing changed) while a ticket
   * is open or an agent is involved.
   */
  eraseContact(contactId: string, now?: Date): Promise<ErasureResult>;
  /**
   * Anonymises up to `limit` (default 100) conversations that ended before `cutoff`: closed then, or
   * left with the bot and idle since then (they are closed); each only when every ticket filed in it
   * is finished (selesai, ditutup) and unchanged since before `cutoff`. Then pseudonymises those
   * conversations' contacts that were last seen before `cutoff` and have nothing left to anonymise.
   * Oldest first; call again while `more`.
   */
  anonymiseBefore(cutoff: Date, options?: { limit?: number; now?: Date }): Promise<RetentionBatch>;
}

export interface Store {
  readonly engine: 'sqlite' | 'mongo';
  contacts: ContactRepository;
  conversations: ConversationRepository;
  messages: MessageRepository;
  tickets: TicketRepository;
  knowledge: KnowledgeRepository;
  settings: SettingsRepository;
  files: FileRepository;
  jobs: JobRepository;
  keyValue: KeyValueRepository;
  users: UserRepository;
  sessions: SessionRepository;
  notes: NoteRepository;
  cannedResponses: CannedResponseRepository;
  readMarkers: ReadMarkerRepository;
  ratings: RatingRepository;
  drafts: DraftRepository;
  unanswered: UnansweredRepository;
  audit: AuditRepository;
  stats: StatsRepository;
  /** Retention and citizens' data requests (UU 27/2022). */
  privacy: PrivacyRepository;
  close(): Promise<void>;
}
