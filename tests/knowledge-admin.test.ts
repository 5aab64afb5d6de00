/**
 * The knowledge-base pages over real HTTP on the real app: what staff see
 * (field errors next to the fields, only the buttons their role may use),
 * the draft → approval round trip changing the web chat's answer, the live
 * preview, export and import (CSV and JSON, round trip, row errors, the
 * 2 MB upload limit beside the area's 32 KB form limit, CSRF).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, createUser, startAdminApp, type AdminTestApp } from './helpers/admin.js';
import { WebCitizen } from './helpers/inbox.js';

const PASSWORD = 'basis pengetahuan kota';
let server: AdminTestApp;
let agent: Client;
let supervisor: Client;

async function signedIn(username: string): Promise<Client> {
  const client = new Client(server.base);
  expect((await client.login(username, PASSWORD)).status).toBe(303);
  return client;
}

/** The edit form's fields for an entry, as the page sends them (lists one per line). */
async function formOf(client: Client, path: string): Promise<Record<string, string>> {
  const html = await (await client.get(path)).text();
  const value = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`, 'u').exec(html)?.[1] ?? '';
  const text = (name: string) => decode(new RegExp(`name="${name}"[^>]*>([^<]*)</textarea>`, 'u').exec(html)?.[1] ?? '');
  return {
    _csrf: Client.csrfOf(html),
    basedOn: value('basedOn'),
    lastReviewed: value('lastReviewed'),
    id: value('id'),
    title: decode(value('title')),
    document: value('document'),
    summary: text('summary'),
    requirements: text('requirements'),
    steps: text('steps'),
    where: text('where'),
    cost: decode(value('cost')),
    processingTime: text('processingTime'),
    legalBasis: text('legalBasis'),
    phrases: text('phrases'),
    reviewIntervalDays: value('reviewIntervalDays'),
  };
}

const decode = (html: string) => html.replace(/&#39;/gu, "'").replace(/&quot;/gu, '"').replace(/&lt;/gu, '<').replace(/&gt;/gu, '>').replace(/&amp;/gu, '&');

/** A multipart upload the way the import page's script sends it. */
async function upload(client: Client, name: string, content: string | Buffer, options: { check?: boolean; csrf?: string | null } = {}): Promise<Response> {
  const body = new FormData();
  body.set('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), name);
  if (options.check) body.set('check', '1');
  const headers: Record<string, string> = { cookie: client.cookieHeader(), 'x-forwarded-for': client.ip, accept: 'application/json' };
  const csrf = options.csrf === undefined ? await client.csrf() : options.csrf;
  if (csrf) headers['x-csrf-token'] = csrf;
  return fetch(`${server.base}/admin/knowledge/import`, { method: 'POST', headers, body, redirect: 'manual' });
}

beforeAll(async () => {
  server = await startAdminApp();
  await createUser(server.app, { username: 'budi', password: PASSWORD, role: 'agent', displayName: 'Budi' });
  await createUser(server.app, { username: 'sari', password: PASSWORD, role: 'supervisor', displayName: 'Sari' });
  agent = await signedIn('budi');
  supervisor = await signedIn('sari');
});

afterAll(async () => {
  await server?.close();
});

describe('editing and approving', () => {
  it('a form with mistakes comes back with the message next to each field and the input kept', async () => {
    const form = await formOf(agent, '/admin/knowledge/entries/kk-baru/edit');
    expect(form.requirements.split('\n').length).toBeGreaterThan(2);
    const response = await agent.post('/admin/knowledge/entries/kk-baru/edit', { ...form, summary: 'KK baru', legalBasis: '\n  \n', requirements: `${form.requirements}\nX`, action: 'save' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Entri belum lengkap atau ada isian yang salah.');
    expect(html).toMatch(/id="err-summary">\s*<li>terlalu pendek \(paling sedikit 10 huruf\)<\/li>/u);
    expect(html).toMatch(/id="err-legalBasis">\s*<li>setiap entri wajib mencantumkan dasar hukum<\/li>/u);
    expect(html).toMatch(new RegExp(`id="err-requirements">\\s*<li>baris ${form.requirements.split('\n').length + 1}: terlalu pendek`, 'u'));
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('>KK baru</textarea>');
    expect(await server.app.store.drafts.list({ entryId: 'kk-baru' })).toEqual([]);
  });

  it('an agent submits a change; sees no approve button and may not approve; a supervisor approves and the web chat answers with it', async () => {
    const citizen = await WebCitizen.start(server.base);
    const question = 'syarat bikin kk baru apa aja';
    expect((await citizen.say(question)).map((m) => m.text).join('\n')).not.toContain('Surat nikah asli');

    const form = await formOf(agent, '/admin/knowledge/entries/kk-baru/edit');
    const saved = await agent.post('/admin/knowledge/entries/kk-baru/edit', { ...form, requirements: `${form.requirements}\nSurat nikah asli`, action: 'submit' });
    expect(saved.status).toBe(303);
    const draftPath = saved.headers.get('location')!.replace(/\?.*$/u, '');
    expect(draftPath).toMatch(/^\/admin\/knowledge\/drafts\/[0-9A-Z]+$/u);
    const page = await (await agent.get(`${draftPath}?pesan=diajukan`)).text();
    expect(page).toContain('Draf diajukan.');
    expect(page).toContain('Menunggu persetujuan');
    expect(page).not.toContain('Setujui dan terbitkan');
    expect(page).toMatch(/kb-line-added[^>]*>.*Surat nikah asli/u);
    expect((await agent.postWithCsrf(`${draftPath}/approve`, {}, { accept: 'application/json' })).status).toBe(403);
    expect((await citizen.say(question)).map((m) => m.text).join('\n')).not.toContain('Surat nikah asli');

    const review = await (await supervisor.get(draftPath)).text();
    expect(review).toContain('Setujui dan terbitkan');
    expect(review).toContain('Kembalikan ke penulis');
    const approved = await supervisor.post(`${draftPath}/approve`, { _csrf: Client.csrfOf(review) });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe('/admin/knowledge/entries/kk-baru?pesan=terbit');
    expect((await citizen.say(question)).map((m) => m.text).join('\n')).toContain('Surat nikah asli');

    const history = await (await agent.get('/admin/knowledge/entries/kk-baru/history')).text();
    expect(history).toContain('Versi 2');
    expect(history).not.toContain('Kembalikan ke versi');
    const asSupervisor = await (await supervisor.get('/admin/knowledge/entries/kk-baru/history')).text();
    expect(asSupervisor).toContain('Kembalikan ke versi 1');
  });

  it('a new entry may not reuse an existing code; a valid one becomes a draft of a new entry', async () => {
    const page = await (await agent.get('/admin/knowledge/new')).text();
    const fields = {
      _csrf: Client.csrfOf(page),
      id: 'ktp-baru',
      title: 'Surat keterangan pindah luar negeri',
      document: 'pindah',
      summary: 'Untuk warga yang pindah ke luar negeri dan perlu SKPLN.',
      requirements: 'KK\nKTP-el\nPaspor',
      where: '{{office.shortName}}',
      cost: 'Gratis',
      processingTime: 'Satu hari kerja',
      legalBasis: 'Perpres 96/2018',
      reviewedToday: '1',
      reviewIntervalDays: '180',
      action: 'save',
    };
    const taken = await agent.post('/admin/knowledge/new', fields);
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('Kode &quot;ktp-baru&quot; sudah dipakai entri');
    const created = await agent.post('/admin/knowledge/new', { ...fields, id: 'pindah-luar-negeri' });
    expect(created.status).toBe(303);
    const draft = (await server.app.store.drafts.list({ entryId: 'pindah-luar-negeri' }))[0]!;
    expect(draft).toMatchObject({ status: 'draft', baseVersion: null });
    expect(draft.entry.requirements).toEqual(['KK', 'KTP-el', 'Paspor']);
  });

  it('the live preview renders the answer for WhatsApp and web chat, and before/after for a question', async () => {
    const form = await formOf(agent, '/admin/knowledge/entries/ktp-hilang-rusak/edit');
    const response = await agent.post('/admin/knowledge/preview', { ...form, requirements: `${form.requirements}\nSurat pengantar RT`, tanya: 'ktp sy ilang gmn' });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain('<html');
    expect(html).toMatch(/kb-wa[\s\S]*<strong>Syarat yang perlu dibawa:<\/strong>[\s\S]*5\. Surat pengantar RT/u);
    expect(html).toContain('Sekarang (versi tayang)');
    expect(html).toContain('Dengan perubahan ini');
    expect(html).toContain('Disdukcapil Kota Palu');
    const broken = await (await agent.post('/admin/knowledge/preview', { ...form, legalBasis: '' })).text();
    expect(broken).toContain('Pratinjau belum bisa dibuat');
    expect(broken).toContain('Dasar hukum: setiap entri wajib mencantumkan dasar hukum');
  });

  it('the list flags entries past their review date and finds entries by what citizens write', async () => {
    const { editor, store } = server.app;
    const sari = (await store.users.byUsername('sari'))!;
    const old = (await store.knowledge.get('kia'))!.entry;
    const draft = await editor.saveDraft(sari, { entry: { ...old, lastReviewed: '2025-01-15', reviewIntervalDays: 90 } });
    await editor.submit(sari, draft.id);
    await editor.approve(sari, draft.id);
    const list = await (await agent.get('/admin/knowledge?saring=tinjau')).text();
    expect(list).toContain('Kartu Identitas Anak');
    expect(list).toContain('Perlu ditinjau ulang');
    expect(list).toContain('seharusnya ditinjau ulang sebelum 15 April 2025');
    expect(list).not.toContain('KTP-el hilang atau rusak');
    // A citizen's own wording (one of the entry's phrases) finds the entry.
    const search = await (await agent.get('/admin/knowledge?q=dompet+kecopetan')).text();
    expect(search).toContain('KTP-el hilang atau rusak');
    expect(search).toMatch(/1 dari \d+ entri/u);
  });
});

describe('export and import', () => {
  it('exports every published entry as JSON and CSV; importing either back changes nothing', async () => {
    const json = await agent.get('/admin/knowledge/export.json');
    expect(json.headers.get('content-disposition')).toMatch(/attachment; filename="basis-pengetahuan-\d{4}-\d{2}-\d{2}\.json"/u);
    const exported = (await json.json()) as { format: string; entries: { id: string }[] };
    expect(exported.format).toBe('siratu-knowledge');
    expect(exported.entries.length).toBe((await server.app.store.knowledge.published()).length);

    const csvResponse = await agent.get('/admin/knowledge/export.csv');
    expect(csvResponse.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await csvResponse.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8');
    expect(csv.split('\r\n')[0]).toBe('\uFEFF"id","title","document","situations","summary","requirements","steps","where","cost","processingTime","legalBasis","specialCases","phrases","related","lastReviewed","reviewIntervalDays"');

    const revision = await server.app.store.knowledge.revision();
    for (const [name, content] of [['basis.csv', csv], ['basis.json', JSON.stringify(exported)]] as const) {
      const response = await upload(supervisor, name, content);
      expect(response.status).toBe(200);
      const report = (await response.json()) as { applied: boolean; rows: { change: string }[] };
      expect(report.rows.length).toBe(exported.entries.length);
      expect(report.rows.every((row) => row.change === 'unchanged')).toBe(true);
    }
    expect(await server.app.store.knowledge.revision()).toBe(revision);
  });

  it('reads what Excel writes in Indonesia (semicolons, BOM) and guards cells a spreadsheet would run as a formula', async () => {
    const semicolons = (await (await agent.get('/admin/knowledge/export.csv')).text()).replace(/","/gu, '";"');
    const checked = await upload(agent, 'basis.csv', `\uFEFF${semicolons}`, { check: true });
    expect(checked.status).toBe(200);
    expect(((await checked.json()) as { rows: { change: string }[] }).rows.every((row) => row.change === 'unchanged')).toBe(true);

    const { editor, store } = server.app;
    const sari = (await store.users.byUsername('sari'))!;
    const jam = (await store.knowledge.get('jam-layanan'))!.entry;
    const draft = await editor.saveDraft(sari, { entry: { ...jam, cost: '=HYPERLINK("http://contoh.test","buka")' } });
    await editor.submit(sari, draft.id);
    await editor.approve(sari, draft.id);
    const csv = await (await agent.get('/admin/knowledge/export.csv')).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://contoh.test"",""buka"")"`);
    const response = await upload(agent, 'basis.csv', csv, { check: true });
    const report = (await response.json()) as { rows: { change: string; entryId: string }[] };
    expect(report.rows.every((row) => row.change === 'unchanged')).toBe(true);
  });

  it('an agent\'s import becomes submitted drafts; nothing is published', async () => {
    const revision = await server.app.store.knowledge.revision();
    const csv = [
      'id,title,document,summary,requirements,where,cost,processingTime,legalBasis,lastReviewed,specialCases',
      '"waktu-proses","Lama proses dokumen","info","Perkiraan lama pengurusan setiap dokumen kependudukan.","","{{office.shortName}}","Gratis","KTP-el: 1 hari; KK: 1 hari","Permendagri 19/2018","2026-11-20","Dokumen belum jadi | Tanyakan ke petugas loket"',
    ].join('\n');
    const response = await upload(agent, 'waktu.csv', csv);
    expect(response.status).toBe(200);
    const report = (await response.json()) as { applied: boolean; publishes: boolean; summary: string; rows: { row: number; outcome: string; draftId: string }[] };
    expect(report).toMatchObject({ applied: true, publishes: false });
    expect(report.rows).toEqual([expect.objectContaining({ row: 2, outcome: 'submitted' })]);
    expect(report.summary).toContain('1 entri diajukan dan menunggu persetujuan');
    const draft = (await server.app.store.drafts.get(report.rows[0]!.draftId))!;
    expect(draft.entry.specialCases).toEqual([{ when: 'Dokumen belum jadi', then: 'Tanyakan ke petugas loket' }]);
    expect(await server.app.store.knowledge.revision()).toBe(revision);
  });

  it('refuses a file with a wrong header, a file over 2 MB, and an upload without the CSRF token; keeps the 32 KB limit for forms', async () => {
    const wrong = await upload(agent, 'x.csv', 'kode,judul\n"a","b"');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toContain('kolom tidak dikenal: kode, judul');
    const large = await upload(agent, 'besar.json', Buffer.alloc(2 * 1024 * 1024 + 10, 0x20));
    expect(large.status).toBe(413);
    expect(((await large.json()) as { message: string }).message).toBe('Berkas terlalu besar (paling besar 2 MB).');
    const json = await (await agent.get('/admin/knowledge/export.json')).text();
    expect(json.length).toBeGreaterThan(32 * 1024);
    expect((await upload(agent, 'basis.json', json, { csrf: null, check: true })).status).toBe(403);
    expect((await upload(agent, 'basis.json', json, { check: true })).status).toBe(200);
    const form = await formOf(agent, '/admin/knowledge/entries/ktp-baru/edit');
    const tooLong = await agent.post('/admin/knowledge/preview', { ...form, phrases: 'x'.repeat(40 * 1024) });
    expect(tooLong.status).toBe(413);
  });
});
