/**
 * The NLU benchmark: siratu's engine against an nlp.js baseline on the same
 * labelled message sets, in one process.
 *
 * - siratu: each message is the first message of a new conversation, sent
 *   through `dispatcher.receive()` on the embedded store in a temporary file (what
 *   `npm run -s ask` runs). Latency is the full turn, not just the NLU.
 * - nlp.js: `nlp.process('id', text)` of a model trained on the knowledge
 *   base's phrases and the lexicon's intent lists (see ./nlpjs.ts).
 *
 * Both systems are warmed up with one untimed pass over the set first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEntries, loadLanguage } from '../knowledge/load.js';
import { createEvaluationEngine, evaluate, type DevCase, type DevResult } from './devset.js';
import { latencyOf, measure, type Metrics } from './metrics.js';
import { createNlpjsBaseline, evaluateNlpjs } from './nlpjs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchSet {
  /** Short name used in column headers and sender ids, e.g. `dev`. */
  name: string;
  /** Where the cases came from, relative to the repository. */
  file: string;
  cases: DevCase[];
}

export interface SetResult {
  name: string;
  file: string;
  n: number;
  siratu: Metrics;
  nlpjs: Metrics;
}

export interface BenchReport {
  date: string;
  machine: { node: string; cpu: string; cores: number; platform: string; memoryGiB: number };
  software: { siratu: string; git: string | null; nlpjsNlp: string | null; nlpjsLangId: string | null };
  setup: {
    warmup: boolean;
    repeats: number;
    siratu: string;
    nlpjs: { examples: number; intents: number; threshold: number; trainMs: number; warnings: string[]; note: string };
  };
  sets: SetResult[];
}

function packageVersion(name: string): string | null {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

function gitDescribe(): string | null {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineFacts(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

export interface BenchOptions {
  /** One untimed pass over each set before the timed ones (default true). */
  warmup?: boolean;
  /**
   * Timed passes over each set (default 1). Accuracy comes from the first;
   * latency pools the samples of all of them (a p99 over one pass of a few
   * hundred messages is its 6th-slowest sample, so it moves run to run).
   */
  repeats?: number;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

/** Runs `pass` `repeats` times: metrics of the first pass, latency samples of all, and whether every pass scored the same. */
async function timedPasses(repeats: number, pass: (index: number) => Promise<DevResult[]>): Promise<Metrics> {
  const first = await pass(0);
  const samples = first.map((r) => r.ms);
  let deterministic = true;
  for (let index = 1; index < repeats; index++) {
    const again = await pass(index);
    samples.push(...again.map((r) => r.ms));
    deterministic &&= again.every((r, i) => r.correct === first[i]!.correct && r.gotKind === first[i]!.gotKind && r.gotEntry === first[i]!.gotEntry);
  }
  return { ...measure(first), latency: latencyOf(samples), passes: repeats, deterministic };
}

export async function runNluBenchmark(sets: BenchSet[], options: BenchOptions = {}): Promise<BenchReport> {
  const warmup = options.warmup ?? true;
  const repeats = Math.max(1, Math.floor(options.repeats ?? 1));
  const progress = options.progress ?? (() => {});
  const entries = loadEntries();
  const language = loadLanguage();

  const baseline = await createNlpjsBaseline(entries, language);
  progress(`nlp.js trained: ${baseline.examples.length} examples, ${baseline.intents} intents, ${baseline.trainMs.toFixed(0)} ms`);
  // The embedded store on disk, as in production (WAL, checkpoints off the event loop).
  const dataDir = mkdtempSync(join(tmpdir(), 'siratu-bench-'));
  const { dispatcher, store } = await createEvaluationEngine({ file: join(dataDir, 'siratu.db') });

  const results: SetResult[] = [];
  try {
    for (const set of sets) {
      if (warmup) await evaluate(set.cases, dispatcher, `warmup-${set.name}`);
      const siratu = await timedPasses(repeats, (pass) => evaluate(set.cases, dispatcher, `bench-${set.name}-${pass}`));
      progress(`siratu on ${set.name}: ${set.cases.length} messages × ${repeats}`);

      if (warmup) await evaluateNlpjs(set.cases, baseline);
      const nlpjs = await timedPasses(repeats, () => {
        // nlp.js caches the prepared tokens of every utterance it has seen;
        // without this a timed pass would measure cache hits, not new messages.
        baseline.forgetUtterances();
        return evaluateNlpjs(set.cases, baseline);
      });
      progress(`nlp.js on ${set.name}: ${set.cases.length} messages × ${repeats}`);
      results.push({ name: set.name, file: set.file, n: set.cases.length, siratu, nlpjs });
    }
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  return {
    date: new Date().toISOString(),
    machine: machineFacts(),
    software: {
      siratu: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
      git: gitDescribe(),
      nlpjsNlp: packageVersion('@nlpjs/nlp'),
      nlpjsLangId: packageVersion('@nlpjs/lang-id'),
    },
    setup: {
      warmup,
      repeats,
      siratu:
        'dispatcher.receive() on the embedded SQLite store in a temporary file, seeded from knowledge/; every message opens a new conversation; latency = full turn (store the message, decide, commit the replies)',
      nlpjs: {
        examples: baseline.examples.length,
        intents: baseline.intents,
        threshold: baseline.threshold,
        trainMs: baseline.trainMs,
        warnings: baseline.warnings,
        note: "@nlpjs/nlp + @nlpjs/lang-id, default settings (neural NLU, threshold, sentiment on); trained on entry phrases (intent = entry id) and the lexicon's greeting/thanks/menu/handoff/status/complaintExplicit + complaints lists; None = fallback; latency = nlp.process('id', text) with its per-utterance cache cleared after warm-up",
      },
    },
    sets: results,
  };
}

// ---------------------------------------------------------------- rendering

const pct = (s: { n: number; correct: number; value: number | null }) =>
  s.value === null ? '–' : `${(s.value * 100).toFixed(1)} % (${s.correct}/${s.n})`;
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : '–');

function table(header: string[], rows: string[][]): string {
  const lines = [header, header.map((_, i) => (i === 0 ? '---' : '---:')), ...rows];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function columns(report: BenchReport): { label: string; metrics: Metrics }[] {
  return report.sets.flatMap((set) => [
    { label: `siratu · ${set.name}`, metrics: set.siratu },
    { label: `nlp.js · ${set.name}`, metrics: set.nlpjs },
  ]);
}

/** The main table: one row per metric, one column per system and set. */
export function renderTable(report: BenchReport): string {
  const cols = columns(report);
  const row = (name: string, cell: (m: Metrics) => string) => [name, ...cols.map((c) => cell(c.metrics))];
  return table(
    ['metric', ...cols.map((c) => c.label)],
    [
      row('messages', (m) => String(m.n)),
      row('accuracy (kind + entry)', (m) => pct(m.accuracy)),
      row('accuracy, answers only', (m) => pct(m.answers)),
      row('out-of-scope refused', (m) => pct(m.outOfScopeRefused)),
      row('latency samples', (m) => String(m.latency.n)),
      row('latency mean (ms)', (m) => ms(m.latency.meanMs)),
      row('latency p50 (ms)', (m) => ms(m.latency.p50Ms)),
      row('latency p99 (ms)', (m) => ms(m.latency.p99Ms)),
    ],
  );
}

/** Accuracy per expected kind. */
export function renderKindTable(report: BenchReport): string {
  const cols = columns(report);
  const kinds = [...new Set(cols.flatMap((c) => Object.keys(c.metrics.byKind)))].sort();
  return table(
    ['expected kind', ...cols.map((c) => c.label)],
    kinds.map((kind) => [kind, ...cols.map((c) => (c.metrics.byKind[kind] ? pct(c.metrics.byKind[kind]!) : '–'))]),
  );
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, software, setup } = report;
  return [
    '# NLU benchmark: siratu vs nlp.js',
    '',
    `Generated by \`npm run bench\` on ${report.date}. Do not edit by hand; the raw numbers are in \`nlu.json\`.`,
    '',
    renderTable(report),
    '',
    '## Accuracy per expected kind',
    '',
    renderKindTable(report),
    '',
    '## Sets',
    '',
    ...report.sets.map((set) => `- **${set.name}**: \`${set.file}\`, ${set.n} messages`),
    '',
    '## Setup',
    '',
    `- **siratu** ${software.siratu}${software.git ? ` (${software.git})` : ''}: ${setup.siratu}.`,
    `- **nlp.js** @nlpjs/nlp ${software.nlpjsNlp ?? '?'}, @nlpjs/lang-id ${software.nlpjsLangId ?? '?'}: ${setup.nlpjs.note}.` +
      ` ${setup.nlpjs.examples} training examples, ${setup.nlpjs.intents} intents, threshold ${setup.nlpjs.threshold}, trained in ${setup.nlpjs.trainMs.toFixed(0)} ms` +
      (setup.nlpjs.warnings.length ? `, ${setup.nlpjs.warnings.length} training warnings.` : ', no training warnings.'),
    `- Warm-up: ${setup.warmup ? 'one untimed pass over each set per system' : 'none'}; then ${setup.repeats} timed pass${setup.repeats === 1 ? '' : 'es'}:` +
      ' accuracy from the first, latency over the messages of all' +
      (report.sets.every((set) => set.siratu.deterministic && set.nlpjs.deterministic) ? ' (every pass scored the same).' : ' (**passes disagreed**: see `deterministic` in nlu.json).') +
      ' Accuracy: the first reply kind matches and, for answers, the entry matches. Percentiles are nearest-rank.',
    '',
    '## Machine',
    '',
    `- Node ${machine.node}, ${machine.platform}`,
    `- CPU: ${machine.cpu} (${machine.cores} logical cores), ${machine.memoryGiB} GiB RAM`,
    '',
  ].join('\n');
}

/** JSON with latencies rounded to 0.1 µs (finer digits are noise) and a stable key order. */
export function renderJson(report: BenchReport): string {
  return `${JSON.stringify(report, (key, value: unknown) => (typeof value === 'number' && /Ms$/.test(key) ? Math.round(value * 1e4) / 1e4 : value), 2)}\n`;
}
