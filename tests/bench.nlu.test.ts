/**
 * The NLU benchmark harness (bench/nlu-bench.ts) works end to end on a slice
 * of the development set: the engine and the nlp.js baseline both run, are
 * scored and timed, and the report renders. No speed or accuracy thresholds:
 * `npm run bench` measures those.
 */
import { beforeAll, describe, it, expect } from '@jest/globals';
import { loadDevset } from '../bench/devset.js';
import { latencyOf, percentile, type Metrics } from '../bench/metrics.js';
import { buildTrainingSet, conflictingExamples, intentToReply } from '../bench/nlpjs.js';
import { renderJson, renderMarkdown, renderTable, runNluBenchmark, type BenchReport } from '../bench/nlu-bench.js';
import { loadEntries, loadLanguage } from '../knowledge/load.js';

function expectShare(share: { n: number; correct: number; value: number | null }) {
  expect(share.correct).toBeGreaterThanOrEqual(0);
  expect(share.correct).toBeLessThanOrEqual(share.n);
  if (share.n === 0) {
    expect(share.value).toBeNull();
  } else {
    expect(share.value).toBeGreaterThanOrEqual(0);
    expect(share.value).toBeLessThanOrEqual(1);
  }
}

function expectMetrics(metrics: Metrics, n: number) {
  expect(metrics.n).toBe(n);
  expect(metrics.accuracy.n).toBe(n);
  expectShare(metrics.accuracy);
  expectShare(metrics.answers);
  expectShare(metrics.outOfScopeRefused);
  expect(metrics.answers.n).toBeGreaterThan(0);
  expect(metrics.outOfScopeRefused.n).toBeGreaterThan(0);
  expect(metrics.misses).toHaveLength(n - metrics.accuracy.correct);
  expect(metrics.latency.n).toBe(n);
  for (const value of [metrics.latency.meanMs, metrics.latency.p50Ms, metrics.latency.p99Ms]) {
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(0);
  }
  expect(metrics.latency.p50Ms).toBeLessThanOrEqual(metrics.latency.p99Ms);
}

describe('NLU benchmark harness', () => {
  let report: BenchReport;

  beforeAll(async () => {
    const cases = loadDevset().slice(0, 60);
    report = await runNluBenchmark([{ name: 'dev60', file: 'bench/devset/messages.jsonl', cases }], { warmup: false, repeats: 1 });
  });

  it('runs the engine and nlp.js over the first 60 dev-set messages', () => {
    expect(report.sets).toHaveLength(1);
    const [set] = report.sets;
    expectMetrics(set!.siratu, 60);
    expectMetrics(set!.nlpjs, 60);
    expect(report.setup.nlpjs.intents).toBe(24 + 6);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.cpu.length).toBeGreaterThan(0);
  });

  it('renders the table, the markdown file and JSON', () => {
    const table = renderTable(report);
    expect(table).toContain('| metric | siratu · dev60 | nlp.js · dev60 |');
    for (const row of ['accuracy (kind + entry)', 'accuracy, answers only', 'out-of-scope refused', 'latency mean (ms)', 'latency p50 (ms)', 'latency p99 (ms)']) {
      expect(table).toContain(`| ${row} |`);
    }
    const markdown = renderMarkdown(report);
    expect(markdown).toContain(table);
    expect(markdown).toContain(report.machine.cpu);
    const json = JSON.parse(renderJson(report)) as BenchReport;
    expect(json.sets[0]!.nlpjs.accuracy.correct).toBe(report.sets[0]!.nlpjs.accuracy.correct);
  });
});

describe('nlp.js baseline', () => {
  it('trains on every entry and the six non-answer kinds, with no phrase under two intents', () => {
    const examples = buildTrainingSet(loadEntries(), loadLanguage());
    const intents = new Set(examples.map((e) => e.intent));
    for (const id of loadEntries().map((e) => e.id)) expect(intents.has(id)).toBe(true);
    for (const kind of ['greeting', 'thanks', 'menu', 'handoff', 'status', 'complaint']) expect(intents.has(`kind_${kind}`)).toBe(true);
    expect(conflictingExamples(examples)).toEqual([]);
  });

  it('maps intents to reply kinds', () => {
    expect(intentToReply('None')).toEqual({ kind: 'fallback' });
    expect(intentToReply('kind_greeting')).toEqual({ kind: 'greeting' });
    expect(intentToReply('ktp-baru')).toEqual({ kind: 'answer', entry: 'ktp-baru' });
  });
});

describe('latency figures', () => {
  it('uses nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(latencyOf([3, 1, 2])).toMatchObject({ n: 3, meanMs: 2, p50Ms: 2, minMs: 1, maxMs: 3 });
  });
});
