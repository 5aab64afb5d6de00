/**
 * A small fixed-window rate limiter, in memory. The web chat is open to
 * anyone on the internet, so a script must not be able to flood the engine
 * and the database. Limits are generous: many Indonesian mobile users share
 * one IP address behind carrier NAT.
 */
export interface Limit {
  max: number;
  windowMs: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly limit: Limit) {}

  /** Counts one hit; returns 0 when allowed, otherwise the seconds to wait. */
  hit(key: string, now = Date.now()): number {
    if (this.windows.size > 10_000) this.sweep(now);
    const window = this.windows.get(key);
    if (!window || now - window.start >= this.limit.windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return 0;
    }
    window.count++;
    if (window.count <= this.limit.max) return 0;
    return Math.max(1, Math.ceil((window.start + this.limit.windowMs - now) / 1000));
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.limit.windowMs) this.windows.delete(key);
  }
}
