/**
 * The office profile and the holiday calendar as admins keep them. Both
 * start from the shipped files (knowledge/office, knowledge/calendar) on
 * first start and live in the store's settings after that:
 *
 *   settings `office`           the profile (address, hours, phones, kecamatan…)
 *   settings `holidays`         the days off, every year ({ years, holidays })
 *   settings `office.revision`  bumped on every save of either
 *
 * The revision is what every instance's knowledge base compares
 * (bot/knowledge-base.ts), so a save reaches the bot's answers (office
 * placeholders) and the ticket deadlines (storedCalendar below) everywhere:
 * at once through the event bus, within seconds through the revision check.
 *
 * Checks are here, not in the pages, with messages for office staff
 * (Indonesian, one per field); every save is written to the audit log.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { HolidayData } from '../knowledge/load.js';
import { holidaySchema, officeSchema, type Holiday, type OfficeProfile } from '../knowledge/schema.js';
import { recordAudit } from './audit.js';
import type { EventBus } from './bus.js';
import { createCalendar, type Calendar, type CalendarSource } from './calendar.js';
import { OFFICE_SETTING, type KnowledgeBase } from './knowledge-base.js';
import { hasRole } from './roles.js';
import type { SettingsRepository, Store, User } from './store/types.js';

export const HOLIDAYS_SETTING = 'holidays';
export const OFFICE_REVISION_SETTING = `${OFFICE_SETTING}.revision`;

// ---- the stored calendar ------------------------------------------------------------------------

/** First start: the holidays from knowledge/calendar go into the store (later starts keep the admins' edits). */
export async function seedHolidays(store: Pick<Store, 'settings'>, data: HolidayData): Promise<void> {
  if (!(await store.settings.get<HolidayData>(HOLIDAYS_SETTING))) await store.settings.put(HOLIDAYS_SETTING, data);
}

export async function storedHolidays(settings: SettingsRepository): Promise<HolidayData> {
  return (await settings.get<HolidayData>(HOLIDAYS_SETTING)) ?? { years: [], holidays: [] };
}

/**
 * The working-day calendar on the stored office hours and holidays, rebuilt
 * whenever the knowledge base's snapshot changes revision (an office or
 * holiday save bumps it on every instance).
 */
export function storedCalendar(deps: { knowledge: Pick<KnowledgeBase, 'current'>; settings: SettingsRepository }): CalendarSource {
  let built: { revision: string; calendar: Calendar } | undefined;
  return {
    async current() {
      const snapshot = await deps.knowledge.current();
      if (built?.revision !== snapshot.revision) {
        built = { revision: snapshot.revision, calendar: createCalendar({ office: snapshot.office, holidays: await storedHolidays(deps.settings) }) };
      }
      return built.calendar;
    },
  };
}

// ---- checking what an admin typed ---------------------------------------------------------------

export interface FieldProblem {
  /** Where, as a dotted path of the profile: `phones.1.number`, `kecamatan.0.kelurahan`. */
  path: string;
  message: string;
}

/** A refused save, with a message for the admin and what is wrong field by field. */
export class OfficeEditError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 409,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }
}

const tooLong = (max: number) => `Terlalu panjang (paling banyak ${max} karakter).`;
const required = (min: number, max: number, message: string) => z.string({ error: message }).trim().min(min, message).max(max, tooLong(max));
/** An optional text: empty means "not given". */
const optional = (max: number) =>
  z
    .string()
    .trim()
    .max(max, tooLong(max))
    .optional()
    .transform((value) => value || undefined);

const isWebAddress = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol) && !/\s/u.test(value);
  } catch {
    return false;
  }
};
const webAddress = optional(300).refine((value) => !value || isWebAddress(value), 'Tulis alamat lengkap yang diawali https://');
const isPhone = (value: string) => /^\+?[\d\s().-]+$/u.test(value) && value.replace(/\D/gu, '').length >= 5 && value.replace(/\D/gu, '').length <= 15;
const PHONE_RULE = 'Tulis nomor dengan angka saja (boleh diawali + dan dipisah spasi atau tanda -), mis. 0451 421234.';
const phone = required(5, 30, PHONE_RULE).refine(isPhone, PHONE_RULE);
const optionalPhone = optional(30).refine((value) => !value || isPhone(value), PHONE_RULE);
const email = optional(120).refine((value) => !value || /^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(value), 'Alamat e-mail tidak valid, mis. dukcapil@palukota.go.id');
const isTimeZone = (value: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
};
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/u, 'Tulis jam seperti 08:00.');
const isoDate = (message: string) => z.string({ error: message }).refine((value) => holidaySchema.shape.date.safeParse(value).success, message);

/** Paths whose values must not repeat, with the message. */
function unique<T>(items: T[], key: (item: T) => string, path: (index: number) => (string | number)[], message: (item: T) => string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const value = key(item).toLowerCase();
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: path(index), message: message(item) });
    seen.add(value);
  });
}

/** The profile as an admin may type it (the office's `id` is not editable). */
const officeInput = z.object({
  name: required(3, 200, 'Isi nama lengkap kantor (paling sedikit 3 huruf).'),
  shortName: required(2, 80, 'Isi nama singkat yang dipakai bot, mis. "Disdukcapil Kota Palu".'),
  region: required(2, 80, 'Isi kota atau kabupaten yang dilayani, mis. "Kota Palu".'),
  timeZone: z.string({ error: 'Pilih zona waktu.' }).refine(isTimeZone, 'Pilih zona waktu.'),
  address: required(5, 300, 'Isi alamat kantor (paling sedikit 5 huruf).'),
  mapsUrl: webAddress,
  hours: z
    .array(
      z
        .object({ days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).min(1), open: clock, close: clock })
        .refine((slot) => slot.close > slot.open, 'Jam tutup harus setelah jam buka.'),
    )
    .min(1, 'Isi jam buka paling sedikit untuk satu hari.'),
  hoursText: required(3, 500, 'Tulis jam layanan dalam kalimat, mis. "Senin–Kamis 08.00–15.00 WITA".'),
  phones: z.array(z.object({ label: required(2, 60, 'Isi keterangan nomor, mis. "Pengaduan".'), number: phone })).max(10, 'Paling banyak 10 nomor.'),
  whatsapp: optionalPhone,
  email,
  website: webAddress,
  queue: z
    .object({ name: optional(100), url: webAddress, howTo: optional(500) })
    .superRefine((queue, ctx) => {
      if (!queue.name && !queue.url && !queue.howTo) return;
      if (!queue.name) ctx.addIssue({ code: 'custom', path: ['name'], message: 'Isi nama layanan antrean, atau kosongkan ketiga isian antrean.' });
      if (!queue.howTo) ctx.addIssue({ code: 'custom', path: ['howTo'], message: 'Tulis cara mengambil nomor antrean.' });
    })
    .optional()
    .transform((queue) => (queue?.name && queue.howTo ? { name: queue.name, url: queue.url, howTo: queue.howTo } : undefined)),
  servicePoints: z
    .array(
      z.object({
        name: required(2, 150, 'Isi nama tempat layanan.'),
        address: required(3, 300, 'Isi alamat atau keterangan tempatnya.'),
        hoursText: optional(200),
        services: optional(500),
      }),
    )
    .max(30, 'Paling banyak 30 tempat layanan.'),
  kecamatan: z
    .array(
      z
        .object({
          name: required(2, 80, 'Isi nama kecamatan.'),
          kelurahan: z.array(required(2, 80, 'Nama kelurahan/desa paling sedikit 2 huruf.')).min(1, 'Tulis paling sedikit satu kelurahan/desa, satu per baris.').max(200),
        })
        .superRefine((kecamatan, ctx) =>
          unique(kecamatan.kelurahan, (name) => name, () => ['kelurahan'], (name) => `Kelurahan "${name}" tertulis dua kali.`, ctx),
        ),
    )
    .min(1, 'Isi paling sedikit satu kecamatan.')
    .max(100, 'Paling banyak 100 kecamatan.')
    .superRefine((list, ctx) => unique(list, (k) => k.name, (index) => [index, 'name'], (k) => `Kecamatan "${k.name}" tertulis dua kali.`, ctx)),
  expectedAgentWaitMinutes: z.coerce
    .number({ error: 'Tulis jumlah menit dengan angka.' })
    .int('Tulis jumlah menit tanpa koma.')
    .min(1, 'Paling sedikit 1 menit.')
    .max(600, 'Paling lama 600 menit.'),
  sourceNote: optional(2000),
  lastReviewed: isoDate('Pilih tanggal pemeriksaan terakhir.'),
});

/** Each problem once, at its field (the first message wins). */
function problemsOf(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): FieldProblem[] {
  const byPath = new Map<string, string>();
  for (const issue of issues) {
    const path = [...prefix, ...issue.path].map(String).join('.');
    if (!byPath.has(path)) byPath.set(path, issue.message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

const INVALID = 'Ada isian yang belum benar. Perbaiki yang ditandai merah, lalu simpan lagi.';

/** Checks a profile as typed by an admin; throws with every field problem listed. */
export function validOffice(input: unknown, current: Pick<OfficeProfile, 'id'>): OfficeProfile {
  const parsed = officeInput.safeParse(input);
  if (!parsed.success) throw new OfficeEditError(INVALID, 400, problemsOf(parsed.error.issues));
  // The shipped schema has the last word: the engine reads exactly this shape.
  const office = officeSchema.safeParse({ ...parsed.data, id: current.id });
  if (!office.success) throw new OfficeEditError(INVALID, 400, problemsOf(office.error.issues));
  return office.data;
}

const HOLIDAY_TYPES = holidaySchema.shape.type.options;
/** Who set a holiday an admin typed without saying where it came from. */
export const ADMIN_SOURCE = 'Diisi admin kantor';

/** Checks one year's holidays as typed by an admin. */
export function validHolidays(year: number, input: unknown): Holiday[] {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new OfficeEditError('Pilih tahun antara 2000 dan 2100.', 400, [{ path: 'year', message: 'Pilih tahun antara 2000 dan 2100.' }]);
  const rows = z
    .array(
      z.object({
        date: isoDate('Pilih tanggal.').refine((date) => date.startsWith(`${year}-`), `Tanggal harus di tahun ${year}.`),
        name: required(3, 150, 'Tulis nama hari libur (paling sedikit 3 huruf).'),
        type: z.enum(HOLIDAY_TYPES, { error: 'Pilih jenis hari libur.' }),
        source: optional(200).transform((source) => source ?? ADMIN_SOURCE),
        confidence: z.enum(['high', 'medium', 'low'], { error: 'Pilih kepastian tanggalnya.' }).default('high'),
      }),
    )
    .max(80, 'Paling banyak 80 hari libur setahun.')
    .superRefine((list, ctx) => unique(list, (h) => h.date, (index) => [index, 'date'], (h) => `Tanggal ${h.date} sudah ada di baris lain.`, ctx));
  const parsed = rows.safeParse(input);
  if (!parsed.success) throw new OfficeEditError(INVALID, 400, problemsOf(parsed.error.issues, ['holidays']));
  return parsed.data.sort((a, b) => a.date.localeCompare(b.date));
}

// ---- saving -------------------------------------------------------------------------------------

export interface OfficeEditingDeps {
  store: Store;
  /** This instance's knowledge base: reloaded at once after a save. */
  knowledge: Pick<KnowledgeBase, 'invalidate'>;
  /** Tells the other instances to reload now (they notice the revision within seconds without it). */
  events?: Pick<EventBus, 'emit'>;
}

export type OfficeEditor = Pick<User, 'id' | 'role'>;

/**
 * A short fingerprint of what an admin started editing: the page sends it
 * back, and a save over someone else's newer save is refused instead of
 * silently undoing it.
 */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value ?? null)).digest('base64url').slice(0, 16);
}

const FIELD_NAMES: Record<keyof OfficeProfile, string> = {
  id: 'kode kantor',
  name: 'nama',
  shortName: 'nama singkat',
  region: 'wilayah',
  timeZone: 'zona waktu',
  address: 'alamat',
  mapsUrl: 'peta',
  hours: 'jam buka',
  hoursText: 'kalimat jam layanan',
  phones: 'telepon',
  whatsapp: 'WhatsApp',
  email: 'e-mail',
  website: 'situs web',
  queue: 'antrean',
  servicePoints: 'tempat layanan',
  kecamatan: 'kecamatan/kelurahan',
  expectedAgentWaitMinutes: 'waktu tunggu petugas',
  sourceNote: 'catatan sumber',
  lastReviewed: 'tanggal pemeriksaan',
};

/** Saves the office profile an admin edited; the bot answers with it at once on every instance. */
export async function saveOfficeProfile(deps: OfficeEditingDeps, by: OfficeEditor, input: unknown, basis: string): Promise<OfficeProfile> {
  mustBeAdmin(by);
  const current = await deps.store.settings.get<OfficeProfile>(OFFICE_SETTING);
  if (!current) throw new Error('Profil kantor belum ada di penyimpanan: jalankan seedKnowledge() saat start.');
  const office = validOffice(input, current);
  if (fingerprint(current) !== basis) throw stale('Profil kantor');
  const changed = (Object.keys(FIELD_NAMES) as (keyof OfficeProfile)[]).filter((key) => JSON.stringify(current[key] ?? null) !== JSON.stringify(office[key] ?? null));
  if (changed.length === 0) return current;
  await deps.store.settings.put(OFFICE_SETTING, office);
  await publish(deps);
  await recordAudit(deps.store, { actorId: by.id, action: 'settings.office', target: 'office', summary: `Diubah: ${changed.map((key) => FIELD_NAMES[key]).join(', ')}` });
  return office;
}

/** Replaces one year's holidays; the next ticket deadline on every instance skips them. */
export async function saveHolidays(deps: OfficeEditingDeps, by: OfficeEditor, year: number, input: unknown, basis: string): Promise<Holiday[]> {
  mustBeAdmin(by);
  const holidays = validHolidays(year, input);
  const data = await storedHolidays(deps.store.settings);
  const before = data.holidays.filter((holiday) => holiday.date.startsWith(`${year}-`));
  if (fingerprint(before) !== basis) throw stale(`Hari libur ${year}`);
  const covered = data.years.includes(year);
  const summary = holidayChanges(before, holidays);
  if (covered && !summary) return holidays;
  await deps.store.settings.put<HolidayData>(HOLIDAYS_SETTING, {
    years: [...new Set([...data.years, year])].sort((a, b) => a - b),
    holidays: [...data.holidays.filter((holiday) => !holiday.date.startsWith(`${year}-`)), ...holidays].sort((a, b) => a.date.localeCompare(b.date)),
  });
  await publish(deps);
  await recordAudit(deps.store, { actorId: by.id, action: 'settings.holidays', target: `libur-${year}`, summary: `Hari libur ${year}: ${summary || 'tahun ini mulai dipakai (tanpa hari libur)'}` });
  return holidays;
}

/** "ditambah 2026-09-27 HUT Kota Palu; dihapus 2026-12-24; diubah 2026-03-20", or '' when nothing changed. */
function holidayChanges(before: Holiday[], after: Holiday[]): string {
  const old = new Map(before.map((holiday) => [holiday.date, holiday]));
  const now = new Map(after.map((holiday) => [holiday.date, holiday]));
  const list = (items: string[]) => (items.length > 4 ? `${items.slice(0, 4).join(', ')} dan ${items.length - 4} lagi` : items.join(', '));
  const added = after.filter((holiday) => !old.has(holiday.date)).map((holiday) => `${holiday.date} ${holiday.name}`);
  const removed = before.filter((holiday) => !now.has(holiday.date)).map((holiday) => `${holiday.date} ${holiday.name}`);
  const edited = after.filter((holiday) => old.has(holiday.date) && JSON.stringify(old.get(holiday.date)) !== JSON.stringify(holiday)).map((holiday) => holiday.date);
  return [added.length ? `ditambah ${list(added)}` : '', removed.length ? `dihapus ${list(removed)}` : '', edited.length ? `diubah ${list(edited)}` : '']
    .filter(Boolean)
    .join('; ');
}

function mustBeAdmin(by: OfficeEditor): void {
  if (!hasRole(by.role, 'admin')) throw new OfficeEditError('Hanya admin yang dapat mengubah profil kantor dan hari libur.', 403);
}

function stale(what: string): OfficeEditError {
  return new OfficeEditError(`${what} baru saja diubah orang lain. Muat ulang halaman untuk melihat versi terbaru; perubahan Anda belum disimpan.`, 409);
}

/**
 * Bumps the revision every instance compares, then reloads here and tells
 * the others. Not a counter read back and incremented (two saves at once
 * would write the same number and one of them would never be loaded): the
 * clock makes each save's revision new.
 */
async function publish(deps: OfficeEditingDeps): Promise<void> {
  const previous = (await deps.store.settings.get<number>(OFFICE_REVISION_SETTING)) ?? 0;
  await deps.store.settings.put(OFFICE_REVISION_SETTING, Math.max(previous + 1, Date.now()));
  deps.knowledge.invalidate();
  deps.events?.emit('knowledge');
}
