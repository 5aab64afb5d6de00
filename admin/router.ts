/**
 * The admin and agent web area, mounted at /admin by scripts/app.ts.
 *
 * One flat router, in this order:
 *   1. security headers (helmet, strict CSP: scripts and styles only from
 *      /admin/assets, no inline code), no caching of pages
 *   2. body parsers (forms and JSON, 32 KB)
 *   3. the browser's session (admin/sessions.ts)
 *   4. CSRF check on every POST/PUT/PATCH/DELETE (admin/access.ts)
 *   5. the routes, each with its access marker: publicRoute (login, assets),
 *      pendingTotp (two-factor step) or requireRole(agent|supervisor|admin)
 *   6. not found (anonymous → login), errors
 *
 * Pages: login, home, account (password, two-factor), users (admin),
 * WhatsApp pairing (admin), failed deliveries (supervisor), and the
 * agents' inbox (admin/routes/inbox*.ts, issue 4). The knowledge-base
 * editor (issue 5) adds its routes here the same way: register on this
 * router with requireRole, and the route test covers them automatically.
 */
import { Router, type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import type { EventBus } from '../bot/bus.js';
import type { KnowledgeBase } from '../bot/knowledge-base.js';
import type { KnowledgeEditor } from '../bot/knowledge-editing.js';
import type { Logger } from '../bot/log.js';
import type { JobQueue } from '../bot/queue/types.js';
import type { Store } from '../bot/store/types.js';
import { clientErrorOf, formBody, jsonBody } from '../channels/http-boundary.js';
import { accessControl, authOf, csrfProtection, publicRoute, wantsJson } from './access.js';
import type { AdminContext, RetryingOutbox } from './context.js';
import { adminError, sendAdminError } from './errors.js';
import { assetHandler, createRenderer, loadAssets, type NavItem } from './render.js';
import { accountRoutes } from './routes/account.js';
import { auditRoutes } from './routes/audit.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { homeRoutes } from './routes/home.js';
import type { InboxDeps } from './routes/inbox-common.js';
import { inboxRoutes } from './routes/inbox.js';
import { knowledgeRoutes } from './routes/knowledge.js';
import { loginRoutes } from './routes/login.js';
import { privacyRoutes } from './routes/privacy.js';
import { queueRoutes } from './routes/queues.js';
import { officeRoutes } from './routes/office.js';
import { unansweredRoutes } from './routes/unanswered.js';
import { userRoutes } from './routes/users.js';
import { whatsappRoutes } from './routes/whatsapp.js';
import { SecretBox } from './secret-key.js';
import { Sessions, type CookieSecure } from './sessions.js';
import { ACCOUNT_LOCK_MS, ACCOUNT_MAX_FAILURES, FailureCounter, IP_LOCK_MS, IP_MAX_FAILURES, IP_WINDOW_MS } from './throttle.js';
import { Totp } from './totp.js';
import type { WhatsappControl } from './whatsapp.js';

export interface AdminDeps {
  store: Store;
  log: Logger;
  config: { COOKIE_SECURE: CookieSecure; ADMIN_REQUIRE_TOTP: boolean };
  /** The server's secret key (admin/secret-key.ts resolveSecretKey): encrypts two-factor secrets. */
  secretKey: Buffer;
  /** Given by the WhatsApp channel when it runs; the WhatsApp page says "tidak diaktifkan" without it. */
  whatsappControl?: WhatsappControl;
  /** The delivery path; its `retry` backs the "Kirim ulang" button on the failed-deliveries page. */
  outbox?: RetryingOutbox;
  /** The helpdesk service and the dispatcher's events and tickets: the inbox (admin/routes/inbox*.ts) is mounted when given. */
  inbox?: InboxDeps;
  /** The knowledge base and its editor: the knowledge-base pages, the unanswered list and the dashboard are mounted when given. */
  knowledge?: { knowledge: KnowledgeBase; editor: KnowledgeEditor };
  /** The live event bus: an office-profile or holiday save tells every instance to reload. */
  events?: EventBus;
  /** Background jobs: the queue page (and bull's dashboard in scale-out mode) is mounted when given. */
  queue?: JobQueue;
  /** Where the router is mounted (cookies and links use it). */
  base?: string;
}

export const BODY_LIMIT = '32kb';

export function adminArea(deps: AdminDeps): Router {
  const base = deps.base ?? '/admin';
  const log = deps.log.child({ area: 'admin' });
  const nav: NavItem[] = [
    { key: 'home', href: base, label: 'Beranda', minimum: 'agent' },
    ...(deps.inbox ? [{ key: 'inbox', href: `${base}/inbox`, label: 'Kotak masuk', minimum: 'agent' as const }] : []),
    ...(deps.knowledge ? [{ key: 'knowledge', href: `${base}/knowledge`, label: 'Basis pengetahuan', minimum: 'agent' as const }] : []),
    ...(deps.knowledge ? [{ key: 'unanswered', href: `${base}/unanswered`, label: 'Tak terjawab', minimum: 'supervisor' as const }] : []),
    ...(deps.knowledge ? [{ key: 'dashboard', href: `${base}/dashboard`, label: 'Dasbor', minimum: 'supervisor' as const }] : []),
    { key: 'deliveries', href: `${base}/deliveries`, label: 'Pengiriman gagal', minimum: 'supervisor', group: 'more' },
    { key: 'whatsapp', href: `${base}/whatsapp`, label: 'WhatsApp', minimum: 'admin', group: 'more' },
    { key: 'users', href: `${base}/users`, label: 'Pengguna', minimum: 'admin', group: 'more' },
    { key: 'privacy', href: `${base}/privacy`, label: 'Data warga', minimum: 'admin', group: 'more' },
    ...(deps.knowledge ? [{ key: 'office', href: `${base}/office`, label: 'Profil kantor', minimum: 'admin' as const, group: 'more' as const }] : []),
    { key: 'audit', href: `${base}/audit`, label: 'Log audit', minimum: 'admin', group: 'more' },
    ...(deps.queue ? [{ key: 'queues', href: `${base}/queues`, label: 'Antrean kerja', minimum: 'admin' as const, group: 'more' as const }] : []),
    { key: 'account', href: `${base}/account`, label: 'Akun saya', minimum: 'agent', group: 'more' },
  ];
  const assets = loadAssets();
  const render = createRenderer({ base, assets, nav });
  const sessions = new Sessions(deps.store, { cookieSecure: deps.config.COOKIE_SECURE, path: base });
  const access = accessControl({
    base,
    requireAdminTotp: deps.config.ADMIN_REQUIRE_TOTP,
    forbiddenPage: (req, res) => render.message(req, res, 403, 'Tidak ada akses', 'Halaman ini hanya untuk peran yang lebih tinggi. Bila Anda memerlukannya, hubungi admin kantor.'),
  });
  const ctx: AdminContext = {
    base,
    store: deps.store,
    log,
    requireAdminTotp: deps.config.ADMIN_REQUIRE_TOTP,
    sessions,
    totp: new Totp(deps.store, new SecretBox(deps.secretKey, 'totp')),
    render,
    access,
    throttle: {
      ip: new FailureCounter({ max: IP_MAX_FAILURES, windowMs: IP_WINDOW_MS, lockMs: IP_LOCK_MS }),
      unknownUser: new FailureCounter({ max: ACCOUNT_MAX_FAILURES, windowMs: Number.POSITIVE_INFINITY, lockMs: ACCOUNT_LOCK_MS }),
    },
    whatsappControl: deps.whatsappControl,
    outbox: deps.outbox,
  };

  const router = Router();
  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: { maxAge: 180 * 24 * 60 * 60, includeSubDomains: false },
    }),
  );
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Operator keys ($gt, $ne…) and prototype keys are dropped while parsing (channels/http-boundary.ts).
  router.use(formBody(BODY_LIMIT, 50));
  router.use(jsonBody(BODY_LIMIT));
  router.use(async (req, res, next) => {
    // Static files need no session (and no database round trip).
    if (req.method === 'GET' && req.path.startsWith('/assets/')) return next();
    res.locals.signed = (await sessions.read(req)) ?? undefined;
    next();
  });
  router.use(csrfProtection({ exempt: ['/login'], errorPage: (req, res, status, text) => render.message(req, res, status, 'Formulir kedaluwarsa', text) }));

  router.get('/assets/:file', publicRoute(), assetHandler(assets));
  loginRoutes(router, ctx, { cookieSecure: deps.config.COOKIE_SECURE });
  homeRoutes(router, ctx);
  accountRoutes(router, ctx);
  userRoutes(router, ctx);
  privacyRoutes(router, ctx);
  auditRoutes(router, ctx);
  if (deps.knowledge) officeRoutes(router, ctx, { knowledge: deps.knowledge.knowledge, events: deps.events });
  whatsappRoutes(router, ctx);
  deliveryRoutes(router, ctx);
  if (deps.inbox) inboxRoutes(router, ctx, deps.inbox);
  if (deps.knowledge) knowledgeRoutes(router, ctx, deps.knowledge);
  if (deps.knowledge) unansweredRoutes(router, ctx, deps.knowledge);
  if (deps.knowledge) dashboardRoutes(router, ctx, deps.knowledge);
  if (deps.queue) queueRoutes(router, ctx, deps.queue);

  // Not found: strangers are sent to the login page, so the area reveals nothing about its routes.
  router.use((req, res) => {
    if (!authOf(res)) return access.unauthenticated(req, res);
    if (wantsJson(req)) return sendAdminError(res, 'not_found');
    render.message(req, res, 404, 'Halaman tidak ditemukan', 'Alamat ini tidak ada. Kembali ke Beranda lewat menu di atas.');
  });

  const onError: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error);
    // Over the limit, a type or encoding we do not read, an unreadable body or path: the client's doing, answered 4xx.
    const kind = clientErrorOf(error);
    const code = kind === 'too_large' ? 'too_large' : kind === 'unsupported' ? 'unsupported_type' : kind === 'bad_request' ? 'bad_request' : 'internal';
    if (code === 'internal') log.error({ err: error, path: req.path }, 'admin request failed');
    if (wantsJson(req) || !authOf(res)) return sendAdminError(res, code);
    const { status, body } = adminError(code);
    render.message(req, res, status, code === 'internal' ? 'Terjadi gangguan' : 'Formulir tidak bisa diproses', body.message);
  };
  router.use(onError);
  return router;
}
