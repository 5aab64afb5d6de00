/**
 * Signing in and out.
 *
 *   GET  /login          the form (public)
 *   POST /login          user name + password (public; its own CSRF check, see below)
 *   GET  /login/totp     the two-factor code form (only after the password step)
 *   POST /login/totp     the code
 *   POST /logout         ends the session
 *
 * The login form has no session to take a CSRF token from, so it uses a
 * double-submit token: a random value in a short-lived SameSite=Strict
 * cookie that only this path receives, repeated in the form. A page on
 * another site can neither read the cookie nor guess the value, so it
 * cannot sign a browser in to an account of its choosing.
 */
import type { Request, Response, Router } from 'express';
import type { User } from '../../bot/store/types.js';
import { authOf, publicRoute, safeNext } from '../access.js';
import { field, type AdminContext } from '../context.js';
import { dummyVerify, hashPassword, MAX_PASSWORD_LENGTH, needsRehash, verifyPassword } from '../passwords.js';
import { clearCookie, randomToken, readCookie, sameSecret, secureFor, setCookie, type CookieSecure } from '../sessions.js';
import { ACCOUNT_LOCK_MS, ACCOUNT_MAX_FAILURES, accountLockedMessage, ipLockedMessage } from '../throttle.js';

export const LOGIN_COOKIE = 'siratu_login';
const WRONG = 'Nama pengguna atau kata sandi salah.';
const TOKEN = /^[A-Za-z0-9_-]{43}$/u;

export function loginRoutes(router: Router, ctx: AdminContext, options: { cookieSecure: CookieSecure }): void {
  const { base, store, log, sessions, totp, render, access, throttle } = ctx;
  const loginCookie = { path: `${base}/login`, sameSite: 'Strict' as const };

  /** The login form's token: the one the browser already has (several tabs keep working), or a new one. */
  const formToken = (req: Request, res: Response): string => {
    const existing = readCookie(req, LOGIN_COOKIE);
    if (existing && TOKEN.test(existing)) return existing;
    const token = randomToken();
    setCookie(res, LOGIN_COOKIE, token, secureFor(req, options.cookieSecure), { ...loginCookie, maxAgeSeconds: 2 * 60 * 60 });
    return token;
  };

  const showLogin = (req: Request, res: Response, status: number, extra: { error?: string; notice?: string; username?: string } = {}) => {
    res.set('Cache-Control', 'no-store');
    const insecure = options.cookieSecure === 'true' && !req.secure;
    render.page(
      res,
      'login',
      {
        title: 'Masuk',
        csrf: formToken(req, res),
        next: safeNext(base, req.method === 'GET' ? req.query.next : field(req, 'next')),
        username: extra.username ?? '',
        error: extra.error ?? null,
        notice: extra.notice ?? (req.query.keluar === '1' ? 'Anda sudah keluar. Sampai jumpa.' : null),
        insecure,
      },
      status,
    );
  };

  /** Counts a wrong password or code against the account; answers with the lock message when this locked it. */
  const countFailure = async (user: User, ip: string): Promise<number> => {
    throttle.ip.fail(ip);
    const failures = user.failedLogins + 1;
    if (failures >= ACCOUNT_MAX_FAILURES) {
      await store.users.update(user.id, { failedLogins: 0, lockedUntil: new Date(Date.now() + ACCOUNT_LOCK_MS) });
      log.warn({ userId: user.id }, 'admin login: account locked after repeated failures');
      return ACCOUNT_LOCK_MS;
    }
    await store.users.update(user.id, { failedLogins: failures });
    return 0;
  };

  router.get('/login', publicRoute(), (req, res) => {
    if (authOf(res)) return res.redirect(302, safeNext(base, req.query.next));
    showLogin(req, res, 200);
  });

  router.post('/login', publicRoute(), async (req, res) => {
    const ip = req.ip ?? 'unknown';
    const username = field(req, 'username').trim().toLowerCase();
    const password = field(req, 'password');
    const ipWait = throttle.ip.lockedFor(ip);
    if (ipWait) return showLogin(req, res.set('Retry-After', String(Math.ceil(ipWait / 1000))), 429, { error: ipLockedMessage(ipWait), username });
    const expected = readCookie(req, LOGIN_COOKIE);
    if (!expected || !TOKEN.test(expected) || !sameSecret(field(req, '_csrf'), expected)) {
      return showLogin(req, res, 403, { error: 'Formulir masuk sudah kedaluwarsa. Silakan coba lagi.', username });
    }
    if (!username || !password) return showLogin(req, res, 400, { error: 'Isi nama pengguna dan kata sandi.', username });

    const user = username.length <= 64 ? await store.users.byUsername(username) : null;
    if (!user) {
      const wait = throttle.unknownUser.lockedFor(username);
      if (wait) return showLogin(req, res, 429, { error: accountLockedMessage(wait), username });
      await dummyVerify(password.slice(0, MAX_PASSWORD_LENGTH));
      throttle.ip.fail(ip);
      const locked = throttle.unknownUser.fail(username);
      return locked ? showLogin(req, res, 429, { error: accountLockedMessage(locked), username }) : showLogin(req, res, 401, { error: WRONG, username });
    }
    const now = Date.now();
    if (user.lockedUntil && user.lockedUntil.getTime() > now) {
      return showLogin(req, res, 429, { error: accountLockedMessage(user.lockedUntil.getTime() - now), username });
    }
    const ok = password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(password, user.passwordHash));
    if (!ok) {
      const locked = await countFailure(user, ip);
      return locked ? showLogin(req, res, 429, { error: accountLockedMessage(locked), username }) : showLogin(req, res, 401, { error: WRONG, username });
    }
    if (user.disabled) return showLogin(req, res, 403, { error: 'Akun ini sudah dinonaktifkan. Hubungi admin kantor bila Anda masih memerlukannya.', username });

    // With two-factor on, failures are forgiven only once the code is right too (or guessing codes would never lock).
    const patch: Parameters<typeof store.users.update>[1] = user.totpSecret ? {} : { failedLogins: 0, lockedUntil: null };
    if (needsRehash(user.passwordHash)) patch.passwordHash = await hashPassword(password);
    const next = safeNext(base, field(req, 'next'));
    clearCookie(res, LOGIN_COOKIE, secureFor(req, options.cookieSecure), loginCookie);
    if (user.totpSecret) {
      if (Object.keys(patch).length) await store.users.update(user.id, patch);
      await sessions.start(req, res, user, { pendingTotp: true });
      return res.redirect(303, next === base ? `${base}/login/totp` : `${base}/login/totp?next=${encodeURIComponent(next)}`);
    }
    await store.users.update(user.id, { ...patch, lastLoginAt: new Date() });
    await sessions.start(req, res, user, { pendingTotp: false });
    log.info({ userId: user.id, role: user.role }, 'admin login');
    res.redirect(303, next);
  });

  const showTotp = (req: Request, res: Response, status: number, error: string | null = null) => {
    res.set('Cache-Control', 'no-store');
    render.page(res, 'login-totp', { title: 'Kode verifikasi', csrf: res.locals.signed?.session.csrfToken, next: safeNext(base, req.method === 'GET' ? req.query.next : field(req, 'next')), error }, status);
  };

  router.get('/login/totp', access.pendingTotp, (req, res) => showTotp(req, res, 200));

  router.post('/login/totp', access.pendingTotp, async (req, res) => {
    const ip = req.ip ?? 'unknown';
    const ipWait = throttle.ip.lockedFor(ip);
    if (ipWait) return showTotp(req, res.set('Retry-After', String(Math.ceil(ipWait / 1000))), 429, ipLockedMessage(ipWait));
    const { user } = res.locals.signed!;
    const now = Date.now();
    const lockedOut = async (ms: number) => {
      await sessions.end(req, res);
      showLogin(req, res, 429, { error: accountLockedMessage(ms), username: user.username });
    };
    if (user.lockedUntil && user.lockedUntil.getTime() > now) return lockedOut(user.lockedUntil.getTime() - now);
    if (!(await totp.verifyLogin(user, field(req, 'code')))) {
      const locked = await countFailure(user, ip);
      if (locked) return lockedOut(locked);
      return showTotp(req, res, 401, 'Kode salah, sudah kedaluwarsa, atau baru saja dipakai. Tunggu kode berikutnya di aplikasi autentikator, lalu ketik 6 angka yang sedang tampil.');
    }
    await store.users.update(user.id, { failedLogins: 0, lockedUntil: null, lastLoginAt: new Date() });
    await sessions.start(req, res, user, { pendingTotp: false });
    log.info({ userId: user.id, role: user.role, totp: true }, 'admin login');
    res.redirect(303, safeNext(base, field(req, 'next')));
  });

  router.post('/logout', access.requireRole('agent', { duringTotpSetup: true }), async (req, res) => {
    await sessions.end(req, res);
    res.redirect(303, `${base}/login?keluar=1`);
  });
}
