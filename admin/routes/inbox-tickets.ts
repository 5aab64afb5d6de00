/**
 * Ticket actions from the conversation page. Every change goes through the
 * ticket service (bot/tickets.ts), so it lands in the ticket's history with
 * who did it, and a status change is told to the citizen on their channel
 * ("selesai" also asks for a rating). Confidential categories (pungli, calo)
 * are for supervisors only: an agent gets 403 on such a ticket.
 *
 *   GET  /inbox/tickets/:id            → the conversation page, at the ticket (JSON: the ticket)
 *   POST /inbox/tickets/:id/status     status (+ optional note for the citizen)
 *   POST /inbox/tickets/:id/update     priority, category, kecamatan, assignee
 *   POST /inbox/tickets/:id/note       a note in the ticket's history (not sent)
 *
 * Agents may take a ticket themselves or give it back; handing it to
 * someone else is a supervisor's call, like reassigning a conversation.
 */
import type { Request, Response, Router } from 'express';
import { HelpdeskError } from '../../bot/helpdesk.js';
import { hasRole } from '../roles.js';
import { complaintCategory } from '../../bot/complaints.js';
import { OFFICE_SETTING } from '../../bot/knowledge-base.js';
import { TICKET_STATUSES, type Ticket, type TicketPatch, type TicketStatus, type User } from '../../bot/store/types.js';
import type { OfficeProfile } from '../../knowledge/schema.js';
import { wantsJson } from '../access.js';
import { field } from '../context.js';
import { guarded, type InboxContext, openable, sendFailure, userOf, viewerBasics } from './inbox-common.js';
import { PRIORITIES, ticketView } from './inbox-view.js';

export function ticketRoutes(router: Router, ctx: InboxContext): void {
  const { base, store, access, helpdesk, dispatcher, log } = ctx;
  const agent = access.requireRole('agent');

  /** The ticket, if this user may see it (403 for confidential ones below supervisor). */
  async function visible(req: Request, user: User): Promise<Ticket> {
    const ticket = await store.tickets.get(String(req.params.id));
    if (!ticket) throw new HelpdeskError('Tiket tidak ditemukan.', 404);
    if (!helpdesk.mayView(user, ticket)) throw new HelpdeskError('Tiket ini berkategori rahasia (pungli/calo): hanya supervisor yang dapat membuka dan mengubahnya.', 403);
    await openable(ctx, user, ticket.conversationId);
    return ticket;
  }

  /** Back to the conversation at the ticket; to the list when the user may no longer open it. */
  async function back(req: Request, res: Response, user: User, ticket: Ticket, notice: string) {
    if (wantsJson(req)) {
      const basics = await viewerBasics(store, user);
      const conversation = await store.conversations.get(ticket.conversationId);
      const reveal = conversation ? helpdesk.mayReveal(user, conversation) : false;
      const view = helpdesk.mayView(user, ticket) ? ticketView(ticket, { ...basics, reveal }, `${base}/inbox/c/${ticket.conversationId}/files`) : null;
      return void res.json({ ok: true, ticket: view });
    }
    const conversation = await store.conversations.get(ticket.conversationId);
    if (!helpdesk.mayView(user, ticket) || !conversation || !(await helpdesk.mayViewConversation(user, conversation))) {
      return void res.redirect(303, `${base}/inbox?view=open&pesan=${notice}`);
    }
    res.redirect(303, `${base}/inbox/c/${ticket.conversationId}?pesan=${notice}#t-${ticket.id}`);
  }

  router.get(
    '/inbox/tickets/:id',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const ticket = await visible(req, user);
      if (wantsJson(req)) return back(req, res, user, ticket, '');
      res.redirect(302, `${base}/inbox/c/${ticket.conversationId}#t-${ticket.id}`);
    }),
  );

  router.post(
    '/inbox/tickets/:id/status',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const ticket = await visible(req, user);
      const status = field(req, 'status') as TicketStatus;
      if (!TICKET_STATUSES.includes(status)) return sendFailure(ctx, req, res, 400, 'Pilih status tiket.');
      const note = field(req, 'note').trim().slice(0, 1000) || undefined;
      const updated = await dispatcher.tickets.changeStatus(ticket.id, status, { actor: user.id, note });
      if (!updated) throw new HelpdeskError('Tiket tidak ditemukan.', 404);
      log.info({ ticket: ticket.number, status, by: user.id }, 'inbox: ticket status changed');
      await back(req, res, user, updated, 'status');
    }),
  );

  router.post(
    '/inbox/tickets/:id/update',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      let ticket = await visible(req, user);
      const office = await store.settings.get<OfficeProfile>(OFFICE_SETTING);
      const patch: Omit<TicketPatch, 'status' | 'dueAt' | 'escalatedAt' | 'assigneeId'> = {};
      const changes: string[] = [];
      const body = req.body as Record<string, unknown> | undefined;
      const given = (name: string) => body !== undefined && typeof body === 'object' && typeof body[name] === 'string';

      if (given('priority') && field(req, 'priority') !== ticket.priority) {
        const priority = PRIORITIES.find((p) => p.value === field(req, 'priority'));
        if (!priority) return sendFailure(ctx, req, res, 400, 'Prioritas tidak dikenal.');
        patch.priority = priority.value;
        changes.push(`Prioritas: ${priority.label}`);
      }
      if (given('category') && field(req, 'category') !== ticket.category) {
        const category = complaintCategory(field(req, 'category'));
        if (!category) return sendFailure(ctx, req, res, 400, 'Kategori tidak dikenal.');
        patch.category = category.id;
        changes.push(`Kategori: ${category.label}`);
      }
      // The store cannot clear a kecamatan once set (undefined means "unchanged"), so only a real choice counts.
      if (given('kecamatan') && field(req, 'kecamatan') && field(req, 'kecamatan') !== (ticket.kecamatan ?? '')) {
        const name = field(req, 'kecamatan');
        if (!office?.kecamatan.some((k) => k.name === name)) return sendFailure(ctx, req, res, 400, 'Kecamatan tidak dikenal.');
        patch.kecamatan = name;
        changes.push(`Kecamatan: ${name}`);
      }
      let assigneeId: string | null | undefined;
      if (given('assigneeId') && field(req, 'assigneeId') !== (ticket.assigneeId ?? '')) {
        const target = field(req, 'assigneeId') || null;
        const mayAssign = hasRole(user.role, 'supervisor') || target === user.id || (target === null && ticket.assigneeId === user.id);
        if (!mayAssign) return sendFailure(ctx, req, res, 403, 'Hanya supervisor yang bisa menugaskan tiket ke petugas lain. Anda bisa menangani tiket ini sendiri.');
        if (target) {
          const person = await store.users.get(target);
          if (!person || person.disabled) return sendFailure(ctx, req, res, 400, 'Petugas tidak ditemukan.');
        }
        assigneeId = target;
      }
      if (changes.length) ticket = (await dispatcher.tickets.update(ticket.id, patch, { actor: user.id, note: changes.join('; ') })) ?? ticket;
      if (assigneeId !== undefined) ticket = (await dispatcher.tickets.update(ticket.id, { assigneeId }, { actor: user.id })) ?? ticket;
      const nowConfidential = Boolean(complaintCategory(ticket.category)?.confidential) && !hasRole(user.role, 'supervisor');
      await back(req, res, user, ticket, nowConfidential ? 'tiket-rahasia' : 'tiket');
    }),
  );

  router.post(
    '/inbox/tickets/:id/note',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const ticket = await visible(req, user);
      const note = field(req, 'note').trim().slice(0, 2000);
      if (!note) return sendFailure(ctx, req, res, 400, 'Tulis catatannya dulu.', 'empty');
      const updated = await dispatcher.tickets.note(ticket.id, user.id, note);
      if (!updated) throw new HelpdeskError('Tiket tidak ditemukan.', 404);
      await back(req, res, user, updated, 'catatan-tiket');
    }),
  );
}
