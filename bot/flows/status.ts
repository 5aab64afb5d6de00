/**
 * Checking a complaint's status. A ticket is shown only to the citizen who
 * filed it: the same channel identity, or someone who knows the phone number
 * given at filing. A wrong number and someone else's number get the same
 * answer, so the bot never reveals whether a ticket exists.
 */
import { createHash, randomInt } from 'node:crypto';
import type { TurnContext } from '../context.js';
import { maskPersonalData, normalizePhone } from '../personal-data.js';
import type { Ticket } from '../store/types.js';
import { STATUS_LABELS, findTicketNumber } from '../tickets.js';
import { texts } from '../texts.js';

export const STATUS_FLOW = 'status';
const MAX_FAILURES = 3;
/** One-time codes live in the key-value store, per conversation, for ten minutes. */
const CODES = 'otp';
const CODE_LIFETIME_MS = 10 * 60_000;

interface PendingCode {
  ticketId: string;
  hash: string;
  expiresAt: string;
  attempts: number;
}

const hashOf = (code: string) => createHash('sha256').update(code).digest('hex');

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

async function sendCode(ctx: TurnContext, ticket: Ticket, phone: string): Promise<void> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const pending: PendingCode = { ticketId: ticket.id, hash: hashOf(code), expiresAt: new Date(ctx.now.getTime() + CODE_LIFETIME_MS).toISOString(), attempts: 0 };
  await ctx.store.keyValue.set(CODES, { [ctx.conversation.id]: JSON.stringify(pending) });
  await ctx.services.oneTimeCodes!.send(phone, texts.status.codeMessage(code, ticket.number));
  ctx.reply('status', texts.status.codeSent(maskPersonalData(phone)));
  ctx.setFlow({ name: STATUS_FLOW, step: 'code', data: { number: ticket.number } });
}

/** The citizen types the code we sent to their WhatsApp. */
async function checkCode(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
  const typed = ctx.text.replace(/\s/gu, '');
  if (!/^\d{6}$/u.test(typed)) {
    ctx.setFlow(null);
    return next();
  }
  const stored = (await ctx.store.keyValue.get(CODES, [ctx.conversation.id]))[ctx.conversation.id];
  const pending = stored ? (JSON.parse(stored) as PendingCode) : undefined;
  if (!pending || new Date(pending.expiresAt) < ctx.now || pending.attempts >= MAX_FAILURES) {
    await ctx.store.keyValue.set(CODES, { [ctx.conversation.id]: null });
    ctx.reply('status', texts.status.codeExpired);
    ctx.setFlow(null);
    return;
  }
  if (hashOf(typed) !== pending.hash) {
    await ctx.store.keyValue.set(CODES, { [ctx.conversation.id]: JSON.stringify({ ...pending, attempts: pending.attempts + 1 }) });
    ctx.reply('status', pending.attempts + 1 >= MAX_FAILURES ? texts.status.tooManyAttempts : texts.status.codeWrong);
    if (pending.attempts + 1 >= MAX_FAILURES) ctx.setFlow(null);
    return;
  }
  await ctx.store.keyValue.set(CODES, { [ctx.conversation.id]: null });
  const ticket = await ctx.store.tickets.get(pending.ticketId);
  if (ticket) report(ctx, ticket);
  else ctx.setFlow(null);
}

/** The citizen's answer to "which number?", "which phone number?" or "which code?". */
export async function continueStatus(ctx: TurnContext, next: () => Promise<void>): Promise<void> {
  const flow = ctx.flow!;
  if (flow.step === 'code') return checkCode(ctx, next);
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
    // The phone number alone could be guessed by someone who knows the citizen: when WhatsApp is
    // connected, a code sent to that number proves the person asking holds it.
    const codes = ctx.services.oneTimeCodes;
    if (codes && (await codes.available())) return sendCode(ctx, ticket, phone);
    report(ctx, ticket);
    return;
  }
  const failures = (ctx.memory.statusFailures ?? 0) + 1;
  ctx.remember({ statusFailures: failures });
  ctx.reply('status', failures >= MAX_FAILURES ? texts.status.tooManyAttempts : texts.status.verificationFailed);
  ctx.setFlow(null);
}
