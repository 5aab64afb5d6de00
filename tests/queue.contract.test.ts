/**
 * The JobQueue contract: one suite, run against both engines. The embedded
 * queue runs on a temporary SQLite store; bull runs on the real local Redis
 * under a prefix of its own, obliterated afterwards. Timing assertions check
 * lower bounds strictly (nothing runs early, no rate-limit window holds too
 * many starts) and upper bounds loosely.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Bull from 'bull';
import { createBullQueue } from '../bot/queue/bull.js';
import { createEmbeddedQueue } from '../bot/queue/embedded.js';
import { backoffDelay, type JobQueue, PermanentJobError, type QueueJob } from '../bot/queue/types.js';
import { openSqliteStore } from '../bot/store/sqlite.js';
import { makeTempDir } from './helpers/tmp.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Engine {
  name: 'embedded' | 'bull';
  open(): JobQueue;
  /** Arguments that let tests/helpers/queue-worker.ts open the same queues. */
  childTarget: string;
  cleanup(queues: string[]): Promise<void>;
}

const dir = makeTempDir('siratu-queue-');
const dbFile = join(dir.dir, 'queue.db');
const store = openSqliteStore({ file: dbFile });
const embedded: Engine = {
  name: 'embedded',
  open: () => createEmbeddedQueue(store.jobs, { pollMs: 20, leaseMs: 1000 }),
  childTarget: dbFile,
  async cleanup() {
    await store.close();
    dir.remove();
  },
};

const prefix = `siratu-test-${process.pid}-${Date.now()}`;
const bull: Engine = {
  name: 'bull',
  open: () => createBullQueue(REDIS_URL, { prefix, lockMs: 1000, stalledIntervalMs: 500 }),
  childTarget: `${REDIS_URL}|${prefix}`,
  async cleanup(queues) {
    for (const name of queues) {
      const queue = new Bull(name, REDIS_URL, { prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Most starts seen in any window [t, t + durationMs) that begins at a start. */
function busiestWindow(starts: number[], durationMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  return Math.max(...sorted.map((t) => sorted.filter((s) => s >= t && s < t + durationMs).length));
}

describe.each([embedded, bull])('$name queue', (engine) => {
  const used: string[] = [];
  let seq = 0;
  const fresh = (label: string) => {
    const name = `${label}-${++seq}`;
    used.push(name);
    return name;
  };
  afterAll(async () => {
    await engine.cleanup(used);
  });

  test('processes jobs and counts them', async () => {
    const queue = engine.open();
    const name = fresh('basic');
    const seen: QueueJob<{ n: number }>[] = [];
    queue.process<{ n: number }>(name, async (job) => void seen.push(job), { concurrency: 2 });
    for (let n = 1; n <= 3; n++) await queue.add(name, { n });
    await waitFor(() => seen.length === 3);
    expect(seen.map((job) => job.data.n).sort()).toEqual([1, 2, 3]);
    expect(seen.every((job) => job.attempt === 1 && job.maxAttempts === 5 && typeof job.id === 'string')).toBe(true);
    await waitFor(async () => (await queue.counts(name)).completed === 3);
    expect(await queue.counts(name)).toEqual({ waiting: 0, active: 0, completed: 3, failed: 0, delayed: 0 });
    await queue.close();
  });

  test('dedupes by jobId, also after the job ran', async () => {
    const queue = engine.open();
    const name = fresh('dedupe');
    await queue.add(name, { n: 1 }, { jobId: 'message-1' });
    await queue.add(name, { n: 2 }, { jobId: 'message-1' });
    const seen: number[] = [];
    queue.process<{ n: number }>(name, async (job) => void seen.push(job.data.n));
    await waitFor(() => seen.length === 1);
    await queue.add(name, { n: 3 }, { jobId: 'message-1' });
    await sleep(300);
    expect(seen).toEqual([1]);
    await queue.close();
  });

  test('a delayed job does not run before its delay', async () => {
    const queue = engine.open();
    const name = fresh('delayed');
    let startedAt = 0;
    queue.process(name, async () => void (startedAt = Date.now()));
    const addedAt = Date.now();
    await queue.add(name, { reminder: 'sla' }, { delayMs: 800, jobId: 'reminder:1' });
    await sleep(100);
    expect(startedAt).toBe(0);
    expect(await queue.counts(name)).toMatchObject({ delayed: 1, waiting: 0 });
    await waitFor(() => startedAt > 0, 5000);
    const lateness = startedAt - addedAt - 800;
    console.log(`[${engine.name}] delayed job: started ${startedAt - addedAt} ms after add (delay 800)`);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1000);
    await queue.close();
  });

  test('retries with exponential backoff: (2^n − 1) × backoffMs', async () => {
    const queue = engine.open();
    const name = fresh('backoff');
    const attempts: { attempt: number; at: number }[] = [];
    queue.process(name, async (job) => {
      attempts.push({ attempt: job.attempt, at: Date.now() });
      if (job.attempt < 4) throw new Error(`temporary failure ${job.attempt}`);
    });
    await queue.add(name, {}, { attempts: 4, backoffMs: 200 });
    await waitFor(() => attempts.length === 4, 10_000);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    const expected = [1, 2, 3].map((n) => backoffDelay(n, 200)); // 200, 600, 1400
    console.log(`[${engine.name}] retry gaps: ${gaps.join(', ')} ms (expected ${expected.join(', ')})`);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(gap).toBeLessThan(expected[i]! + 300);
    });
    await waitFor(async () => (await queue.counts(name)).completed === 1);
    expect(await queue.counts(name)).toMatchObject({ completed: 1, failed: 0 });
    await queue.close();
  });

  test('a PermanentJobError fails the job at once: onFailed once, no further attempts', async () => {
    const queue = engine.open();
    const name = fresh('permanent');
    let calls = 0;
    const failed: [QueueJob<{ to: string }>, Error][] = [];
    queue.onFailed<{ to: string }>(name, (job, error) => failed.push([job, error]));
    queue.process(name, async () => {
      calls++;
      throw new PermanentJobError('Forbidden: bot was blocked by the user');
    });
    await queue.add(name, { to: '42' }, { attempts: 5, backoffMs: 50, jobId: 'blocked-1' });
    await waitFor(() => failed.length === 1);
    await sleep(400);
    expect(calls).toBe(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]![0]).toMatchObject({ id: 'blocked-1', data: { to: '42' } });
    expect(failed[0]![1].message).toBe('Forbidden: bot was blocked by the user');
    expect(await queue.counts(name)).toMatchObject({ failed: 1, completed: 0, waiting: 0, delayed: 0 });
    await queue.close();
  });

  test('when the attempts are used up, onFailed is called once with the last error', async () => {
    const queue = engine.open();
    const name = fresh('exhausted');
    let calls = 0;
    const failed: Error[] = [];
    queue.onFailed(name, (_job, error) => failed.push(error));
    queue.process(name, async (job) => {
      calls++;
      throw new Error(`down (attempt ${job.attempt})`);
    });
    await queue.add(name, {}, { attempts: 3, backoffMs: 50 });
    await waitFor(() => failed.length === 1, 5000);
    await sleep(300);
    expect(calls).toBe(3);
    expect(failed.map((e) => e.message)).toEqual(['down (attempt 3)']);
    expect(await queue.counts(name)).toMatchObject({ failed: 1 });
    await queue.close();
  });

  test('rate limit: at most 5 starts in any 1000 ms, so 12 jobs span two full windows', async () => {
    const queue = engine.open();
    const name = fresh('limited');
    const starts: number[] = [];
    queue.process(name, async () => {
      starts.push(Date.now());
      await sleep(5);
    }, { concurrency: 3, rateLimit: { max: 5, durationMs: 1000 } });
    for (let n = 0; n < 12; n++) await queue.add(name, { n });
    await waitFor(() => starts.length === 12, 10_000);
    const span = Math.max(...starts) - Math.min(...starts);
    const busiest = busiestWindow(starts, 1000);
    console.log(`[${engine.name}] rate limit 5/1000 ms: 12 starts over ${span} ms; busiest 1000 ms window: ${busiest}; starts (ms from first): ${starts.map((s) => s - starts[0]!).join(', ')}`);
    expect(busiest).toBeLessThanOrEqual(5);
    expect(span).toBeGreaterThanOrEqual(1990);
    await queue.close();
  });

  test('limiter: at most max turns in any window, shared by two queue instances', async () => {
    const first = engine.open();
    const second = engine.open();
    const name = fresh('turns');
    const turns: number[] = [];
    const take = async (queue: JobQueue) => {
      const limiter = queue.limiter(name, { max: 5, durationMs: 1000 });
      for (let i = 0; i < 6; i++) {
        await limiter.acquire();
        turns.push(Date.now());
      }
    };
    await Promise.all([take(first), take(second)]);
    const span = Math.max(...turns) - Math.min(...turns);
    const busiest = busiestWindow(turns, 1000);
    console.log(`[${engine.name}] limiter 5/1000 ms, 2 instances: 12 turns over ${span} ms; busiest 1000 ms window: ${busiest}`);
    expect(busiest).toBeLessThanOrEqual(5);
    expect(span).toBeGreaterThanOrEqual(1990);
    await first.close();
    await second.close();
  });

  test('a worker killed mid-job: another worker completes it, and the side effect happens exactly once', async () => {
    const name = fresh('crash');
    // The fake platform: counts accepted deliveries per key; a held request that is cut off accepts nothing.
    const accepted = new Map<string, number>();
    const held: string[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url!, 'http://x');
      const key = url.searchParams.get('key')!;
      if (url.searchParams.get('hold')) {
        held.push(key);
        return; // never answered: the worker is killed while waiting
      }
      accepted.set(key, (accepted.get(key) ?? 0) + 1);
      res.end('ok');
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    const queue = engine.open();
    try {
      await queue.add(name, { n: 1 }, { jobId: 'crash-job', attempts: 3, backoffMs: 100 });
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/queue-worker.ts', engine.name, engine.childTarget, name, receiverUrl], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      createInterface({ input: child.stdout }).on('line', () => undefined);
      const exited = once(child, 'exit');
      await waitFor(() => held.length === 1 || child.exitCode !== null, 15_000, 'the child to start the job');
      expect(stderr).toBe('');
      expect(held).toEqual(['crash-job']);
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();

      const runs: QueueJob<unknown>[] = [];
      queue.process(name, async (job) => {
        runs.push(job);
        const response = await fetch(`${receiverUrl}/deliver?key=${encodeURIComponent(job.id)}`, { method: 'POST' });
        if (!response.ok) throw new Error(`receiver said ${response.status}`);
      });
      await waitFor(() => accepted.get('crash-job') === 1, 15_000, 'the job to be redelivered');
      console.log(`[${engine.name}] crash recovery: job completed ${Date.now() - killedAt} ms after the worker was killed`);
      await sleep(1500); // longer than the lease: nobody runs it again
      expect(accepted).toEqual(new Map([['crash-job', 1]]));
      expect(runs).toHaveLength(1);
      expect(await queue.counts(name)).toMatchObject({ completed: 1, active: 0, waiting: 0, failed: 0 });
    } finally {
      await queue.close();
      receiver.closeAllConnections();
      receiver.close();
    }
  }, 40_000);
});
