/**
 * Accounts and access over real HTTP against the real app (createApp, a
 * fresh SQLite data directory, a free port): sign-in, lockout, session
 * cookies, CSRF, two-factor enrolment and sign-in, roles, sign-out
 * everywhere after a password change or disabling.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import { Client, createUser, startAdminApp, type AdminTestApp } from './helpers/admin.js';

const PASSWORD = 'kopi pagi di kantor';
const NEW_PASSWORD = 'teh sore di teras rumah';

let server: AdminTestApp;

beforeAll(async () => {
  server = await startAdminApp();
  await createUser(server.app, { username: 'budi', password: PASSWORD, role: 'admin', displayName: 'Budi Santoso' });
  await createUser(server.app, { username: 'ani', password: PASSWORD, role: 'agent', displayName: 'Ani Lestari' });
  await createUser(server.app, { username: 'sari', password: PASSWORD, role: 'supervisor', displayName: 'Sari Dewi' });
  await createUser(server.app, { username: 'kunci', password: PASSWORD, role: 'agent' });
  await createUser(server.app, { username: 'dua', password: PASSWORD, role: 'agent', displayName: 'Dua Langkah' });
  await createUser(server.app, { username: 'ganti', password: PASSWORD, role: 'agent' });
});

afterAll(async () => {
  await server?.close();
});

const client = () => new Client(server.base);

describe('signing in', () => {
  it('the login page is public, Indonesian, and carries its own CSRF token in a Strict cookie', async () => {
    const c = client();
    const response = await c.get('/admin/login');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('<html lang="id">');
    expect(html).toContain('Nama pengguna');
    expect(html).toContain('autocomplete="current-password"');
    const login = c.lastSetCookie.find((cookie) => cookie.startsWith('siratu_login='))!;
    expect(login).toMatch(/HttpOnly/u);
    expect(login).toMatch(/SameSite=Strict/u);
    expect(login).toMatch(/Path=\/admin\/login/u);
    expect(Client.csrfOf(html)).toBe(c.cookies.get('siratu_login')!.value);
  });

  it('right password → 303 to the admin home with a session cookie (httpOnly, SameSite=Lax, path /admin, not Secure over plain HTTP)', async () => {
    const c = client();
    const response = await c.login('Budi', PASSWORD);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin');
    const cookie = c.lastSetCookie.find((header) => header.startsWith('siratu_session='))!;
    expect(cookie).toMatch(/^siratu_session=[A-Za-z0-9_-]{43};/u);
    expect(cookie).toMatch(/HttpOnly/u);
    expect(cookie).toMatch(/SameSite=Lax/u);
    expect(cookie).toMatch(/Path=\/admin(;|$)/u);
    expect(cookie).not.toMatch(/Secure/u);
    const home = await c.get('/admin');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Selamat datang, Budi Santoso');
  });

  it('the store keeps only the SHA-256 of the cookie', async () => {
    const c = client();
    await c.login('budi', PASSWORD);
    const token = c.cookies.get('siratu_session')!.value;
    expect(await server.app.store.sessions.get(token)).toBeNull();
    const stored = await server.app.store.sessions.get(createHash('sha256').update(token).digest('hex'));
    expect(stored).toMatchObject({ pendingTotp: false });
    expect(stored!.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/u);
  });

  it('goes back to the page asked for, but never off the admin area', async () => {
    const c = client();
    const first = await c.get('/admin/users');
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Fusers');
    expect((await c.login('budi', PASSWORD, '/admin/users')).headers.get('location')).toBe('/admin/users');
    for (const evil of ['https://evil.example/', '//evil.example/admin', '/admin/../webchat', '/admin\\..\\x']) {
      const d = client();
      expect((await d.login('budi', PASSWORD, evil)).headers.get('location')).toBe('/admin');
    }
  });

  it('wrong password and unknown user get the same answer (401, no cookie)', async () => {
    for (const [username, password] of [
      ['budi', 'salah sekali ini'],
      ['tidakada', PASSWORD],
    ]) {
      const c = client();
      const response = await c.login(username!, password!);
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('Nama pengguna atau kata sandi salah.');
      expect(c.cookies.has('siratu_session')).toBe(false);
    }
    // A failure is forgotten after a success.
    const budi = await server.app.store.users.byUsername('budi');
    expect(budi!.failedLogins).toBe(1);
    await client().login('budi', PASSWORD);
    expect((await server.app.store.users.byUsername('budi'))!.failedLogins).toBe(0);
  });

  it('5 wrong passwords lock the account for 15 minutes, even for the right password; an admin can unlock it', async () => {
    const c = client();
    const statuses: number[] = [];
    let last = '';
    for (let i = 0; i < 5; i++) {
      const response = await c.login('kunci', `salah nomor ${i}!`);
      statuses.push(response.status);
      last = await response.text();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect(last).toContain('akun ini dikunci sementara. Coba lagi dalam 15 menit');
    const locked = await c.login('kunci', PASSWORD);
    expect(locked.status).toBe(429);
    expect(c.cookies.has('siratu_session')).toBe(false);
    const user = await server.app.store.users.byUsername('kunci');
    expect(user!.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);

    const admin = client();
    await admin.login('budi', PASSWORD);
    const page = await (await admin.get('/admin/users')).text();
    expect(page).toContain('Terkunci s.d.');
    expect((await admin.postWithCsrf(`/admin/users/${user!.id}/unlock`)).status).toBe(303);
    expect((await c.login('kunci', PASSWORD)).status).toBe(303);
  });

  it('unknown user names lock the same way (the answers do not tell which names exist)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await client().login('hantu', `salah nomor ${i}!`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('a login POST without the form token is refused (login CSRF)', async () => {
    const c = client();
    const response = await c.post('/admin/login', { username: 'budi', password: PASSWORD });
    expect(response.status).toBe(403);
    expect(c.cookies.has('siratu_session')).toBe(false);
  });

  it('a disabled account cannot sign in', async () => {
    const user = await createUser(server.app, { username: 'mati', password: PASSWORD, role: 'agent' });
    await server.app.store.users.update(user.id, { disabled: true });
    const response = await client().login('mati', PASSWORD);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('dinonaktifkan');
  });
});

describe('sessions', () => {
  it('logout deletes the session: the old cookie no longer works', async () => {
    const c = client();
    await c.login('ani', PASSWORD);
    const token = c.cookies.get('siratu_session')!.value;
    const response = await c.postWithCsrf('/admin/logout');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/login?keluar=1');
    expect(c.lastSetCookie.some((header) => /^siratu_session=;.*Max-Age=0/u.test(header))).toBe(true);
    expect(await server.app.store.sessions.get(createHash('sha256').update(token).digest('hex'))).toBeNull();
    const replay = await fetch(`${server.base}/admin`, { headers: { cookie: `siratu_session=${token}` }, redirect: 'manual' });
    expect(replay.status).toBe(302);
  });

  it('a forged or garbage cookie is just "not signed in"', async () => {
    for (const cookie of ['siratu_session=abc', `siratu_session=${'A'.repeat(43)}`, 'siratu_session=%E0%A4%A']) {
      const response = await fetch(`${server.base}/admin/api/me`, { headers: { cookie } });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'unauthenticated' });
    }
  });

  it('changing the password signs the user out everywhere else; this browser stays in', async () => {
    const laptop = client();
    const phone = client();
    await laptop.login('ganti', PASSWORD);
    await phone.login('ganti', PASSWORD);
    const response = await laptop.postWithCsrf('/admin/account/password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(response.status).toBe(303);
    expect((await laptop.get('/admin/account')).status).toBe(200);
    expect((await phone.get('/admin/account')).status).toBe(302);
    expect((await client().login('ganti', PASSWORD)).status).toBe(401);
    expect((await client().login('ganti', NEW_PASSWORD)).status).toBe(303);
  });

  it('weak new passwords are refused with a reason', async () => {
    const c = client();
    await c.login('sari', PASSWORD);
    const short = await c.postWithCsrf('/admin/account/password', { current: PASSWORD, password: 'pendek', confirm: 'pendek' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('paling sedikit 10 karakter');
    const common = await c.postWithCsrf('/admin/account/password', { current: PASSWORD, password: '1234567890', confirm: '1234567890' });
    expect(common.status).toBe(400);
    const wrongCurrent = await c.postWithCsrf('/admin/account/password', { current: 'bukan ini ya', password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(wrongCurrent.status).toBe(400);
    expect(await wrongCurrent.text()).toContain('Kata sandi saat ini salah.');
  });

  it('disabling a user ends their sessions at once', async () => {
    const user = await createUser(server.app, { username: 'pergi', password: PASSWORD, role: 'agent' });
    const agent = client();
    await agent.login('pergi', PASSWORD);
    expect((await agent.get('/admin')).status).toBe(200);
    const admin = client();
    await admin.login('budi', PASSWORD);
    expect((await admin.postWithCsrf(`/admin/users/${user.id}/disable`)).status).toBe(303);
    expect((await agent.get('/admin')).status).toBe(302);
    expect((await agent.get('/admin/api/me')).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('a state-changing request without the token, or with a wrong one, is refused with 403', async () => {
    const c = client();
    await c.login('sari', PASSWORD);
    const none = await c.post('/admin/account/totp/start', {});
    expect(none.status).toBe(403);
    expect(await none.text()).toContain('kedaluwarsa');
    const wrong = await c.post('/admin/account/totp/start', { _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const json = await c.request('POST', '/admin/account/totp/cancel', { json: {}, headers: { accept: 'application/json' } });
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ error: 'csrf' });
    // Another user's token is no good either.
    const other = client();
    await other.login('ani', PASSWORD);
    expect((await c.post('/admin/account/totp/cancel', { _csrf: await other.csrf() })).status).toBe(403);
  });

  it('the right token is accepted, as a form field or as the X-CSRF-Token header', async () => {
    const c = client();
    await c.login('sari', PASSWORD);
    const token = await c.csrf();
    expect((await c.post('/admin/account/totp/cancel', { _csrf: token })).status).toBe(303);
    expect((await c.request('POST', '/admin/account/totp/cancel', { json: {}, headers: { 'x-csrf-token': token } })).status).toBe(303);
  });

  it('a cross-site request is refused even with the token', async () => {
    const c = client();
    await c.login('sari', PASSWORD);
    const response = await c.post('/admin/account/totp/cancel', { _csrf: await c.csrf() }, { 'sec-fetch-site': 'cross-site' });
    expect(response.status).toBe(403);
  });
});

describe('roles', () => {
  it('an agent gets 403 on admin and supervisor pages (a page for browsers, JSON for scripts)', async () => {
    const c = client();
    await c.login('ani', PASSWORD);
    for (const path of ['/admin/users', '/admin/whatsapp', '/admin/deliveries']) {
      const page = await c.get(path);
      expect(page.status).toBe(403);
      expect(await page.text()).toContain('Tidak ada akses');
    }
    const api = await c.get('/admin/api/whatsapp/status');
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ error: 'forbidden' });
    const create = await c.postWithCsrf('/admin/users', { username: 'penyusup', displayName: 'Penyusup', role: 'admin', password: NEW_PASSWORD });
    expect(create.status).toBe(403);
    expect(await server.app.store.users.byUsername('penyusup')).toBeNull();
  });

  it('the menu shows each role only what it may open', async () => {
    const agent = client();
    await agent.login('ani', PASSWORD);
    const agentHome = await (await agent.get('/admin')).text();
    expect(agentHome).not.toContain('href="/admin/users"');
    expect(agentHome).not.toContain('href="/admin/deliveries"');
    const supervisor = client();
    await supervisor.login('sari', PASSWORD);
    const supervisorHome = await (await supervisor.get('/admin')).text();
    expect(supervisorHome).toContain('href="/admin/deliveries"');
    expect(supervisorHome).not.toContain('href="/admin/users"');
    expect((await supervisor.get('/admin/deliveries')).status).toBe(200);
  });

  it('an admin creates a user who can then sign in; duplicate names and weak passwords are refused', async () => {
    const admin = client();
    await admin.login('budi', PASSWORD);
    const created = await admin.postWithCsrf('/admin/users', { username: 'Rina.P', displayName: 'Rina <b>Putri</b>', role: 'supervisor', password: NEW_PASSWORD });
    expect(created.status).toBe(303);
    const rina = await server.app.store.users.byUsername('rina.p');
    expect(rina).toMatchObject({ role: 'supervisor', displayName: 'Rina <b>Putri</b>' });
    const list = await (await admin.get('/admin/users')).text();
    expect(list).toContain('Rina &lt;b&gt;Putri&lt;/b&gt;');
    expect(list).not.toContain('<b>Putri</b>');
    expect((await client().login('rina.p', NEW_PASSWORD)).status).toBe(303);
    const duplicate = await admin.postWithCsrf('/admin/users', { username: 'rina.p', displayName: 'Rina Lain', role: 'agent', password: NEW_PASSWORD });
    expect(duplicate.status).toBe(400);
    expect(await duplicate.text()).toContain('sudah dipakai');
    const weak = await admin.postWithCsrf('/admin/users', { username: 'lemah', displayName: 'Lemah', role: 'agent', password: 'abc' });
    expect(weak.status).toBe(400);
    // Re-role, and an admin cannot demote or disable themselves.
    expect((await admin.postWithCsrf(`/admin/users/${rina!.id}/role`, { role: 'agent' })).status).toBe(303);
    expect((await server.app.store.users.get(rina!.id))!.role).toBe('agent');
    const budi = (await server.app.store.users.byUsername('budi'))!;
    expect((await admin.postWithCsrf(`/admin/users/${budi.id}/role`, { role: 'agent' })).status).toBe(400);
    expect((await admin.postWithCsrf(`/admin/users/${budi.id}/disable`)).status).toBe(400);
    expect((await server.app.store.users.get(budi.id))!).toMatchObject({ role: 'admin', disabled: false });
  });
});

describe('two-factor sign-in (TOTP)', () => {
  const codeAt = (secret: string, offsetSeconds = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });

  it('enrol with a QR code, confirm with a code, then sign in with password + code', async () => {
    const c = client();
    await c.login('dua', PASSWORD);
    expect((await c.postWithCsrf('/admin/account/totp/start')).status).toBe(303);
    const page = await (await c.get('/admin/account')).text();
    expect(page).toMatch(/<img class="qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/u);
    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/u.exec(page)![1]!.replace(/ /gu, '');
    expect(secret).toHaveLength(32);

    const wrong = await c.postWithCsrf('/admin/account/totp/confirm', { code: '000000' === (await codeAt(secret)) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect((await c.postWithCsrf('/admin/account/totp/confirm', { code: await codeAt(secret) })).status).toBe(303);
    const user = (await server.app.store.users.byUsername('dua'))!;
    expect(user.totpSecret).toMatch(/^v1\./u);
    expect(user.totpSecret).not.toContain(secret);
    expect((await c.get('/admin/account')).status).toBe(200);

    // A new sign-in now needs the code: the password alone gives only the code page.
    const d = client();
    const step1 = await d.login('dua', PASSWORD);
    expect(step1.status).toBe(303);
    expect(step1.headers.get('location')).toBe('/admin/login/totp');
    expect((await d.get('/admin')).headers.get('location')).toBe('/admin/login/totp');
    expect((await d.get('/admin/api/me')).status).toBe(401);
    const codePage = await d.get('/admin/login/totp');
    const token = Client.csrfOf(await codePage.text());
    // The code used for enrolment cannot be replayed; the next one works.
    expect((await d.post('/admin/login/totp', { _csrf: token, code: await codeAt(secret) })).status).toBe(401);
    const step2 = await d.post('/admin/login/totp', { _csrf: token, code: await codeAt(secret, 30) });
    expect(step2.status).toBe(303);
    expect(step2.headers.get('location')).toBe('/admin');
    expect((await d.get('/admin')).status).toBe(200);
    // The cookie changed between the two steps (no session fixation).
    expect((await d.get('/admin/api/me')).status).toBe(200);
  });

  it('wrong codes count towards the lock', async () => {
    const user = await createUser(server.app, { username: 'tebak', password: PASSWORD, role: 'agent' });
    const sealed = await enrol('tebak');
    expect(sealed).toBeTruthy();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = client();
      await c.login('tebak', PASSWORD);
      const token = Client.csrfOf(await (await c.get('/admin/login/totp')).text());
      statuses.push((await c.post('/admin/login/totp', { _csrf: token, code: '000000' })).status);
    }
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses[4]).toBe(429);
    expect((await server.app.store.users.get(user.id))!.lockedUntil).not.toBeNull();
  });

  it('an admin can remove a user\'s two-factor (lost phone)', async () => {
    const user = await createUser(server.app, { username: 'hilang', password: PASSWORD, role: 'agent' });
    await enrol('hilang');
    const admin = client();
    await admin.login('budi', PASSWORD);
    expect((await admin.postWithCsrf(`/admin/users/${user.id}/reset-2fa`)).status).toBe(303);
    expect((await server.app.store.users.get(user.id))!.totpSecret).toBeNull();
    expect((await client().login('hilang', PASSWORD)).headers.get('location')).toBe('/admin');
  });

  /** Enrols a user through the pages; returns the stored (sealed) secret. */
  async function enrol(username: string): Promise<string | null> {
    const c = client();
    await c.login(username, PASSWORD);
    await c.postWithCsrf('/admin/account/totp/start');
    const page = await (await c.get('/admin/account')).text();
    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/u.exec(page)![1]!.replace(/ /gu, '');
    await c.postWithCsrf('/admin/account/totp/confirm', { code: await codeAt(secret) });
    return (await server.app.store.users.byUsername(username))!.totpSecret;
  }
});

describe('ADMIN_REQUIRE_TOTP=true', () => {
  let strict: AdminTestApp;
  beforeAll(async () => {
    strict = await startAdminApp({ ADMIN_REQUIRE_TOTP: 'true' });
    await createUser(strict.app, { username: 'admin1', password: PASSWORD, role: 'admin' });
    await createUser(strict.app, { username: 'petugas', password: PASSWORD, role: 'agent' });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('an admin without two-factor can only set it up (or sign out) until it is on', async () => {
    const c = new Client(strict.base);
    await c.login('admin1', PASSWORD);
    for (const path of ['/admin', '/admin/users', '/admin/whatsapp']) {
      const response = await c.get(path);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/admin/account?wajib=2fa');
    }
    const api = await c.get('/admin/api/whatsapp/status');
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ error: 'totp_setup_required' });
    const account = await c.get('/admin/account?wajib=2fa');
    expect(account.status).toBe(200);
    expect(await account.text()).toContain('wajib');
    expect((await c.postWithCsrf('/admin/users', { username: 'x1x', displayName: 'X', role: 'agent', password: NEW_PASSWORD })).status).toBe(403);

    await c.postWithCsrf('/admin/account/totp/start');
    const page = await (await c.get('/admin/account')).text();
    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/u.exec(page)![1]!.replace(/ /gu, '');
    expect((await c.postWithCsrf('/admin/account/totp/confirm', { code: await generate({ secret }) })).status).toBe(303);
    expect((await c.get('/admin/users')).status).toBe(200);
    // And it cannot be switched off again.
    const off = await c.postWithCsrf('/admin/account/totp/disable', { current: PASSWORD });
    expect(off.status).toBe(400);
  });

  it('agents are not forced', async () => {
    const c = new Client(strict.base);
    await c.login('petugas', PASSWORD);
    expect((await c.get('/admin')).status).toBe(200);
  });
});

describe('COOKIE_SECURE', () => {
  it('auto: Secure when the request came over HTTPS through a trusted proxy (X-Forwarded-Proto)', async () => {
    const c = client();
    await c.login('budi', PASSWORD);
    const page = await fetch(`${server.base}/admin/login`, { headers: { 'x-forwarded-proto': 'https' } });
    const loginCookie = page.headers.getSetCookie().find((header) => header.startsWith('siratu_login='))!;
    expect(loginCookie).toMatch(/; Secure/u);
    const csrf = Client.csrfOf(await page.text());
    const response = await fetch(`${server.base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded', cookie: `siratu_login=${csrf}` },
      body: new URLSearchParams({ _csrf: csrf, username: 'budi', password: PASSWORD }).toString(),
    });
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie().find((header) => header.startsWith('siratu_session='))).toMatch(/; Secure/u);
  });

  it('true: always Secure (and the login page warns when opened over http://); false: never', async () => {
    const always = await startAdminApp({ COOKIE_SECURE: 'true' });
    const never = await startAdminApp({ COOKIE_SECURE: 'false' });
    try {
      const a = await fetch(`${always.base}/admin/login`);
      expect(a.headers.getSetCookie()[0]).toMatch(/; Secure/u);
      expect(await a.text()).toContain('COOKIE_SECURE=true');
      const n = await fetch(`${never.base}/admin/login`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(n.headers.getSetCookie()[0]).not.toMatch(/Secure/u);
    } finally {
      await always.close();
      await never.close();
    }
  });
});

describe('security headers', () => {
  it('pages carry a strict CSP without inline scripts, and are not cached', async () => {
    const response = await fetch(`${server.base}/admin/login`);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/u);
    expect(html).not.toMatch(/\sstyle="/u);
    expect(html).not.toMatch(/\son[a-z]+="/u);
  });
});
