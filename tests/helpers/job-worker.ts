/**
 * Child process for the multi-process job test:
 *   node --import tsx tests/helpers/job-worker.ts <dbfile> <queue>
 * Opens the shared file, prints "ready", waits for a line on stdin (so all
 * workers start together), then claims and completes jobs of <queue> until
 * none is left. Prints one JSON line: the ids it completed.
 */
import { createInterface } from 'node:readline';
import { openSqliteStore } from '../../bot/store/sqlite.js';

const [file, queue] = process.argv.slice(2) as [string, string];
const store = openSqliteStore({ file });
console.log('ready');
const input = createInterface({ input: process.stdin });
await new Promise((resolve) => input.once('line', resolve));
input.close();

const done: string[] = [];
for (;;) {
  const jobs = await store.jobs.claim(queue, { now: new Date(), leaseMs: 60_000, limit: 2 });
  if (jobs.length === 0) break;
  for (const job of jobs) {
    if (!(await store.jobs.complete(job.id, job.token!))) throw new Error(`lost ${job.id}`);
    done.push(job.id);
  }
  await new Promise((resolve) => setTimeout(resolve, 1)); // let the others in, so the workers interleave
}
await store.close();
console.log(JSON.stringify(done));
