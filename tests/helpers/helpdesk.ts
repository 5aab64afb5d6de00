/**
 * A real dispatcher on a real embedded store in a temporary directory, for
 * tests that talk to the engine the way a channel does.
 */
import { Writable } from 'node:stream';
import type { EngineServices } from '../../bot/context.js';
import { Dispatcher } from '../../bot/dispatcher.js';
import { KnowledgeBase, seedKnowledge } from '../../bot/knowledge-base.js';
import { createLogger } from '../../bot/log.js';
import { openSqliteStore } from '../../bot/store/sqlite.js';
import type { Message, Store } from '../../bot/store/types.js';
import type { Attachment, ChannelName } from '../../bot/types.js';
import { loadEntries, loadLanguage, loadOffice } from '../../knowledge/load.js';
import { makeTempDir } from './tmp.js';

export interface TestHelpdesk {
  store: Store;
  dispatcher: Dispatcher;
  /** Every log line written, as parsed JSON. */
  logs: Record<string, unknown>[];
  /** Sends a citizen message and returns the bot's replies. */
  say(senderId: string, text: string, options?: { channel?: ChannelName; attachments?: Attachment[]; platformMessageId?: string }): Promise<Message[]>;
  close(): Promise<void>;
}

export async function createTestHelpdesk(options: { now?: () => Date; file?: string; services?: EngineServices } = {}): Promise<TestHelpdesk> {
  const temp = options.file ? undefined : makeTempDir();
  const store = openSqliteStore({ file: options.file ?? `${temp!.dir}/siratu.db` });
  await seedKnowledge(store, loadEntries(), loadOffice('palu'));
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const dispatcher = new Dispatcher({ store, knowledge: new KnowledgeBase(store, loadLanguage()), log: createLogger({ level: 'debug', destination }), clock: options.now, services: options.services });
  return {
    store,
    dispatcher,
    logs,
    async say(senderId, text, extra = {}) {
      const { replies } = await dispatcher.receive({
        channel: extra.channel ?? 'web',
        senderId,
        text,
        attachments: extra.attachments,
        platformMessageId: extra.platformMessageId,
      });
      return replies;
    },
    async close() {
      await store.close();
      temp?.remove();
    },
  };
}

/** A Tuesday at 10:00 in Palu (WITA, UTC+8): the office is open. */
export const OFFICE_OPEN = () => new Date('2026-11-24T02:00:00Z');
/** A Sunday at 10:00 in Palu: the office is closed. */
export const OFFICE_CLOSED = () => new Date('2026-11-22T02:00:00Z');
