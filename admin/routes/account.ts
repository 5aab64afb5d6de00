/**
 * The signed-in user's own account: password and two-factor sign-in.
 *
 *   GET  /account                 profile, change password, two-factor status
 *   POST /account/password        change password (signs out every other browser)
 *   POST /account/totp/start      begin two-factor set-up: a QR code to scan
 *   POST /account/totp/confirm    first code from the app → two-factor on
 *   POST /account/totp/cancel     abandon a set-up in progress
 *   POST /account/totp/disable    two-factor off (password required; refused for admins when ADMIN_REQUIRE_TOTP)
 *   GET  /api/me                  {user, csrfToken} for the pages' scripts
 */
import type { Request, Response, Router } from 'express';
import { recordAudit } from '../../bot/audit.js';
import { authOf } from '../access.js';
import { field, flashFrom, formatTime, officeTimeZone, type AdminContext } from '../context.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../passwords.js';
import { ROLE_LABELS } from '../roles.js';
import { groupSecret } from '../totp.js';

const NOTICES = {
  sandi: 'Kata sandi sudah diganti. Perangkat lain yang masih masuk dengan akun ini sudah dikeluarkan.',
  '2fa-aktif': 'Verifikasi dua langkah sudah aktif. Mulai sekarang, setiap kali masuk Anda akan diminta kode dari aplikasi autentikator.',
  '2fa-mati': 'Verifikasi dua langkah sudah dimatikan.',
  '2fa-batal': 'Pengaktifan verifikasi dua langkah dibatalkan.',
};

export function accountRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, log, sessions, totp, render, access } = ctx;
  const anyone = access.requireRole('agent', { duringTotpSetup: true });

  const show = async (req: Request, res: Response, status = 200, errors: { password?: string; totp?: string; disable?: string } = {}) => {
    const { user } = authOf(res)!;
    const enrolment = user.totpSecret ? null : await totp.pendingSecret(user.id).then((secret) => (secret ? totp.startEnrolment(user) : null));
    const timeZone = await officeTimeZone(store);
    render.page(
      res,
      'account',
      {
        title: 'Akun saya',
        nav: 'account',
        flash: flashFrom(req, NOTICES),
        profile: {
          username: user.username,
          displayName: user.displayName,
          roleLabel: ROLE_LABELS[user.role],
          lastLogin: formatTime(user.lastLoginAt, timeZone),
        },
        totpEnabled: Boolean(user.totpSecret),
        totpRequired: ctx.requireAdminTotp && user.role === 'admin',
        mustSetUp: ctx.requireAdminTotp && user.role === 'admin' && !user.totpSecret,
        enrolment: enrolment ? { qr: enrolment.qr, secret: groupSecret(enrolment.secret) } : null,
        errors,
        minLength: MIN_PASSWORD_LENGTH,
        maxLength: MAX_PASSWORD_LENGTH,
      },
      status,
    );
  };

  router.get('/account', anyone, (req, res) => show(req, res));

  router.get('/api/me', anyone, (_req, res) => {
    const { user, session } = authOf(res)!;
    res.set('Cache-Control', 'no-store');
    res.json({ user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role, totp: Boolean(user.totpSecret) }, csrfToken: session.csrfToken });
  });

  router.post('/account/password', anyone, async (req, res) => {
    const { user } = authOf(res)!;
    const current = field(req, 'current');
    const next = field(req, 'password');
    if (!(current.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(current, user.passwordHash)))) {
      return show(req, res, 400, { password: 'Kata sandi saat ini salah.' });
    }
    const problem = passwordProblem(next, user);
    if (problem) return show(req, res, 400, { password: problem });
    if (next !== field(req, 'confirm')) return show(req, res, 400, { password: 'Ulangan kata sandi baru tidak sama. Ketik ulang keduanya.' });
    if (next === current) return show(req, res, 400, { password: 'Kata sandi baru harus berbeda dari yang lama.' });
    const updated = await store.users.update(user.id, { passwordHash: await hashPassword(next), failedLogins: 0, lockedUntil: null });
    // Every session of this user ends (a thief's included); this browser gets a fresh one.
    await sessions.endAllFor(user.id);
    await sessions.start(req, res, updated ?? user, { pendingTotp: false });
    log.info({ userId: user.id }, 'admin: password changed by its owner');
    await recordAudit(store, { actorId: user.id, action: 'account.password', target: user.username, summary: `${user.displayName} mengganti kata sandinya sendiri` });
    res.redirect(303, `${base}/account?pesan=sandi`);
  });

  router.post('/account/totp/start', anyone, async (_req, res) => {
    const { user } = authOf(res)!;
    if (!user.totpSecret) await totp.startEnrolment(user);
    res.redirect(303, `${base}/account#dua-langkah`);
  });

  router.post('/account/totp/confirm', anyone, async (req, res) => {
    const { user } = authOf(res)!;
    if (user.totpSecret) return res.redirect(303, `${base}/account`);
    const sealed = await totp.confirmEnrolment(user.id, field(req, 'code'));
    if (!sealed) return show(req, res, 400, { totp: 'Kode tidak cocok. Pastikan Anda memindai kode QR di atas, lalu ketik 6 angka yang sedang tampil di aplikasi (kode berganti tiap 30 detik).' });
    const updated = await store.users.update(user.id, { totpSecret: sealed });
    await sessions.endAllFor(user.id);
    await sessions.start(req, res, updated ?? user, { pendingTotp: false });
    log.info({ userId: user.id }, 'admin: two-factor sign-in enabled');
    await recordAudit(store, { actorId: user.id, action: 'account.totp-on', target: user.username, summary: `${user.displayName} memasang verifikasi dua langkah` });
    res.redirect(303, `${base}/account?pesan=2fa-aktif`);
  });

  router.post('/account/totp/cancel', anyone, async (_req, res) => {
    await totp.cancelEnrolment(authOf(res)!.user.id);
    res.redirect(303, `${base}/account?pesan=2fa-batal`);
  });

  router.post('/account/totp/disable', access.requireRole('agent'), async (req, res) => {
    const { user } = authOf(res)!;
    if (!user.totpSecret) return res.redirect(303, `${base}/account`);
    if (ctx.requireAdminTotp && user.role === 'admin') return show(req, res, 400, { disable: 'Admin wajib memakai verifikasi dua langkah di server ini, jadi tidak bisa dimatikan.' });
    const password = field(req, 'current');
    if (!(password.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(password, user.passwordHash)))) {
      return show(req, res, 400, { disable: 'Kata sandi salah. Untuk mematikan verifikasi dua langkah, masukkan kata sandi Anda.' });
    }
    await store.users.update(user.id, { totpSecret: null });
    log.info({ userId: user.id }, 'admin: two-factor sign-in disabled by its owner');
    await recordAudit(store, { actorId: user.id, action: 'account.totp-off', target: user.username, summary: `${user.displayName} mematikan verifikasi dua langkah` });
    res.redirect(303, `${base}/account?pesan=2fa-mati`);
  });
}
