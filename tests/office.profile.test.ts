/**
 * The office profile and holiday editor through real HTTP on the real app:
 * an admin changes the hours and the citizen's very next "jam buka kantor"
 * in the web chat gets the new ones; wrong input is answered field by field
 * and nothing is saved; a save over someone else's newer save is refused;
 * a holiday added on the page makes the next ticket's due date skip that
 * day. Then the same on two instances sharing one database and one Redis:
 * the instance that did not save answers with the new profile at once (well
 * inside the 2 s revision check, so through the event bus).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { officeFormValues } from '../admin/routes/office.js';
import { createCalendar } from '../bot/calendar.js';
import { OFFICE_SETTING } from '../bot/knowledge-base.js';
import { HOLIDAYS_SETTING } from '../bot/office-editing.js';
import type { User } from '../bot/store/types.js';
import type { HolidayData } from '../knowledge/load.js';
import type { Holiday, OfficeProfile } from '../knowledge/schema.js';
import type { App } from '../scripts/app.js';
import { startAdminApp, until, type AdminTestApp } from './helpers/admin.js';
import { makeStaff, StaffClient, WebCitizen } from './helpers/inbox.js';
import { makeTempDir } from './helpers/tmp.js';
import { emptyRedis } from './helpers/redis.js';

const QUESTION = 'jam buka kantor';
const NEW_HOURS_TEXT = 'Senin–Jumat 07.30–16.00 WITA, Sabtu 08.00–12.00 WITA. Minggu dan hari libur tutup.';
/** A non-confidential complaint through the web chat: category, what happened, place skipped, no phone, confirmed. */
const COMPLAINT = ['KTP saya sudah 3 bulan belum jadi, mau mengadu', 'lewati', 'lewati', 'lewati', 'ya'];

const office = async (app: App) => (await app.store.settings.get<OfficeProfile>(OFFICE_SETTING))!;
const answerText = async (citizen: WebCitizen, question = QUESTION) => (await citizen.say(question)).map((reply) => reply.text).join('\n');

/** What the office page holds in its fields, and the fingerprint it was rendered with. */
async function openOfficePage(admin: StaffClient) {
  const html = await (await admin.page('/admin/office')).text();
  const basis = /name="basis" value="([^"]+)"/u.exec(html)?.[1];
  if (!basis) throw new Error('no basis on the office page');
  return { html, basis };
}

async function saveOffice(admin: StaffClient, app: App, change: (form: ReturnType<typeof officeFormValues>) => void) {
  const { basis } = await openOfficePage(admin);
  const form = officeFormValues(await office(app));
  change(form);
  return admin.post('/admin/office', { basis, ...form });
}

async function holidayPage(admin: StaffClient, year: number) {
  const html = await (await admin.page(`/admin/office/holidays?tahun=${year}`)).text();
  return { html, basis: /name="basis" value="([^"]+)"/u.exec(html)![1]! };
}

/** Files a complaint in the web chat and returns its ticket. */
async function fileComplaint(app: App, base: string) {
  const citizen = await WebCitizen.start(base);
  let last = '';
  for (const line of COMPLAINT) last = (await citizen.say(line)).map((reply) => reply.text).join('\n');
  const number = /ADU-\d{4}-\d{6}/u.exec(last)?.[0];
  if (!number) throw new Error(`no ticket number in: ${last}`);
  const ticket = await until(() => app.store.tickets.byNumber(number), (found) => Boolean(found?.dueAt));
  if (!ticket) throw new Error(`ticket ${number} not stored`);
  return ticket;
}

describe('one instance', () => {
  let server: AdminTestApp;
  let admin: StaffClient;
  let adi: User;

  beforeAll(async () => {
    server = await startAdminApp();
    adi = await makeStaff(server.app, 'adi', 'admin', { displayName: 'Adi Pratama' });
    await makeStaff(server.app, 'sari', 'supervisor', { displayName: 'Sari Dewi' });
    admin = await StaffClient.signIn(server.base, 'adi');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the page shows the profile in plain fields: hours per weekday, one kelurahan per line', async () => {
    const { html } = await openOfficePage(admin);
    expect(html).toContain('value="Disdukcapil Kota Palu"');
    expect(html).toMatch(/name="days\.mon\.open" value="08:00"/u);
    expect(html).toMatch(/name="days\.fri\.close" value="15:30"/u);
    expect(html).toMatch(/name="days\.sat\.open" value=""/u);
    expect(html).toMatch(/<textarea data-key="kelurahan" rows="5">Baru\nKamonji\nLere/u);
    expect(html).toContain('+ Tambah kecamatan');
  });

  it('new hours are what the bot answers with on the very next question', async () => {
    const citizen = await WebCitizen.start(server.base);
    const before = await answerText(citizen);
    expect(before).toContain('Senin–Kamis 08.00–15.00 WITA');

    const response = await saveOffice(admin, server.app, (form) => {
      form.hoursText = NEW_HOURS_TEXT;
      for (const day of ['mon', 'tue', 'wed', 'thu', 'fri'] as const) form.days[day] = { open: '07:30', close: '16:00', breakStart: '', breakEnd: '' };
      form.days.fri = { open: '07:30', close: '16:00', breakStart: '11:30', breakEnd: '13:00' };
      form.days.sat = { open: '08:00', close: '12:00', breakStart: '', breakEnd: '' };
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, redirect: '/admin/office?pesan=tersimpan' });

    const after = await answerText(citizen);
    expect(after).toContain(NEW_HOURS_TEXT);
    expect(after).not.toContain('Senin–Kamis 08.00–15.00 WITA');
    // Days with the same times share one slot; Friday's prayer break splits its day.
    expect((await office(server.app)).hours).toEqual([
      { days: ['mon', 'tue', 'wed', 'thu'], open: '07:30', close: '16:00' },
      { days: ['fri'], open: '07:30', close: '11:30' },
      { days: ['fri'], open: '13:00', close: '16:00' },
      { days: ['sat'], open: '08:00', close: '12:00' },
    ]);
    const page = await (await admin.page('/admin/office?pesan=tersimpan')).text();
    expect(page).toContain('Profil kantor tersimpan');
    expect(page).toMatch(/name="days\.fri\.breakStart" value="11:30"/u);

    const [event] = await server.app.store.audit.list({ action: 'settings.office' });
    expect(event).toMatchObject({ actorId: adi.id, target: 'office', summary: 'Diubah: jam buka, kalimat jam layanan' });
  });

  it('a new kecamatan, phone and address reach the bot too', async () => {
    const response = await saveOffice(admin, server.app, (form) => {
      form.address = 'Jalan Moh. Hatta No. 1, Palu';
      form.phones = [{ label: 'Pengaduan', number: '0451 421234' }];
      form.kecamatan.push({ name: 'Palu Tenggara', kelurahan: 'Kelurahan Satu\n\n  Kelurahan Dua  \n' });
    });
    expect(response.status).toBe(200);
    const saved = await office(server.app);
    expect(saved.kecamatan.at(-1)).toEqual({ name: 'Palu Tenggara', kelurahan: ['Kelurahan Satu', 'Kelurahan Dua'] });
    expect(saved.phones).toEqual([{ label: 'Pengaduan', number: '0451 421234' }]);
    const citizen = await WebCitizen.start(server.base);
    expect(await answerText(citizen, 'alamat kantor dukcapil dimana')).toContain('Jalan Moh. Hatta No. 1, Palu');
  });

  it('wrong input gets a message per field, in Indonesian, and nothing is saved', async () => {
    const before = await office(server.app);
    const audits = (await server.app.store.audit.list({})).length;
    const response = await saveOffice(admin, server.app, (form) => {
      form.name = '';
      form.email = 'bukan email';
      form.website = 'dukcapil.palukota.go.id';
      // An empty row (added by mistake) is dropped, and the message still lands on the row the admin sees as second.
      form.phones = [{ label: '', number: '' }, { label: 'Pengaduan', number: 'telepon saja' }];
      form.days.mon = { open: '15:00', close: '08:00', breakStart: '', breakEnd: '' };
      form.days.tue = { open: '08:00', close: '', breakStart: '', breakEnd: '' };
      form.kecamatan[1]!.kelurahan = '';
      form.kecamatan[2]!.name = form.kecamatan[0]!.name;
      form.expectedAgentWaitMinutes = 'lima belas';
      form.queue = { name: '', url: '', howTo: 'Ambil nomor di loket' };
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string; fields: { path: string; message: string }[] };
    expect(body.error).toBe('invalid');
    expect(body.message).toMatch(/Perbaiki yang ditandai merah/u);
    const fields = Object.fromEntries(body.fields.map((field) => [field.path, field.message]));
    expect(fields).toEqual({
      'days.mon.close': 'Jam tutup harus setelah jam buka.',
      'days.tue.close': 'Isi jam tutup hari Selasa.',
      name: 'Isi nama lengkap kantor (paling sedikit 3 huruf).',
      'phones.1.number': expect.stringMatching(/^Tulis nomor dengan angka saja/u),
      email: 'Alamat e-mail tidak valid, mis. dukcapil@palukota.go.id',
      website: 'Tulis alamat lengkap yang diawali https://',
      'queue.name': 'Isi nama layanan antrean, atau kosongkan ketiga isian antrean.',
      'kecamatan.1.kelurahan': 'Tulis paling sedikit satu kelurahan/desa, satu per baris.',
      'kecamatan.2.name': `Kecamatan "${before.kecamatan[0]!.name}" tertulis dua kali.`,
      expectedAgentWaitMinutes: 'Tulis jumlah menit dengan angka.',
    });
    expect(await office(server.app)).toEqual(before);
    expect((await server.app.store.audit.list({})).length).toBe(audits);
  });

  it('a save over someone else\'s newer save is refused, not silently undone', async () => {
    const { basis } = await openOfficePage(admin);
    const mine = officeFormValues(await office(server.app));
    expect((await saveOffice(admin, server.app, (form) => (form.region = 'Kota Palu (ibu kota Sulteng)'))).status).toBe(200);
    const late = await admin.post('/admin/office', { basis, ...mine, shortName: 'Dukcapil Palu' });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { message: string }).message).toMatch(/baru saja diubah orang lain/u);
    expect((await office(server.app)).region).toBe('Kota Palu (ibu kota Sulteng)');
    expect((await office(server.app)).shortName).toBe('Disdukcapil Kota Palu');
  });

  it('a plain form post (no JavaScript) changes nothing and says why', async () => {
    const response = await admin.form('/admin/office', { name: 'X' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('memerlukan JavaScript');
  });

  it('a holiday added on the page makes the next ticket\'s due date skip that day', async () => {
    const stored = (await server.app.store.settings.get<HolidayData>(HOLIDAYS_SETTING))!;
    const before = createCalendar({ office: await office(server.app), holidays: stored });
    // The first working day a complaint filed now would count: making it a holiday moves the deadline a day.
    const day = before.localDate(before.addWorkingDays(new Date(), 1));
    const year = Number(day.slice(0, 4));
    const first = await fileComplaint(server.app, server.base);
    expect(first.dueAt).toEqual(before.addWorkingDays(first.createdAt, 3));

    const page = await holidayPage(admin, year);
    const rows = stored.holidays.filter((holiday) => holiday.date.startsWith(`${year}-`));
    for (const holiday of rows) expect(page.html).toContain(holiday.name);
    const added: Holiday = { date: day, name: 'HUT Kota Palu (uji)', type: 'libur-daerah', source: '', confidence: 'high' };
    const saved = await admin.post('/admin/office/holidays', { year: String(year), basis: page.basis, holidays: [...rows, added] });
    expect(saved.status).toBe(200);
    expect(await saved.json()).toEqual({ ok: true, redirect: `/admin/office/holidays?tahun=${year}&pesan=tersimpan` });
    expect((await holidayPage(admin, year)).html).toContain('HUT Kota Palu (uji)');

    const second = await fileComplaint(server.app, server.base);
    const after = createCalendar({ office: await office(server.app), holidays: [...stored.holidays, { ...added, source: 'Diisi admin kantor' }] });
    expect(second.dueAt).toEqual(after.addWorkingDays(second.createdAt, 3));
    expect(second.dueAt!.getTime()).toBeGreaterThan(before.addWorkingDays(second.createdAt, 3).getTime());
    // Counted on the old calendar, the new deadline is one working day later: the holiday was skipped.
    expect(before.workingDaysBetween(before.nextWorkingTime(second.createdAt), second.dueAt!)).toBe(4);
    // Tickets filed before keep their deadline.
    expect((await server.app.store.tickets.get(first.id))!.dueAt).toEqual(first.dueAt);

    const [event] = await server.app.store.audit.list({ action: 'settings.holidays' });
    expect(event).toMatchObject({ actorId: adi.id, target: `libur-${year}`, summary: `Hari libur ${year}: ditambah ${day} HUT Kota Palu (uji)` });
  });

  it('holiday rows are checked: a date outside the year, the same date twice, a missing name', async () => {
    const year = 2031;
    const page = await holidayPage(admin, year);
    expect(page.html).toContain('Tahun 2031 belum punya daftar hari libur');
    const response = await admin.post('/admin/office/holidays', {
      year: String(year),
      basis: page.basis,
      holidays: [
        { date: '2031-08-17', name: 'Hari Kemerdekaan', type: 'libur-nasional', source: '', confidence: 'high' },
        { date: '2032-01-01', name: 'Tahun Baru', type: 'libur-nasional', source: '', confidence: 'high' },
        { date: '2031-08-17', name: 'Dobel', type: 'libur-daerah', source: '', confidence: 'high' },
        { date: '2031-09-01', name: '', type: 'libur-daerah', source: '', confidence: 'high' },
        { date: '', name: '', type: 'libur-daerah', source: '', confidence: '' },
      ],
    });
    expect(response.status).toBe(400);
    const { fields } = (await response.json()) as { fields: { path: string; message: string }[] };
    expect(Object.fromEntries(fields.map((field) => [field.path, field.message]))).toEqual({
      'holidays.1.date': 'Tanggal harus di tahun 2031.',
      'holidays.2.date': 'Tanggal 2031-08-17 sudah ada di baris lain.',
      'holidays.3.name': 'Tulis nama hari libur (paling sedikit 3 huruf).',
    });
    const stored = (await server.app.store.settings.get<HolidayData>(HOLIDAYS_SETTING))!;
    expect(stored.years).not.toContain(2031);
  });

  it('only admins may open or save the office profile and the holidays', async () => {
    const sari = await StaffClient.signIn(server.base, 'sari');
    for (const path of ['/admin/office', '/admin/office/holidays']) {
      expect((await sari.get(path)).status).toBe(403);
      expect((await sari.post(path, { basis: 'x', year: '2030', holidays: [] })).status).toBe(403);
    }
    expect((await admin.page('/admin')).status).toBe(200);
    const home = await (await admin.page('/admin')).text();
    expect(home).toContain('href="/admin/office"');
    expect(home).toContain('href="/admin/audit"');
    const supervisorHome = await (await sari.page('/admin')).text();
    expect(supervisorHome).not.toContain('href="/admin/office"');
  });
});

describe('two instances behind one address (one database, one Redis)', () => {
  const REDIS_URL = 'redis://127.0.0.1:6379/9';
  const data = makeTempDir('siratu-office-instances-');
  let a: AdminTestApp;
  let b: AdminTestApp;

  beforeAll(async () => {
    await emptyRedis(REDIS_URL);
    a = await startAdminApp({ REDIS_URL }, { dataDir: data.dir });
    b = await startAdminApp({ REDIS_URL }, { dataDir: data.dir });
    await makeStaff(a.app, 'adi', 'admin', { displayName: 'Adi Pratama' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    data.remove();
    await emptyRedis(REDIS_URL);
  });

  it('a profile saved on A is what B answers with at once', async () => {
    const admin = await StaffClient.signIn(a.base, 'adi');
    const citizen = await WebCitizen.start(b.base);
    expect(await answerText(citizen)).toContain('Senin–Kamis 08.00–15.00 WITA');
    expect((await saveOffice(admin, a.app, (form) => (form.hoursText = NEW_HOURS_TEXT))).status).toBe(200);
    // B answered a moment ago, so its own revision check would wait 2 s: the bus makes the change arrive before that.
    const answer = await until(() => answerText(citizen), (text) => text.includes(NEW_HOURS_TEXT), 1800);
    expect(answer).toContain(NEW_HOURS_TEXT);
  });

  it('a holiday saved on A counts for the next ticket filed on B', async () => {
    const admin = await StaffClient.signIn(a.base, 'adi');
    const stored = (await a.app.store.settings.get<HolidayData>(HOLIDAYS_SETTING))!;
    const calendar = createCalendar({ office: await office(a.app), holidays: stored });
    // B's calendar is in use (and cached) before the change.
    await fileComplaint(b.app, b.base);
    const day = calendar.localDate(calendar.addWorkingDays(new Date(), 1));
    const year = Number(day.slice(0, 4));
    const page = await holidayPage(admin, year);
    const rows = stored.holidays.filter((holiday) => holiday.date.startsWith(`${year}-`));
    const saved = await admin.post('/admin/office/holidays', { year: String(year), basis: page.basis, holidays: [...rows, { date: day, name: 'Libur daerah (uji)', type: 'libur-daerah', source: '', confidence: 'high' }] });
    expect(saved.status).toBe(200);
    const ticket = await fileComplaint(b.app, b.base);
    expect(calendar.workingDaysBetween(calendar.nextWorkingTime(ticket.createdAt), ticket.dueAt!)).toBe(4);
  });
});
