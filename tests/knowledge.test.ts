/**
 * The knowledge base shipped in knowledge/: every entry file validates, the
 * set of entries is the agreed one, the texts only use known office
 * placeholders and carry no personal numbers, and the Palu sample profile is
 * complete.
 */
import { describe, it, expect } from '@jest/globals';
import { loadEntries, loadOffice } from '../knowledge/load.js';
import type { Entry } from '../knowledge/schema.js';

const EXPECTED_IDS = [
  'akta-kelahiran',
  'akta-kematian',
  'akta-perceraian',
  'akta-perkawinan',
  'antrian',
  'biaya',
  'ikd',
  'jam-layanan',
  'kia',
  'kk-baru',
  'kk-hilang-rusak',
  'kk-perubahan',
  'ktp-baru',
  'ktp-hilang-rusak',
  'ktp-perubahan',
  'legalisir',
  'pembetulan-akta',
  'pengakuan-anak',
  'pengesahan-anak',
  'perubahan-nama',
  'pindah-dalam-kota',
  'pindah-datang',
  'pindah-keluar',
  'waktu-proses',
];

/** The office-profile fields an entry may refer to as {{office.X}}. */
const OFFICE_PLACEHOLDERS = new Set([
  'name',
  'shortName',
  'region',
  'address',
  'hoursText',
  'phone',
  'whatsapp',
  'email',
  'website',
  'queueName',
  'queueUrl',
  'queueHowTo',
  'servicePoints',
]);

/** Every string in an entry (titles, list items, special cases, phrases...), with the field it came from. */
function texts(value: unknown, path = ''): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => texts(item, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => texts(item, path ? `${path}.${key}` : key));
  }
  return [];
}

/** 16 digits in a row, also when grouped with spaces, dots or dashes (the shape of a NIK or KK number). */
const SIXTEEN_DIGITS = /\d(?:[\s.-]?\d){15}/;

/**
 * A phone number: a run of digits (optionally grouped, with +62 or an area
 * code in brackets) holding 9 or more digits, or a 7-digit 1500xxx call-centre
 * number. Short codes such as "SMS 1708", regulation numbers ("24/2013") and
 * times ("08.00–15.00") do not count.
 */
function containsPhoneNumber(text: string): boolean {
  for (const run of text.match(/\+?\(?\d[\d\s().-]*\d/g) ?? []) {
    const digits = run.replace(/\D/g, '');
    if (digits.length >= 9 || /^1500\d{3}$/.test(digits)) return true;
  }
  return false;
}

const entries: Entry[] = loadEntries();
const byId = new Map(entries.map((entry) => [entry.id, entry]));
const isInfo = (entry: Entry) => entry.document.startsWith('info-');

describe('knowledge base entries', () => {
  it('loads and validates every entry file', () => {
    // loadEntries() throws on the first file that is not valid YAML or breaks the schema.
    expect(entries.length).toBeGreaterThan(0);
  });

  it('has exactly the agreed entry ids', () => {
    expect(entries.map((entry) => entry.id).sort()).toEqual([...EXPECTED_IDS].sort());
  });

  it.each(EXPECTED_IDS)('%s has legal basis, requirements, steps and enough phrases', (id) => {
    const entry = byId.get(id)!;
    expect(entry.legalBasis.length).toBeGreaterThanOrEqual(1);
    if (!isInfo(entry)) expect(entry.requirements.length).toBeGreaterThanOrEqual(3);
    expect(entry.steps.length).toBeGreaterThanOrEqual(1);
    expect(entry.phrases.length).toBeGreaterThanOrEqual(12);
  });

  it('keeps requirement items short enough for a phone screen', () => {
    const long = entries.flatMap((entry) =>
      entry.requirements.filter((item) => item.length > 120).map((item) => `${entry.id}: ${item}`),
    );
    expect(long).toEqual([]);
  });

  it('never gives the same training phrase to two entries', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const entry of entries) {
      for (const phrase of entry.phrases) {
        const key = phrase.toLowerCase().replace(/\s+/g, ' ').trim();
        const other = owner.get(key);
        if (other && other !== entry.id) clashes.push(`"${phrase}": ${other} and ${entry.id}`);
        owner.set(key, entry.id);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('uses only known office placeholders, written exactly as {{office.X}}', () => {
    const wrong: string[] = [];
    for (const entry of entries) {
      for (const { path, text } of texts(entry)) {
        for (const [token] of text.matchAll(/\{\{[^}]*\}\}|\{\{|\}\}/g)) {
          const name = /^\{\{office\.([A-Za-z]+)\}\}$/.exec(token)?.[1];
          if (!name || !OFFICE_PLACEHOLDERS.has(name)) wrong.push(`${entry.id}.${path}: ${token}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('only relates to entries that exist, and not to itself', () => {
    for (const entry of entries) {
      for (const related of entry.related) {
        expect(byId.has(related)).toBe(true);
        expect(related).not.toBe(entry.id);
      }
    }
  });

  it('contains no 16-digit number (NIK/KK) and no phone number', () => {
    const found = entries.flatMap((entry) =>
      texts(entry)
        .filter(({ text }) => SIXTEEN_DIGITS.test(text) || containsPhoneNumber(text))
        .map(({ path, text }) => `${entry.id}.${path}: ${text}`),
    );
    expect(found).toEqual([]);
  });

  it('recognises numbers the scan must catch and leaves ordinary ones alone', () => {
    for (const sample of ['0811 4430 1212', '+62 812-3456-7890', '(0451) 421234', '08118005373', 'call 1500537']) {
      expect(containsPhoneNumber(sample)).toBe(true);
    }
    expect(SIXTEEN_DIGITS.test('NIK 3271 0123 4567 0001')).toBe(true);
    for (const sample of ['SMS ke 1708', 'UU 24/2013 Pasal 79A', '08.00–15.00 WITA', '08.00-15.00', 'Rp75 juta', 'F-2.03']) {
      expect(containsPhoneNumber(sample) || SIXTEEN_DIGITS.test(sample)).toBe(false);
    }
  });
});

describe('Palu office profile', () => {
  const office = loadOffice('palu');

  it('loads and validates', () => {
    expect(office.id).toBe('palu');
    expect(office.timeZone).toBe('Asia/Makassar');
  });

  it('lists the 8 kecamatan and 46 kelurahan of Kota Palu', () => {
    expect(office.kecamatan).toHaveLength(8);
    expect(office.kecamatan.reduce((total, kecamatan) => total + kecamatan.kelurahan.length, 0)).toBe(46);
    const names = office.kecamatan.flatMap((kecamatan) => kecamatan.kelurahan);
    expect(new Set(names).size).toBe(names.length);
  });
});
