/**
 * One conversation in the inbox: the whole history, the contact, its
 * tickets, private notes and labels, and what an agent does with it.
 *
 *   GET  /inbox/c/:id                  the page (marks the conversation read)
 *   GET  /api/inbox/c/:id?after=ID     state, allowed actions and messages after ID (live refresh)
 *   GET  /inbox/c/:id/files/:key       an attachment of this conversation or of its visible tickets
 *   POST /inbox/c/:id/claim            take it; 409 "diambil petugas lain" when someone was faster
 *   POST /inbox/c/:id/reply            text (JSON or form) or multipart with one file
 *   POST /inbox/c/:id/handback         back to the bot (which greets with the menu)
 *   POST /inbox/c/:id/close            end it; the citizen is asked for a 1–5 rating
 *   POST /inbox/c/:id/assign           supervisors: give it to an agent
 *   POST /inbox/c/:id/notes            a private note (never sent)
 *   POST /inbox/c/:id/labels           replace the labels ("pindah, mendesak")
 *   POST /inbox/c/:id/read             {messageId}: read up to there
 *
 * Every POST answers JSON to scripts (Accept: application/json) and
 * redirects back to the page with a fixed notice for plain forms.
 */
import type { Request, Response, Router } from 'express';
import { HelpdeskError } from '../../bot/helpdesk.js';
import { hasRole } from '../roles.js';
import { OFFICE_SETTING } from '../../bot/knowledge-base.js';
import type { Conversation, User } from '../../bot/store/types.js';
import type { Attachment } from '../../bot/types.js';
import { ACCEPTED_TYPES, FILE_KEY, fileHeaders, fileType, readUpload, safeFileName } from '../../channels/webchat/attachments.js';
import type { OfficeProfile } from '../../knowledge/schema.js';
import { wantsJson } from '../access.js';
import { field } from '../context.js';
import { guarded, type InboxContext, noticeFrom, openable, sendFailure, userOf, viewerBasics } from './inbox-common.js';
import {
  CATEGORY_OPTIONS,
  contactView,
  fullTime,
  messageView,
  noteView,
  PRIORITIES,
  shortTime,
  stateView,
  STATUS_OPTIONS,
  ticketView,
  CHANNELS,
  type Viewer,
} from './inbox-view.js';

const MAX_REPLY = 4000;

export interface Permissions {
  claim: boolean;
  reply: boolean;
  handBack: boolean;
  close: boolean;
  assign: boolean;
  attach: boolean;
}

export function permissions(conversation: Conversation, user: User): Permissions {
  const mine = conversation.assigneeId === user.id;
  const boss = hasRole(user.role, 'supervisor');
  const open = conversation.state !== 'closed';
  const free = conversation.state === 'waiting' || (conversation.state === 'bot' && !conversation.assigneeId);
  const mayAct = open && (conversation.state !== 'agent' || mine || boss);
  return {
    claim: free,
    reply: mayAct,
    handBack: conversation.state === 'agent' && (mine || boss),
    close: mayAct,
    assign: boss && open,
    // Telegram and WhatsApp deliveries carry text only (bot/outbox): a file would silently not arrive.
    attach: mayAct,
  };
}

export function conversationRoutes(router: Router, ctx: InboxContext): void {
  const { base, store, render, access, helpdesk, log } = ctx;
  const agent = access.requireRole('agent');
  const supervisor = access.requireRole('supervisor');
  const page = (id: string, notice?: string, anchor = '') => `${base}/inbox/c/${id}${notice ? `?pesan=${notice}` : ''}${anchor}`;
  const idOf = (req: Request) => String(req.params.id);

  const done = (req: Request, res: Response, id: string, notice: string, json: Record<string, unknown> = {}, anchor = '') => {
    if (wantsJson(req)) return void res.json({ ok: true, ...json });
    res.redirect(303, page(id, notice, anchor));
  };

  async function viewer(user: User, conversation: Conversation): Promise<Viewer> {
    return { ...(await viewerBasics(store, user)), reveal: helpdesk.mayReveal(user, conversation) };
  }

  /** State, owner and allowed actions as the page script needs them. */
  async function stateJson(conversation: Conversation, user: User) {
    const basics = await viewerBasics(store, user);
    return { id: conversation.id, ...stateView(conversation, basics), assigneeId: conversation.assigneeId, can: permissions(conversation, user), labels: conversation.labels };
  }

  router.get(
    '/inbox/c/:id',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      await openable(ctx, user, idOf(req));
      const detail = await helpdesk.detail(idOf(req), user);
      const { conversation } = detail;
      const v = await viewer(user, conversation);
      const fileBase = `${base}/inbox/c/${conversation.id}/files`;
      const contact = contactView(detail, v);
      const last = detail.messages.at(-1);
      if (last) await helpdesk.markRead(user, conversation.id, last.id);
      const office = await store.settings.get<OfficeProfile>(OFFICE_SETTING);
      const can = permissions(conversation, user);
      const staff = (await store.users.list()).filter((u) => !u.disabled && u.role !== 'admin');
      const online = new Set(can.assign ? (await helpdesk.onlineAgents()).map((u) => u.id) : []);
      const loads = can.assign ? await Promise.all(staff.map((u) => store.conversations.countByAssignee(u.id, ['agent']))) : [];
      const others = (await store.conversations.list({ contactIds: [conversation.contactId], order: 'recent', limit: 6 })).filter((c) => c.id !== conversation.id).slice(0, 5);
      render.page(res, 'inbox-conversation', {
        title: `${contact.name} · Kotak masuk`,
        nav: 'inbox',
        bodyClass: 'page-inbox page-conversation',
        styles: ['inbox.css'],
        scripts: ['inbox-live.js', 'inbox-conversation.js'],
        flash: noticeFrom(req),
        conversation: { id: conversation.id, channel: conversation.channel, channelLabel: CHANNELS[conversation.channel].label, channelShort: CHANNELS[conversation.channel].short, labels: conversation.labels, created: fullTime(conversation.createdAt, v.timeZone) },
        state: stateView(conversation, v),
        can,
        supervisor: hasRole(user.role, 'supervisor'),
        me: { id: user.id },
        contact,
        messages: detail.messages.map((message) => messageView(message, v, fileBase, contact.name)),
        lastId: last?.id ?? '',
        notes: detail.notes.map((note) => noteView(note, v)),
        tickets: detail.tickets.map((ticket) => ticketView(ticket, v, fileBase)),
        staff: staff.map((u, i) => ({ id: u.id, name: u.displayName, online: online.has(u.id), load: loads[i] ?? 0, capacity: u.capacity, current: u.id === conversation.assigneeId })),
        kecamatan: office?.kecamatan.map((k) => k.name) ?? [],
        statuses: STATUS_OPTIONS,
        priorities: PRIORITIES,
        categories: CATEGORY_OPTIONS,
        others: others.map((c) => ({ href: `${base}/inbox/c/${c.id}`, when: shortTime(c.lastMessageAt, v.timeZone, v.now), state: stateView(c, v).label })),
        labelsText: conversation.labels.join(', '),
      });
    }),
  );

  router.get(
    '/api/inbox/c/:id',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const after = typeof req.query.after === 'string' && /^[A-Za-z0-9_-]{1,64}$/u.test(req.query.after) ? req.query.after : undefined;
      const v = await viewer(user, conversation);
      const contact = await store.contacts.get(conversation.contactId);
      const messages = await store.messages.list(conversation.id, { afterId: after, limit: 200 });
      const citizen = contact ? contactView({ contact, messages: [] }, v).name : 'Warga';
      res.json({
        conversation: await stateJson(conversation, user),
        messages: messages.map((message) => messageView(message, v, `${base}/inbox/c/${conversation.id}/files`, citizen)),
      });
    }),
  );

  router.get(
    '/inbox/c/:id/files/:key',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const key = String(req.params.key);
      const notFound = () => sendFailure(ctx, req, res, 404, 'Berkas tidak ditemukan.');
      if (!FILE_KEY.test(key)) return notFound();
      const carries = (attachments: Attachment[] | undefined) => (attachments ?? []).some((attachment) => attachment.key === key);
      const messages = await store.messages.list(conversation.id, { limit: 2000 });
      let found = messages.some((message) => carries(message.attachments));
      if (!found) {
        const tickets = (await store.tickets.list({ conversationId: conversation.id, limit: 50 })).filter((ticket) => helpdesk.mayView(user, ticket));
        found = tickets.some((ticket) => carries(ticket.attachments));
      }
      const file = found ? await store.files.get(key) : null;
      if (!file) return notFound();
      res.set(fileHeaders(file));
      res.set('Cache-Control', 'private, no-store');
      res.send(file.data);
    }),
  );

  router.post(
    '/inbox/c/:id/claim',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const before = await openable(ctx, user, idOf(req));
      const taken = await helpdesk.claim(before.id, user);
      if (taken) return done(req, res, taken.id, 'diambil', { conversation: await stateJson(taken, user) });
      const now = (await store.conversations.get(before.id))!;
      if (now.state === 'agent' && now.assigneeId === user.id) return done(req, res, now.id, 'diambil', { conversation: await stateJson(now, user) });
      if (now.state === 'closed') return sendFailure(ctx, req, res, 409, 'Percakapan ini sudah ditutup.', 'closed');
      const owner = now.assigneeId ? (await store.users.get(now.assigneeId))?.displayName : undefined;
      if (!wantsJson(req)) return void res.redirect(303, page(now.id, 'diambil-lain'));
      res.status(409).json({ error: 'claimed', message: `Percakapan ini sudah diambil petugas lain${owner ? `: ${owner}` : ''}.`, assignee: owner ?? null });
    }),
  );

  router.post(
    '/inbox/c/:id/reply',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      let text: string;
      const attachments: Attachment[] = [];
      if (req.is('multipart/form-data')) {
        const parsed = await readUpload(req, res);
        if (!parsed.ok) {
          const messages: Record<string, string> = { file_too_large: 'Berkas terlalu besar (paling besar 5 MB).', caption_too_long: 'Teks balasan terlalu panjang.' };
          return sendFailure(ctx, req, res, parsed.error === 'file_too_large' ? 413 : 400, messages[parsed.error] ?? 'Kiriman tidak bisa dibaca. Coba lagi.');
        }
        text = typeof parsed.body.text === 'string' ? parsed.body.text : '';
        if (parsed.file) {
          if (!permissions(conversation, user).attach) return sendFailure(ctx, req, res, 400, `Lampiran belum bisa dikirim lewat ${CHANNELS[conversation.channel].label}; kirim teksnya saja.`);
          const type = fileType(parsed.file.buffer, parsed.file.mimetype);
          if (!type) return sendFailure(ctx, req, res, 400, 'Kirim foto (JPG, PNG, WebP, GIF) atau dokumen PDF.');
          const fileName = safeFileName(parsed.file.originalname, type);
          const key = await store.files.put(parsed.file.buffer, { fileName, mimeType: type });
          attachments.push({ kind: ACCEPTED_TYPES[type].kind, key, fileName, mimeType: type, size: parsed.file.size });
        }
      } else {
        text = field(req, 'text');
      }
      text = text.replace(/\r\n?/gu, '\n').trim();
      if (!text && attachments.length === 0) {
        if (!wantsJson(req)) return void res.redirect(303, page(conversation.id, 'kosong', '#balas'));
        return sendFailure(ctx, req, res, 400, 'Tulis balasan dulu.', 'empty');
      }
      if (text.length > MAX_REPLY) return sendFailure(ctx, req, res, 400, `Balasan terlalu panjang (paling banyak ${MAX_REPLY} karakter).`, 'too_long');
      const message = await helpdesk.reply(conversation.id, user, { text, attachments });
      await helpdesk.markRead(user, message.conversationId, message.id);
      log.info({ conversation: conversation.id, by: user.id, attachments: attachments.length }, 'inbox: agent replied');
      const after = (await store.conversations.get(message.conversationId)) ?? conversation;
      const v = await viewer(user, after);
      const contact = await store.contacts.get(after.contactId);
      done(req, res, conversation.id, 'terkirim', {
        message: messageView(message, v, `${base}/inbox/c/${message.conversationId}/files`, contact ? contactView({ contact, messages: [] }, v).name : 'Warga'),
        conversation: await stateJson(after, user),
      }, '#balas');
    }),
  );

  router.post(
    '/inbox/c/:id/handback',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const updated = await helpdesk.handBack(conversation.id, user);
      done(req, res, updated.id, 'dikembalikan', { conversation: await stateJson(updated, user) });
    }),
  );

  router.post(
    '/inbox/c/:id/close',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const updated = await helpdesk.close(conversation.id, user);
      done(req, res, updated.id, 'ditutup', { conversation: await stateJson(updated, user) });
    }),
  );

  router.post(
    '/inbox/c/:id/assign',
    supervisor,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const agentId = field(req, 'agentId');
      if (!agentId) return sendFailure(ctx, req, res, 400, 'Pilih petugas tujuan.');
      const updated = await helpdesk.assign(idOf(req), agentId, user);
      log.info({ conversation: updated.id, to: agentId, by: user.id }, 'inbox: conversation assigned');
      done(req, res, updated.id, 'dialihkan', { conversation: await stateJson(updated, user) });
    }),
  );

  router.post(
    '/inbox/c/:id/notes',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const text = field(req, 'text').trim();
      if (!text) {
        if (!wantsJson(req)) return void res.redirect(303, page(conversation.id, 'kosong', '#catatan'));
        return sendFailure(ctx, req, res, 400, 'Tulis catatannya dulu.', 'empty');
      }
      const note = await helpdesk.addNote(conversation.id, user, text);
      const v = await viewer(user, conversation);
      done(req, res, conversation.id, 'catatan', { note: noteView(note, v) }, '#catatan');
    }),
  );

  router.post(
    '/inbox/c/:id/labels',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const labels = field(req, 'labels').split(/[,\n;]/u);
      const updated = await helpdesk.setLabels(conversation.id, labels);
      done(req, res, updated.id, 'label', { labels: updated.labels }, '#label');
    }),
  );

  router.post(
    '/inbox/c/:id/read',
    agent,
    guarded(ctx, async (req, res) => {
      const user = userOf(res);
      const conversation = await openable(ctx, user, idOf(req));
      const messageId = field(req, 'messageId');
      const message = messageId ? await store.messages.get(messageId) : null;
      if (!message || message.conversationId !== conversation.id) throw new HelpdeskError('Pesan tidak ditemukan.', 404);
      await helpdesk.markRead(user, conversation.id, message.id);
      res.json({ ok: true });
    }),
  );
}
