/**
 * The queue layer: background work (sending messages, reminders, SLA checks)
 * with retries, backoff, rate limits and crash recovery. Two engines, one
 * contract: bull on Redis when REDIS_URL is set (several instances share
 * it), and an embedded queue on the store otherwise (same guarantees in one
 * process or several on one host). tests/queue.contract.test.ts runs both.
 *
 * Delivery is at least once: a job whose worker dies mid-run is run again
 * (after the embedded lease or bull's lock expires), so handlers must be
 * idempotent. onFailed listeners run in the process that ran the job.
 *
 * Scheduled work (reminders, SLA checks) needs no scheduler of its own: it
 * is a delayed job with an id that names it, so scheduling twice is a no-op:
 *
 *   queue.add('reminder', { ticketId }, { jobId: `reminder:${ticketId}`, delayMs: runAt.getTime() - Date.now() })
 */

export interface JobOptions {
  /** A job with an id that is already queued (or done) is not added again. */
  jobId?: string;
  /** Run no earlier than this many milliseconds from now (scheduled work). */
  delayMs?: number;
  /** Attempts before the job fails for good (default 5). */
  attempts?: number;
  /** Base of the exponential backoff between attempts: (2^n − 1) × backoffMs (default 1000). */
  backoffMs?: number;
}

export interface QueueJob<T> {
  id: string;
  data: T;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
}

export interface ProcessOptions {
  /** Jobs of this queue run at most this many at a time in this process (default 1). */
  concurrency?: number;
  /** At most `max` jobs start per `durationMs` across all processes sharing the queue. */
  rateLimit?: RateLimit;
}

/** Wait before the next attempt after `attemptsMade` failed ones: (2^n − 1) × backoffMs, bull's exponential backoff. */
export function backoffDelay(attemptsMade: number, backoffMs: number): number {
  return (2 ** attemptsMade - 1) * backoffMs;
}

/** Thrown by a handler when retrying cannot help (e.g. the citizen blocked the bot): the job fails at once. */
export class PermanentJobError extends Error {}

export type JobHandler<T> = (job: QueueJob<T>) => Promise<void>;

export interface RateLimit {
  max: number;
  durationMs: number;
}

/** Waits for a turn under a rate limit shared by every process: at most `max` turns in any `durationMs`. */
export interface RateLimiter {
  acquire(): Promise<void>;
}

/**
 * How long a turn counts against a limit: a little longer than the limit's
 * window (2% + 5 ms, 25 ms for one second), so the jitter between taking a
 * turn and using it (a Redis reply queued behind other commands, a busy event
 * loop) cannot make the platform see more than `max` in a window.
 */
export function turnWindowMs(limit: RateLimit): number {
  return limit.durationMs + Math.ceil(limit.durationMs * 0.02) + 5;
}

export interface JobQueue {
  readonly engine: 'embedded' | 'bull';
  add<T>(queue: string, data: T, options?: JobOptions): Promise<void>;
  /** Starts working on a queue in this process. */
  process<T>(queue: string, handler: JobHandler<T>, options?: ProcessOptions): void;
  /** Called once a job has failed for good (attempts used up, or a PermanentJobError). */
  onFailed<T>(queue: string, listener: (job: QueueJob<T>, error: Error) => void): void;
  /**
   * A rate limit on what a queue's jobs do rather than on the jobs themselves (the outbox
   * limits each platform message, and one job may send several), shared by every process.
   */
  limiter(queue: string, limit: RateLimit): RateLimiter;
  /** Stops taking this queue's jobs in this process only (running ones finish); other processes keep working it. */
  pause(queue: string): Promise<void>;
  /** Takes this queue's jobs again in this process. */
  resume(queue: string): Promise<void>;
  /** The queues this process has added to or works on (the queue page and metrics list them). */
  names(): string[];
  /** Jobs waiting, running, done and failed: for health checks and metrics. */
  counts(queue: string): Promise<{ waiting: number; active: number; completed: number; failed: number; delayed: number }>;
  /** Stops taking new jobs, waits for running ones (graceful shutdown), and releases connections. */
  close(): Promise<void>;
}
