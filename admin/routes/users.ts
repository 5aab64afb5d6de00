/**
 * User management (admins only).
 *
 *   GET  /users                    everyone, with role, status, two-factor, last sign-in
 *   POST /users                    create (user name, name, role, first password)
 *   POST /users/:id/role           change role
 *   POST /users/:id/disable        disable (signs them out everywhere)
 *   POST /users/:id/enable         enable again
 *   POST /users/:id/password       set a new password (signs them out, unlocks)
 *   POST /users/:id/reset-2fa      remove two-factor (lost phone; signs them out)
 *   POST /users/:id/unlock         lift a lock after failed sign-ins
 *
 * An admin cannot disable or re-role their own account here, so the area
 * always keeps at least one working admin (the command line can still
 * repair any account: `npm run create-admin -- --reset-password`).
 */
import type { Request, Response, Router } from 'express';
import { DuplicateError, type User } from '../../bot/store/types.js';
import { authOf } from '../access.js';
import { field, flashFrom, formatTime, officeTimeZone, type AdminContext } from '../context.js';
import { hashPassword, MIN_PASSWORD_LENGTH, passwordProblem } from '../passwords.js';
import { isRole, ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES, USERNAME, USERNAME_RULE } from '../roles.js';


const NOTICES = {
  dibuat: 'Pengguna baru sudah dibuat. Beri tahu kata sandi pertamanya secara langsung (bukan lewat grup chat), dan minta ia menggantinya setelah masuk.',
  peran: 'Peran pengguna sudah diubah.',
  nonaktif: 'Pengguna sudah dinonaktifkan dan dikeluarkan dari semua perangkat.',
  aktif: 'Pengguna sudah diaktifkan kembali.',
  sandi: 'Kata sandi baru sudah dipasang. Pengguna itu dikeluarkan dari semua perangkat dan harus masuk dengan kata sandi baru.',
  '2fa': 'Verifikasi dua langkah pengguna itu sudah dihapus. Ia bisa masuk dengan kata sandi saja, lalu memasangnya lagi.',
  kunci: 'Kunci akun sudah dibuka.',
};

export function userRoutes(router: Router, ctx: AdminContext): void {
  const { base, store, log, sessions, render, access, totp } = ctx;
  const admin = access.requireRole('admin');

  const show = async (req: Request, res: Response, status = 200, extra: { error?: string; form?: Record<string, string>; rowError?: { id: string; text: string } } = {}) => {
    const me = authOf(res)!.user;
    const timeZone = await officeTimeZone(store);
    const now = Date.now();
    const users = (await store.users.list()).sort((a, b) => Number(a.disabled) - Number(b.disabled) || ROLES.indexOf(b.role) - ROLES.indexOf(a.role) || a.username.localeCompare(b.username));
    render.page(
      res,
      'users',
      {
        title: 'Pengguna',
        nav: 'users',
        flash: extra.error ? null : flashFrom(req, NOTICES),
        error: extra.error ?? null,
        rowError: extra.rowError ?? null,
        form: { username: '', displayName: '', role: 'agent', ...extra.form },
        roles: ROLES.map((role) => ({ value: role, label: ROLE_LABELS[role], description: ROLE_DESCRIPTIONS[role] })),
        users: users.map((user) => ({
          id: user.id,
          username: user.username,
          displayName: user.displayName,
          role: user.role,
          roleLabel: ROLE_LABELS[user.role],
          disabled: user.disabled,
          locked: Boolean(user.lockedUntil && user.lockedUntil.getTime() > now),
          lockedUntil: formatTime(user.lockedUntil, timeZone),
          totp: Boolean(user.totpSecret),
          lastLogin: user.lastLoginAt ? formatTime(user.lastLoginAt, timeZone) : 'belum pernah',
          self: user.id === me.id,
        })),
        usernameRule: USERNAME_RULE,
        minLength: MIN_PASSWORD_LENGTH,
      },
      status,
    );
  };

  /** The user named in the URL, or null after answering 404 / refusing an action on oneself. */
  const target = async (req: Request, res: Response, options: { notSelf?: string } = {}): Promise<User | null> => {
    const user = await store.users.get(String(req.params.id));
    if (!user) {
      await show(req, res, 404, { error: 'Pengguna itu tidak ditemukan (mungkin halaman ini sudah lama terbuka). Muat ulang halaman.' });
      return null;
    }
    if (options.notSelf && user.id === authOf(res)!.user.id) {
      await show(req, res, 400, { rowError: { id: user.id, text: options.notSelf } });
      return null;
    }
    return user;
  };

  const done = (res: Response, notice: keyof typeof NOTICES, userId?: string) => res.redirect(303, `${base}/users?pesan=${notice}${userId ? `#u-${userId}` : ''}`);
  const actor = (res: Response) => authOf(res)!.user.id;

  router.get('/users', admin, (req, res) => show(req, res));

  router.post('/users', admin, async (req, res) => {
    const form = { username: field(req, 'username').trim().toLowerCase(), displayName: field(req, 'displayName').trim().replace(/\s+/gu, ' '), role: field(req, 'role') };
    const password = field(req, 'password');
    const fail = (error: string) => show(req, res, 400, { error, form });
    if (!USERNAME.test(form.username)) return fail(`Nama pengguna tidak valid: ${USERNAME_RULE}.`);
    if (form.displayName.length < 2 || form.displayName.length > 80) return fail('Isi nama lengkap (2–80 karakter).');
    if (!isRole(form.role)) return fail('Pilih peran.');
    const problem = passwordProblem(password, form);
    if (problem) return fail(problem);
    try {
      const user = await store.users.create({ username: form.username, displayName: form.displayName, role: form.role, passwordHash: await hashPassword(password) });
      log.info({ userId: user.id, role: user.role, by: actor(res) }, 'admin: user created');
      done(res, 'dibuat', user.id);
    } catch (error) {
      if (error instanceof DuplicateError) return fail(`Nama pengguna "${form.username}" sudah dipakai. Pilih nama lain.`);
      throw error;
    }
  });

  router.post('/users/:id/role', admin, async (req, res) => {
    const user = await target(req, res, { notSelf: 'Anda tidak dapat mengubah peran akun Anda sendiri. Minta admin lain melakukannya.' });
    if (!user) return;
    const role = field(req, 'role');
    if (!isRole(role)) return show(req, res, 400, { rowError: { id: user.id, text: 'Pilih peran.' } });
    if (role !== user.role) {
      await store.users.update(user.id, { role });
      log.info({ userId: user.id, from: user.role, to: role, by: actor(res) }, 'admin: user role changed');
    }
    done(res, 'peran', user.id);
  });

  router.post('/users/:id/disable', admin, async (req, res) => {
    const user = await target(req, res, { notSelf: 'Anda tidak dapat menonaktifkan akun Anda sendiri.' });
    if (!user) return;
    await store.users.update(user.id, { disabled: true });
    await sessions.endAllFor(user.id);
    log.info({ userId: user.id, by: actor(res) }, 'admin: user disabled');
    done(res, 'nonaktif', user.id);
  });

  router.post('/users/:id/enable', admin, async (req, res) => {
    const user = await target(req, res);
    if (!user) return;
    await store.users.update(user.id, { disabled: false, failedLogins: 0, lockedUntil: null });
    log.info({ userId: user.id, by: actor(res) }, 'admin: user enabled');
    done(res, 'aktif', user.id);
  });

  router.post('/users/:id/password', admin, async (req, res) => {
    const user = await target(req, res, { notSelf: 'Ganti kata sandi Anda sendiri di halaman Akun saya.' });
    if (!user) return;
    const password = field(req, 'password');
    const problem = passwordProblem(password, user);
    if (problem) return show(req, res, 400, { rowError: { id: user.id, text: problem } });
    await store.users.update(user.id, { passwordHash: await hashPassword(password), failedLogins: 0, lockedUntil: null });
    await sessions.endAllFor(user.id);
    log.info({ userId: user.id, by: actor(res) }, 'admin: password reset by an admin');
    done(res, 'sandi', user.id);
  });

  router.post('/users/:id/reset-2fa', admin, async (req, res) => {
    const user = await target(req, res, { notSelf: 'Atur verifikasi dua langkah Anda sendiri di halaman Akun saya.' });
    if (!user) return;
    await store.users.update(user.id, { totpSecret: null });
    await totp.cancelEnrolment(user.id);
    await sessions.endAllFor(user.id);
    log.info({ userId: user.id, by: actor(res) }, 'admin: two-factor reset by an admin');
    done(res, '2fa', user.id);
  });

  router.post('/users/:id/unlock', admin, async (req, res) => {
    const user = await target(req, res);
    if (!user) return;
    await store.users.update(user.id, { failedLogins: 0, lockedUntil: null });
    log.info({ userId: user.id, by: actor(res) }, 'admin: account unlocked');
    done(res, 'kunci', user.id);
  });
}
