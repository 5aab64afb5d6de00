/**
 * `npm run bench`: the NLU benchmark (./nlu-bench.ts) on the two development
 * sets (tuned on) and the held-out set (only ever measured). Prints the table to stdout and
 * overwrites bench/results/nlu.md and bench/results/nlu.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDevset } from './devset.js';
import { renderJson, renderMarkdown, renderTable, runNluBenchmark, type BenchSet } from './nlu-bench.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');

const sets: BenchSet[] = [];
for (const [name, file] of [
  ['dev', join(benchDir, 'devset', 'messages.jsonl')],
  ['dev2', join(benchDir, 'devset2', 'messages.jsonl')],
  ['holdout', join(benchDir, 'holdout', 'messages.jsonl')],
] as const) {
  if (existsSync(file)) sets.push({ name, file: relative(root, file), cases: loadDevset(file) });
}

/** Timed passes per set: latency percentiles over 5 × n messages are steadier than over one pass. */
const REPEATS = 5;

const report = await runNluBenchmark(sets, { repeats: REPEATS, progress: (line) => process.stderr.write(`${line}\n`) });

const resultsDir = join(benchDir, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'nlu.md'), renderMarkdown(report));
writeFileSync(join(resultsDir, 'nlu.json'), renderJson(report));

const { machine } = report;
process.stdout.write(`${renderTable(report)}\n\nNode ${machine.node} · ${machine.cpu} · ${report.date}\n`);
process.stderr.write(`written: ${relative(root, join(resultsDir, 'nlu.md'))}, ${relative(root, join(resultsDir, 'nlu.json'))}\n`);
