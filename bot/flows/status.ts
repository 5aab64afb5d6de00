/**
 * Checking a complaint's status. A ticket is shown only to the citizen who
 * filed it: the same channel identity, or someone who knows the phone number
 * given at filing. A wrong number and someone else's number get the same
 * answer, so the bot never reveals whether a ticket exists.
 */
import type { TurnContext } from '../context.js';
import { normalizePhone } from '../personal-data.js';
import type { Ticket } from '../store/types.js';
import { STATUS_LABELS, findTicketNumber } from '../tickets.js';
import { texts } from '../texts.js';

export const STATUS_FLOW = 'status';
const MAX_FAILURES = 3;

function formatWhen(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('id-ID', { timeZone, day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(date);
}

function report(ctx: TurnContext, ticket: Ticket): void {
  const lastStatus = [...ticket.events].reverse().find((event) => event.type === 'status' || event.type === 'created');
  const note = lastStatus?.type === 'status' ? lastStatus.note : undefined;
  ctx.reply('status', texts.status.report(ticket.number, STATUS_LABELS[ticket.status], formatWhen(ticket.updatedAt, ctx.office.timeZone), note));
  ctx.setFlow(null);
}

async function lookUp(ctx: TurnContext, number: string): Promise<void> {
  if ((ctx.memory.statusFailures ?? 0) >= MAX_FAILURES) {
    ctx.reply('status', texts.status.tooManyAttempts);
    ctx.setFlow(null);
    return;
  }
  const ticket = await ctx.store.tickets.byNumber(number);
  if (ticket && ticket.contactId === ctx.contact.id) {
    report(ctx, ticket);
    return;
  }
  ctx.reply('status', texts.status.notYours(number));
  ctx.setFlow({ name: STATUS_FLOW, step: 'phone', data: { number } });
}

export async function startStatus(ctx: TurnContext, ticketNumber?: string): Promise<void> {
  if (ticketNumber) return lookUp(ctx, ticketNumber);
  const own = await ctx.store.tickets.list({ contactId: ctx.contact.id, limit: 5 });
  const text = own.length
    ? texts.status.yourTickets(own.map((ticket) => `• ${ticket.number}: ${STATUS_LABELS[ticket.status]}`).join('\n'))
    : texts.status.askNumber;
  ctx.reply('status', text);
  ctx.setFlow({ name: STATUS_FLOW, step: 'number', data: {} });
}

/** The citizen's answer to "which number?" or "which phone number?". */
export async function continueStatus(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
  const flow = ctx.flow!;
  if (flow.step === 'number') {
    const number = findTicketNumber(ctx.text);
    if (number) return lookUp(ctx, number);
    // Not a ticket number: the citizen moved on; treat it as a new question.
    ctx.setFlow(null);
    return next();
  }
  const phone = normalizePhone(ctx.text);
  if (!phone) {
    ctx.setFlow(null);
    return next();
  }
  const ticket = await ctx.store.tickets.byNumber(String(flow.data.number));
  if (ticket?.reporterPhone && normalizePhone(ticket.reporterPhone) === phone) {
    report(ctx, ticket);
    return;
  }
  const failures = (ctx.memory.statusFailures ?? 0) + 1;
  ctx.remember({ statusFailures: failures });
  ctx.reply('status', failures >= MAX_FAILURES ? texts.status.tooManyAttempts : texts.status.verificationFailed);
  ctx.setFlow(null);
}
