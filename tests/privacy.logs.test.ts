/**
 * No NIK, KK or phone number in any log line (UU 27/2022; issue 6). The REAL
 * app (createApp, real store, real engine, real web chat and admin HTTP)
 * logs at level `trace` into memory while a citizen goes through a whole
 * conversation full of personal numbers, written every way people write
 * them: a question with an NIK, a KK number with spaces and with dots, a
 * complaint with a photo, a name and a phone number, a status check, a
 * handoff to an agent who answers with the number, a ticket update, a
 * rating; then an admin answers the citizen's data request (search, export,
 * erase). Every line is then searched for 16-digit numbers and for the phone
 * numbers used, whatever separates their digits.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, maskForLog } from '../bot/log.js';
import { createApp, type App } from '../scripts/app.js';
import { loadConfig } from '../scripts/config.js';
import { Client } from './helpers/admin.js';
import { makeStaff, openAroundTheClock, StaffClient, WebCitizen } from './helpers/inbox.js';
import { makeTempDir } from './helpers/tmp.js';
import { makePng } from './helpers/webchat.js';

const NIK = '7271011208900001';
const KK = '7271012503150007';
const PHONE = '081234567890';
/** What identifies a phone number whatever its prefix (0…, 62…, +62…): the digits after it. */
const SIGNIFICANT = [PHONE.slice(1), '81355501234'];

/**
 * Numbers in a log line, however their digits are separated (spaces, dots, dashes, brackets, slashes),
 * that are an NIK/KK (16 digits or more) or contain one of the phone numbers.
 */
function leaksIn(line: string): string[] {
  const runs = line.match(/\d(?:(?:[\s.\-()/+]|%[0-9A-Fa-f]{2}){0,3}\d)*/gu) ?? [];
  return runs.filter((run) => {
    const digits = run.replace(/\D/gu, '');
    return digits.length >= 16 || SIGNIFICANT.some((phone) => digits.includes(phone));
  });
}

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

const tmp = makeTempDir('siratu-privacy-logs-');
let app: App;
let base: string;

beforeAll(async () => {
  const config = loadConfig({ HOST: '127.0.0.1', DATA_DIR: tmp.dir, LOG_LEVEL: 'trace', PORT: '0' }, { dotenvPath: '/nonexistent' });
  app = await createApp(config, { log: createLogger({ level: 'trace', destination: sink }) });
  base = `http://127.0.0.1:${await app.listen()}`;
  await openAroundTheClock(app);
});

afterAll(async () => {
  await app?.close();
  tmp.remove();
});

describe('the leak detector itself', () => {
  it('finds raw numbers in any spelling, and nothing in their masked forms', () => {
    for (const raw of [NIK, '7271 0112 0890 0001', '727101.120890.0001', '727101 120890 0001', PHONE, '+62 812-3456-7890', '(0812) 3456 7890', '6281234567890@s.whatsapp.net', '81234567890', '?hp=0812%203456%207890']) {
      expect(leaksIn(`{"msg":"x ${raw} y"}`)).not.toEqual([]);
      expect(leaksIn(`{"msg":"x ${maskForLog(raw)} y"}`)).toEqual([]);
    }
    expect(leaksIn('{"level":30,"time":1767225600000,"ms":0.53,"port":4123,"msg":"turn"}')).toEqual([]);
  });
});

describe('every shape a log call can take', () => {
  it('masks the numbers in messages and their arguments, fields at any depth, numbers, keys, errors and their causes, Maps, Sets, and child loggers’ fields', () => {
    const from = lines.length;
    const spellings = [NIK, KK, '7271 0112 0890 0001', '727101.120890.0001', '727101 120890 0001', '72-71-01-120890-0001', PHONE, '0812-3456-7890', '(0812) 3456 7890', '+62 812 3456 7890', '6281234567890'];
    // What channel adapters do: a child per channel or chat, then errors from the platform.
    const chat = app.log.child({ channel: 'whatsapp', chat: '6281234567890@s.whatsapp.net' }).child({ reporter: PHONE, nik: Number(NIK) });
    for (const text of spellings) {
      chat.warn({ err: new Error(`send to ${text} failed`, { cause: new Error(`recipient ${text}`) }), text, [text]: 'key', nested: { a: { b: { c: { d: { e: { f: { g: { h: text } } } } } } } } }, 'delivery failed: %s', text);
      chat.error(new Error(`platform refused ${text}`));
      chat.debug({ digits: Number(text.replace(/\D/gu, '')), list: new Set([text]), map: new Map([[text, text]]), url: new URL(`https://example.test/?hp=${encodeURIComponent(text)}`) }, `plain ${text}`);
      chat.trace(`trace ${text}`);
    }
    const written = lines.slice(from);
    expect(written).toHaveLength(spellings.length * 4);
    expect(written.flatMap((line) => leaksIn(line).map((run) => `${run} in ${line.slice(0, 300)}`))).toEqual([]);
    // Masked, not dropped: staff can still tell numbers apart by their ends.
    expect(written.join('\n')).toContain('7271********0001');
    expect(written.join('\n')).toContain('0812****890');
  });
});

describe('a whole citizen conversation, logged at trace level', () => {
  it('leaves no NIK, KK or phone number in any log line', async () => {
    const from = lines.length;
    const citizen = await WebCitizen.start(base);
    const texts = async (text: string) => (await citizen.say(text)).map((reply) => reply.text).join('\n');

    // Questions with personal numbers in them, written several ways.
    expect(await texts('halo')).toMatch(/Jangan kirim NIK/u);
    await texts(`NIK saya ${NIK}, syarat KTP hilang gimana?`);
    await texts(`no KK saya ${KK.replace(/(\d{4})(?=\d)/gu, '$1 ')} mau cetak ulang`);
    await texts(`nik ${NIK.replace(/^(\d{2})(\d{2})(\d{2})(\d{6})(\d{4})$/u, '$1.$2.$3.$4.$5')} apa masih aktif?`);
    await texts(`${NIK.slice(0, 6)} ${NIK.slice(6, 12)} ${NIK.slice(12)} itu nik anak saya, hp (0812) 3456-7890`);

    // A complaint with a photo, a name and the phone number.
    await texts('mau buat pengaduan');
    expect(await texts('1')).toMatch(/Ceritakan/u);
    const form = new FormData();
    form.append('text', `foto KK ${KK}`);
    form.append('clientMessageId', randomUUID());
    form.append('file', new Blob([new Uint8Array(makePng(8, 8, () => [10, 200, 30]))], { type: 'image/png' }), `KK ${KK}.png`);
    const upload = await fetch(`${base}/webchat/api/attachments`, { method: 'POST', headers: { 'X-Siratu-Session': citizen.session }, body: form });
    expect(upload.status).toBe(200);
    await texts(`Petugas loket minta uang 50rb supaya KTP cepat jadi. Hubungi saya di ${PHONE} atau 0813-5550-1234, NIK ${NIK}.`);
    await texts('lewati');
    await texts('Siti Aminah');
    await texts('+62 812 3456 7890');
    const filed = await texts('ya');
    const number = /ADU-\d{4}-\d{6}/u.exec(filed)?.[0];
    expect(number).toBeDefined();
    const ticket = (await app.store.tickets.byNumber(number!))!;
    expect(ticket.reporterPhone).toBe(PHONE); // stored in full, where it belongs
    expect(await texts(`status ${number} ya, nomor saya 62 812 3456 7890`)).toMatch(new RegExp(number!, 'u'));

    // A human: handoff, claim, a reply and a note with the number, a ticket update, closing with a rating.
    expect(await texts(`mau bicara dengan petugas, telp saya ${PHONE}`)).toMatch(/petugas/u);
    await makeStaff(app, 'ani', 'agent', { capacity: 0 });
    await makeStaff(app, 'adminlog', 'admin');
    const ani = await StaffClient.signIn(base, 'ani');
    const conversation = await citizen.conversation(app);
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/claim`)).status).toBe(200);
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/reply`, { text: `Baik Bu Siti, kami telepon ke ${PHONE}. NIK ${NIK} sudah kami cek.` })).status).toBe(200);
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/notes`, { text: `Warga minta ditelepon di 0812.3456.7890, KK ${KK}` })).status).toBe(200);
    expect((await ani.post(`/admin/inbox/tickets/${ticket.id}/status`, { status: 'selesai', note: `Sudah ditelepon ke ${PHONE}` })).status).toBe(200);
    await citizen.say(`terima kasih, kalau ada apa2 hubungi ${PHONE} ya`);
    expect((await ani.post(`/admin/inbox/c/${conversation.id}/close`)).status).toBe(200);
    await citizen.say('5');

    // The citizen's data request, answered by an admin: search, export, erase.
    const admin = new Client(base);
    expect((await admin.login('adminlog', 'kotak masuk bersama')).status).toBe(303);
    const page = await admin.get(`/admin/privacy?q=${encodeURIComponent('+62 812 3456 7890')}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const contactId = /\/privacy\/contacts\/([^/]+)\/export/u.exec(html)?.[1];
    expect(contactId).toBeDefined();
    const csrf = Client.csrfOf(html);
    const exported = await admin.post(`/admin/privacy/contacts/${contactId}/export`, { _csrf: csrf });
    expect(exported.status).toBe(200);
    expect(await exported.text()).toContain(PHONE);
    expect((await admin.post(`/admin/privacy/contacts/${contactId}/erase`, { _csrf: csrf, konfirmasi: '0812 3456 7890' })).status).toBe(303);
    const audit = await app.store.audit.list({ action: 'privacy.erase' });
    expect(audit).toHaveLength(1);
    expect(leaksIn(audit[0]!.summary)).toEqual([]);

    // Let queued work (deliveries, unanswered questions, handoff follow-ups) finish and log.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const written = lines.slice(from);
    expect(written.length).toBeGreaterThan(20);
    const parsed = written.map((line) => JSON.parse(line) as { msg?: string; level: number });
    expect(parsed.filter((line) => line.msg === 'turn').length).toBeGreaterThan(10);
    expect(parsed.some((line) => line.msg?.startsWith('privacy:'))).toBe(true);
    const leaks = written.flatMap((line) => leaksIn(line).map((run) => `${run} in ${line.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  });
});
