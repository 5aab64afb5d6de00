/**
 * "Data warga" (admin/routes/privacy.ts) over real HTTP on the real app: a
 * citizen who chatted on the web (a complaint with a photo and their phone
 * number) and on Telegram (the same number) asks what is kept about them,
 * then asks for it to be erased. Admins only; CSRF on both actions; both
 * written to the audit log with the number masked; erasure refused while the
 * complaint is open, and then the complaint still counts in the dashboard.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { RETENTION_QUEUE, RETENTION_SETTING, type RetentionStatus } from '../bot/privacy.js';
import { ERASURE_TEXT } from '../bot/store/ids.js';
import type { Ticket } from '../bot/store/types.js';
import { Client, createUser, startAdminApp, until, type AdminTestApp } from './helpers/admin.js';
import { WebCitizen } from './helpers/inbox.js';
import { makePng } from './helpers/webchat.js';

const PASSWORD = 'data warga dijaga baik';
const PHONE = '081355577001';
const TELEGRAM_ID = '730055501';

let server: AdminTestApp;
let admin: Client;
let supervisor: Client;
let adminId: string;
let citizen: WebCitizen;
let ticket: Ticket;
let photoUrl: string;

const page = async (client: Client, query: string) => {
  const response = await client.get(`/admin/privacy${query ? `?q=${encodeURIComponent(query)}` : ''}`);
  return { status: response.status, html: await response.text() };
};
/** The contact ids the page offers actions for, in page order. */
const contactsOn = (html: string) => [...html.matchAll(/\/privacy\/contacts\/([^/"]+)\/export/gu)].map((match) => match[1]!);

beforeAll(async () => {
  server = await startAdminApp();
  adminId = (await createUser(server.app, { username: 'dpo', password: PASSWORD, role: 'admin', displayName: 'Dewi Pelindung Data' })).id;
  await createUser(server.app, { username: 'spv', password: PASSWORD, role: 'supervisor' });
  admin = new Client(server.base);
  supervisor = new Client(server.base);
  expect((await admin.login('dpo', PASSWORD)).status).toBe(303);
  expect((await supervisor.login('spv', PASSWORD)).status).toBe(303);

  // On the web: a question, then a complaint with a photo, a name and the phone number.
  citizen = await WebCitizen.start(server.base);
  await citizen.say('syarat KTP hilang');
  await citizen.say('mau buat pengaduan');
  await citizen.say('1');
  const form = new FormData();
  form.append('clientMessageId', randomUUID());
  form.append('file', new Blob([new Uint8Array(makePng(6, 6, () => [200, 20, 20]))], { type: 'image/png' }), 'antrean.png');
  const upload = await fetch(`${server.base}/webchat/api/attachments`, { method: 'POST', headers: { 'X-Siratu-Session': citizen.session }, body: form });
  photoUrl = ((await upload.json()) as { message: { attachments: { url: string }[] } }).message.attachments[0]!.url;
  await citizen.say('Petugas minta uang supaya KTP cepat jadi, tolong ditindak.');
  await citizen.say('lewati');
  await citizen.say('Rina Wulandari');
  await citizen.say(PHONE);
  const filed = (await citizen.say('ya')).map((reply) => reply.text).join('\n');
  ticket = (await server.app.store.tickets.byNumber(/ADU-\d{4}-\d{6}/u.exec(filed)![0]))!;

  // On Telegram, later, with the same number.
  await server.app.dispatcher.receive({ channel: 'telegram', senderId: TELEGRAM_ID, text: 'syarat kk hilang', senderName: 'Rina' });
  const telegram = await server.app.store.contacts.upsert('telegram', TELEGRAM_ID);
  await server.app.store.contacts.update(telegram.id, { phone: `+62 ${PHONE.slice(1)}` });
});

afterAll(async () => {
  await server?.close();
});

describe('who may use it', () => {
  it('admins only: supervisors get 403 and no menu item', async () => {
    expect((await page(supervisor, '')).status).toBe(403);
    const home = await (await supervisor.get('/admin')).text();
    expect(home).not.toContain('Data warga');
    const adminHome = await (await admin.get('/admin')).text();
    expect(adminHome).toContain(`href="/admin/privacy"`);
    expect(adminHome).toContain('Data warga');
  });

  it('both actions need the session’s CSRF token', async () => {
    const { html } = await page(admin, PHONE);
    const [id] = contactsOn(html);
    expect((await admin.post(`/admin/privacy/contacts/${id}/export`, {})).status).toBe(403);
    expect((await admin.post(`/admin/privacy/contacts/${id}/erase`, { konfirmasi: 'HAPUS' })).status).toBe(403);
    expect(await server.app.store.audit.list({ action: 'privacy.export' })).toEqual([]);
  });
});

describe('finding a citizen and what is held', () => {
  it('by phone number in any spelling: both identities, most recently seen first, with what is held', async () => {
    for (const spelling of [PHONE, `+62 ${PHONE.slice(1, 4)}-${PHONE.slice(4, 8)}-${PHONE.slice(8)}`, `62${PHONE.slice(1)}`]) {
      const { status, html } = await page(admin, spelling);
      expect(status).toBe(200);
      expect(contactsOn(html)).toHaveLength(2);
      expect(html).toContain('2 identitas ditemukan (nomor HP / WhatsApp)');
    }
    const { html } = await page(admin, PHONE);
    expect(html.indexOf('Telegram')).toBeLessThan(html.indexOf('Web chat'));
    expect(html).toContain('Rina Wulandari');
    expect(html).toContain(TELEGRAM_ID);
    expect(html).toMatch(/<dt>Pengaduan<\/dt><dd>1, masih berjalan: <a href="\/admin\/inbox\?view=open&amp;q=ADU-\d{4}-\d{6}">ADU-\d{4}-\d{6}<\/a> \(Baru diterima\)<\/dd>/u);
    expect(html).toContain('<dt>Berkas</dt><dd>1 foto/dokumen</dd>');
    expect(html).toContain('1 pengaduan berjalan');
  });

  it('by ticket number (any spelling) or Telegram id: that identity only; nothing for an unknown one', async () => {
    const [, year, seq] = /^ADU-(\d{4})-(\d{6})$/u.exec(ticket.number)!;
    const web = await page(admin, `adu ${year} ${Number(seq)}`);
    expect(web.html).toContain('1 identitas ditemukan (nomor pengaduan)');
    expect(web.html).toContain('Web chat');
    const telegram = await page(admin, TELEGRAM_ID);
    expect(contactsOn(telegram.html)).toHaveLength(1);
    expect(telegram.html).toContain('(ID kanal)');
    const none = await page(admin, '081300000000');
    expect(none.html).toContain('Tidak ada data untuk nomor HP / WhatsApp itu.');
    expect(contactsOn(none.html)).toEqual([]);
    // A fragment of the number is not the number.
    expect(contactsOn((await page(admin, PHONE.slice(0, 8))).html)).toEqual([]);
  });

  it('shows the retention setting and the last run', async () => {
    const before = await page(admin, '');
    expect(before.html).toContain('Percakapan yang selesai lebih dari <strong>365 hari</strong> lalu dianonimkan setiap malam');
    expect(before.html).toContain('Belum pernah berjalan.');
    // The app's own worker (started by listen) runs a job put on its queue.
    await server.app.queue.add(RETENTION_QUEUE, { slot: new Date().toISOString() }, { jobId: `retention:test-${randomUUID()}` });
    await until(() => server.app.store.settings.get<RetentionStatus>(RETENTION_SETTING), (status) => Boolean(status?.lastRun));
    const after = await page(admin, '');
    expect(after.html).toMatch(/Terakhir berjalan .+: 0 percakapan, 0 pengaduan, 0 warga, 0 berkas\./u);
  });
});

describe('a copy of everything (export)', () => {
  it('downloads the citizen’s data as JSON, and writes the audit log with the number masked', async () => {
    const { html } = await page(admin, PHONE);
    const web = (await server.app.store.privacy.findContacts({ phone: PHONE })).find((contact) => contact.channel === 'web')!;
    const response = await admin.post(`/admin/privacy/contacts/${web.id}/export`, { _csrf: Client.csrfOf(html), q: PHONE });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const today = new Date().toISOString().slice(0, 10);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="data-warga-web-${today}.json"`);
    const data = (await response.json()) as {
      format: string;
      controller: string;
      contact: { channel: string; phone: string; name: string };
      conversations: { messages: { from: string; text: string; attachments: { fileName: string }[] }[] }[];
      tickets: { number: string; reporterPhone: string; reporterName: string; description: string; history: { by: string; type: string }[]; attachments: unknown[] }[];
    };
    expect(data.format).toBe('siratu-data-warga/1');
    expect(data.controller).toMatch(/Palu/u);
    expect(data.contact).toMatchObject({ channel: 'web', phone: PHONE, name: 'Rina Wulandari' });
    const messages = data.conversations.flatMap((conversation) => conversation.messages);
    expect(messages.find((message) => message.from === 'warga' && message.text === 'syarat KTP hilang')).toBeDefined();
    expect(messages.some((message) => message.from === 'bot' && /Syarat yang perlu dibawa/u.test(message.text))).toBe(true);
    expect(messages.flatMap((message) => message.attachments)).toEqual([{ kind: 'image', fileName: 'antrean.png', mimeType: 'image/png', size: expect.any(Number) }]);
    expect(data.tickets).toEqual([
      expect.objectContaining({ number: ticket.number, reporterPhone: PHONE, reporterName: 'Rina Wulandari', description: 'Petugas minta uang supaya KTP cepat jadi, tolong ditindak.' }),
    ]);
    expect(data.tickets[0]!.history[0]).toMatchObject({ by: 'warga', type: 'created' });

    const [event] = await server.app.store.audit.list({ action: 'privacy.export' });
    expect(event).toMatchObject({ actorId: adminId, target: web.id });
    expect(event!.summary).toMatch(/^Data warga diunduh \(permintaan akses\): Web chat .+, HP 0813\*\*\*\*001; \d+ percakapan, \d+ pesan, 1 pengaduan, 1 berkas$/u);
    expect(event!.summary).not.toContain(PHONE);
  });
});

describe('erasure on request', () => {
  const webContact = async () => (await server.app.store.privacy.findContacts({ phone: PHONE })).find((contact) => contact.channel === 'web')!;

  it('is refused while the complaint is being handled, and the page says why', async () => {
    const { html } = await page(admin, PHONE);
    expect(html).toContain('Belum bisa dihapus: pengaduannya masih berjalan dan harus ditindaklanjuti sampai selesai');
    const web = await webContact();
    const refused = await admin.post(`/admin/privacy/contacts/${web.id}/erase`, { _csrf: Client.csrfOf(html), q: PHONE, konfirmasi: 'HAPUS' });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain(`Belum dihapus: pengaduan ${ticket.number} masih berjalan. Selesaikan atau tutup dulu di Kotak masuk, lalu hapus.`);
    expect((await server.app.store.contacts.get(web.id))!.phone).toBe(PHONE);
    expect(await server.app.store.audit.list({ action: 'privacy.erase' })).toEqual([]);
  });

  it('needs the phone number or HAPUS typed; then the citizen’s data is gone, the complaint still counts, and the audit log says who did it', async () => {
    await server.app.dispatcher.tickets.changeStatus(ticket.id, 'selesai', { actor: adminId, note: 'Sudah ditindak' });
    const web = await webContact();
    const { html } = await page(admin, PHONE);
    expect(html).toContain(`id="konfirmasi-${web.id}"`);
    const csrf = Client.csrfOf(html);

    const unconfirmed = await admin.post(`/admin/privacy/contacts/${web.id}/erase`, { _csrf: csrf, q: PHONE, konfirmasi: '0813' });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain('Belum dihapus: ketik nomor HP warga itu, atau kata HAPUS, di kotak konfirmasi.');

    const erased = await admin.post(`/admin/privacy/contacts/${web.id}/erase`, { _csrf: csrf, q: PHONE, konfirmasi: `+62 ${PHONE.slice(1)}` });
    expect(erased.status).toBe(303);
    expect(erased.headers.get('location')).toBe('/admin/privacy?pesan=dihapus');
    expect(await (await admin.get(erased.headers.get('location')!)).text()).toContain('Data pribadi warga itu sudah dihapus');

    // Found no more by the number; the Telegram identity is still there, to be handled on its own.
    const after = await page(admin, PHONE);
    expect(contactsOn(after.html)).toHaveLength(1);
    expect(after.html).toContain('Telegram');
    // By the ticket number: the pseudonymised identity, nothing left to erase.
    const byTicket = await page(admin, ticket.number);
    expect(byTicket.html).toContain('Sudah dianonimkan');
    expect(byTicket.html).not.toContain('konfirmasi-');

    const data = (await server.app.store.privacy.exportContact(web.id))!;
    expect(data.contact.phone).toBeUndefined();
    expect(data.contact.name).toBeUndefined();
    expect(new Set(data.messages.map((message) => message.text))).toEqual(new Set([ERASURE_TEXT]));
    const kept = (await server.app.store.tickets.byNumber(ticket.number))!;
    expect(kept).toMatchObject({ status: 'selesai', category: ticket.category, description: ERASURE_TEXT, attachments: [] });
    expect(kept.reporterPhone).toBeUndefined();
    const today = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 86_400_000), timeZone: 'Asia/Makassar' };
    expect(await server.app.store.stats.ticketsBy(today, 'status')).toEqual([{ key: 'selesai', count: 1 }]);

    // The citizen's browser: the photo is gone, and the history starts afresh.
    expect((await fetch(`${server.base}/webchat/api/${photoUrl}`, { headers: { 'X-Siratu-Session': citizen.session } })).status).toBe(404);
    expect(await citizen.history()).toEqual([]);

    const [event] = await server.app.store.audit.list({ action: 'privacy.erase' });
    expect(event).toMatchObject({ actorId: adminId, target: web.id });
    expect(event!.summary).toMatch(new RegExp(`^Data warga dihapus atas permintaan: Web chat .+, HP 0813\\*\\*\\*\\*001; \\d+ percakapan, \\d+ pesan, 1 pengaduan, 1 berkas \\(${ticket.number}, disimpan tanpa data pribadi\\)$`, 'u'));
    expect(event!.summary).not.toContain(PHONE);

    // HAPUS works where there is no number to type; a second erase of the same identity is refused as unknown on the page.
    const telegram = (await server.app.store.privacy.findContacts({ externalId: TELEGRAM_ID }))[0]!;
    const again = await page(admin, TELEGRAM_ID);
    expect((await admin.post(`/admin/privacy/contacts/${telegram.id}/erase`, { _csrf: Client.csrfOf(again.html), q: TELEGRAM_ID, konfirmasi: 'hapus' })).status).toBe(303);
    expect(contactsOn((await page(admin, TELEGRAM_ID)).html)).toEqual([]);
    expect((await admin.post('/admin/privacy/contacts/no-such-contact/erase', { _csrf: csrf, konfirmasi: 'HAPUS' })).status).toBe(404);
    expect((await admin.post('/admin/privacy/contacts/no-such-contact/export', { _csrf: csrf })).status).toBe(404);
  });
});
