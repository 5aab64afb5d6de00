/**
 * One turn of a conversation: the citizen's message, who sent it, the
 * conversation as it stood, and what the engine decides (replies and
 * conversation changes). Middleware reads and writes only this object; the
 * dispatcher commits the result in one step.
 */
import type { KnowledgeSnapshot } from './knowledge-base.js';
import type { TicketService } from './tickets.js';
import type { Understanding } from './nlu/understand.js';
import type { FallbackNote } from './unanswered.js';
import type { Contact, Conversation, ConversationPatch, DialogueMemory, FlowState, Message, Store } from './store/types.js';
import type { Reply, ReplyKind, ReplyOption } from './types.js';

/** Capabilities the engine may use beyond the store, provided by the composition root. */
export interface EngineServices {
  /** Sends a one-time code to a phone number over WhatsApp, when WhatsApp is connected. */
  oneTimeCodes?: OneTimeCodeSender;
}

export interface OneTimeCodeSender {
  /** Whether a code can be sent right now (WhatsApp is connected). */
  available(): Promise<boolean>;
  /** Sends `text` to the WhatsApp number of `phone` (08… form). */
  send(phone: string, text: string): Promise<void>;
}

export class TurnContext {
  readonly replies: Reply[] = [];
  /** The message as the engine reads it: a numbered choice is replaced by the option it picks. */
  private chosen: string | undefined;
  /** Changes to the conversation, committed together with the replies. */
  readonly changes: ConversationPatch = {};
  private understood: Understanding | undefined;
  private fellBack: FallbackNote | undefined;

  constructor(
    /** The stored inbound message. */
    readonly message: Message,
    readonly contact: Contact,
    /** The conversation as it was when the turn started. */
    readonly conversation: Conversation,
    readonly knowledge: KnowledgeSnapshot,
    readonly store: Store,
    readonly now: Date,
    /** Where tickets are created, so they get deadlines and history (bot/tickets.ts). */
    readonly tickets: TicketService,
    readonly services: EngineServices = {},
  ) {}

  get text(): string {
    return this.chosen ?? this.message.text;
  }

  /** Reads the rest of the turn as if the citizen had typed `value` ("2" → the second option's value). */
  choose(value: string): void {
    this.chosen = value;
    this.understood = undefined;
  }

  get office() {
    return this.knowledge.office;
  }

  get memory(): DialogueMemory {
    return this.changes.memory ?? this.conversation.memory;
  }

  get flow(): FlowState | null {
    return this.changes.flow !== undefined ? this.changes.flow : this.conversation.flow;
  }

  /** What the NLU makes of the message (computed once, with the conversation's memory for follow-ups). */
  understand(): Understanding {
    this.understood ??= this.knowledge.understander.understand(this.text, this.conversation.memory);
    return this.understood;
  }

  reply(kind: ReplyKind, text: string, extra: { options?: ReplyOption[]; entry?: string; confidence?: number } = {}): void {
    this.replies.push({ kind, text, ...extra });
  }

  /** Records that the NLU fell back, and why (the reply itself is still the middleware's). */
  noteFallback(understanding: Understanding): void {
    this.fellBack = { reason: understanding.fallbackReason ?? 'unknown', text: this.text };
  }

  /** Set when the NLU could not answer: the dispatcher hands it to the unanswered-questions log (bot/unanswered.ts). */
  get fallback(): FallbackNote | undefined {
    return this.fellBack;
  }

  setFlow(flow: FlowState | null): void {
    this.changes.flow = flow;
  }

  remember(patch: Partial<DialogueMemory>): void {
    this.changes.memory = { ...this.memory, ...patch };
  }

  change(patch: ConversationPatch): void {
    Object.assign(this.changes, patch);
  }
}

export type Middleware = (ctx: TurnContext, next: () => Promise<void>) => Promise<void>;

/** Runs middleware in order; each decides whether to call the next (grammY/koa style). */
export function compose(middleware: Middleware[]): Middleware {
  return (ctx, last) => {
    const run = (index: number): Promise<void> => {
      const current = middleware[index];
      return current ? current(ctx, () => run(index + 1)) : last();
    };
    return run(0);
  };
}
