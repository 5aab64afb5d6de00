/** Accuracy and latency figures from a list of scored results (engine or baseline alike). */
import type { DevResult } from './devset.js';

export interface Share {
  /** Cases counted. */
  n: number;
  /** Cases right. */
  correct: number;
  /** correct / n, in [0, 1]; null when there were no cases. */
  value: number | null;
}

export interface Latency {
  n: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
}

export interface Metrics {
  n: number;
  /** First reply kind right and, for answers, the entry right. */
  accuracy: Share;
  /** The same, over the cases labelled `answer` only. */
  answers: Share;
  /** Out-of-scope cases (`fallback`) answered with a fallback. */
  outOfScopeRefused: Share;
  byKind: Record<string, Share>;
  latency: Latency;
  /** Timed passes the latency was pooled over. */
  passes?: number;
  /** False when repeated passes did not score every case the same. */
  deterministic?: boolean;
  /** The cases it got wrong, one string each (diff-friendly): `d0042 expected → got`. */
  misses: string[];
}

function share(list: DevResult[]): Share {
  const correct = list.filter((r) => r.correct).length;
  return { n: list.length, correct, value: list.length ? correct / list.length : null };
}

/** Nearest-rank percentile of an ascending list (p in (0, 100]). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function latencyOf(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, ms) => sum + ms, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    meanMs: sorted.length ? mean : NaN,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    minMs: sorted[0] ?? NaN,
    maxMs: sorted[sorted.length - 1] ?? NaN,
  };
}

const label = (kind: string, entry?: string) => (kind === 'answer' ? `answer/${entry ?? '?'}` : kind);

export function measure(results: DevResult[]): Metrics {
  const kinds = [...new Set(results.map((r) => r.kind))].sort();
  return {
    n: results.length,
    accuracy: share(results),
    answers: share(results.filter((r) => r.kind === 'answer')),
    outOfScopeRefused: share(results.filter((r) => r.kind === 'fallback')),
    byKind: Object.fromEntries(kinds.map((kind) => [kind, share(results.filter((r) => r.kind === kind))])),
    latency: latencyOf(results.map((r) => r.ms)),
    misses: results
      .filter((r) => !r.correct)
      .map((r) => `${r.id} ${label(r.kind, r.entry)} → ${label(r.gotKind, r.gotEntry)}`),
  };
}
