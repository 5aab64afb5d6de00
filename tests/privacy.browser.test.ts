/**
 * "Data warga" in a real Chromium, on a 1280 px laptop and a 390 px phone:
 * an admin finds a citizen by the phone number they give at the counter,
 * sees both of their identities (web chat with an open complaint, Telegram),
 * downloads the copy of their data with the page's own button, and erases
 * the Telegram identity by typing HAPUS. No script error, CSP violation or
 * failed request on the way, nothing wider than the phone. Screenshots:
 * docs/screenshots/privacy.png, privacy-phone.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { RETENTION_QUEUE, RETENTION_SETTING, type RetentionStatus } from '../bot/privacy.js';
import { until, type AdminTestApp } from './helpers/admin.js';
import { LAPTOP, launchChromium, openContext, signIn, type Problems } from './helpers/browser.js';
import { makeStaff, PASSWORD, startInboxApp, WebCitizen } from './helpers/inbox.js';

const SHOTS = join(process.cwd(), 'docs', 'screenshots');
const PHONE_390 = { width: 390, height: 844 };
const NUMBER = '081355577002';
const TELEGRAM_ID = '730055502';

let server: AdminTestApp;
let browser: Browser;
const problems: Problems = [];

const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

async function search(page: Page, text: string) {
  await page.goto(`${server.base}/admin/privacy`);
  await page.getByLabel('Cari warga').fill(text);
  await page.getByRole('button', { name: 'Cari' }).click();
  await page.waitForURL((url) => url.pathname === '/admin/privacy' && url.searchParams.get('q') === text);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startInboxApp();
  await makeStaff(server.app, 'dewi', 'admin', { displayName: 'Dewi Kartika' });
  const { app } = server;

  // Web chat: questions, then a complaint with the number, still being handled.
  const citizen = await WebCitizen.start(server.base);
  await citizen.say('syarat akta kelahiran');
  await citizen.say('kalau KK hilang?');
  await citizen.say('mau buat pengaduan');
  await citizen.say('2');
  await citizen.say('Sudah tiga bulan KTP-el saya belum jadi, padahal dijanjikan dua minggu.');
  await citizen.say('Palu Barat');
  await citizen.say('Rina Wulandari');
  await citizen.say(NUMBER);
  await citizen.say('ya');
  // Telegram, with the same number, a few days of questions.
  for (const text of ['syarat kk hilang', 'jam buka kantor?', 'terima kasih']) await app.dispatcher.receive({ channel: 'telegram', senderId: TELEGRAM_ID, text, senderName: 'Rina' });
  const telegram = await app.store.contacts.upsert('telegram', TELEGRAM_ID);
  await app.store.contacts.update(telegram.id, { phone: NUMBER });
  // Last night's retention run, as the page reports it.
  await app.queue.add(RETENTION_QUEUE, { slot: new Date().toISOString() }, { jobId: 'retention:browser-test' });
  await until(() => app.store.settings.get<RetentionStatus>(RETENTION_SETTING), (status) => Boolean(status?.lastRun));

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Data warga in a browser', () => {
  it('laptop: find by the number, see what is held, download the copy, erase one identity', async () => {
    const { context, page } = await openContext(browser, problems, LAPTOP, false);
    await signIn(page, server.base, 'dewi', PASSWORD, '/admin/privacy');
    await search(page, '0813-5557-7002');
    const cards = page.locator('li.card');
    expect(await cards.count()).toBe(2);
    await page.getByText('2 identitas ditemukan (nomor HP / WhatsApp)').waitFor();
    // The web identity cannot be erased yet: the page says why when the section is opened.
    const web = cards.filter({ hasText: 'Web chat' });
    await web.getByText('Hapus data warga ini…').click();
    await web.getByText(/Belum bisa dihapus: pengaduannya masih berjalan/u).waitFor();
    const telegram = cards.filter({ hasText: TELEGRAM_ID });
    await telegram.getByText('Hapus data warga ini…').click();
    await telegram.getByLabel('Ketik nomor HP warga ini atau kata HAPUS').waitFor();
    await page.screenshot({ path: join(SHOTS, 'privacy.png'), fullPage: true });
    expect(await noSidewaysScroll(page)).toBe(true);

    const [download] = await Promise.all([page.waitForEvent('download'), web.getByRole('button', { name: 'Unduh semua data (JSON)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^data-warga-web-\d{4}-\d{2}-\d{2}\.json$/u);
    const copy = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { contact: { phone: string }; tickets: { status: string }[] };
    expect(copy.contact.phone).toBe(NUMBER);
    expect(copy.tickets.map((ticket) => ticket.status)).toEqual(['baru']);

    await telegram.getByLabel('Ketik nomor HP warga ini atau kata HAPUS').fill('HAPUS');
    await telegram.getByRole('button', { name: 'Hapus permanen' }).click();
    await page.waitForURL((url) => url.searchParams.get('pesan') === 'dihapus');
    await page.getByText(/Data pribadi warga itu sudah dihapus/u).waitFor();
    await search(page, NUMBER);
    expect(await page.locator('li.card').count()).toBe(1);
    expect((await server.app.store.audit.list({})).map((event) => event.action).filter((action) => action.startsWith('privacy.'))).toEqual(['privacy.erase', 'privacy.export']);
    await context.close();
    expect(problems).toEqual([]);
  });

  it('390 px phone: the same page, nothing wider than the screen', async () => {
    const { context, page } = await openContext(browser, problems, PHONE_390, true);
    await signIn(page, server.base, 'dewi', PASSWORD, '/admin/privacy');
    await search(page, NUMBER);
    const card = page.locator('li.card');
    expect(await card.count()).toBe(1);
    await card.getByText('Hapus data warga ini…').click();
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'privacy-phone.png'), fullPage: true });
    await context.close();
    expect(problems).toEqual([]);
  });
});
