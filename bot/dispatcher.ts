/**
 * Where a citizen's message enters the product, whatever the channel:
 *
 *   receive(inbound)  store it (a redelivered platform message is ignored), then
 *   process(message)  run the engine and commit replies + conversation changes.
 *
 * A message is "accepted" once stored. A turn commits the conversation's new
 * state together with its replies in one atomic update (`lastTurn`), then
 * stores the replies, queues them with the outbox on channels that push
 * (Telegram, WhatsApp) and marks the message handled. If the process dies in
 * between, `recover()` finds the message unhandled and either finishes the
 * committed turn or runs it again; ticket creation is keyed by the message
 * id, so nothing is filed twice. A fallback the knowledge base could not
 * answer is queued for the unanswered-questions log before the commit
 * (bot/unanswered.ts). Turns of one conversation run one at a time
 * in this process, and a version check on the conversation catches another
 * process's turn.
 */
import { createLocalBus, type EventBus } from './bus.js';
import { TicketService, type TicketDeadlines } from './tickets.js';
import { TurnContext } from './context.js';
import type { Outbox } from './delivery.js';
import { engine } from './engine.js';
import type { KnowledgeBase } from './knowledge-base.js';
import type { Logger } from './log.js';
import type { MessageMetrics } from './metrics.js';
import type { RateVerdict, SenderRateLimit } from './rate-limit.js';
import { texts } from './texts.js';
import type { EngineServices } from './context.js';
import type { Conversation, Message, MessageAuthor, Store } from './store/types.js';
import type { UnansweredLog } from './unanswered.js';
import { CHANNELS, type Attachment, type ChannelName, type Inbound, type ReplyKind, type ReplyOption, type UnreadableKind } from './types.js';

/** Longest message we keep; longer ones are cut (and the citizen still gets an answer). */
export const MAX_TEXT_LENGTH = 4000;
const MAX_ATTEMPTS = 5;

export interface ReceiveResult {
  message: Message;
  /** True when the platform redelivered a message we already had: nothing was done. */
  duplicate: boolean;
  /** The replies this message produced (empty for duplicates and while a human owns the chat). */
  replies: Message[];
}


/** Control characters (except newline and tab) and unpaired surrogates are dropped; length is capped. */
export function cleanText(text: unknown): string {
  const value = typeof text === 'string' ? text : '';
  return value
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/gu, '')
    .replace(/[\uD800-\uDFFF]/gu, (char, offset: number, whole: string) => {
      const code = char.charCodeAt(0);
      const pairOk = code < 0xdc00 ? /[\uDC00-\uDFFF]/u.test(whole[offset + 1] ?? '') : /[\uD800-\uDBFF]/u.test(whole[offset - 1] ?? '');
      return pairOk ? char : '';
    })
    .slice(0, MAX_TEXT_LENGTH)
    .replace(/[\uD800-\uDBFF]$/u, ''); // the cut may split a pair (an emoji at the end)
}

const UNREADABLE_KINDS: readonly UnreadableKind[] = ['voice', 'video', 'location', 'sticker', 'contact', 'fileType', 'fileTooLarge', 'downloadFailed', 'other'];
const ATTACHMENT_KINDS: readonly Attachment['kind'][] = ['image', 'document', 'audio', 'video', 'other'];
/** A sent time the platform cannot have meant (its clock or our decoding is off) is replaced by "now". */
const PLAUSIBLE_SENT_AT = { from: Date.UTC(2000, 0, 1), aheadMs: 24 * 60 * 60 * 1000 };

/**
 * What a channel hands over, made safe to store whatever it holds: text as
 * `cleanText`, strings where strings belong (anything else is dropped: an
 * object must never reach a store query), a plausible date, known kinds
 * only. A message without a channel or sender cannot be kept at all.
 */
export function cleanInbound(inbound: Inbound, now: Date): Inbound {
  if (!CHANNELS.includes(inbound.channel)) throw new Error(`unknown channel ${String(inbound.channel)}`);
  if (typeof inbound.senderId !== 'string' || inbound.senderId === '') throw new Error(`inbound message on ${inbound.channel} without a sender id`);
  const string = (value: unknown, max: number) => (typeof value === 'string' ? cleanText(value).trim().slice(0, max) || undefined : undefined);
  const sentAt = inbound.sentAt instanceof Date ? inbound.sentAt.getTime() : Number.NaN;
  const attachments = (Array.isArray(inbound.attachments) ? inbound.attachments : [])
    .filter((a): a is Attachment => typeof a === 'object' && a !== null && ATTACHMENT_KINDS.includes(a.kind) && typeof a.key === 'string' && a.key !== '' && a.key.length <= 200)
    .map((a) => ({
      kind: a.kind,
      key: a.key,
      fileName: string(a.fileName, 200),
      mimeType: string(a.mimeType, 200),
      size: typeof a.size === 'number' && Number.isSafeInteger(a.size) && a.size >= 0 ? a.size : undefined,
    }));
  return {
    channel: inbound.channel,
    senderId: inbound.senderId,
    text: cleanText(inbound.text),
    attachments: attachments.length ? attachments : undefined,
    platformMessageId: typeof inbound.platformMessageId === 'string' && inbound.platformMessageId !== '' && inbound.platformMessageId.length <= 300 ? inbound.platformMessageId : undefined,
    senderName: string(inbound.senderName, 200),
    sentAt: sentAt >= PLAUSIBLE_SENT_AT.from && sentAt <= now.getTime() + PLAUSIBLE_SENT_AT.aheadMs ? new Date(sentAt) : undefined,
    unreadable: UNREADABLE_KINDS.includes(inbound.unreadable!) ? inbound.unreadable : undefined,
    late: inbound.late === true || undefined,
  };
}

export interface DispatcherOptions {
  store: Store;
  knowledge: KnowledgeBase;
  log: Logger;
  clock?: () => Date;
  /** Delivers replies on channels that push (Telegram, WhatsApp); without it replies are only stored. */
  outbox?: Outbox;
  /** What the engine may use beyond the store (one-time codes over WhatsApp). */
  services?: EngineServices;
  /** Where stored messages and conversation changes are announced (default: this process only). */
  events?: EventBus;
  /** Ticket deadlines (bot/sla.ts): tickets filed in conversations get a due date and an SLA job. */
  deadlines?: TicketDeadlines;
  /** Where messages the bot could not answer are noted (bot/unanswered.ts). */
  unanswered?: Pick<UnansweredLog, 'note'>;
  /** Counts messages in and out and times replies (bot/metrics.ts, scraped at /metrics). */
  metrics?: MessageMetrics;
  /** Per-sender message limit (bot/rate-limit.ts): over it, messages are stored but not answered. */
  rateLimit?: Pick<SenderRateLimit, 'hit'>;
}

/** A message to a citizen outside a turn: a status change, an agent's reply, a one-time code. */
export interface Post {
  author: Exclude<MessageAuthor, 'citizen'>;
  /** The agent who wrote it. */
  authorId?: string;
  text: string;
  kind?: ReplyKind;
  options?: ReplyOption[];
  attachments?: Attachment[];
}

export class Dispatcher {
  /** Every stored message and conversation change, for live views (a Redis-backed bus with several instances). */
  readonly events: EventBus;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly store: Store;
  private readonly knowledge: KnowledgeBase;
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly outbox: Outbox | undefined;
  private readonly services: EngineServices;
  private readonly unanswered: Pick<UnansweredLog, 'note'> | undefined;
  private readonly metrics: MessageMetrics | undefined;
  private readonly rateLimit: Pick<SenderRateLimit, 'hit'> | undefined;
  /** Where tickets are created and changed (the engine's complaints, the inbox, SLA jobs). */
  readonly tickets: TicketService;

  constructor(options: DispatcherOptions) {
    this.store = options.store;
    this.knowledge = options.knowledge;
    this.log = options.log;
    this.clock = options.clock ?? (() => new Date());
    this.outbox = options.outbox;
    this.services = options.services ?? {};
    this.unanswered = options.unanswered;
    this.metrics = options.metrics;
    this.rateLimit = options.rateLimit;
    this.events = options.events ?? createLocalBus();
    this.tickets = new TicketService({ store: this.store, dispatcher: this, deadlines: options.deadlines });
  }

  /**
   * Stores a message to the citizen of a conversation and sends it on their
   * channel (the outbox on Telegram and WhatsApp, the live stream on the web).
   * A closed conversation's citizen gets it in their open one.
   */
  async post(conversationId: string, post: Post): Promise<Message> {
    let conversation = await this.store.conversations.get(conversationId);
    if (!conversation) throw new Error(`conversation ${conversationId} not found`);
    if (conversation.state === 'closed') {
      const contact = await this.store.contacts.get(conversation.contactId);
      if (!contact) throw new Error(`contact ${conversation.contactId} not found`);
      conversation = await this.store.conversations.open(contact);
    }
    const now = this.clock();
    const { message } = await this.store.messages.add({
      conversationId: conversation.id,
      contactId: conversation.contactId,
      channel: conversation.channel,
      direction: 'out',
      author: post.author,
      authorId: post.authorId,
      text: post.text,
      kind: post.kind,
      options: post.options,
      attachments: post.attachments?.length ? post.attachments : undefined,
      createdAt: now,
    });
    const updated = (await this.store.conversations.update(conversation.id, { lastMessageAt: now })) ?? conversation;
    if (this.outbox?.pushes(conversation.channel)) await this.outbox.deliver(message, conversation.externalId);
    this.metrics?.sent(conversation.channel, post.author);
    this.events.emit('message', message, updated);
    return message;
  }

  /** `post` to a channel identity (one-time codes go to a phone number's WhatsApp chat). */
  async postTo(channel: ChannelName, externalId: string, post: Post): Promise<Message> {
    const contact = await this.store.contacts.upsert(channel, externalId);
    const conversation = await this.store.conversations.open(contact);
    return this.post(conversation.id, post);
  }

  async receive(raw: Inbound): Promise<ReceiveResult> {
    const started = performance.now();
    const inbound = cleanInbound(raw, this.clock());
    const contact = await this.store.contacts.upsert(inbound.channel, inbound.senderId, inbound.senderName);
    const conversation = await this.store.conversations.open(contact);
    const { message, duplicate } = await this.store.messages.add({
      conversationId: conversation.id,
      contactId: contact.id,
      channel: inbound.channel,
      direction: 'in',
      author: 'citizen',
      text: cleanText(inbound.text),
      attachments: inbound.attachments?.length ? inbound.attachments : undefined,
      platformMessageId: inbound.platformMessageId,
      unreadable: inbound.unreadable,
      late: inbound.late || undefined,
      createdAt: inbound.sentAt,
    });
    if (duplicate) {
      // Sent again because the first try got no answer (the instance that stored it died mid-turn): answer it now;
      // a turn is idempotent (see runTurn), so a first try still running elsewhere is harmless.
      if (!message.handledAt) return { message, duplicate, replies: await this.process(message) };
      this.log.info({ channel: inbound.channel, messageId: message.id }, 'duplicate delivery ignored');
      return { message, duplicate, replies: [] };
    }
    this.metrics?.received(inbound.channel);
    this.events.emit('message', message, conversation);
    // Counted once the message is stored: over the limit it is kept for the agents, only the bot stays quiet.
    const verdict = (await this.rateLimit?.hit(`${inbound.channel}:${inbound.senderId}`)) ?? 'answer';
    const replies = await this.process(message, verdict);
    if (replies.length > 0) this.metrics?.replied(inbound.channel, (performance.now() - started) / 1000);
    return { message, duplicate, replies };
  }

  /** Runs the engine for a stored inbound message, one turn at a time per conversation. */
  process(message: Message, verdict: RateVerdict = 'answer'): Promise<Message[]> {
    const previous = this.queues.get(message.conversationId) ?? Promise.resolve();
    const turn = previous.catch(() => undefined).then(() => this.runTurn(message, verdict));
    this.queues.set(message.conversationId, turn);
    void turn.finally(() => {
      if (this.queues.get(message.conversationId) === turn) this.queues.delete(message.conversationId);
    }).catch(() => undefined);
    return turn;
  }

  /** Processes every accepted message that has no replies yet (after a crash or restart). */
  async recover(): Promise<number> {
    const pending = await this.store.messages.unhandled(1000);
    for (const message of pending) await this.process(message);
    if (pending.length > 0) this.log.info({ count: pending.length }, 'resumed unhandled messages');
    return pending.length;
  }

  private async runTurn(message: Message, verdict: RateVerdict): Promise<Message[]> {
    const started = performance.now();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.store.messages.get(message.id);
      if (current?.handledAt) return [];
      const [conversation, contact, knowledge] = await Promise.all([
        this.store.conversations.get(message.conversationId),
        this.store.contacts.get(message.contactId),
        this.knowledge.current(),
      ]);
      if (!conversation || !contact) throw new Error(`message ${message.id} refers to a missing conversation or contact`);
      // The process died after committing this turn but before storing its replies: finish it.
      if (conversation.lastTurn?.inboundId === message.id) return this.finish(message, conversation, conversation.state, started);

      const now = this.clock();
      const ctx = new TurnContext(message, contact, conversation, knowledge, this.store, now, this.tickets, this.services);
      if (verdict === 'answer') {
        await engine(ctx, async () => undefined);
        if (ctx.fallback) await this.noteFallback(message, ctx.fallback);
      } else if (verdict === 'notify' && conversation.state === 'bot') {
        // Over the sender's limit: one polite notice (not while a human helps), then silence until the window ends.
        ctx.reply('notice', texts.rateLimited);
      }
      const replies = ctx.replies.map((reply, index) => ({
        // Derived from the inbound id: storing a reply twice is a no-op, and replies sort right after their message.
        id: `${message.id}-${String(index + 1).padStart(2, '0')}`,
        conversationId: conversation.id,
        contactId: contact.id,
        channel: conversation.channel,
        direction: 'out' as const,
        author: 'bot' as const,
        text: reply.text,
        kind: reply.kind,
        options: reply.options,
        entry: reply.entry,
        confidence: reply.confidence,
        replyTo: message.id,
        createdAt: new Date(now.getTime() + index + 1),
      }));
      const updated = await this.store.conversations.update(
        conversation.id,
        { ...ctx.changes, lastMessageAt: now, lastTurn: { inboundId: message.id, replies } },
        { ifVersion: conversation.version },
      );
      // Another process moved the conversation on: decide again on its new state.
      if (updated) return this.finish(message, updated, conversation.state, started);
    }
    throw new Error(`conversation ${message.conversationId} kept changing under turn ${message.id}`);
  }

  /**
   * Queued before the turn commits, so a crash cannot lose it; the job checks the
   * stored reply later. A queue failure must not cost the citizen their answer.
   */
  private async noteFallback(message: Message, fallback: NonNullable<TurnContext['fallback']>): Promise<void> {
    try {
      await this.unanswered?.note(message, fallback);
    } catch (error) {
      this.log.warn({ err: error, messageId: message.id }, 'unanswered message not queued');
    }
  }

  /** Stores the committed turn's replies (idempotently), marks the message handled and tells listeners. */
  private async finish(message: Message, conversation: Conversation, previousState: Conversation['state'], started: number): Promise<Message[]> {
    const replies: Message[] = [];
    for (const reply of conversation.lastTurn?.replies ?? []) replies.push((await this.store.messages.add(reply)).message);
    // Queued before the message counts as handled: a crash in between re-runs this, and deliver() is idempotent.
    if (this.outbox?.pushes(conversation.channel)) {
      for (const reply of replies) await this.outbox.deliver(reply, conversation.externalId);
    }
    await this.store.messages.markHandled(message.id, this.clock());
    if (replies.length > 0) this.metrics?.sent(conversation.channel, 'bot', replies.length);
    for (const reply of replies) this.events.emit('message', reply, conversation);
    if (conversation.state !== previousState) this.events.emit('conversation', conversation);
    const first = replies[0];
    this.log.info(
      {
        conversation: conversation.id,
        channel: conversation.channel,
        kind: first?.kind ?? 'none',
        entry: first?.entry,
        confidence: first?.confidence,
        ms: Math.round((performance.now() - started) * 100) / 100,
      },
      'turn',
    );
    return replies;
  }
}
