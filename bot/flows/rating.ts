/**
 * A 1–5 satisfaction rating after an agent closes a conversation or a
 * ticket is resolved. The question goes out as a message of its own; the
 * citizen's next message is read as the score if it is one ("5", "lima",
 * "⭐⭐⭐⭐"), otherwise as a new question (nobody is forced to rate).
 */
import type { TurnContext } from '../context.js';
import type { Dispatcher } from '../dispatcher.js';
import type { Store } from '../store/types.js';
import { NUMBER_WORDS, texts } from '../texts.js';
import type { ReplyOption } from '../types.js';

export const RATING_FLOW = 'rating';

const SCORES: ReplyOption[] = [1, 2, 3, 4, 5].map((score) => ({ label: `${score} ${'⭐'.repeat(score)}`, value: String(score) }));

interface RatingRequest {
  /** The conversation being rated (may be closed by now). */
  conversationId: string;
  ticketId?: string;
  agentId?: string;
}

/**
 * Asks the citizen of a conversation for a rating, in their open conversation (a new one if this
 * one was closed). Skipped while they are in the middle of something else.
 */
export async function askForRating(deps: { store: Store; dispatcher: Pick<Dispatcher, 'post'> }, request: RatingRequest): Promise<boolean> {
  const rated = await deps.store.conversations.get(request.conversationId);
  const contact = rated && (await deps.store.contacts.get(rated.contactId));
  if (!rated || !contact) return false;
  const current = await deps.store.conversations.open(contact);
  if (current.state !== 'bot' || current.flow !== null) return false;
  const updated = await deps.store.conversations.update(
    current.id,
    { flow: { name: RATING_FLOW, step: 'score', data: { ...request } }, memory: { ...current.memory, choices: SCORES, menu: undefined } },
    { ifVersion: current.version, ifState: ['bot'] },
  );
  if (!updated) return false;
  await deps.dispatcher.post(current.id, { author: 'bot', kind: 'menu', text: request.ticketId ? texts.rating.askTicket : texts.rating.askConversation, options: SCORES });
  return true;
}

function scoreOf(text: string): number | undefined {
  const typed = text.trim().toLowerCase().replace(/[.!]+$/u, '');
  const stars = [...typed].filter((char) => char === '⭐').length;
  const number = /^[1-5]$/u.test(typed) ? Number(typed) : stars > 0 && /^[⭐\s]+$/u.test(typed) ? stars : NUMBER_WORDS[typed];
  return number !== undefined && number >= 1 && number <= 5 ? number : undefined;
}

export async function continueRating(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
  const request = ctx.flow!.data as unknown as RatingRequest;
  ctx.setFlow(null);
  const score = scoreOf(ctx.text);
  if (score === undefined) return next();
  await ctx.store.ratings.add({ conversationId: request.conversationId, ticketId: request.ticketId, agentId: request.agentId, score });
  ctx.reply('thanks', score >= 4 ? texts.rating.thanksGood : texts.rating.thanksLow);
}
