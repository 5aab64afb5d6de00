/**
 * Background work, for admins (issue 6: "the bull dashboard for admins").
 *
 *   GET /queues              every queue this instance knows, with waiting, running, delayed and failed jobs
 *   GET /queues/board/...    bull's own dashboard (@bull-board), scale-out mode only, read-only
 *
 * The board is read-only: its buttons would send requests without our CSRF
 * token, and the actions that matter (re-sending a failed message) have their
 * own page (Pengiriman gagal). Its page carries inline styles, so it gets a
 * CSP that allows them; scripts stay 'self' only.
 */
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler, Router } from 'express';
import type { BullJobQueue } from '../../bot/queue/bull.js';
import type { JobQueue } from '../../bot/queue/types.js';
import type { AdminContext } from '../context.js';

const BOARD = '/queues/board';

/** What each queue does, in the words of the office. */
const QUEUE_LABELS: Record<string, string> = {
  'deliver:whatsapp': 'Pengiriman pesan WhatsApp',
  'deliver:telegram': 'Pengiriman pesan Telegram',
  sla: 'Tenggat tiket (SLA) dan eskalasi',
  'handoff-timeout': 'Batas tunggu petugas',
  'privacy-retention': 'Anonimisasi data lama (retensi)',
  unanswered: 'Pencatatan pertanyaan tak terjawab',
  'whatsapp:command': 'Perintah untuk koneksi WhatsApp',
};

const isBull = (queue: JobQueue): queue is BullJobQueue => queue.engine === 'bull';

/** bull-board's page: inline styles allowed, nothing else loosened. */
const boardPolicy: RequestHandler = (_req, res, next) => {
  res.set(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  );
  next();
};

export function queueRoutes(router: Router, ctx: AdminContext, queue: JobQueue): void {
  const admin = ctx.access.requireRole('admin');

  router.get('/queues', admin, async (_req, res) => {
    const queues = await Promise.all(
      queue.names().map(async (name) => ({ name, label: QUEUE_LABELS[name] ?? name, counts: await queue.counts(name) })),
    );
    ctx.render.page(res, 'queues', {
      title: 'Antrean kerja',
      nav: 'queues',
      engine: queue.engine,
      board: isBull(queue) ? `${ctx.base}${BOARD}` : null,
      queues,
    });
  });

  if (!isBull(queue)) return;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(`${ctx.base}${BOARD}`);
  const board = createBullBoard({ queues: [], serverAdapter, options: { uiConfig: { boardTitle: 'SIRATU · antrean' } } });
  const boardRouter = serverAdapter.getRouter() as RequestHandler;
  let shown = 0;
  // Queues are created as workers start, so the board's list is refreshed when it grows.
  router.get(`${BOARD}{/*rest}`, admin, boardPolicy, (req, res, next) => {
    const current = queue.bullQueues();
    if (current.length !== shown) {
      board.replaceQueues(current.map((bull) => new BullAdapter(bull, { readOnlyMode: true })));
      shown = current.length;
    }
    const url = req.url;
    req.url = url.slice(BOARD.length) || '/';
    boardRouter(req, res, (error?: unknown) => {
      req.url = url;
      next(error);
    });
  });
}
