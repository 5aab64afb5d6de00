/**
 * The queue engine for scale-out: bull on Redis. One bull queue per queue
 * name; bull provides the retries with exponential backoff, delayed jobs,
 * job-id dedupe, stalled-job recovery (a worker that dies loses its lock and
 * the job goes back to wait) and a rate limiter shared by every worker of a
 * queue, whichever instance it runs in.
 */
import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import type { Logger } from '../log.js';
import { type JobHandler, type JobOptions, type JobQueue, PermanentJobError, type ProcessOptions, type QueueJob, type RateLimit, turnWindowMs } from './types.js';

export interface BullQueueOptions {
  /** Redis key prefix (default `siratu`); tests use their own so they never touch real queues. */
  prefix?: string;
  /** A job's lock lasts this long without renewal: a dead worker's job is retried after it (default 15 s). */
  lockMs?: number;
  /** How often workers look for jobs whose lock expired (default 5 s). */
  stalledIntervalMs?: number;
  /** Completed jobs kept for inspection and dedupe (default 1000); failed jobs are always kept. */
  keepCompleted?: number;
  log?: Pick<Logger, 'warn' | 'error'>;
}

type Listener = (job: QueueJob<unknown>, error: Error) => void;

/**
 * A sliding-window log in one atomic script, on Redis' clock (so instances
 * with skewed clocks agree): a turn is taken if fewer than `max` were taken in
 * the last `durationMs`; otherwise it says how long until the oldest expires.
 */
const TAKE_TURN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local duration = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], duration)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + duration - now)
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bull engine also hands out its bull queues, for the admins' bull dashboard (admin/routes/queues.ts). */
export interface BullJobQueue extends JobQueue {
  readonly engine: 'bull';
  bullQueues(): Bull.Queue[];
}

export function createBullQueue(redisUrl: string, options: BullQueueOptions = {}): BullJobQueue {
  const queues = new Map<string, Bull.Queue>();
  const listeners = new Map<string, Listener[]>();

  const toQueueJob = (job: Bull.Job): QueueJob<unknown> => ({
    id: String(job.id),
    data: job.data,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
  });

  function queueFor(name: string): Bull.Queue {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Bull(name, redisUrl, {
        prefix: options.prefix ?? 'siratu',
        // maxStalledCount 1: a job may lose its worker once and still run; twice, and it fails.
        // bull's 30 s + 30 s left a killed instance's reply undelivered for up to a minute (tests/crash.test.ts): 15 s + 5 s.
        settings: { lockDuration: options.lockMs ?? 15_000, stalledInterval: options.stalledIntervalMs ?? 5_000, maxStalledCount: 1 },
      });
      queue.on('error', (error) => options.log?.error({ queue: name, err: error }, 'bull queue error'));
      // 'failed' fires after every failed attempt; only a job now in the failed set has failed for good.
      queue.on('failed', (job, error) => {
        const callbacks = listeners.get(name) ?? [];
        if (callbacks.length === 0 || !job) return; // (a stalled job may have been removed meanwhile)
        job.isFailed().then(
          (failed) => {
            if (!failed) return;
            for (const listener of callbacks) {
              try {
                listener(toQueueJob(job), error);
              } catch (failure) {
                options.log?.error({ queue: name, err: failure }, 'onFailed listener threw');
              }
            }
          },
          (failure) => options.log?.error({ queue: name, err: failure }, 'could not read a failed job'),
        );
      });
      queues.set(name, queue);
    }
    return queue;
  }

  return {
    engine: 'bull',

    async add<T>(queue: string, data: T, jobOptions: JobOptions = {}) {
      await queueFor(queue).add(data, {
        jobId: jobOptions.jobId,
        delay: jobOptions.delayMs && jobOptions.delayMs > 0 ? jobOptions.delayMs : undefined,
        attempts: jobOptions.attempts ?? 5,
        backoff: { type: 'exponential', delay: jobOptions.backoffMs ?? 1000 },
        removeOnComplete: options.keepCompleted ?? 1000,
        removeOnFail: false,
      });
    },

    process<T>(name: string, handler: JobHandler<T>, processOptions: ProcessOptions = {}) {
      const queue = queueFor(name);
      if (processOptions.rateLimit) {
        // bull reads the limiter when moving a job to active, so setting it on an existing queue object works.
        (queue as unknown as { limiter: Bull.RateLimiter }).limiter = { max: processOptions.rateLimit.max, duration: turnWindowMs(processOptions.rateLimit) };
      }
      queue
        .process(processOptions.concurrency ?? 1, async (job: Bull.Job<T>) => {
          try {
            await handler(toQueueJob(job) as QueueJob<T>);
          } catch (error) {
            if (error instanceof PermanentJobError) job.discard(); // no retry: straight to failed
            throw error;
          }
        })
        .catch((error: unknown) => options.log?.error({ queue: name, err: error }, 'bull worker stopped'));
    },

    onFailed<T>(queue: string, listener: (job: QueueJob<T>, error: Error) => void) {
      queueFor(queue);
      listeners.set(queue, [...(listeners.get(queue) ?? []), listener as Listener]);
    },

    limiter(name: string, limit: RateLimit) {
      const queue = queueFor(name);
      const key = `${options.prefix ?? 'siratu'}:${name}:turns:${limit.max}/${limit.durationMs}`;
      return {
        async acquire() {
          for (;;) {
            const wait = Number(await queue.client.eval(TAKE_TURN, 1, key, limit.max, turnWindowMs(limit), randomUUID()));
            if (wait === 0) return;
            await sleep(wait);
          }
        },
      };
    },

    async pause(queue: string) {
      await queueFor(queue).pause(true, true); // local: only this process's worker stops
    },

    async resume(queue: string) {
      await queueFor(queue).resume(true);
    },

    names() {
      return [...queues.keys()].sort();
    },

    bullQueues() {
      return [...queues.values()];
    },

    async counts(queue: string) {
      const { waiting, active, completed, failed, delayed } = await queueFor(queue).getJobCounts();
      return { waiting, active, completed, failed, delayed };
    },

    async close() {
      // bull's close() waits for this instance's running jobs before disconnecting.
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
