/**
 * The development set (bench/devset/messages.jsonl) and how the engine does
 * on it. Each message is sent as the first message of a fresh conversation,
 * exactly like `npm run -s ask`; a case is right when the first reply's kind
 * matches and, for answers, the entry matches too.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dispatcher } from '../bot/dispatcher.js';
import { KnowledgeBase, seedKnowledge } from '../bot/knowledge-base.js';
import { createLogger } from '../bot/log.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { Store } from '../bot/store/types.js';
import { loadEntries, loadLanguage, loadOffice } from '../knowledge/load.js';

export interface DevCase {
  id: string;
  text: string;
  kind: string;
  entry?: string;
  note?: string;
}

export interface DevResult extends DevCase {
  gotKind: string;
  gotEntry?: string;
  confidence?: number;
  correct: boolean;
  /** Milliseconds from message in to replies committed. */
  ms: number;
}

export function loadDevset(file = join(dirname(fileURLToPath(import.meta.url)), 'devset', 'messages.jsonl')): DevCase[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as DevCase);
}

export function isOutOfScope(item: DevCase): boolean {
  return item.kind === 'fallback';
}

/**
 * An engine on the embedded store seeded from knowledge/: in memory (what
 * `ask` runs), or on a file when `file` is given (durable, as in production).
 */
export async function createEvaluationEngine(options: { file?: string } = {}): Promise<{ dispatcher: Dispatcher; store: Store }> {
  const store = openSqliteStore({ file: options.file ?? ':memory:' });
  await seedKnowledge(store, loadEntries(), loadOffice('palu'));
  const dispatcher = new Dispatcher({ store, knowledge: new KnowledgeBase(store, loadLanguage(), Infinity), log: createLogger({ level: 'silent' }) });
  return { dispatcher, store };
}

/** `senderPrefix` keeps repeated runs on one engine apart: every case is a new sender, so a first message. */
export async function evaluate(cases: DevCase[], dispatcher: Dispatcher, senderPrefix = 'dev'): Promise<DevResult[]> {
  const results: DevResult[] = [];
  for (const [index, item] of cases.entries()) {
    const started = performance.now();
    const { replies } = await dispatcher.receive({ channel: 'web', senderId: `${senderPrefix}-${index}-${item.id}`, text: item.text });
    const ms = performance.now() - started;
    const first = replies[0];
    const answered = replies.find((reply) => reply.entry);
    const gotKind = first?.kind ?? 'none';
    const gotEntry = answered?.entry;
    const correct = gotKind === item.kind && (item.kind !== 'answer' || gotEntry === item.entry);
    results.push({ ...item, gotKind, gotEntry, confidence: answered?.confidence, correct, ms });
  }
  return results;
}

export function summarize(results: DevResult[]) {
  const share = (list: DevResult[]) => (list.length ? list.filter((r) => r.correct).length / list.length : 1);
  const outOfScope = results.filter(isOutOfScope);
  const byKind = Object.fromEntries(
    [...new Set(results.map((r) => r.kind))].sort().map((kind) => {
      const list = results.filter((r) => r.kind === kind);
      return [kind, { n: list.length, accuracy: share(list) }];
    }),
  );
  return { n: results.length, accuracy: share(results), outOfScopeRefused: share(outOfScope), byKind };
}
