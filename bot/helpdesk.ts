/**
 * The agents' side of a conversation: who owns it, what they say, and what
 * happens when nobody is free. The inbox (admin/) calls this; the engine
 * never does, it only sees the conversation's state:
 *
 *   bot ──handoff──▶ waiting ──claim / auto-assign──▶ agent ──hand back──▶ bot
 *                       │                               └──close──▶ closed (+ rating question)
 *                       └──no agent in N minutes──▶ still waiting, citizen told, ticket filed
 *
 * Claiming is one conditional update in the store (`ifState waiting`,
 * `ifAssignee null`), so two agents clicking at once get one winner.
 */
import { CHANNEL_NAMES, recordAudit } from './audit.js';
import type { EventBus } from './bus.js';
import { AGENT_REQUEST, complaintCategory } from './complaints.js';
import type { Dispatcher } from './dispatcher.js';
import { askForRating } from './flows/rating.js';
import { OFFICE_SETTING } from './knowledge-base.js';
import { hasRole } from './roles.js';
import type { Logger } from './log.js';
import { MAIN_MENU, MENUS, menuOptions } from './menu.js';
import { isOfficeOpen, nextOpeningText } from './office.js';
import type { JobQueue } from './queue/types.js';
import type { Attachment } from './types.js';
import type { Contact, Conversation, ConversationState, Message, Note, Store, Ticket, User } from './store/types.js';
import { texts } from './texts.js';
import type { OfficeProfile } from '../knowledge/schema.js';

export type InboxView = 'waiting' | 'mine' | 'open' | 'closed';
export const INBOX_VIEWS: InboxView[] = ['waiting', 'mine', 'open', 'closed'];

const VIEW_STATES: Record<InboxView, ConversationState[]> = {
  waiting: ['waiting'],
  mine: ['agent'],
  open: ['bot', 'waiting', 'agent'],
  closed: ['closed'],
};

export interface ConversationSummary {
  conversation: Conversation;
  contact: Contact;
  lastMessage?: Message;
  /** Citizen messages the viewing agent has not read. */
  unread: number;
  /** Tickets of the conversation the viewer may see. */
  tickets: Ticket[];
}

export interface ConversationDetail extends ConversationSummary {
  messages: Message[];
  notes: Note[];
  assignee: User | null;
}

/** Thrown when an action is not allowed for this user on this conversation; the message is for the agent. */
export class HelpdeskError extends Error {
  constructor(
    message: string,
    readonly status: 403 | 404 | 409,
  ) {
    super(message);
  }
}

export interface HelpdeskDeps {
  store: Store;
  dispatcher: Pick<Dispatcher, 'post' | 'tickets'> & { events: EventBus };
  /** Runs the "nobody answered" check; without it waiting citizens are not told. */
  queue?: JobQueue;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock?: () => Date;
  /** Minutes a waiting citizen waits in office hours before being told nobody is free and getting a ticket. */
  handoffTimeoutMinutes: number;
  /** An agent seen by the inbox within this many seconds counts as online (default 90). */
  onlineSeconds?: number;
}

const HANDOFF_TIMEOUT_QUEUE = 'handoff-timeout';
const PRESENCE = 'presence';
const ROUND_ROBIN = 'assignment';

interface HandoffTimeout {
  conversationId: string;
  /** The handoff this check belongs to: a later handoff has its own. */
  requestedAt: string;
}


export class Helpdesk {
  private readonly clock: () => Date;

  constructor(private readonly deps: HelpdeskDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** Follows handoffs (auto-assignment, the "nobody answered" check). Call once per process. */
  start(): void {
    this.deps.dispatcher.events.on('conversation', (conversation) => {
      if (conversation.state === 'waiting') void this.onWaiting(conversation).catch((error: unknown) => this.deps.log.error({ err: error }, 'handoff follow-up failed'));
    });
    this.deps.queue?.process<HandoffTimeout>(HANDOFF_TIMEOUT_QUEUE, (job) => this.nobodyAnswered(job.data));
  }

  // ---- who may see what ------------------------------------------------------------------------

  /** Supervisors and admins see everything; an agent sees personal data (phone, NIK) only in chats they own. */
  mayReveal(user: User, conversation: Conversation): boolean {
    return hasRole(user.role, 'supervisor') || conversation.assigneeId === user.id;
  }

  /** Reports against staff (pungli, calo) are for supervisors only. */
  mayView(user: User, ticket: Ticket): boolean {
    return hasRole(user.role, 'supervisor') || !complaintCategory(ticket.category)?.confidential;
  }

  /**
   * A conversation carrying such a report tells the same story as the ticket: an agent may open it
   * only when a supervisor gave it to them.
   */
  async mayViewConversation(user: User, conversation: Conversation): Promise<boolean> {
    if (hasRole(user.role, 'supervisor') || conversation.assigneeId === user.id) return true;
    const tickets = await this.deps.store.tickets.list({ conversationId: conversation.id, limit: 50 });
    return !tickets.some((ticket) => complaintCategory(ticket.category)?.confidential);
  }

  // ---- presence and assignment -----------------------------------------------------------------

  /** The inbox page calls this while an agent has it open. */
  async heartbeat(user: User): Promise<void> {
    await this.deps.store.keyValue.set(PRESENCE, { [user.id]: this.clock().toISOString() });
  }

  async onlineAgents(): Promise<User[]> {
    const users = (await this.deps.store.users.list()).filter((user) => !user.disabled && user.role !== 'admin');
    const seen = await this.deps.store.keyValue.get(PRESENCE, users.map((user) => user.id));
    const since = this.clock().getTime() - (this.deps.onlineSeconds ?? 90) * 1000;
    return users.filter((user) => seen[user.id] && new Date(seen[user.id]!).getTime() >= since);
  }

  /** Round robin among online agents with room (capacity); undefined when nobody is free. */
  private async nextAgent(): Promise<User | undefined> {
    const online = (await this.onlineAgents()).sort((a, b) => a.id.localeCompare(b.id));
    const free: User[] = [];
    for (const agent of online) {
      if ((await this.deps.store.conversations.countByAssignee(agent.id, ['agent'])) < agent.capacity) free.push(agent);
    }
    if (free.length === 0) return undefined;
    const last = (await this.deps.store.keyValue.get(ROUND_ROBIN, ['last'])).last;
    return free.find((agent) => last === undefined || agent.id > last) ?? free[0];
  }

  private async onWaiting(conversation: Conversation): Promise<void> {
    const office = await this.office();
    if (!isOfficeOpen(office, this.clock())) return; // off hours: the engine already filed a ticket
    const agent = await this.nextAgent();
    if (agent) {
      const assigned = await this.take(conversation.id, agent, ['waiting']);
      if (assigned) {
        await this.deps.store.keyValue.set(ROUND_ROBIN, { last: agent.id });
        this.deps.log.info({ conversation: conversation.id, agent: agent.id }, 'conversation assigned automatically');
        return;
      }
    }
    const requestedAt = conversation.handoffRequestedAt?.toISOString() ?? this.clock().toISOString();
    await this.deps.queue?.add<HandoffTimeout>(HANDOFF_TIMEOUT_QUEUE, { conversationId: conversation.id, requestedAt }, {
      jobId: `handoff:${conversation.id}:${requestedAt}`,
      delayMs: this.deps.handoffTimeoutMinutes * 60_000,
      attempts: 5,
      backoffMs: 5000,
    });
  }

  /** Still waiting when the check comes due: the citizen is told and gets a ticket number (once, on any instance). */
  private async nobodyAnswered({ conversationId, requestedAt }: HandoffTimeout): Promise<void> {
    const conversation = await this.deps.store.conversations.get(conversationId);
    if (conversation?.state !== 'waiting' || conversation.handoffRequestedAt?.toISOString() !== requestedAt) return;
    const source = `handoff-timeout:${conversation.id}:${requestedAt}`;
    // A second run of the same check (a duplicate job, a retry after a crash) finds the ticket and stays quiet.
    if ((await this.deps.store.tickets.list({ conversationId: conversation.id })).some((ticket) => ticket.sourceMessageId === source)) return;
    const office = await this.office();
    const messages = await this.deps.store.messages.list(conversation.id);
    const asked = messages.filter((m) => m.direction === 'in' && m.text.trim()).slice(-5).map((m) => m.text.trim());
    const ticket = await this.deps.dispatcher.tickets.create({
      contactId: conversation.contactId,
      conversationId: conversation.id,
      channel: conversation.channel,
      category: AGENT_REQUEST.id,
      description: asked.join(' / ').slice(0, 1000) || 'Permintaan bicara dengan petugas',
      sourceMessageId: source,
      createdAt: this.clock(),
    });
    const now = this.clock();
    const when = isOfficeOpen(office, now) ? 'secepatnya' : nextOpeningText(office, now);
    await this.deps.dispatcher.post(conversation.id, { author: 'system', kind: 'handoff', text: texts.helpdesk.noAgent(ticket.number, office, when) });
  }

  // ---- views -----------------------------------------------------------------------------------

  async list(view: InboxView, user: User, filter: { label?: string; limit?: number } = {}): Promise<ConversationSummary[]> {
    const conversations = await this.deps.store.conversations.list({
      state: VIEW_STATES[view],
      assigneeId: view === 'mine' ? user.id : undefined,
      label: filter.label,
      order: view === 'waiting' ? 'oldest' : 'recent',
      limit: filter.limit ?? 100,
    });
    return this.summarize(conversations, user);
  }

  /** Conversations with unread citizen messages, per view (the numbers next to the tabs). */
  async unreadCounts(user: User): Promise<Record<InboxView, number>> {
    const counts = {} as Record<InboxView, number>;
    for (const view of INBOX_VIEWS) {
      if (view === 'closed') {
        counts.closed = 0;
        continue;
      }
      counts[view] = (await this.list(view, user)).filter((summary) => summary.unread > 0).length;
    }
    return counts;
  }

  async detail(conversationId: string, user: User): Promise<ConversationDetail> {
    const conversation = await this.visible(conversationId, user);
    const [summary] = await this.summarize([conversation], user);
    const [messages, notes, assignee] = await Promise.all([
      this.deps.store.messages.list(conversation.id, { limit: 500 }),
      this.deps.store.notes.list(conversation.id),
      conversation.assigneeId ? this.deps.store.users.get(conversation.assigneeId) : Promise.resolve(null),
    ]);
    return { ...summary!, messages, notes, assignee };
  }

  /** By ticket number, phone number or words the citizen wrote. */
  async search(query: string, user: User): Promise<ConversationSummary[]> {
    const { store } = this.deps;
    const found = new Map<string, Conversation>();
    const add = async (id: string | undefined) => {
      const conversation = id ? await store.conversations.get(id) : null;
      if (conversation) found.set(conversation.id, conversation);
    };
    const number = /adu[\s-]*(\d{4})[\s-]*(\d{1,6})/iu.exec(query);
    if (number) {
      const ticket = await store.tickets.byNumber(`ADU-${number[1]}-${number[2]!.padStart(6, '0')}`);
      if (ticket && this.mayView(user, ticket)) await add(ticket.conversationId);
    }
    const digits = query.replace(/\D/gu, '');
    if (digits.length >= 6 && !number) {
      const contacts = await store.contacts.findByPhone(digits, 20);
      for (const conversation of await store.conversations.list({ contactIds: contacts.map((c) => c.id), order: 'recent', limit: 20 })) found.set(conversation.id, conversation);
    }
    if (query.trim().length >= 3 && !number) {
      for (const message of await store.messages.search(query.trim(), 30)) await add(message.conversationId);
    }
    return this.summarize([...found.values()], user);
  }

  private async summarize(conversations: Conversation[], user: User): Promise<ConversationSummary[]> {
    const { store } = this.deps;
    const markers = await store.readMarkers.get(user.id, conversations.map((c) => c.id));
    return Promise.all(
      conversations.map(async (conversation) => {
        const [contact, recent, unread, tickets] = await Promise.all([
          store.contacts.get(conversation.contactId),
          store.messages.list(conversation.id),
          store.messages.countInboundAfter(conversation.id, markers[conversation.id]),
          store.tickets.list({ conversationId: conversation.id, limit: 10 }),
        ]);
        return {
          conversation,
          contact: contact!,
          lastMessage: recent.at(-1),
          unread,
          tickets: tickets.filter((ticket) => this.mayView(user, ticket)),
        };
      }),
    );
  }

  // ---- actions ---------------------------------------------------------------------------------

  /** Takes a waiting (or bot) conversation; null when someone else was faster. */
  async claim(conversationId: string, user: User): Promise<Conversation | null> {
    await this.visible(conversationId, user);
    return this.take(conversationId, user, ['waiting', 'bot']);
  }

  /** A supervisor gives a conversation to an agent (or takes it from one). */
  async assign(conversationId: string, agentId: string, by: User): Promise<Conversation> {
    if (!hasRole(by.role, 'supervisor')) throw new HelpdeskError('Hanya supervisor yang bisa mengalihkan percakapan.', 403);
    const agent = await this.deps.store.users.get(agentId);
    if (!agent || agent.disabled) throw new HelpdeskError('Petugas tidak ditemukan.', 404);
    const conversation = await this.get(conversationId);
    if (conversation.state === 'closed') throw new HelpdeskError('Percakapan sudah ditutup.', 409);
    const updated = await this.deps.store.conversations.update(conversation.id, { state: 'agent', assigneeId: agent.id, assignedAt: this.clock() });
    if (!updated) throw new HelpdeskError('Percakapan berubah; muat ulang halaman.', 409);
    const previous = conversation.assigneeId ? (await this.deps.store.users.get(conversation.assigneeId))?.displayName : undefined;
    await this.audit(by, 'conversation.assign', updated, `Percakapan ${CHANNEL_NAMES[updated.channel]} dialihkan ke ${agent.displayName}${previous ? ` (sebelumnya ${previous})` : ''}`);
    this.deps.dispatcher.events.emit('conversation', updated);
    await this.deps.dispatcher.post(updated.id, { author: 'system', text: texts.helpdesk.joined(agent.displayName) });
    return updated;
  }

  async reply(conversationId: string, user: User, content: { text: string; attachments?: Attachment[] }): Promise<Message> {
    let conversation = await this.visible(conversationId, user);
    if (conversation.state === 'waiting' || (conversation.state === 'bot' && !conversation.assigneeId)) {
      // Answering a waiting citizen is taking the conversation.
      conversation = (await this.claim(conversation.id, user)) ?? (await this.get(conversation.id));
    }
    if (conversation.state === 'closed') throw new HelpdeskError('Percakapan sudah ditutup.', 409);
    if (conversation.assigneeId !== user.id && !hasRole(user.role, 'supervisor')) {
      throw new HelpdeskError('Percakapan ini ditangani petugas lain.', 403);
    }
    return this.deps.dispatcher.post(conversation.id, { author: 'agent', authorId: user.id, text: content.text, attachments: content.attachments });
  }

  /** The bot takes over again and says so, with the main menu. */
  async handBack(conversationId: string, user: User): Promise<Conversation> {
    const conversation = await this.owned(conversationId, user);
    const options = menuOptions(MENUS[MAIN_MENU]!);
    const updated = await this.deps.store.conversations.update(conversation.id, {
      state: 'bot',
      assigneeId: null,
      assignedAt: null,
      handoffRequestedAt: null,
      flow: null,
      memory: { ...conversation.memory, menu: MAIN_MENU, choices: options },
    });
    if (!updated) throw new HelpdeskError('Percakapan berubah; muat ulang halaman.', 409);
    this.deps.dispatcher.events.emit('conversation', updated);
    await this.deps.dispatcher.post(updated.id, { author: 'bot', kind: 'menu', text: texts.helpdesk.handedBack, options });
    return updated;
  }

  /** Ends the conversation; the citizen is asked to rate it. */
  async close(conversationId: string, user: User): Promise<Conversation> {
    const conversation = await this.get(conversationId);
    if (conversation.state === 'closed') return conversation;
    if (conversation.state === 'agent' && conversation.assigneeId !== user.id && !hasRole(user.role, 'supervisor')) {
      throw new HelpdeskError('Percakapan ini ditangani petugas lain.', 403);
    }
    const updated = await this.deps.store.conversations.update(conversation.id, { state: 'closed', closedAt: this.clock(), flow: null });
    if (!updated) throw new HelpdeskError('Percakapan berubah; muat ulang halaman.', 409);
    await this.audit(user, 'conversation.close', updated, `Percakapan ${CHANNEL_NAMES[updated.channel]} ditutup`);
    this.deps.dispatcher.events.emit('conversation', updated);
    if (conversation.assigneeId) await askForRating(this.deps, { conversationId: conversation.id, agentId: conversation.assigneeId });
    return updated;
  }

  async addNote(conversationId: string, user: User, text: string): Promise<Note> {
    const conversation = await this.get(conversationId);
    return this.deps.store.notes.add({ conversationId: conversation.id, authorId: user.id, text: text.slice(0, 4000) });
  }

  async setLabels(conversationId: string, labels: string[]): Promise<Conversation> {
    const clean = [...new Set(labels.map((label) => label.trim().toLowerCase().replace(/\s+/gu, '-')).filter((label) => /^[\p{L}\p{N}-]{1,30}$/u.test(label)))].slice(0, 10);
    const updated = await this.deps.store.conversations.update((await this.get(conversationId)).id, { labels: clean });
    if (!updated) throw new HelpdeskError('Percakapan tidak ditemukan.', 404);
    this.deps.dispatcher.events.emit('conversation', updated);
    return updated;
  }

  async markRead(user: User, conversationId: string, messageId: string): Promise<void> {
    await this.deps.store.readMarkers.mark(user.id, conversationId, messageId);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private async take(conversationId: string, user: User, from: ConversationState[]): Promise<Conversation | null> {
    const taken = await this.deps.store.conversations.update(
      conversationId,
      { state: 'agent', assigneeId: user.id, assignedAt: this.clock(), flow: null },
      { ifState: from, ifAssignee: null },
    );
    if (!taken) return null;
    this.deps.dispatcher.events.emit('conversation', taken);
    await this.deps.dispatcher.post(taken.id, { author: 'system', text: texts.helpdesk.joined(user.displayName) });
    return taken;
  }

  /** Staff decisions about a conversation (reassigning, closing) go to the audit log; the target is the conversation's id. */
  private async audit(by: User, action: string, conversation: Conversation, summary: string): Promise<void> {
    await recordAudit(this.deps.store, { actorId: by.id, action, target: conversation.id, summary });
  }

  private async get(conversationId: string): Promise<Conversation> {
    const conversation = await this.deps.store.conversations.get(conversationId);
    if (!conversation) throw new HelpdeskError('Percakapan tidak ditemukan.', 404);
    return conversation;
  }

  /** The conversation, if this user may open it. */
  async visible(conversationId: string, user: User): Promise<Conversation> {
    const conversation = await this.get(conversationId);
    if (!(await this.mayViewConversation(user, conversation))) {
      throw new HelpdeskError('Percakapan ini berisi laporan rahasia (pungli/calo). Hanya supervisor yang dapat membukanya.', 403);
    }
    return conversation;
  }

  private async owned(conversationId: string, user: User): Promise<Conversation> {
    const conversation = await this.get(conversationId);
    if (conversation.state !== 'agent') throw new HelpdeskError('Percakapan ini tidak sedang ditangani petugas.', 409);
    if (conversation.assigneeId !== user.id && !hasRole(user.role, 'supervisor')) throw new HelpdeskError('Percakapan ini ditangani petugas lain.', 403);
    return conversation;
  }

  private async office(): Promise<OfficeProfile> {
    const office = await this.deps.store.settings.get<OfficeProfile>(OFFICE_SETTING);
    if (!office) throw new Error('office profile missing from the store');
    return office;
  }
}
