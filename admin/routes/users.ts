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
 *   POST /users/:id/capacity       conversations auto-assignment gives them at once
 *
 * An admin cannot disable, re-role, reset or re-password their own account
 * here. Since whoever acts is an active admin, no one can disable or demote
 * the last active admin either: the area always keeps one (and the command
 * line can still repair any account: `npm run create-admin -- --reset-password`).
 *
 * Every change is written to the audit log (bot/audit.ts), the target being
 * the user name, so /admin/audit?sasaran=<user name> is a user's history.
 */
import type { Request, Response, Router } from 'express';
import { recordAudit } from '../../bot/audit.js';
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
  kapasitas: 'Kapasitas percakapan sudah diubah.',
};

/** Conversations auto-assignment may give one person at once (bot/helpdesk.ts); 0 = only by hand. */
export const DEFAULT_CAPACITY = 5;
export const MAX_CAPACITY = 50;

/** A capacity as typed, or undefined when it is not a whole number in range. */
function capacityOf(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^\d{1,3}$/u.test(trimmed)) return undefined;
  const capacity = Number(trimmed);
  return capacity <= MAX_CAPACITY ? capacity : undefined;
}

const CAPACITY_RULE = `Isi kapasitas dengan angka 0–${MAX_CAPACITY} (0 = tidak pernah diberi percakapan otomatis).`;

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
        styles: ['settings.css'],
        flash: extra.error ? null : flashFrom(req, NOTICES),
        error: extra.error ?? null,
        rowError: extra.rowError ?? null,
        form: { username: '', displayName: '', role: 'agent', capacity: String(DEFAULT_CAPACITY), ...extra.form },
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
          capacity: user.capacity,
          // Admins are never given conversations automatically (bot/helpdesk.ts onlineAgents).
          autoAssigned: user.role !== 'admin',
          history: `${base}/audit?sasaran=${encodeURIComponent(user.username)}`,
        })),
        usernameRule: USERNAME_RULE,
        minLength: MIN_PASSWORD_LENGTH,
        maxCapacity: MAX_CAPACITY,
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
  const audit = (res: Response, action: string, user: Pick<User, 'username'>, summary: string) => recordAudit(store, { actorId: actor(res), action, target: user.username, summary });

  router.get('/users', admin, (req, res) => show(req, res));

  router.post('/users', admin, async (req, res) => {
    const form = {
      username: field(req, 'username').trim().toLowerCase(),
      displayName: field(req, 'displayName').trim().replace(/\s+/gu, ' '),
      role: field(req, 'role'),
      capacity: field(req, 'capacity') || String(DEFAULT_CAPACITY),
    };
    const password = field(req, 'password');
    const fail = (error: string) => show(req, res, 400, { error, form });
    if (!USERNAME.test(form.username)) return fail(`Nama pengguna tidak valid: ${USERNAME_RULE}.`);
    if (form.displayName.length < 2 || form.displayName.length > 80) return fail('Isi nama lengkap (2–80 karakter).');
    if (!isRole(form.role)) return fail('Pilih peran.');
    const capacity = capacityOf(form.capacity);
    if (capacity === undefined) return fail(CAPACITY_RULE);
    const problem = passwordProblem(password, form);
    if (problem) return fail(problem);
    try {
      const user = await store.users.create({ username: form.username, displayName: form.displayName, role: form.role, capacity, passwordHash: await hashPassword(password) });
      log.info({ userId: user.id, role: user.role, by: actor(res) }, 'admin: user created');
      await audit(res, 'user.create', user, `${user.displayName} (${user.username}) dibuat sebagai ${ROLE_LABELS[user.role]}`);
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
      await audit(res, 'user.role', user, `Peran ${user.displayName}: ${ROLE_LABELS[user.role]} → ${ROLE_LABELS[role]}`);
    }
    done(res, 'peran', user.id);
  });

  router.post('/users/:id/disable', admin, async (req, res) => {
    const user = await target(req, res, { notSelf: 'Anda tidak dapat menonaktifkan akun Anda sendiri.' });
    if (!user) return;
    await store.users.update(user.id, { disabled: true });
    await sessions.endAllFor(user.id);
    log.info({ userId: user.id, by: actor(res) }, 'admin: user disabled');
    if (!user.disabled) await audit(res, 'user.disable', user, `${user.displayName} dinonaktifkan dan dikeluarkan dari semua perangkat`);
    done(res, 'nonaktif', user.id);
  });

  router.post('/users/:id/enable', admin, async (req, res) => {
    const user = await target(req, res);
    if (!user) return;
    await store.users.update(user.id, { disabled: false, failedLogins: 0, lockedUntil: null });
    log.info({ userId: user.id, by: actor(res) }, 'admin: user enabled');
    if (user.disabled) await audit(res, 'user.enable', user, `${user.displayName} diaktifkan kembali`);
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
    await audit(res, 'user.password-reset', user, `Kata sandi baru dipasang untuk ${user.displayName}; ia dikeluarkan dari semua perangkat`);
    done(res, 'sandi', user.id);
  });

  router.post('/users/:id/reset-2fa', admin, async (req, res) => {
    const user = await target(req, res, { notSelf: 'Atur verifikasi dua langkah Anda sendiri di halaman Akun saya.' });
    if (!user) return;
    await store.users.update(user.id, { totpSecret: null });
    await totp.cancelEnrolment(user.id);
    await sessions.endAllFor(user.id);
    log.info({ userId: user.id, by: actor(res) }, 'admin: two-factor reset by an admin');
    await audit(res, 'user.totp-reset', user, `Verifikasi dua langkah ${user.displayName} dihapus`);
    done(res, '2fa', user.id);
  });

  router.post('/users/:id/unlock', admin, async (req, res) => {
    const user = await target(req, res);
    if (!user) return;
    await store.users.update(user.id, { failedLogins: 0, lockedUntil: null });
    log.info({ userId: user.id, by: actor(res) }, 'admin: account unlocked');
    await audit(res, 'user.unlock', user, `Kunci akun ${user.displayName} dibuka`);
    done(res, 'kunci', user.id);
  });

  router.post('/users/:id/capacity', admin, async (req, res) => {
    const user = await target(req, res);
    if (!user) return;
    const capacity = capacityOf(field(req, 'capacity'));
    if (capacity === undefined) return show(req, res, 400, { rowError: { id: user.id, text: CAPACITY_RULE } });
    if (capacity !== user.capacity) {
      await store.users.update(user.id, { capacity });
      await audit(res, 'user.capacity', user, `Kapasitas ${user.displayName}: ${user.capacity} → ${capacity} percakapan sekaligus`);
    }
    done(res, 'kapasitas', user.id);
  });
}
