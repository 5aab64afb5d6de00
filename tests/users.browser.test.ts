/**
 * The users page and the audit log in a real Chromium, on a 1280 px laptop
 * and a 390 px phone: an admin adds a colleague and lowers an agent's
 * capacity with the page's own forms, then finds those changes (and the
 * team's ticket and knowledge-base changes) in the audit log by filtering
 * on a person. No script error, CSP violation or failed request on the
 * way, and nothing wider than the phone. Screenshots: docs/screenshots/
 * admin-users*.png and admin-audit*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { User } from '../bot/store/types.js';
import type { AdminTestApp } from './helpers/admin.js';
import { LAPTOP, launchChromium, openContext, signIn, type Problems } from './helpers/browser.js';
import { makeStaff, PASSWORD, startInboxApp, WebCitizen } from './helpers/inbox.js';

const SHOTS = join(process.cwd(), 'docs', 'screenshots');
const PHONE_390 = { width: 390, height: 844 };

let server: AdminTestApp;
let browser: Browser;
const problems: Problems = [];
const staff: Record<string, User> = {};

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage });
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

/** A working week's worth of changes by the team, so the log looks like a real office's. */
async function teamChanges() {
  const { app } = server;
  const citizen = await WebCitizen.start(server.base);
  await citizen.say('halo');
  const conversation = await citizen.conversation(app);
  const ticket = await app.dispatcher.tickets.create({ contactId: conversation.contactId, conversationId: conversation.id, channel: 'web', category: 'lambat', description: 'KTP-el belum jadi sejak tiga bulan', kecamatan: 'Palu Barat' });
  await app.dispatcher.tickets.changeStatus(ticket.id, 'diproses', { actor: staff.budi!.id, note: 'Berkas sedang dicek di loket perekaman.' });
  await app.dispatcher.tickets.update(ticket.id, { priority: 'tinggi' }, { actor: staff.sari!.id });
  await app.dispatcher.tickets.update(ticket.id, { assigneeId: staff.budi!.id }, { actor: staff.sari!.id });
  const entry = (await app.store.knowledge.get('legalisir'))!.entry;
  const draft = await app.editor.saveDraft(staff.sari!, { entry: { ...entry, processingTime: 'Selesai di hari yang sama bila berkas lengkap.' } });
  await app.editor.submit(staff.sari!, draft.id);
  await app.editor.approve(staff.adi!, draft.id, 'Sesuai SOP baru');
  await citizen.say('mau bicara dengan petugas');
  await app.helpdesk.assign(conversation.id, staff.budi!.id, staff.sari!);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startInboxApp();
  staff.adi = await makeStaff(server.app, 'adi', 'admin', { displayName: 'Adi Pratama' });
  staff.sari = await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi Anggraini' });
  staff.budi = await makeStaff(server.app, 'budi', 'agent', { displayName: 'Budi Santoso', capacity: 0 });
  staff.ani = await makeStaff(server.app, 'ani', 'agent', { displayName: 'Ani Lestari' });
  const rudi = await makeStaff(server.app, 'rudi', 'agent', { displayName: 'Rudi Hartono' });
  await server.app.store.users.update(rudi.id, { disabled: true });
  await server.app.store.users.update(staff.ani.id, { totpSecret: 'sealed-secret' });
  await teamChanges();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the users page and the audit log on a laptop', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext(browser, problems, LAPTOP, false));
    await signIn(page, server.base, 'adi', PASSWORD, '/admin/users');
  });
  afterAll(async () => {
    await context?.close();
  });

  it('an admin adds a colleague with the page\'s form', async () => {
    await page.getByText('Tambah pengguna').click();
    await page.getByLabel('Nama pengguna').fill('maya.sari');
    await page.getByLabel('Nama lengkap').fill('Maya Sari');
    await page.getByLabel('Peran', { exact: true }).selectOption('agent');
    await page.getByLabel('Kapasitas percakapan').fill('4');
    await page.getByLabel('Kata sandi pertama').fill('sandi pertama maya');
    await page.getByRole('button', { name: 'Buat pengguna' }).click();
    await page.waitForURL(/pesan=dibuat/u);
    expect(await page.locator('.flash-ok').innerText()).toContain('Pengguna baru sudah dibuat');
    const maya = (await server.app.store.users.byUsername('maya.sari'))!;
    expect(await page.locator(`#u-${maya.id}`).innerText()).toContain('Maks. 4 percakapan');
  });

  it('lowers an agent\'s capacity in their row', async () => {
    const row = page.locator(`#u-${staff.ani!.id}`);
    await row.getByLabel('Kapasitas').fill('2');
    await row.getByRole('button', { name: 'Simpan', exact: true }).click();
    await page.waitForURL(/pesan=kapasitas/u);
    expect(await page.locator(`#u-${staff.ani!.id}`).innerText()).toContain('Maks. 2 percakapan');
    expect((await server.app.store.users.get(staff.ani!.id))!.capacity).toBe(2);
    await page.locator('h1').scrollIntoViewIfNeeded();
    await shot(page, 'users');
  });

  it('finds those changes in the audit log, filtered by person', async () => {
    await page.locator('.nav-more summary').click(); // settings pages sit under "Lainnya"
    await page.locator('.nav-menu').getByRole('link', { name: 'Log audit' }).click();
    await page.waitForURL(/\/admin\/audit$/u);
    expect(await page.locator('.audit-table tbody tr').count()).toBe(await server.app.store.audit.list({}).then((events) => events.length));
    await shot(page, 'audit');
    await page.getByLabel('Orang').selectOption({ label: 'Adi Pratama (adi)' });
    await page.getByRole('button', { name: 'Terapkan' }).click();
    await page.waitForURL(/orang=/u);
    const rows = page.locator('.audit-table tbody tr');
    expect(await rows.first().innerText()).toContain('Kapasitas percakapan diubah');
    expect(await rows.first().innerText()).toContain('Kapasitas Ani Lestari: 5 → 2 percakapan sekaligus');
    expect(await page.locator('.audit-table').innerText()).toContain('Maya Sari (maya.sari) dibuat sebagai Petugas');
    expect(await page.locator('.audit-table').innerText()).toContain('Entri diterbitkan');
    expect(await page.locator('.audit-table').innerText()).not.toContain('Sari Dewi Anggraini');
    expect(problems).toEqual([]);
  });
});

describe('on a 390 px phone', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext(browser, problems, PHONE_390, true));
    await signIn(page, server.base, 'adi', PASSWORD, '/admin/users');
  });
  afterAll(async () => {
    await context?.close();
  });

  it('the users page fits the screen', async () => {
    expect(await noSidewaysScroll(page)).toBe(true);
    await shot(page, 'users-phone');
  });

  it('the audit log reads as cards, one per change, and fits the screen', async () => {
    await page.goto(`${server.base}/admin/audit?jenis=ticket.assign`);
    expect(await page.locator('.audit-table tbody tr').count()).toBe(1);
    await page.goto(`${server.base}/admin/audit`);
    expect(await noSidewaysScroll(page)).toBe(true);
    const card = page.locator('.audit-table tbody tr').first();
    expect(await card.evaluate((row) => getComputedStyle(row).display)).toBe('grid');
    await shot(page, 'audit-phone');
    expect(problems).toEqual([]);
  });
});
