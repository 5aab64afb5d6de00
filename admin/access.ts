/**
 * Who may do what in the admin area.
 *
 * Every route on the admin router carries exactly one access marker:
 *   requireRole(min)   signed in (two-factor done), with role ≥ min
 *   pendingTotp        password checked, two-factor code still to come
 *   publicRoute        the login page, the login POST, static assets
 * tests/admin.routes.test.ts walks the router's stack and fails on a route
 * without a marker, or on a public route missing from its allow-list, so a
 * new route cannot be left open by accident.
 *
 * Requests for JSON (/api/…, or Accept: application/json) are answered
 * 401/403 with a JSON error; pages redirect to the login page (401 case) or
 * show a "no access" page (403).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Role } from '../bot/store/types.js';
import { sendAdminError, adminError } from './errors.js';
import { hasRole } from './roles.js';
import { sameSecret, type Signed } from './sessions.js';

export type AccessMarker = { requiredRole: Role } | { publicRoute: true } | { pendingTotp: true };
export type MarkedHandler = RequestHandler & AccessMarker;

/** The signed-in user of the request (two-factor done), set by the session middleware. */
export function authOf(res: Response): Signed | undefined {
  const signed = res.locals.signed as Signed | undefined;
  return signed && !signed.session.pendingTotp ? signed : undefined;
}

/** Any session of the request, including one waiting for its two-factor code. */
export function sessionOf(res: Response): Signed | undefined {
  return res.locals.signed as Signed | undefined;
}

export function wantsJson(req: Request): boolean {
  if (req.path.startsWith('/api/')) return true;
  const accept = req.get('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** A path inside the admin area to go back to after signing in; anything else becomes the home page. */
export function safeNext(base: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 500) return base;
  if (value !== base && !value.startsWith(`${base}/`) && !value.startsWith(`${base}?`)) return base;
  if (/[\\\s]|\/\/|\/\.\.?(\/|$|\?)/u.test(value)) return base;
  if (value.startsWith(`${base}/login`) || value.startsWith(`${base}/logout`) || value.startsWith(`${base}/api/`)) return base;
  return value;
}

export interface AccessOptions {
  base: string;
  /** ADMIN_REQUIRE_TOTP: admins without two-factor may only set it up (and sign out). */
  requireAdminTotp: boolean;
  /** Renders the "no access" page for browsers. */
  forbiddenPage(req: Request, res: Response): void;
}

export function accessControl(options: AccessOptions) {
  const { base } = options;

  const unauthenticated = (req: Request, res: Response) => {
    if (wantsJson(req)) return sendAdminError(res, 'unauthenticated');
    if (sessionOf(res)?.session.pendingTotp) return res.redirect(303, `${base}/login/totp`);
    const next = req.method === 'GET' ? safeNext(base, req.originalUrl) : base;
    const target = next === base ? `${base}/login` : `${base}/login?next=${encodeURIComponent(next)}`;
    res.redirect(req.method === 'GET' ? 302 : 303, target);
  };

  /** Signed in with at least `minimum`. `duringTotpSetup`: still open to an admin who must first set up two-factor. */
  function requireRole(minimum: Role, routeOptions: { duringTotpSetup?: boolean } = {}): MarkedHandler {
    const handler = (req: Request, res: Response, next: NextFunction) => {
      const auth = authOf(res);
      if (!auth) return unauthenticated(req, res);
      if (!hasRole(auth.user.role, minimum)) {
        if (wantsJson(req)) return sendAdminError(res, 'forbidden');
        return options.forbiddenPage(req, res);
      }
      if (options.requireAdminTotp && auth.user.role === 'admin' && !auth.user.totpSecret && !routeOptions.duringTotpSetup) {
        if (wantsJson(req) || req.method !== 'GET') return sendAdminError(res, 'totp_setup_required');
        return res.redirect(302, `${base}/account?wajib=2fa`);
      }
      next();
    };
    return Object.assign(handler, { requiredRole: minimum });
  }

  /** Only a browser that passed the password step and owes its two-factor code. */
  const pendingTotp: MarkedHandler = Object.assign(
    (req: Request, res: Response, next: NextFunction) => {
      const signed = sessionOf(res);
      if (!signed?.session.pendingTotp) {
        if (signed) return res.redirect(303, base);
        return unauthenticated(req, res);
      }
      next();
    },
    { pendingTotp: true as const },
  );

  return { requireRole, pendingTotp, unauthenticated };
}

/** Marks a route as open to anyone (it must also be on the test's allow-list). */
export function publicRoute(): MarkedHandler {
  return Object.assign((_req: Request, _res: Response, next: NextFunction) => next(), { publicRoute: true as const });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for every state-changing request: the session's token in
 * the form field `_csrf` or the X-CSRF-Token header, compared in constant
 * time. Requests without a session pass through to the route's access
 * marker (which answers 401). The login POST has its own check (no session
 * yet). Cross-site requests (Sec-Fetch-Site) are refused outright.
 */
export function csrfProtection(options: { exempt: string[]; errorPage(req: Request, res: Response, status: number, text: string): void }): RequestHandler {
  const refuse = (req: Request, res: Response) => {
    if (wantsJson(req)) return sendAdminError(res, 'csrf');
    const { status, body } = adminError('csrf');
    options.errorPage(req, res, status, body.message);
  };
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (req.get('sec-fetch-site') === 'cross-site') return refuse(req, res);
    if (options.exempt.includes(req.path)) return next();
    const signed = sessionOf(res);
    if (!signed) return next();
    const body = req.body as Record<string, unknown> | undefined;
    const token = (body && typeof body === 'object' ? body._csrf : undefined) ?? req.get('x-csrf-token');
    if (!sameSecret(token, signed.session.csrfToken)) return refuse(req, res);
    next();
  };
}
