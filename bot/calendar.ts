/**
 * The office's working-day calendar: which days the office works (a weekday
 * with office hours that is not a national holiday, cuti bersama or regional
 * holiday) and deadlines counted in working days, all in the office's own
 * time zone. Pure functions of the office profile and the holiday data
 * (shipped in knowledge/calendar/, kept in the store and edited by admins:
 * bot/office-editing.ts); nothing here reads a clock or the store.
 *
 * The due-date rule (how SP4N-LAPOR! and Indonesian service standards count
 * "n hari kerja"):
 *
 *   1. A report is RECEIVED at the next working time at or after it was sent:
 *      sent during office hours → that moment; sent before opening on a
 *      working day → that day's opening; sent after closing, at a weekend or
 *      on a holiday → the next working day's opening.
 *   2. The day of receipt is day 0 and is not counted. Counting starts on the
 *      next working day, and the deadline is CLOSING TIME of the n-th
 *      working day after the day of receipt.
 *
 * So with "3 hari kerja" a complaint sent Friday 14:00 is due Wednesday at
 * closing time (Mon, Tue, Wed), and one sent Friday 16:00, after closing, is
 * received on Monday and due Thursday at closing time. Closing time rather
 * than "the same clock time" because a deadline of n working days gives the
 * office the whole n-th day, and a deadline that lands at 10:14 on some day
 * means nothing to staff or citizens; it also never lands outside office
 * hours. Day 0 is not counted so that a report arriving five minutes before
 * closing does not lose a day.
 */
import type { HolidayData } from '../knowledge/load.js';
import type { Holiday, OfficeProfile } from '../knowledge/schema.js';

/** A date on the office's wall calendar, `YYYY-MM-DD`. */
export type LocalDate = string;

export interface Calendar {
  readonly timeZone: string;
  /** Years the holiday data covers; outside them only weekends and office hours count. */
  readonly years: readonly number[];
  covers(year: number): boolean;
  /** The office's calendar date of an instant (a `YYYY-MM-DD` passes through). */
  localDate(at: Date | LocalDate): LocalDate;
  /** The holiday (libur nasional, cuti bersama, libur daerah) on that date, if any. */
  holiday(date: Date | LocalDate): Holiday | undefined;
  /** A weekday with office hours that is not a holiday (a Date is read in the office's time zone). */
  isWorkingDay(date: Date | LocalDate): boolean;
  /** Within office hours on a working day. */
  isWorkingTime(at: Date): boolean;
  /** `at` itself during working time, otherwise the next opening on a working day. */
  nextWorkingTime(at: Date): Date;
  /** Closing time of the n-th working day after the day a report sent at `start` is received (see the rule above). */
  addWorkingDays(start: Date, n: number): Date;
  /**
   * Working days after a's date up to and including b's date (office dates):
   * 0 on the same day, negative when b is before a. For any start,
   * workingDaysBetween(nextWorkingTime(start), addWorkingDays(start, n)) = n.
   */
  workingDaysBetween(a: Date | LocalDate, b: Date | LocalDate): number;
  /** "Rabu, 25 Maret 2026 pukul 15.00 WITA": a deadline in words, on the office's clock. */
  format(at: Date): string;
}

type Weekday = OfficeProfile['hours'][number]['days'][number];
const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;
/** Looking further than this for a working day means the hours or the holiday data are wrong. */
const MAX_SEARCH_DAYS = 3660;

/** Indonesian time-zone names (the three zones have no daylight saving). */
const ZONE_NAMES: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClockFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** An instant's wall-clock reading in a zone, as if that reading were UTC (ms, whole seconds). */
function wallClock(timeZone: string, at: number): number {
  const parts: Record<string, number> = {};
  for (const part of wallClockFormat(timeZone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
}

function toMinutes(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number);
  return hours! * 60 + minutes!;
}

function parseLocalDate(date: LocalDate): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(date);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

function formatLocalDate(utcMidnight: number): LocalDate {
  return new Date(utcMidnight).toISOString().slice(0, 10);
}

function addDays(date: LocalDate, days: number): LocalDate {
  return formatLocalDate(parseLocalDate(date) + days * DAY_MS);
}

/** The instant a zone's clock shows `minutes` past midnight on `date`. */
function instantIn(timeZone: string, date: LocalDate, minutes: number): Date {
  const wall = parseLocalDate(date) + minutes * 60_000;
  let guess = wall - (wallClock(timeZone, wall) - wall);
  guess = wall - (wallClock(timeZone, guess) - guess); // second pass settles a daylight-saving edge
  return new Date(guess);
}

/** Midnight at the start of an office date (date filters in the admin area count whole office days). */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  return instantIn(timeZone, date, 0);
}

/**
 * Where deadlines get the calendar from. Admins edit the office hours and the
 * holidays while the server runs (bot/office-editing.ts storedCalendar), so
 * the deadline code asks for the current calendar each time instead of
 * keeping one built at start-up.
 */
export interface CalendarSource {
  current(): Promise<Calendar>;
}

/** A calendar that never changes (tests, tools). */
export function fixedCalendar(calendar: Calendar): CalendarSource {
  return { current: async () => calendar };
}

export function createCalendar(options: { office: Pick<OfficeProfile, 'timeZone' | 'hours'>; holidays: HolidayData | readonly Holiday[] }): Calendar {
  const { timeZone } = options.office;
  wallClockFormat(timeZone); // throws RangeError now for an unknown zone
  const data = Array.isArray(options.holidays) ? { holidays: options.holidays as readonly Holiday[], years: undefined } : (options.holidays as HolidayData);
  const byDate = new Map(data.holidays.map((holiday) => [holiday.date, holiday]));
  const years = [...new Set(data.years ?? data.holidays.map((holiday) => Number(holiday.date.slice(0, 4))))].sort((a, b) => a - b);

  /** Opening slots per weekday (0 = Sunday), as [open, close) minutes, sorted. */
  const slots = WEEKDAYS.map((day) =>
    options.office.hours
      .filter((slot) => slot.days.includes(day))
      .map((slot) => [toMinutes(slot.open), toMinutes(slot.close)] as const)
      .filter(([open, close]) => close > open)
      .sort((a, b) => a[0] - b[0]),
  );
  if (slots.every((day) => day.length === 0)) throw new Error('the office has no opening hours: no day can be a working day');

  const slotsOn = (date: LocalDate) => slots[new Date(parseLocalDate(date)).getUTCDay()]!;

  const instantOf = (date: LocalDate, minutes: number) => instantIn(timeZone, date, minutes);

  /** Office date and seconds since local midnight of an instant. */
  function local(at: Date): { date: LocalDate; seconds: number } {
    const wall = wallClock(timeZone, at.getTime());
    const midnight = Math.floor(wall / DAY_MS) * DAY_MS;
    return { date: formatLocalDate(midnight), seconds: (wall - midnight) / 1000 };
  }

  const localDate = (value: Date | LocalDate): LocalDate => (typeof value === 'string' ? formatLocalDate(parseLocalDate(value)) : local(value).date);

  const isWorkingDate = (date: LocalDate) => slotsOn(date).length > 0 && !byDate.has(date);

  function nextWorkingDate(after: LocalDate): LocalDate {
    let date = after;
    for (let i = 0; i < MAX_SEARCH_DAYS; i++) {
      date = addDays(date, 1);
      if (isWorkingDate(date)) return date;
    }
    throw new Error(`no working day within ${MAX_SEARCH_DAYS} days after ${after}: check the office hours and holidays`);
  }

  const calendar: Calendar = {
    timeZone,
    years,
    covers: (year) => years.includes(year),
    localDate,
    holiday: (date) => byDate.get(localDate(date)),
    isWorkingDay: (date) => isWorkingDate(localDate(date)),

    isWorkingTime(at) {
      const { date, seconds } = local(at);
      return isWorkingDate(date) && slotsOn(date).some(([open, close]) => seconds >= open * 60 && seconds < close * 60);
    },

    nextWorkingTime(at) {
      if (calendar.isWorkingTime(at)) return at;
      const { date, seconds } = local(at);
      if (isWorkingDate(date)) {
        const later = slotsOn(date).find(([open]) => open * 60 > seconds);
        if (later) return instantOf(date, later[0]);
      }
      const next = nextWorkingDate(date);
      return instantOf(next, slotsOn(next)[0]![0]);
    },

    addWorkingDays(start, n) {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`working days must be a whole number ≥ 0, got ${n}`);
      let date = local(calendar.nextWorkingTime(start)).date;
      for (let i = 0; i < n; i++) date = nextWorkingDate(date);
      const daySlots = slotsOn(date);
      return instantOf(date, Math.max(...daySlots.map(([, close]) => close)));
    },

    workingDaysBetween(a, b) {
      const from = localDate(a);
      const to = localDate(b);
      if (from === to) return 0;
      const [low, high, sign] = from < to ? [from, to, 1] : [to, from, -1];
      const days = Math.round((parseLocalDate(high) - parseLocalDate(low)) / DAY_MS);
      let count = 0;
      for (let i = 1; i <= days; i++) if (isWorkingDate(addDays(low, i))) count++;
      return sign * count;
    },

    format(at) {
      const text = new Intl.DateTimeFormat('id-ID', {
        timeZone,
        weekday: 'long',
        day: 'numeric',
        month: 'long',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(at);
      return `${text} ${ZONE_NAMES[timeZone] ?? timeZone}`;
    },
  };
  return calendar;
}
