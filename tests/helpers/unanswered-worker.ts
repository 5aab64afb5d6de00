/**
 * Child process for the multi-process unanswered-questions test:
 *   node --import tsx tests/helpers/unanswered-worker.ts <dbfile> <groupId> <worker> <count>
 * Opens the shared file, prints "ready", waits for a line on stdin (so all
 * workers start together), then records <count> messages into the group.
 * Prints one JSON line: the counts it saw after each of its records.
 */
import { createInterface } from 'node:readline';
import { openSqliteStore } from '../../bot/store/sqlite.js';

const [file, groupId, worker, count] = process.argv.slice(2);
const store = openSqliteStore({ file: file! });
console.log('ready');
const input = createInterface({ input: process.stdin });
await new Promise((resolve) => input.once('line', resolve));
input.close();

const seen: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const group = await store.unanswered.record({ text: `worker ${worker} pesan ${i}`, stems: ['urus', 'surat'], at: new Date() }, groupId);
  seen.push(group.count);
  await new Promise((resolve) => setTimeout(resolve, 1)); // spread the work so the workers interleave
}
await store.close();
console.log(JSON.stringify(seen));
