/**
 * Managing staff accounts through real HTTP on the real app: an admin
 * creates a user with a capacity, changes role and capacity, disables and
 * enables, sets a new password, removes two-factor and unlocks; the page
 * shows each change, the person feels it (a disabled user cannot sign in,
 * a new password works), and every change is in the audit log with who
 * made it. Admins cannot lock themselves out; supervisors and agents get
 * 403 for every action and nothing is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent, User } from '../bot/store/types.js';
import { Client, createUser, startAdminApp, type AdminTestApp } from './helpers/admin.js';

const PASSWORD = 'pengguna baru kantor';
const NEW_PASSWORD = 'sandi pengganti yang panjang';

let server: AdminTestApp;
let admin: Client;
let adi: User;

beforeAll(async () => {
  server = await startAdminApp();
  adi = await createUser(server.app, { username: 'adi', password: PASSWORD, role: 'admin', displayName: 'Adi Pratama' });
  await createUser(server.app, { username: 'sari', password: PASSWORD, role: 'supervisor', displayName: 'Sari Dewi' });
  await createUser(server.app, { username: 'budi', password: PASSWORD, role: 'agent', displayName: 'Budi Santoso' });
  admin = new Client(server.base);
  expect((await admin.login('adi', PASSWORD)).status).toBe(303);
});

afterAll(async () => {
  await server?.close();
});

const usersPage = async () => (await admin.get('/admin/users')).text();
/** One user's card on the users page. */
const rowOf = (page: string, user: Pick<User, 'id'>) => {
  const start = page.indexOf(`id="u-${user.id}"`);
  return page.slice(start, page.indexOf('</li>', start));
};
const byName = async (username: string) => (await server.app.store.users.byUsername(username))!;
/** The audit events about one user, oldest first. */
const history = async (username: string) => (await server.app.store.audit.list({ target: username })).reverse();
const summaryOf = (events: AuditEvent[]) => events.map((event) => [event.action, event.summary]);

async function signsIn(username: string, password: string): Promise<boolean> {
  return (await new Client(server.base).login(username, password)).status === 303;
}

describe('an admin manages staff accounts', () => {
  it('creates a user with a capacity; the page lists them and the audit log says who did it', async () => {
    const created = await admin.postWithCsrf('/admin/users', { username: 'Rina', displayName: 'Rina Putri', role: 'agent', capacity: '3', password: PASSWORD });
    expect(created.status).toBe(303);
    const rina = await byName('rina');
    expect(created.headers.get('location')).toBe(`/admin/users?pesan=dibuat#u-${rina.id}`);
    expect(rina).toMatchObject({ displayName: 'Rina Putri', role: 'agent', capacity: 3, disabled: false });
    const row = rowOf(await usersPage(), rina);
    expect(row).toContain('Rina Putri');
    expect(row).toContain('Maks. 3 percakapan');
    expect(row).toContain('href="/admin/audit?sasaran=rina"');
    const [event] = await history('rina');
    expect(event).toMatchObject({ actorId: adi.id, action: 'user.create', target: 'rina', summary: 'Rina Putri (rina) dibuat sebagai Petugas' });
    expect(await signsIn('rina', PASSWORD)).toBe(true);
  });

  it('a capacity out of range is refused next to the user, and nothing changes', async () => {
    const rina = await byName('rina');
    for (const capacity of ['banyak', '-1', '51', '']) {
      const response = await admin.postWithCsrf(`/admin/users/${rina.id}/capacity`, { capacity });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('Isi kapasitas dengan angka 0–50');
    }
    const refused = await admin.postWithCsrf('/admin/users', { username: 'tono', displayName: 'Tono', role: 'agent', capacity: '99', password: PASSWORD });
    expect(refused.status).toBe(400);
    expect(await server.app.store.users.byUsername('tono')).toBeNull();
    expect((await byName('rina')).capacity).toBe(3);
    expect(await history('rina')).toHaveLength(1);
  });

  it('role, capacity, disable, enable, new password, two-factor and lock: each change shows and is logged', async () => {
    const rina = await byName('rina');
    const act = async (path: string, form: Record<string, string> = {}) => {
      const response = await admin.postWithCsrf(`/admin/users/${rina.id}/${path}`, form);
      expect(response.status).toBe(303);
      return response.headers.get('location');
    };

    expect(await act('role', { role: 'supervisor' })).toBe(`/admin/users?pesan=peran#u-${rina.id}`);
    expect(await act('capacity', { capacity: '0' })).toBe(`/admin/users?pesan=kapasitas#u-${rina.id}`);
    expect((await byName('rina')).capacity).toBe(0);
    expect(rowOf(await usersPage(), rina)).toContain('Maks. 0 percakapan');

    await act('disable');
    expect(await signsIn('rina', PASSWORD)).toBe(false);
    expect(rowOf(await usersPage(), rina)).toContain('<span class="badge badge-off">Nonaktif</span>');
    expect(rowOf(await usersPage(), rina)).toContain('>Aktifkan</button>');
    await act('enable');
    expect(await signsIn('rina', PASSWORD)).toBe(true);

    await act('password', { password: NEW_PASSWORD });
    expect(await signsIn('rina', PASSWORD)).toBe(false);
    expect(await signsIn('rina', NEW_PASSWORD)).toBe(true);

    await server.app.store.users.update(rina.id, { totpSecret: 'sealed-secret' });
    expect(rowOf(await usersPage(), rina)).toContain('Hapus 2 langkah');
    await act('reset-2fa');
    expect((await byName('rina')).totpSecret).toBeNull();

    await server.app.store.users.update(rina.id, { lockedUntil: new Date(Date.now() + 10 * 60_000), failedLogins: 5 });
    expect(rowOf(await usersPage(), rina)).toContain('Buka kunci');
    await act('unlock');
    expect((await byName('rina')).lockedUntil).toBeNull();

    expect(summaryOf(await history('rina'))).toEqual([
      ['user.create', 'Rina Putri (rina) dibuat sebagai Petugas'],
      ['user.role', 'Peran Rina Putri: Petugas → Supervisor'],
      ['user.capacity', 'Kapasitas Rina Putri: 3 → 0 percakapan sekaligus'],
      ['user.disable', 'Rina Putri dinonaktifkan dan dikeluarkan dari semua perangkat'],
      ['user.enable', 'Rina Putri diaktifkan kembali'],
      ['user.password-reset', 'Kata sandi baru dipasang untuk Rina Putri; ia dikeluarkan dari semua perangkat'],
      ['user.totp-reset', 'Verifikasi dua langkah Rina Putri dihapus'],
      ['user.unlock', 'Kunci akun Rina Putri dibuka'],
    ]);
    expect(new Set((await history('rina')).map((event) => event.actorId))).toEqual(new Set([adi.id]));
  });

  it('saving an unchanged role or capacity records nothing', async () => {
    const rina = await byName('rina');
    const before = (await history('rina')).length;
    expect((await admin.postWithCsrf(`/admin/users/${rina.id}/role`, { role: rina.role })).status).toBe(303);
    expect((await admin.postWithCsrf(`/admin/users/${rina.id}/capacity`, { capacity: String(rina.capacity) })).status).toBe(303);
    expect(await history('rina')).toHaveLength(before);
  });

  it('an admin cannot disable, demote, re-password or reset their own account (so the last admin stays)', async () => {
    const before = (await server.app.store.audit.list({ target: 'adi' })).length;
    for (const [path, form] of [['role', { role: 'agent' }], ['disable', {}], ['password', { password: NEW_PASSWORD }], ['reset-2fa', {}]] as const) {
      const response = await admin.postWithCsrf(`/admin/users/${adi.id}/${path}`, form);
      expect(response.status).toBe(400);
    }
    expect(await byName('adi')).toMatchObject({ role: 'admin', disabled: false });
    expect(await server.app.store.audit.list({ target: 'adi' })).toHaveLength(before);
    // Their own row offers none of those buttons.
    const own = rowOf(await usersPage(), adi);
    expect(own).toContain('(Anda)');
    expect(own).not.toContain('Nonaktifkan');
    expect(own).not.toContain('Ubah peran');
  });
});

describe('supervisors and agents', () => {
  it('get 403 on the users page and every user action, and nothing is recorded', async () => {
    const rina = await byName('rina');
    const before = (await server.app.store.audit.list({})).length;
    for (const username of ['sari', 'budi']) {
      const client = new Client(server.base);
      expect((await client.login(username, PASSWORD)).status).toBe(303);
      expect((await client.get('/admin/users')).status).toBe(403);
      const create = await client.postWithCsrf('/admin/users', { username: 'penyusup', displayName: 'Penyusup', role: 'admin', capacity: '5', password: PASSWORD });
      expect(create.status).toBe(403);
      for (const [path, form] of [
        ['role', { role: 'admin' }],
        ['capacity', { capacity: '50' }],
        ['disable', {}],
        ['enable', {}],
        ['password', { password: NEW_PASSWORD }],
        ['reset-2fa', {}],
        ['unlock', {}],
      ] as const) {
        expect((await client.postWithCsrf(`/admin/users/${rina.id}/${path}`, form)).status).toBe(403);
      }
    }
    expect(await server.app.store.users.byUsername('penyusup')).toBeNull();
    expect(await byName('rina')).toMatchObject({ role: 'supervisor', capacity: 0, disabled: false });
    expect(await server.app.store.audit.list({})).toHaveLength(before);
  });
});
