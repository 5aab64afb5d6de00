/**
 * Ticket numbers as citizens type them. The canonical form is
 * ADU-YYYY-NNNNNN; people write "adu 2026 123", "ADU2026000123" or
 * "Adu-2026-000123", and all of them mean the same ticket.
 */
import { formatTicketNumber } from './store/ids.js';
import type { TicketStatus } from './store/types.js';

const TICKET_NUMBER = /\badu[\s\-_./#:]*((?:19|20)\d{2})[\s\-_./]*(\d{1,6})(?!\d)/iu;

/** The first ticket number in a message, in canonical form, or undefined. */
export function findTicketNumber(text: string): string | undefined {
  const match = TICKET_NUMBER.exec(text);
  if (!match) return undefined;
  const seq = Number(match[2]);
  return seq > 0 ? formatTicketNumber(Number(match[1]), seq) : undefined;
}

/** How a status reads to a citizen. */
export const STATUS_LABELS: Record<TicketStatus, string> = {
  baru: 'Baru diterima',
  diproses: 'Sedang diproses',
  menunggu_warga: 'Menunggu tanggapan Anda',
  selesai: 'Selesai',
  ditutup: 'Ditutup',
};
