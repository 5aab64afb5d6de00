/**
 * Only one process may hold a WhatsApp connection: two sockets on the same
 * linked device kick each other off (status 440) and can get the device
 * unlinked. With several instances (REDIS_URL set) the holder is decided by
 * a lease in Redis:
 *
 *   acquire  SET key <instance> NX PX ttl       (only if nobody holds it)
 *   renew    every renewMs, a Lua check-and-extend (only the holder extends)
 *   release  a Lua check-and-delete on shutdown  (the next instance takes over at once)
 *
 * If the holder dies its lease expires after `ttlMs` and another instance,
 * trying every `renewMs`, takes over: within ttl + renew (25 s by default).
 * A holder that cannot reach Redis gives the connection up before its lease
 * can have expired, so two holders never overlap.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../bot/log.js';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export const LEASE_KEY = 'siratu:whatsapp:lease';

export interface LeaseOptions {
  redis: Redis;
  /** Who we are (hostname:pid:random): stored as the lease's value. */
  holder: string;
  key?: string;
  ttlMs?: number;
  renewMs?: number;
  log: Logger;
  /** We became the holder: open the connection. */
  onAcquired: () => void | Promise<void>;
  /** We are no longer the holder (or cannot prove it): close the connection now. */
  onLost: () => void | Promise<void>;
}

export class RedisLease {
  private timer: NodeJS.Timeout | undefined;
  private holding = false;
  /** Until when our lease is certainly valid (last successful acquire/renew + ttl, minus a safety margin). */
  private validUntil = 0;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  readonly key: string;
  readonly ttlMs: number;
  readonly renewMs: number;

  constructor(private readonly options: LeaseOptions) {
    this.key = options.key ?? LEASE_KEY;
    this.ttlMs = options.ttlMs ?? 20_000;
    this.renewMs = options.renewMs ?? 5_000;
    if (this.renewMs * 2 > this.ttlMs) throw new Error('lease renew interval must be at most half its ttl');
  }

  get isHolder(): boolean {
    return this.holding && Date.now() < this.validUntil;
  }

  /** Tries at once, then keeps trying (or renewing) every renewMs. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.renewMs);
    this.timer.unref?.();
  }

  /** Stops renewing and, if we hold the lease, releases it so another instance can take over at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (this.holding) {
      this.holding = false;
      await this.options.onLost();
      if (options.release !== false) {
        try {
          await this.options.redis.eval(RELEASE, 1, this.key, this.options.holder);
        } catch (error) {
          this.options.log.warn({ err: error }, 'whatsapp lease not released; it expires by itself');
        }
      }
    }
  }

  private tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.run().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    const { redis, holder, log } = this.options;
    const started = Date.now();
    // A margin for clock drift and the time the command took.
    const valid = () => started + this.ttlMs - Math.min(1000, this.ttlMs / 10);
    try {
      if (this.holding) {
        const renewed = Number(await redis.eval(RENEW, 1, this.key, holder, String(this.ttlMs)));
        if (renewed === 1) {
          this.validUntil = valid();
          return;
        }
        log.warn({ key: this.key }, 'whatsapp lease lost to another instance');
        await this.lose();
        return;
      }
      const acquired = await redis.set(this.key, holder, 'PX', this.ttlMs, 'NX');
      if (acquired === 'OK' && !this.stopped) {
        this.holding = true;
        this.validUntil = valid();
        log.info({ key: this.key }, 'whatsapp lease acquired: this instance holds the connection');
        await this.options.onAcquired();
      }
    } catch (error) {
      log.warn({ err: error }, 'whatsapp lease: redis unreachable');
      if (this.holding && Date.now() >= this.validUntil - this.renewMs) await this.lose();
    }
  }

  private async lose(): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    await this.options.onLost();
  }
}
