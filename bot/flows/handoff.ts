/**
 * Handing a conversation to a human. The conversation becomes `waiting`;
 * from then on the engine stays silent (see `stayQuietWhileHumansHelp`)
 * until an agent hands it back or the citizen cancels while still waiting.
 * Outside office hours nobody will answer soon, so the request becomes a
 * ticket with a number and the time a human will reply.
 */
import { AGENT_REQUEST } from '../complaints.js';
import type { TurnContext } from '../context.js';
import { isOfficeOpen, nextOpeningText } from '../office.js';
import { texts } from '../texts.js';

export async function requestHandoff(ctx: TurnContext): Promise<void> {
  ctx.change({ state: 'waiting', handoffRequestedAt: ctx.now, flow: null });
  if (isOfficeOpen(ctx.office, ctx.now)) {
    ctx.reply('handoff', texts.handoff.open(ctx.office));
    return;
  }
  const ticket = await ctx.tickets.create({
    contactId: ctx.contact.id,
    conversationId: ctx.conversation.id,
    channel: ctx.conversation.channel,
    category: AGENT_REQUEST.id,
    description: await recentQuestion(ctx),
    sourceMessageId: ctx.message.id,
    createdAt: ctx.now,
  });
  ctx.reply('handoff', texts.helpdesk.offHoursTicket(ticket.number, ctx.office, nextOpeningText(ctx.office, ctx.now)));
}

/** What the citizen wrote before asking for a human, so the agent knows what it is about. */
export async function recentQuestion(ctx: Pick<TurnContext, 'store' | 'conversation' | 'message'>): Promise<string> {
  const messages = await ctx.store.messages.list(ctx.conversation.id);
  const asked = messages.filter((m) => m.direction === 'in' && m.text.trim()).slice(-5).map((m) => m.text.trim());
  return asked.join(' / ').slice(0, 1000) || ctx.message.text || 'Permintaan bicara dengan petugas';
}
