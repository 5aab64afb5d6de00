/**
 * Ticket numbers as citizens type them. The canonical form is
 * ADU-YYYY-NNNNNN; people write "adu 2026 123", "ADU2026000123" or
 * "Adu-2026-000123", and all of them mean the same ticket.
 */
import type { Dispatcher } from './dispatcher.js';
import { formatTicketNumber } from './store/ids.js';
import type { Store, Ticket, TicketStatus } from './store/types.js';
import { texts } from './texts.js';

const TICKET_NUMBER = /\badu[\s\-_./#:]*((?:19|20)\d{2})[\s\-_./]*(\d{1,6}(?: \d{1,5})?)(?!\d)/iu;
/** A bare "2026/000188" counts only where the message talks about a complaint (see understand.ts). */
const BARE_NUMBER = /(?<!\d)((?:19|20)\d{2})\s*[-_./]\s*(\d{3,6})(?!\d)|(?<!\d)((?:19|20)\d{2}) (\d{6})(?!\d)/u;

/**
 * The first ticket number in a message, in canonical form, or undefined.
 * With `bare`, a number without the ADU prefix ("aduan 2026/000188") counts too.
 */
export function findTicketNumber(text: string, options: { bare?: boolean } = {}): string | undefined {
  const match = TICKET_NUMBER.exec(text);
  if (match) {
    // "000 901" is one number split by a space; "000123 5" is a number and something else.
    const joined = match[2]!.replace(/ /gu, '');
    const seq = Number(joined.length <= 6 ? joined : match[2]!.split(' ')[0]);
    return seq > 0 ? formatTicketNumber(Number(match[1]), seq) : undefined;
  }
  const bare = options.bare ? BARE_NUMBER.exec(text) : null;
  if (!bare) return undefined;
  const seq = Number(bare[2] ?? bare[4]);
  return seq > 0 ? formatTicketNumber(Number(bare[1] ?? bare[3]), seq) : undefined;
}

/** How a status reads to a citizen. */
export const STATUS_LABELS: Record<TicketStatus, string> = {
  baru: 'Baru diterima',
  diproses: 'Sedang diproses',
  menunggu_warga: 'Menunggu tanggapan Anda',
  selesai: 'Selesai',
  ditutup: 'Ditutup',
};

/**
 * Changes a ticket's status (recorded in its history) and tells the citizen
 * on the channel they use: the inbox and scheduled jobs call this, never
 * store.tickets.update directly for a status.
 */
export async function changeTicketStatus(
  deps: { store: Store; dispatcher: Pick<Dispatcher, 'post'> },
  ticketId: string,
  status: TicketStatus,
  change: { actor: string; note?: string },
): Promise<Ticket | null> {
  const before = await deps.store.tickets.get(ticketId);
  if (!before) return null;
  const ticket = await deps.store.tickets.update(ticketId, { status }, { actor: change.actor, type: 'status', note: change.note });
  if (ticket && before.status !== status) {
    await deps.dispatcher.post(ticket.conversationId, { author: 'system', kind: 'status', text: texts.status.changed(ticket.number, STATUS_LABELS[status], change.note) });
  }
  return ticket;
}
