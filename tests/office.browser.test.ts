/**
 * The office profile and holiday pages in a real Chromium, on a 1280 px
 * laptop and a 390 px phone, driven the way an admin uses them: wrong input
 * shows a message next to each field (and saves nothing), rows are added
 * and removed with the page's buttons, a kelurahan list is typed one per
 * line, and a new holiday shows its weekday while typing. Nothing may break
 * the strict CSP, and nothing may stick out sideways on the phone.
 * Screenshots: docs/screenshots/admin-office*.png, admin-holidays*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OFFICE_SETTING } from '../bot/knowledge-base.js';
import { storedHolidays } from '../bot/office-editing.js';
import type { OfficeProfile } from '../knowledge/schema.js';
import { startAdminApp, type AdminTestApp } from './helpers/admin.js';
import { LAPTOP, launchChromium, openContext, signIn, type Problems } from './helpers/browser.js';
import { makeStaff, PASSWORD } from './helpers/inbox.js';

const SHOTS = join(process.cwd(), 'docs', 'screenshots');
const PHONE_390 = { width: 390, height: 844 };
/** The refused save in the first test answers 400 on purpose. */
const EXPECTED = ['400 POST /admin/office'];

let server: AdminTestApp;
let browser: Browser;
const problems: Problems = [];

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage });
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
const office = async () => (await server.app.store.settings.get<OfficeProfile>(OFFICE_SETTING))!;
const unexpected = () => problems.filter((line) => !EXPECTED.includes(line));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startAdminApp();
  await makeStaff(server.app, 'adi', 'admin', { displayName: 'Adi Pratama' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('on a laptop', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext(browser, problems, LAPTOP, false));
    await signIn(page, server.base, 'adi', PASSWORD, '/admin/office');
  });
  afterAll(async () => {
    await context?.close();
  });

  it('shows the profile; wrong input is marked field by field and nothing is saved', async () => {
    await shot(page, 'office');
    const before = await office();
    await page.getByLabel('Nama lengkap').fill('');
    await page.getByLabel('Jumat: jam tutup').fill('07:00');
    await page.getByRole('button', { name: '+ Tambah nomor' }).click();
    const phone = page.locator('[data-list="phones"] [data-row]').last();
    await phone.getByLabel('Keterangan').fill('Pengaduan');
    await phone.getByLabel('Nomor').fill('telepon kantor');
    await page.getByRole('button', { name: 'Simpan profil kantor' }).click();

    const summary = page.locator('[data-form-error]');
    await summary.waitFor({ state: 'visible' });
    expect(await summary.innerText()).toContain('Ada isian yang belum benar');
    const errors = await page.locator('.field-error').allInnerTexts();
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Jam tutup harus setelah jam buka.'),
        expect.stringContaining('Isi nama lengkap kantor'),
        expect.stringContaining('Tulis nomor dengan angka saja'),
      ]),
    );
    expect(await page.getByLabel('Nama lengkap').getAttribute('aria-invalid')).toBe('true');
    expect(await phone.locator('.field-error').innerText()).toContain('Tulis nomor dengan angka saja');
    // The first wrong field has the focus, so a keyboard or screen-reader user starts there.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('days.fri.close');
    expect(await office()).toEqual(before);
    await page.locator('#jam').scrollIntoViewIfNeeded();
    await shot(page, 'office-errors');
  });

  it('fixed, with a new kecamatan typed one kelurahan per line, it saves and says so', async () => {
    await page.getByLabel('Nama lengkap').fill('Dinas Kependudukan dan Pencatatan Sipil Kota Palu');
    await page.getByLabel('Jumat: jam tutup').fill('15:30');
    await page.getByLabel('Jumat: istirahat mulai').fill('11:30');
    await page.getByLabel('Jumat: istirahat selesai').fill('13:00');
    const phone = page.locator('[data-list="phones"] [data-row]').last();
    await phone.getByLabel('Nomor').fill('0451 421234');
    await page.getByRole('button', { name: '+ Tambah kecamatan' }).click();
    const kecamatan = page.locator('[data-list="kecamatan"] [data-row]').last();
    await kecamatan.getByLabel('Kecamatan').fill('Palu Tenggara');
    await kecamatan.getByLabel('Kelurahan/desa').fill('Kelurahan Satu\nKelurahan Dua');
    // A service point added by mistake and removed again leaves no trace.
    await page.getByRole('button', { name: '+ Tambah tempat' }).click();
    await page.locator('[data-list="servicePoints"] [data-row]').last().getByRole('button', { name: 'Hapus' }).click();
    await page.getByRole('button', { name: 'Simpan profil kantor' }).click();
    await page.waitForURL(/pesan=tersimpan/u);
    expect(await page.locator('.flash-ok').innerText()).toContain('Profil kantor tersimpan');
    const saved = await office();
    expect(saved.phones).toEqual([{ label: 'Pengaduan', number: '0451 421234' }]);
    expect(saved.kecamatan.at(-1)).toEqual({ name: 'Palu Tenggara', kelurahan: ['Kelurahan Satu', 'Kelurahan Dua'] });
    expect(saved.hours.filter((slot) => slot.days.includes('fri'))).toEqual([
      { days: ['fri'], open: '08:00', close: '11:30' },
      { days: ['fri'], open: '13:00', close: '15:30' },
    ]);
    expect(saved.servicePoints).toHaveLength(4);
  });

  it('a holiday added on its page shows its weekday and is saved for the year', async () => {
    await page.getByRole('link', { name: 'Hari libur' }).first().click();
    await page.waitForURL(/\/admin\/office\/holidays$/u);
    const year = Number(/Hari libur (\d{4})/u.exec(await page.locator('h1').innerText())![1]);
    const taken = new Set((await storedHolidays(server.app.store.settings)).holidays.map((holiday) => holiday.date));
    let date = `${year}-10-05`;
    for (let day = 5; taken.has(date); day++) date = `${year}-10-${String(day).padStart(2, '0')}`;
    await page.getByRole('button', { name: '+ Tambah hari libur' }).click();
    const row = page.locator('[data-list="holidays"] [data-row]').last();
    await row.getByLabel('Tanggal').fill(date);
    const weekday = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'][new Date(`${date}T00:00:00Z`).getUTCDay()]!;
    expect(await row.locator('[data-weekday]').innerText()).toBe(weekday);
    await row.getByLabel('Nama hari libur').fill('HUT Kota Palu');
    await row.getByLabel('Dasar penetapan').fill('SK Wali Kota Palu (uji)');
    await page.getByRole('button', { name: `Simpan hari libur ${year}` }).click();
    await page.waitForURL(/pesan=tersimpan/u);
    expect(await page.locator('.flash-ok').innerText()).toContain(`Hari libur ${year} tersimpan`);
    await shot(page, 'holidays');
    const stored = await storedHolidays(server.app.store.settings);
    expect(stored.holidays.find((holiday) => holiday.date === date)).toEqual({ date, name: 'HUT Kota Palu', type: 'libur-daerah', source: 'SK Wali Kota Palu (uji)', confidence: 'high' });
    expect(unexpected()).toEqual([]);
  });
});

describe('on a 390 px phone', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext(browser, problems, PHONE_390, true));
    await signIn(page, server.base, 'adi', PASSWORD, '/admin/office');
  });
  afterAll(async () => {
    await context?.close();
  });

  it('the office page stacks its fields and fits the screen', async () => {
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.locator('#jam').evaluate((section) => section.scrollIntoView({ block: 'start' }));
    await shot(page, 'office-phone');
    // Each weekday's four times sit in two columns under the day's name.
    const columns = await page.locator('.hours-row').first().evaluate((row) => getComputedStyle(row).gridTemplateColumns.split(' ').length);
    expect(columns).toBe(2);
  });

  it('the holiday page fits the screen', async () => {
    await page.goto(`${server.base}/admin/office/holidays`);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.locator('.year-tabs').evaluate((tabs) => tabs.scrollIntoView({ block: 'start' }));
    await shot(page, 'holidays-phone');
    expect(unexpected()).toEqual([]);
  });
});
