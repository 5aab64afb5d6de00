/**
 * The widget in a real Chromium on a cheap phone's screen (360×740): the
 * demo page, a question with a checklist, the menu by tapping, a complaint
 * filed end to end, history after a reload, an officer's reply arriving
 * live, a network failure, HTML in a message staying text, and a photo
 * attached to a complaint.
 * Screenshots go to tests/artifacts/ (gitignored) for a person to look at.
 */
import { senderIdOf } from '../channels/webchat/session.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { makePng, startApp, type RunningApp } from './helpers/webchat.js';

const ARTIFACTS = join(process.cwd(), 'tests', 'artifacts');
const TICKET = /ADU-\d{4}-\d{6}/;

let server: RunningApp;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // One citizen taps through every flow at machine speed: well over a person's 20 messages a minute.
  server = await startApp({ RATE_LIMIT_PER_MINUTE: '300' });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'id-ID' });
  context.setDefaultTimeout(8000);
  page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `webchat-${name}.png`) });
/** Locators pierce the widget's open shadow root. */
const panel = () => page.locator('[data-siratu] .panel');
const botBubbles = () => page.locator('[data-siratu] .m.bot .b');
const lastBot = () => botBubbles().last();
const option = (label: string | RegExp) => page.locator('[data-siratu] .opts .opt', { hasText: label });

/** Polls `read` until `ok` holds (jest has no expect.poll); returns the last value. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True when the element is fully inside the chat's visible area. */
async function inView(locator: ReturnType<Page['locator']>): Promise<boolean> {
  return locator.evaluate((node) => {
    const log = node.closest('.log')!.getBoundingClientRect();
    const box = node.getBoundingClientRect();
    return box.top >= log.top - 1 && box.bottom <= log.bottom + 1;
  });
}

async function type(text: string) {
  const input = page.locator('[data-siratu] textarea');
  await input.fill(text);
  await input.press('Enter');
  // Sent: the input is cleared and the send button works again.
  expect(await until(() => input.inputValue(), (value) => value === '')).toBe('');
  await page.locator('[data-siratu] .send:not([disabled])').waitFor();
}

describe('web chat widget on a 360 px phone', () => {
  it('the demo page opens the chat full-screen with a welcome and starter choices', async () => {
    await page.goto(`${server.base}/`);
    await panel().waitFor({ state: 'visible' });
    const box = (await panel().boundingBox())!;
    expect(Math.round(box.width)).toBe(360);
    expect(Math.round(box.height)).toBe(740);
    expect(await until(() => page.locator('[data-siratu] .sub').textContent(), (text) => /Disdukcapil/.test(text ?? ''))).toMatch(/Disdukcapil/);
    expect(await page.locator('[data-siratu] .title').textContent()).toBe('Tanya SIRATU');
    expect(await option('Lihat menu layanan').count()).toBe(1);
    await shot('0-welcome');
  });

  it('answers "akte lahir anak saya bawa apa aja?" with the checklist', async () => {
    await type('akte lahir anak saya bawa apa aja?');
    await lastBot().filter({ hasText: /Surat keterangan lahir/i }).waitFor();
    const answer = botBubbles().filter({ hasText: 'Syarat yang perlu dibawa' }).last();
    expect(await answer.textContent()).toMatch(/Akta kelahiran/);
    // Markup became formatting, not asterisks.
    expect(await answer.locator('strong', { hasText: 'Syarat yang perlu dibawa:' }).count()).toBe(1);
    expect(await answer.textContent()).not.toContain('*Syarat');
    // The citizen's own message is shown once, on the right.
    expect(await page.locator('[data-siratu] .m.me', { hasText: 'akte lahir anak saya' }).count()).toBe(1);
    // The long answer is shown from its top, with the question above it.
    expect(await inView(answer.locator('strong').first())).toBe(true);
    expect(await inView(page.locator('[data-siratu] .m.me', { hasText: 'akte lahir anak saya' }))).toBe(true);
    await shot('1-checklist');
  });

  it('while waiting for the reply, shows "mengetik…" and blocks a second send', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/webchat/api/messages', async (route) => {
      if (route.request().method() === 'POST') await released;
      await route.continue();
    });
    const input = page.locator('[data-siratu] textarea');
    await input.fill('terima kasih');
    await input.press('Enter');
    const typing = page.locator('[data-siratu] .typing');
    await typing.waitFor({ state: 'visible' });
    expect(await typing.textContent()).toContain('mengetik');
    expect(await page.locator('[data-siratu] .send').isDisabled()).toBe(true);
    expect(await page.locator('[data-siratu] .m.me.pending', { hasText: 'terima kasih' }).count()).toBe(1);
    await shot('1b-typing');
    release();
    await typing.waitFor({ state: 'hidden' });
    await page.unroute('**/webchat/api/messages');
    expect(await page.locator('[data-siratu] .send').isDisabled()).toBe(false);
    expect(await page.locator('[data-siratu] .m.me', { hasText: 'terima kasih' }).count()).toBe(1);
  });

  it('the Menu button shows the main menu as big buttons; tapping one opens the sub-menu and the answer', async () => {
    await page.locator('[data-siratu] .menu').tap();
    await option('KTP-el').first().waitFor();
    // The menu question and its first choices are on screen, not below the fold.
    expect(await inView(lastBot())).toBe(true);
    expect(await inView(option('KTP-el').first())).toBe(true);
    const buttons = page.locator('[data-siratu] .opts .opt');
    expect(await buttons.count()).toBeGreaterThanOrEqual(8);
    for (const height of await buttons.evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().height))) expect(height).toBeGreaterThanOrEqual(44);
    await shot('2-menu');

    await option('Akta kelahiran & KIA').tap();
    await option(/^\d*\s*Akta kelahiran$/).waitFor();
    // Tapping showed the label as the citizen's message, without the number.
    expect(await page.locator('[data-siratu] .m.me').last().textContent()).toContain('Akta kelahiran & KIA');
    await option(/^\d*\s*Akta kelahiran$/).tap();
    await lastBot().filter({ hasText: /Surat keterangan lahir/i }).waitFor();
    // Options belong to the latest bot message only.
    expect(await page.locator('[data-siratu] .opts').count()).toBe(0);
  });

  it('files a complaint end to end and shows the ticket number', async () => {
    await type('petugas minta uang 100rb waktu urus KTP');
    await lastBot().filter({ hasText: /kecamatan|kelurahan/i }).waitFor();
    await option('Palu Barat').tap();
    await lastBot().filter({ hasText: /nama/i }).waitFor();
    await type('lewati');
    await lastBot().filter({ hasText: /Nomor HP/i }).waitFor();
    await type('081234567890');
    await lastBot().filter({ hasText: /periksa/i }).waitFor();
    await shot('3-confirm');
    // The confirmation and both choices are on screen.
    expect(await option('Ya, kirim').isVisible()).toBe(true);
    expect(await inView(option('Batal'))).toBe(true);
    await option('Ya, kirim').tap();
    await lastBot().filter({ hasText: TICKET }).waitFor();
    const text = (await lastBot().textContent())!;
    const number = text.match(TICKET)![0];
    // Shown once, although the reply came both in the POST answer and on the live stream.
    expect(await page.locator('[data-siratu] .m.bot', { hasText: number }).count()).toBe(1);
    const ticket = await server.app.store.tickets.byNumber(number);
    expect(ticket).toMatchObject({ reporterPhone: '081234567890', kecamatan: 'Palu Barat' });
    // The number never breaks across lines, and one tap copies it.
    const numberBox = await page.locator('[data-siratu] .m.bot .nw', { hasText: number }).last().boundingBox();
    expect(numberBox!.height).toBeLessThan(30);
    await shot('4-ticket');
    const copy = page.locator('[data-siratu] .m.bot .copy').last();
    await copy.tap();
    expect(await until(() => copy.textContent(), (text) => /disalin/.test(text ?? ''))).toMatch(/disalin/);
  });

  it('shows HTML typed by a citizen as literal text, and runs no script', async () => {
    const evil = '<img src=x onerror="window.__pwned=1"> <b>tebal</b>';
    await type(evil);
    const mine = page.locator('[data-siratu] .m.me').last();
    expect(await until(() => mine.textContent(), (text) => (text ?? '').includes(evil))).toContain(evil);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-siratu] .log img, [data-siratu] .log b').count()).toBe(0);
  });

  it('keeps the history after a reload', async () => {
    await page.reload();
    await panel().waitFor({ state: 'visible' });
    await page.locator('[data-siratu] .m.bot', { hasText: TICKET }).waitFor();
    expect(await page.locator('[data-siratu] .m.me', { hasText: 'akte lahir anak saya bawa apa aja?' }).count()).toBe(1);
    expect(await page.locator('[data-siratu] .m.me', { hasText: '<img src=x' }).count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await shot('5-after-reload');
  });

  it('an officer reply arrives live, marked "Petugas"', async () => {
    const session = await page.evaluate(() => Object.entries(localStorage).find(([key]) => key.startsWith('siratu.session'))?.[1]);
    expect(session).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const { store, dispatcher } = server.app;
    const conversation = await store.conversations.open(await store.contacts.upsert('web', senderIdOf(session!)));
    const { message } = await store.messages.add({
      conversationId: conversation.id,
      contactId: conversation.contactId,
      channel: 'web',
      direction: 'out',
      author: 'agent',
      authorId: 'petugas-1',
      text: 'Selamat siang, saya *Rina*, petugas Disdukcapil. Pengaduan Anda sudah kami terima dan sedang kami periksa.',
    });
    dispatcher.events.emit('message', message, conversation);
    const agent = page.locator('[data-siratu] .m.agent', { hasText: 'Rina' });
    await agent.waitFor();
    expect(await agent.locator('.who').textContent()).toBe('Petugas');
    await shot('6-agent');
  });

  it('a message sent from another tab shows up in this one, with its reply, once', async () => {
    const other = await context.newPage(); // same browser profile: same localStorage, same session
    await other.goto(`${server.base}/`);
    await other.locator('[data-siratu] .m.agent').waitFor(); // history loaded
    const input = other.locator('[data-siratu] textarea');
    await input.fill('jam buka kantor');
    await input.press('Enter');
    await page.locator('[data-siratu] .m.me', { hasText: 'jam buka kantor' }).waitFor();
    await until(() => page.locator('[data-siratu] .m.bot').count(), () => false, 300);
    expect(await page.locator('[data-siratu] .m.me', { hasText: 'jam buka kantor' }).count()).toBe(1);
    const last = page.locator('[data-siratu] .log > .m:not(.typing)').last();
    expect(await last.getAttribute('class')).toMatch(/bot/);
    await other.close();
  });

  it('when the network fails, says so in Indonesian and keeps the typed text', async () => {
    await page.route('**/webchat/api/messages', (route) => (route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.continue()));
    const input = page.locator('[data-siratu] textarea');
    await input.fill('syarat KTP hilang');
    await input.press('Enter');
    const alert = page.locator('[data-siratu] .alert');
    await alert.waitFor({ state: 'visible' });
    expect(await alert.textContent()).toMatch(/koneksi internet/);
    expect(await input.inputValue()).toBe('syarat KTP hilang');
    await shot('7-offline');
    await page.unroute('**/webchat/api/messages');
    await input.press('Enter');
    await lastBot().filter({ hasText: /KTP/ }).waitFor();
    expect(await alert.isVisible()).toBe(false);
  });

  it('attaches a photo to a complaint: thumbnail in the bubble at once, the caption as the story, the ticket keeps it', async () => {
    // A "photo" of a paper form on a desk: 320×240, built byte by byte.
    const photo = makePng(320, 240, (x, y) => {
      const onPaper = x >= 48 && x < 272 && y >= 20 && y < 224;
      if (!onPaper) return [128 + ((x + y) % 24), 92 + ((x * 3) % 10), 60];
      if (y >= 28 && y < 46) return [10, 88, 168]; // blue letterhead
      const line = (y - 60) % 18 < 4 && y >= 60 && y < 210 && x >= 64 && x < (y % 36 < 18 ? 256 : 210);
      return line ? [120, 128, 136] : [250, 250, 246];
    });
    const fileInput = page.locator('[data-siratu] input[type=file]');
    const input = page.locator('[data-siratu] textarea');
    const alert = page.locator('[data-siratu] .alert');

    const clip = page.locator('[data-siratu] .clip');
    expect(await clip.getAttribute('aria-label')).toBe('Lampirkan foto atau dokumen');
    const clipBox = (await clip.boundingBox())!;
    expect(Math.min(clipBox.width, clipBox.height)).toBeGreaterThanOrEqual(44);
    expect(clipBox.x + clipBox.width).toBeLessThanOrEqual((await input.boundingBox())!.x); // left of the input
    expect(await fileInput.getAttribute('accept')).toBe('image/*,application/pdf');
    expect(await fileInput.getAttribute('capture')).toBeNull(); // the gallery stays available on phones

    await type('mau buat pengaduan');
    await lastBot().filter({ hasText: /tentang apa/ }).waitFor();
    await type('2');
    await lastBot().filter({ hasText: /Ceritakan/ }).waitFor();

    // Refused in the browser, before any upload: too big, wrong type. What was typed stays.
    const story = 'Petugas loket minta uang tambahan supaya KTP cepat jadi. Ini foto formulirnya.';
    await input.fill(story);
    await fileInput.setInputFiles({ name: 'video.png', mimeType: 'image/png', buffer: Buffer.alloc(5 * 1024 * 1024 + 10) });
    expect(await alert.textContent()).toMatch(/terlalu besar.*5 MB/);
    await fileInput.setInputFiles({ name: 'catatan.txt', mimeType: 'text/plain', buffer: Buffer.from('halo') });
    expect(await alert.textContent()).toMatch(/Jenis berkas ini tidak bisa dikirim/);
    // Refused by the server (the bytes are not an image although the name says so).
    await fileInput.setInputFiles({ name: 'foto.png', mimeType: 'image/png', buffer: Buffer.from('bukan gambar sama sekali') });
    expect(await until(() => alert.textContent(), (text) => /JPG, PNG/.test(text ?? ''))).toMatch(/Kirim foto \(JPG, PNG, WebP, GIF\) atau dokumen PDF/);
    expect(await input.inputValue()).toBe(story);
    expect(await page.locator('[data-siratu] .m.me', { hasText: 'foto.png' }).count()).toBe(0);
    await shot('10a-attachment-refused');

    // The real photo: the bubble shows at once, pending, with the thumbnail and the name.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/webchat/api/attachments', async (route) => {
      await released;
      await route.continue();
    });
    await fileInput.setInputFiles({ name: 'formulir-loket.png', mimeType: 'image/png', buffer: photo });
    const mine = page.locator('[data-siratu] .m.me').last();
    await page.locator('[data-siratu] .m.me.pending').waitFor();
    expect(await mine.locator('.fn').textContent()).toBe('formulir-loket.png');
    expect(await mine.locator('.fn svg').count()).toBe(1); // the paperclip
    expect(await mine.textContent()).toContain(story);
    expect(await mine.locator('.t').textContent()).toBe('mengirim…');
    expect(await page.locator('[data-siratu] .clip').isDisabled()).toBe(true);
    expect(await alert.isVisible()).toBe(false);
    expect(await input.inputValue()).toBe('');
    release();
    await page.locator('[data-siratu] .m.me.pending').waitFor({ state: 'detached' });
    await page.unroute('**/webchat/api/attachments');
    await lastBot().filter({ hasText: /kecamatan atau kelurahan/ }).waitFor();

    const thumb = mine.locator('img.thumb');
    expect(await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    const thumbBox = (await thumb.boundingBox())!;
    expect(thumbBox.width).toBeLessThanOrEqual(200);
    expect(thumbBox.height).toBeGreaterThan(100);
    expect(await inView(thumb)).toBe(true);
    // Tapping the thumbnail opens the stored photo in a new tab.
    const href = (await mine.locator('a.ph').getAttribute('href'))!;
    expect(href).toMatch(/\/webchat\/api\/files\/[A-Za-z0-9_-]+\?session=/);
    expect(await mine.locator('a.ph').getAttribute('target')).toBe('_blank');
    await shot('10-attachment');

    await option('Lewati').tap();
    await lastBot().filter({ hasText: /nama/i }).waitFor();
    await option('Lewati').tap();
    await lastBot().filter({ hasText: /Nomor HP/ }).waitFor();
    await option('Lewati').tap();
    await lastBot().filter({ hasText: /Lampiran: 1 berkas/ }).waitFor();
    await option('Ya, kirim').tap();
    await lastBot().filter({ hasText: TICKET }).waitFor();
    const number = (await lastBot().textContent())!.match(TICKET)![0];
    const ticket = (await server.app.store.tickets.byNumber(number))!;
    expect(ticket.description).toBe(story);
    expect(ticket.attachments).toEqual([{ kind: 'image', key: expect.any(String), fileName: 'formulir-loket.png', mimeType: 'image/png', size: photo.length }]);
    expect(href).toContain(ticket.attachments[0]!.key);
    await shot('10b-attachment-ticket');

    // A PDF sent right after filing joins the ticket, and shows as a link with its name and size.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 0x20), Buffer.from('\n%%EOF\n')]);
    await fileInput.setInputFiles({ name: 'Surat pernyataan.pdf', mimeType: 'application/pdf', buffer: pdf });
    await lastBot().filter({ hasText: `Lampiran sudah ditambahkan ke pengaduan ${number}` }).waitFor();
    const doc = page.locator('[data-siratu] .m.me').last().locator('a.fn');
    expect(await doc.textContent()).toBe('Surat pernyataan.pdf (3 KB)');
    expect(await doc.getAttribute('href')).toMatch(/\/webchat\/api\/files\/[A-Za-z0-9_-]+\?session=/);
    expect((await doc.boundingBox())!.height).toBeGreaterThanOrEqual(40);
    expect((await server.app.store.tickets.byNumber(number))!.attachments.map((a) => a.mimeType)).toEqual(['image/png', 'application/pdf']);
    await shot('10c-attachment-pdf');

    // Another tab shows it from the history, loaded from the server; the full-size view is the photo itself, nothing else.
    const other = await context.newPage();
    await other.goto(`${server.base}/`);
    const fromHistory = other.locator('[data-siratu] .m.me img.thumb').last();
    await fromHistory.waitFor();
    expect(await until(() => fromHistory.evaluate((img: HTMLImageElement) => img.naturalWidth), (width) => width === 320)).toBe(320);
    const full = await other.goto(href);
    expect(full!.headers()['content-type']).toBe('image/png');
    expect(full!.headers()['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(await other.evaluate(() => document.images[0]?.naturalWidth)).toBe(320);
    await other.close();
  });

  it('closing the chat on the phone shows the demo page and a round chat button', async () => {
    await page.locator('[data-siratu] .x').tap();
    expect(await panel().isVisible()).toBe(false);
    const fab = page.locator('[data-siratu] .fab');
    expect(await fab.isVisible()).toBe(true);
    const box = (await fab.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(56);
    expect(await page.locator('h1').textContent()).toBe('SIRATU');
    await shot('9-demo-page');
    await fab.tap();
    await panel().waitFor({ state: 'visible' });
  });

  it('on a wide screen the chat is a floating panel that closes to a round button', async () => {
    const desktop = await context.newPage();
    await desktop.setViewportSize({ width: 1280, height: 800 });
    await desktop.goto(`${server.base}/`);
    const box = (await desktop.locator('[data-siratu] .panel').boundingBox())!;
    expect(box.width).toBeLessThan(420);
    await desktop.locator('[data-siratu] .m.bot', { hasText: TICKET }).last().waitFor();
    await desktop.screenshot({ path: join(ARTIFACTS, 'webchat-8-desktop.png') });
    await desktop.locator('[data-siratu] .x').click();
    expect(await desktop.locator('[data-siratu] .panel').isVisible()).toBe(false);
    expect(await desktop.locator('[data-siratu] .fab').isVisible()).toBe(true);
    await desktop.close();
  });
});
