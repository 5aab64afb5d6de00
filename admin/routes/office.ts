/**
 * The office profile and the holiday calendar (admins only).
 *
 *   GET  /office                    the profile as a form: names, address, hours per weekday,
 *                                   phones, queue, service points, kecamatan with their kelurahan
 *   POST /office                    JSON { basis, ...fields } → saved, or 400 with a message per field
 *   GET  /office/holidays?tahun=    one year's holidays as editable rows
 *   POST /office/holidays           JSON { year, basis, holidays: [...] } → saved, or 400 per field
 *
 * The forms are posted as JSON by admin/public/office.js (rows are added and
 * removed in the page, and a regency's kecamatan list is more fields than a
 * form post may carry). `basis` is the fingerprint of what the page showed:
 * a save over someone else's newer save gets 409 instead of undoing it.
 * Checking and saving are in bot/office-editing.ts; this file only turns
 * the page's fields into a profile (hours per weekday → the profile's time
 * slots, one kelurahan per line → a list) and back.
 */
import type { Request, Response, Router } from 'express';
import type { EventBus } from '../../bot/bus.js';
import type { KnowledgeBase } from '../../bot/knowledge-base.js';
import { OFFICE_SETTING } from '../../bot/knowledge-base.js';
import {
  ADMIN_SOURCE,
  fingerprint,
  OfficeEditError,
  saveHolidays,
  saveOfficeProfile,
  storedHolidays,
  validOffice,
  type FieldProblem,
  type OfficeEditingDeps,
} from '../../bot/office-editing.js';
import type { Holiday, OfficeProfile } from '../../knowledge/schema.js';
import { authOf, wantsJson } from '../access.js';
import { flashFrom, type AdminContext } from '../context.js';

export interface OfficeDeps {
  knowledge: Pick<KnowledgeBase, 'invalidate'>;
  events?: EventBus;
}

type Weekday = OfficeProfile['hours'][number]['days'][number];
const WEEK: { key: Weekday; label: string }[] = [
  { key: 'mon', label: 'Senin' },
  { key: 'tue', label: 'Selasa' },
  { key: 'wed', label: 'Rabu' },
  { key: 'thu', label: 'Kamis' },
  { key: 'fri', label: 'Jumat' },
  { key: 'sat', label: 'Sabtu' },
  { key: 'sun', label: 'Minggu' },
];

const TIME_ZONES = [
  { value: 'Asia/Jakarta', label: 'WIB – Waktu Indonesia Barat (Asia/Jakarta)' },
  { value: 'Asia/Makassar', label: 'WITA – Waktu Indonesia Tengah (Asia/Makassar)' },
  { value: 'Asia/Jayapura', label: 'WIT – Waktu Indonesia Timur (Asia/Jayapura)' },
];

export const HOLIDAY_TYPES: { value: Holiday['type']; label: string }[] = [
  { value: 'libur-nasional', label: 'Libur nasional' },
  { value: 'cuti-bersama', label: 'Cuti bersama' },
  { value: 'libur-daerah', label: 'Libur daerah' },
];
const CONFIDENCE: { value: Holiday['confidence']; label: string }[] = [
  { value: 'high', label: 'Pasti' },
  { value: 'medium', label: 'Bisa bergeser' },
  { value: 'low', label: 'Perkiraan' },
];
const DAY_NAMES = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'];

/** One weekday's hours as the form shows them: empty open/close = closed; an optional midday break. */
interface DayHours {
  open: string;
  close: string;
  breakStart: string;
  breakEnd: string;
}

/**
 * The profile's time slots as one row per weekday. A day with two slots
 * shows as opening, break, closing; with more (rare) the gaps after the
 * first break are not shown and are saved as working time.
 */
export function daysOf(hours: OfficeProfile['hours']): Record<Weekday, DayHours> {
  const days = {} as Record<Weekday, DayHours>;
  for (const { key } of WEEK) {
    const slots = hours.filter((slot) => slot.days.includes(key)).sort((a, b) => a.open.localeCompare(b.open));
    days[key] = {
      open: slots[0]?.open ?? '',
      close: slots.at(-1)?.close ?? '',
      breakStart: slots.length > 1 ? slots[0]!.close : '',
      breakEnd: slots.length > 1 ? slots[1]!.open : '',
    };
  }
  return days;
}

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d(:\d{2})?$/u;

/** The weekday rows as the profile's slots (days with the same times share a slot), with problems per field. */
export function hoursOf(input: unknown): { hours: OfficeProfile['hours']; problems: FieldProblem[] } {
  const rows = (input && typeof input === 'object' ? input : {}) as Record<string, Record<string, unknown> | undefined>;
  const problems: FieldProblem[] = [];
  const byTimes = new Map<string, Weekday[]>();
  for (const { key, label } of WEEK) {
    const row = rows[key] ?? {};
    const value = (name: keyof DayHours) => (typeof row[name] === 'string' ? (row[name] as string).trim().slice(0, 5) : '');
    const [open, close, breakStart, breakEnd] = [value('open'), value('close'), value('breakStart'), value('breakEnd')];
    const problem = (field: keyof DayHours, message: string) => problems.push({ path: `days.${key}.${field}`, message });
    if (!open && !close && !breakStart && !breakEnd) continue; // closed
    if (!open || !CLOCK.test(open)) {
      problem('open', `Isi jam buka hari ${label}, atau kosongkan semua jamnya bila tutup.`);
      continue;
    }
    if (!close || !CLOCK.test(close)) {
      problem('close', `Isi jam tutup hari ${label}.`);
      continue;
    }
    if (close <= open) {
      problem('close', 'Jam tutup harus setelah jam buka.');
      continue;
    }
    let slots = [[open, close]];
    if (breakStart || breakEnd) {
      if (!CLOCK.test(breakStart) || !CLOCK.test(breakEnd)) {
        problem(breakStart ? 'breakEnd' : 'breakStart', 'Isi jam mulai dan selesai istirahat, atau kosongkan keduanya.');
        continue;
      }
      if (!(open < breakStart && breakStart < breakEnd && breakEnd < close)) {
        problem('breakStart', 'Istirahat harus di antara jam buka dan jam tutup, dan selesai setelah mulai.');
        continue;
      }
      slots = [
        [open, breakStart],
        [breakEnd, close],
      ];
    }
    const times = JSON.stringify(slots);
    byTimes.set(times, [...(byTimes.get(times) ?? []), key]);
  }
  if (byTimes.size === 0 && problems.length === 0) problems.push({ path: 'days', message: 'Isi jam buka paling sedikit untuk satu hari.' });
  const hours = [...byTimes].flatMap(([times, days]) => (JSON.parse(times) as [string, string][]).map(([open, close]) => ({ days, open, close })));
  return { hours, problems };
}

/** validOffice keeps the stored id; when only collecting problems, any id will do. */
const OFFICE_ID_UNCHANGED = 'office';

const str = (value: unknown) => (typeof value === 'string' ? value : '');
type Row = Record<string, unknown>;

/**
 * A list's rows without those the admin left empty (a row added by mistake
 * is not an error; `keys` are the fields that count), and where each kept
 * row sits on the page.
 */
function keptRows(value: unknown, keys: string[]): { rows: Row[]; onPage: number[] } {
  const rows: Row[] = [];
  const onPage: number[] = [];
  (Array.isArray(value) ? value : []).forEach((row: unknown, index) => {
    if (!row || typeof row !== 'object') return;
    if (!keys.some((key) => str((row as Row)[key]).trim() !== '')) return;
    rows.push(row as Row);
    onPage.push(index);
  });
  return { rows, onPage };
}

/** A problem in kept row n of a list, moved to that row's place on the page (`kecamatan.2.name` → `kecamatan.3.name`). */
function onThePage(fields: FieldProblem[], lists: Record<string, number[]>): FieldProblem[] {
  return fields.map((field) => {
    const [list, index, ...rest] = field.path.split('.');
    const row = lists[list!]?.[Number(index)];
    return row === undefined ? field : { ...field, path: [list, row, ...rest].join('.') };
  });
}

const lines = (value: unknown) =>
  str(value)
    .split(/\r?\n/u)
    .map((line) => line.trim())
    .filter(Boolean);

/**
 * The page's fields as a profile to check (bot/office-editing.ts validOffice),
 * the hour rows' problems, and `pagePaths` to put the check's problems at the
 * page's rows.
 */
export function profileFromForm(body: Record<string, unknown>): { input: Record<string, unknown>; problems: FieldProblem[]; pagePaths(fields: FieldProblem[]): FieldProblem[] } {
  const { hours, problems } = hoursOf(body.days);
  const queue = (body.queue && typeof body.queue === 'object' ? body.queue : {}) as Record<string, unknown>;
  const phones = keptRows(body.phones, ['label', 'number']);
  const servicePoints = keptRows(body.servicePoints, ['name', 'address', 'hoursText', 'services']);
  const kecamatan = keptRows(body.kecamatan, ['name', 'kelurahan']);
  const input: Record<string, unknown> = {
    name: str(body.name),
    shortName: str(body.shortName),
    region: str(body.region),
    timeZone: str(body.timeZone),
    address: str(body.address),
    mapsUrl: str(body.mapsUrl),
    hours,
    hoursText: str(body.hoursText),
    phones: phones.rows.map((row) => ({ label: str(row.label), number: str(row.number) })),
    whatsapp: str(body.whatsapp),
    email: str(body.email),
    website: str(body.website),
    queue: { name: str(queue.name), url: str(queue.url), howTo: str(queue.howTo) },
    servicePoints: servicePoints.rows.map((row) => ({ name: str(row.name), address: str(row.address), hoursText: str(row.hoursText), services: str(row.services) })),
    kecamatan: kecamatan.rows.map((row) => ({ name: str(row.name), kelurahan: lines(row.kelurahan) })),
    expectedAgentWaitMinutes: str(body.expectedAgentWaitMinutes),
    sourceNote: str(body.sourceNote),
    lastReviewed: str(body.lastReviewed),
  };
  const lists = { phones: phones.onPage, servicePoints: servicePoints.onPage, kecamatan: kecamatan.onPage };
  return { input, problems, pagePaths: (fields) => onThePage(fields, lists) };
}

/** The profile as the page shows it in its fields (and as office.js sends it back). */
export function officeFormValues(office: OfficeProfile) {
  return {
    name: office.name,
    shortName: office.shortName,
    region: office.region,
    timeZone: office.timeZone,
    address: office.address,
    mapsUrl: office.mapsUrl ?? '',
    days: daysOf(office.hours),
    hoursText: office.hoursText,
    phones: office.phones,
    whatsapp: office.whatsapp ?? '',
    email: office.email ?? '',
    website: office.website ?? '',
    queue: { name: office.queue?.name ?? '', url: office.queue?.url ?? '', howTo: office.queue?.howTo ?? '' },
    servicePoints: office.servicePoints.map((point) => ({ name: point.name, address: point.address, hoursText: point.hoursText ?? '', services: point.services ?? '' })),
    kecamatan: office.kecamatan.map((kecamatan) => ({ name: kecamatan.name, kelurahan: kecamatan.kelurahan.join('\n') })),
    expectedAgentWaitMinutes: String(office.expectedAgentWaitMinutes),
    sourceNote: office.sourceNote ?? '',
    lastReviewed: office.lastReviewed,
  };
}

const dayName = (date: string) => DAY_NAMES[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? '';
const yearIn = (timeZone: string) => Number(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric' }).format(new Date()));

export function officeRoutes(router: Router, ctx: AdminContext, deps: OfficeDeps): void {
  const { base, store, render, access, log } = ctx;
  const admin = access.requireRole('admin');
  const editing: OfficeEditingDeps = { store, knowledge: deps.knowledge, events: deps.events };

  const current = async () => {
    const office = await store.settings.get<OfficeProfile>(OFFICE_SETTING);
    if (!office) throw new Error('no office profile in the store');
    return office;
  };

  /** A refused save as JSON (what office.js shows), or the page with the message for a browser without script. */
  const refuse = (req: Request, res: Response, error: OfficeEditError, page: () => Promise<void>) => {
    if (!wantsJson(req)) return page();
    const code = error.status === 409 ? 'conflict' : error.status === 403 ? 'forbidden' : 'invalid';
    const messageEn = { conflict: 'Changed by someone else since this page was loaded (basis differs): reload.', forbidden: 'Admins only.', invalid: 'Invalid fields: see `fields` (dotted paths of the form).' }[code];
    res.status(error.status).json({ error: code, message: error.message, messageEn, fields: error.fields });
  };
  const NO_SCRIPT = new OfficeEditError('Halaman ini memerlukan JavaScript untuk menyimpan. Aktifkan JavaScript di peramban, lalu muat ulang halaman.', 400);
  const asJson = (req: Request) => req.is('application/json') === 'application/json';

  async function showOffice(req: Request, res: Response, status = 200, error?: string) {
    const office = await current();
    render.page(
      res,
      'office',
      {
        title: 'Profil kantor',
        nav: 'office',
        styles: ['settings.css'],
        scripts: ['office.js'],
        flash: error ? { kind: 'error', text: error } : flashFrom(req, { tersimpan: 'Profil kantor tersimpan. Bot langsung memakai data baru ini.' }),
        basis: fingerprint(office),
        form: officeFormValues(office),
        week: WEEK,
        timeZones: TIME_ZONES.some((zone) => zone.value === office.timeZone) ? TIME_ZONES : [...TIME_ZONES, { value: office.timeZone, label: office.timeZone }],
        officeId: office.id,
      },
      status,
    );
  }

  router.get('/office', admin, (req, res) => showOffice(req, res));

  router.post('/office', admin, async (req, res) => {
    if (!asJson(req)) return refuse(req, res, NO_SCRIPT, () => showOffice(req, res, 400, NO_SCRIPT.message));
    const body = req.body as Record<string, unknown>;
    const { input, problems, pagePaths } = profileFromForm(body);
    try {
      if (problems.length) {
        // Report the hours together with every other field, not one round at a time.
        const others = catchFields(() => validOffice(input, { id: OFFICE_ID_UNCHANGED }));
        throw new OfficeEditError('Ada isian yang belum benar. Perbaiki yang ditandai merah, lalu simpan lagi.', 400, [...problems, ...others]);
      }
      await saveOfficeProfile(editing, authOf(res)!.user, input, str(body.basis));
    } catch (error) {
      if (!(error instanceof OfficeEditError)) throw error;
      const located = new OfficeEditError(error.message, error.status, pagePaths(error.fields));
      return refuse(req, res, located, () => showOffice(req, res, error.status, error.message));
    }
    log.info({ by: authOf(res)!.user.id }, 'admin: office profile saved');
    res.json({ ok: true, redirect: `${base}/office?pesan=tersimpan` });
  });

  async function showHolidays(req: Request, res: Response, status = 200, error?: string) {
    const timeZone = (await current()).timeZone;
    const thisYear = yearIn(timeZone);
    const asked = Number(typeof req.query.tahun === 'string' ? req.query.tahun : NaN);
    const year = Number.isInteger(asked) && asked >= 2000 && asked <= 2100 ? asked : thisYear;
    const data = await storedHolidays(store.settings);
    const holidays = data.holidays.filter((holiday) => holiday.date.startsWith(`${year}-`));
    const years = [...new Set([...data.years, thisYear, thisYear + 1, year])].sort((a, b) => a - b);
    render.page(
      res,
      'office-holidays',
      {
        title: `Hari libur ${year}`,
        nav: 'office',
        bodyClass: 'page-wide',
        styles: ['settings.css'],
        scripts: ['office.js'],
        flash: error ? { kind: 'error', text: error } : flashFrom(req, { tersimpan: `Hari libur ${year} tersimpan. Tenggat tiket baru langsung melewati hari-hari ini.` }),
        year,
        covered: data.years.includes(year),
        years: years.map((value) => ({ value, current: value === year, href: `${base}/office/holidays?tahun=${value}`, count: data.holidays.filter((h) => h.date.startsWith(`${value}-`)).length })),
        basis: fingerprint(holidays),
        rows: holidays.map((holiday) => ({ ...holiday, source: holiday.source === ADMIN_SOURCE ? '' : holiday.source, weekday: dayName(holiday.date) })),
        types: HOLIDAY_TYPES,
        confidence: CONFIDENCE,
      },
      status,
    );
  }

  router.get('/office/holidays', admin, (req, res) => showHolidays(req, res));

  router.post('/office/holidays', admin, async (req, res) => {
    if (!asJson(req)) return refuse(req, res, NO_SCRIPT, () => showHolidays(req, res, 400, NO_SCRIPT.message));
    const body = req.body as Record<string, unknown>;
    const year = Number(body.year);
    // A new row's kind and certainty are preselected: a row counts once it has a date, a name or a source.
    const { rows, onPage } = keptRows(body.holidays, ['date', 'name', 'source']);
    const holidays = rows.map((row) => ({ date: str(row.date), name: str(row.name), type: str(row.type), source: str(row.source), confidence: str(row.confidence) || undefined }));
    try {
      await saveHolidays(editing, authOf(res)!.user, year, holidays, str(body.basis));
    } catch (error) {
      if (!(error instanceof OfficeEditError)) throw error;
      const located = new OfficeEditError(error.message, error.status, onThePage(error.fields, { holidays: onPage }));
      return refuse(req, res, located, () => showHolidays(req, res, error.status, error.message));
    }
    log.info({ by: authOf(res)!.user.id, year }, 'admin: holidays saved');
    res.json({ ok: true, redirect: `${base}/office/holidays?tahun=${year}&pesan=tersimpan` });
  });
}

function catchFields(check: () => unknown): FieldProblem[] {
  try {
    check();
    return [];
  } catch (error) {
    if (error instanceof OfficeEditError) return error.fields.filter((field) => !field.path.startsWith('hours'));
    throw error;
  }
}
