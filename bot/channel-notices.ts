/**
 * Citizen messages a channel hands over WITHOUT running the engine on them,
 * because the engine could only guess:
 *
 *   receiveUnreadable  content the engine cannot read (a voice note, a
 *                      location, a sticker...): stored for the agents, and
 *                      answered with a polite "please type it" unless a
 *                      human owns the chat
 *   receiveLate        a message that reached us hours after it was sent
 *                      (the channel was disconnected): stored, the chat goes
 *                      to the agents' queue (`waiting`), and the citizen gets
 *                      one apology saying so and how to get an automatic
 *                      answer instead ("batal")
 *
 * Both use the dispatcher's own guarantees: the inbound message is stored
 * first (a redelivered platform id is ignored), the conversation change and
 * the reply are committed together as the conversation's `lastTurn`, then
 * the reply is stored, queued in the outbox and the message marked
 * handled, and the dispatcher's listeners (live views) hear about both
 * exactly as they hear about engine turns. A crash after the commit is
 * finished by `dispatcher.recover()` like any other turn.
 */
import type { Outbox } from './delivery.js';
import { cleanText, type Dispatcher, type ReceiveResult } from './dispatcher.js';
import type { KnowledgeBase } from './knowledge-base.js';
import { isOfficeOpen, nextOpeningText } from './office.js';
import type { Conversation, ConversationPatch, Message, Store } from './store/types.js';
import { texts } from './texts.js';
import type { Inbound, ReplyKind } from './types.js';

export type UnreadableKind = keyof typeof texts.unreadable;

export interface NoticeDeps {
  store: Store;
  dispatcher: Pick<Dispatcher, 'events'>;
  knowledge: Pick<KnowledgeBase, 'current'>;
  /** Delivers the reply on channels that push (as the dispatcher does); without it the reply is only stored. */
  outbox?: Outbox;
  clock?: () => Date;
}

const MAX_ATTEMPTS = 5;

/** The decision for one message: what changes in the conversation, and what (if anything) we say. */
type Decision = { patch: ConversationPatch; reply?: { kind: ReplyKind; text: string } };

/** Stores a message the engine cannot read; replies with a way forward unless a human owns the chat. */
export function receiveUnreadable(deps: NoticeDeps, inbound: Inbound, kind: UnreadableKind): Promise<ReceiveResult> {
  return receiveWithoutEngine(deps, inbound, (conversation) =>
    // Agents read (and hear) everything in their chats: no bot voice in between.
    conversation.state === 'bot' ? { patch: {}, reply: { kind: 'fallback', text: texts.unreadable[kind] } } : { patch: {} },
  );
}

/**
 * Stores a message that arrived too late to be answered blindly: a human
 * reads it. Only the first late message of a chat gets the apology (later
 * ones find the chat already waiting).
 */
export function receiveLate(deps: NoticeDeps, inbound: Inbound): Promise<ReceiveResult> {
  return receiveWithoutEngine(deps, inbound, async (conversation, now) => {
    if (conversation.state !== 'bot') return { patch: {} };
    const { office } = await deps.knowledge.current();
    const sentAt = new Intl.DateTimeFormat('id-ID', {
      timeZone: office.timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(inbound.sentAt ?? now);
    const whenAgents = isOfficeOpen(office, now) ? 'secepatnya' : nextOpeningText(office, now);
    return {
      patch: { state: 'waiting', handoffRequestedAt: now, flow: null },
      reply: { kind: 'handoff', text: texts.late(office, sentAt, whenAgents) },
    };
  });
}

async function receiveWithoutEngine(
  deps: NoticeDeps,
  inbound: Inbound,
  decide: (conversation: Conversation, now: Date) => Decision | Promise<Decision>,
): Promise<ReceiveResult> {
  const { store, dispatcher } = deps;
  const clock = deps.clock ?? (() => new Date());
  const contact = await store.contacts.upsert(inbound.channel, inbound.senderId, inbound.senderName);
  const opened = await store.conversations.open(contact);
  const { message, duplicate } = await store.messages.add({
    conversationId: opened.id,
    contactId: contact.id,
    channel: inbound.channel,
    direction: 'in',
    author: 'citizen',
    text: cleanText(inbound.text),
    attachments: inbound.attachments?.length ? inbound.attachments : undefined,
    platformMessageId: inbound.platformMessageId,
    createdAt: inbound.sentAt,
  });
  if (duplicate) return { message, duplicate, replies: [] };
  dispatcher.events.emit('message', message, opened);

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const conversation = await store.conversations.get(message.conversationId);
    if (!conversation) throw new Error(`message ${message.id} refers to a missing conversation`);
    if (conversation.lastTurn?.inboundId === message.id) return finish(deps, message, conversation, conversation.state, clock);
    const now = clock();
    const { patch, reply } = await decide(conversation, now);
    const replies = reply
      ? [
          {
            // The dispatcher's scheme: derived from the inbound id, so storing it twice is a no-op.
            id: `${message.id}-01`,
            conversationId: conversation.id,
            contactId: contact.id,
            channel: conversation.channel,
            direction: 'out' as const,
            author: 'bot' as const,
            text: reply.text,
            kind: reply.kind,
            replyTo: message.id,
            createdAt: new Date(now.getTime() + 1),
          },
        ]
      : [];
    const updated = await store.conversations.update(
      conversation.id,
      { ...patch, lastMessageAt: now, lastTurn: { inboundId: message.id, replies } },
      { ifVersion: conversation.version },
    );
    if (updated) return finish(deps, message, updated, conversation.state, clock);
  }
  throw new Error(`conversation ${message.conversationId} kept changing under message ${message.id}`);
}

async function finish(deps: NoticeDeps, message: Message, conversation: Conversation, previousState: Conversation['state'], clock: () => Date): Promise<ReceiveResult> {
  const replies: Message[] = [];
  for (const reply of conversation.lastTurn?.replies ?? []) replies.push((await deps.store.messages.add(reply)).message);
  // Queued before the message counts as handled, as in the dispatcher (deliver() is idempotent).
  if (deps.outbox?.pushes(conversation.channel)) {
    for (const reply of replies) await deps.outbox.deliver(reply, conversation.externalId);
  }
  await deps.store.messages.markHandled(message.id, clock());
  for (const reply of replies) deps.dispatcher.events.emit('message', reply, conversation);
  if (conversation.state !== previousState) deps.dispatcher.events.emit('conversation', conversation);
  return { message, duplicate: false, replies };
}
