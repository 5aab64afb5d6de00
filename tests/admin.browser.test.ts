/**
 * The admin area in a real Chromium, on a 360 px phone and a 1280 px laptop:
 * signing in, the WhatsApp page showing the QR code from a (fake) status and
 * following it live without a reload, and the other pages. The strict CSP
 * must not block anything the pages need (a violation fails the test).
 * Screenshots go to tests/artifacts/admin-*.png for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { WhatsappStatus } from '../admin/whatsapp.js';
import { createUser, startAdminApp, until, type AdminTestApp } from './helpers/admin.js';
import { launchChromium, openContext as openBrowserContext, signIn as signInAs } from './helpers/browser.js';

const ARTIFACTS = join(process.cwd(), 'tests', 'artifacts');
const PASSWORD = 'kopi pagi di kantor';
/** What Baileys publishes while waiting to be linked: "ref,noiseKey,identityKey,advSecret". */
const QR = '2@y7cXAg0TqLzJQmT8pPC3e1mXhZyKk9vRkq3J2Yw1Hc5s0Qf2rTt4E9aNnWbVdU8xGgL6oPz,8vW7nXcR2d5Yk0aZ3sQ1eT4u9iP6lO8mB2vC5xN7jH0=,hG3kL5nP7rT9vX1zB3dF5hJ7lN9pR1tV3xZ5bD7fH9=,Qm4Tz8Yx2Vb6Nc0Ld4Kf8Jg2Hh6';

let server: AdminTestApp;
let browser: Browser;
const pairingRequests: string[] = [];
const problems: string[] = [];

const setStatus = (status: WhatsappStatus) => server.app.store.settings.put('whatsapp.status', status);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startAdminApp(
    {},
    {
      whatsappControl: {
        async requestPairingCode(phone) {
          pairingRequests.push(phone);
          await setStatus({ state: 'qr', qr: QR, pairingCode: 'K7QX2M9B', since: new Date().toISOString() });
        },
        async logout() {},
      },
      outbox: { retry: async () => {} },
    },
  );
  await createUser(server.app, { username: 'budi', password: PASSWORD, role: 'admin', displayName: 'Budi Santoso' });
  await createUser(server.app, { username: 'ani', password: PASSWORD, role: 'agent', displayName: 'Ani Lestari' });
  await createUser(server.app, { username: 'sari', password: PASSWORD, role: 'supervisor', displayName: 'Sari Dewi Anggraini' });
  const locked = await createUser(server.app, { username: 'rudi', password: PASSWORD, role: 'agent', displayName: 'Rudi Hartono' });
  await server.app.store.users.update(locked.id, { lockedUntil: new Date(Date.now() + 10 * 60_000) });
  // One failed delivery, so that page has something to show.
  const store = server.app.store;
  const contact = await store.contacts.upsert('telegram', '512345678', 'Warga');
  const conversation = await store.conversations.open(contact);
  const { message } = await store.messages.add({ conversationId: conversation.id, contactId: contact.id, channel: 'telegram', direction: 'out', author: 'bot', text: 'Pengaduan Anda sudah kami terima dengan nomor ADU-2026-000042. Simpan nomor ini untuk menanyakan statusnya.' });
  await store.messages.setDelivery(message.id, { status: 'failed', attempts: 5, sentParts: 0, platformMessageIds: [], lastError: 'Forbidden: bot was blocked by the user', updatedAt: new Date() });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A wrong password's 401 and an agent's 403 on the users page are provoked on purpose. */
const provoked = (status: number, path: string) => (status === 401 && path === '/admin/login') || (status === 403 && path === '/admin/users');
const openContext = (viewport: { width: number; height: number }, phone: boolean) => openBrowserContext(browser, problems, viewport, phone, provoked);
const signIn = (page: Page, username: string) => signInAs(page, server.base, username, PASSWORD);

const shot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage });

/** The page fits its width: nothing sticks out sideways. */
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

const qrVisible = (page: Page) =>
  page.locator('img.qr-big').evaluate((img: HTMLImageElement) => {
    const box = img.getBoundingClientRect();
    return img.complete && img.naturalWidth > 0 && box.width >= 200 && !img.closest('[hidden]') && img.src.startsWith('data:image/svg+xml');
  });

describe('admin area on a 360 px phone', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext({ width: 360, height: 740 }, true));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('the login page fits the screen; a wrong password shows a clear message', async () => {
    await page.goto(`${server.base}/admin/login`);
    await shot(page, 'login-360', false);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.getByLabel('Nama pengguna').fill('budi');
    await page.getByLabel('Kata sandi').fill('bukan sandinya');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Nama pengguna atau kata sandi salah.');
    await shot(page, 'login-error-360', false);
  });

  it('signs in and shows the WhatsApp QR code, then follows the status live', async () => {
    await setStatus({ state: 'qr', qr: QR, since: new Date().toISOString() });
    await signIn(page, 'budi');
    await shot(page, 'home-360');
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.goto(`${server.base}/admin/whatsapp`);
    await page.locator('img.qr-big').waitFor({ state: 'visible' });
    expect(await qrVisible(page)).toBe(true);
    expect(await noSidewaysScroll(page)).toBe(true);
    await shot(page, 'whatsapp-qr-360', false);
    await shot(page, 'whatsapp-qr-360-full');

    // Pairing by code instead: the code appears on the page.
    await page.getByLabel('Nomor WhatsApp kantor', { exact: true }).fill('0812 3456 7890');
    await page.getByRole('button', { name: 'Minta kode' }).click();
    await page.waitForURL(/pesan=kode/u);
    expect(pairingRequests).toEqual(['6281234567890']);
    await expect(page.locator('.pairing-code').textContent()).resolves.toBe('K7QX-2M9B');
    await shot(page, 'whatsapp-pairing-code-360', false);

    // The phone scans it: the page turns green without a reload.
    await setStatus({ state: 'open', me: '6281234567890:3@s.whatsapp.net', since: new Date().toISOString() });
    const label = await until(() => page.locator('[data-field="label"]').textContent(), (text) => text === 'Terhubung', 6000);
    expect(label).toBe('Terhubung');
    expect(await page.locator('img.qr-big').isVisible()).toBe(false);
    expect(await page.locator('.wa-status').getAttribute('class')).toContain('wa-ok');
    await expect(page.locator('[data-field="me"]').textContent()).resolves.toBe('+62 812-3456-7890');
    await shot(page, 'whatsapp-open-360', false);
  });

  it('the users page is usable on the phone', async () => {
    await page.goto(`${server.base}/admin/users`);
    expect(await noSidewaysScroll(page)).toBe(true);
    await shot(page, 'users-360');
    await page.goto(`${server.base}/admin/deliveries`);
    expect(await noSidewaysScroll(page)).toBe(true);
    await shot(page, 'deliveries-360', false);
  });
});

describe('admin area on a 1280 px laptop', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext({ width: 1280, height: 800 }, false));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('the WhatsApp page with a QR code', async () => {
    await setStatus({ state: 'qr', qr: QR, since: new Date().toISOString() });
    await page.goto(`${server.base}/admin/login`);
    await shot(page, 'login-1280', false);
    await signIn(page, 'budi');
    await shot(page, 'home-1280', false);
    await page.goto(`${server.base}/admin/whatsapp`);
    await page.locator('img.qr-big').waitFor({ state: 'visible' });
    expect(await qrVisible(page)).toBe(true);
    await shot(page, 'whatsapp-qr-1280');
    await setStatus({ state: 'logged_out', since: new Date().toISOString(), lastError: 'Stream Errored (conflict): logged out from the phone' });
    await until(() => page.locator('[data-field="label"]').textContent(), (text) => text === 'Keluar dari WhatsApp', 6000);
    await shot(page, 'whatsapp-logged-out-1280');
  });

  it('users, account with two-factor set-up, and failed deliveries', async () => {
    await page.goto(`${server.base}/admin/users`);
    await page.getByText('Tambah pengguna').click();
    await shot(page, 'users-1280');
    await page.goto(`${server.base}/admin/account`);
    await page.getByRole('button', { name: 'Aktifkan verifikasi dua langkah' }).click();
    await page.locator('img.qr').waitFor({ state: 'visible' });
    await shot(page, 'account-2fa-1280');
    await page.getByRole('button', { name: 'Batal' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('dibatalkan');
    await page.goto(`${server.base}/admin/deliveries`);
    await expect(page.getByText('bot was blocked by the user').count()).resolves.toBe(1);
    await shot(page, 'deliveries-1280');
  });

  it('an agent sees only their own pages, and "no access" for the rest', async () => {
    const agent = await openContext({ width: 360, height: 740 }, true);
    await signIn(agent.page, 'ani');
    await shot(agent.page, 'home-agent-360', false);
    await agent.page.goto(`${server.base}/admin/users`);
    await expect(agent.page.getByRole('heading', { name: 'Tidak ada akses' }).count()).resolves.toBe(1);
    await shot(agent.page, 'forbidden-agent-360', false);
    await agent.page.goto(`${server.base}/admin/account`);
    expect(await noSidewaysScroll(agent.page)).toBe(true);
    await shot(agent.page, 'account-agent-360');
    await agent.context.close();
  });

  it('the menu bar fits one row; settings pages sit under "Lainnya", on the laptop and on a phone', async () => {
    await page.goto(`${server.base}/admin`);
    const bar = page.locator('nav.nav .nav-in');
    const oneRow = await bar.evaluate((el) => {
      const tops = Array.from(el.children, (child) => Math.round(child.getBoundingClientRect().top));
      return new Set(tops).size === 1 && el.scrollWidth <= el.clientWidth + 1;
    });
    expect(oneRow).toBe(true);
    const usersLink = page.locator('.nav-menu').getByRole('link', { name: 'Pengguna', exact: true });
    await expect(usersLink.isVisible()).resolves.toBe(false);
    await page.locator('.nav-more summary').click();
    await usersLink.click();
    await page.waitForURL(/\/admin\/users$/u);
    // The current page's menu is marked, so people know where they are.
    await expect(page.locator('.nav-more summary').getAttribute('class')).resolves.toBe('current');
    await page.locator('.nav-more summary').click();
    await shot(page, 'nav-more-1280', false);

    const phone = await openContext({ width: 360, height: 740 }, true);
    await signIn(phone.page, 'budi');
    await phone.page.locator('.nav-more summary').click();
    const menu = await phone.page.locator('.nav-menu').boundingBox();
    expect(menu!.x).toBeGreaterThanOrEqual(0);
    expect(menu!.x + menu!.width).toBeLessThanOrEqual(360);
    expect(await noSidewaysScroll(phone.page)).toBe(true);
    await shot(phone.page, 'nav-more-360', false);
    await phone.context.close();
  });

  it('the queue page lists the background queues by what they do, on a phone too', async () => {
    await page.goto(`${server.base}/admin/queues`);
    await expect(page.getByRole('heading', { name: 'Antrean kerja' }).count()).resolves.toBe(1);
    await expect(page.getByText('Tenggat tiket (SLA) dan eskalasi').count()).resolves.toBe(1);
    await shot(page, 'queues-1280', false);
    const phone = await openContext({ width: 360, height: 740 }, true);
    await signIn(phone.page, 'budi');
    await phone.page.goto(`${server.base}/admin/queues`);
    expect(await noSidewaysScroll(phone.page)).toBe(true);
    await shot(phone.page, 'queues-360');
    await phone.context.close();
  });

  it('nothing was blocked by the content security policy, and no script failed', () => {
    expect(problems).toEqual([]);
  });
});
