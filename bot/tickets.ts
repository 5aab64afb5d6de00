/**
 * Ticket numbers as citizens type them. The canonical form is
 * ADU-YYYY-NNNNNN; people write "adu 2026 123", "ADU2026000123" or
 * "Adu-2026-000123", and all of them mean the same ticket.
 */
import { isStaffActor, recordAudit } from './audit.js';
import { complaintCategory } from './complaints.js';
import type { Dispatcher } from './dispatcher.js';
import { askForRating } from './flows/rating.js';
import { formatTicketNumber } from './store/ids.js';
import type { NewTicket, Store, Ticket, TicketPatch, TicketStatus } from './store/types.js';
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

/** Deadlines on the office's working-day calendar (bot/sla.ts); optional so the engine runs without them. */
export interface TicketDeadlines {
  /** When the ticket's current step is due (on the calendar as it is now), or null when nothing is due. */
  dueDateFor(ticket: Ticket): Promise<Date | null>;
  /** Schedules the check that escalates (or closes) the ticket if it is still there when due. */
  schedule(ticket: Ticket): Promise<void>;
}

export interface TicketServiceDeps {
  store: Store;
  /** Tells citizens about changes, and live views about the ticket. */
  dispatcher: Pick<Dispatcher, 'post' | 'events'>;
  deadlines?: TicketDeadlines;
}

/**
 * The one place tickets are created and changed: the engine (complaints,
 * off-hours handoffs), the inbox and the SLA jobs all come here, so every
 * ticket gets its due date and deadline job, every change its history event,
 * and the citizen hears about status changes on their channel. Changes made
 * by staff (status, priority, category, kecamatan, assignee) are also written
 * to the audit log here, whichever page or API made them.
 */
export class TicketService {
  constructor(private readonly deps: TicketServiceDeps) {}

  async create(input: NewTicket): Promise<Ticket> {
    let ticket = await this.deps.store.tickets.create(input);
    ticket = await this.withDeadline(ticket, { actor: 'system', type: 'updated', note: 'Tenggat dihitung' });
    this.deps.dispatcher.events.emit('ticket', ticket);
    return ticket;
  }

  /** Changes the status (recorded with who and why) and tells the citizen; a resolved ticket asks for a rating. */
  async changeStatus(ticketId: string, status: TicketStatus, change: { actor: string; note?: string }): Promise<Ticket | null> {
    const before = await this.deps.store.tickets.get(ticketId);
    if (!before) return null;
    let ticket = await this.deps.store.tickets.update(ticketId, { status, escalatedAt: null }, { actor: change.actor, type: 'status', note: change.note });
    if (!ticket) return null;
    if (before.status !== status) {
      await this.audit(change.actor, 'ticket.status', ticket, `Status: ${statusName(before.status)} → ${statusName(status)}${change.note ? `. Pesan ke warga: ${change.note}` : ''}`);
      ticket = await this.withDeadline(ticket);
      await this.deps.dispatcher.post(ticket.conversationId, { author: 'system', kind: 'status', text: texts.status.changed(ticket.number, STATUS_LABELS[status], change.note) });
      if (status === 'selesai') await askForRating(this.deps, { conversationId: ticket.conversationId, ticketId: ticket.id });
    }
    this.deps.dispatcher.events.emit('ticket', ticket);
    return ticket;
  }

  /** Priority, category, place or assignee: recorded in the ticket's history. */
  async update(ticketId: string, patch: Omit<TicketPatch, 'status' | 'dueAt' | 'escalatedAt'>, change: { actor: string; note?: string }): Promise<Ticket | null> {
    const type = patch.assigneeId !== undefined ? 'assigned' : 'updated';
    const before = isStaffActor(change.actor) ? await this.deps.store.tickets.get(ticketId) : null;
    const ticket = await this.deps.store.tickets.update(ticketId, patch, { actor: change.actor, type, note: change.note });
    if (ticket && before) await this.auditUpdate(change.actor, before, ticket);
    if (ticket) this.deps.dispatcher.events.emit('ticket', ticket);
    return ticket;
  }

  /** A private note in the ticket's history. */
  async note(ticketId: string, actor: string, note: string): Promise<Ticket | null> {
    const ticket = await this.deps.store.tickets.update(ticketId, {}, { actor, type: 'note', note });
    if (ticket) this.deps.dispatcher.events.emit('ticket', ticket);
    return ticket;
  }

  /** One audit event per field a staff member changed (the log filters by kind). */
  private async auditUpdate(actor: string, before: Ticket, after: Ticket): Promise<void> {
    if (before.priority !== after.priority) await this.audit(actor, 'ticket.priority', after, `Prioritas: ${before.priority} → ${after.priority}`);
    if (before.category !== after.category) await this.audit(actor, 'ticket.category', after, `Kategori: ${categoryName(before.category)} → ${categoryName(after.category)}`);
    if (before.kecamatan !== after.kecamatan || before.kelurahan !== after.kelurahan) {
      await this.audit(actor, 'ticket.kecamatan', after, `Tempat: ${placeName(before)} → ${placeName(after)}`);
    }
    if (before.assigneeId !== after.assigneeId) {
      await this.audit(actor, 'ticket.assign', after, `Petugas: ${await this.staffName(before.assigneeId)} → ${await this.staffName(after.assigneeId)}`);
    }
  }

  private async audit(actor: string, action: string, ticket: Ticket, summary: string): Promise<void> {
    await recordAudit(this.deps.store, { actorId: actor, action, target: ticket.number, summary });
  }

  private async staffName(userId: string | null): Promise<string> {
    if (!userId) return 'belum ada';
    return (await this.deps.store.users.get(userId))?.displayName ?? 'petugas terhapus';
  }

  private async withDeadline(ticket: Ticket, event?: Parameters<Store['tickets']['update']>[2]): Promise<Ticket> {
    const deadlines = this.deps.deadlines;
    if (!deadlines) return ticket;
    const dueAt = await deadlines.dueDateFor(ticket);
    const updated = (await this.deps.store.tickets.update(ticket.id, { dueAt }, event ?? { actor: 'system', type: 'updated', note: 'Tenggat diperbarui' })) ?? ticket;
    if (dueAt) await deadlines.schedule(updated);
    return updated;
  }
}

const statusName = (status: TicketStatus) => status.replace('_', ' ');
const categoryName = (id: string) => complaintCategory(id)?.label ?? id;
const placeName = (ticket: Pick<Ticket, 'kecamatan' | 'kelurahan'>) => [ticket.kecamatan, ticket.kelurahan].filter(Boolean).join(', ') || 'belum diisi';
