/**
 * Login throttling, two locks:
 *
 * - per account: 5 wrong passwords or codes in a row lock the account for
 *   15 minutes (stored on the user: `failedLogins`, `lockedUntil`, so every
 *   instance sees it). Names that do not exist are counted the same way in
 *   memory, so the answers never reveal which names are real.
 * - per IP address: 30 failures within 15 minutes block that address for
 *   15 minutes (an office shares one public address, hence the higher bar).
 *   This counter lives in the process's memory: with several instances each
 *   keeps its own (an attacker gets N × 30 tries per window; the per-account
 *   lock, which is in the store, still holds).
 */

export const ACCOUNT_MAX_FAILURES = 5;
export const ACCOUNT_LOCK_MS = 15 * 60_000;
export const IP_MAX_FAILURES = 30;
export const IP_WINDOW_MS = 15 * 60_000;
export const IP_LOCK_MS = 15 * 60_000;

interface Entry {
  failures: number;
  windowStart: number;
  lockedUntil: number;
}

/** Failures per key within a window; too many lock the key for a while. Bounded in size (oldest entries go first). */
export class FailureCounter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: { max: number; windowMs: number; lockMs: number; capacity?: number },
  ) {}

  /** Milliseconds the key stays locked (0 when it is not). */
  lockedFor(key: string, now = Date.now()): number {
    const entry = this.entries.get(key);
    return entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
  }

  /** Counts a failure; returns the lock's remaining milliseconds when this failure locked the key, else 0. */
  fail(key: string, now = Date.now()): number {
    let entry = this.entries.get(key);
    if (!entry || now - entry.windowStart > this.options.windowMs || (entry.lockedUntil && entry.lockedUntil <= now)) {
      entry = { failures: 0, windowStart: now, lockedUntil: 0 };
    }
    entry.failures += 1;
    if (entry.failures >= this.options.max) {
      entry.lockedUntil = now + this.options.lockMs;
      entry.failures = 0;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    const capacity = this.options.capacity ?? 10_000;
    while (this.entries.size > capacity) this.entries.delete(this.entries.keys().next().value!);
    return entry.lockedUntil > now ? entry.lockedUntil - now : 0;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }
}

/** "15 menit", "1 menit": how long to wait, rounded up to whole minutes. */
export function waitText(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 60_000))} menit`;
}

export function accountLockedMessage(ms: number): string {
  return `Terlalu banyak percobaan masuk yang gagal. Demi keamanan, akun ini dikunci sementara. Coba lagi dalam ${waitText(ms)}, atau minta admin membuka kuncinya.`;
}

export function ipLockedMessage(ms: number): string {
  return `Terlalu banyak percobaan masuk yang gagal dari jaringan ini. Coba lagi dalam ${waitText(ms)}.`;
}
