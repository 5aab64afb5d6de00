/**
 * The agents' inbox: one shared list of citizen conversations from
 * WhatsApp, Telegram and web chat (issue 4). Every route needs a signed-in
 * agent at least; assigning a conversation to someone else needs a
 * supervisor. Pages are rendered on the server; small scripts
 * (public/inbox*.js) keep them live.
 *
 *   GET  /inbox?view=waiting|mine|open|closed&label=&q=   the list (tabs with unread counts, search)
 *   GET  /api/inbox/list?view=&label=&q=                  the same as JSON (rows + counts), for live refresh
 *   GET  /inbox/events                                    Server-Sent Events: small {type, conversationId…}
 *                                                         notices; keeps the agent "online" while open
 *   conversation, tickets, canned responses: see inbox-conversation.ts, inbox-tickets.ts, inbox-canned.ts
 */
import type { Request, Response, Router } from 'express';
import { INBOX_VIEWS, type ConversationSummary, type InboxView } from '../../bot/helpdesk.js';
import { hasRole } from '../roles.js';
import type { User } from '../../bot/store/types.js';
import type { AdminContext } from '../context.js';
import { cannedRoutes } from './inbox-canned.js';
import { type InboxContext, type InboxDeps, noticeFrom, userOf, viewerBasics } from './inbox-common.js';
import { conversationRoutes } from './inbox-conversation.js';
import { InboxHub, serveInboxStream } from './inbox-live.js';
import { ticketRoutes } from './inbox-tickets.js';
import { rowView, type RowView } from './inbox-view.js';

export const VIEW_LABELS: Record<InboxView, string> = {
  waiting: 'Menunggu',
  mine: 'Milik saya',
  open: 'Semua terbuka',
  closed: 'Selesai',
};

const EMPTY: Record<InboxView, string> = {
  waiting: 'Tidak ada warga yang menunggu petugas. Percakapan baru muncul di sini tanpa memuat ulang halaman.',
  mine: 'Belum ada percakapan yang Anda tangani. Ambil dari tab Menunggu.',
  open: 'Tidak ada percakapan terbuka.',
  closed: 'Belum ada percakapan yang selesai.',
};

const viewOf = (value: unknown): InboxView => (INBOX_VIEWS as string[]).includes(String(value)) ? (value as InboxView) : 'waiting';
const text = (value: unknown, max: number) => (typeof value === 'string' ? value.trim().slice(0, max) : '');

interface ListData {
  view: InboxView;
  label: string;
  query: string;
  rows: RowView[];
  counts: Record<InboxView, number>;
}

export function inboxRoutes(router: Router, admin: AdminContext, deps: InboxDeps): void {
  const ctx: InboxContext = { ...admin, ...deps };
  const { base, store, render, access, helpdesk } = ctx;
  const agent = access.requireRole('agent');
  const hub = new InboxHub(deps.dispatcher.events);

  /**
   * The bot's and the system's automatic lines ("Baik, percakapan ini saya teruskan…") say nothing
   * about what the citizen wants: the row previews the citizen's last message instead.
   */
  async function withCitizenPreview(summary: ConversationSummary): Promise<ConversationSummary> {
    const last = summary.lastMessage;
    if (!last || last.author === 'citizen' || last.author === 'agent') return summary;
    const messages = await store.messages.list(summary.conversation.id);
    const citizen = messages.findLast((message) => message.author === 'citizen');
    return citizen ? { ...summary, lastMessage: citizen } : summary;
  }

  async function rows(summaries: ConversationSummary[], user: User): Promise<RowView[]> {
    const basics = await viewerBasics(store, user);
    return Promise.all(
      summaries.map(async (summary) =>
        rowView(await withCitizenPreview(summary), { ...basics, base, mayReveal: (c) => helpdesk.mayReveal(user, c), restricted: !(await helpdesk.mayViewConversation(user, summary.conversation)) }),
      ),
    );
  }

  async function listData(req: Request, res: Response): Promise<ListData> {
    const user = userOf(res);
    const view = viewOf(req.query.view);
    const label = text(req.query.label, 30).toLowerCase();
    const query = text(req.query.q, 100);
    const [summaries, counts] = await Promise.all([query ? helpdesk.search(query, user) : helpdesk.list(view, user, { label: label || undefined }), helpdesk.unreadCounts(user)]);
    return { view, label, query, rows: await rows(summaries, user), counts };
  }

  router.get('/inbox', agent, async (req, res) => {
    const data = await listData(req, res);
    const user = userOf(res);
    render.page(res, 'inbox', {
      title: data.query ? 'Cari percakapan' : `Kotak masuk · ${VIEW_LABELS[data.view]}`,
      nav: 'inbox',
      bodyClass: 'page-inbox',
      styles: ['inbox.css'],
      scripts: ['inbox-live.js', 'inbox.js'],
      flash: noticeFrom(req),
      ...data,
      tabs: INBOX_VIEWS.map((view) => ({ view, label: VIEW_LABELS[view], count: data.counts[view], href: `${base}/inbox?view=${view}`, current: !data.query && view === data.view })),
      empty: data.query ? 'Tidak ada percakapan yang cocok. Coba nomor tiket (ADU-2026-000123), nomor HP, atau kata lain.' : data.label ? `Tidak ada percakapan berlabel “${data.label}” di tab ini.` : EMPTY[data.view],
      supervisor: hasRole(user.role, 'supervisor'),
    });
  });

  router.get('/api/inbox/list', agent, async (req, res) => {
    const data = await listData(req, res);
    res.json({ ...data, empty: data.query ? 'Tidak ada percakapan yang cocok.' : EMPTY[data.view] });
  });

  router.get('/inbox/events', agent, (req, res) => {
    serveInboxStream({ req, res, user: userOf(res), hub, helpdesk, sessions: ctx.sessions, log: ctx.log });
  });

  conversationRoutes(router, ctx);
  ticketRoutes(router, ctx);
  cannedRoutes(router, ctx);
}
