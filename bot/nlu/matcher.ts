/**
 * Finds concept patterns ("kartu keluarga", "surat keterangan pindah") in a
 * normalised message. A pattern word written as a root ("hilang") also
 * matches its affixed forms ("kehilangan"); a pattern word written with
 * affixes matches only itself, because two affixed forms of one root often
 * mean different things ("ketinggalan" is not "ditinggal", "bantuan" is not
 * "terbantu").
 */
import type { Normalized } from './normalize.js';
import { stem, tokenize } from './text.js';

export interface Match {
  /** The pattern family, e.g. `documents`, `situations`, `intents`. */
  group: string;
  /** The concept within the family, e.g. `ktp`, `hilang`, `handoff`. */
  key: string;
  /** Index of the first matched word. */
  start: number;
  /** Index after the last matched word. */
  end: number;
  /** The pattern as written in the lexicon. */
  pattern: string;
}

interface Pattern {
  group: string;
  key: string;
  pattern: string;
  words: string[];
  stems: string[];
}

const ENCLITICS = ['nya', 'ku', 'mu', 'lah', 'kah', 'pun'];

function sameWord(word: string, wordStem: string, patternWord: string): boolean {
  if (word === patternWord || (wordStem === patternWord && word.length > patternWord.length)) return true;
  // "layanannya" is "layanan" + nya, whatever the stemmer makes of it.
  return word.startsWith(patternWord) && ENCLITICS.includes(word.slice(patternWord.length));
}

export class PatternMatcher {
  private readonly byFirstWord = new Map<string, Pattern[]>();

  /** @param standardize turns a pattern into the words a normalised message would have (slang → standard). */
  constructor(private readonly standardize: (pattern: string) => string[] = tokenize) {}

  add(group: string, key: string, phrases: Iterable<string>): this {
    for (const pattern of phrases) {
      const words = this.standardize(pattern);
      if (words.length === 0) continue;
      const compiled: Pattern = { group, key, pattern, words, stems: words.map(stem) };
      for (const head of new Set([words[0]!, compiled.stems[0]!])) {
        const list = this.byFirstWord.get(head);
        if (list) list.push(compiled);
        else this.byFirstWord.set(head, [compiled]);
      }
    }
    return this;
  }

  /** Every occurrence of every pattern (overlaps included), in word order. */
  match(message: Normalized): Match[] {
    const matches: Match[] = [];
    const { words, stems } = message;
    for (let start = 0; start < words.length; start++) {
      const candidates = new Set([...(this.byFirstWord.get(words[start]!) ?? []), ...(this.byFirstWord.get(stems[start]!) ?? [])]);
      for (const candidate of candidates) {
        const end = start + candidate.words.length;
        if (end > words.length) continue;
        let all = true;
        for (let k = 0; k < candidate.words.length && all; k++) {
          all = sameWord(words[start + k]!, stems[start + k]!, candidate.words[k]!);
        }
        if (all) matches.push({ group: candidate.group, key: candidate.key, start, end, pattern: candidate.pattern });
      }
    }
    // Within a family the longer pattern wins over one it contains: "pecah kk" (split) over "pecah" (damaged).
    return matches.filter(
      (m) => !matches.some((other) => other !== m && other.group === m.group && other.start <= m.start && other.end >= m.end && other.end - other.start > m.end - m.start),
    );
  }

  /** All words of all patterns: the vocabulary typos are corrected towards. */
  *vocabulary(): Iterable<string> {
    for (const patterns of this.byFirstWord.values()) for (const pattern of patterns) yield* pattern.words;
  }
}
