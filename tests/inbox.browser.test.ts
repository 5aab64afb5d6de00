/**
 * The inbox end to end in a real Chromium with TWO browser contexts: a
 * citizen in the web chat widget on a 360×740 phone, and an agent on a
 * 1280×800 laptop. The citizen asks for a human; the agent sees it arrive
 * live in "Menunggu" (no reload), claims it, replies; the citizen sees the
 * reply; the bot stays silent; the agent uses a canned response and a
 * ticket action, closes; the citizen is asked for a rating and taps 5.
 * HTML typed by a citizen shows as text in the list, the conversation and
 * live updates, and runs nothing. The strict CSP must not block anything
 * (a violation or a page error fails the test).
 *
 * The office is open around the clock in this test's store (outside office
 * hours a handoff becomes a ticket), and the agent has capacity 0 so
 * auto-assignment leaves the conversation for her to claim by hand.
 * Screenshots: tests/artifacts/inbox-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { senderIdOf } from '../channels/webchat/session.js';
import type { AdminTestApp } from './helpers/admin.js';
import { until } from './helpers/admin.js';
import { makeStaff, PASSWORD, startInboxApp } from './helpers/inbox.js';
import { launchChromium, openContext as openBrowserContext, signIn as signInAs } from './helpers/browser.js';
import { makePng } from './helpers/webchat.js';

const ARTIFACTS = join(process.cwd(), 'tests', 'artifacts');
const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let server: AdminTestApp;
let browser: Browser;
const problems: string[] = [];

const openContext = (viewport: { width: number; height: number }, phone: boolean) => openBrowserContext(browser, problems, viewport, phone);

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(ARTIFACTS, `inbox-${name}.png`), fullPage });
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
const pwned = (page: Page) => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);

const signIn = (page: Page, username: string) => signInAs(page, server.base, username, PASSWORD, '/admin/inbox');

/** Some conversations from other channels, so the list looks like a working day. */
async function seedOtherConversations() {
  const { dispatcher, store, helpdesk } = server.app;
  const budi = (await store.users.byUsername('budi'))!;
  await dispatcher.receive({ channel: 'telegram', senderId: '51234567', senderName: 'Rahmat Hidayat', text: 'syarat pindah domisili ke Palu apa saja?' });
  await dispatcher.receive({ channel: 'telegram', senderId: '51234567', text: 'saya mau bicara dengan petugas saja' });
  await dispatcher.receive({ channel: 'telegram', senderId: '51234567', text: 'sudah 2 kali ke kantor tapi berkas SKPWNI belum jadi' });
  await dispatcher.receive({ channel: 'whatsapp', senderId: '6281234567890@s.whatsapp.net', senderName: 'Siti Aminah', text: 'akta kelahiran anak saya salah nama, bagaimana cara betulkan?' });
  await dispatcher.receive({ channel: 'whatsapp', senderId: '6281234567890@s.whatsapp.net', text: 'tolong sambungkan ke petugas' });
  const siti = await store.conversations.open(await store.contacts.upsert('whatsapp', '6281234567890@s.whatsapp.net'));
  await helpdesk.claim(siti.id, budi);
  await helpdesk.reply(siti.id, budi, { text: 'Baik Bu Siti, mohon kirim foto akta dan KK ya.' });
  // A "photo" of a birth certificate: a pale sheet with a green border and lines of text.
  const photo = makePng(240, 170, (x, y) => {
    if (x < 6 || y < 6 || x > 233 || y > 163) return [40, 120, 80];
    if (y > 24 && y < 36 && x > 60 && x < 180) return [30, 30, 30];
    return (y - 50) % 16 < 3 && y > 50 && y < 150 && x > 24 && x < 216 ? [120, 120, 120] : [250, 247, 235];
  });
  const key = await store.files.put(photo, { fileName: 'akta-anak.png', mimeType: 'image/png' });
  await dispatcher.receive({
    channel: 'whatsapp',
    senderId: '6281234567890@s.whatsapp.net',
    text: 'ini foto aktanya, nama anak saya harusnya Nur Aisyah',
    attachments: [{ kind: 'image', key, fileName: 'akta-anak.png', mimeType: 'image/png', size: photo.length }],
  });
  await helpdesk.setLabels(siti.id, ['pembetulan-akta']);
  await dispatcher.tickets.create({ contactId: siti.contactId, conversationId: siti.id, channel: 'whatsapp', category: 'data-salah', description: 'Nama anak di akta kelahiran salah ketik', kecamatan: 'Palu Timur' });
  await dispatcher.receive({ channel: 'web', senderId: 'warga-demo-1', text: 'jam buka kantor dukcapil hari sabtu?' });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startInboxApp();
  const { store } = server.app;
  await makeStaff(server.app, 'ani', 'agent', { capacity: 0, displayName: 'Ani Lestari' });
  await makeStaff(server.app, 'budi', 'agent', { displayName: 'Budi Santoso' });
  await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
  await store.cannedResponses.create({ shortcut: 'salam', title: 'Salam pembuka', text: 'Selamat siang, saya petugas Disdukcapil Kota Palu. Ada yang bisa kami bantu?', ownerId: null });
  await store.cannedResponses.create({ shortcut: 'syarat-ktp-hilang', title: 'Syarat KTP-el hilang', text: 'Untuk KTP-el hilang, bawa: surat kehilangan dari kepolisian dan fotokopi KK. Layanan gratis.', ownerId: null });
  await store.cannedResponses.create({ shortcut: 'jam-layanan', title: 'Jam layanan', text: 'Kantor buka Senin–Kamis 08.00–15.00 dan Jumat 08.00–11.30 WITA.', ownerId: null });
  await seedOtherConversations();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a citizen asks for a human; an agent takes it from the live inbox', () => {
  let citizen: Page;
  let agent: Page;
  let conversationId = '';
  const widget = (selector: string, options?: { hasText?: string | RegExp }) => citizen.locator(`[data-siratu] ${selector}`, options);
  const botBubbles = () => widget('.m.bot');

  async function citizenTypes(text: string) {
    const input = widget('textarea');
    await input.fill(text);
    await input.press('Enter');
    expect(await until(() => input.inputValue(), (value) => value === '', 8000)).toBe('');
    await widget('.send:not([disabled])').waitFor();
  }

  beforeAll(async () => {
    ({ page: citizen } = await openContext({ width: 360, height: 740 }, true));
    ({ page: agent } = await openContext({ width: 1280, height: 800 }, false));
  });

  it('the agent signs in and has Menunggu open, live', async () => {
    await signIn(agent, 'ani');
    expect(await agent.locator('.tab[aria-current="page"]').textContent()).toContain('Menunggu');
    await agent.locator('[data-live].is-live').waitFor();
    expect(await agent.locator('[data-live-text]').textContent()).toBe('Pembaruan langsung aktif');
    // Telegram's Rahmat waits; Siti (WhatsApp) is Budi's, not here.
    expect(await agent.locator('.conv-item', { hasText: 'Rahmat Hidayat' }).count()).toBe(1);
    expect(await agent.locator('.conv-item', { hasText: 'Siti Aminah' }).count()).toBe(0);
    await agent.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
  });

  it('the citizen asks for a human in the widget; the conversation arrives in Menunggu without a reload', async () => {
    await citizen.goto(`${server.base}/`);
    await widget('.panel').waitFor({ state: 'visible' });
    await citizenTypes('mau bicara dengan petugas');
    await botBubbles().filter({ hasText: /petugas/u }).last().waitFor();
    const session = await citizen.evaluate(() => Object.entries(localStorage).find(([key]) => key.startsWith('siratu.session'))?.[1]);
    const { store } = server.app;
    const conversation = await store.conversations.open(await store.contacts.upsert('web', senderIdOf(session!)));
    expect(conversation.state).toBe('waiting');
    conversationId = conversation.id;

    const row = agent.locator(`.conv-item[data-id="${conversationId}"]`);
    await row.waitFor();
    expect(await row.locator('.conv-preview').textContent()).toContain('mau bicara dengan petugas');
    expect(await row.locator('.state').textContent()).toMatch(/Menunggu petugas/u);
    expect(await row.getAttribute('class')).toMatch(/is-unread/u);
    expect(await agent.locator('[data-count="waiting"]').textContent()).toBe('2');
    // Same page, no reload.
    expect(await agent.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
    await shot(agent, 'list');
  });

  it('the agent opens it and claims it; the citizen is told', async () => {
    await agent.locator(`.conv-item[data-id="${conversationId}"] a`).click();
    await agent.waitForURL(new RegExp(`/admin/inbox/c/${conversationId}$`, 'u'));
    expect(await agent.locator('[data-state-label]').textContent()).toMatch(/Menunggu petugas/u);
    // Citizen left, bot right, each labelled.
    const citizenBubble = agent.locator('.msg-citizen', { hasText: 'mau bicara dengan petugas' });
    const botBubble = agent.locator('.msg-bot').last();
    expect(await botBubble.locator('.msg-who').textContent()).toBe('Bot');
    const logBox = (await agent.locator('[data-log]').boundingBox())!;
    const citizenBox = (await citizenBubble.locator('.bubble').boundingBox())!;
    const botBox = (await botBubble.locator('.bubble').boundingBox())!;
    expect(citizenBox.x - logBox.x).toBeLessThan(30);
    expect(logBox.x + logBox.width - (botBox.x + botBox.width)).toBeLessThan(30);

    await agent.getByRole('button', { name: 'Ambil percakapan' }).click();
    await agent.locator('.flash-ok', { hasText: 'sekarang Anda tangani' }).waitFor();
    expect(await agent.locator('[data-state-label]').textContent()).toBe('Anda tangani');
    expect(await agent.getByRole('button', { name: 'Ambil percakapan' }).isVisible()).toBe(false);
    await widget('.m.system', { hasText: 'Ani Lestari' }).waitFor().catch(async () => {
      // The widget may show system lines in its own style; the text is what matters.
      await citizen.locator('[data-siratu]', { hasText: 'Ani Lestari' }).waitFor();
    });
  });

  it('the agent replies with Enter; the citizen sees it in the widget, marked Petugas', async () => {
    const input = agent.locator('[data-reply]');
    await input.fill('Selamat siang, saya Ani dari Disdukcapil. Ada yang bisa saya bantu?');
    await input.press('Enter');
    await agent.locator('.msg-agent', { hasText: 'saya Ani dari Disdukcapil' }).waitFor();
    expect(await input.inputValue()).toBe('');
    expect(await agent.locator('.msg-agent .msg-who').last().textContent()).toBe('Petugas Ani Lestari');
    const reply = widget('.m.agent', { hasText: 'saya Ani dari Disdukcapil' });
    await reply.waitFor();
    expect(await reply.locator('.who').textContent()).toBe('Petugas');
  });

  it('the citizen writes again: it appears live for the agent, and the bot stays silent', async () => {
    const botsBefore = await botBubbles().count();
    await citizenTypes('KTP saya hilang waktu banjir, apa bisa dibuat ulang?');
    await agent.locator('.msg-citizen', { hasText: 'hilang waktu banjir' }).waitFor();
    await citizen.waitForTimeout(1500);
    expect(await botBubbles().count()).toBe(botsBefore);
    const last = citizen.locator('[data-siratu] .log > .m:not(.typing)').last();
    expect(await last.getAttribute('class')).toMatch(/\bme\b/u);
    const stored = await server.app.store.messages.list(conversationId);
    expect(stored.at(-1)).toMatchObject({ author: 'citizen' });
  });

  it('"/" opens the canned responses, filtered as you type; the keyboard picks one', async () => {
    const input = agent.locator('[data-reply]');
    await input.click();
    await input.pressSequentially('/');
    const pop = agent.locator('[data-canned-pop]');
    await pop.waitFor({ state: 'visible' });
    expect(await pop.locator('[role="option"]').count()).toBe(3);
    await input.pressSequentially('syarat');
    expect(await until(() => pop.locator('[role="option"]').count(), (n) => n === 1)).toBe(1);
    await input.press('Backspace');
    await input.press('Backspace');
    await input.press('Backspace');
    await input.press('Backspace');
    await input.press('Backspace');
    await input.press('Backspace');
    expect(await until(() => pop.locator('[role="option"]').count(), (n) => n === 3)).toBe(3);
    await input.press('ArrowDown');
    expect(await pop.locator('[aria-selected="true"] .shortcut').textContent()).toBe('/salam');
    await shot(agent, 'canned-popup');
    await input.pressSequentially('syarat');
    await input.press('Enter');
    expect(await pop.isVisible()).toBe(false);
    expect(await input.inputValue()).toMatch(/^Untuk KTP-el hilang, bawa: surat kehilangan/u);
    await input.press('Control+Enter');
    await widget('.m.agent', { hasText: 'surat kehilangan dari kepolisian' }).waitFor();
  });

  it('the ticket panel: status changed from the page reaches the citizen', async () => {
    const { store, dispatcher } = server.app;
    const conversation = (await store.conversations.get(conversationId))!;
    const ticket = await dispatcher.tickets.create({
      contactId: conversation.contactId,
      conversationId,
      channel: 'web',
      category: 'lambat',
      description: 'KTP-el hilang saat banjir, warga minta dicetak ulang',
      kecamatan: 'Palu Barat',
    });
    // The page says a ticket changed and offers a reload.
    await agent.locator('[data-changed]:not([hidden])').waitFor();
    await agent.locator('[data-reload]').click();
    const panel = agent.locator(`#t-${ticket.id}`);
    await panel.waitFor();
    expect(await panel.locator('.ticket-no').textContent()).toBe(ticket.number);
    await agent.locator('#note-text').fill('Warga sudah kirim foto surat kehilangan dari polsek.');
    await agent.getByRole('button', { name: 'Simpan catatan' }).click();
    await agent.locator('.note', { hasText: 'foto surat kehilangan' }).waitFor();
    await panel.locator('select[name="status"]').selectOption('diproses');
    await panel.locator('input[name="note"]').fill('Sedang dicetak ulang');
    await panel.getByRole('button', { name: 'Ubah status' }).click();
    await agent.locator('.flash-ok', { hasText: 'Status tiket diubah' }).waitFor();
    expect(await agent.locator(`#t-${ticket.id} .tk`).first().textContent()).toBe('Diproses');
    await widget('.m', { hasText: 'Sedang diproses' }).last().waitFor();
    await agent.evaluate(() => window.scrollTo(0, 0));
    await shot(agent, 'conversation');
    await shot(agent, 'conversation-full', true);
  });

  it('the agent closes; the citizen is asked for a rating and taps 5', async () => {
    await agent.getByRole('button', { name: 'Tutup' }).click();
    await agent.locator('.flash-ok', { hasText: 'Percakapan ditutup' }).waitFor();
    expect(await agent.locator('[data-state-label]').textContent()).toMatch(/^Selesai/u);
    expect(await agent.locator('[data-composer]').isVisible()).toBe(false);
    await botBubbles().filter({ hasText: 'penilaian Anda' }).last().waitFor();
    const five = widget('.opts .opt', { hasText: /^\s*5/u });
    await five.tap();
    await botBubbles().filter({ hasText: 'Terima kasih atas penilaian Anda' }).last().waitFor();
    const ratings = await server.app.store.ratings.list({});
    expect(ratings).toContainEqual(expect.objectContaining({ conversationId, score: 5 }));
    await citizen.screenshot({ path: join(ARTIFACTS, 'inbox-citizen-rating-360.png') });
  });

  it('"Semua terbuka" shows every open conversation with owner, tickets and labels; personal data masked for an agent', async () => {
    await agent.goto(`${server.base}/admin/inbox?view=open`);
    const siti = agent.locator('.conv-item', { hasText: 'Siti Aminah' });
    await siti.waitFor();
    expect(await siti.locator('.state').textContent()).toBe('Ditangani Budi Santoso');
    expect(await siti.locator('.tag').textContent()).toBe('pembetulan-akta');
    expect(await siti.locator('.tk').textContent()).toMatch(/^ADU-\d{4}-\d{6} · Baru$/u);
    await agent.waitForTimeout(2600); // past the "new row" highlight
    await shot(agent, 'list-open');
  });

  it('HTML typed by a citizen is text in the live list, after a reload, in the conversation and in live messages; no script runs', async () => {
    await agent.goto(`${server.base}/admin/inbox`);
    await agent.locator('[data-live].is-live').waitFor();
    await citizenTypes('mau bicara dengan petugas');
    await citizenTypes(EVIL);
    const { store } = server.app;
    const session = await citizen.evaluate(() => Object.entries(localStorage).find(([key]) => key.startsWith('siratu.session'))?.[1]);
    const conversation = await store.conversations.open(await store.contacts.upsert('web', senderIdOf(session!)));
    const row = agent.locator(`.conv-item[data-id="${conversation.id}"]`);
    await row.locator('.conv-preview', { hasText: 'window.__pwned=2' }).waitFor();
    expect(await row.locator('.conv-preview').textContent()).toContain(EVIL);
    expect(await agent.locator('[data-list] img, [data-list] script').count()).toBe(0);
    expect(await pwned(agent)).toBeUndefined();

    await agent.reload();
    await row.waitFor();
    expect(await row.locator('.conv-preview').textContent()).toContain(EVIL);
    expect(await agent.locator('[data-list] img, [data-list] script').count()).toBe(0);

    await row.locator('a').click();
    await agent.locator('.msg-citizen', { hasText: 'window.__pwned=2' }).waitFor();
    expect(await agent.locator('.msg-citizen .msg-text').last().textContent()).toBe(EVIL);
    await citizenTypes(`${EVIL} lagi`);
    await agent.locator('.msg-citizen', { hasText: 'window.__pwned=2</script> lagi' }).waitFor();
    expect(await agent.locator('[data-log] img, [data-log] script').count()).toBe(0);
    await agent.waitForTimeout(300);
    expect(await pwned(agent)).toBeUndefined();
    expect(await pwned(citizen)).toBeUndefined();
  });
});

describe('on a 360 px phone, and the canned responses page', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await openContext({ width: 360, height: 740 }, true));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('a supervisor reads the list and a conversation without sideways scrolling', async () => {
    await signIn(page, 'sari');
    await page.locator('.conv-item').first().waitFor();
    await page.locator('.tab', { hasText: 'Semua terbuka' }).tap();
    await page.locator('.conv-item', { hasText: 'Siti Aminah' }).waitFor();
    expect(await noSidewaysScroll(page)).toBe(true);
    await shot(page, 'phone-list');
    await page.locator('.conv-item', { hasText: 'Siti Aminah' }).locator('a').tap();
    await page.locator('.msg-agent').first().waitFor();
    // A supervisor sees the WhatsApp number in full.
    expect(await page.locator('.conv-sub').textContent()).toContain('081234567890');
    // The citizen's photo is a thumbnail served by the inbox (signed in only).
    const thumb = page.locator('.msg-citizen .file-thumb img');
    expect(await until(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), (width) => width === 240)).toBe(240);
    expect(await page.locator('.msg-citizen .file-thumb').getAttribute('href')).toMatch(/^\/admin\/inbox\/c\/[A-Z0-9]+\/files\/[A-Za-z0-9_-]+$/u);
    expect(await noSidewaysScroll(page)).toBe(true);
    const send = (await page.getByRole('button', { name: 'Kirim' }).boundingBox())!;
    expect(send.height).toBeGreaterThanOrEqual(40);
    await shot(page, 'phone-conversation');
    await shot(page, 'phone-conversation-full', true);
  });

  it('the canned responses page: a personal one is created and listed', async () => {
    await page.goto(`${server.base}/admin/inbox/canned`);
    await page.getByText('Buat jawaban cepat').tap();
    await page.getByLabel('Pintasan').first().fill('terima-kasih');
    await page.getByLabel('Judul').first().fill('Penutup');
    await page.getByLabel('Isi jawaban').first().fill('Terima kasih sudah menghubungi Disdukcapil Kota Palu. Semoga urusan Anda lancar.');
    await page.getByRole('button', { name: 'Simpan', exact: true }).tap();
    await page.locator('.flash-ok', { hasText: 'Jawaban cepat disimpan' }).waitFor();
    expect(await page.locator('.canned-item', { hasText: '/terima-kasih' }).count()).toBe(1);
    expect(await noSidewaysScroll(page)).toBe(true);
    await shot(page, 'phone-canned', true);
  });
});

describe('nothing went wrong in any page', () => {
  it('no CSP violation, script error or failed request', () => {
    expect(problems).toEqual([]);
  });
});
