/**
 * The engine wired as scripts/app.ts wires it, without HTTP: a seeded SQLite
 * store in a temp dir, the knowledge base, the real outbox on the embedded
 * queue (fast retries) and the dispatcher, with every log line captured.
 * The channel helpers (telegram.ts, whatsapp.ts) put their channel on top.
 */
import { Writable } from 'node:stream';
import { Dispatcher } from '../../bot/dispatcher.js';
import { KnowledgeBase, seedKnowledge } from '../../bot/knowledge-base.js';
import { createLogger, type Logger } from '../../bot/log.js';
import { createOutbox, type RunningOutbox } from '../../bot/outbox.js';
import { createEmbeddedQueue } from '../../bot/queue/embedded.js';
import type { JobQueue } from '../../bot/queue/types.js';
import { openSqliteStore } from '../../bot/store/sqlite.js';
import type { Store } from '../../bot/store/types.js';
import { loadEntries, loadLanguage, loadOffice } from '../../knowledge/load.js';
import { makeTempDir } from './tmp.js';

export interface DeskCore {
  store: Store;
  knowledge: KnowledgeBase;
  queue: JobQueue;
  outbox: RunningOutbox;
  dispatcher: Dispatcher;
  log: Logger;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Removes the temp dir (close the store first). */
  remove(): void;
}

export async function createDeskCore(prefix: string): Promise<DeskCore> {
  const temp = makeTempDir(prefix);
  const store = openSqliteStore({ file: `${temp.dir}/siratu.db` });
  await seedKnowledge(store, loadEntries(), loadOffice('palu'));
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const knowledge = new KnowledgeBase(store, loadLanguage());
  // The dispatcher queues every reply on a channel that pushes; the outbox's worker sends it through the channel's sender.
  const queue = createEmbeddedQueue(store.jobs, { pollMs: 10 });
  const outbox = createOutbox({ store, queue, log, backoffMs: 20, attempts: 3 });
  const dispatcher = new Dispatcher({ store, knowledge, log, outbox });
  return { store, knowledge, queue, outbox, dispatcher, log, logs, remove: () => temp.remove() };
}
