/**
 * How many messages one citizen may send before the bot stops answering for
 * a while: RATE_LIMIT_PER_MINUTE per channel identity (a web chat session, a
 * Telegram chat id, a WhatsApp JID), counted in a fixed window that starts
 * with the first message.
 *
 *   within the limit        'answer'   the engine answers as usual
 *   the first one over it   'notify'   stored; the citizen gets ONE polite "please wait"
 *   the rest of the window  'quiet'    stored (agents see it), not answered
 *
 * The dispatcher asks after the message is stored (bot/dispatcher.ts
 * `receive`), so every channel gets the same rule and an accepted message is
 * never lost. With REDIS_URL the count lives in Redis (rate-limiter-flexible's
 * atomic increment), so all instances share it and exactly one of them sees
 * the first message over the limit; without Redis (embedded mode) it is kept in
 * this process's memory. If Redis cannot be reached, the count falls back to
 * memory rather than silencing citizens.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from './log.js';

export type RateVerdict = 'answer' | 'notify' | 'quiet';

export interface SenderRateLimit {
  /** Counts one accepted message of `sender` (e.g. "telegram:12345") and says what the bot does with it. */
  hit(sender: string): Promise<RateVerdict>;
  close(): Promise<void>;
}

export interface SenderRateLimitOptions {
  /** Messages answered per window; 0 switches the limit off. */
  perWindow: number;
  /** Length of the window in whole seconds (default 60: the limit is per minute). */
  windowSeconds?: number;
  /** Shared count across instances (redis://host:port/db); without it the count is per process. */
  redisUrl?: string;
  log: Logger;
}

const KEY_PREFIX = 'siratu:rate:sender';

export async function createSenderRateLimit(options: SenderRateLimitOptions): Promise<SenderRateLimit> {
  const { perWindow, log } = options;
  const windowSeconds = Math.max(1, Math.round(options.windowSeconds ?? 60));
  if (perWindow <= 0) return { hit: async () => 'answer', close: async () => undefined };

  const memory = new RateLimiterMemory({ keyPrefix: KEY_PREFIX, points: perWindow, duration: windowSeconds });
  let redis: Redis | undefined;
  let limiter: RateLimiterAbstract = memory;
  if (options.redisUrl) {
    redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'siratu-rate-limit' });
    redis.on('error', (error: unknown) => log.warn({ err: error }, 'rate limit: redis connection error'));
    await redis.connect();
    limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: KEY_PREFIX, points: perWindow, duration: windowSeconds, insuranceLimiter: memory });
  }

  return {
    async hit(sender) {
      try {
        await limiter.consume(sender);
        return 'answer';
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return refusal.consumedPoints === perWindow + 1 ? 'notify' : 'quiet';
        // Neither Redis nor memory could count: answering is better than going silent.
        log.warn({ err: refusal }, 'rate limit not checked');
        return 'answer';
      }
    },
    async close() {
      await redis?.quit().catch(() => undefined);
    },
  };
}
