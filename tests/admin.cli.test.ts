/**
 * `npm run create-admin` as a real child process on a fresh data directory:
 * the account it creates signs in to the real app; weak passwords,
 * mismatched repeats, duplicates and bad names are refused; a forgotten
 * password and a lost phone can be repaired from the command line.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, startAdminApp, type AdminTestApp } from './helpers/admin.js';
import { makeTempDir } from './helpers/tmp.js';

const tmp = makeTempDir('siratu-cli-');

function createAdmin(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, DATA_DIR: tmp.dir, LOG_LEVEL: 'silent', NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let server: AdminTestApp | undefined;

afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe('npm run create-admin', () => {
  beforeAll(async () => {
    const result = await createAdmin(['--username', 'Budi', '--name', 'Budi Santoso'], 'kopi pagi di kantor\nkopi pagi di kantor\n');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Admin "budi" (Budi Santoso) sudah dibuat.');
    expect(result.stdout).toContain('/admin/login');
  }, 30_000);

  it('refuses weak passwords, a mismatched repeat, duplicates, bad names and missing arguments', async () => {
    const weak = await createAdmin(['--username', 'ani', '--name', 'Ani'], 'pendek\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('paling sedikit 10 karakter');
    const mismatch = await createAdmin(['--username', 'ani', '--name', 'Ani'], 'kata sandi panjang\nkata sandi lain\n');
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('tidak sama');
    const duplicate = await createAdmin(['--username', 'budi', '--name', 'Budi Lagi'], 'kata sandi panjang\n');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('sudah ada');
    const badName = await createAdmin(['--username', 'x y', '--name', 'X'], 'kata sandi panjang\n');
    expect(badName.code).toBe(1);
    const noName = await createAdmin(['--username', 'ani'], 'kata sandi panjang\n');
    expect(noName.code).toBe(1);
    expect(noName.stderr).toContain('--name');
    const noArgs = await createAdmin([], '');
    expect(noArgs.code).toBe(2);
    expect(noArgs.stderr).toContain('Pemakaian');
  }, 60_000);

  it('the account signs in to the real app as an admin', async () => {
    server = await startAdminApp({}, { dataDir: tmp.dir });
    const users = await server.app.store.users.list();
    expect(users.map((user) => [user.username, user.role])).toEqual([['budi', 'admin']]);
    expect(users[0]!.passwordHash).toMatch(/^scrypt\$65536\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/u);
    const client = new Client(server.base);
    expect((await client.login('budi', 'kopi pagi di kantor')).status).toBe(303);
    expect((await client.get('/admin/users')).status).toBe(200);
  });

  it('--reset-password sets a new one, unlocks the account and ends its sessions', async () => {
    const budi = (await server!.app.store.users.byUsername('budi'))!;
    await server!.app.store.users.update(budi.id, { lockedUntil: new Date(Date.now() + 600_000) });
    await server!.app.store.users.update(budi.id, { lockedUntil: null });
    const signedIn = new Client(server!.base);
    expect((await signedIn.login('budi', 'kopi pagi di kantor')).status).toBe(303);
    expect((await signedIn.get('/admin')).status).toBe(200);
    await server!.app.store.users.update(budi.id, { lockedUntil: new Date(Date.now() + 600_000) });
    const reset = await createAdmin(['--username', 'budi', '--reset-password'], 'teh sore di teras rumah\n');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('kata sandi baru dipasang');
    expect((await signedIn.get('/admin')).status).toBe(302);
    expect((await new Client(server!.base).login('budi', 'kopi pagi di kantor')).status).toBe(401);
    expect((await new Client(server!.base).login('budi', 'teh sore di teras rumah')).status).toBe(303);
  }, 30_000);
});
