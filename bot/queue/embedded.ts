/**
 * The embedded queue: jobs live in the store (store.jobs), so they survive
 * restarts and several processes on one host can share a queue without
 * Redis. Every process polls the queues it works on and claims due jobs
 * with a lease; a heartbeat extends the lease while the handler runs, and a
 * job whose holder died is claimed again once its lease has expired.
 *
 * Rate limits are shared across processes without new storage: a limit of
 * `max` per `durationMs` has `max` slot jobs in a queue of their own, and
 * each turn first claims a slot with a lease of (a little more than)
 * `durationMs`. A slot can only be claimed again after its lease expires, so
 * no window of `durationMs` ever sees more than `max` turns, and the claim is
 * as atomic as any other.
 */
import type { Logger } from '../log.js';
import type { Job, JobRepository } from '../store/types.js';
import {
  backoffDelay,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  PermanentJobError,
  type ProcessOptions,
  type QueueJob,
  type RateLimit,
  type RateLimiter,
  turnWindowMs,
} from './types.js';

export interface EmbeddedQueueOptions {
  /** How often an idle worker looks for due jobs (default 100 ms; add() in this process wakes it at once). */
  pollMs?: number;
  /** How long a claim lasts without a heartbeat: a crashed worker's job is retried after this (default 30 s). */
  leaseMs?: number;
  log?: Pick<Logger, 'warn' | 'error'>;
}

interface Worker {
  name: string;
  handler: JobHandler<unknown>;
  concurrency: number;
  limiter?: RateLimiter;
  running: Set<Promise<void>>;
  timer: NodeJS.Timeout;
  pumping: boolean;
  again: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A rate limit as `max` slot jobs; the limit is in the queue name, so changing it starts a fresh set. */
function slotLimiter(jobs: JobRepository, name: string, limit: RateLimit, pollMs: number): RateLimiter {
  const queue = `rate:${name}:${limit.max}/${limit.durationMs}`;
  let ready: Promise<unknown> | undefined;
  return {
    async acquire() {
      ready ??= Promise.all(
        Array.from({ length: limit.max }, (_, i) => jobs.add({ id: `${queue}#${i}`, queue, data: null, maxAttempts: Number.MAX_SAFE_INTEGER })),
      );
      await ready;
      while ((await jobs.claim(queue, { now: new Date(), leaseMs: turnWindowMs(limit), limit: 1 })).length === 0) await sleep(pollMs);
    },
  };
}

export function createEmbeddedQueue(jobs: JobRepository, options: EmbeddedQueueOptions = {}): JobQueue {
  const pollMs = options.pollMs ?? 100;
  const leaseMs = options.leaseMs ?? 30_000;
  const workers = new Map<string, Worker>();
  const listeners = new Map<string, ((job: QueueJob<unknown>, error: Error) => void)[]>();
  const paused = new Set<string>();
  /** Every queue name used in this process: the embedded store keeps jobs of all queues in one table. */
  const known = new Set<string>();
  let closing = false;

  const report = (message: string, error: unknown, extra: object = {}) => options.log?.error({ ...extra, err: error }, message);

  async function run(worker: Worker, job: Job): Promise<void> {
    const token = job.token!;
    const heartbeat = setInterval(() => {
      jobs.extend(job.id, token, new Date(Date.now() + leaseMs)).then(
        (held) => held || options.log?.warn({ queue: worker.name, job: job.id }, 'job lease lost (another worker may run it)'),
        (error) => report('job heartbeat failed', error, { queue: worker.name, job: job.id }),
      );
    }, Math.max(10, Math.floor(leaseMs / 3)));
    const queueJob: QueueJob<unknown> = { id: job.id, data: job.data, attempt: job.attempts, maxAttempts: job.maxAttempts };
    try {
      // A crash counts as an attempt; like bull's maxStalledCount = 1, one interrupted run beyond the last attempt is allowed.
      if (job.attempts > job.maxAttempts + 1) throw new PermanentJobError('job interrupted too often (worker crashed or lost its lease)');
      await worker.limiter?.acquire(); // the job keeps its lease (heartbeat) while it waits for its turn
      await worker.handler(queueJob);
      clearInterval(heartbeat);
      if (!(await jobs.complete(job.id, token))) options.log?.warn({ queue: worker.name, job: job.id }, 'job finished after its lease was lost');
    } catch (caught) {
      clearInterval(heartbeat);
      const error = caught instanceof Error ? caught : new Error(String(caught));
      const final = error instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      const retryAt = final ? null : new Date(Date.now() + backoffDelay(job.attempts, job.backoffMs));
      const recorded = await jobs.fail(job.id, token, error.message, retryAt).catch((failure) => {
        report('could not record a failed job', failure, { queue: worker.name, job: job.id });
        return false;
      });
      if (recorded && final) {
        for (const listener of listeners.get(worker.name) ?? []) {
          try {
            listener(queueJob, error);
          } catch (failure) {
            report('onFailed listener threw', failure, { queue: worker.name });
          }
        }
      }
    }
  }

  /** Claims as many due jobs as there is room for and starts them; coalesces overlapping calls. */
  async function pump(worker: Worker): Promise<void> {
    if (worker.pumping) {
      worker.again = true;
      return;
    }
    worker.pumping = true;
    try {
      do {
        worker.again = false;
        while (!closing && !paused.has(worker.name) && worker.running.size < worker.concurrency) {
          const claimed = await jobs.claim(worker.name, { now: new Date(), leaseMs, limit: worker.concurrency - worker.running.size });
          if (claimed.length === 0) break;
          for (const job of claimed) {
            const running = run(worker, job).finally(() => {
              worker.running.delete(running);
              void pump(worker);
            });
            worker.running.add(running);
          }
        }
      } while (worker.again && !closing);
    } catch (error) {
      report('job queue poll failed', error, { queue: worker.name });
    } finally {
      worker.pumping = false;
    }
  }

  return {
    engine: 'embedded',

    async add<T>(queue: string, data: T, jobOptions: JobOptions = {}) {
      known.add(queue);
      await jobs.add({
        id: jobOptions.jobId,
        queue,
        data,
        runAt: new Date(Date.now() + (jobOptions.delayMs ?? 0)),
        maxAttempts: jobOptions.attempts ?? 5,
        backoffMs: jobOptions.backoffMs ?? 1000,
      });
      const worker = workers.get(queue);
      if (worker && !jobOptions.delayMs) void pump(worker);
    },

    process<T>(queue: string, handler: JobHandler<T>, processOptions: ProcessOptions = {}) {
      if (workers.has(queue)) throw new Error(`queue ${queue} is already processed in this process`);
      if (closing) throw new Error('queue is closed');
      known.add(queue);
      const worker: Worker = {
        name: queue,
        handler: handler as JobHandler<unknown>,
        concurrency: processOptions.concurrency ?? 1,
        limiter: processOptions.rateLimit && slotLimiter(jobs, `job:${queue}`, processOptions.rateLimit, Math.min(pollMs, 25)),
        running: new Set(),
        timer: setInterval(() => void pump(worker), pollMs),
        pumping: false,
        again: false,
      };
      workers.set(queue, worker);
      void pump(worker);
    },

    onFailed<T>(queue: string, listener: (job: QueueJob<T>, error: Error) => void) {
      listeners.set(queue, [...(listeners.get(queue) ?? []), listener as (job: QueueJob<unknown>, error: Error) => void]);
    },

    limiter(queue: string, limit: RateLimit) {
      return slotLimiter(jobs, queue, limit, Math.min(pollMs, 25));
    },

    async pause(queue: string) {
      paused.add(queue);
    },

    async resume(queue: string) {
      paused.delete(queue);
      const worker = workers.get(queue);
      if (worker) void pump(worker);
    },

    names() {
      return [...known].sort();
    },

    async counts(queue: string) {
      return jobs.counts(queue);
    },

    async close() {
      closing = true;
      for (const worker of workers.values()) clearInterval(worker.timer);
      // Running jobs finish (and are recorded) before the store they write to is closed.
      while ([...workers.values()].some((worker) => worker.running.size > 0 || worker.pumping)) {
        await Promise.all([...workers.values()].flatMap((worker) => [...worker.running]));
        await sleep(0);
      }
    },
  };
}
