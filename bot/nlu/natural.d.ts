/**
 * Types for the parts of `natural` we import directly. We import submodules
 * because the package index pulls in database clients and ESM-only packages
 * and loads `.env` (see ../shared/PLATFORM.md).
 */
declare module 'natural/lib/natural/stemmers/indonesian/stemmer_id.js' {
  const stemmer: { stem(word: string): string };
  export default stemmer;
}

declare module 'natural/lib/natural/tfidf/tfidf.js' {
  export default class TfIdf {
    addDocument(document: string[], key?: string): void;
    tfidfs(terms: string[], callback?: (index: number, measure: number, key?: string) => void): number[];
    idf(term: string): number;
  }
}

declare module 'natural/lib/natural/distance/levenshtein_distance.js' {
  export function DamerauLevenshteinDistance(source: string, target: string, options?: { restricted?: boolean }): number;
}
