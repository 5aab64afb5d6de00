/**
 * Character-level clean-up and stemming: the first steps that make
 * "KTP sy ilaaaang!!! 😭" and "ktp saya hilang" look alike.
 */
import { createRequire } from 'node:module';
import stemmerId from 'natural/lib/natural/stemmers/indonesian/stemmer_id.js';

/** natural's Indonesian root-word dictionary (about 30,000 words). */
const rootWords = new Set<string>(createRequire(import.meta.url)('natural/lib/natural/stemmers/indonesian/data/kata-dasar.json') as string[]);

const URL = /\b(?:https?:\/\/|www\.)\S+/gu;
/** "anak2" → "anak anak": the digit 2 doubles the word. */
const REDUPLICATION = /(\p{L}{2,})2(?![\p{L}\p{N}])/gu;
const LETTER_THEN_DIGIT = /(\p{L})(\p{N})/gu;
const DIGIT_THEN_LETTER = /(\p{N})(\p{L})/gu;
const NOT_A_WORD = /[^\p{L}\p{N}]+/gu;
/** Three or more of the same letter ("ilaaaang") collapse to one. */
const STRETCHED = /(\p{L})\1{2,}/gu;
/** Accents and the like: "café" → "cafe". */
const COMBINING = /\p{M}+/gu;

/** Lower-cases, strips links, emoji and punctuation, and splits into words. */
export function tokenize(text: string): string[] {
  const cleaned = text
    .normalize('NFKD')
    .replace(COMBINING, '')
    .toLowerCase()
    .replace(URL, ' ')
    .replace(REDUPLICATION, '$1 $1')
    .replace(LETTER_THEN_DIGIT, '$1 $2')
    .replace(DIGIT_THEN_LETTER, '$1 $2')
    .replace(NOT_A_WORD, ' ')
    .replace(STRETCHED, '$1');
  return cleaned.split(' ').filter((word) => word.length > 0);
}

/**
 * Where the dictionary stemmer goes wrong on words that matter here
 * ("menikah" is not "meni", "pengesahan" is not "kesah").
 */
const STEM_OVERRIDES: Record<string, string> = {
  menikah: 'nikah',
  dinikahkan: 'nikah',
  pernikahan: 'nikah',
  pengesahan: 'sah',
  disahkan: 'sah',
  mengesahkan: 'sah',
  meninggal: 'meninggal',
  ditinggal: 'tinggal',
  pendatang: 'datang',
  kedatangan: 'datang',
  perekaman: 'rekam',
  antrean: 'antri',
  antre: 'antri',
  antrian: 'antri',
  mengantri: 'antri',
  pengaduan: 'adu',
  mengadu: 'adu',
  aduan: 'adu',
  keluarga: 'keluarga',
  kelurahan: 'lurah',
  legalisasi: 'legalisir',
  dilegalisir: 'legalisir',
  melegalisir: 'legalisir',
  berapa: 'berapa',
  petugas: 'petugas',
};

/** Endings the stemmer leaves on unknown words; "saya" glued on by a missed space ("ktpsaya") too. */
const ENCLITICS = ['nya', 'ku', 'mu', 'lah', 'kah', 'pun', 'saya'];
const stems = new Map<string, string>();

/**
 * Indonesian stem of a word (natural's StemmerId), cached. Enclitics the
 * dictionary stemmer leaves on unknown words ("ktpnya", "kknya") are dropped.
 */
export function stem(word: string): string {
  const cached = stems.get(word);
  if (cached !== undefined) return cached;
  let result = STEM_OVERRIDES[word] ?? (word.length > 3 && /^\p{L}+$/u.test(word) ? stemmerId.stem(word) : word);
  if (result === word) {
    const clitic = ENCLITICS.find((suffix) => word.endsWith(suffix) && word.length - suffix.length >= 2);
    if (clitic) {
      const base = word.slice(0, -clitic.length);
      const baseStem = STEM_OVERRIDES[base] ?? stemmerId.stem(base);
      if (baseStem !== base || base.length <= 4) result = baseStem;
    }
  }
  if (stems.size > 50_000) stems.clear();
  stems.set(word, result);
  return result;
}

/** A standard Indonesian word: its root is in the dictionary ("biasanya" → "biasa"). Never a typo. */
export function isDictionaryWord(word: string): boolean {
  return rootWords.has(word) || rootWords.has(stem(word));
}
