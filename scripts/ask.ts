/**
 * `npm run -s ask`: one citizen message per line on stdin, one JSON object
 * per line on stdout: {"kind","text","entry","confidence"}. Each line is a
 * fresh conversation unless `--session ID` keeps one. Runs the real engine
 * on a throw-away in-memory store seeded from knowledge/ (or, with
 * `--data DIR`, the knowledge published in that data directory).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Dispatcher } from '../bot/dispatcher.js';
import { KnowledgeBase, OFFICE_SETTING, seedKnowledge } from '../bot/knowledge-base.js';
import { createLogger } from '../bot/log.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import type { OfficeProfile } from '../knowledge/schema.js';
import { loadEntries, loadLanguage, loadOffice } from '../knowledge/load.js';
import { openStore } from '../bot/store/index.js';

const { values } = parseArgs({ options: { session: { type: 'string' }, data: { type: 'string' }, office: { type: 'string', default: 'palu' } } });

const store = openSqliteStore({ file: ':memory:' });
if (values.data) {
  const source = await openStore({ dataDir: values.data });
  const office = await source.settings.get<OfficeProfile>(OFFICE_SETTING);
  await seedKnowledge(store, await source.knowledge.published(), office ?? loadOffice(values.office));
  await source.close();
} else {
  await seedKnowledge(store, loadEntries(), loadOffice(values.office));
}
const dispatcher = new Dispatcher({ store, knowledge: new KnowledgeBase(store, loadLanguage(), Infinity), log: createLogger({ level: 'silent' }) });

let line = 0;
for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  line++;
  const senderId = values.session ?? `ask-${line}`;
  const { replies } = await dispatcher.receive({ channel: 'web', senderId, text });
  const first = replies[0];
  const answer = replies.find((reply) => reply.entry);
  process.stdout.write(
    JSON.stringify({
      kind: first?.kind ?? null,
      text: replies.map((reply) => reply.text).join('\n\n'),
      entry: answer?.entry ?? null,
      confidence: answer?.confidence ?? first?.confidence ?? null,
    }) + '\n',
  );
}
await store.close();
