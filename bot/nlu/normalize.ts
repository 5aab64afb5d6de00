/**
 * Word-level normalisation: slang and regional spellings become standard
 * Indonesian ("sy" → "saya", "kita pe" → "saya punya", "akte" → "akta"),
 * typos are corrected towards the words the bot knows, and every word gets
 * its stem so "kehilangan" and "hilang" compare equal.
 */
import type { Slang } from '../../knowledge/schema.js';
import { SpellingCorrector } from './spelling.js';
import { stem, tokenize } from './text.js';

export interface Normalized {
  /** Standard-spelling words. */
  words: string[];
  /** The stem of each word (same index). */
  stems: string[];
}

export class Normalizer {
  private readonly slang = new Map<string, string[]>();
  private readonly longestSlang: number;

  constructor(
    slang: Slang,
    private readonly speller: SpellingCorrector,
  ) {
    let longest = 1;
    for (const [surface, standard] of Object.entries(slang)) {
      this.slang.set(surface, tokenize(standard));
      longest = Math.max(longest, surface.split(' ').length);
    }
    this.longestSlang = longest;
  }

  normalize(text: string): Normalized {
    const replaced = this.replaceSlang(tokenize(text));
    // A corrected typo may itself be slang ("ilangg" → "ilang" → "hilang").
    const corrected = this.replaceSlang(replaced.map((word) => this.speller.correct(word)));
    return { words: corrected, stems: corrected.map(stem) };
  }

  /** Standard spelling of a phrase without typo correction: lexicon patterns go through this, so they meet messages halfway. */
  standardize(text: string): string[] {
    return this.replaceSlang(tokenize(text));
  }

  /** Replaces the longest slang phrase starting at each position. */
  private replaceSlang(words: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < words.length; ) {
      let replaced = false;
      for (let length = Math.min(this.longestSlang, words.length - i); length >= 1; length--) {
        const standard = this.slang.get(words.slice(i, i + length).join(' '));
        if (standard) {
          out.push(...standard);
          i += length;
          replaced = true;
          break;
        }
      }
      if (!replaced) out.push(words[i++]!);
    }
    return out;
  }
}
