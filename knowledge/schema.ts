/**
 * The shape of the knowledge base. Entries are data, not text blobs: the bot
 * renders them per channel, admins edit them field by field, and the NLU
 * reads `document`, `situations` and `phrases` to decide which one a citizen
 * is asking about.
 */
import { z } from 'zod';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'tanggal harus berformat YYYY-MM-DD');

export const specialCaseSchema = z.object({
  /** The situation in the citizen's words, e.g. "Tidak punya surat keterangan lahir". */
  when: z.string().min(3),
  /** What to do instead. */
  then: z.string().min(3),
});

export const entrySchema = z.object({
  /** Stable slug, e.g. `ktp-hilang-rusak`. Never renamed: tickets, logs and tests refer to it. */
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'id hanya huruf kecil, angka dan tanda hubung'),
  /** Title shown to citizens, e.g. "KTP-el hilang atau rusak". */
  title: z.string().min(3),
  /**
   * The document (or topic) the entry is about, as a concept key shared with
   * the NLU lexicon: `ktp`, `kk`, `akta-kelahiran`, `info`, ...
   */
  document: z.string().min(2),
  /** Situations this entry covers: `baru`, `hilang`, `rusak`, `ubah`, ... Empty = the document's default entry. */
  situations: z.array(z.string()).default([]),
  /** One or two sentences: what this service is and who it is for. */
  summary: z.string().min(10),
  /** The documents to bring, one per item, most important first. */
  requirements: z.array(z.string().min(2)).default([]),
  /** What happens, in order. */
  steps: z.array(z.string().min(2)).default([]),
  /** Where to apply. May use office placeholders such as {{office.shortName}}. */
  where: z.string().min(3),
  /** Cost: every Adminduk service is free (UU 24/2013 Pasal 79A). */
  cost: z.string().min(3),
  /** Processing time as the office publishes it. */
  processingTime: z.string().min(3),
  /** Legal basis, one citation per item (e.g. "Perpres 96/2018 Pasal 15"). */
  legalBasis: z.array(z.string().min(3)).min(1, 'setiap entri wajib mencantumkan dasar hukum'),
  /** Notes for special cases. */
  specialCases: z.array(specialCaseSchema).default([]),
  /** How citizens ask about it, in their own words (used by the NLU). */
  phrases: z.array(z.string().min(2)).default([]),
  /** Related entry ids offered after the answer. */
  related: z.array(z.string()).default([]),
  /** When a person last checked the entry against the rules. */
  lastReviewed: isoDate,
  /** How often it must be re-checked. */
  reviewIntervalDays: z.number().int().positive().default(180),
});

export type Entry = z.infer<typeof entrySchema>;
export type EntryInput = z.input<typeof entrySchema>;

const clock = z.string().regex(/^\d{2}:\d{2}$/, 'jam harus berformat HH:MM');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const officeSchema = z.object({
  id: z.string().min(2),
  /** Full name, e.g. "Dinas Kependudukan dan Pencatatan Sipil Kota Palu". */
  name: z.string().min(3),
  /** Short name used in answers, e.g. "Disdukcapil Kota Palu". */
  shortName: z.string().min(2),
  /** The city or regency served, e.g. "Kota Palu". */
  region: z.string().min(2),
  /** IANA time zone of the office (office hours, due dates). */
  timeZone: z.string().min(3),
  address: z.string().min(5),
  mapsUrl: z.string().url().optional(),
  /** Opening hours per weekday for the helpdesk and counters; days left out are closed. */
  hours: z.array(z.object({ days: z.array(weekday).min(1), open: clock, close: clock })).min(1),
  /** Human-readable hours, e.g. "Senin–Kamis 08.00–15.00 WITA". */
  hoursText: z.string().min(3),
  phones: z.array(z.object({ label: z.string(), number: z.string() })).default([]),
  whatsapp: z.string().optional(),
  email: z.string().optional(),
  website: z.string().optional(),
  /** Online queue-number service, if the office has one. */
  queue: z.object({ name: z.string(), url: z.string().optional(), howTo: z.string() }).optional(),
  /** Other places that serve citizens (MPP, UPT kecamatan, mobile service). */
  servicePoints: z
    .array(z.object({ name: z.string(), address: z.string(), hoursText: z.string().optional(), services: z.string().optional() }))
    .default([]),
  /** Sub-districts and their villages, for complaint intake and routing. */
  kecamatan: z.array(z.object({ name: z.string(), kelurahan: z.array(z.string()).min(1) })).min(1),
  /** Minutes a citizen typically waits for a human agent in office hours. */
  expectedAgentWaitMinutes: z.number().int().positive().default(15),
  /** Where the values came from and when they were last checked. */
  sourceNote: z.string().optional(),
  lastReviewed: isoDate,
});

export type OfficeProfile = z.infer<typeof officeSchema>;

const patternList = z.array(z.string().min(1));

/** knowledge/language/concepts.yaml: the words that signal documents, situations and intents. */
export const conceptsSchema = z.object({
  documents: z.record(z.string(), patternList),
  /** Entry id a document name alone refers to, for documents with several entries. */
  defaultEntries: z.record(z.string(), z.string()),
  /** Document a situation alone refers to when no document is named. */
  situationDefaults: z.record(z.string(), z.string()),
  genericDocuments: z.record(z.string(), patternList),
  events: z.record(z.string(), patternList),
  situations: z.record(z.string(), patternList),
  aspects: z.record(z.string(), patternList),
  intents: z.object({
    complaintExplicit: patternList,
    handoff: patternList,
    /** A person-word near a request-word also asks for a human ("mau sama orang aja"). */
    handoffPeople: patternList,
    handoffRequests: patternList,
    status: patternList,
    /** A complaint noun near a follow-up word also asks about a filed complaint. */
    statusNouns: patternList,
    statusFollowUps: patternList,
    greeting: patternList,
    thanks: patternList,
    menu: patternList,
    cancel: patternList,
    injection: patternList,
    personalDataRequest: patternList,
  }),
  complaints: z.record(z.string(), patternList),
  outOfScope: z.record(z.string(), z.object({ patterns: patternList, pointer: z.string().min(10) })),
  fillers: patternList,
});

export type Concepts = z.infer<typeof conceptsSchema>;

/** knowledge/language/slang.yaml: how citizens write a word → its standard spelling. */
export const slangSchema = z.record(
  z.string().regex(/^[a-z0-9]+( [a-z0-9]+)*$/, 'kunci hanya huruf kecil/angka dipisah satu spasi'),
  z.string().min(1),
);

export type Slang = z.infer<typeof slangSchema>;

const HOLIDAY_TYPES = ['libur-nasional', 'cuti-bersama', 'libur-daerah'] as const;

/** A real calendar date: 2026-02-30 has the right shape but is not a day. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day;
}

/** One day off in a yearly calendar file. */
export const holidaySchema = z.object({
  date: isoDate.refine(isCalendarDate, 'tanggal tidak ada di kalender'),
  /** As people know it, e.g. "Hari Suci Nyepi (Tahun Baru Saka 1948)". */
  name: z.string().min(3),
  /** National holiday, collective leave (cuti bersama: civil-service offices close too) or a regional holiday. */
  type: z.enum(HOLIDAY_TYPES),
  /** Where the date comes from (the SKB, a regional decree, an estimate). */
  source: z.string().min(3),
  /** high: fixed or decreed; medium: decreed or near-certain but may still move (Islamic dates); low: an estimate. */
  confidence: z.enum(['high', 'medium', 'low']),
});

export type Holiday = z.infer<typeof holidaySchema>;

/**
 * knowledge/calendar/<country or office>-<year>.yaml: the days offices are
 * closed in one year, from the year's SKB 3 Menteri on national holidays and
 * cuti bersama, plus regional holidays an office adds. Working-day deadlines
 * (bot/calendar.ts) skip them.
 */
export const calendarFileSchema = z
  .object({
    year: z.number().int().min(2000).max(2100),
    country: z.literal('ID'),
    /** The decree the dates were taken from, once it exists. */
    decree: z.string().optional(),
    lastReviewed: isoDate.optional(),
    holidays: z.array(holidaySchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.holidays.forEach((holiday, index) => {
      if (!holiday.date.startsWith(`${file.year}-`)) {
        ctx.addIssue({ code: 'custom', path: ['holidays', index, 'date'], message: `tanggal ${holiday.date} tidak di tahun ${file.year}` });
      }
      if (seen.has(holiday.date)) {
        ctx.addIssue({ code: 'custom', path: ['holidays', index, 'date'], message: `tanggal ${holiday.date} tercantum dua kali` });
      }
      seen.add(holiday.date);
    });
  });

export type CalendarFile = z.infer<typeof calendarFileSchema>;
