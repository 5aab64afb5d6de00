/**
 * Typo tolerance: maps an unknown word to the closest word the bot cares
 * about ("kehilngan" → "kehilangan", "syrat" → "syarat"). Candidates come
 * from a symmetric-delete index (look-ups in microseconds, not a scan of the
 * vocabulary); natural's Damerau-Levenshtein distance confirms them.
 */
import { DamerauLevenshteinDistance } from 'natural/lib/natural/distance/levenshtein_distance.js';

/** Edits allowed for a word of this length: none for short words, where a typo is indistinguishable from another word. */
function allowedEdits(length: number): number {
  if (length < 4) return 0;
  return length < 8 ? 1 : 2;
}

function deletions(word: string, depth: number, into: Set<string>): void {
  if (depth === 0) return;
  for (let i = 0; i < word.length; i++) {
    const shorter = word.slice(0, i) + word.slice(i + 1);
    if (!into.has(shorter)) {
      into.add(shorter);
      deletions(shorter, depth - 1, into);
    }
  }
}

export class SpellingCorrector {
  /** deletion variant → the target words it came from */
  private readonly index = new Map<string, string[]>();
  private readonly cache = new Map<string, string | null>();

  /**
   * @param targets words a typo may be corrected to (the domain vocabulary)
   * @param isKnown words that are correct as they are and never corrected
   */
  constructor(
    targets: Iterable<string>,
    private readonly isKnown: (word: string) => boolean,
  ) {
    for (const word of targets) {
      if (word.length < 4 || /\d/.test(word)) continue;
      const variants = new Set<string>([word]);
      deletions(word, allowedEdits(word.length), variants);
      for (const variant of variants) {
        const words = this.index.get(variant);
        if (!words) this.index.set(variant, [word]);
        else if (!words.includes(word)) words.push(word);
      }
    }
  }

  /** The corrected word, or the word itself when it is known or nothing is close enough. */
  correct(word: string): string {
    if (this.index.get(word)?.includes(word) || this.isKnown(word)) return word;
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached ?? word;
    const best = this.closest(word);
    if (this.cache.size > 20_000) this.cache.clear();
    this.cache.set(word, best);
    return best ?? word;
  }

  private closest(word: string): string | null {
    const edits = allowedEdits(word.length);
    if (edits === 0 || /\d/.test(word)) return null;
    const variants = new Set<string>([word]);
    deletions(word, edits, variants);
    let best: string | null = null;
    let bestDistance = Infinity;
    for (const variant of variants) {
      for (const candidate of this.index.get(variant) ?? []) {
        // Typos rarely hit the first letter: a short word must keep it ("makan" is not "akan").
        if (candidate[0] !== word[0] && word.length < 7) continue;
        const distance = DamerauLevenshteinDistance(word, candidate);
        const score = distance + (candidate[0] === word[0] ? 0 : 0.5);
        if (distance <= allowedEdits(Math.max(word.length, candidate.length)) && score < bestDistance) {
          best = candidate;
          bestDistance = score;
        }
      }
    }
    return best;
  }
}
