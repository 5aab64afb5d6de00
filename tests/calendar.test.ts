/**
 * The working-day calendar (bot/calendar.ts) on Palu's hours (WITA, UTC+8:
 * Mon–Thu 08:00–15:00, Fri 08:00–15:30) and the shipped holiday files:
 * weekends, Nyepi and the Idul Fitri cuti bersama block of March 2026,
 * Christmas and New Year across the 2026/2027 boundary, filings outside
 * office hours, other time zones; and the loader's validation of the files.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCalendar, startOfLocalDay } from '../bot/calendar.js';
import { KnowledgeFileError, loadHolidays, loadOffice } from '../knowledge/load.js';
import type { OfficeProfile } from '../knowledge/schema.js';
import { makeTempDir } from './helpers/tmp.js';

const office = loadOffice('palu');
const holidays = loadHolidays({ office: 'palu' });
const calendar = createCalendar({ office, holidays });

/** An instant given as Palu's wall clock: wita('2026-03-13 14:00'). */
const wita = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
/** The instant as Palu's wall clock, for readable failures. */
const show = (at: Date) => new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

describe('holiday files', () => {
  test('2026 and 2027 load, every entry says where it comes from and how sure it is', () => {
    expect(holidays.years).toEqual([2026, 2027]);
    for (const holiday of holidays.holidays) {
      expect(holiday.source.length).toBeGreaterThan(3);
      expect(['high', 'medium', 'low']).toContain(holiday.confidence);
    }
  });

  test('2026 matches the SKB count: 17 days of libur nasional and 8 of cuti bersama', () => {
    const of2026 = holidays.holidays.filter((holiday) => holiday.date.startsWith('2026-'));
    expect(of2026.filter((holiday) => holiday.type === 'libur-nasional')).toHaveLength(17);
    expect(of2026.filter((holiday) => holiday.type === 'cuti-bersama')).toHaveLength(8);
    expect(calendar.holiday('2026-03-19')?.name).toMatch(/Nyepi/u);
    expect(calendar.holiday('2026-03-21')?.name).toMatch(/Idul Fitri/u);
    expect(calendar.holiday('2026-03-23')?.type).toBe('cuti-bersama');
  });

  test('2027 is an estimate: the Islamic dates are marked low confidence, fixed dates high', () => {
    expect(calendar.holiday('2027-08-17')?.confidence).toBe('high');
    const islamic = holidays.holidays.filter((holiday) => holiday.date.startsWith('2027-') && /Idul|Isra|Islam|Maulid/u.test(holiday.name));
    expect(islamic.length).toBeGreaterThanOrEqual(5);
    for (const holiday of islamic) expect(holiday.confidence).toBe('low');
  });

  describe('validation', () => {
    const temp = makeTempDir('siratu-calendar-');
    afterAll(() => temp.remove());
    const write = (name: string, body: string) => {
      writeFileSync(join(temp.dir, name), body);
      return join(temp.dir, name);
    };
    const entry = (date: string, extra = 'source: test\n    confidence: high') => `  - date: '${date}'\n    name: Hari libur\n    type: libur-nasional\n    ${extra}\n`;

    test.each([
      ['a date outside the year', entry('2027-01-01'), /tidak di tahun 2026/u],
      ['the same date twice', entry('2026-05-01') + entry('2026-05-01'), /dua kali/u],
      ['a day that does not exist', entry('2026-02-30'), /tidak ada di kalender/u],
      ['an entry without confidence', entry('2026-05-01', 'source: test'), /confidence/u],
      ['an unknown type', entry('2026-05-01').replace('libur-nasional', 'libur'), /type/u],
    ])('rejects %s', (_, holidaysYaml, message) => {
      const dir = makeTempDir('siratu-calendar-bad-');
      try {
        writeFileSync(join(dir.dir, 'id-2026.yaml'), `year: 2026\ncountry: ID\nholidays:\n${holidaysYaml}`);
        expect(() => loadHolidays({ dir: dir.dir })).toThrow(KnowledgeFileError);
        expect(() => loadHolidays({ dir: dir.dir })).toThrow(message);
      } finally {
        dir.remove();
      }
    });

    test('a file named for another year is rejected', () => {
      const dir = makeTempDir('siratu-calendar-name-');
      try {
        writeFileSync(join(dir.dir, 'id-2025.yaml'), `year: 2026\ncountry: ID\nholidays:\n${entry('2026-05-01')}`);
        expect(() => loadHolidays({ dir: dir.dir })).toThrow(/-2026\.yaml/u);
      } finally {
        dir.remove();
      }
    });

    test("an office's regional holidays join the national ones", () => {
      write('id-2026.yaml', `year: 2026\ncountry: ID\nholidays:\n${entry('2026-05-01')}`);
      write('palu-2026.yaml', `year: 2026\ncountry: ID\nholidays:\n  - date: '2026-09-29'\n    name: Libur daerah Palu (contoh)\n    type: libur-daerah\n    source: SK Wali Kota (contoh)\n    confidence: high\n`);
      write('donggala-2026.yaml', `year: 2026\ncountry: ID\nholidays:\n  - date: '2026-09-30'\n    name: Libur lain\n    type: libur-daerah\n    source: contoh\n    confidence: high\n`);
      const palu = createCalendar({ office, holidays: loadHolidays({ office: 'palu', dir: temp.dir }) });
      expect(palu.holiday('2026-09-29')?.type).toBe('libur-daerah');
      expect(palu.isWorkingDay('2026-09-30')).toBe(true); // another office's holiday
      expect(createCalendar({ office, holidays: loadHolidays({ dir: temp.dir }) }).isWorkingDay('2026-09-30')).toBe(true);
      expect(createCalendar({ office, holidays: loadHolidays({ dir: temp.dir }) }).isWorkingDay('2026-09-29')).toBe(true);
    });
  });
});

describe('working days and working time', () => {
  test.each([
    ['2026-03-16', true, 'a Monday'],
    ['2026-03-14', false, 'a Saturday'],
    ['2026-03-15', false, 'a Sunday'],
    ['2026-03-18', false, 'cuti bersama Nyepi'],
    ['2026-03-19', false, 'Nyepi'],
    ['2026-03-20', false, 'cuti bersama Idul Fitri'],
    ['2026-03-23', false, 'cuti bersama Idul Fitri (Monday)'],
    ['2026-03-24', false, 'cuti bersama Idul Fitri (Tuesday)'],
    ['2026-03-25', true, 'the first day back after Lebaran'],
    ['2026-12-24', false, 'cuti bersama Natal'],
    ['2027-01-01', false, 'New Year'],
  ])('%s is a working day: %s (%s)', (date, expected) => {
    expect(calendar.isWorkingDay(date)).toBe(expected);
  });

  test("an instant is read on the office's calendar, not UTC's", () => {
    // 01:00 WITA on Wednesday 25 March is still Tuesday 24 March (cuti bersama) in UTC.
    expect(calendar.isWorkingDay(wita('2026-03-25 01:00'))).toBe(true);
    // 07:30 WITA on the 25th is still the 24th in UTC; 23:30 WITA on the 24th is the 24th in both.
    expect(calendar.isWorkingDay(new Date('2026-03-24T23:30:00Z'))).toBe(true);
    expect(calendar.isWorkingDay(new Date('2026-03-24T15:30:00Z'))).toBe(false);
  });

  test.each([
    ['2026-03-16 08:00', true],
    ['2026-03-16 07:59', false],
    ['2026-03-16 14:59', true],
    ['2026-03-16 15:00', false],
    ['2026-03-13 15:15', true], // Friday closes 15:30
    ['2026-03-13 15:30', false],
    ['2026-03-19 10:00', false], // Nyepi
    ['2026-03-14 10:00', false], // Saturday
  ])('%s WITA is working time: %s', (local, expected) => {
    expect(calendar.isWorkingTime(wita(local))).toBe(expected);
  });

  test.each([
    ['2026-03-16 10:00', '2026-03-16 10:00', 'during hours: at once'],
    ['2026-03-16 07:00', '2026-03-16 08:00', 'before opening: that morning'],
    ['2026-03-13 16:00', '2026-03-16 08:00', 'Friday after closing: Monday'],
    ['2026-03-14 11:00', '2026-03-16 08:00', 'Saturday: Monday'],
    ['2026-03-17 16:00', '2026-03-25 08:00', 'before Nyepi and Lebaran: after the whole block'],
    ['2026-12-31 16:00', '2027-01-04 08:00', 'New Year and a weekend'],
  ])('next working time after %s is %s (%s)', (from, expected) => {
    expect(show(calendar.nextWorkingTime(wita(from)))).toBe(expected);
  });
});

describe('addWorkingDays: closing time of the n-th working day after the day of receipt', () => {
  test.each([
    ['2026-11-27 14:00', 3, '2026-12-02 15:00', 'filed Friday afternoon: due Wednesday at closing'],
    ['2026-11-27 16:00', 3, '2026-12-03 15:00', 'filed Friday after closing: received Monday, due Thursday'],
    ['2026-11-28 09:00', 3, '2026-12-03 15:00', 'filed Saturday: received Monday, due Thursday'],
    ['2026-11-30 07:00', 3, '2026-12-03 15:00', 'filed Monday before opening: received Monday, due Thursday'],
    ['2026-11-30 14:59', 3, '2026-12-03 15:00', 'filed a minute before closing: the day is not lost'],
    ['2026-11-23 10:00', 4, '2026-11-27 15:30', 'due on a Friday: Friday closing time'],
    ['2026-11-27 14:00', 0, '2026-11-27 15:30', 'zero days: closing time of the day of receipt'],
    ['2026-03-13 14:00', 3, '2026-03-25 15:00', 'across cuti bersama Nyepi, Nyepi and the Idul Fitri block'],
    ['2026-03-17 10:00', 1, '2026-03-25 15:00', 'the day before the block'],
    ['2026-03-19 10:00', 3, '2026-03-30 15:00', 'filed on Nyepi: received on 25 March'],
    ['2026-12-22 10:00', 5, '2026-12-31 15:00', 'across cuti bersama Natal and Christmas'],
    ['2026-12-15 10:00', 10, '2026-12-31 15:00', 'ten working days (menunggu warga) across Christmas'],
    ['2026-12-30 11:00', 3, '2027-01-06 15:00', 'across New Year into the next file (Isra Mikraj 2027 estimated 5 January)'],
    ['2026-12-31 16:00', 3, '2027-01-08 15:30', 'filed on New Year\'s Eve after closing: received 4 January'],
  ])('%s + %d working days → %s (%s)', (start, n, expected) => {
    expect(show(calendar.addWorkingDays(wita(start), n))).toBe(expected);
  });

  test('rejects negative or fractional day counts', () => {
    expect(() => calendar.addWorkingDays(wita('2026-11-23 10:00'), -1)).toThrow(RangeError);
    expect(() => calendar.addWorkingDays(wita('2026-11-23 10:00'), 1.5)).toThrow(RangeError);
  });

  test('for every start and n: n working days between receipt and due, due is the end of working time', () => {
    const starts: Date[] = [];
    for (const month of ['2026-03-01', '2026-12-15']) {
      for (let hour = 0; hour < 24 * 24; hour += 5) starts.push(new Date(wita(`${month} 00:00`).getTime() + hour * 3600_000 + 17 * 60_000));
    }
    for (const start of starts) {
      for (let n = 0; n <= 10; n++) {
        const due = calendar.addWorkingDays(start, n);
        const received = calendar.nextWorkingTime(start);
        expect(calendar.workingDaysBetween(received, due)).toBe(n);
        expect(due.getTime()).toBeGreaterThan(start.getTime());
        expect(calendar.isWorkingTime(new Date(due.getTime() - 1))).toBe(true);
        expect(calendar.isWorkingTime(due)).toBe(false);
      }
    }
  });
});

describe('workingDaysBetween', () => {
  test('counts the working days after the first date up to the second', () => {
    expect(calendar.workingDaysBetween(wita('2026-03-16 09:00'), wita('2026-03-16 14:00'))).toBe(0);
    expect(calendar.workingDaysBetween(wita('2026-03-13 14:00'), wita('2026-03-25 15:00'))).toBe(3);
    expect(calendar.workingDaysBetween(wita('2026-03-25 15:00'), wita('2026-03-13 14:00'))).toBe(-3);
    expect(calendar.workingDaysBetween('2026-12-30', '2027-01-06')).toBe(3);
    expect(calendar.workingDaysBetween('2026-03-14', '2026-03-15')).toBe(0); // Saturday → Sunday
  });
});

describe('other offices', () => {
  const withZone = (timeZone: string): Pick<OfficeProfile, 'timeZone' | 'hours'> => ({ ...office, timeZone });

  test('the same instant is working time in WIT and WITA but not yet in WIB', () => {
    const at = new Date('2026-03-16T00:30:00Z'); // 09:30 WIT, 08:30 WITA, 07:30 WIB
    expect(createCalendar({ office: withZone('Asia/Jayapura'), holidays }).isWorkingTime(at)).toBe(true);
    expect(createCalendar({ office: withZone('Asia/Makassar'), holidays }).isWorkingTime(at)).toBe(true);
    expect(createCalendar({ office: withZone('Asia/Jakarta'), holidays }).isWorkingTime(at)).toBe(false);
    expect(createCalendar({ office: withZone('Asia/Jakarta'), holidays }).format(wita('2026-03-25 16:00'))).toBe('Rabu, 25 Maret 2026 pukul 15.00 WIB');
  });

  test('a lunch break splits the day; the deadline is the last closing', () => {
    const split = createCalendar({
      office: { timeZone: 'Asia/Makassar', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '12:00' }, { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '13:00', close: '16:00' }] },
      holidays,
    });
    expect(split.isWorkingTime(wita('2026-11-23 12:30'))).toBe(false);
    expect(show(split.nextWorkingTime(wita('2026-11-23 12:30')))).toBe('2026-11-23 13:00');
    expect(show(split.addWorkingDays(wita('2026-11-23 12:30'), 1))).toBe('2026-11-24 16:00');
  });

  test('a Saturday service day counts as a working day', () => {
    const saturdays = createCalendar({ office: { timeZone: 'Asia/Makassar', hours: [...office.hours, { days: ['sat'], open: '08:00', close: '12:00' }] }, holidays });
    expect(show(saturdays.addWorkingDays(wita('2026-11-27 14:00'), 1))).toBe('2026-11-28 12:00');
  });

  test('a zone with daylight saving keeps the local closing time', () => {
    const berlin = createCalendar({ office: withZone('Europe/Berlin'), holidays: [] });
    // Summer time starts on Sunday 29 March 2026: Friday closes 15:30 CET, Monday 15:00 CEST.
    expect(berlin.addWorkingDays(new Date('2026-03-27T10:00:00Z'), 0).toISOString()).toBe('2026-03-27T14:30:00.000Z');
    expect(berlin.addWorkingDays(new Date('2026-03-27T10:00:00Z'), 1).toISOString()).toBe('2026-03-30T13:00:00.000Z');
  });

  test('years without a holiday file count weekends only, and say so', () => {
    expect(calendar.covers(2027)).toBe(true);
    expect(calendar.covers(2028)).toBe(false);
    expect(calendar.isWorkingDay('2028-01-03')).toBe(true);
  });

  test('an unknown time zone or an office that never opens is refused', () => {
    expect(() => createCalendar({ office: withZone('Asia/Nowhere'), holidays })).toThrow(RangeError);
    expect(() => createCalendar({ office: { timeZone: 'Asia/Makassar', hours: [{ days: ['mon'], open: '08:00', close: '08:00' }] }, holidays })).toThrow(/no opening hours/u);
  });

  test('a deadline in words', () => {
    expect(calendar.format(wita('2026-03-25 15:00'))).toBe('Rabu, 25 Maret 2026 pukul 15.00 WITA');
  });
});

describe('office days as instants (the admin area\'s date filters)', () => {
  test('an office date starts at midnight on the office\'s clock, in every zone', () => {
    expect(startOfLocalDay('2026-03-25', 'Asia/Makassar').toISOString()).toBe('2026-03-24T16:00:00.000Z');
    expect(startOfLocalDay('2026-03-25', 'Asia/Jakarta').toISOString()).toBe('2026-03-24T17:00:00.000Z');
    expect(startOfLocalDay('2026-03-25', 'Asia/Jayapura').toISOString()).toBe('2026-03-24T15:00:00.000Z');
    expect(calendar.localDate(startOfLocalDay('2026-03-25', office.timeZone))).toBe('2026-03-25');
    expect(calendar.localDate(new Date(startOfLocalDay('2026-03-25', office.timeZone).getTime() - 1))).toBe('2026-03-24');
  });
});
