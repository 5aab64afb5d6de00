/**
 * Child process for the queue crash test:
 *   node --import tsx tests/helpers/queue-worker.ts embedded <dbfile> <queue> <receiverUrl>
 *   node --import tsx tests/helpers/queue-worker.ts bull <redisUrl>|<prefix> <queue> <receiverUrl>
 * Works on <queue> with a handler that starts delivering to the receiver and
 * never finishes (the receiver holds the request), so the test can SIGKILL
 * this process in the middle of a job. Prints "ready" once it is working.
 */
import { createBullQueue } from '../../bot/queue/bull.js';
import { createEmbeddedQueue } from '../../bot/queue/embedded.js';
import { openSqliteStore } from '../../bot/store/sqlite.js';

const [engine, target, queueName, receiver] = process.argv.slice(2) as [string, string, string, string];
const queue =
  engine === 'embedded'
    ? createEmbeddedQueue(openSqliteStore({ file: target }).jobs, { pollMs: 20, leaseMs: 1000 })
    : createBullQueue(target.split('|')[0]!, { prefix: target.split('|')[1]!, lockMs: 1000, stalledIntervalMs: 500 });
queue.process<{ n: number }>(queueName, async (job) => {
  await fetch(`${receiver}/deliver?key=${encodeURIComponent(job.id)}&hold=1`, { method: 'POST' });
});
console.log('ready');
