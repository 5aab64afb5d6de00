/**
 * The knowledge-base editor end to end, in a real Chromium, on TWO app
 * instances sharing one database and one Redis (as behind a load balancer):
 * staff use the admin area on instance A, a citizen chats with the web chat
 * widget on instance B.
 *
 * An admin changes the requirements of "KTP-el hilang" (ktp-hilang-rusak)
 * and submits; the bot still gives the old answer. A supervisor, in a second
 * browser context, tries a question before/after and approves: the citizen's
 * very next question on B gets the new checklist (no restart, no waiting for
 * a cache). The supervisor rolls back from the history: the old checklist
 * is back at once. Along the way: the overdue flag in the list, only the
 * buttons each role may use, the import report, a 390 px phone, and no CSP
 * violation or script error anywhere. Screenshots: docs/screenshots/kb-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { startAdminApp, type AdminTestApp } from './helpers/admin.js';
import { LAPTOP, launchChromium, openContext, PHONE, signIn, WidgetCitizen, type Problems } from './helpers/browser.js';
import { makeStaff, PASSWORD } from './helpers/inbox.js';
import { makeTempDir } from './helpers/tmp.js';
import { emptyRedis } from './helpers/redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379/7';
const SHOTS = join(process.cwd(), 'docs', 'screenshots');
const ENTRY = 'ktp-hilang-rusak';
const QUESTION = 'ktp sy ilang gmn urusnya';
const ANSWER = /Syarat yang perlu dibawa/u;
const NEW_LINE = 'Fotokopi KTP-el yang hilang, bila masih ada';
const CHANGED_LINE = 'Surat keterangan kehilangan dari Polsek atau Polres (jika KTP-el hilang)';

const data = makeTempDir('siratu-kb-browser-');
let a: AdminTestApp;
let b: AdminTestApp;
let browser: Browser;
const problems: Problems = [];

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `kb-${name}.png`), fullPage });
const noSidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await emptyRedis(REDIS_URL);
  a = await startAdminApp({ REDIS_URL }, { dataDir: data.dir });
  b = await startAdminApp({ REDIS_URL }, { dataDir: data.dir });
  const adi = await makeStaff(a.app, 'adi', 'admin', { displayName: 'Adi Pratama' });
  await makeStaff(a.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
  const budi = await makeStaff(a.app, 'budi', 'agent', { displayName: 'Budi Santoso' });
  // A working knowledge base: two entries past their review date, and an agent's change waiting.
  const { store, editor } = a.app;
  for (const [id, lastReviewed] of [['legalisir', '2026-03-02'], ['ikd', '2026-04-10']] as const) {
    const current = (await store.knowledge.get(id))!;
    const draft = await editor.saveDraft(adi, { entry: { ...current.entry, lastReviewed } });
    await editor.submit(adi, draft.id);
    await editor.approve(adi, draft.id, 'Tanggal tinjau dari arsip lama');
  }
  const akta = (await store.knowledge.get('akta-kelahiran'))!.entry;
  const proposal = await editor.saveDraft(budi, { entry: { ...akta, phrases: [...akta.phrases, 'bikin akte anak yg lahir di rumah'] } });
  await editor.submit(budi, proposal.id);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await b?.close();
  await a?.close();
  data.remove();
  await emptyRedis(REDIS_URL);
});

describe('an admin edits "KTP-el hilang", a supervisor approves, the citizen gets the new answer at once', () => {
  let citizen: WidgetCitizen;
  let admin: Page;
  let supervisor: Page;
  let before = '';

  beforeAll(async () => {
    citizen = new WidgetCitizen((await openContext(browser, problems, PHONE, true)).page);
    ({ page: admin } = await openContext(browser, problems, { width: 1280, height: 1000 }, false));
    ({ page: supervisor } = await openContext(browser, problems, LAPTOP, false));
  });

  it('the citizen (web chat on instance B) gets today\'s checklist', async () => {
    await citizen.open(b.base);
    before = await citizen.ask(QUESTION, ANSWER);
    expect(before).toContain('KTP-el hilang atau rusak');
    expect(before).toContain('Surat keterangan kehilangan dari kepolisian (jika KTP-el hilang)');
    expect(before).not.toContain(NEW_LINE);
  });

  it('the admin finds the entry in the list: overdue entries are flagged, a draft waits', async () => {
    await signIn(admin, a.base, 'adi', PASSWORD, '/admin/knowledge');
    const overdue = admin.locator('.kb-item.kb-overdue');
    expect(await overdue.count()).toBe(2);
    expect(await overdue.first().textContent()).toMatch(/Perlu ditinjau ulang/u);
    expect(await admin.locator('.kb-waiting').textContent()).toContain('Akta kelahiran');
    expect(await admin.locator('.kb-count').textContent()).toMatch(/24 dari 24 entri · 2 perlu ditinjau ulang/u);
    await shot(admin, 'list');

    await admin.getByLabel('Cari entri').fill('ktp hilang');
    await admin.getByRole('button', { name: 'Cari' }).click();
    await admin.waitForURL(/q=ktp\+hilang/u);
    await admin.locator('.kb-title', { hasText: 'KTP-el hilang atau rusak' }).click();
    await admin.waitForURL(new RegExp(`/admin/knowledge/entries/${ENTRY}$`, 'u'));
    expect(await admin.locator('.kb-wa .kb-bubble').first().textContent()).toContain('Syarat yang perlu dibawa');
  });

  it('edits the requirements, one per line, and sees the preview and the try box change as they type', async () => {
    await admin.getByRole('link', { name: 'Ubah isi' }).click();
    await admin.waitForURL(/\/edit$/u);
    const requirements = admin.getByLabel('Syarat yang perlu dibawa');
    const lines = (await requirements.inputValue()).split('\n');
    expect(lines[0]).toBe('Kartu Keluarga (KK)');
    lines[1] = CHANGED_LINE;
    lines.splice(2, 0, NEW_LINE);
    await requirements.fill(lines.join('\n'));
    await admin.getByLabel('Coba pertanyaan').fill(QUESTION);
    const live = admin.locator('#kb-live');
    await live.locator('.kb-wa .kb-bubble', { hasText: NEW_LINE }).waitFor();
    expect(await live.locator('.kb-web .kb-bubble strong', { hasText: 'Syarat yang perlu dibawa:' }).count()).toBe(1);
    await live.locator('.kb-try-result', { hasText: 'Dengan perubahan ini' }).waitFor();
    expect(await live.locator('.kb-try-result').first().textContent()).toContain('KTP-el hilang atau rusak');
    await admin.evaluate(() => window.scrollTo(0, 0));
    await shot(admin, 'edit-preview');

    // Reviewers see everything an editor sees; the admin just proposes here, a supervisor approves below.
    await admin.getByRole('button', { name: 'Simpan dan ajukan' }).click();
    await admin.waitForURL(/\/admin\/knowledge\/drafts\//u);
    expect(await admin.locator('.flash-ok').textContent()).toContain('Draf diajukan');
    const added = admin.locator('.kb-line-added');
    expect(await added.allTextContents()).toEqual([`+Ditambah: ${CHANGED_LINE}`, `+Ditambah: ${NEW_LINE}`]);
    expect(await admin.locator('.kb-line-removed').allTextContents()).toEqual(['−Dihapus: Surat keterangan kehilangan dari kepolisian (jika KTP-el hilang)']);
  });

  it('a submitted draft changes nothing for citizens yet', async () => {
    const answer = await citizen.ask(QUESTION, ANSWER);
    expect(answer).not.toContain(NEW_LINE);
    expect(answer).toContain('Surat keterangan kehilangan dari kepolisian');
  });

  it('the supervisor reviews: diff, before/after for a citizen question, and approves', async () => {
    await signIn(supervisor, a.base, 'sari', PASSWORD, '/admin/knowledge');
    await supervisor.locator('.kb-waiting li', { hasText: 'KTP-el hilang atau rusak' }).getByRole('link', { name: 'Periksa dan setujui' }).click();
    await supervisor.waitForURL(/\/admin\/knowledge\/drafts\//u);
    expect(await supervisor.locator('.kb-diff-field h3').allTextContents()).toEqual(['Syarat yang perlu dibawa (+2, −1)']);
    await shot(supervisor, 'diff', true);

    await supervisor.getByLabel('Pesan warga').fill('kalau ktp hilang bawa fotokopi ktp lama?');
    await supervisor.getByRole('button', { name: 'Coba', exact: true }).click();
    const results = supervisor.locator('.kb-compare .kb-try-result');
    await results.nth(1).waitFor();
    expect(await results.nth(0).textContent()).toContain('Sekarang (versi tayang)');
    expect(await results.nth(1).textContent()).toContain('Dengan draf ini');
    for (const index of [0, 1]) {
      expect(await results.nth(index).locator('.kb-try-action').textContent()).toContain('KTP-el hilang atau rusak');
      expect(await results.nth(index).textContent()).toMatch(/Keyakinan \d+%/u);
      expect(await results.nth(index).locator('.kb-word').count()).toBeGreaterThan(0);
    }
    await supervisor.locator('#coba').scrollIntoViewIfNeeded();
    await shot(supervisor, 'try-before-after');

    await supervisor.getByRole('button', { name: 'Setujui dan terbitkan' }).click();
    await supervisor.waitForURL(new RegExp(`/admin/knowledge/entries/${ENTRY}\\?pesan=terbit$`, 'u'));
    expect(await supervisor.locator('.flash-ok').textContent()).toContain('langsung memakai isi baru');
  });

  it('the citizen\'s very next question, on the other instance, gets the new checklist', async () => {
    const answer = await citizen.ask(QUESTION, ANSWER);
    expect(answer).toContain(NEW_LINE);
    expect(answer).toContain(CHANGED_LINE);
    expect(answer).not.toContain('Surat keterangan kehilangan dari kepolisian');
  });

  it('the supervisor rolls back from the history; the old checklist is back at once', async () => {
    await supervisor.getByRole('link', { name: 'Riwayat versi' }).click();
    await supervisor.waitForURL(/\/history$/u);
    expect(await supervisor.locator('.kb-version-current h2').textContent()).toBe('Versi 2');
    expect(await supervisor.locator('.kb-version-current .kb-line-added').count()).toBe(2);
    await shot(supervisor, 'history');
    await supervisor.getByRole('button', { name: 'Kembalikan ke versi 1' }).click();
    await supervisor.waitForURL(/pesan=kembali$/u);
    expect(await supervisor.locator('.kb-version-current h2').textContent()).toBe('Versi 3');
    expect(await supervisor.locator('.kb-version-current').textContent()).toContain('Dikembalikan ke versi 1');

    const answer = await citizen.ask(QUESTION, ANSWER);
    expect(answer).not.toContain(NEW_LINE);
    expect(answer).toContain('Surat keterangan kehilangan dari kepolisian (jika KTP-el hilang)');
    // The same text as at the start (whose bubble also carried the one-time privacy notice).
    expect(before.startsWith(answer)).toBe(true);
  });

  it('an agent sees no approve, roll-back or withdraw buttons', async () => {
    const { page: agent } = await openContext(browser, problems, LAPTOP, false);
    await signIn(agent, a.base, 'budi', PASSWORD, '/admin/knowledge');
    expect(await agent.locator('.kb-waiting').getByRole('link', { name: 'Lihat' }).count()).toBeGreaterThan(0);
    await agent.goto(`${a.base}/admin/knowledge/entries/${ENTRY}/history`);
    expect(await agent.getByRole('button', { name: /Kembalikan ke versi/u }).count()).toBe(0);
    await agent.goto(`${a.base}/admin/knowledge/entries/${ENTRY}`);
    expect(await agent.getByText('Tarik entri dari jawaban bot').count()).toBe(0);
    await agent.goto(`${a.base}/admin/knowledge`);
    await agent.locator('.kb-waiting a', { hasText: 'Akta kelahiran' }).first().click();
    expect(await agent.getByRole('button', { name: 'Setujui dan terbitkan' }).count()).toBe(0);
    expect(await agent.getByText('Menunggu supervisor atau admin').count()).toBe(1);
    await agent.context().close();
  });

  it('the try-a-question page explains a pick in plain words', async () => {
    await supervisor.goto(`${a.base}/admin/knowledge/try`);
    await supervisor.getByLabel('Pesan warga').fill('akte lahir anak sy bawa apa aja');
    await supervisor.getByRole('button', { name: 'Coba' }).click();
    await supervisor.locator('.kb-try-result').waitFor();
    expect(await supervisor.locator('.kb-try-action').textContent()).toContain('Akta kelahiran');
    expect(await supervisor.locator('.kb-try-result').textContent()).toMatch(/Kata yang menentukan/u);
    await shot(supervisor, 'try');
  });

  it('an import with a broken row changes nothing and names the row and the field', async () => {
    await supervisor.goto(`${a.base}/admin/knowledge/import`);
    const csv = [
      'id,title,document,summary,requirements,where,cost,processingTime,legalBasis,lastReviewed',
      '"kia","Kartu Identitas Anak (KIA)","kia","KIA adalah kartu identitas untuk anak di bawah 17 tahun.","Akta kelahiran anak\nKK orang tua","{{office.shortName}}","Gratis","Selesai hari itu juga","Permendagri 2/2016","2026-11-20"',
      '"pindah-luar-negeri","Pindah ke luar negeri","pindah","Pendek","Paspor","Kantor","Gratis","1 hari","","2026-11-20"',
      '"ikd","Identitas Kependudukan Digital (IKD)","ikd","IKD adalah KTP-el dalam bentuk aplikasi di HP.","KTP-el","{{office.shortName}}","Gratis","Langsung","Permendagri 72/2022","2026-13-01"',
    ].join('\r\n');
    await supervisor.setInputFiles('#kb-file', { name: 'basis.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await supervisor.getByLabel('Periksa saja dulu, jangan ubah apa pun').uncheck();
    await supervisor.getByRole('button', { name: 'Impor' }).click();
    const report = supervisor.locator('#kb-import-report .kb-report');
    await report.waitFor();
    expect(await report.locator('.flash-error').textContent()).toContain('Tidak ada yang diubah: 2 baris perlu diperbaiki');
    const bad = report.locator('tr.kb-row-bad');
    expect(await bad.count()).toBe(2);
    expect(await bad.nth(0).locator('td').first().textContent()).toBe('3');
    expect(await bad.nth(0).locator('.field-error li').allTextContents()).toEqual(['Ringkasan: terlalu pendek (paling sedikit 10 huruf)', 'Dasar hukum: setiap entri wajib mencantumkan dasar hukum']);
    expect(await bad.nth(1).locator('td').first().textContent()).toBe('4');
    expect(await bad.nth(1).locator('.field-error li').allTextContents()).toEqual(['Terakhir ditinjau: tanggal tidak ada di kalender']);
    // The valid row was not applied either.
    expect(await report.locator('tr', { hasText: 'Kartu Identitas Anak' }).locator('td').last().textContent()).toBe('Tidak diterapkan');
    expect((await a.app.store.knowledge.get('kia'))!.version).toBe(1);
    await report.scrollIntoViewIfNeeded();
    await shot(supervisor, 'import');
  });

  it('on a 390 px phone the list, the edit form and its preview fit the screen', async () => {
    const { page: phone } = await openContext(browser, problems, { width: 390, height: 844 }, true);
    await signIn(phone, a.base, 'adi', PASSWORD, '/admin/knowledge');
    expect(await noSidewaysScroll(phone)).toBe(true);
    await phone.locator('main h1').evaluate((heading) => heading.scrollIntoView());
    await phone.evaluate(() => window.scrollBy(0, -12));
    await shot(phone, 'phone-list');
    await phone.goto(`${a.base}/admin/knowledge/entries/${ENTRY}/edit`);
    expect(await noSidewaysScroll(phone)).toBe(true);
    await phone.getByLabel('Coba pertanyaan').fill(QUESTION);
    await phone.locator('#kb-live .kb-try-result').first().waitFor();
    await phone.locator('#pratinjau').scrollIntoViewIfNeeded();
    expect(await noSidewaysScroll(phone)).toBe(true);
    await shot(phone, 'phone-preview');
    await phone.context().close();
  });

  it('nothing failed on any page: no script error, no CSP violation, no failed request', () => {
    expect(problems).toEqual([]);
  });
});
